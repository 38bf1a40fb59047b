"""disallow-restricted-exposure-path: a stack policy following what Services select and routes lead to."""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs

from edgefed.core.rules.common import zone_of_provider
from edgefed.core.rules.exposure import PATH_RULE, Obj, check_exposure_paths
from edgefed.policy.common import Compliance, report, stack_policy

NAME = PATH_RULE


def _check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    objects = []
    for resource in args.resources:
        if not resource.resource_type.startswith("kubernetes:"):
            continue
        metadata = resource.props.get("metadata") or {}
        provider = resource.provider.props if resource.provider else {}
        objects.append(
            Obj(
                resource_type=resource.resource_type,
                name=resource.name,
                object_name=str(metadata.get("name") or resource.name),
                namespace=str(metadata.get("namespace") or provider.get("namespace") or "default"),
                zone=zone_of_provider(provider) or "unknown",
                props=resource.props,
            )
        )
    report(check_exposure_paths(objects), report_violation)


POLICY = stack_policy(
    NAME,
    "No LoadBalancer/NodePort Service selects restricted pods, and no Ingress or Gateway route leads to "
    "them or to anything the pack cannot follow, whatever labels the Service or route carries.",
    _check,
    tags=["residency", "network"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-7"),
    remediation="Keep Services in front of restricted pods ClusterIP, and route only to Services of the stack.",
)
