"""Shared fixtures: the example catalog and app specs, and helpers to write broken copies of them."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
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


EDGEFED = [sys.executable, "-m", "edgefed_ops"]
"""The `edgefed` command, run by this interpreter."""


CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
"""A new shell's environment: nothing activated, no variable of the test run."""


def printed_commands(text: str) -> list[str]:
    """The `edgefed ...` command lines a message gives the user to run (quoted in backticks)."""
    return [line for line in re.findall(r"`([^`]+)`", text) if "edgefed " in line]


def pasted(line: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a printed command line as a user pasting it into a new shell at the repository's root."""
    return subprocess.run(
        ["bash", "-c", line], env=CLEAN_ENV, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def toolchain_or_skip(tool: str) -> str:
    """Path of a bootstrapped tool. Missing: the test fails, unless EDGEFED_SKIP_INTEGRATION=1 opts out."""
    from edgefed_ops.local.toolchain import engine_env, toolchain_problem

    problem = toolchain_problem(ROOT)
    path = shutil.which(tool, path=engine_env(ROOT)["PATH"])
    if problem or path is None:
        reason = f"REAL TOOLCHAIN MISSING: {problem or tool + ' not found'}"
        if os.environ.get("EDGEFED_SKIP_INTEGRATION") == "1":
            pytest.skip(f"{reason} (EDGEFED_SKIP_INTEGRATION=1)")
        pytest.fail(f"{reason}; run scripts/bootstrap, or opt out with EDGEFED_SKIP_INTEGRATION=1", pytrace=False)
    return path


def ops_settings(tmp: Path, *, federation: Path | None = None, catalog: Path | None = None) -> Any:
    """Settings of the operations package for a test: workspaces and a file backend under ``tmp``."""
    from edgefed_ops.settings import Settings

    (tmp / "backend").mkdir(parents=True, exist_ok=True)
    state = federation or tmp / "federation"
    return Settings(
        root=ROOT,
        federation_state=state,
        kubeconfig=state / "kubeconfig",
        local_catalog=(catalog or ROOT / "stacks" / "catalog" / "local.yaml").resolve(),
        work=tmp / "work",
        backend_url=f"file://{tmp / 'backend'}",
    )


def python_project(folder: Path, name: str, program: str) -> Path:
    """A Pulumi project of a team's own at ``folder``: ``program`` run with the repository's virtualenv."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(
        f"name: {name}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {ROOT / '.venv'}\n"
    )
    (folder / "__main__.py").write_text(program)
    return folder


KEPT_OUT = {".git", ".venv", ".tools", ".state", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
"""What a copy of the repository leaves out (and links back, for the virtualenvs and the toolchain)."""


def repository_copy(target: Path) -> Path:
    """A copy of the repository at ``target`` with the project's virtualenvs and toolchain linked in."""
    shutil.copytree(
        ROOT, target, ignore=lambda folder, names: [n for n in names if n in KEPT_OUT or n.endswith(".egg-info")]
    )
    for linked in (".venv", ".tools"):
        (target / linked).symlink_to(ROOT / linked)
    pack_venv = target / "policies" / "eu-residency" / ".venv"
    shutil.rmtree(pack_venv, ignore_errors=True)
    pack_venv.symlink_to(ROOT / "policies" / "eu-residency" / ".venv")
    return target


SUMMARY: list[str] = []
"""Lines that integration tests want shown at the end of the run (counts a reviewer reads)."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker hands its summary lines to the controller, which prints them."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["edgefed_summary"] = list(SUMMARY)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    SUMMARY.extend(getattr(node, "workeroutput", {}).get("edgefed_summary", []))


LONGEST_FIRST = ("test_local_federation.py", "test_local_federation_faults.py")
"""Modules that take most of the run, each with a federation of its own: collected first and handed out
in that order (scripts/test turns off xdist's reordering of modules by test count), so that with
`-n 2 --dist loadscope` each worker starts on one of them, then both share everything else."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)
