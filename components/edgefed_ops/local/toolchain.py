"""The real toolchain that scripts/bootstrap builds, and the environment the engine runs in (scripts/env.sh)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from edgefed_ops.errors import OpsError


@functools.cache
def engine_env(root: Path) -> dict[str, str]:
    """The environment of scripts/env.sh, the single place that defines it (offline, local backend)."""
    out = subprocess.run(
        ["bash", "-c", f". {root / 'scripts' / 'env.sh'} && env -0"], check=True, capture_output=True
    ).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def tool(root: Path, name: str) -> str:
    """The path of a bootstrapped tool (or one already on PATH)."""
    path = shutil.which(name, path=engine_env(root)["PATH"])
    if path is None:
        raise OpsError(f"{name} is not built: run scripts/bootstrap (make test and make demo run it)")
    return path


def toolchain_problem(root: Path) -> str | None:
    """Why the real engine cannot run here, or ``None`` when it can."""
    path = engine_env(root)["PATH"]
    pulumi = shutil.which("pulumi", path=path)
    if pulumi is None:
        return "pulumi is not on PATH; run scripts/bootstrap"
    beside = Path(pulumi).resolve().parent
    if not (beside / "pulumi-language-python").exists() and not shutil.which("pulumi-language-python", path=path):
        return "no pulumi-language-python next to pulumi or on PATH; run scripts/bootstrap"
    return None
