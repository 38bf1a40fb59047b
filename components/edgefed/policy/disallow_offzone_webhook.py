"""disallow-offzone-webhook: admission webhooks are Services inside the zone, never URLs."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.outbound import WEBHOOK_RULE, check_webhooks
from edgefed.policy.common import Compliance, report, resource_policy

NAME = WEBHOOK_RULE


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report(check_webhooks(args.resource_type, args.name, args.props), report_violation)


POLICY = resource_policy(
    NAME,
    "No mutating or validating webhook configuration whose webhooks are called by URL: each names a Service "
    "inside the zone.",
    _check,
    tags=["residency", "admission"],
    compliance=Compliance(articles=("44", "48"), sovereignty="SOV-2"),
    remediation="Run the webhook as a Service in the zone and name it in clientConfig.service.",
)
