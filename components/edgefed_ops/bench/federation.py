"""Benchmark the federation plan and the full N-1 what-if on a generated federation at scale.

27 EU countries, 5 operators, >= 150 zones, 30 apps, >= 3,000 sites, one stack per country: the federation
plan plus every single-zone and every whole-country scenario. Then the same with twice the sites, and with
twice the zones, each time as a ratio against the first run in this process.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from edgefed.core.placement.federation import Federation, plan_federation
from edgefed.core.placement.whatif import scenarios, what_if
from edgefed_ops.bench import synthetic


def timed(federation: Federation) -> tuple[float, float, int, int, int]:
    """Seconds for the plan and for the what-if; scenarios, unservable sites, gaps outages add.

    Unservable: the plan cannot serve them as asked even with every zone up; the gaps counted are the
    sites meant to survive that an outage leaves unserved beyond those.
    """
    placer = federation.placer()
    start = time.perf_counter()
    plan = plan_federation(federation, placer=placer)
    planned = time.perf_counter() - start
    start = time.perf_counter()
    results = what_if(federation, placer=placer)
    took = time.perf_counter() - start
    broken = {(p.stack, p.app, p.site.site) for p in plan.problems}
    added = sum(1 for r in results for g in r.gaps if (g.stack, g.app, g.site) not in broken)
    return planned, took, len(results), len(broken), added


def run(progress: Callable[[str], None] = print) -> list[str]:
    """Run the benchmark; the lines it reports."""
    lines: list[str] = []
    cases = (("base", 155, 3000), ("2x sites", 155, 6000), ("2x zones", 310, 3000), ("2x both", 310, 6000))
    baseline = 0.0
    for label, n_zones, n_sites in cases:
        progress(f"bench: generating {label}: {n_zones} zones, {n_sites} sites")
        federation = synthetic.federation(n_zones, n_sites)
        count = len(scenarios(federation.catalog))
        planned, whatif, n, broken, gaps = timed(federation)
        total = planned + whatif
        baseline = baseline or total
        sites = sum(len(s.sites) for m in federation.members for s in m.specs)
        lines.append(
            f"{label:9} {len(federation.members)} countries, {n_zones} zones, {sites} sites, 30 apps: plan "
            f"{planned:.2f} s + what-if of {n} of {count} scenarios {whatif:.2f} s = {total:.2f} s "
            f"({total / baseline:.2f}x base); {broken} site(s) unservable as asked even with every zone up, "
            f"{gaps} outage gap(s) beyond those"
        )
    return lines
