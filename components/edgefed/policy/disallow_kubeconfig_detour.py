"""disallow-kubeconfig-detour: providers reach their zone directly, verified, with their own credential."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.kinds import PROVIDER_TYPE
from edgefed.core.rules.kubeconfig_transport import RULE, check_kubeconfig_transport
from edgefed.policy.common import Compliance, report, resource_policy, schema

NAME = RULE


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PROVIDER_TYPE:
        return
    # Fail closed: only a config that says so, the local federation's own, accepts unverified loopback TLS.
    unverified = args.get_config().get("allowUnverifiedTls") is True
    report(check_kubeconfig_transport(args.name, args.props, allow_unverified_tls=unverified), report_violation)


POLICY = resource_policy(
    NAME,
    "No Kubernetes provider's kubeconfig sends requests through a proxy, runs a credential program or "
    "auth-provider plugin, skips certificate checks or accepts another host's certificate.",
    _check,
    tags=["residency", "transport"],
    compliance=Compliance(articles=("44", "46"), sovereignty="SOV-3"),
    remediation="Give the provider kubeconfig contents with the zone's CA and a token or client certificate "
    "issued by the home operator (edgefed identity).",
    config_schema=schema(
        allowUnverifiedTls={
            "type": "boolean",
            "description": "Accept insecure-skip-tls-verify: only the local federation's own config (loopback "
            "servers with self-signed certificates) sets it.",
            "default": False,
        }
    ),
)
