"""disallow-non-eu-zone: every Kubernetes provider targets a catalog zone in an allowed country."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.kinds import PROVIDER_TYPE
from edgefed.core.rules.provider_target import check_provider_target
from edgefed.policy.common import (
    CATALOGS_SCHEMA,
    COUNTRIES_SCHEMA,
    Compliance,
    allowed_countries,
    catalog_from,
    report,
    resource_policy,
    schema,
)

NAME = "disallow-non-eu-zone"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PROVIDER_TYPE:
        return
    config = args.get_config()
    findings = check_provider_target(args.name, args.props, catalog_from(config), allowed_countries(config))
    report(findings, report_violation)


POLICY = resource_policy(
    NAME,
    "Every Kubernetes provider targets a federation catalog zone in an allowed EU/EEA country.",
    _check,
    tags=["residency", "eu"],
    compliance=Compliance(articles=("44", "45", "46"), sovereignty="SOV-3"),
    remediation="Deploy only to catalog zones in the EU/EEA; set clusterIdentifier to the zone id.",
    config_schema=schema(catalogs=CATALOGS_SCHEMA, allowedCountries=COUNTRIES_SCHEMA),
)
