"""Whose law reaches the data: some data classes only on operators whose home jurisdiction is in the EU/EEA. Pure logic.

A zone in France run by a group headquartered outside the EU/EEA keeps the data in France, but the
group's home law may still compel access to it (EU Cloud Sovereignty Framework, SOV-2). The pack config
names the data classes this matters for (``require-eu-jurisdiction: dataClasses``, default
``restricted``); those run, as primaries, standbys and failover targets alike, and are stored only in
zones of operators whose catalog ``jurisdiction`` is an EU/EEA country. An operator whose jurisdiction
the catalog does not state fails the rule. Placement honours the same rule (:mod:`edgefed.core.inputs.jurisdiction`)
before the pack has to refuse.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.jurisdiction import (
    DEFAULT_EU_JURISDICTION_CLASSES,
    JURISDICTION_POLICY,
    eu_law_classes,
    jurisdiction_problem,
)
from edgefed.core.rules.common import Finding, classification_of, describe_resource
from edgefed.core.rules.kinds import pod_template_path

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog

RULE = JURISDICTION_POLICY
DEFAULT_CLASSES = DEFAULT_EU_JURISDICTION_CLASSES


def classes_of(policy: Mapping[str, Any]) -> tuple[str, ...]:
    """The data classes of the rule's own config (its default when it names none); unknown classes fail."""
    return eu_law_classes(policy)


def _finding(what: str, classification: str, where: str, problem: str, classes: Collection[str]) -> Finding:
    return Finding(
        RULE,
        f"{what}: {classification} data {where} of {problem}; rule {RULE} allows {', '.join(classes)} data only on "
        "operators whose home jurisdiction is in the EU/EEA",
    )


def check_workload_jurisdiction(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    zone_id: str | None,
    catalog: Catalog,
    classes: Collection[str],
) -> list[Finding]:
    """A workload of a bound class (missing or unknown: restricted) runs in a zone of an EU/EEA-law operator."""
    if pod_template_path(resource_type) is None:
        return []
    classification = classification_of(resource_type, props)
    if classification not in classes:
        return []
    zone = catalog.zone_by_id.get(zone_id) if zone_id else None
    what = describe_resource(resource_type, name)
    if zone is None:
        where = f"in {zone_id!r}, not a catalog zone," if zone_id else "in no catalog zone,"
        return [_finding(what, classification, where, "an operator whose jurisdiction cannot be checked", classes)]
    problem = jurisdiction_problem(catalog.operator_by_id.get(zone.operator))
    return [_finding(what, classification, f"in zone {zone.id}", problem, classes)] if problem else []


def check_bucket_jurisdiction(
    name: str, props: Mapping[str, Any], catalog: Catalog, classes: Collection[str]
) -> list[Finding]:
    """A bucket of a bound class (missing or unknown: restricted) is stored by an EU/EEA-law operator."""
    value = props.get("data_classification")
    classification = value if value in labels.CLASSIFICATIONS else "restricted"
    if classification not in classes:
        return []
    endpoint, region = str(props.get("endpoint") or "").rstrip("/"), str(props.get("region") or "")
    operators = sorted(
        {
            z.operator
            for z in catalog.zones
            if z.object_storage.endpoint.rstrip("/") == endpoint and z.object_storage.region == region
        }
    )
    if not operators:
        return []  # not catalog storage: enforce-bucket-residency refuses it, naming the allowed stores
    for operator in operators:
        problem = jurisdiction_problem(catalog.operator_by_id.get(operator))
        if problem:
            return [_finding(f"bucket '{name}'", classification, f"stored at {endpoint}", problem, classes)]
    return []
