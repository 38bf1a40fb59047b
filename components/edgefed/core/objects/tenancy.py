"""What an operator gives each contracted tenant in a zone, as plain objects: built from the contract.

Per tenant and country stack with an allocation in the zone: its namespace ``<tenant>-<cc>``, a
ResourceQuota equal to the allocation, a LimitRange, a default-deny NetworkPolicy with DNS egress, the
tenant's rules for the zone's admission policy (a ConfigMap the tenant cannot change), and a Role
bound to the tenant's group with exactly what its apps need there. Per zone, the tenancy guard: a
ValidatingAdmissionPolicy that refuses tenants any NetworkPolicy that opens egress, and any change to
the operator's own. Pure: no Pulumi import.
"""

from __future__ import annotations

from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.contract import Allocation, Contract
from edgefed.core.objects.manifests import GPU_RESOURCE, cpu_quantity
from edgefed.core.objects.trust import GROUP_PREFIX, tenant_group

OPERATOR_MANAGED = "edgefed-operator"
"""``app.kubernetes.io/managed-by`` of the operator's objects in tenant namespaces: tenants may not change them."""
QUOTA, LIMITS, DENY, DNS, ROLE = (
    "edgefed-tenant",
    "edgefed-defaults",
    "edgefed-default-deny",
    "edgefed-allow-dns",
    "edgefed-tenant",
)
WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ = ["get", "list", "watch"]


def namespace(tenant: str, country: str) -> str:
    """The namespace of a tenant's country stack in every zone it uses."""
    return f"{tenant}-{country.lower()}"


def quota_spec(allocation: Allocation) -> dict[str, Any]:
    """The tenant namespace's ResourceQuota: its contract's allocation, and no LoadBalancer or NodePort."""
    cpu, memory = cpu_quantity(allocation.cpu), f"{int(allocation.memory_gib * 1024)}Mi"
    return {
        "hard": {
            "requests.cpu": cpu,
            "limits.cpu": cpu,
            "requests.memory": memory,
            "limits.memory": memory,
            "services.loadbalancers": "0",
            "services.nodeports": "0",
            f"requests.{GPU_RESOURCE}": str(sum(allocation.gpus.values())),
        }
    }


def role_rules() -> list[dict[str, Any]]:
    """What a tenant may do in its namespace: exactly what ``FederatedEdgeApp`` (and its provider's waits) need.

    Never the namespace, its quota or LimitRange (read only), RBAC, ConfigMaps (the tenant's own rules),
    Secrets or pods directly; NetworkPolicies are written through the tenancy guard.
    """
    return [
        {"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"], "verbs": WRITE},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": READ},
        {"apiGroups": [""], "resources": ["services"], "verbs": WRITE},
        {"apiGroups": [""], "resources": ["pods", "pods/log", "endpoints", "events"], "verbs": READ},
        {"apiGroups": [""], "resources": ["resourcequotas", "limitranges"], "verbs": READ},
        # The provider's Deployment await watches the namespace's claims (it reports unbound ones).
        {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": READ},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": WRITE},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": WRITE},
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": WRITE},
    ]


def role_binding_subjects(contract: Contract) -> list[dict[str, str]]:
    """The tenant's group, as its home operator's issuer names it."""
    group = tenant_group(contract.home_operator, contract.tenant)
    return [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group}]


def params_data(contract: Contract) -> dict[str, str]:
    """The tenant's rules for the zone's admission policy: its registries and data classes.

    One key per value (``registry-0``, ``class-0``...), so that the policy checks them with standard
    CEL only (no string splitting).
    """
    data = {"tenant": contract.tenant}
    data |= {f"registry-{i}": host for i, host in enumerate(contract.registries)}
    data |= {f"class-{i}": value for i, value in enumerate(contract.data_classes)}
    return data


def operator_labels(base: dict[str, str]) -> dict[str, str]:
    """Labels of an operator object in a tenant namespace."""
    return {**base, labels.MANAGED_BY: OPERATOR_MANAGED}


def guard_policy() -> dict[str, Any]:
    """The tenancy guard: tenants' NetworkPolicies never open egress, never touch the operator's."""
    managed = f"'{labels.MANAGED_BY}'"
    ours = (
        "has({o}.metadata.labels) && {m} in {o}.metadata.labels && {o}.metadata.labels[{m}] == '"
        + OPERATOR_MANAGED
        + "'"
    )
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["networking.k8s.io"],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE", "DELETE"],
                    "resources": ["networkpolicies"],
                }
            ]
        },
        "matchConditions": [
            {"name": "tenant", "expression": f"request.userInfo.groups.exists(g, g.startsWith('{GROUP_PREFIX}'))"}
        ],
        "validations": [
            {
                "expression": "request.operation == 'DELETE' || !has(object.spec.egress) || "
                "size(object.spec.egress) == 0",
                "message": "edgefed tenancy: a tenant's NetworkPolicy may not open egress; the operator's "
                "default-deny policy allows DNS only",
                "reason": "Forbidden",
            },
            {
                "expression": f"(oldObject == null || !({ours.format(o='oldObject', m=managed)})) && "
                f"(object == null || !({ours.format(o='object', m=managed)}))",
                "message": "edgefed tenancy: this NetworkPolicy is the operator's (default deny, DNS); tenants may "
                "not change, delete or imitate it",
                "reason": "Forbidden",
            },
        ],
    }


def guard_binding(policy_name: str) -> dict[str, Any]:
    """The guard applies in every namespace (its match condition selects tenants' requests)."""
    return {"policyName": policy_name, "validationActions": ["Deny"]}
