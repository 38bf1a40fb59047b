"""A stack under the real Pulumi engine, through the Automation API, in a workspace folder of its own.

Every operation runs through ``pulumi.automation``; what happened is read from the engine's structured
events (:mod:`edgefed_ops.stack.events`), never from its human output. The workspace's files are
written by :mod:`edgefed_ops.stack.stack_file`.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from edgefed_ops.errors import OpsError
from edgefed_ops.local.toolchain import engine_env
from edgefed_ops.settings import Settings
from edgefed_ops.stack.backend import Backend, BackendUrl
from edgefed_ops.stack.events import EventCollector, Outcome
from edgefed_ops.stack.locks import lock_holder
from edgefed_ops.stack.secret_digests import SecretDigests
from edgefed_ops.stack.stack_file import workspace_stack, write_project


@functools.cache
def _command(pulumi: Path) -> auto.PulumiCommand:
    """The CLI for the Automation API, made once per process: each PulumiCommand runs `pulumi version`."""
    return auto.PulumiCommand(root=str(pulumi.parent.parent), skip_version_check=True)


class StackWorkspace:
    """One stack, one workspace folder, one backend: its files, its environment and the Pulumi CLI there."""

    def __init__(
        self,
        settings: Settings,
        stack: str,
        *,
        folder: Path | None = None,
        project: Path | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.settings, self.stack, self.backend = settings, stack, backend
        self.folder = (folder or settings.work / stack).resolve()
        self.project = project or settings.root
        """The Pulumi project the workspace runs (the repository; tests run programs of their own)."""
        self.stack_file = self.folder / "stacks" / f"Pulumi.{stack}.yaml"
        self._stack: auto.Stack | None = None
        """The selected stack, once: each selection is a CLI run (0.2 s of CPU against an object store)."""

    def state_url(self) -> BackendUrl:
        """Where the stack's state lives (nothing created): the stack's own backend, the settings', env.sh's."""
        return self.backend_url(self._engine_env())

    def _engine_env(self) -> dict[str, str]:
        env = dict(engine_env(self.settings.root))
        if self.settings.backend_url:
            env["PULUMI_BACKEND_URL"] = self.settings.backend_url
        if self.backend is not None:
            env |= {**self.backend.env, "PULUMI_BACKEND_URL": self.backend.url}
        return env

    def env(self) -> dict[str, str]:
        """The engine's environment: scripts/env.sh, the settings' backend, or the stack's own."""
        env = self._engine_env()
        folder = self.backend_url(env).file_path
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        return env

    @staticmethod
    def backend_url(env: Mapping[str, str]) -> BackendUrl:
        """The state backend of an engine environment."""
        return BackendUrl.parse(env["PULUMI_BACKEND_URL"])

    def prepare(
        self,
        settings: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        source: Path | None = None,
    ) -> auto.Stack:
        """Write the project and stack files, create or select the stack and set its secrets.

        ``settings`` are plain ``edgefed:`` values (``None`` removes a key); ``source`` defaults to the
        committed stack file. The encryption salt and the secrets of an existing workspace are kept.
        """
        (self.folder / "stacks").mkdir(parents=True, exist_ok=True)
        write_project(self.project, self.folder, self.settings.root / ".venv")
        committed = source or self.project / "stacks" / f"Pulumi.{self.stack}.yaml"
        data = workspace_stack(committed, self.stack_file, settings or {})
        self.stack_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self._stack = auto.Stack.create_or_select(self.stack, self._workspace())
        self._set_secrets(secrets or {}, data["config"])
        return self._stack

    def _set_secrets(self, secrets: Mapping[str, str], config: Mapping[str, Any]) -> None:
        """Set each secret, except those the stack file already holds with the same value."""
        digests = SecretDigests(self.folder / ".secret-digests.json")
        salt = self._salt()
        for key, value in secrets.items():
            held = config.get(key)
            if isinstance(held, dict) and "secure" in held and digests.holds(salt, key, value):
                continue
            self.set_secret(key, value)
            salt = salt or self._salt()  # the first secret set in a new stack file writes its salt
            digests.remember(salt, key, value)
        digests.save()

    def _salt(self) -> str:
        return str((yaml.safe_load(self.stack_file.read_text()) or {}).get("encryptionsalt", ""))

    def _workspace(self) -> auto.LocalWorkspace:
        env = self.env()
        pulumi = shutil.which("pulumi", path=env["PATH"])
        if pulumi is None:
            raise OpsError("pulumi is not on PATH: run scripts/bootstrap")
        return auto.LocalWorkspace(work_dir=str(self.folder), env_vars=env, pulumi_command=_command(Path(pulumi)))

    def select(self) -> auto.Stack:
        """The workspace's stack (``prepare`` must have created it), selected once."""
        if self._stack is None:
            self._stack = auto.Stack.select(self.stack, self._workspace())
        return self._stack

    def set_secret(self, key: str, value: str) -> None:
        """Set a secret config value. Through stdin: the Automation API would put it on a command line."""
        result = self.cli("config", "set", "--secret", key, input=value, check=False)
        if result.returncode != 0:
            raise OpsError(f"{self.stack}: setting the secret {key} failed: {result.stderr.strip()}")

    def cli(
        self, *args: str, check: bool = True, stack: bool = True, input: str | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """The Pulumi CLI itself in the workspace, as a user types it (``edgefed stack``, audits, recovery)."""
        command = ["pulumi", *args, "--non-interactive", *(["--stack", self.stack] if stack else [])]
        result = subprocess.run(
            command, cwd=self.folder, env=self.env(), input=input, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise OpsError(
                f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def run(self, operation: Callable[[EventCollector], object], progress: Callable[[str], None] | None) -> Outcome:
        """Run one Automation API operation on the stack; what it did, from its events."""
        events = EventCollector(progress)
        try:
            result = operation(events)
        except auto.ConcurrentUpdateError as error:
            events.outcome.ok = False
            events.outcome.locked_by = lock_holder(self.backend_url(self.env()), self.env(), self.stack)
            events.outcome.output = str(error)
        except auto.CommandError as error:
            events.outcome.ok = False
            events.outcome.output = str(error)
        else:
            events.outcome.output = str(getattr(result, "stdout", ""))
            outputs: Mapping[str, auto.OutputValue] = getattr(result, "outputs", None) or {}
            events.outcome.outputs = {k: v.value for k, v in outputs.items() if not v.secret}
        return events.outcome
