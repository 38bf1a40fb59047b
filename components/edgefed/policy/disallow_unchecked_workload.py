"""disallow-unchecked-workload: nothing runs containers where the pack cannot read them."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.coverage import check_unchecked_workload
from edgefed.policy.common import Compliance, report, resource_policy, schema

NAME = "disallow-unchecked-workload"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    releases = list(args.get_config().get("allowedHelmReleases") or [])
    report(check_unchecked_workload(args.resource_type, args.name, args.props, releases), report_violation)


POLICY = resource_policy(
    NAME,
    "No resource runs containers that the pack cannot inspect: Helm releases only when allow-listed, no "
    "list of workloads, and no unknown kind that carries a pod spec.",
    _check,
    tags=["residency", "coverage"],
    compliance=Compliance(articles=("44", "48"), sovereignty="SOV-2"),
    remediation="Use a workload kind the pack checks, or a helm.sh/v4 Chart whose objects are checked one by one.",
    config_schema=schema(
        allowedHelmReleases={
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"repo": {"type": "string"}, "chart": {"type": "string"}},
                "required": ["repo", "chart"],
                "additionalProperties": False,
            },
            "description": "Helm releases (repository URL and chart) reviewed and trusted as a whole.",
            "default": [],
        }
    ),
)
