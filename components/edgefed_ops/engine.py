"""A country stack under the real Pulumi engine, through the Automation API, in a workspace under .state/.

Why a workspace: `pulumi config set` rewrites the stack file it touches, and the committed
``stacks/Pulumi.<cc>.yaml`` is rendered. Jobs such as the local deploy set secrets and settings of their
own; they do it in ``.state/work/<stack>``, which holds a project file whose ``main`` is the repository and
a copy of the committed stack file with those settings. (A user may also work in the repository itself:
``edgefed render`` keeps what they set there, see ``edgefed_ops.render``.)

Every operation runs through ``pulumi.automation``; what happened is read from the engine's structured
events (policy violations, per-resource failures, the change summary), never from its human output.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml
from pulumi import automation as auto

from edgefed.errors import Yaml12Loader
from edgefed_ops import s3
from edgefed_ops.errors import OpsError
from edgefed_ops.settings import Settings
from edgefed_ops.toolchain import engine_env

SECRET_SENTINEL = "[secret]"
"""What `pulumi stack output --json` shows for a secret output."""
CHANGE_WORDS = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced"}


@dataclass(frozen=True)
class Violation:
    """A policy violation, as the engine reported it (level ``mandatory`` or ``advisory``)."""

    policy: str
    level: str
    resource: str
    message: str


@dataclass(frozen=True)
class StateResource:
    """One resource as the engine planned it (preview) or recorded it (state): what reports and audits read."""

    urn: str
    type: str
    inputs: dict[str, Any]
    """Its inputs (in a state export: its live outputs when it has them, as a refresh read them)."""
    provider: str
    """URN of its provider ("" for providers and components)."""

    @property
    def name(self) -> str:
        """The resource's name (the last part of its URN)."""
        return _resource_name(self.urn)


@dataclass
class Outcome:
    """What one engine operation did, from its event stream."""

    ok: bool
    changes: dict[str, int] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Names of the resources whose operation failed."""
    errors: list[str] = field(default_factory=list)
    """Error diagnostics (with the resource name when there is one)."""
    steps: list[tuple[str, str]] = field(default_factory=list)
    """(operation, resource name) of every resource the engine changed or would change."""
    locked_by: int | None = None
    """The pid holding the stack's lock, when the operation was refused because of it."""
    planned: list[StateResource] = field(default_factory=list)
    """Every resource the operation registered, with its inputs (secrets masked by the engine)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """The stack's outputs after a successful ``up`` (secret ones left out); empty for other operations."""
    output: str = ""
    """The CLI's own text, for a human reading a failure; never parsed."""

    def summary(self) -> str:
        """``+ 2 created, 5 unchanged`` in the engine's own words."""
        parts = [f"{n} {CHANGE_WORDS.get(op, op)}" for op, n in sorted(self.changes.items()) if op != "same" and n]
        if self.changes.get("same"):
            parts.append(f"{self.changes['same']} unchanged")
        return ", ".join(parts) or "no changes"

    @property
    def mandatory(self) -> list[Violation]:
        """The violations that block the operation."""
        return [v for v in self.violations if v.level == "mandatory"]


@functools.cache
def _command(pulumi: Path) -> auto.PulumiCommand:
    """The CLI for the Automation API, made once per process: each PulumiCommand runs `pulumi version`."""
    return auto.PulumiCommand(root=str(pulumi.parent.parent), skip_version_check=True)


def _resource_name(urn: str | None) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


class _Events:
    """Collects the structured events of one operation into an Outcome."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.outcome = Outcome(ok=True)
        self._progress = progress

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.policy_event is not None:
            policy = event.policy_event
            level = "mandatory" if policy.enforcement_level == "mandatory" else "advisory"
            # The engine sends the policy's description, a newline, then the violation's own message.
            description, _, message = policy.message.strip().partition("\n")
            self.outcome.violations.append(
                Violation(
                    policy.policy_name, level, _resource_name(policy.resource_urn), message.strip() or description
                )
            )
        if event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            name = _resource_name(event.diagnostic_event.urn)
            message = event.diagnostic_event.message.strip()
            self.outcome.errors.append(f"{name}: {message}" if name else message)
        if event.res_op_failed_event is not None:
            name = _resource_name(event.res_op_failed_event.metadata.urn)
            if name and name not in self.outcome.failed:
                self.outcome.failed.append(name)
        if event.summary_event is not None:
            self.outcome.changes = {str(k): int(v) for k, v in (event.summary_event.resource_changes or {}).items()}
        if event.res_outputs_event is not None:
            done = event.res_outputs_event.metadata
            op = auto.OpType(done.op).value
            if op == "refresh" and done.diffs:
                op = "update"  # a refresh that found drift: the engine counts it as an update
            if op not in ("same", "read", "refresh"):
                self.outcome.steps.append((op, _resource_name(done.urn)))
        if event.resource_pre_event is not None and event.resource_pre_event.metadata.new is not None:
            new = event.resource_pre_event.metadata.new
            provider = new.provider.rsplit("::", 1)[0] if new.provider else ""
            self.outcome.planned.append(StateResource(new.urn, new.type, dict(new.inputs or {}), provider))
        if event.resource_pre_event is not None and self._progress is not None:
            meta = event.resource_pre_event.metadata
            op = auto.OpType(meta.op).value
            if op not in ("same", "read") and meta.type != "pulumi:pulumi:Stack":
                self._progress(f"{op} {_resource_name(meta.urn)}")


@dataclass(frozen=True)
class Backend:
    """Where a stack's state lives: a backend URL and what the engine needs to reach it (store keys)."""

    url: str
    env: Mapping[str, str] = field(default_factory=dict)


class StackWorkspace:
    """One country stack, one workspace folder, one backend."""

    def __init__(
        self,
        settings: Settings,
        stack: str,
        *,
        folder: Path | None = None,
        project: Path | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.settings = settings
        self.stack = stack
        self.backend = backend
        """The stack's own backend (a local stack's country object store); default the settings'."""
        self.folder = (folder or settings.work / stack).resolve()
        self.project = project or settings.root
        """The Pulumi project the workspace runs (the repository; tests run programs of their own)."""
        self.stack_file = self.folder / "stacks" / f"Pulumi.{stack}.yaml"
        self._stack: auto.Stack | None = None
        """The selected stack, once: each selection is a CLI run (0.2 s of CPU against an object store)."""

    def env(self) -> dict[str, str]:
        """The engine's environment: scripts/env.sh, and the settings' backend."""
        env = dict(engine_env(self.settings.root))
        if self.settings.backend_url:
            env["PULUMI_BACKEND_URL"] = self.settings.backend_url
        if self.backend is not None:
            env |= {**self.backend.env, "PULUMI_BACKEND_URL": self.backend.url}
        backend = urlparse(env["PULUMI_BACKEND_URL"])
        if backend.scheme == "file":
            Path(backend.path).mkdir(parents=True, exist_ok=True)
        return env

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
        root = self.settings.root
        project = yaml.safe_load((self.project / "Pulumi.yaml").read_text())
        project["main"] = os.path.relpath(self.project, self.folder)
        # Absolute: plugins such as the dynamic-provider launcher resolve it from the program folder.
        project["runtime"]["options"]["virtualenv"] = str(root / ".venv")
        project["stackConfigDir"] = "stacks"
        (self.folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        committed = source or self.project / "stacks" / f"Pulumi.{self.stack}.yaml"
        data = (yaml.load(committed.read_text(), Loader=Yaml12Loader) if committed.exists() else None) or {}
        old = (yaml.load(self.stack_file.read_text(), Loader=Yaml12Loader) if self.stack_file.exists() else None) or {}
        # The workspace has its own salt and secrets: what a user set in the repository's copy stays there.
        for key in ("encryptionsalt", "secretsprovider", "encryptedkey"):
            data.pop(key, None)
        config = data.setdefault("config", {})
        for key in [k for k, v in config.items() if isinstance(v, dict) and "secure" in v]:
            del config[key]
        for key, value in (settings or {}).items():
            full = key if ":" in key else f"edgefed:{key}"
            if value is None:
                config.pop(full, None)
            else:
                config[full] = value
        for key in ("encryptionsalt", "secretsprovider", "encryptedkey"):
            if key in old:
                data[key] = old[key]
        # Secure values already set stay (they are bound to the salt kept above).
        for key, value in (old.get("config") or {}).items():
            if isinstance(value, dict) and "secure" in value and key not in config:
                config[key] = value
        self.stack_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self._stack = auto.Stack.create_or_select(self.stack, self._workspace())
        self._set_secrets(secrets or {}, config)
        return self._stack

    def _set_secrets(self, secrets: Mapping[str, str], config: Mapping[str, Any]) -> None:
        """Set each secret, except those the stack file already holds with the same value.

        One `pulumi config set --secret` per value (stdin keeps it off the command line) costs half a
        second with a remote backend, and jobs re-prepare the same stack many times. What was set is
        remembered as an HMAC keyed with the stack's encryption salt, never as the value.
        """
        digests_file = self.folder / ".secret-digests.json"
        digests: dict[str, str] = json.loads(digests_file.read_text()) if digests_file.exists() else {}

        def read_salt() -> str:
            return str((yaml.safe_load(self.stack_file.read_text()) or {}).get("encryptionsalt", ""))

        def digest(salt: str, key: str, value: str) -> str:
            return hmac.new(salt.encode(), f"{key}\0{value}".encode(), hashlib.sha256).hexdigest()

        salt = read_salt()
        for key, value in secrets.items():
            held = config.get(key)
            if isinstance(held, dict) and "secure" in held and salt and digests.get(key) == digest(salt, key, value):
                continue
            self.set_secret(key, value)
            salt = salt or read_salt()  # the first secret set in a new stack file writes its salt
            digests[key] = digest(salt, key, value)
        digests_file.write_text(json.dumps(digests))
        digests_file.chmod(0o600)

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

    def _run(self, operation: Callable[[_Events], object], progress: Callable[[str], None] | None) -> Outcome:
        events = _Events(progress)
        try:
            result = operation(events)
        except auto.ConcurrentUpdateError as error:
            events.outcome.ok = False
            events.outcome.locked_by = self._lock_holder()
            events.outcome.output = str(error)
        except auto.CommandError as error:
            events.outcome.ok = False
            events.outcome.output = str(error)
        else:
            events.outcome.output = str(getattr(result, "stdout", ""))
            outputs: Mapping[str, auto.OutputValue] = getattr(result, "outputs", None) or {}
            events.outcome.outputs = {k: v.value for k, v in outputs.items() if not v.secret}
        return events.outcome

    def _policy(self, policy: bool, config: Path | None) -> tuple[list[str] | None, list[str] | None]:
        """The --policy-pack and --policy-pack-config arguments (none when ``policy`` is off)."""
        if not policy:
            return None, None
        return [str(self.settings.pack)], [str(config or self.settings.pack_config(self.stack))]

    def preview(
        self, *, policy: bool = True, config: Path | None = None, progress: Callable[[str], None] | None = None
    ) -> Outcome:
        """``pulumi preview`` with the policy pack (``config``: its config, default the stack family's)."""
        packs, configs = self._policy(policy, config)
        return self._run(
            lambda events: self.select().preview(
                on_event=events, diff=False, policy_packs=packs, policy_pack_configs=configs
            ),
            progress,
        )

    def up(
        self,
        *,
        policy: bool = True,
        config: Path | None = None,
        continue_on_error: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> Outcome:
        """``pulumi up`` with the policy pack; ``continue_on_error`` lets other zones finish when one fails.

        The Automation API's ``up`` skips the engine's preview, and stack policies (the cross-border rule)
        then run only after resources were written. So with the pack, a preview with the pack runs first,
        and a mandatory violation returns its outcome with nothing written. A preview that fails for
        another reason (a server-side-apply dry run refused over a field someone changed by hand, which
        the update then takes back) does not stop the update: resource policies still run before each
        write, as without the preview.
        """
        packs, configs = self._policy(policy, config)
        if policy:
            checked = self.preview(config=config)
            if checked.mandatory:
                checked.output = (
                    f"not deployed, nothing written: the preview with the policy pack failed\n{checked.output}"
                )
                return checked
        return self._run(
            lambda events: self.select().up(
                on_event=events,
                continue_on_error=continue_on_error or None,
                suppress_progress=True,
                policy_packs=packs,
                policy_pack_configs=configs,
                show_secrets=False,
            ),
            progress,
        )

    def refresh(
        self,
        *,
        run_program: bool = False,
        clear_pending_creates: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> Outcome:
        """``pulumi refresh``; ``run_program`` reaches the zones through the providers the program builds now."""
        return self._run(
            lambda events: self.select().refresh(
                on_event=events,
                run_program=run_program or None,
                clear_pending_creates=clear_pending_creates or None,
                suppress_progress=True,
                show_secrets=False,
            ),
            progress,
        )

    def destroy(self, progress: Callable[[str], None] | None = None) -> Outcome:
        """``pulumi destroy``."""
        return self._run(
            lambda events: self.select().destroy(on_event=events, suppress_progress=True, show_secrets=False), progress
        )

    def cancel(self) -> None:
        """``pulumi cancel``: remove the lock of an update that no longer runs."""
        self.select().cancel()

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs (secret ones stay out: this is for summaries).

        One `pulumi stack output --json`, which masks secrets: the Automation API's ``outputs()`` runs the
        CLI a second time with ``--show-secrets`` and decrypts every secret, which nothing here reads.
        """
        masked = json.loads(self.cli("stack", "output", "--json").stdout or "{}")
        return {k: v for k, v in masked.items() if v != SECRET_SENTINEL}

    def export(self) -> dict[str, Any]:
        """The stack's deployment (``pulumi stack export``), secrets encrypted."""
        exported = self.select().export_stack()
        return dict(exported.deployment or {})

    def export_revealed(self) -> dict[str, Any]:
        """The deployment with its secrets decrypted, for in-process checks only (never print it).

        The audit needs each provider's kubeconfig to tell which server it really connects to.
        """
        result = self.cli("stack", "export", "--show-secrets", check=False)
        if result.returncode != 0:
            raise OpsError(f"{self.stack}: `pulumi stack export` failed ({result.returncode}): {result.stderr[-2000:]}")
        return dict(json.loads(result.stdout).get("deployment") or {})

    def _lock_holder(self) -> int | None:
        """The pid in the stack's lock file (file and S3 backends keep locks under .pulumi/locks/)."""
        env = self.env()
        backend = urlparse(env["PULUMI_BACKEND_URL"])
        if backend.scheme == "s3":
            return self._s3_lock_holder(env)
        if backend.scheme != "file":
            return None
        for lock in sorted(Path(backend.path, ".pulumi", "locks").glob(f"**/{self.stack}/*.json")):
            try:
                return int(json.loads(lock.read_text())["pid"])
            except (OSError, KeyError, ValueError):
                continue
        return None

    def _s3_lock_holder(self, env: Mapping[str, str]) -> int | None:
        backend = urlparse(env["PULUMI_BACKEND_URL"])
        params = parse_qs(backend.query)
        store = s3.client(
            params.get("endpoint", [""])[0], params.get("region", [""])[0],
            env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", ""),
        )  # fmt: skip
        listed = store.list_objects_v2(Bucket=backend.netloc, Prefix=".pulumi/locks/")
        for item in sorted(listed.get("Contents") or [], key=lambda o: str(o["Key"])):
            if f"/{self.stack}/" not in str(item["Key"]):
                continue
            try:
                body = store.get_object(Bucket=backend.netloc, Key=item["Key"])["Body"].read()
                return int(json.loads(body)["pid"])
            except (KeyError, ValueError):
                continue
        return None
