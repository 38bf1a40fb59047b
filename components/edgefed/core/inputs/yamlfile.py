"""YAML as edgefed reads it: YAML 1.2 booleans (like Pulumi's Go reader), syntax errors as one ConfigError.

Each file is parsed once per process (:func:`load_yaml` keeps the parsed document while the file's size and
modification time stay the same, and hands each caller a copy of its own): a deploy reads the same stack
files, contracts and catalog from several places, and every program run of the engine does too.
"""

from __future__ import annotations

import copy
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


def file_key(path: Path) -> tuple[str, int, int, int] | None:
    """What identifies a file's contents in this process: its resolved path, inode, size and modification time.

    ``None`` when it cannot be read (the reader then reports why).
    """
    try:
        found = path.stat()
    except OSError:
        return None
    return str(path.resolve()), found.st_ino, found.st_size, found.st_mtime_ns


_PARSED: dict[tuple[str, int, int, int], Any] = {}


def load_yaml(path: Path) -> Any:
    """Read a YAML file, reporting a syntax error as a :class:`ConfigError` with its line and column.

    Parsed once per process while the file stays the same (:func:`file_key`); each call gets its own copy.
    """
    key = file_key(path)
    if key is not None and key in _PARSED:
        return copy.deepcopy(_PARSED[key])
    found = _parse(path)
    if key is not None:
        _PARSED[key] = copy.deepcopy(found)
    return found


def _parse(path: Path) -> Any:
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
