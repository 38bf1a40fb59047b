"""YAML as edgefed reads it: YAML 1.2 booleans (like Pulumi's Go reader), syntax errors as one ConfigError."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from edgefed.core.inputs.errors import ConfigError


class Yaml12Loader(yaml.CSafeLoader):
    """A safe YAML loader with YAML 1.2 booleans: only true and false.

    YAML 1.1 (PyYAML's default) also reads yes/no/on/off as booleans, so a bare ``NO`` (Norway) became
    ``False``; here it stays the string it is, as it does for Pulumi (Go, YAML 1.2) reading the same file.
    libyaml parses (PyYAML's wheels ship it): the pure-Python parser was most of a stack's load time.
    """


_BOOL = "tag:yaml.org,2002:bool"
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(path: Path) -> Any:
    """Read a YAML file, reporting a syntax error as a :class:`ConfigError` with its line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [("", f"cannot be read: {exc.strerror}")]) from None
    try:
        return yaml.load(text, Loader=Yaml12Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), [("", f"is not valid YAML at {where}: {problem}")]) from None
