"""enforce-residency-labels: namespaces and workloads carry residency labels that match their zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.contract import stack_country
from edgefed.core.inputs.geography import geography
from edgefed.core.rules.common import (
    Finding,
    allowed_list,
    classification_of,
    describe_resource,
    parse_residency_label,
    shown,
    workload_labels,
)
from edgefed.core.rules.kinds import NAMESPACE_TYPE, is_patch, labels_at, pod_template_path

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog


RULE = "enforce-residency-labels"


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
    rule = RULE
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


def check_template_class(resource_type: str, name: str, props: Mapping[str, Any]) -> list[Finding]:
    """A workload's pod template declares at least the workload's own classification (the strictest wins).

    Compares two known values only: a missing or unknown one is :func:`check_residency_labels`' finding.
    """
    places = workload_labels(resource_type, props)
    if len(places) < 2:
        return []
    rank = {value: i for i, value in enumerate(labels.CLASSIFICATIONS)}
    own, template = (str(place.get(labels.CLASSIFICATION, "")) for _, place in places)
    if own not in rank or template not in rank or rank[template] >= rank[own]:
        return []
    return [
        Finding(
            RULE,
            f"{describe_resource(resource_type, name)}: {places[1][0]} {labels.CLASSIFICATION}={template!r} is weaker "
            f"than the workload's {own!r}; rule {RULE} requires the pod template to declare at least the workload's "
            "class (the strictest one wins)",
        )
    ]


def check_stack_residency(
    resource_type: str, name: str, props: Mapping[str, Any], zone_id: str | None, catalog: Catalog
) -> list[Finding]:
    """Restricted data stays in its stack's country; personal data keeps its stack's country in its residency.

    The stack is the namespace's (``<tenant>-<cc>``, :func:`edgefed.core.inputs.contract.stack_country`),
    never a label of the workload; each zone refuses the same from its namespace's rules. A personal or
    restricted workload in a namespace that is no stack's fails closed.
    """
    if pod_template_path(resource_type) is None:
        return []
    classification = classification_of(resource_type, props)
    zone = catalog.zone_by_id.get(zone_id or "")
    if classification not in ("personal", "restricted") or zone is None:
        return []
    what = describe_resource(resource_type, name)
    space = str((props.get("metadata") or {}).get("namespace") or "")
    home = stack_country(space) if space else None
    if home is None:
        return [
            Finding(
                RULE,
                f"{what}: {classification} data in namespace {shown(space or None)}, which is no tenant stack's "
                f"(<tenant>-<cc>); rule {RULE} judges where {classification} data may live by its stack's country",
            )
        ]
    if classification == "restricted" and zone.country != home:
        return [
            Finding(
                RULE,
                f"{what}: restricted data of namespace {space} (stack of {home}) in zone {zone.id} "
                f"({zone.country}); rule {RULE} keeps restricted data in the country of its stack",
            )
        ]
    findings = []
    for where, found in workload_labels(resource_type, props):
        residency = found.get(labels.RESIDENCY)
        valid = isinstance(residency, str) and not check_residency_value(residency)
        if classification == "personal" and valid and home not in parse_residency_label(str(residency)):
            findings.append(
                Finding(
                    RULE,
                    f"{what}: personal data of namespace {space} (stack of {home}) with {where} "
                    f"{labels.RESIDENCY}={residency!r}, which leaves out {home}; rule {RULE} requires the country of "
                    "its stack in the residency of personal data",
                )
            )
    return findings
