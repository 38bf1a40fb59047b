"""enforce-bucket-residency: every bucket's region and endpoint are its country's catalog storage."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.buckets import check_bucket
from edgefed.core.rules.common import BUCKET_TYPE
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

NAME = "enforce-bucket-residency"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != BUCKET_TYPE:
        return  # buckets are ResidentBuckets, recognised by their type
    config = args.get_config()
    report(check_bucket(args.name, args.props, catalog_from(config), allowed_countries(config)), report_violation)


POLICY = resource_policy(
    NAME,
    "Every bucket is in an allowed country, at that country's object storage endpoint and region; "
    "restricted data only where the endpoint encrypts by default.",
    _check,
    tags=["residency", "storage"],
    compliance=Compliance(articles=("44", "46"), sovereignty="SOV-3"),
    remediation="Use the object storage of a catalog zone in the bucket's country (ResidentBucket does).",
    config_schema=schema(catalogs=CATALOGS_SCHEMA, allowedCountries=COUNTRIES_SCHEMA),
)
