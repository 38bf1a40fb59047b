"""Replays of a traced placement: an outage re-decides only the sites whose zones it touches.

:class:`Trace` records what every site did under every rule of one placement; :func:`replay` places
the same requests with other zones down, reusing each decision that no changed zone could affect. The
result equals a placement from scratch (tested), at the cost of the sites the outage reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from edgefed.core.inputs.appspec import Site
from edgefed.core.placement.capacity import EPSILON, Demand, Usage, take
from edgefed.core.placement.latency import ZoneSearch
from edgefed.core.placement.plan import Plan, Request, Role
from edgefed.core.placement.siterules import AppRun, SiteRule, failover_scope


def replay_placement(
    search: ZoneSearch, requests: Sequence[Request], down: frozenset[str], usage: Usage, trace: Trace
) -> list[Plan]:
    """Place ``requests`` again with ``down`` unavailable, re-deciding only what the change can affect.

    A decision is reused when its site is unchanged so far and none of the zones it depended on
    (:attr:`Trace.relevant`) is *dirty*: down or up differently from the trace, or used differently so far
    (any zone a re-decided site assigned differently). An app none of whose sites needs deciding again is
    never even built: its capacity is taken from the trace and its traced plan returned.
    """
    dirty = trace.dirty_from(requests, down)
    runs: dict[int, AppRun] = {}
    changed: set[tuple[int, str]] = set()  # sites whose earlier decision differed: decide again
    cpu, memory, gpus = usage.cpu, usage.memory_gib, usage.gpus
    for index, union, block_takes, steps in trace.blocks:
        if index not in runs and union.isdisjoint(dirty):
            # The whole block (one app, one rule) is unaffected: take its capacity, decide nothing.
            for zone_id, demand in block_takes:  # capacity.take, inlined: this runs per block and scenario
                cpu[zone_id] = cpu.get(zone_id, 0.0) + demand.cpu
                memory[zone_id] = memory.get(zone_id, 0.0) + demand.memory_gib
                if demand.gpu_model is not None:
                    gpus[(zone_id, demand.gpu_model)] = gpus.get((zone_id, demand.gpu_model), 0) + demand.gpus
            continue
        _replay_block(search, requests, down, usage, trace, runs, dirty, changed, index, steps)
    return [runs[i].plan() if i in runs else trace.plans[i] for i in range(len(requests))]


def _replay_block(
    search: ZoneSearch,
    requests: Sequence[Request],
    down: frozenset[str],
    usage: Usage,
    trace: Trace,
    runs: dict[int, AppRun],
    dirty: set[str],
    changed: set[tuple[int, str]],
    index: int,
    steps: Sequence[_Step],
) -> None:
    """One block of :func:`_replay`, site by site."""
    for _, site, rule, relevant, takes, step in steps:
        run = runs.get(index)
        if relevant.isdisjoint(dirty) and (index, site.name) not in changed:
            if run is not None:
                run.repeat(rule, site, step)
            else:
                for zone_id, demand in takes:
                    take(search.catalog.zone_by_id[zone_id], demand, usage)
            continue
        if run is None:
            run = runs[index] = AppRun(search, requests[index].spec, down, requests[index].zones, usage)
            for earlier_site, earlier_rule, earlier_step in trace.by_run[index]:
                if earlier_site is site and earlier_rule == rule:
                    break
                run.repeat(earlier_rule, earlier_site, earlier_step, account=False)
        run.holdings.new_step()
        run.decide(rule, site)
        before, decision = step
        now = run.decision(rule, site)
        if tuple(run.holdings.log) != before:
            dirty |= {zone for zone, _ in run.holdings.log} | {zone for zone, _ in before}
        if tuple(run.holdings.log) != before or now != decision:
            changed.add((index, site.name))


_Decision = tuple[tuple[tuple[str, "Role"], ...], object]
"""A traced decision: the (zone id, role) pairs it assigned, and its result."""
_Step = tuple[int, Site, SiteRule, frozenset[str], tuple[tuple[str, Demand], ...], _Decision]


@dataclass
class Trace:
    """What each site did in each rule of one placement, for replays (:meth:`.Placer.place_together`).

    A variant with a few zones changed reuses every decision those zones cannot affect.
    """

    by_run: dict[int, list[tuple[Site, SiteRule, _Decision]]] = field(default_factory=dict)
    """Request index to its (site, rule, step) decisions in order."""
    blocks: list[tuple[int, frozenset[str], tuple[tuple[str, Demand], ...], list[_Step]]] = field(default_factory=list)
    """The decisions of one request under one rule, in order: (request index, every zone they depended
    on, every capacity they took, the decisions). A decision is (request index, site, rule, the zones
    whose state could change it, the capacity it took, the step). Those zones: when a zone was chosen at
    some latency, the zones at most that far (the nearer ones were refused); otherwise every zone within
    budget of the countries the rule searched."""
    plans: tuple[Plan, ...] = ()
    """The traced plans."""
    apps: tuple[str, ...] = ()
    """The apps of the traced requests, in order."""
    down: frozenset[str] = frozenset()
    """The zones unavailable in the traced run."""

    def start(self, requests: Sequence[Request], down: frozenset[str]) -> None:
        """Forget any earlier run; record this one's requests and outage."""
        self.by_run.clear()
        self.blocks.clear()
        self.apps = tuple(r.spec.name for r in requests)
        self.down = down

    def record(self, run: AppRun, index: int, site: Site, rule: SiteRule) -> None:
        """Record the decision ``run`` just took for ``site`` under ``rule``, and what it depended on."""
        decision: object = run.decision(rule, site)
        step: _Decision = (tuple(run.holdings.log), decision)
        self.by_run.setdefault(index, []).append((site, rule, step))
        budget, home, own = site.latency_budget_ms, run.spec.home_operator, frozenset([site.country])
        scope, _, _ = failover_scope(run, site)
        primary = run.primaries.get(site.name)
        static: tuple[frozenset[str], float] = (frozenset(), 0.0)  # the decision depends on no zone's state
        searched: tuple[frozenset[str], float]
        if rule is SiteRule.IN_COUNTRY_PRIMARY:
            searched = (own, primary[1] + EPSILON) if primary else (own, budget)
        elif rule is SiteRule.OUTAGE_FAILOVER:
            outcome = run.outcome.get(site.name)
            never_served = (
                outcome is not None and outcome.cause == "configuration" and outcome.reason in ("budget", "no-zone")
            )
            # Nothing to do, or no usable zone of its country in budget at all: the decision never changes.
            searched = static if primary is not None or never_served else (own | scope, budget)
        else:
            outcome = run.outcome.get(site.name)
            if primary is None or not scope:
                searched = static  # nothing to search: no primary, or no failover allowed
            elif outcome is not None and outcome.failover_latency_ms is not None:
                searched = (scope, outcome.failover_latency_ms + EPSILON)
            else:
                searched = (scope | own, budget)
        countries, limit = searched
        relevant = run.search.within(site, countries, limit, home) if countries else frozenset()
        takes = tuple((zone.id, demand) for zone, demand in run.holdings.taken)
        entry = (index, site, rule, relevant, takes, step)
        last = self.blocks[-1] if self.blocks else None
        if last is not None and last[0] == index and last[3][0][2] == rule:
            self.blocks[-1] = (index, last[1] | relevant, last[2] + takes, [*last[3], entry])
        else:
            self.blocks.append((index, relevant, takes, [entry]))

    def dirty_from(self, requests: Sequence[Request], down: frozenset[str]) -> set[str]:
        """The zones that differ from the traced run at the start: those whose availability changed."""
        if tuple(r.spec.name for r in requests) != self.apps or not self.blocks:
            raise ValueError("replay: the trace is of other requests; trace these first")
        return set(down ^ self.down)
