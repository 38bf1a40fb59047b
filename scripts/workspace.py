"""Run a country stack under the real Pulumi engine, in a workspace under .state/ (git-ignored).

Why a workspace: `pulumi stack init` and `pulumi config set` rewrite the stack file (encryption salt,
secrets, comments dropped), and the committed ``stacks/Pulumi.<cc>.yaml`` must stay exactly as
``scripts/render-stacks`` renders it. The workspace holds a project file whose ``main`` is the
repository, and a copy of the committed stack file plus local settings and secrets.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

# EDGEFED_FEDERATION_STATE moves the whole local federation, kubeconfig included (tests run one beside a user's).
_FEDERATION_MOVED = os.environ.get("EDGEFED_FEDERATION_STATE")
FEDERATION_STATE = Path(_FEDERATION_MOVED) if _FEDERATION_MOVED else ROOT / ".state" / "federation"
"""Where `scripts/federation` keeps each zone's and each country's store, pids and credentials."""
FEDERATION_KUBECONFIG = FEDERATION_STATE / "kubeconfig" if _FEDERATION_MOVED else ROOT / ".state" / "kubeconfig"
"""The kubeconfig with one context per zone that `scripts/federation up` writes."""
WORK = ROOT / ".state" / "work"
"""Default folder of the stacks' workspaces, one subfolder per stack."""
COMMITTED_LOCAL_CATALOG = ROOT / "stacks" / "catalog" / "local.yaml"
LOCAL_CATALOG = Path(os.environ.get("EDGEFED_LOCAL_CATALOG") or COMMITTED_LOCAL_CATALOG).resolve()
"""The catalog of the local federation. EDGEFED_LOCAL_CATALOG names another one, for example a copy
with other object store ports, so that a second federation (the tests') runs beside a user's."""


@functools.cache
def engine_env() -> dict[str, str]:
    """The environment of scripts/env.sh (the single place that defines it)."""
    out = subprocess.run(
        ["bash", "-c", f". {ROOT / 'scripts' / 'env.sh'} && env -0"], check=True, capture_output=True
    ).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


class StackWorkspace:
    """One country stack, one workspace folder, one backend."""

    def __init__(
        self, stack: str, *, folder: Path | None = None, backend: Path | None = None, project: Path = ROOT
    ) -> None:
        self.stack = stack
        self.project = project
        self.folder = folder or WORK / stack
        self.backend = backend
        self.stack_file = self.folder / "stacks" / f"Pulumi.{stack}.yaml"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(engine_env())
        if self.backend is not None:
            self.backend.mkdir(parents=True, exist_ok=True)
            env["PULUMI_BACKEND_URL"] = f"file://{self.backend}"
        return {**env, **(extra or {})}

    def prepare(
        self,
        settings: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        source: Path | None = None,
    ) -> None:
        """Write the project and stack files, create the stack if needed and set its secrets.

        ``settings`` are plain ``edgefed:`` values (``None`` removes a key); ``source`` defaults to the
        committed stack file. The encryption salt of an existing workspace is kept.
        """
        (self.folder / "stacks").mkdir(parents=True, exist_ok=True)
        project = yaml.safe_load((self.project / "Pulumi.yaml").read_text())
        project["main"] = os.path.relpath(self.project, self.folder)
        # Absolute: plugins such as the dynamic-provider launcher resolve it from the program folder.
        project["runtime"]["options"]["virtualenv"] = str(ROOT / ".venv")
        project.pop("stackConfigDir", None)
        project["stackConfigDir"] = "stacks"
        (self.folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        committed = source or self.project / "stacks" / f"Pulumi.{self.stack}.yaml"
        data = (yaml.safe_load(committed.read_text()) if committed.exists() else None) or {}
        old = yaml.safe_load(self.stack_file.read_text()) if self.stack_file.exists() else {}
        config = data.setdefault("config", {})
        for key, value in (settings or {}).items():
            full = key if ":" in key else f"edgefed:{key}"
            if value is None:
                config.pop(full, None)
            else:
                config[full] = value
        for key in ("encryptionsalt", "secretsprovider", "encryptedkey"):
            if old and key in old:
                data[key] = old[key]
        # Secure values already set stay (they are bound to the salt kept above).
        for key, value in ((old or {}).get("config") or {}).items():
            if isinstance(value, dict) and "secure" in value and key not in config:
                config[key] = value
        self.stack_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self.pulumi("stack", "select", "--create", self.stack, stack=False)
        for key, value in (secrets or {}).items():
            # The value goes through stdin, never on a command line.
            self.pulumi("config", "set", "--secret", key, input=value)

    def pulumi(
        self,
        *args: str,
        check: bool = True,
        stack: bool = True,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        """Run the Pulumi CLI in the workspace; ``check`` raises with the output on failure."""
        command = ["pulumi", *args, "--non-interactive"]
        if stack:
            command += ["--stack", self.stack]
        result = subprocess.run(
            command,
            cwd=self.folder,
            env=self.env(env),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result


def toolchain_problem() -> str | None:
    """Why the real engine cannot run here, or ``None`` when it can."""
    if os.environ.get("EDGEFED_TOOLCHAIN_ERROR"):
        return os.environ["EDGEFED_TOOLCHAIN_ERROR"]
    env = engine_env()
    pulumi = shutil.which("pulumi", path=env["PATH"])
    if pulumi is None:
        return "pulumi is not on PATH; run scripts/bootstrap"
    beside = Path(pulumi).resolve().parent
    if not (beside / "pulumi-language-python").exists() and not shutil.which(
        "pulumi-language-python", path=env["PATH"]
    ):
        return "no pulumi-language-python next to pulumi or on PATH; run scripts/bootstrap"
    return None


def stack_names() -> Sequence[str]:
    """Names of the committed country stacks."""
    return sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
