"""The watchers' actions on the stacks of a report: read from the watchers' store of the local federation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from edgefed_ops.failover.store import StoreClient, StoreError
from edgefed_ops.failover.takeover_state import TakeoverState
from edgefed_ops.reports.audit import StackEvidence
from edgefed_ops.reports.sovereignty import TakeoverAction
from edgefed_ops.settings import Settings
from edgefed_ops.stack.local_stacks import LocalStacks


def takeover_actions(settings: Settings, stack: str) -> list[TakeoverAction]:
    """Every action of the tenant's watchers that deployed ``stack``.

    None for a stack outside the local federation, or when its watchers' store does not run (then no
    watcher acted: the store keeps the log for as long as the federation runs).
    """
    if stack not in settings.app_stack_names(local=True):
        return []
    stacks = LocalStacks(settings)
    store = stacks.federation.watch_store
    if not any(store.running(country) for country in store.countries):
        return []
    state = TakeoverState(StoreClient(store.endpoints(), timeout=3), stacks.contract(stack).tenant)
    try:
        log = state.log()
    except StoreError:
        return []
    return actions_of(log, stack)


def actions_of(log: list[dict[str, Any]], stack: str) -> list[TakeoverAction]:
    """The entries of the watchers' action log that deployed ``stack``, as the report shows them."""
    out = []
    for entry in log:
        if stack not in {s["stack"] for s in entry["stacks"]}:
            continue
        sites = [
            f"{s['app']} {s['site']}: " + (f"serving {s['serving']}" if s["serving"] else f"UNSERVED, {s['problem']}")
            + (f" ({s['explanation']})" if s.get("explanation") else "")
            for s in entry["sites"] if s["stack"] == stack
        ]  # fmt: skip
        at = datetime.fromtimestamp(entry["at"], UTC).isoformat(timespec="seconds")
        out.append(
            TakeoverAction(
                at=at,
                kind=entry["kind"],
                zone=entry["zone"],
                watcher=entry["watcher"],
                why=entry["why"],
                unavailable=entry["unavailable"],
                sites=sites,
            )
        )
    return out


def with_takeover(settings: Settings, found: list[StackEvidence]) -> None:
    """Add to each stack's report (from its state) the watchers' actions that deployed it."""
    for evidence in found:
        if evidence.report.source == "state":
            actions = takeover_actions(settings, evidence.report.stack)
            evidence.report = evidence.report.model_copy(update={"takeover": actions})
