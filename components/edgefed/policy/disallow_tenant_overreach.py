"""disallow-tenant-overreach: a tenant's program declares only what its identity may write in a zone."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.tenant_rights import RULE, check_tenant_rights
from edgefed.policy.common import CATALOGS_SCHEMA, Compliance, catalog_from, report, resource_policy, schema

NAME = RULE


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.provider is None:
        return
    catalog = catalog_from(args.get_config())
    found = check_tenant_rights(args.resource_type, args.name, args.props, args.provider.props, catalog)
    report(found, report_violation)


POLICY = resource_policy(
    NAME,
    "A program deploying with a tenant's identity declares only objects the tenant may write (Deployments, "
    "Services, claims, disruption budgets, autoscalers, NetworkPolicies) in its own namespaces, never the "
    "operator's objects: the zone would refuse the rest half-way through the update.",
    _check,
    tags=["tenancy", "least-privilege"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-7"),
    remediation="Leave namespaces, quotas, RBAC, admission policies, webhooks and cluster-scoped objects to the zone's "
    "operator (its zone stack); deploy apps with edgefed's FederatedEdgeApp into your namespaces <tenant>-<cc>.",
    config_schema=schema(catalogs=CATALOGS_SCHEMA),
)
