"""Reconcile the zones an operator's CAMARA platform lists (``GET /edge-cloud-zones``) with the reviewed catalog.

A platform's ``EdgeCloudZone`` says nothing anyone can verify about where the zone is: its ``countryCode``
(in recent versions of the document) is the platform's own word. Residency facts (country, location,
API server, object storage) therefore come only from the federation's reviewed catalog, which names each
zone's platform id (``platform_id``). What the platform is the authority for, it updates: the zone's
name, region and status. A listed zone the catalog does not name is refused, naming it: its country
cannot be established. A ``countryCode`` that contradicts the catalog is refused too (one of the two is
wrong, and a person must say which).

Answers arrive either from the platform itself (every page, :mod:`edgefed.platform.eam_client`) or from
a file: one page object (``{"edgeCloudZones": [...], "pagination": {...}}``) or, from platforms of
CAMARA r1.1, a bare array.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from edgefed.core.inputs.catalog import Catalog, Zone
from edgefed.core.inputs.eam import EdgeCloudZone, EdgeCloudZoneList
from edgefed.core.inputs.errors import ConfigError, join_path

_ZONES = TypeAdapter(tuple[EdgeCloudZone, ...])


def zones_from_file(document: Any, source: str) -> tuple[EdgeCloudZone, ...]:
    """The zones of a saved answer: a whole one-page object, or an r1.1 bare array."""
    try:
        if isinstance(document, list):
            return _ZONES.validate_python(document)
        if isinstance(document, dict):
            page = EdgeCloudZoneList.model_validate(document)
        else:
            raise ConfigError(source, [("", "must be an EdgeCloudZoneList object or an array of EdgeCloudZone")])
    except ValidationError as error:
        raise ConfigError(
            source, [(join_path(e["loc"]), str(e["msg"]).removeprefix("Value error, ")) for e in error.errors()]
        ) from None
    paging = page.pagination
    if paging.total_count is None or paging.total_count != len(page.edge_cloud_zones):
        said = "no totalCount" if paging.total_count is None else f"totalCount {paging.total_count}"
        raise ConfigError(
            source,
            [
                (
                    "pagination.totalCount",
                    f"{said} for {len(page.edge_cloud_zones)} zones in the file: a saved answer must hold "
                    "every zone (one page); import from the platform itself (--eam) to page through it",
                )
            ],
        )
    return page.edge_cloud_zones


def operator_id(provider: str, catalog: Catalog) -> str | None:
    """The catalog operator named by ``edgeCloudProvider`` (by id or display name, any case)."""
    wanted = provider.strip().lower()
    return next((op.id for op in catalog.operators if wanted in (op.id, op.name.lower())), None)


def reconcile(
    catalog: Catalog,
    listed: Sequence[EdgeCloudZone],
    source: str,
    operator: str | None = None,
    *,
    complete: bool = False,
) -> Catalog:
    """The catalog with each listed zone's name, region and status as the platform gives them.

    ``operator``: the operator whose platform answered; every zone must be its own. ``complete``: the
    listing is all of that operator's zones (no filter), so its catalog zones with a platform id that
    were not listed become ``inactive`` (placement leaves them). Problems are collected (each named by
    the answer's field) and raised together, before anything changes.
    """
    problems: list[tuple[str, str]] = []
    updates: dict[str, Zone] = {}
    seen: dict[str, int] = {}
    for index, zone in enumerate(listed):
        where = f"edgeCloudZones[{index}]"
        shown = f"zone {zone.edge_cloud_zone_id} ({zone.edge_cloud_zone_name!r})"
        if zone.edge_cloud_zone_id in seen:
            problems.append(
                (f"{where}.edgeCloudZoneId", f"{shown} is listed twice (also at [{seen[zone.edge_cloud_zone_id]}])")
            )
            continue
        seen[zone.edge_cloud_zone_id] = index
        provider = operator_id(zone.edge_cloud_provider, catalog)
        if provider is None:
            known = ", ".join(f"{o.name} ({o.id})" for o in catalog.operators)
            problems.append(
                (
                    f"{where}.edgeCloudProvider",
                    f"{zone.edge_cloud_provider!r} is not an operator of the catalog; known: {known}",
                )
            )
            continue
        if operator is not None and provider != operator:
            problems.append(
                (f"{where}.edgeCloudProvider", f"{shown} is {provider}'s, but this is {operator}'s platform")
            )
            continue
        reviewed = catalog.zone_listed_as(zone.edge_cloud_zone_id)
        if reviewed is None:
            problems.append(
                (
                    f"{where}.edgeCloudZoneId",
                    f"{shown} of {provider} is not in the reviewed catalog, so its country cannot be established "
                    "(a platform's countryCode is its own word); after review, add it to the catalog with "
                    f"platform_id: {zone.edge_cloud_zone_id}",
                )
            )
            continue
        if reviewed.operator != provider:
            problems.append(
                (
                    f"{where}.edgeCloudProvider",
                    f"{shown} is {reviewed.operator}'s zone {reviewed.id} in the catalog, not {provider}'s",
                )
            )
            continue
        if zone.country_code is not None and zone.country_code != reviewed.country:
            problems.append(
                (
                    f"{where}.countryCode",
                    f"{shown} is said to be in {zone.country_code}, but the reviewed catalog has {reviewed.id} in "
                    f"{reviewed.country}; one of them is wrong, and nothing was imported",
                )
            )
            continue
        updates[reviewed.id] = reviewed.model_copy(
            update={
                "name": zone.edge_cloud_zone_name,
                "region": zone.edge_cloud_region or reviewed.region,
                "status": zone.edge_cloud_zone_status,
            }
        )
    if problems:
        raise ConfigError(source, problems)
    if complete and operator is not None:
        for gone in unlisted(catalog, listed, operator):
            updates[gone.id] = gone.model_copy(update={"status": "inactive"})
    data = catalog.model_dump()
    data["zones"] = [updates[z.id].model_dump() if z.id in updates else z.model_dump() for z in catalog.zones]
    try:
        return Catalog.model_validate(data)
    except ValidationError as error:  # a platform's name or region the catalog's own rules refuse
        raise ConfigError(
            source, [(join_path(e["loc"]), str(e["msg"]).removeprefix("Value error, ")) for e in error.errors()]
        ) from None


def unlisted(catalog: Catalog, listed: Sequence[EdgeCloudZone], operator: str) -> list[Zone]:
    """The operator's catalog zones with a platform id that the platform did not list."""
    ids = {zone.edge_cloud_zone_id for zone in listed}
    return [z for z in catalog.zones if z.operator == operator and z.platform_id and z.platform_id not in ids]
