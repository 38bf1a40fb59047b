"""enforce-residency-labels: namespaces and workloads carry residency labels matching their zone."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.residency_labels import check_residency_labels, check_stack_residency, check_template_class
from edgefed.policy.common import CATALOGS_SCHEMA, Compliance, catalog_from, report, resource_policy, schema, zone_of

NAME = "enforce-residency-labels"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    catalog, zone = catalog_from(args.get_config()), zone_of(args)
    kind, name, props = args.resource_type, args.name, args.props
    found = check_residency_labels(kind, name, props, zone, catalog) + check_template_class(kind, name, props)
    report(found + check_stack_residency(kind, name, props, zone, catalog), report_violation)


POLICY = resource_policy(
    NAME,
    "Namespaces and workloads carry edgefed.io/country, /operator, /zone and /residency labels "
    "consistent with the zone they are deployed to; a pod template is never classified weaker than its workload; "
    "restricted data stays in its stack's country and personal data keeps it in its residency.",
    _check,
    tags=["residency", "labels"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-3"),
    remediation="Create workloads through edgefed's components, or set the four residency labels yourself.",
    config_schema=schema(catalogs=CATALOGS_SCHEMA),
)
