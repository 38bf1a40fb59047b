"""The one synthetic federation every benchmark generates: EU27 zones and sites, seeded, validated.

Zones and sites are scattered around rough country centres; the catalog and app specs go through the
same models as committed ones, so a new input rule cannot break a benchmark unseen.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.inputs.geography import geography
from edgefed.core.inputs.stackconfig import StackConfig
from edgefed.core.placement.federation import Federation, Member

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
COUNTRIES = sorted(CENTRES)
OPERATORS = ("orange", "deutsche-telekom", "telefonica", "tim", "vodafone")


class Generator:
    """Seeded generation of zones, sites and apps."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def point(self, country: str) -> dict[str, float]:
        """A location around the country's centre."""
        lat, lon, spread = CENTRES[country]
        rng = self.rng
        return {"latitude": lat + rng.uniform(-spread, spread), "longitude": lon + rng.uniform(-spread, spread)}

    def catalog(self, n_zones: int, *, cpu: float = 256, memory_gib: float = 1024, gpu_every: int = 3) -> Catalog:
        """``n_zones`` zones over the EU27 and the five operators (every ``gpu_every``-th with 8 GPUs)."""
        zones = [
            {
                "id": f"{OPERATORS[i % 5]}-{(cc := COUNTRIES[i % len(COUNTRIES)]).lower()}-{i:04d}",
                "name": f"zone {i}", "operator": OPERATORS[i % 5], "country": cc, "region": "r", "city": "c",
                "location": self.point(cc), "access_latency_ms": self.rng.uniform(1, 3),
                "capacity": {"cpu": cpu, "memory_gib": memory_gib, "gpus": self._gpus(i, gpu_every)},
                "api_endpoint": f"https://api.zone-{i}.example:6443",
                "kubeconfig_secret": f"kc-{i}",
                "object_storage": {"endpoint": "https://s3.example.eu", "region": "eu", "credentials_secret": "s3"},
            }
            for i in range(n_zones)
        ]  # fmt: skip
        operators = [{"id": op, "name": op, "home_countries": [COUNTRIES[i]]} for i, op in enumerate(OPERATORS)]
        countries = [{"code": c, "name": c} for c in COUNTRIES]
        return Catalog.model_validate({"operators": operators, "countries": countries, "zones": zones})

    @staticmethod
    def _gpus(index: int, every: int) -> dict[str, int]:
        return {"nvidia-l4": 8} if every and index % every == 0 else {}

    def sites(self, count: int, countries: Sequence[str], budgets: Sequence[float] = (15,)) -> list[dict[str, Any]]:
        """``count`` sites, the i-th in ``countries[i % len]``."""
        out = []
        for i in range(count):
            cc = countries[i % len(countries)]
            out.append(
                {
                    "name": f"s{i:05d}",
                    "country": cc,
                    "location": self.point(cc),
                    "latency_budget_ms": self.rng.choice(budgets),
                }
            )
        return out


def app(name: str, sites: list[dict[str, Any]], **fields: Any) -> AppSpec:
    """An app spec with the benchmarks' defaults (a small container of the federation's registry)."""
    data = {
        "name": name, "image": "registry.edgefed.eu/bench/app:1", "sites": sites,
        "resources": {"cpu": 0.25, "memory_mib": 256}, "replicas_per_zone": 1, "home_operator": OPERATORS[0],
    }  # fmt: skip
    return AppSpec.model_validate({**data, **fields})


def federation(n_zones: int, n_sites: int, n_apps: int = 30, seed: int = 11) -> Federation:
    """The EU27 with ``n_zones`` zones and ``n_apps`` apps sharing ``n_sites`` sites; one stack per country."""
    make = Generator(seed)
    catalog = make.catalog(n_zones)
    specs = []
    for a in range(n_apps):
        countries = [COUNTRIES[(a + s) % len(COUNTRIES)] for s in range(len(COUNTRIES))]
        restricted = a % 7 == 0  # restricted data never crosses a border: its apps say failover none
        specs.append(
            app(
                f"app-{a:02d}", make.sites(n_sites // n_apps, countries, (10, 15, 20)),
                resources={"cpu": 0.25, "memory_mib": 256, **({"gpu": {"model": "nvidia-l4"}} if a % 10 == 0 else {})},
                replicas_per_zone=1 + a % 3, standby_replicas=1,
                data_classification="restricted" if restricted else "internal",
                failover="none" if restricted else "any-in-residency" if a % 5 == 0 else "neighbour",
                failover_capacity="standby" if a % 4 == 0 else None, home_operator=OPERATORS[a % 5],
            )
        )  # fmt: skip
    geo = geography()
    members = []
    for cc in COUNTRIES:
        nearby = {cc} | geo.neighbours.get(cc, frozenset())
        mine = tuple(s.model_copy(update={"sites": tuple(x for x in s.sites if x.country == cc)}) for s in specs)
        mine = tuple(s for s in mine if s.sites)
        zones = tuple(z.id for z in catalog.zones if z.country in nearby)
        apps = tuple(s.name for s in mine)
        config = StackConfig(country=cc, tenant="bench", contract="<generated>", zones=zones, apps=apps)
        members.append(Member(cc.lower(), f"<generated {cc}>", config, mine))
    return Federation(catalog, tuple(members), frozenset(), "<none>")
