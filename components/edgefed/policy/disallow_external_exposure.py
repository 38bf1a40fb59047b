"""disallow-external-exposure: restricted workloads are never exposed outside their zone."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from edgefed.policy.common import FRAMEWORK, SEVERITY, fail_closed_resource, report
from edgefed.residency import check_exposure

NAME = "disallow-external-exposure"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report(check_exposure(args.resource_type, args.name, args.props), report_violation)


POLICY = ResourceValidationPolicy(
    name=NAME,
    description="No Service of type LoadBalancer or NodePort, and no Ingress, exposes restricted workloads.",
    validate=fail_closed_resource(NAME, _check),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=SEVERITY,
    framework=FRAMEWORK,
    tags=["residency", "network"],
    remediation_steps="Keep restricted services ClusterIP; reach them through the operator's private network.",
)
