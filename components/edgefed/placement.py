"""Placement: which zone serves each customer site, and which zone takes over when it fails.

Pure logic with no Pulumi import, shared by the components and by the policy pack. A plan is a pure
function of (catalog, app spec, stack zones, unavailable zones): when a zone comes back, the same call
returns its sites to it (failback) with no hidden state to get stuck in.

Rules, in order:

1. The *primary* zone of a site is the active, available zone of the site's own country with the lowest
   latency (catalog latency model) inside the site's budget and with capacity left; ties go to the
   lowest zone id, so the plan is deterministic.
2. Its *failover* zone is the best zone in another country allowed by the failover mode (a neighbour in
   the residency, or any residency country), inside the budget and with capacity for the standby
   replicas. ``restricted`` data never gets one: it never crosses a border.
3. When the site's country cannot serve it because zones are down (an outage: every zone within budget
   is down, or the down ones are the only ones that would fit, such as the country's GPU zone), the site
   is served from a failover zone; if it may not fail over, the plan says why and the site is unserved.
4. A site that cannot be served even with every zone up (no zone in budget, no capacity, residency
   forbidding every neighbour) is a configuration problem: :meth:`Plan.raise_for_problems` stops the
   program before any resource is registered.

Searching is indexed: candidate zones are kept sorted by latitude, and a scan moves outwards from the
site's latitude until the latitude distance alone exceeds the best latency found. The result equals a
naive scan of every zone (``engine="naive"``), which tests and the benchmark compare against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from edgefed.appspec import AppSpec, Site
from edgefed.catalog import Catalog, Zone
from edgefed.geography import EARTH_RADIUS_KM, geography
from edgefed.residency import failover_countries

Cause = Literal["outage", "configuration"]
Role = Literal["primary", "standby", "drained"]
_EPSILON = 1e-9


class PlacementError(ValueError):
    """One or more sites cannot be served even with every zone up: the inputs must change."""


@dataclass(frozen=True, kw_only=True)
class SitePlacement:
    """Where one site is served, where it fails over, and why."""

    site: str
    """Site name."""
    country: str
    """The site's country."""
    primary: str | None
    """The in-country zone serving the site, or ``None`` when no zone of the country is usable."""
    primary_latency_ms: float | None
    """Estimated round-trip latency to ``primary``."""
    failover: str | None
    """The zone in another country that takes over, holding standby replicas, or ``None``."""
    failover_latency_ms: float | None
    """Estimated round-trip latency to ``failover``."""
    serving: str | None
    """The zone serving the site now: ``primary``, or ``failover`` during an outage."""
    explanation: str
    """One line saying why."""
    problem: str | None = None
    """Why the site is not served, if it is not."""
    cause: Cause | None = None
    """``outage`` (zones are down) or ``configuration`` (inputs must change), when unserved."""

    @property
    def failed_over(self) -> bool:
        """True when the site is served across the border because its country's zones are down."""
        return self.serving is not None and self.serving != self.primary


@dataclass(frozen=True)
class ZoneAssignment:
    """What one app runs in one zone."""

    zone: str
    """Zone id."""
    country: str
    """Zone country (static: policies decide on it at preview time)."""
    operator: str
    """Zone operator (static, for the same reason)."""
    role: Role
    """``primary`` when the zone serves at least one site, ``standby`` when it only waits for failover,
    ``drained`` when the zone is unavailable: its objects stay declared with no replicas."""
    replicas: int
    """Replicas to run there."""
    sites: tuple[str, ...]
    """Sites served (primary) or covered (standby) by this zone."""
    drained_from: Literal["primary", "standby"] | None = None
    """For a drained zone, the role it has when every zone is up."""


@dataclass(frozen=True)
class Plan:
    """The placement of one app."""

    app: str
    """App name."""
    sites: tuple[SitePlacement, ...]
    """One entry per site, in site-name order."""
    zones: tuple[ZoneAssignment, ...]
    """One entry per zone used, in zone-id order."""

    @property
    def problems(self) -> list[SitePlacement]:
        """Sites that are not served, or served without the failover their app asks for."""
        return [s for s in self.sites if s.problem is not None]

    def raise_for_problems(self) -> None:
        """Raise :class:`PlacementError` if any site is unserved for a configuration reason."""
        bad = [s for s in self.problems if s.cause == "configuration"]
        if bad:
            lines = [f"app {self.app!r}: {len(bad)} site(s) cannot be served:"]
            lines += [f"  - site {s.site!r} ({s.country}): {s.problem}" for s in bad]
            raise PlacementError("\n".join(lines))

    def explain(self) -> list[str]:
        """One line per site."""
        return [s.explanation for s in self.sites]

    def to_dict(self) -> dict[str, object]:
        """Plain data for stack outputs and for the policy pack."""
        return {
            "app": self.app,
            "sites": {
                s.site: {
                    "country": s.country,
                    "primary": s.primary,
                    "primaryLatencyMs": _round(s.primary_latency_ms),
                    "failover": s.failover,
                    "failoverLatencyMs": _round(s.failover_latency_ms),
                    "serving": s.serving,
                    "failedOver": s.failed_over,
                    "explanation": s.explanation,
                    "problem": s.problem,
                }
                for s in self.sites
            },
            "zones": {
                z.zone: {
                    "country": z.country,
                    "operator": z.operator,
                    "role": z.role,
                    "drainedFrom": z.drained_from,
                    "replicas": z.replicas,
                    "sites": list(z.sites),
                }
                for z in self.zones
            },
        }


def _unserved(site: Site, problem: str, cause: Cause) -> SitePlacement:
    """A site that is not served, and why."""
    explanation = f"site {site.name} ({site.country}): unserved: {problem}"
    return SitePlacement(
        site=site.name, country=site.country, primary=None, primary_latency_ms=None, failover=None,
        failover_latency_ms=None, serving=None, explanation=explanation, problem=problem, cause=cause,
    )  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class Usage:
    """Capacity already taken in each zone, threaded through the apps of one stack."""

    cpu: dict[str, float] = field(default_factory=dict)
    """Cores taken per zone."""
    memory_gib: dict[str, float] = field(default_factory=dict)
    """GiB taken per zone."""
    gpus: dict[tuple[str, str], int] = field(default_factory=dict)
    """GPUs taken per (zone, model)."""


@dataclass(frozen=True)
class _Demand:
    cpu: float
    memory_gib: float
    gpu_model: str | None
    gpus: int

    @staticmethod
    def of(spec: AppSpec, replicas: int) -> _Demand:
        res = spec.resources
        return _Demand(
            cpu=res.cpu * replicas,
            memory_gib=res.memory_mib * replicas / 1024,
            gpu_model=res.gpu.model if res.gpu else None,
            gpus=(res.gpu.count * replicas) if res.gpu else 0,
        )


def _fits(zone: Zone, demand: _Demand, usage: Usage) -> bool:
    cap = zone.capacity
    if usage.cpu.get(zone.id, 0.0) + demand.cpu > cap.cpu + _EPSILON:
        return False
    if usage.memory_gib.get(zone.id, 0.0) + demand.memory_gib > cap.memory_gib + _EPSILON:
        return False
    if demand.gpu_model is not None:
        have = cap.gpus.get(demand.gpu_model, 0)
        return usage.gpus.get((zone.id, demand.gpu_model), 0) + demand.gpus <= have
    return True


def _take(zone: Zone, demand: _Demand, usage: Usage) -> None:
    usage.cpu[zone.id] = usage.cpu.get(zone.id, 0.0) + demand.cpu
    usage.memory_gib[zone.id] = usage.memory_gib.get(zone.id, 0.0) + demand.memory_gib
    if demand.gpu_model is not None:
        key = (zone.id, demand.gpu_model)
        usage.gpus[key] = usage.gpus.get(key, 0) + demand.gpus


Candidate = Callable[[Zone], bool]


def _better(
    latency: float, zone: Zone, ok: Candidate, budget: float, best: tuple[float, str, Zone] | None
) -> tuple[float, str, Zone] | None:
    """``best`` updated with ``zone`` if it is in budget, acceptable, and lower (ties: lower id)."""
    if latency > budget + _EPSILON or (best is not None and (latency, zone.id) >= best[:2]):
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
    """Haversine distance; the same formula as :func:`edgefed.geography.distance_km`."""
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


class Engine:
    """Places apps on one catalog; keeps its search indexes between calls."""

    def __init__(self, catalog: Catalog, *, engine: Literal["indexed", "naive"] = "indexed") -> None:
        self.catalog = catalog
        self.engine = engine
        self._ms_per_km = catalog.latency.ms_per_100km / 100.0
        self._by_country: dict[str, list[Zone]] = {}
        for zone in catalog.zones:
            self._by_country.setdefault(zone.country, []).append(zone)
        self._points = {z.id: _Point.of(z.location.latitude, z.location.longitude) for z in catalog.zones}
        self._indexes: dict[tuple[frozenset[str], str | None], _Index] = {}

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
            for z in self._by_country.get(c, [])
        ]

    def best(
        self, site: Site, countries: frozenset[str], ok: Candidate, budget: float, home: str | None
    ) -> tuple[Zone, float] | None:
        """Lowest-latency zone in ``countries`` accepted by ``ok`` within ``budget``; ties to lowest id."""
        here = _Point.of(site.location.latitude, site.location.longitude)
        ms_per_km = self._ms_per_km
        best: tuple[float, str, Zone] | None = None
        if self.engine == "naive":
            for zone in self.catalog.zones:
                if zone.country in countries:
                    latency = self._base_ms(zone, home) + _km(here, self._points[zone.id]) * ms_per_km
                    best = _better(latency, zone, ok, budget, best)
        else:
            index = self._indexes.get((countries, home))
            if index is None:
                index = self._indexes[(countries, home)] = _Index(self._candidates(countries, home), ms_per_km)
            limit = budget + _EPSILON
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
                    limit = min(budget, best[0]) + _EPSILON
        return (best[2], best[0]) if best else None

    # -- placement -------------------------------------------------------------------------------------

    def place(
        self,
        spec: AppSpec,
        *,
        unavailable: Iterable[str] = (),
        zones: Iterable[str] | None = None,
        usage: Usage | None = None,
    ) -> Plan:
        """Place one app.

        ``zones`` limits the zones to use (default: the whole catalog); ``usage`` is updated with what
        the app takes, so apps placed in turn share capacity.
        """
        return _Placement(self, spec, frozenset(unavailable), zones, usage or Usage()).run()


class _Placement:
    """One run of the placement rules for one app (kept apart so that Engine stays reusable)."""

    def __init__(
        self, engine: Engine, spec: AppSpec, unavailable: frozenset[str], zones: Iterable[str] | None, usage: Usage
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.usage = usage
        catalog = engine.catalog
        allowed = frozenset(catalog.zone_by_id) if zones is None else frozenset(zones)
        for zone_id in allowed:
            catalog.zone(zone_id)  # KeyError naming the known zones
        self.usable = frozenset(z.id for z in catalog.zones if z.id in allowed and z.status == "active")
        self.available = self.usable - unavailable
        self.unavailable = unavailable
        self.primary_demand = _Demand.of(spec, spec.replicas_per_zone)
        self.standby_demand = _Demand.of(spec, spec.standby_replicas)
        self.primary_zones: dict[str, list[str]] = {}
        self.standby_zones: dict[str, list[str]] = {}

    # Candidate predicates ------------------------------------------------------------------------------

    def _can_serve(self, zone: Zone) -> bool:
        if zone.id not in self.available:
            return False
        return zone.id in self.primary_zones or _fits(zone, self.primary_demand, self.usage)

    def _can_stand_by(self, zone: Zone) -> bool:
        if zone.id not in self.available:
            return False
        if zone.id in self.primary_zones or zone.id in self.standby_zones:
            return True
        return _fits(zone, self.standby_demand, self.usage)

    def _assign(self, zone: Zone, site: str, role: Role) -> None:
        target = self.primary_zones if role == "primary" else self.standby_zones
        if zone.id not in self.primary_zones and zone.id not in target:
            _take(zone, self.primary_demand if role == "primary" else self.standby_demand, self.usage)
        target.setdefault(zone.id, []).append(site)

    # Rules ----------------------------------------------------------------------------------------------

    def run(self) -> Plan:
        spec, engine = self.spec, self.engine
        sites = sorted(spec.sites, key=lambda s: s.name)
        home = spec.home_operator
        primaries: dict[str, tuple[Zone, float] | None] = {}
        for site in sites:
            found = engine.best(site, frozenset([site.country]), self._can_serve, site.latency_budget_ms, home)
            primaries[site.name] = found
            if found:
                self._assign(found[0], site.name, "primary")
        # Outage sites are served across the border before any standby takes capacity.
        outcome: dict[str, SitePlacement] = {}
        for site in sites:
            if primaries[site.name] is None:
                outcome[site.name] = self._without_primary(site)
        for site in sites:
            found = primaries[site.name]
            if found is not None:
                outcome[site.name] = self._with_primary(site, found)
        zones = self._zone_assignments()
        return Plan(app=spec.name, sites=tuple(outcome[s.name] for s in sites), zones=zones)

    def _failover_scope(self, site: Site) -> tuple[frozenset[str], str]:
        """Countries a site may fail over to, and a phrase saying why (empty set: none)."""
        spec = self.spec
        if spec.data_classification == "restricted":
            return frozenset(), "no cross-border failover: restricted data never crosses a border"
        if spec.failover == "none":
            return frozenset(), "no failover: the app's failover mode is none"
        scope = failover_countries(site.country, spec.residency_countries, spec.failover)
        return scope, ""

    def _describe_no_failover(self, site: Site, scope: frozenset[str]) -> tuple[str, Cause]:
        spec, geo = self.spec, geography()
        if not scope:
            neighbours = sorted(geo.neighbours.get(site.country, frozenset()))
            return (
                f"residency {sorted(spec.residency_countries)} forbids every country it could fail over to "
                f"(neighbours of {site.country}: {', '.join(neighbours) or 'none'}); "
                "widen residency or set failover: none",
                "configuration",
            )
        budget, home = site.latency_budget_ms, spec.home_operator
        in_scope_up = lambda z: z.id in self.usable  # noqa: E731
        if self.engine.best(site, scope, in_scope_up, budget, home) is None:
            return (
                f"no active zone in {', '.join(sorted(scope))} within {budget:g} ms of the site",
                "configuration",
            )
        if self.engine.best(site, scope, lambda z: z.id in self.available, budget, home) is None:
            return f"every zone in {', '.join(sorted(scope))} within budget is unavailable", "outage"
        return f"no zone in {', '.join(sorted(scope))} within budget has capacity left", "configuration"

    def _with_primary(self, site: Site, found: tuple[Zone, float]) -> SitePlacement:
        zone, latency = found
        head = f"site {site.name} ({site.country}): primary {zone.id} at {latency:.1f} ms"
        scope, why_not = self._failover_scope(site)
        failover: tuple[Zone, float] | None = None
        if scope:
            failover = self.engine.best(
                site, scope, self._can_stand_by, site.latency_budget_ms, self.spec.home_operator
            )
        if failover is not None:
            fzone, flat = failover
            self._assign(fzone, site.name, "standby")
            tail = f"failover {fzone.id} ({fzone.country}) at {flat:.1f} ms, {self._scope_phrase()}"
            return SitePlacement(
                site=site.name, country=site.country, primary=zone.id, primary_latency_ms=latency,
                failover=fzone.id, failover_latency_ms=flat, serving=zone.id, explanation=f"{head}; {tail}",
            )  # fmt: skip
        if not why_not:
            problem, cause = self._describe_no_failover(site, scope)
            if cause == "configuration":
                # Failover was asked for and can never happen: the inputs must change.
                return SitePlacement(
                    site=site.name, country=site.country, primary=zone.id, primary_latency_ms=latency,
                    failover=None, failover_latency_ms=None, serving=zone.id,
                    explanation=f"{head}; failover impossible: {problem}",
                    problem=f"failover impossible: {problem}", cause="configuration",
                )  # fmt: skip
            why_not = f"no failover right now: {problem}"
        return SitePlacement(
            site=site.name, country=site.country, primary=zone.id, primary_latency_ms=latency, failover=None,
            failover_latency_ms=None, serving=zone.id, explanation=f"{head}; {why_not}",
        )  # fmt: skip

    def _without_primary(self, site: Site) -> SitePlacement:
        spec, engine = self.spec, self.engine
        budget, home, country = site.latency_budget_ms, spec.home_operator, frozenset([site.country])
        head = f"site {site.name} ({site.country}): "
        if engine.best(site, country, lambda z: z.id in self.usable, budget, home) is not None:
            reason = self._outage_reason(site)
            if reason is not None:
                scope, why_not = self._failover_scope(site)
                if not scope:
                    problem = f"{reason}; {why_not or 'residency allows no other country'}"
                    return _unserved(site, problem, "outage")
                found = engine.best(site, scope, self._can_serve, budget, home)
                if found is None:
                    detail, _ = self._describe_no_failover(site, scope)
                    problem = f"{reason}; and {detail}"
                    return _unserved(site, problem, "outage")
                fzone, flat = found
                self._assign(fzone, site.name, "primary")
                return SitePlacement(
                    site=site.name,
                    country=site.country,
                    primary=None,
                    primary_latency_ms=None,
                    failover=fzone.id,
                    failover_latency_ms=flat,
                    serving=fzone.id,
                    explanation=f"{head}FAILED OVER to {fzone.id} ({fzone.country}) at {flat:.1f} ms: {reason}",
                )
            problem = f"no {site.country} zone within {budget:g} ms has capacity left for {spec.name}"
        elif not self.engine._by_country.get(site.country):
            problem = f"the catalog has no zone in {site.country}"
        else:
            nearest = engine.best(site, country, lambda z: z.id in self.usable, math.inf, home)
            if nearest is None:
                problem = f"no active {site.country} zone is among the stack's zones"
            else:
                problem = (
                    f"no {site.country} zone within the {budget:g} ms budget "
                    f"(nearest: {nearest[0].id} at {nearest[1]:.1f} ms)"
                )
        return _unserved(site, problem, "configuration")

    def _outage_reason(self, site: Site) -> str | None:
        """Why the site's own country cannot serve it *because zones are down*; None if that is not why.

        Every in-country zone within budget down is an outage; so is a down zone that would serve the
        site while the zones still up cannot (for example the country's only GPU zone).
        """
        budget, home, country = site.latency_budget_ms, self.spec.home_operator, site.country
        in_budget_down = sorted(
            z.id
            for z in self.engine._by_country.get(country, ())
            if z.id in self.usable
            and z.id in self.unavailable
            and self.engine.latency_ms(site, z, home) <= budget + _EPSILON
        )
        if not in_budget_down:
            return None
        if self.engine.best(site, frozenset([country]), lambda z: z.id in self.available, budget, home) is None:
            return f"every {country} zone within {budget:g} ms is unavailable ({', '.join(in_budget_down)})"
        would_serve = [z for z in in_budget_down if _fits(self.engine.catalog.zone(z), self.primary_demand, self.usage)]
        if not would_serve:
            return None
        return (
            f"{', '.join(would_serve)} unavailable and no other {country} zone within {budget:g} ms "
            f"has capacity left for {self.spec.name}"
        )

    def _scope_phrase(self) -> str:
        if self.spec.failover == "neighbour":
            return "a neighbour inside residency"
        return "inside residency"

    def _zone_assignments(self) -> tuple[ZoneAssignment, ...]:
        catalog, spec = self.engine.catalog, self.spec
        out: list[ZoneAssignment] = []
        for zone_id in sorted({*self.primary_zones, *self.standby_zones}):
            zone = catalog.zone(zone_id)
            if zone_id in self.primary_zones:
                role: Role = "primary"
                replicas = spec.replicas_per_zone
                sites = self.primary_zones[zone_id]
            else:
                role, replicas, sites = "standby", spec.standby_replicas, self.standby_zones[zone_id]
            out.append(ZoneAssignment(zone_id, zone.country, zone.operator, role, replicas, tuple(sorted(sites))))
        return tuple(out)


def place(
    catalog: Catalog,
    spec: AppSpec,
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> Plan:
    """Place one app on a catalog (convenience wrapper over :class:`Engine`)."""
    return Engine(catalog).place(spec, unavailable=unavailable, zones=zones)


def place_all(
    catalog: Catalog,
    specs: Sequence[AppSpec],
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> dict[str, Plan]:
    """Place several apps in turn, sharing zone capacity in the given order."""
    engine, usage = Engine(catalog), Usage()
    down = frozenset(unavailable)
    return {spec.name: engine.place(spec, unavailable=down, zones=zones, usage=usage) for spec in specs}


def with_drained(plan: Plan, healthy: Plan, unavailable: Iterable[str]) -> Plan:
    """Add to ``plan`` (zones down) a ``drained`` assignment per unavailable zone that ``healthy`` uses.

    A zone that cannot be reached cannot have objects deleted from it, and a zone that is only briefly
    unreachable must not lose them: its objects stay declared with zero replicas, and the next plan
    without the outage gives them back their replicas (failback). Still a pure function of its inputs.
    """
    down = frozenset(unavailable)
    used = {a.zone for a in plan.zones}
    drained = [
        replace(a, role="drained", replicas=0, drained_from=a.role)
        for a in healthy.zones
        if a.zone in down and a.zone not in used and a.role != "drained"
    ]
    return replace(plan, zones=tuple(sorted((*plan.zones, *drained), key=lambda a: a.zone)))


def place_all_drained(
    catalog: Catalog,
    specs: Sequence[AppSpec],
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> tuple[dict[str, Plan], dict[str, Plan]]:
    """The one placement path of a stack: (plans with the zones down, drained zones kept; healthy plans).

    The healthy plans (every zone up) are what buckets follow, so that an outage never moves data; the
    drained plans are what is deployed. The program and a ``FederatedEdgeApp`` used alone both call this.
    """
    down = tuple(unavailable)
    allowed = tuple(zones) if zones is not None else None
    plans = place_all(catalog, specs, down, zones=allowed)
    healthy = place_all(catalog, specs, (), zones=allowed) if down else plans
    return {name: with_drained(plan, healthy[name], down) for name, plan in plans.items()}, healthy


def plans_as_data(plans: Mapping[str, Plan]) -> dict[str, object]:
    """All plans as plain data (stack output)."""
    return {name: plan.to_dict() for name, plan in plans.items()}


@dataclass(frozen=True)
class ZoneDemand:
    """What all apps of a stack may use in one zone at their autoscaling ceiling (sizes quotas)."""

    cpu: float
    """Cores."""
    memory_mib: int
    """Memory in MiB."""
    gpus: Mapping[str, int]
    """GPU model to count."""
    pods: int
    """Pods."""


def demand_by_zone(plans: Mapping[str, Plan], specs: Sequence[AppSpec]) -> dict[str, ZoneDemand]:
    """Per zone, the resources the plans may use: primaries up to their autoscaling ceiling, standbys as is."""
    by_name = {spec.name: spec for spec in specs}
    cpu: dict[str, float] = {}
    memory: dict[str, int] = {}
    pods: dict[str, int] = {}
    gpus: dict[str, dict[str, int]] = {}
    for plan in plans.values():
        spec = by_name[plan.app]
        for assignment in plan.zones:
            # A drained zone keeps the quota of its healthy role, so nothing changes there on failback.
            role = assignment.drained_from or assignment.role
            count = spec.autoscaling_ceiling if role == "primary" else max(assignment.replicas, spec.standby_replicas)
            zone = assignment.zone
            cpu[zone] = cpu.get(zone, 0.0) + spec.resources.cpu * count
            memory[zone] = memory.get(zone, 0) + spec.resources.memory_mib * count
            pods[zone] = pods.get(zone, 0) + count
            gpu = spec.resources.gpu
            if gpu is not None:
                per_zone = gpus.setdefault(zone, {})
                per_zone[gpu.model] = per_zone.get(gpu.model, 0) + gpu.count * count
    return {
        zone: ZoneDemand(cpu=cpu[zone], memory_mib=memory[zone], gpus=gpus.get(zone, {}), pods=pods[zone])
        for zone in sorted(cpu)
    }
