"""Why a deploy failed, said so that a user can act: a stale lock, a zone that stopped answering."""

from __future__ import annotations

import os
from collections.abc import Sequence

from edgefed_ops.settings import Settings
from edgefed_ops.stack.events import Outcome


def explain_lock(settings: Settings, stack: str, outcome: Outcome) -> str | None:
    """For a stack locked by a `pulumi` that no longer runs (killed): how to recover; else None.

    The commands are printed whole, to be pasted into a new shell where this one ran.
    """
    pid = outcome.locked_by
    if pid is None:
        return None
    try:
        os.kill(pid, 0)
        return f"the stack is locked by pulumi pid {pid}, which still runs: wait for it"
    except OSError:
        pass
    cancel = settings.command_line("stack", stack, "--", "cancel", "--yes")
    clear = settings.command_line("stack", stack, "--", "refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    return (
        f"the stack is locked by pulumi pid {pid}, which no longer runs (killed?). Recover: `{cancel}`, then "
        f"`{clear}`, then deploy again"
    )


def explain_failure(
    settings: Settings, stack: str, zones: Sequence[str], silent: Sequence[str], outcome: Outcome
) -> str:
    """Which of the stack's ``zones`` failed the update (``silent``: those that do not answer now), what next."""
    failed: dict[str, list[str]] = {}
    for name in outcome.failed:
        failed.setdefault(next((z for z in zones if z in name), "other"), []).append(name)
    parts = []
    for z, names in sorted(failed.items()):
        state = "stopped answering during the update" if z in silent else "answers"
        part = f"zone {z} ({state}): {len(names)} resource(s) errored: {', '.join(sorted(names)[:4])}"
        # The zone's own words for the first of them (401, Forbidden, exceeded quota...): what to act on.
        said = next((e.partition(": ")[2] for e in outcome.errors if e.partition(": ")[0] in names), "")
        parts.append(f"{part} ({said})" if said else part)
    parts += [f"zone {z} does not answer now" for z in silent if z not in failed]
    advice = (
        f"; the other zones' changes were applied. Re-run once {' and '.join(silent)} is back, or mark it "
        f"unavailable: `{mark_unavailable(settings, stack, silent)}`"
        if silent
        else ""
    )
    return "; ".join(parts or outcome.errors[:3] or ["see the engine output above"]) + advice


def mark_unavailable(settings: Settings, stack: str, zones: Sequence[str]) -> str:
    """The deploy command that marks ``zones`` unavailable."""
    return settings.command_line("deploy", stack, "--unavailable", *zones)
