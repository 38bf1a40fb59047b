"""disallow-external-exposure: restricted workloads are never exposed outside their zone."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.exposure import check_exposure
from edgefed.policy.common import Compliance, report, resource_policy

NAME = "disallow-external-exposure"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report(check_exposure(args.resource_type, args.name, args.props), report_violation)


POLICY = resource_policy(
    NAME,
    "No Service of type LoadBalancer or NodePort (or with externalIPs), no Ingress and no Gateway route "
    "labelled restricted (or unlabelled) exists.",
    _check,
    tags=["residency", "network"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-7"),
    remediation="Keep restricted services ClusterIP; reach them through the operator's private network.",
)
