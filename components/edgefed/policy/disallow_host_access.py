"""disallow-host-access: only public data may use the node's network, processes or disks."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.host_access import RULE, check_host_access, exceptions_of
from edgefed.policy.common import Compliance, report, resource_policy, schema

NAME = RULE


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    exceptions = exceptions_of(args.get_config())
    report(check_host_access(args.resource_type, args.name, args.props, exceptions), report_violation)


POLICY = resource_policy(
    NAME,
    "No workload whose data is not public (or whose classification is missing) uses hostNetwork, hostPID, "
    "hostIPC, a hostPort, a privileged container or a hostPath volume.",
    _check,
    tags=["residency", "network"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-7"),
    remediation="Serve through a ClusterIP Service and keep data in volumes the pod owns (emptyDir, PVC); "
    "leave node access to the operator's own system workloads.",
    config_schema=schema(
        allowedSystemWorkloads={
            "type": "array",
            "items": {"type": "string", "pattern": "^kube-(system|public|node-lease)/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
            "description": "The operator's own system workloads (NAMESPACE/NAME in kube-system, kube-public or "
            "kube-node-lease) that may use the node's network, processes or disks whatever their data.",
            "default": [],
        }
    ),
)
