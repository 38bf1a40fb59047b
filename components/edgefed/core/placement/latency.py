"""Latency and nearest-zone search under the catalog's latency model.

Pure, no Pulumi import. Searching is indexed: for a site's 1 x 1 degree cell, candidate zones are kept
sorted by a lower bound of their latency, and a scan stops once that bound exceeds the best latency found.
The result equals a naive scan of every zone (``search="naive"``), which tests and the benchmark compare
against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from edgefed.core.inputs.appspec import Site
from edgefed.core.inputs.catalog import Catalog, Zone
from edgefed.core.inputs.geography import EARTH_RADIUS_KM
from edgefed.core.inputs.jurisdiction import DEFAULT_EU_JURISDICTION_CLASSES, eu_jurisdiction_zones
from edgefed.core.placement.capacity import EPSILON

Candidate = Callable[[Zone], bool]
"""Whether a zone may be chosen (available, has capacity...)."""


def _better(
    latency: float, zone: Zone, ok: Candidate, budget: float, best: tuple[float, str, Zone] | None
) -> tuple[float, str, Zone] | None:
    """``best`` updated with ``zone`` if it is in budget, acceptable, and lower (ties: lower id)."""
    if latency > budget + EPSILON or (best is not None and (latency, zone.id) >= best[:2]):
        return best
    return (latency, zone.id, zone) if ok(zone) else best


@dataclass(frozen=True)
class _Point:
    """A location in radians with its cosine of latitude, for fast haversine distances."""

    lat: float
    lon: float
    cos_lat: float

    @staticmethod
    def of(latitude: float, longitude: float) -> _Point:
        lat = math.radians(latitude)
        return _Point(lat, math.radians(longitude), math.cos(lat))


def _km(a: _Point, b: _Point) -> float:
    """Haversine distance; the same formula as :func:`edgefed.core.inputs.geography.distance_km`."""
    h = math.sin((b.lat - a.lat) / 2) ** 2 + a.cos_lat * b.cos_lat * math.sin((b.lon - a.lon) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class _Candidate:
    zone: Zone
    point: _Point
    base_ms: float  # access latency plus interconnect, for one home operator


_CELL_DEGREES = 1.0


class _Index:
    """Candidate zones of a set of countries (for one home operator), with per-cell scan orders.

    A site's cell (1 x 1 degree) keeps its zones sorted by a lower bound of their latency from any
    point of the cell: base latency plus distance from the cell centre minus the cell's radius
    (triangle inequality). A scan stops once that bound exceeds the best latency found.
    """

    def __init__(self, candidates: list[_Candidate], ms_per_km: float) -> None:
        self.candidates = candidates
        self.ms_per_km = ms_per_km
        self.cells: dict[tuple[int, int], list[tuple[float, str, _Candidate]]] = {}

    def order(self, latitude: float, longitude: float) -> list[tuple[float, str, _Candidate]]:
        key = (math.floor(latitude / _CELL_DEGREES), math.floor(longitude / _CELL_DEGREES))
        cell = self.cells.get(key)
        if cell is None:
            south, west = key[0] * _CELL_DEGREES, key[1] * _CELL_DEGREES
            centre = _Point.of(south + _CELL_DEGREES / 2, west + _CELL_DEGREES / 2)
            corners = [_Point.of(south + dy, west + dx) for dy in (0, _CELL_DEGREES) for dx in (0, _CELL_DEGREES)]
            radius = max(_km(centre, corner) for corner in corners) + 1e-6
            cell = sorted(
                (c.base_ms + max(0.0, _km(centre, c.point) - radius) * self.ms_per_km, c.zone.id, c)
                for c in self.candidates
            )
            self.cells[key] = cell
        return cell


class ZoneSearch:
    """Latency and best-zone search on one catalog; keeps its indexes between calls."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        search: Literal["indexed", "naive"] = "indexed",
        eu_law_classes: Collection[str] = DEFAULT_EU_JURISDICTION_CLASSES,
    ) -> None:
        self.catalog = catalog
        self.search = search
        self.eu_law_classes = frozenset(eu_law_classes)
        """Data classes that may use only zones of operators under EU/EEA law (the pack config's
        ``require-eu-jurisdiction``), as primaries, standbys and failover targets alike."""
        self.eu_law_zones = eu_jurisdiction_zones(catalog)
        self._ms_per_km = catalog.latency.ms_per_100km / 100.0
        self.by_country: dict[str, list[Zone]] = {}
        for zone in catalog.zones:
            self.by_country.setdefault(zone.country, []).append(zone)
        self._points = {z.id: _Point.of(z.location.latitude, z.location.longitude) for z in catalog.zones}
        self._indexes: dict[tuple[frozenset[str], str | None], _Index] = {}
        # Site points by location object (immutable models); the entry keeps the object alive, so that its
        # id is never reused for another location while cached, and the identity check makes sure.
        self._sites: dict[int, tuple[object, _Point]] = {}

    # -- latency ---------------------------------------------------------------------------------------

    def _base_ms(self, zone: Zone, home_operator: str | None) -> float:
        extra = self.catalog.latency.interconnect_ms if home_operator and zone.operator != home_operator else 0.0
        return zone.access_latency_ms + extra

    def latency_ms(self, site: Site, zone: Zone, home_operator: str | None) -> float:
        """Estimated round-trip latency from ``site`` to ``zone`` under the catalog's latency model."""
        point = _Point.of(site.location.latitude, site.location.longitude)
        return self._base_ms(zone, home_operator) + _km(point, self._points[zone.id]) * self._ms_per_km

    # -- search ----------------------------------------------------------------------------------------

    def _candidates(self, countries: frozenset[str], home: str | None) -> list[_Candidate]:
        return [
            _Candidate(z, self._points[z.id], self._base_ms(z, home))
            for c in sorted(countries)
            for z in self.by_country.get(c, [])
        ]

    def within(self, site: Site, countries: frozenset[str], budget: float, home: str | None) -> frozenset[str]:
        """Ids of the zones of ``countries`` (any status) within ``budget`` of ``site``."""
        found: set[str] = set()

        def collect(zone: Zone) -> bool:
            found.add(zone.id)
            return False  # never accepted: the scan visits every zone within budget

        self.best(site, countries, collect, budget, home)
        return frozenset(found)

    def best(
        self, site: Site, countries: frozenset[str], ok: Candidate, budget: float, home: str | None
    ) -> tuple[Zone, float] | None:
        """Lowest-latency zone in ``countries`` accepted by ``ok`` within ``budget``; ties to lowest id."""
        cached = self._sites.get(id(site.location))
        if cached is not None and cached[0] is site.location:
            here = cached[1]
        else:
            here = _Point.of(site.location.latitude, site.location.longitude)
            self._sites[id(site.location)] = (site.location, here)
        ms_per_km = self._ms_per_km
        best: tuple[float, str, Zone] | None = None
        if self.search == "naive":
            for zone in self.catalog.zones:
                if zone.country in countries:
                    latency = self._base_ms(zone, home) + _km(here, self._points[zone.id]) * ms_per_km
                    best = _better(latency, zone, ok, budget, best)
        else:
            index = self._indexes.get((countries, home))
            if index is None:
                index = self._indexes[(countries, home)] = _Index(self._candidates(countries, home), ms_per_km)
            limit = budget + EPSILON
            sin, asin, sqrt = math.sin, math.asin, math.sqrt
            for bound, _, candidate in index.order(site.location.latitude, site.location.longitude):
                if bound > limit:
                    break
                # Inlined _km: this loop is the hot path of placement.
                there = candidate.point
                h = (
                    sin((there.lat - here.lat) / 2) ** 2
                    + here.cos_lat * there.cos_lat * sin((there.lon - here.lon) / 2) ** 2
                )
                latency = candidate.base_ms + 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h))) * ms_per_km
                best = _better(latency, candidate.zone, ok, budget, best)
                if best is not None:
                    limit = min(budget, best[0]) + EPSILON
        return (best[2], best[0]) if best else None
