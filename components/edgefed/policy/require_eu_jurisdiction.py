"""require-eu-jurisdiction: the pack config's data classes only on operators under EU/EEA law."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.inputs.labels import CLASSIFICATIONS
from edgefed.core.rules.common import BUCKET_TYPE
from edgefed.core.rules.jurisdiction import (
    DEFAULT_CLASSES,
    RULE,
    check_bucket_jurisdiction,
    check_workload_jurisdiction,
    classes_of,
)
from edgefed.policy.common import CATALOGS_SCHEMA, Compliance, catalog_from, report, resource_policy, schema, zone_of

NAME = RULE


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    classes, catalog = classes_of(config), catalog_from(config)
    if args.resource_type == BUCKET_TYPE:
        report(check_bucket_jurisdiction(args.name, args.props, catalog, classes), report_violation)
        return
    found = check_workload_jurisdiction(args.resource_type, args.name, args.props, zone_of(args), catalog, classes)
    report(found, report_violation)


POLICY = resource_policy(
    NAME,
    "Workloads (primaries, standbys, failover targets) and buckets of the configured data classes run and are "
    "stored only in zones of operators whose home jurisdiction is an EU/EEA country.",
    _check,
    tags=["residency", "jurisdiction"],
    compliance=Compliance(articles=("44", "48"), sovereignty="SOV-2"),
    remediation="Let placement choose (it leaves these zones out for the bound classes), or pin the app to zones of "
    "operators under EU/EEA law.",
    config_schema=schema(
        catalogs=CATALOGS_SCHEMA,
        dataClasses={
            "type": "array",
            "items": {"enum": list(CLASSIFICATIONS)},
            "description": "Data classes that may run only on operators whose home jurisdiction is in the EU/EEA.",
            "default": list(DEFAULT_CLASSES),
        },
    ),
)
