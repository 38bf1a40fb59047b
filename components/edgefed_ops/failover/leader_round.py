"""The leading watcher's round: decide from every watcher's streaks, deploy what the decisions need, log it.

On a decision the leader records the new outage state and the deploy it needs (``pending``) in the
watchers' store, as leader only; runs ``pulumi up`` with the policy pack for exactly the stacks whose
slice of the federation plan changed (and, for a fenced zone, the stacks that use it), the stacks in which
a site changes serving zone first, alone (on two cores they would otherwise share the CPU with updates
that only move standbys); and once every update succeeded, logs each action with the plan's explanation
and clears ``pending``. A leader that dies leaves ``pending``: the next one deploys it, first recovering
a stack lock left by an update that no longer runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from edgefed.core.inputs.stackconfig import raw_from_stack_file
from edgefed.core.placement.federation import Federation, load_federation
from edgefed_ops.failover import lock_recovery, plugins
from edgefed_ops.failover.fast_path import FastPath, Promoter, arrivals, identities, released_objects
from edgefed_ops.failover.fencing import Fencing
from edgefed_ops.failover.health import Action, HealthRules, ZoneHealth, resumed
from edgefed_ops.failover.prechecks import PreChecks
from edgefed_ops.failover.replan import Handover, Replan, replan
from edgefed_ops.failover.store import Leader
from edgefed_ops.failover.takeover_state import Pending, TakeoverState
from edgefed_ops.failover.watch_config import TenantScope
from edgefed_ops.stack.deploy import DeployReport


class LeaderRound:
    """What one watcher does in each round it leads; its view of the zones lasts while it leads."""

    def __init__(
        self,
        scope: TenantScope,
        name: str,
        rules: HealthRules,
        state: TakeoverState,
        fencing: Fencing,
        progress: Callable[[str], None],
        fast: tuple[Promoter, PreChecks] | None = None,
    ) -> None:
        self.scope, self.name, self.rules, self.state = scope, name, rules, state
        self.fencing, self.progress = fencing, progress
        self.fast = fast
        """The fast path's promoter and the outages' pre-checks (``None``: every takeover is a full `up`)."""
        self._idle = 0
        self.health: ZoneHealth | None = None
        """The leader's view; ``None`` while not leading (a new leader resumes from the store)."""
        self._federation: Federation | None = None

    def resign(self) -> None:
        """Forget the view: the next leader (perhaps this one again) resumes from the store."""
        self.health = None

    def run(self, leader: Leader) -> list[Action]:
        """Decide from every watcher's streaks; deploy what the decisions (and an unfinished one) need."""
        health = self.health or self._resume()
        before = health.unavailable()
        seen = self.state.seen()
        for one in seen:
            health.report(one.watcher, one.zone, one.ok, one.count, one.at)
        answering = {one.zone for one in seen if one.ok and one.watcher == self.name}
        for zone in sorted(before & answering):
            scaled = self.fencing.drain(zone)
            if scaled:
                self.progress(f"watch {self.name}: {zone} answers again: scaled to 0 {', '.join(scaled)}")
        actions = health.tick(time.time())
        pending = self.state.pending()
        if not actions and pending is None:
            self._judge_outages()
            return []
        decided, moved = self._decide(before, health.unavailable(), actions, pending)
        if not self.state.begin(leader, health.states, decided):
            self.health = None  # no longer leads: the successor owns the outage state
            return actions
        # A country's zones are often declared down in successive rounds: the second one still takes the
        # fast path, beside the deploy the first one left pending.
        failing_over = any(a.kind == "fail over" for a in actions)
        fast = self._fast_path(moved, decided) if failing_over and moved.urgent else None
        self._apply(leader, decided, moved.handovers, fast)
        return actions

    def _judge_outages(self) -> None:
        """While nothing happens, every tenth round: judge the outages' slices the pack has not judged yet."""
        self._idle = (self._idle + 1) % 10
        if self.fast is not None and self._idle == 1:
            self.fast[1].ensure(self._plan_federation())

    def _fast_path(self, moved: Replan, decided: Pending) -> FastPath:
        """Promote the warm standbys the new plan names, when the outage's slice was checked beforehand."""
        if self.fast is None:
            return FastPath(why_not="the fast path is off (--no-fast-path)")
        promoter, prechecks = self.fast
        assert moved.before is not None and moved.after is not None
        found = arrivals(moved.before, moved.after, moved.urgent)
        why = prechecks.verdict(decided.unavailable) or ("" if found else "no new primary to bring up")
        done = FastPath(why_not=why) if why else promoter.bring_up(found)
        if done.written:  # the `up` that records them releases the fields, this leader or its successor
            recorded = self.state.client.get(self._fast_key)
            earlier = json.loads(recorded) if recorded else []  # an earlier fast path's, not released yet
            self.state.client.put(self._fast_key, json.dumps([*earlier, *(identities(a) for a in done.written)]))
        if done.taken:
            served = ", ".join(f"{a.stack}/{a.app} in {a.zone} x{a.replicas}" for a in done.arrived)
            self.progress(f"watch {self.name}: fast path: {served} in {done.seconds:.2f} s; up records it")
        else:
            self.progress(f"watch {self.name}: fast path not taken ({done.why_not}): full up")
        return done

    def _resume(self) -> ZoneHealth:
        self.health = resumed(self.state.zones(), self.rules, time.time())
        self.progress(f"watch {self.name}: leads; outage state {sorted(self.health.unavailable()) or '-'}")
        reaped = plugins.reap_orphans(self.scope.deploy.settings.root)  # a dead leader's engine may have left some
        if reaped:
            self.progress(f"watch {self.name}: {len(reaped)} orphaned plugin process(es) stopped")
        return self.health

    def _decide(
        self, before: frozenset[str], after: frozenset[str], actions: Sequence[Action], pending: Pending | None
    ) -> tuple[Pending, Replan]:
        """The deploy the actions need, merged with an unfinished one; the handovers of its failbacks."""
        moved = replan(self._plan_federation(), self.scope.stacks, before, after)
        stacks = set(pending.stacks if pending else ()) | set(moved.changed)
        urgent = set(pending.urgent if pending else ()) | set(moved.urgent)
        for action in actions:
            self.progress(f"watch {self.name}: {action.kind} {action.zone}: {action.why}")
            if action.kind == "fence":
                stacks |= set(self.scope.users_of(action.zone))
        ordered = self.scope.stacks
        decided = Pending(
            tuple(sorted(after)), tuple(s for s in ordered if s in stacks),
            (*(pending.actions if pending else ()), *actions), self.name, pending.at if pending else time.time(),
            tuple(s for s in ordered if s in urgent),
        )  # fmt: skip
        return decided, moved

    @property
    def _fast_key(self) -> str:
        return f"{self.state.prefix}fast"

    def _release(self) -> None:
        """Once `up` has recorded what the fast path applied, the fast path gives up its fields (``up`` owns them)."""
        recorded = self.state.client.get(self._fast_key)
        if recorded is None or self.fast is None:
            return
        released = self.fast[0].release(released_objects(json.loads(recorded)))
        self.state.client.delete(self._fast_key)
        self.progress(f"watch {self.name}: fast path: {released} object(s) handed to the stacks' `up`")

    def federation(self) -> Federation:
        """The tenant's federation with every zone up (the outage state is the decisions', not its file's)."""
        return self._plan_federation()

    def _plan_federation(self) -> Federation:
        if self._federation is None:
            deploy, stack = self.scope.deploy, self.scope.stacks[0]
            raw = raw_from_stack_file(deploy.settings.root / "stacks" / f"Pulumi.{stack}.yaml")
            catalog, _ = deploy.stacks.catalog_settings()
            raw.update({f"edgefed:{key}": str(value) for key, value in catalog.items()})
            raw["edgefed:outages"] = str(deploy.stacks.write_outages([]))
            self._federation = load_federation(deploy.settings.root, stack, raw, [])
        return self._federation

    def _apply(
        self, leader: Leader, pending: Pending, handovers: Sequence[Handover] = (), fast: FastPath | None = None
    ) -> None:
        began = time.time()
        stop = threading.Event()
        helpers = [
            threading.Thread(target=self.fencing.hand_over, args=(handovers, stop), name="handover", daemon=True),
            threading.Thread(
                target=self.fencing.keep_drained, args=(pending.unavailable, self._answering, stop),
                name="fence", daemon=True,
            ),
        ]  # fmt: skip
        for helper in helpers:
            helper.start()
        try:
            reports = self._deploy(pending) if pending.stacks else []
        finally:
            stop.set()
            for helper in helpers:
                helper.join()
        failed = [r for r in reports if not r.ok]
        for report in failed:
            self.progress(f"watch {self.name}: {report.stack}: {report.problem}")
        if failed:
            return  # pending stays: the next round deploys it again
        self._release()
        entries = [_entry(action, pending, reports, self.name, began, fast) for action in pending.actions]
        if self.state.finish(leader, entries):
            self.progress(
                f"watch {self.name}: outage state {list(pending.unavailable) or '-'} deployed to "
                f"{', '.join(pending.stacks) or 'no stack'} in {time.time() - began:.0f} s"
            )

    def _answering(self) -> set[str]:
        """The zones this watcher's own last probes found answering."""
        return {one.zone for one in self.state.seen() if one.ok and one.watcher == self.name}

    def _deploy(self, pending: Pending) -> list[DeployReport]:
        first = [s for s in pending.stacks if s in pending.urgent]
        rest = [s for s in pending.stacks if s not in pending.urgent]
        return [r for wave in (first, rest) if wave for r in self._deploy_wave(wave, pending.unavailable)]

    def _deploy_wave(self, stacks: Sequence[str], unavailable: Sequence[str]) -> list[DeployReport]:
        """Deploy one wave; a stack whose lock a dead update holds is recovered and deployed again at once.

        Within the wave, not after the last one: the urgent stacks (a site changes its serving zone) are
        the ones a leader that died mid-failover was deploying, and they stay first.
        """
        deploy = self.scope.deploy
        reports = deploy.run(stacks, unavailable)
        stale = [r.stack for r in reports if r.locked_by is not None and not lock_recovery.runs(r.locked_by)]
        if not stale:
            return reports
        for stack in stale:
            self.progress(f"watch {self.name}: {lock_recovery.recover(deploy, stack, unavailable)}")
        again = {r.stack: r for r in deploy.run(stale, unavailable)}
        return [again.get(r.stack, r) for r in reports]


def _entry(
    action: Action,
    pending: Pending,
    reports: Sequence[DeployReport],
    watcher: str,
    began: float,
    fast: FastPath | None = None,
) -> dict[str, Any]:
    """A log entry: the action, the fast path's new primaries (or why not), what was deployed, each site's plan."""
    arrived = [
        {"stack": a.stack, "app": a.app, "zone": a.zone, "replicas": a.replicas} for a in (fast.arrived if fast else ())
    ]
    fast_path = {"arrived": arrived, "seconds": round(fast.seconds, 2), "notTaken": fast.why_not} if fast else None
    return {
        "fastPath": fast_path,
        "at": began, "decided": pending.at, "done": time.time(), "watcher": watcher, "zone": action.zone,
        "kind": action.kind, "why": action.why,
        "unavailable": list(pending.unavailable),
        "stacks": [{"stack": r.stack, "seconds": round(r.seconds, 1), "changes": r.changes} for r in reports],
        "sites": [
            {"stack": r.stack, "app": s["app"], "site": s["site"], "serving": s["serving"],
             "failedOver": s["failedOver"], "problem": s["problem"], "explanation": s.get("explanation", "")}
            for r in reports for s in r.sites
        ],
    }  # fmt: skip
