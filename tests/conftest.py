"""Shared fixtures: the example catalog and app specs, and helpers to write broken copies of them."""

from __future__ import annotations

import copy
import shutil
import sys
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


sys.path.insert(0, str(ROOT / "scripts"))


def toolchain_or_skip(tool: str) -> str:
    """Path of a bootstrapped tool, or skip loudly with the reason."""
    from workspace import engine_env, toolchain_problem

    problem = toolchain_problem()
    path = shutil.which(tool, path=engine_env()["PATH"])
    if problem or path is None:
        pytest.skip(f"REAL TOOLCHAIN MISSING, integration test not run: {problem or tool + ' not found'}")
    return path


SUMMARY: list[str] = []
"""Lines that integration tests want shown at the end of the run (counts a reviewer reads)."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line)
