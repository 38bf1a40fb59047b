"""The files of a stack's workspace: a project file whose program is the repository, and a stack file.

Why a workspace: `pulumi config set` rewrites the stack file it touches, and the committed
``stacks/Pulumi.<cc>.yaml`` is rendered. Jobs such as the local deploy set secrets and settings of their
own; they do it in ``<work>/<stack>``, which holds a project file whose ``main`` is the repository and
a copy of the committed stack file with those settings. The workspace keeps its own encryption salt
and secrets: what a user set in the repository's copy stays there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from edgefed.core.inputs.yamlfile import Yaml12Loader

PULUMI_KEYS = ("encryptionsalt", "secretsprovider", "encryptedkey")
"""Top-level keys Pulumi writes into a stack file for its secrets."""


def _read(path: Path) -> dict[str, Any]:
    return dict((yaml.load(path.read_text(), Loader=Yaml12Loader) if path.exists() else None) or {})


def write_project(project: Path, folder: Path, virtualenv: Path) -> None:
    """``folder/Pulumi.yaml``: the project of ``project``, run from there with ``virtualenv``."""
    data = yaml.safe_load((project / "Pulumi.yaml").read_text())
    data["main"] = os.path.relpath(project, folder)
    # Absolute: plugins such as the dynamic-provider launcher resolve it from the program folder.
    data["runtime"]["options"]["virtualenv"] = str(virtualenv)
    data["stackConfigDir"] = "stacks"
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def workspace_stack(committed: Path, current: Path, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The workspace's stack file: the committed one with ``settings``, keeping the workspace's secrets.

    ``settings`` are plain config values (``edgefed:`` when the key has no namespace; ``None`` removes
    a key). The committed file's own secrets and salt are dropped; the workspace's (``current``) stay,
    bound to its salt.
    """
    data, old = _read(committed), _read(current)
    for key in PULUMI_KEYS:
        data.pop(key, None)
    config = data.setdefault("config", {})
    for key in [k for k, v in config.items() if isinstance(v, dict) and "secure" in v]:
        del config[key]
    for key, value in settings.items():
        full = key if ":" in key else f"edgefed:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    for key in PULUMI_KEYS:
        if key in old:
            data[key] = old[key]
    for key, value in (old.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value and key not in config:
            config[key] = value
    return data
