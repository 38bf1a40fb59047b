"""Import operator zones from a CAMARA Edge Application Management answer (``GET /edge-cloud-zones``).

A CAMARA ``EdgeCloudZone`` carries ``edgeCloudZoneId``, ``edgeCloudZoneName``, ``edgeCloudZoneStatus``,
``edgeCloudProvider`` and ``edgeCloudRegion``; federation operators add ``countryCode``, GPU information
(``gpuInfo``: ``gpuModelName``/``numGPU``) and the GSMA EWBI zone attributes ``geolocation`` ("lat,long"),
``geographyDetails`` and ``computeResourceQuotaLimits`` (``numCPU``, ``memory`` in MiB). Each maps
one-to-one onto a catalog zone field (see :data:`edgefed.core.inputs.catalog.CAMARA_FIELDS`). What CAMARA does not
describe (the object storage next to the zone, the kubeconfig secret name) comes from the importer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from edgefed.core.inputs.catalog import CAMARA_FIELDS, GSMA_FIELDS, Catalog
from edgefed.core.inputs.errors import ConfigError, join_path


class ZoneImportError(ValueError):
    """An answer field cannot be mapped; the message names it."""


def _answer_field(path: str) -> str:
    """Name a catalog field by the answer's own field (``[0].country`` -> ``[0].countryCode``)."""
    head, dot, field = path.partition(".")
    if dot and head.startswith("["):
        name = field.split(".", 1)[0]
        answer_name = CAMARA_FIELDS.get(name) or GSMA_FIELDS.get(name)
        if answer_name:
            return f"{head}.{answer_name}"
    return path


def _field(zone: Mapping[str, Any], key: str, index: int) -> Any:
    if key not in zone or zone[key] in (None, ""):
        raise ZoneImportError(f"[{index}].{key}: is required but missing")
    return zone[key]


def _location(value: Any, index: int) -> dict[str, float]:
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*", str(value))
    if not match:
        raise ZoneImportError(f"[{index}].geolocation: {value!r} is not 'latitude,longitude' in degrees")
    return {"latitude": float(match[1]), "longitude": float(match[2])}


def _capacity(zone: Mapping[str, Any], index: int) -> dict[str, Any]:
    limits = zone.get("computeResourceQuotaLimits") or []
    if not limits:
        raise ZoneImportError(f"[{index}].computeResourceQuotaLimits: is required (the zone's capacity)")
    cpu = sum(float(item.get("numCPU", 0)) for item in limits)
    memory_mib = sum(float(item.get("memory", 0)) for item in limits)
    gpus: dict[str, int] = {}
    for gpu in zone.get("gpuInfo") or []:
        model = str(gpu.get("gpuModelName", "")).lower().replace(" ", "-")
        gpus[model] = gpus.get(model, 0) + int(gpu.get("numGPU", 0))
    return {"cpu": cpu, "memory_gib": round(memory_mib / 1024, 3), "gpus": gpus}


def operator_id(provider: str, catalog: Catalog) -> str:
    """The catalog operator named by ``edgeCloudProvider`` (by id or display name, any case)."""
    wanted = provider.strip().lower()
    for operator in catalog.operators:
        if wanted in (operator.id, operator.name.lower()):
            return operator.id
    known = ", ".join(f"{o.name} ({o.id})" for o in catalog.operators)
    raise ZoneImportError(f"edgeCloudProvider {provider!r} is not an operator of the catalog; known: {known}")


def zone_from_camara(
    zone: Mapping[str, Any],
    index: int,
    catalog: Catalog,
    storage: Mapping[str, Mapping[str, str]],
    api: Mapping[str, str],
) -> dict[str, Any]:
    """One catalog zone (plain data, validated later with the whole catalog) from one CAMARA zone.

    CAMARA does not publish a zone's Kubernetes API server; the importer names it (``api``, by zone id).
    """
    zone_id = str(_field(zone, "edgeCloudZoneId", index)).lower()
    country = str(_field(zone, "countryCode", index)).upper()
    if zone_id not in api:
        raise ZoneImportError(
            f"[{index}].edgeCloudZoneId: zone {zone_id!r} has no Kubernetes API endpoint given; "
            f"pass --api {zone_id}=https://HOST:PORT"
        )
    if country not in storage:
        raise ZoneImportError(
            f"[{index}].countryCode: {country!r} has no object storage given; "
            f"pass --storage {country}=ENDPOINT,REGION,SECRET"
        )
    return {
        "id": zone_id,
        "name": str(_field(zone, "edgeCloudZoneName", index)),
        "operator": operator_id(str(_field(zone, "edgeCloudProvider", index)), catalog),
        "country": country,
        "region": str(_field(zone, "edgeCloudRegion", index)),
        "city": str(zone.get("geographyDetails") or _field(zone, "edgeCloudZoneName", index)),
        "location": _location(_field(zone, "geolocation", index), index),
        "status": str(zone.get("edgeCloudZoneStatus") or "unknown"),
        "capacity": _capacity(zone, index),
        "api_endpoint": api[zone_id],
        "kubeconfig_secret": f"kubeconfig-{zone_id}",
        "object_storage": dict(storage[country]),
    }


def merge(
    catalog: Catalog,
    answer: list[Mapping[str, Any]],
    storage: Mapping[str, Mapping[str, str]],
    source: str,
    api: Mapping[str, str],
) -> Catalog:
    """The catalog with the answer's zones added (same id: replaced), validated as a whole."""
    if not isinstance(answer, list):
        raise ConfigError(source, [("", "must be a JSON list of EdgeCloudZone objects")])
    try:
        imported = [zone_from_camara(zone, i, catalog, storage, api) for i, zone in enumerate(answer)]
    except ZoneImportError as exc:
        path, _, message = str(exc).partition(": ")
        raise ConfigError(source, [(path, message)]) from None
    new_ids = {zone["id"] for zone in imported}
    data = catalog.model_dump()
    data["zones"] = [z for z in data["zones"] if z["id"] not in new_ids] + imported
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:  # report it against the answer's own fields
        offset = len(data["zones"]) - len(imported)
        problems = []
        for error in exc.errors():
            loc = list(error["loc"])
            if loc[:1] == ["zones"] and len(loc) > 1 and isinstance(loc[1], int) and loc[1] >= offset:
                loc = [loc[1] - offset, *loc[2:]]
            ctx = error.get("ctx") or {}
            path = str(ctx.get("path")) if "path" in ctx else join_path(loc)
            problems.append((_answer_field(path), str(error["msg"]).removeprefix("Value error, ")))
        raise ConfigError(source, problems) from None
