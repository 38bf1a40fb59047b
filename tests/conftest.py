"""Shared fixtures: the example catalog and app specs, and helpers to write broken copies of them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "stacks" / "catalog" / "federation.yaml"
APPS = ROOT / "stacks" / "apps"


@pytest.fixture(scope="session")
def catalog_data() -> dict[str, Any]:
    return yaml.safe_load(CATALOG.read_text())


@pytest.fixture(scope="session")
def app_data() -> dict[str, Any]:
    return yaml.safe_load((APPS / "robot-control.yaml").read_text())


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, Any], Path]:
    def write(name: str, data: Any) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data)
        return path

    return write


def mutated(data: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    change(out)
    return out
