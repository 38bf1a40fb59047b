"""What one engine operation did, read from the engine's structured events (never from its text output)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi import automation as auto

CHANGE_WORDS = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced"}

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
"""How the engine marks a secret value in its events and state exports (the key of the mark)."""
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"
"""The mark's value: ``{SECRET_SIGNATURE: SECRET_MARK, "plaintext" | "ciphertext" | "value": ...}``."""


def resource_name(urn: str | None) -> str:
    """The name of a resource: the last part of its URN."""
    return urn.rsplit("::", 1)[-1] if urn else ""


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
        return resource_name(self.urn)


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
    stack_outputs: tuple[dict[str, Any], dict[str, Any]] | None = None
    """The stack's outputs (those the state holds, those the program gave now), when the engine reported them."""
    warnings: int = 0
    """How many warnings the engine reported (a pending operation of an interrupted update is one)."""
    output: str = ""
    """The CLI's own text, for a human reading a failure; never parsed."""

    def summary(self) -> str:
        """``+ 2 created, 5 unchanged`` in the engine's own words."""
        parts = [f"{n} {CHANGE_WORDS.get(op, op)}" for op, n in sorted(self.changes.items()) if op != "same" and n]
        if self.changes.get("same"):
            parts.append(f"{self.changes['same']} unchanged")
        return ", ".join(parts) or "no changes"

    @property
    def writes_nothing(self) -> bool:
        """A preview after which ``up`` would only write back the state held: the engine's own check.

        Every resource the same, the stack's outputs as the state holds them (no secret among them, whose
        masked values could hide a change), no warning (an interrupted update's pending operation).
        """
        if not self.ok or self.stack_outputs is None or self.warnings or self.failed or self.errors:
            return False
        if not self.changes or set(self.changes) != {"same"}:
            return False
        held, now = self.stack_outputs
        shown = json.dumps(now, sort_keys=True, default=str)
        return held == now and SECRET_SIGNATURE not in shown and "[secret]" not in shown

    @property
    def mandatory(self) -> list[Violation]:
        """The violations that block the operation."""
        return [v for v in self.violations if v.level == "mandatory"]


class EventCollector:
    """Collects the structured events of one operation into an :class:`Outcome` (an ``on_event`` callback)."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.outcome = Outcome(ok=True)
        self._progress = progress

    def __call__(self, event: auto.EngineEvent) -> None:
        """Take one event into the outcome."""
        if event.policy_event is not None:
            self._policy(event.policy_event)
        if event.diagnostic_event is not None and event.diagnostic_event.severity == "warning":
            self.outcome.warnings += 1
        if event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            name = resource_name(event.diagnostic_event.urn)
            message = event.diagnostic_event.message.strip()
            self.outcome.errors.append(f"{name}: {message}" if name else message)
        if event.res_op_failed_event is not None:
            name = resource_name(event.res_op_failed_event.metadata.urn)
            if name and name not in self.outcome.failed:
                self.outcome.failed.append(name)
        if event.summary_event is not None:
            self.outcome.changes = {str(k): int(v) for k, v in (event.summary_event.resource_changes or {}).items()}
        if event.res_outputs_event is not None:
            self._done(event.res_outputs_event.metadata)
        if event.resource_pre_event is not None:
            self._planned(event.resource_pre_event.metadata)

    def _policy(self, policy: auto.PolicyEvent) -> None:
        level = "mandatory" if policy.enforcement_level == "mandatory" else "advisory"
        # The engine sends the policy's description, a newline, then the violation's own message.
        description, _, message = policy.message.strip().partition("\n")
        self.outcome.violations.append(
            Violation(policy.policy_name, level, resource_name(policy.resource_urn), message.strip() or description)
        )

    def _done(self, done: auto.StepEventMetadata) -> None:
        op = auto.OpType(done.op).value
        if done.type == "pulumi:pulumi:Stack":
            held = dict(done.old.outputs or {}) if done.old else {}
            self.outcome.stack_outputs = (held, dict(done.new.outputs or {}) if done.new else {})
        if op == "refresh" and done.diffs:
            op = "update"  # a refresh that found drift: the engine counts it as an update
        if op not in ("same", "read", "refresh"):
            self.outcome.steps.append((op, resource_name(done.urn)))

    def _planned(self, meta: auto.StepEventMetadata) -> None:
        new = meta.new
        if new is not None:
            provider = new.provider.rsplit("::", 1)[0] if new.provider else ""
            self.outcome.planned.append(StateResource(new.urn, new.type, dict(new.inputs or {}), provider))
        op = auto.OpType(meta.op).value
        if self._progress is not None and op not in ("same", "read") and meta.type != "pulumi:pulumi:Stack":
            self._progress(f"{op} {resource_name(meta.urn)}")
