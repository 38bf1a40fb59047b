"""EU/EEA countries, their neighbour graph and great-circle distances.

The data lives in ``data/geography.yaml`` (sources named there). Placement and the policy pack both read it
through this module, so there is exactly one list of the countries where edgefed data may live.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pycountry
import yaml

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), used for great-circle distances."""


@dataclass(frozen=True)
class Geography:
    """The EU/EEA country set and its neighbour graph."""

    eu: Mapping[str, str]
    """EU member states, ISO 3166-1 alpha-2 code to English name."""
    eea: Mapping[str, str]
    """EU plus EEA countries (IS, LI, NO): where edgefed data may live."""
    neighbours: Mapping[str, frozenset[str]]
    """EU/EEA country to its EU/EEA neighbours over land or a direct sea link."""
    outside_eea_neighbours: Mapping[str, frozenset[str]]
    """EU/EEA country to its land neighbours outside the EU/EEA (never a placement target)."""
    iso_codes: frozenset[str]
    """All officially assigned ISO 3166-1 alpha-2 codes (from pycountry, a maintained ISO 3166 package)."""

    def is_eea(self, country: str) -> bool:
        """Tell whether ``country`` is an EU/EEA country."""
        return country in self.eea

    def are_neighbours(self, a: str, b: str) -> bool:
        """Tell whether two EU/EEA countries share a land border or a direct sea link."""
        return b in self.neighbours.get(a, frozenset())

    def name(self, country: str) -> str:
        """English name of an EU/EEA country, or the code itself for any other country."""
        return self.eea.get(country, country)


def _pairs_to_graph(countries: Iterable[str], pairs: Iterable[list[str]]) -> dict[str, frozenset[str]]:
    graph: dict[str, set[str]] = {code: set() for code in countries}
    for a, b in pairs:
        if a not in graph or b not in graph:
            raise ValueError(f"geography.yaml: neighbour pair {a}-{b} names a country outside the EU/EEA")
        graph[a].add(b)
        graph[b].add(a)
    return {code: frozenset(neigh) for code, neigh in graph.items()}


@cache
def geography() -> Geography:
    """Load the packaged geography data once per process."""
    text = resources.files("edgefed").joinpath("core/inputs/data/geography.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=yaml.CSafeLoader)  # libyaml: a tenth of the pure-Python parse
    eu: dict[str, str] = dict(raw["eu"])
    eea = {**eu, **raw["eea_only"]}
    neighbours = _pairs_to_graph(eea, [*raw["land"], *raw["sea"]])
    outside = {code: frozenset(raw["outside_eea_neighbours"].get(code, [])) for code in eea}
    iso = frozenset(country.alpha_2 for country in pycountry.countries)
    return Geography(eu=eu, eea=eea, neighbours=neighbours, outside_eea_neighbours=outside, iso_codes=iso)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
