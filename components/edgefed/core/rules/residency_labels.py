"""enforce-residency-labels: namespaces and workloads carry residency labels that match their zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.geography import geography
from edgefed.core.rules.common import (
    Finding,
    allowed_list,
    describe_resource,
    parse_residency_label,
    shown,
    workload_labels,
)
from edgefed.core.rules.kinds import NAMESPACE_TYPE, is_patch, labels_at, pod_template_path

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog


def check_residency_value(value: object) -> str | None:
    """Why a ``edgefed.io/residency`` value is not a list of EU/EEA countries (``None``: it is one)."""
    geo = geography()
    if not isinstance(value, str) or not value:
        return "is empty"
    if value.lower() == "eu":
        return None
    codes = value.upper().split(".")
    if "" in codes:
        return "has an empty country code between dots"
    outside = [code for code in codes if not geo.is_eea(code)]
    if outside:
        return f"names {', '.join(outside)}, not EU/EEA"
    return None


def check_residency_labels(
    resource_type: str, name: str, props: Mapping[str, Any], zone_id: str | None, catalog: Catalog
) -> list[Finding]:
    """Namespaces and workloads carry residency labels that match the zone they are deployed to.

    A ``*Patch`` changes only the labels it names: those must match too, and it may not remove one.
    Country and residency values compare case-insensitively (``IT`` is ``it``); ids compare exactly.
    """
    rule = "enforce-residency-labels"
    if resource_type != NAMESPACE_TYPE and pod_template_path(resource_type) is None:
        return []
    what = describe_resource(resource_type, name)
    zone = catalog.zone_by_id.get(zone_id or "")
    places = (
        workload_labels(resource_type, props)
        if resource_type != NAMESPACE_TYPE
        else [("metadata.labels", labels_at(props))]
    )
    required = labels.RESIDENCY_KEYS if resource_type == NAMESPACE_TYPE else labels.WORKLOAD_KEYS
    patch = is_patch(resource_type)
    findings = []
    for where, found in places:
        missing = [key for key in required if (key in found and not found[key]) or (not patch and key not in found)]
        if missing:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} lacks {', '.join(missing)}; rule {rule} requires all of {', '.join(required)}",
                )
            )
            continue
        classification = found.get(labels.CLASSIFICATION)
        known = classification in labels.CLASSIFICATIONS
        if resource_type != NAMESPACE_TYPE and labels.CLASSIFICATION in found and not known:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} {labels.CLASSIFICATION}={shown(classification)} is not a data "
                    f"classification; rule {rule} allows only {', '.join(labels.CLASSIFICATIONS)}",
                )
            )
        residency = found.get(labels.RESIDENCY)
        problem = check_residency_value(residency) if labels.RESIDENCY in found else None
        if problem:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} {labels.RESIDENCY}={shown(residency)} {problem}; rule {rule} allows 'eu' or "
                    "EU/EEA country codes joined by '.' (for example 'de.fr')",
                )
            )
        if zone is None:
            continue  # an unknown zone is reported by disallow-non-eu-zone
        expected = {labels.COUNTRY: zone.country.lower(), labels.ZONE: zone.id, labels.OPERATOR: zone.operator}
        for key, value in expected.items():
            actual = found.get(key)
            seen = actual.lower() if key == labels.COUNTRY and isinstance(actual, str) else actual
            if (key in found or not patch) and seen != value:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: {where} {key}={shown(actual)} but it is deployed to zone {zone.id} "
                        f"({zone.country}, {zone.operator}); rule {rule} allows only {key}={value!r}",
                    )
                )
        if labels.RESIDENCY in found and not problem:
            allowed = parse_residency_label(str(residency))
            if zone.country not in allowed:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: {where} {labels.RESIDENCY}={residency!r} allows only {allowed_list(allowed)} but "
                        f"it is deployed to {zone.country} (zone {zone.id}); rule {rule} requires the zone's country "
                        "in the residency",
                    )
                )
    return findings
