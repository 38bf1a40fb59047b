"""disallow-external-exposure: restricted workloads are never exposed outside their zone."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.policy.common import report, resource_policy
from edgefed.residency import check_exposure

NAME = "disallow-external-exposure"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report(check_exposure(args.resource_type, args.name, args.props), report_violation)


POLICY = resource_policy(
    NAME,
    "No Service of type LoadBalancer or NodePort, and no Ingress, exposes restricted workloads.",
    _check,
    tags=["residency", "network"],
    remediation="Keep restricted services ClusterIP; reach them through the operator's private network.",
)
