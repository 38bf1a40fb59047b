"""enforce-bucket-residency: every bucket's region and endpoint are its country's catalog storage."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from edgefed.policy.common import (
    CATALOGS_SCHEMA,
    COUNTRIES_SCHEMA,
    FRAMEWORK,
    SEVERITY,
    allowed_countries,
    catalog_from,
    fail_closed_resource,
    report,
    schema,
)
from edgefed.residency import DYNAMIC_TYPE, check_bucket

NAME = "enforce-bucket-residency"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DYNAMIC_TYPE:
        return
    config = args.get_config()
    report(check_bucket(args.name, args.props, catalog_from(config), allowed_countries(config)), report_violation)


POLICY = ResourceValidationPolicy(
    name=NAME,
    description="Every bucket is in an allowed country, at that country's object storage endpoint and region.",
    validate=fail_closed_resource(NAME, _check),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=schema(catalogs=CATALOGS_SCHEMA, allowedCountries=COUNTRIES_SCHEMA),
    severity=SEVERITY,
    framework=FRAMEWORK,
    tags=["residency", "storage"],
    remediation_steps="Use the object storage of a catalog zone in the bucket's country (ResidentBucket does).",
)
