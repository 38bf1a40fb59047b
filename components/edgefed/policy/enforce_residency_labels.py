"""enforce-residency-labels: namespaces and workloads carry residency labels matching their zone."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.residency_labels import check_residency_labels
from edgefed.policy.common import CATALOGS_SCHEMA, Compliance, catalog_from, report, resource_policy, schema, zone_of

NAME = "enforce-residency-labels"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    catalog = catalog_from(args.get_config())
    report(check_residency_labels(args.resource_type, args.name, args.props, zone_of(args), catalog), report_violation)


POLICY = resource_policy(
    NAME,
    "Namespaces and workloads carry edgefed.io/country, /operator, /zone and /residency labels "
    "consistent with the zone they are deployed to.",
    _check,
    tags=["residency", "labels"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-3"),
    remediation="Create workloads through edgefed's components, or set the four residency labels yourself.",
    config_schema=schema(catalogs=CATALOGS_SCHEMA),
)
