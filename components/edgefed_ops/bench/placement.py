"""Benchmark placement: 10,000 sites over 1,000 zones, indexed engine vs a naive all-pairs scan.

Both run in this process on the same generated federation (seeded), and must produce the same plan.
"""

from __future__ import annotations

import statistics
import time

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.placement.placer import Placer, Plan
from edgefed_ops.bench import synthetic
from edgefed_ops.errors import OpsError


def federation(n_zones: int, n_sites: int, seed: int = 7) -> tuple[Catalog, AppSpec]:
    """A generated catalog of ``n_zones`` roomy zones and one app with ``n_sites`` sites (15 ms budgets)."""
    make = synthetic.Generator(seed)
    catalog = make.catalog(n_zones, cpu=4096, memory_gib=16384, gpu_every=0)
    countries = [make.rng.choice(synthetic.COUNTRIES) for _ in range(n_sites)]
    return catalog, synthetic.app("bench", make.sites(n_sites, countries), resources={"cpu": 0.1, "memory_mib": 64})


def timed(placer: Placer, spec: AppSpec, repeat: int) -> tuple[list[float], Plan]:
    """Place ``spec`` ``repeat`` times: the times and the (last) plan."""
    times: list[float] = []
    plan: Plan | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        plan = placer.place(spec)
        times.append(time.perf_counter() - start)
    assert plan is not None
    return times, plan


def run(sites: int = 10_000, zones: int = 1_000, repeat: int = 5, naive_sites: int = 1_000) -> list[str]:
    """Run the benchmark; the lines it reports."""
    lines: list[str] = []
    catalog, spec = federation(zones, sites)
    indexed = Placer(catalog)
    times, plan = timed(indexed, spec, repeat)
    best = min(times)
    lines.append(
        f"indexed: {sites} sites x {zones} zones: best {best * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms over {repeat} runs "
        f"({best / sites * 1e6:.1f} us/site)"
    )

    # Same federation, fewer sites for the naive baseline; compare per-site cost and check equality.
    sub = spec.model_copy(update={"sites": spec.sites[:naive_sites]})
    naive_times, naive_plan = timed(Placer(catalog, search="naive"), sub, 1)
    sub_times, sub_plan = timed(indexed, sub, 3)
    if naive_plan != sub_plan:
        raise OpsError("bench: the indexed and naive engines disagree")
    naive_per_site = naive_times[0] / naive_sites
    indexed_per_site = min(sub_times) / naive_sites
    lines.append(
        f"naive all-pairs: {naive_sites} sites in {naive_times[0] * 1000:.0f} ms "
        f"({naive_per_site * 1e6:.1f} us/site; {naive_per_site * sites:.1f} s extrapolated to {sites})"
    )
    lines.append(f"indexed on the same {naive_sites} sites: {min(sub_times) * 1000:.0f} ms; plans identical")
    lines.append(f"ratio naive/indexed: {naive_per_site / indexed_per_site:.1f}x")
    served = sum(1 for s in plan.sites if s.serving)
    lines.append(f"sites served: {served}/{sites}; zones used: {len(plan.zones)}")

    return lines
