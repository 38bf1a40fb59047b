"""disallow-external-name: only public data is sent to a host outside the zone by a Service alias."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.outbound import EXTERNAL_NAME_RULE, check_external_name
from edgefed.policy.common import Compliance, report, resource_policy

NAME = EXTERNAL_NAME_RULE


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report(check_external_name(args.resource_type, args.name, args.props), report_violation)


POLICY = resource_policy(
    NAME,
    "No Service of type ExternalName (a DNS alias to a host outside the zone) unless labelled public.",
    _check,
    tags=["residency", "network"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-7"),
    remediation="Call services inside the zone; reach a partner's service through the federation's placement.",
)
