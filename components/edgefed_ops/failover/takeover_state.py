"""The takeover's runtime state in the watchers' store, one tenant's under ``edgefed/watch/<tenant>/``.

- ``seen/<watcher>/<zone>``: each watcher's latest streak of probes of a zone, bound to its lease (a
  watcher that dies stops voting when its lease ends);
- ``zones``: the outage state (zones down or fenced), which only the leader writes;
- ``pending``: the deploy the leader has decided and not yet seen succeed (outage state to deploy with and
  the stacks to update): a leader that dies mid-failover leaves it for the next one to finish;
- ``log/<time>``: every action taken, with the plan's explanation (``edgefed report`` shows it).

Nothing here is committed to the repository: the outage state of a running federation is runtime state.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from edgefed_ops.failover.health import Action, ZoneState
from edgefed_ops.failover.store import Leader, StoreClient


@dataclass(frozen=True)
class Seen:
    """One watcher's latest streak of probes of one zone."""

    watcher: str
    zone: str
    ok: bool
    count: int
    """Probes in a row with this verdict."""
    at: float
    """When the last one ended (seconds since the epoch: watchers are separate processes)."""
    why: str = ""
    """Why the last one failed."""


@dataclass(frozen=True)
class Pending:
    """A deploy decided by a leader, not yet seen to succeed."""

    unavailable: tuple[str, ...]
    """The outage state to deploy with."""
    stacks: tuple[str, ...]
    """The stacks whose slice changed, or whose zones must be drained (fenced)."""
    actions: tuple[Action, ...]
    """The actions that decided it, oldest first."""
    leader: str
    at: float
    urgent: tuple[str, ...] = ()
    """Of ``stacks``, those in which a site changes the zone serving it: deployed first."""


class TakeoverState:
    """One tenant's takeover state in the watchers' store."""

    def __init__(self, client: StoreClient, tenant: str) -> None:
        self.client, self.tenant = client, tenant
        self.prefix = f"edgefed/watch/{tenant}/"

    @property
    def election(self) -> str:
        """The election of the tenant's watchers."""
        return f"{self.prefix}leader"

    def publish(self, seen: Seen, lease: int | None) -> None:
        """Publish a watcher's streak (bound to its lease)."""
        self.client.put(f"{self.prefix}seen/{seen.watcher}/{seen.zone}", json.dumps(asdict(seen)), lease)

    def seen(self) -> list[Seen]:
        """Every watcher's latest streak of every zone."""
        return [Seen(**json.loads(value)) for value in self.client.range(f"{self.prefix}seen/").values()]

    def zones(self) -> dict[str, ZoneState]:
        """The outage state: zones down or fenced."""
        raw = json.loads(self.client.get(f"{self.prefix}zones") or "{}")
        return {zone: ZoneState(state) for zone, state in raw.items()}

    def pending(self) -> Pending | None:
        """The deploy a leader decided and has not seen succeed."""
        raw = self.client.get(f"{self.prefix}pending")
        if raw is None:
            return None
        data = json.loads(raw)
        return Pending(
            tuple(data["unavailable"]), tuple(data["stacks"]), tuple(Action(**a) for a in data["actions"]),
            data["leader"], float(data["at"]), tuple(data.get("urgent", ())),
        )  # fmt: skip

    def begin(self, leader: Leader, zones: dict[str, ZoneState], pending: Pending) -> bool:
        """Record the new outage state and the deploy it needs, while ``leader`` still leads."""
        down = {zone: state.value for zone, state in sorted(zones.items()) if state is not ZoneState.UP}
        body = {**asdict(pending), "actions": [asdict(a) for a in pending.actions]}
        return self.client.put_as_leader(
            leader, {f"{self.prefix}zones": json.dumps(down), f"{self.prefix}pending": json.dumps(body)}
        )

    def finish(self, leader: Leader, entries: list[dict[str, Any]]) -> bool:
        """The pending deploy succeeded: log its actions and clear it, while ``leader`` still leads."""
        now = time.time_ns()
        writes: dict[str, str | None] = {f"{self.prefix}pending": None}
        for index, entry in enumerate(entries):
            writes[f"{self.prefix}log/{now:020d}-{index:03d}"] = json.dumps(entry)
        return self.client.put_as_leader(leader, writes)

    def log(self) -> list[dict[str, Any]]:
        """Every action taken, oldest first."""
        return [json.loads(value) for value in self.client.range(f"{self.prefix}log/").values()]
