"""enforce-bucket-residency: a bucket lives at its country's catalog object store, encrypted as its data asks.

Pure logic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from edgefed.core.rules.common import Finding, allowed_list, shown

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog


def check_bucket(
    name: str, props: Mapping[str, Any], catalog: Catalog, allowed_countries: Iterable[str]
) -> list[Finding]:
    """A bucket lives in an allowed country, at that country's catalog storage endpoint and region.

    Restricted data (or a classification the bucket does not state: fail closed) needs an endpoint
    with default encryption: neither the catalog nor the bucket may declare encryption unsupported.
    """
    rule = "enforce-bucket-residency"
    what = f"bucket '{name}'"
    missing = [key for key in ("bucket", "country", "endpoint", "region") if not props.get(key)]
    if missing:
        return [Finding(rule, f"{what}: lacks {', '.join(missing)}; rule {rule} decides on all of them")]
    allowed = frozenset(allowed_countries)
    country = str(props["country"]).upper()
    endpoint, region = str(props["endpoint"]).rstrip("/"), str(props["region"])
    if country not in allowed:
        return [Finding(rule, f"{what}: country {country!r}; rule {rule} allows only {allowed_list(allowed)}")]
    storages = {
        (z.object_storage.endpoint, z.object_storage.region): z.object_storage
        for z in catalog.zones
        if z.country == country
    }
    storage = storages.get((endpoint, region))
    if storage is None:
        allowed_pairs = ", ".join(f"{e} ({r})" for e, r in sorted(storages)) or "none"
        return [
            Finding(
                rule,
                f"{what}: endpoint {endpoint} region {region!r} is not {country} object storage of the "
                f"catalog; rule {rule} allows only {allowed_pairs}",
            )
        ]
    classification = props.get("data_classification")
    declared = list(props.get("unsupported_controls") or [])
    if classification not in ("public", "internal", "personal") and (
        "encryption" in storage.unsupported_controls or "encryption" in declared
    ):
        return [
            Finding(
                rule,
                f"{what}: holds {shown(classification) if classification else 'unclassified'} data at {endpoint}, "
                f"which cannot encrypt by default; rule {rule} requires an endpoint with default encryption for "
                "restricted data",
            )
        ]
    return []
