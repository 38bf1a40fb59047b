"""disallow-tenant-overreach: a tenant's program registers only what the tenant's identity may write in a zone.

The zones refuse a tenant everything but a few kinds of object in its own namespaces (the Role its
operators bind, built from :data:`TENANT_WRITES` by :func:`edgefed.core.objects.tenancy.role_rules`).
A tenant's own Pulumi program that also declares a namespace, a quota, RBAC, an admission policy or
webhook, any cluster-scoped object, or a patch of the operator's objects would pass a preview and fail
half-way through ``up``: this rule refuses it at preview, from the same list. Pure logic.

Whose program it is comes from the provider's real credential, never from a name or label: a provider
whose kubeconfig presents a token issued by a catalog operator's identity issuer (the issuers every zone
trusts, :mod:`edgefed.core.objects.trust`) acts as that operator's tenant. Its claims are read, not
verified: the zone verifies them, and this rule only says early what the zone will answer. Nothing of
the kubeconfig but the tenant and its operator is ever put in a message.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.contract import stack_country
from edgefed.core.rules.common import Finding, describe_resource, shown
from edgefed.core.rules.kubeconfig_transport import kubeconfig_document

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog

RULE = "disallow-tenant-overreach"
TENANT_WRITES: tuple[tuple[str, str, str], ...] = (
    ("apps", "deployments", "Deployment"),
    ("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    ("networking.k8s.io", "networkpolicies", "NetworkPolicy"),
    ("", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("policy", "poddisruptionbudgets", "PodDisruptionBudget"),
    ("", "services", "Service"),
)
"""(API group, resource, kind) of every object a tenant may write, in its own namespaces only."""
OPERATOR_OBJECT_NAMES = ("edgefed-default-deny", "edgefed-allow-dns")
"""The operator's objects of a kind tenants may otherwise write (its NetworkPolicies in every tenant namespace)."""
OPERATOR_MANAGED = "edgefed-operator"
"""``app.kubernetes.io/managed-by`` of the operator's objects in tenant namespaces."""
NOT_KUBERNETES_OBJECTS = ("kubernetes:yaml", "kubernetes:kustomize", "kubernetes:helm.sh/v4:Chart")
"""Provider types that register their objects one by one (each is judged itself), prefixes included."""


def _claims(token: str) -> Mapping[str, Any] | None:
    """A JWT's payload, decoded without verification (``None``: not a JWT)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    return payload if isinstance(payload, Mapping) else None


@cache
def _tenant_of(kubeconfig: str, context: str | None, issuers: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    document = kubeconfig_document(kubeconfig)
    if document is None:
        return None

    def named(section: str, name: object) -> Mapping[str, Any]:
        entries = document.get(section)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and entry.get("name") == name:
                body = entry.get(section[:-1])
                return body if isinstance(body, Mapping) else {}
        return {}

    user = named("users", named("contexts", context or document.get("current-context")).get("user"))
    token = user.get("token")
    claims = _claims(token) if isinstance(token, str) else None
    if claims is None:
        return None
    operator = dict(issuers).get(str(claims.get("iss", "")).rstrip("/"))
    account = ((claims.get("kubernetes.io") or {}).get("serviceaccount") or {}).get("name")
    return (operator, str(account)) if operator and account else None


def tenant_of(provider_props: Mapping[str, Any], catalog: Catalog) -> tuple[str, str] | None:
    """(home operator, tenant) when the provider's credential is a tenant's token; ``None`` for any other."""
    kubeconfig = provider_props.get("kubeconfig")
    if not isinstance(kubeconfig, str):
        return None
    issuers = tuple(
        sorted((o.identity_issuer.rstrip("/"), o.id) for o in catalog.operators if o.identity_issuer is not None)
    )
    context = provider_props.get("context")
    return _tenant_of(kubeconfig, context if isinstance(context, str) else None, issuers)


def _group_and_kind(resource_type: str) -> tuple[str, str] | None:
    """(API group, kind) of a provider resource type (``kubernetes:apps/v1:DeploymentPatch``: apps, Deployment)."""
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1]:
        return None
    group = parts[1].rsplit("/", 1)[0]
    return ("" if group == "core" else group), parts[2].removesuffix("Patch")


def check_tenant_rights(
    resource_type: str, name: str, props: Mapping[str, Any], provider_props: Mapping[str, Any], catalog: Catalog
) -> list[Finding]:
    """A resource deployed with a tenant's identity is one the tenant may write, in its own namespace."""
    if not resource_type.startswith("kubernetes:") or resource_type.startswith(NOT_KUBERNETES_OBJECTS):
        return []
    found = tenant_of(provider_props, catalog)
    if found is None:
        return []
    operator, tenant = found
    what = describe_resource(resource_type, name)
    who = f"tenant {tenant}'s identity (from {operator}'s issuer)"
    writable = sorted(kind for _, _, kind in TENANT_WRITES)
    group_kind = _group_and_kind(resource_type)
    if group_kind is None or group_kind not in {(g, k) for g, _, k in TENANT_WRITES}:
        kind = group_kind[1] if group_kind else resource_type
        return [
            Finding(
                RULE,
                f"{what}: {who} may not write {kind} objects in any zone (a tenant writes only "
                f"{', '.join(writable)}, in its own namespaces); rule {RULE} refuses at preview what the zone would "
                "refuse half-way through the update",
            )
        ]
    metadata = props.get("metadata") or {}
    space = str(metadata.get("namespace") or provider_props.get("namespace") or "default")
    if not space.startswith(f"{tenant}-") or stack_country(space) is None:
        return [
            Finding(
                RULE,
                f"{what}: {who} may write only in its own namespaces ({tenant}-<cc>), not in {shown(space)}; rule "
                f"{RULE} refuses at preview what the zone would refuse half-way through the update",
            )
        ]
    own_labels = metadata.get("labels") or {}
    if metadata.get("name") in OPERATOR_OBJECT_NAMES or own_labels.get(labels.MANAGED_BY) == OPERATOR_MANAGED:
        return [
            Finding(
                RULE,
                f"{what}: {shown(metadata.get('name'))} in {space} is (or imitates) the operator's own object, which "
                f"{who} may not change; rule {RULE} refuses at preview what the zone would refuse half-way through "
                "the update",
            )
        ]
    return []
