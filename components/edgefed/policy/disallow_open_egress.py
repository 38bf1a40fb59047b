"""disallow-open-egress: personal and restricted pods send data only to their namespace, DNS and allowed CIDRs."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.egress import RULE, check_egress
from edgefed.policy.common import (
    CATALOGS_SCHEMA,
    Compliance,
    destinations_of,
    destinations_schema,
    report,
    resource_policy,
    schema,
    zone_country,
)

NAME = RULE


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    destinations = destinations_of(config, NAME)
    country = zone_country(args, config)
    report(check_egress(args.resource_type, args.name, args.props, country, destinations), report_violation)


POLICY = resource_policy(
    NAME,
    "No NetworkPolicy opens egress of personal or restricted pods (or pods it does not pin to a classification) "
    "beyond their namespace, the cluster DNS and the pack config's CIDRs of their residency.",
    _check,
    tags=["residency", "network"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-3"),
    remediation="Pin the podSelector to the pods' classification and residency, and send data only to "
    "destinations the federation lists for that country (allowedCidrs in the pack config).",
    config_schema=schema(
        catalogs=CATALOGS_SCHEMA,
        allowedCidrs=destinations_schema(
            "Per ISO country code, CIDRs that personal and restricted pods in that country may reach (default: none).",
            {"type": "string"},
        ),
    ),
)
