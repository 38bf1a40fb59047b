"""disallow-cross-border-restricted: a stack policy over the whole plan.

Failover and standby placements stay inside their app's residency, and restricted data never crosses a
border: every workload of a restricted app runs in the country of its primaries.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs

from edgefed import labels
from edgefed.policy.common import CATALOGS_SCHEMA, catalog_from, report, schema, stack_policy
from edgefed.residency import WORKLOAD_KINDS, Placed, check_cross_border, parse_residency_label, zone_of_provider

NAME = "disallow-cross-border-restricted"


def _check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    catalog = catalog_from(args.get_config())
    placed = []
    for resource in args.resources:
        if resource.resource_type not in WORKLOAD_KINDS:
            continue
        found = (resource.props.get("metadata") or {}).get("labels") or {}
        if labels.APP not in found or labels.RESIDENCY not in found:
            continue  # unlabelled workloads are reported by enforce-residency-labels
        zone_id = zone_of_provider(resource.provider.props) if resource.provider else None
        zone = catalog.zone_by_id.get(zone_id or "")
        country = zone.country if zone else str(found.get(labels.COUNTRY, "")).upper()
        placed.append(
            Placed(
                name=resource.name,
                app=str(found[labels.APP]),
                role=str(found.get(labels.ROLE, "primary")),
                classification=str(found.get(labels.CLASSIFICATION, "internal")),
                residency=parse_residency_label(str(found[labels.RESIDENCY])),
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
    remediation="Narrow failover to residency countries; use failover: none for restricted data.",
    config_schema=schema(catalogs=CATALOGS_SCHEMA),
)
