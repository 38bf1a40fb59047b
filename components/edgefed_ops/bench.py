"""Benchmark placement: 10,000 sites over 1,000 zones, indexed engine vs a naive all-pairs scan.

Both run in this process on the same generated federation (seeded), and must produce the same plan.
"""

from __future__ import annotations

import random
import statistics
import time

from edgefed.appspec import AppSpec
from edgefed.catalog import Catalog
from edgefed.placement import Engine, Plan
from edgefed_ops.errors import OpsError

# Rough centres (lat, lon) and spread in degrees of the countries used for generated zones and sites.
CENTRES = {
    "FR": (46.6, 2.4, 3.0),
    "DE": (51.1, 10.4, 2.5),
    "IT": (42.8, 12.5, 3.0),
    "ES": (40.2, -3.7, 3.0),
    "PT": (39.6, -8.0, 1.5),
    "BE": (50.6, 4.6, 0.6),
    "NL": (52.2, 5.5, 0.7),
    "AT": (47.6, 14.1, 1.0),
    "PL": (52.1, 19.4, 2.0),
    "CZ": (49.8, 15.5, 1.0),
    "DK": (56.0, 10.0, 1.0),
    "SE": (60.1, 15.6, 3.0),
    "FI": (62.0, 25.7, 2.5),
    "IE": (53.3, -8.0, 1.2),
    "GR": (39.0, 22.0, 1.8),
    "RO": (45.9, 24.9, 1.8),
    "HU": (47.1, 19.5, 1.0),
    "SK": (48.7, 19.7, 0.7),
    "SI": (46.1, 14.8, 0.4),
    "HR": (45.1, 15.2, 0.8),
}


def federation(n_zones: int, n_sites: int, seed: int = 7) -> tuple[Catalog, AppSpec]:
    """A generated federation of ``n_zones`` zones and one app with ``n_sites`` sites."""
    rng = random.Random(seed)
    countries = sorted(CENTRES)

    def point(country: str) -> dict[str, float]:
        lat, lon, spread = CENTRES[country]
        return {"latitude": lat + rng.uniform(-spread, spread), "longitude": lon + rng.uniform(-spread, spread)}

    zones = [
        {
            "id": f"zone-{i:04d}",
            "name": f"zone {i}",
            "operator": f"op-{i % 5}",
            "country": (country := countries[i % len(countries)]),
            "region": "r",
            "city": "c",
            "location": point(country),
            "capacity": {"cpu": 4096, "memory_gib": 16384},
            "access_latency_ms": rng.uniform(1, 4),
            "api_endpoint": f"https://api.zone-{i}.example:6443",
            "kubeconfig_secret": f"kc-{i}",
            "object_storage": {"endpoint": "https://s3.example", "region": "eu", "credentials_secret": "s3"},
        }
        for i in range(n_zones)
    ]
    catalog = Catalog.model_validate(
        {
            "operators": [{"id": f"op-{i}", "name": f"Op {i}", "home_countries": ["FR"]} for i in range(5)],
            "countries": [{"code": c, "name": c} for c in countries],
            "zones": zones,
        }
    )
    sites = [
        {
            "name": f"site-{i:05d}",
            "country": (c := rng.choice(countries)),
            "location": point(c),
            "latency_budget_ms": 15,
        }
        for i in range(n_sites)
    ]
    spec = AppSpec.model_validate(
        {
            "name": "bench",
            "image": "registry.example.eu/bench/app:1",
            "resources": {"cpu": 0.1, "memory_mib": 64},
            "replicas_per_zone": 1,
            "home_operator": "op-0",
            "sites": sites,
        }
    )
    return catalog, spec


def timed(engine: Engine, spec: AppSpec, repeat: int) -> tuple[list[float], Plan]:
    """Place ``spec`` ``repeat`` times: the times and the (last) plan."""
    times: list[float] = []
    plan: Plan | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        plan = engine.place(spec)
        times.append(time.perf_counter() - start)
    assert plan is not None
    return times, plan


def run(sites: int = 10_000, zones: int = 1_000, repeat: int = 5, naive_sites: int = 1_000) -> list[str]:
    """Run the benchmark; the lines it reports."""
    lines: list[str] = []
    catalog, spec = federation(zones, sites)
    indexed = Engine(catalog)
    times, plan = timed(indexed, spec, repeat)
    best = min(times)
    lines.append(
        f"indexed: {sites} sites x {zones} zones: best {best * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms over {repeat} runs "
        f"({best / sites * 1e6:.1f} us/site)"
    )

    # Same federation, fewer sites for the naive baseline; compare per-site cost and check equality.
    sub = spec.model_copy(update={"sites": spec.sites[:naive_sites]})
    naive_times, naive_plan = timed(Engine(catalog, engine="naive"), sub, 1)
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
