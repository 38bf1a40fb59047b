"""disallow-cross-border-restricted: a stack policy over the whole plan.

Failover and standby placements stay inside their app's residency, and restricted data never crosses a
border: every workload of a restricted app runs in the country of its primaries.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs

from edgefed.core.rules.cross_border import check_cross_border, placed
from edgefed.policy.common import CATALOGS_SCHEMA, Compliance, catalog_from, report, schema, stack_policy

NAME = "disallow-cross-border-restricted"


def _check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    catalog = catalog_from(args.get_config())
    found = [
        placed(r.resource_type, r.name, r.props, r.provider.props if r.provider else None, catalog)
        for r in args.resources
    ]
    report(check_cross_border([p for p in found if p is not None]), report_violation)


POLICY = stack_policy(
    NAME,
    "Failover and standby placements stay inside the app's residency; restricted data never crosses a border.",
    _check,
    tags=["residency", "failover"],
    compliance=Compliance(articles=("44", "45", "49"), sovereignty="SOV-3"),
    remediation="Narrow failover to residency countries; use failover: none for restricted data.",
    config_schema=schema(catalogs=CATALOGS_SCHEMA),
)
