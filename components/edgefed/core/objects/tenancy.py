"""What an operator gives each contracted tenant in a zone, as plain objects: built from the contract and its terms.

Per tenant and country stack with an allocation in the zone: its namespace ``<tenant>-<cc>`` at the Pod
Security Standards' *restricted* level, a ResourceQuota (the allocation, the operator's object counts,
storage, ephemeral storage, node ports and load balancers it grants), a LimitRange (defaults and
minimums, ephemeral storage included), a default-deny NetworkPolicy with DNS egress, the tenant's rules
for the zone's admission policies (a ConfigMap the tenant cannot change), and a Role bound to the
tenant's group with exactly what its apps need there. The zone-wide guards are in
:mod:`edgefed.core.objects.guard` and :mod:`edgefed.core.objects.isolation`. Pure: no Pulumi import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.contract import Allocation, Contract, tenant_namespace
from edgefed.core.inputs.operator_terms import NamespaceQuota, OperatorTerms
from edgefed.core.objects.manifests import GPU_RESOURCE, cpu_quantity
from edgefed.core.objects.trust import GROUP_PREFIX, tenant_group
from edgefed.core.rules import tenant_rights
from edgefed.core.rules.pack_config import Destinations
from edgefed.core.rules.tenant_rights import TENANT_WRITES

OPERATOR_MANAGED = tenant_rights.OPERATOR_MANAGED
"""``app.kubernetes.io/managed-by`` of the operator's objects in tenant namespaces: tenants may not change them."""
QUOTA, LIMITS, ROLE = "edgefed-tenant", "edgefed-defaults", "edgefed-tenant"
DENY, DNS = tenant_rights.OPERATOR_OBJECT_NAMES
WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ = ["get", "list", "watch"]
POD_SECURITY_LEVEL = "restricted"
"""The Pod Security Standards level of every tenant namespace, enforced by the API server's built-in Pod
Security admission (labels only the operator can write: tenants have no right on namespaces)."""
POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}": POD_SECURITY_LEVEL for mode in ("enforce", "audit", "warn")
} | {f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce", "audit", "warn")}
OPERATOR_OBJECTS = {"configmaps": 2, "count/networkpolicies.networking.k8s.io": 2}
"""The operator's own objects in each tenant namespace that its quota counts: the tenant's rules and the
namespace's CA bundle (``kube-root-ca.crt``, made by the zone), the default deny and the DNS egress."""
TENANT_GROUPS = f"request.userInfo.groups.exists(g, g.startsWith('{GROUP_PREFIX}'))"
"""CEL: the request comes from a tenant (any tenant's group, as the zones' authentication maps it)."""


namespace = tenant_namespace
"""The namespace of a tenant's country stack in every zone it uses (``<tenant>-<cc>``)."""


TENANT_LABEL = "edgefed.io/tenant"
"""The label of a tenant namespace naming its tenant (the operator's: tenants cannot change namespaces)."""


def namespace_labels(zone_labels: Mapping[str, str], tenant: str) -> dict[str, str]:
    """The tenant namespace's labels: the zone's residency labels, its tenant, and the Pod Security level."""
    return {**zone_labels, TENANT_LABEL: tenant, **POD_SECURITY_LABELS}


def _gib(value: float) -> str:
    return f"{int(value * 1024)}Mi"


def quota_spec(
    allocation: Allocation, share: NamespaceQuota, node_ports: int = 0, load_balancers: int = 0
) -> dict[str, Any]:
    """The tenant namespace's ResourceQuota: its contract's allocation and its operator's object counts.

    Node ports and load balancers only as many as the operator's terms grant the tenant (none by default).
    """
    cpu, memory = cpu_quantity(allocation.cpu), _gib(allocation.memory_gib)
    ephemeral = _gib(share.ephemeral_storage_gib)
    hard = {
        "requests.cpu": cpu,
        "limits.cpu": cpu,
        "requests.memory": memory,
        "limits.memory": memory,
        f"requests.{GPU_RESOURCE}": str(sum(allocation.gpus.values())),
        "requests.ephemeral-storage": ephemeral,
        "limits.ephemeral-storage": ephemeral,
        "requests.storage": _gib(share.storage_gib),
        "persistentvolumeclaims": str(share.persistent_volume_claims),
        "pods": str(share.pods),
        "services": str(share.services),
        "services.loadbalancers": str(load_balancers),
        "services.nodeports": str(node_ports),
        "configmaps": str(share.config_maps),
        "secrets": str(share.secrets),
        "count/networkpolicies.networking.k8s.io": str(share.network_policies),
        "count/poddisruptionbudgets.policy": str(share.pod_disruption_budgets),
    }
    for key, own in OPERATOR_OBJECTS.items():
        hard[key] = str(int(hard[key]) + own)
    return {"hard": hard}


def container_defaults_spec() -> dict[str, Any]:
    """The tenant namespace's LimitRange: defaults for a container that declares nothing, and floors.

    Every resource the quota counts has a default, so a container that declares none is still admitted
    and counted (ephemeral storage included); the minimums stop a tenant from packing thousands of
    near-zero pods that the quota's CPU and memory would not notice.
    """
    return {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "512Mi", "ephemeral-storage": "1Gi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "256Mi"},
                "min": {"cpu": "10m", "memory": "16Mi", "ephemeral-storage": "16Mi"},
            },
            {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}},
        ]
    }


def role_rules() -> list[dict[str, Any]]:
    """What a tenant may do in its namespace: exactly what ``FederatedEdgeApp`` (and its provider's waits) need.

    Writes are :data:`edgefed.core.rules.tenant_rights.TENANT_WRITES`, the list the pack's
    ``disallow-tenant-overreach`` judges tenants' programs by; NetworkPolicies, Services, claims and
    disruption budgets go through the tenancy guard. Never the namespace, its quota or LimitRange (read
    only), RBAC, ConfigMaps (the tenant's own rules), Secrets or pods directly.
    """
    writes = [
        {
            "apiGroups": [group],
            "resources": [resource, *(["deployments/scale"] if resource == "deployments" else [])],
            "verbs": WRITE,
        }
        for group, resource, _ in TENANT_WRITES
    ]
    return [
        *writes,
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": READ},
        {"apiGroups": [""], "resources": ["pods", "pods/log", "endpoints", "events"], "verbs": READ},
        {"apiGroups": [""], "resources": ["resourcequotas", "limitranges"], "verbs": READ},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ},
    ]


def role_binding_subjects(contract: Contract) -> list[dict[str, str]]:
    """The tenant's group, as its home operator's issuer names it."""
    group = tenant_group(contract.home_operator, contract.tenant)
    return [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group}]


GPU_TOLERATION = f"{GPU_RESOURCE}|Exists||NoSchedule"
"""The GPU nodes' toleration (``FederatedEdgeApp`` adds it to GPU apps), granted where the allocation has GPUs."""


def params_data(
    contract: Contract,
    country: str,
    allocation: Allocation,
    terms: OperatorTerms,
    zone_country: str,
    destinations: Destinations,
) -> dict[str, str]:
    """The tenant's rules for the zone's admission policies, in one namespace of one zone.

    One key per value (``registry-0``, ``class-0``...), so that the policies check them with standard CEL
    only (no string splitting): the tenant, its stack's ``country``, its registries and data classes, and
    what the contract grants that the zone's operator offers (storage classes, priority classes,
    tolerations as ``key|operator|value|effect``), the outside names it may alias in the zone's country
    (its contract's, within the federation's), and its node ports and load balancers (the operator's terms).
    """
    data = {"tenant": contract.tenant, "country": country.upper()}
    data |= {f"registry-{i}": host for i, host in enumerate(contract.registries)}
    data |= {f"class-{i}": value for i, value in enumerate(contract.data_classes)}
    grants = contract.grants
    storage = [name for name in grants.storage_classes if name in terms.offered("storage_classes")]
    priority = [name for name in grants.priority_classes if name in terms.offered("priority_classes")]
    tolerations = [t.canonical() for t in terms.tolerations if t.name in grants.tolerations]
    if allocation.gpus:
        tolerations.append(GPU_TOLERATION)
    allowed = set(destinations.names_in([zone_country.upper()]))
    names = [name for name in grants.external_names.get(zone_country.upper(), ()) if name in allowed]
    data |= {f"storage-class-{i}": name for i, name in enumerate(storage)}
    data |= {f"priority-class-{i}": name for i, name in enumerate(priority)}
    data |= {f"toleration-{i}": value for i, value in enumerate(tolerations)}
    data |= {f"external-name-{i}": name for i, name in enumerate(names)}
    ports = terms.node_ports.get(contract.tenant)
    if ports is not None:
        data |= {"node-ports-first": str(ports.first), "node-ports-last": str(ports.last)}
    data["load-balancers"] = str(terms.load_balancers.get(contract.tenant, 0))
    return data


def operator_labels(base: dict[str, str]) -> dict[str, str]:
    """Labels of an operator object in a tenant namespace."""
    return {**base, labels.MANAGED_BY: OPERATOR_MANAGED}
