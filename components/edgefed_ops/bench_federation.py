"""Benchmark the federation plan and the full N-1 what-if on a generated federation at scale.

27 EU countries, 5 operators, >= 150 zones, 30 apps, >= 3,000 sites, one stack per country: the federation
plan plus every single-zone and every whole-country scenario. Then the same with twice the sites, and with
twice the zones, each time as a ratio against the first run in this process.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from edgefed.appspec import AppSpec
from edgefed.catalog import Catalog
from edgefed.federation import Federation, Member, plan_federation
from edgefed.geography import geography
from edgefed.placement import Engine
from edgefed.stackconfig import StackConfig
from edgefed.whatif import scenarios, what_if

# Rough centres (lat, lon) and spread in degrees of the EU's 27 countries, to scatter generated zones and sites.
CENTRES = {
    "AT": (47.6, 14.1, 1.0), "BE": (50.6, 4.6, 0.6), "BG": (42.7, 25.3, 1.2), "CY": (35.0, 33.2, 0.3),
    "CZ": (49.8, 15.5, 1.0), "DE": (51.1, 10.4, 2.5), "DK": (56.0, 10.0, 1.0), "EE": (58.7, 25.5, 0.8),
    "ES": (40.2, -3.7, 3.0), "FI": (62.0, 25.7, 2.5), "FR": (46.6, 2.4, 3.0), "GR": (39.0, 22.0, 1.8),
    "HR": (45.1, 15.2, 0.8), "HU": (47.1, 19.5, 1.0), "IE": (53.3, -8.0, 1.2), "IT": (42.8, 12.5, 3.0),
    "LT": (55.2, 23.9, 0.8), "LU": (49.8, 6.1, 0.2), "LV": (56.9, 24.6, 0.8), "MT": (35.9, 14.4, 0.1),
    "NL": (52.2, 5.5, 0.7), "PL": (52.1, 19.4, 2.0), "PT": (39.6, -8.0, 1.5), "RO": (45.9, 24.9, 1.8),
    "SE": (60.1, 15.6, 3.0), "SI": (46.1, 14.8, 0.4), "SK": (48.7, 19.7, 0.7),
}  # fmt: skip
OPERATORS = ("orange", "deutsche-telekom", "telefonica", "tim", "vodafone")


def generated(n_zones: int, n_sites: int, n_apps: int = 30, seed: int = 11) -> Federation:
    """A federation of the EU27 with ``n_zones`` zones and ``n_apps`` apps sharing ``n_sites`` sites."""
    rng = random.Random(seed)
    countries = sorted(CENTRES)

    def point(country: str) -> dict[str, float]:
        lat, lon, spread = CENTRES[country]
        return {"latitude": lat + rng.uniform(-spread, spread), "longitude": lon + rng.uniform(-spread, spread)}

    zones = [
        {
            "id": f"{OPERATORS[i % 5]}-{(cc := countries[i % len(countries)]).lower()}-{i:04d}",
            "name": f"zone {i}", "operator": OPERATORS[i % 5], "country": cc, "region": "r", "city": "c",
            "location": point(cc), "access_latency_ms": rng.uniform(1, 3),
            "capacity": {"cpu": 256, "memory_gib": 1024, "gpus": {"nvidia-l4": 8} if i % 3 == 0 else {}},
            "api_endpoint": f"https://api.zone-{i}.example:6443",
            "kubeconfig_secret": f"kc-{i}",
            "object_storage": {"endpoint": "https://s3.example.eu", "region": "eu", "credentials_secret": "s3"},
        }
        for i in range(n_zones)
    ]  # fmt: skip
    catalog = Catalog.model_validate(
        {
            "operators": [{"id": op, "name": op, "home_countries": [countries[i]]} for i, op in enumerate(OPERATORS)],
            "countries": [{"code": c, "name": c} for c in countries],
            "zones": zones,
        }
    )
    specs = []
    for a in range(n_apps):
        sites = []
        for s in range(n_sites // n_apps):
            cc = countries[(a + s) % len(countries)]
            budget = rng.choice((10, 15, 20))
            sites.append({"name": f"s{s:04d}", "country": cc, "location": point(cc), "latency_budget_ms": budget})
        gpu = {"gpu": {"model": "nvidia-l4"}} if a % 10 == 0 else {}
        restricted = a % 7 == 0  # restricted data never crosses a border: its apps say failover none
        specs.append(
            AppSpec.model_validate(
                {
                    "name": f"app-{a:02d}", "image": "registry.edgefed.eu/bench/app:1", "sites": sites,
                    "resources": {"cpu": 0.25, "memory_mib": 256, **gpu},
                    "replicas_per_zone": 1 + a % 3, "standby_replicas": 1,
                    "data_classification": "restricted" if restricted else "internal",
                    "failover": "none" if restricted else "any-in-residency" if a % 5 == 0 else "neighbour",
                    "failover_capacity": "standby" if a % 4 == 0 else None,
                    "home_operator": OPERATORS[a % 5],
                }
            )
        )  # fmt: skip
    geo = geography()
    members = []
    for cc in countries:
        nearby = {cc} | geo.neighbours.get(cc, frozenset())
        mine = tuple(s.model_copy(update={"sites": tuple(x for x in s.sites if x.country == cc)}) for s in specs)
        mine = tuple(s for s in mine if s.sites)
        config = StackConfig(
            country=cc,
            zones=tuple(z["id"] for z in zones if z["country"] in nearby),
            apps=tuple(s.name for s in mine),
        )
        members.append(Member(cc.lower(), f"<generated {cc}>", config, mine))
    return Federation(catalog, tuple(members), frozenset(), "<none>")


def timed(federation: Federation) -> tuple[float, float, int, int, int]:
    """Seconds for the plan and for the what-if; scenarios, unservable sites, gaps outages add.

    Unservable: the plan cannot serve them as asked even with every zone up; the gaps counted are the
    sites meant to survive that an outage leaves unserved beyond those.
    """
    engine = Engine(federation.catalog)
    start = time.perf_counter()
    plan = plan_federation(federation, engine=engine)
    planned = time.perf_counter() - start
    start = time.perf_counter()
    results = what_if(federation, engine=engine)
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
        federation = generated(n_zones, n_sites)
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
