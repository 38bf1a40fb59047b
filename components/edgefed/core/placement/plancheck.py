"""A placement plan checked against its app spec and the catalog. Pure logic, no Pulumi.

:class:`~edgefed.components.app.FederatedEdgeApp` accepts a plan computed elsewhere (to share capacity
between apps); a hand-made one must not be able to do what placement never would: serve a site from
another country, put a zone outside the residency, or move restricted data across a border.
"""

from __future__ import annotations

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.placement.placer import Plan
from edgefed.core.placement.scope import failover_countries


def check_plan(spec: AppSpec, catalog: Catalog, plan: Plan) -> list[str]:
    """Every way ``plan`` breaks ``spec``'s residency rules (empty when it keeps them)."""
    problems: list[str] = []
    if plan.app != spec.name:
        problems.append(f"the plan is for app {plan.app!r}, not {spec.name!r}")
    sites = {site.name: site for site in spec.sites}
    placed = {placement.site: placement for placement in plan.sites}
    if set(placed) != set(sites):
        problems.append(
            f"the plan places sites {', '.join(sorted(placed)) or 'none'}; the app has {', '.join(sorted(sites))}"
        )
    residency = spec.residency_countries
    restricted = spec.data_classification == "restricted"

    def country_of(zone_id: str) -> str | None:
        zone = catalog.zone_by_id.get(zone_id)
        if zone is None:
            problems.append(f"zone {zone_id!r} is not in the catalog")
        return zone.country if zone else None

    for name, placement in sorted(placed.items()):
        site = sites.get(name)
        if site is None:
            continue
        if placement.country != site.country:
            problems.append(f"site {name} is in {site.country}, the plan says {placement.country}")
        if placement.primary is not None and (where := country_of(placement.primary)) not in (None, site.country):
            problems.append(
                f"site {name} ({site.country}) has primary zone {placement.primary} in {where}; a primary is in "
                "the site's country, where its data is processed and stored"
            )
        if placement.failover is not None:
            allowed = failover_countries(site.country, residency, spec.failover)
            where = country_of(placement.failover)
            if restricted or (where is not None and where not in allowed):
                problems.append(
                    f"site {name} ({site.country}) fails over to zone {placement.failover} in {where}; failover "
                    f"{spec.failover} of {spec.data_classification} data allows only "
                    f"{', '.join(sorted(allowed)) or 'no other country'}"
                )
    for assignment in plan.zones:
        where = country_of(assignment.zone)
        if where is None:
            continue
        if where != assignment.country:
            problems.append(f"zone {assignment.zone} is in {where}, the plan says {assignment.country}")
        if where not in residency:
            problems.append(
                f"zone {assignment.zone} in {where} is outside the app's residency ({', '.join(sorted(residency))})"
            )
        for name in assignment.sites:
            site = sites.get(name)
            if site is None:
                problems.append(f"zone {assignment.zone} serves site {name!r}, which the app does not have")
            elif restricted and where != site.country:
                problems.append(
                    f"zone {assignment.zone} in {where} holds {assignment.role} replicas for site {name} "
                    f"({site.country}); restricted data never crosses a border"
                )
    return problems
