"""Whether each zone counts as available, from the probes of several watchers: the takeover's decisions.

Pure: probe results in, the federation's outage state and the actions it implies out; the watcher
(``edgefed watch``) feeds it and acts. The rules, for each zone:

- **down**: a majority of the watchers that reported within the probe horizon each saw the zone fail
  ``failures`` probes in a row. A zone one watcher cannot reach while the others can is not down on
  that watcher's word alone (a partition between that watcher and the zone).
- **fenced**: a down zone that answers again (a majority sees ``successes`` probes in a row) is not yet
  available: its primaries are drained first (it stays in the outage state, drained), so it never
  serves beside the failover zone.
- **available again** (failback): once it has been answering for the ``stabilization`` window without a
  failed round; a failure in the window starts the window again, so a flapping zone fails over once
  and fails back once per window at most.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class ZoneState(enum.Enum):
    """Where a zone stands in the takeover."""

    UP = "up"
    DOWN = "down"
    FENCED = "fenced"
    """Answering again, primaries being drained, not yet serving: still in the outage state."""


@dataclass(frozen=True)
class Probe:
    """One watcher's probe of one zone."""

    watcher: str
    zone: str
    at: float
    """Seconds (monotonic within one watcher set)."""
    ok: bool
    """API server ready, nodes ready and (where the catalog gives one) the CAMARA zone status available."""


@dataclass(frozen=True)
class HealthRules:
    """The thresholds of the takeover (the watcher's configuration)."""

    failures: int = 3
    """Failed probes in a row (per watcher) before that watcher sees the zone down. Default 3: with a 2 s
    interval a zone is declared down about 6 s after it dies, and one lost probe is not an outage."""
    successes: int = 2
    """Successful probes in a row before a down zone counts as answering again (then it is fenced)."""
    stabilization: float = 60.0
    """Seconds a fenced zone must answer without a failure before traffic fails back. Default 60."""
    horizon: float = 30.0
    """Watchers whose last probe is older than this are not counted (a watcher that died has no vote)."""
    max_failbacks: int = 1
    """Zones failing back in one step; the others wait for the next. Each app then moves home at most this
    many zones at once (default 1: a returning country fails back zone by zone)."""

    def __post_init__(self) -> None:
        if (
            self.failures < 1 or self.successes < 1 or self.stabilization < 0 or self.horizon <= 0
            or self.max_failbacks < 1
        ):  # fmt: skip
            raise ValueError(f"health rules out of range: {self}")


@dataclass(frozen=True)
class Action:
    """What the watcher must do now for one zone, and why."""

    zone: str
    kind: str
    """``fail over`` (declared down: deploy without it), ``fence`` (answering again: drain its primaries,
    keep it out), or ``fail back`` (stable for the window: deploy with it)."""
    why: str


@dataclass
class _Streak:
    ok: bool = True
    count: int = 0
    last: float = float("-inf")


@dataclass
class ZoneHealth:
    """The takeover state of every zone, updated probe by probe."""

    rules: HealthRules = field(default_factory=HealthRules)
    states: dict[str, ZoneState] = field(default_factory=dict)
    stable_since: dict[str, float] = field(default_factory=dict)
    """When each fenced zone last started an unbroken run of answers."""
    _streaks: dict[tuple[str, str], _Streak] = field(default_factory=dict)

    def observe(self, probes: Iterable[Probe]) -> list[Action]:
        """Record probes (in time order) and return the actions they imply, in order."""
        actions: list[Action] = []
        for probe in probes:
            streak = self._streaks.setdefault((probe.watcher, probe.zone), _Streak())
            if streak.ok == probe.ok:
                streak.count += 1
            else:
                streak.ok, streak.count = probe.ok, 1
            streak.last = probe.at
            action = self._decide(probe.zone, probe.at, self._failbacks_left(actions))
            if action is not None:
                actions.append(action)
        return actions

    def report(self, watcher: str, zone: str, ok: bool, count: int, at: float) -> None:
        """Take a watcher's own account of its latest probes of ``zone`` (``count`` in a row were ``ok``).

        Watchers in other processes publish their streaks in the watchers' store; the leader reads them
        all and decides with :meth:`tick`.
        """
        self._streaks[(watcher, zone)] = _Streak(ok, count, at)

    def tick(self, now: float) -> list[Action]:
        """Actions due at ``now`` from the streaks known (time alone lets a fenced zone fail back)."""
        actions: list[Action] = []
        for zone in sorted({zone for _, zone in self._streaks} | set(self.states)):
            action = self._decide(zone, now, self._failbacks_left(actions))
            if action is not None:
                actions.append(action)
        return actions

    def _failbacks_left(self, actions: list[Action]) -> bool:
        return sum(a.kind == "fail back" for a in actions) < self.rules.max_failbacks

    def unavailable(self) -> frozenset[str]:
        """The federation's outage state: zones down or fenced (deployed as unavailable, drained)."""
        return frozenset(zone for zone, state in self.states.items() if state is not ZoneState.UP)

    def _votes(self, zone: str, now: float) -> tuple[int, int, int]:
        """(watchers counted, of them seeing it down, of them seeing it answering again)."""
        counted = down = back = 0
        for (_, seen_zone), streak in self._streaks.items():
            if seen_zone != zone or now - streak.last > self.rules.horizon:
                continue
            counted += 1
            down += not streak.ok and streak.count >= self.rules.failures
            back += streak.ok and streak.count >= self.rules.successes
        return counted, down, back

    def _decide(self, zone: str, now: float, may_fail_back: bool = True) -> Action | None:
        state = self.states.get(zone, ZoneState.UP)
        counted, down, back = self._votes(zone, now)
        majority = counted // 2 + 1
        if state is ZoneState.UP and counted and down >= majority:
            self.states[zone] = ZoneState.DOWN
            return Action(zone, "fail over", f"{down} of {counted} watchers saw {self.rules.failures} failed probes")
        if state is ZoneState.DOWN and counted and back >= majority:
            self.states[zone] = ZoneState.FENCED
            self.stable_since[zone] = now
            return Action(zone, "fence", f"{back} of {counted} watchers see it answer again: drain it first")
        if state is ZoneState.FENCED:
            if counted and back < majority:
                self.stable_since[zone] = now  # a failed round in the window: the window starts again
                return None
            if now - self.stable_since[zone] >= self.rules.stabilization and may_fail_back:
                self.states[zone] = ZoneState.UP
                del self.stable_since[zone]
                return Action(zone, "fail back", f"answering for {self.rules.stabilization:g} s without a failure")
        return None


def resumed(states: Mapping[str, ZoneState], rules: HealthRules, now: float) -> ZoneHealth:
    """The health of a federation whose outage state a previous leader left: it goes on from there.

    A zone it had fenced starts its stabilization window again now (its earlier answers were not seen).
    """
    fenced = {zone: now for zone, state in states.items() if state is ZoneState.FENCED}
    return ZoneHealth(rules=rules, states=dict(states), stable_since=fenced)
