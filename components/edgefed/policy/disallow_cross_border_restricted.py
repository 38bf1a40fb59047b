"""disallow-cross-border-restricted: a stack policy over the whole plan.

Failover and standby placements stay inside their app's residency, and restricted data never crosses a
border: every workload of a restricted app runs in the country of its primaries.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs

from edgefed import labels
from edgefed.kinds import WORKLOAD_KINDS
from edgefed.policy.common import CATALOGS_SCHEMA, Compliance, catalog_from, report, schema, stack_policy
from edgefed.residency import (
    Placed,
    check_cross_border,
    classification_of,
    parse_residency_label,
    zone_of_provider,
)

NAME = "disallow-cross-border-restricted"


def _check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    catalog = catalog_from(args.get_config())
    placed = []
    for resource in args.resources:
        if resource.resource_type not in WORKLOAD_KINDS:
            continue  # patches change workloads in place; they place nothing
        found = (resource.props.get("metadata") or {}).get("labels") or {}
        zone_id = zone_of_provider(resource.provider.props) if resource.provider else None
        zone = catalog.zone_by_id.get(zone_id or "")
        country = zone.country if zone else str(found.get(labels.COUNTRY, "")).upper() or "an unknown country"
        # Fail closed: a missing label never makes a workload less restricted or more widely allowed.
        placed.append(
            Placed(
                kind=resource.resource_type.rsplit(":", 1)[-1],
                name=resource.name,
                app=str(found.get(labels.APP) or "(no app label)"),
                role=str(found.get(labels.ROLE) or "workload without a role"),
                classification=classification_of(resource.resource_type, resource.props),
                residency=parse_residency_label(str(found.get(labels.RESIDENCY) or "")),
                country=country,
                zone=zone_id or "unknown",
            )
        )
    report(check_cross_border(placed), report_violation)


POLICY = stack_policy(
    NAME,
    "Failover and standby placements stay inside the app's residency; restricted data never crosses a border.",
    _check,
    tags=["residency", "failover"],
    compliance=Compliance(articles=("44", "45", "49"), sovereignty="SOV-3"),
    remediation="Narrow failover to residency countries; use failover: none for restricted data.",
    config_schema=schema(catalogs=CATALOGS_SCHEMA),
)
