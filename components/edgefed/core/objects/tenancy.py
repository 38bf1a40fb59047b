"""What an operator gives each contracted tenant in a zone, as plain objects: built from the contract.

Per tenant and country stack with an allocation in the zone: its namespace ``<tenant>-<cc>``, a
ResourceQuota equal to the allocation, a LimitRange, a default-deny NetworkPolicy with DNS egress, the
tenant's rules for the zone's admission policy (a ConfigMap the tenant cannot change), and a Role
bound to the tenant's group with exactly what its apps need there. Per zone, the tenancy guard: a
ValidatingAdmissionPolicy that refuses tenants a NetworkPolicy that opens egress of personal or
restricted pods beyond what :mod:`edgefed.core.rules.egress` allows (the pack's rule, as CEL), and any
change to the operator's own. Pure: no Pulumi import.
"""

from __future__ import annotations

import json
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.contract import Allocation, Contract
from edgefed.core.inputs.geography import geography
from edgefed.core.objects.manifests import GPU_RESOURCE, cpu_quantity
from edgefed.core.objects.trust import GROUP_PREFIX, tenant_group
from edgefed.core.rules.egress import DNS_NAMESPACE, DNS_PORT, DNS_PROTOCOLS, GUARDED, NAMESPACE_NAME
from edgefed.core.rules.pack_config import Destinations

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


def guard_policy(country: str, destinations: Destinations) -> dict[str, Any]:
    """The tenancy guard: tenants' NetworkPolicies open only allowed egress, never touch the operator's.

    ``country`` is the zone's; ``destinations`` the pack config's.
    """
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
        "variables": egress_variables(country),
        "matchConditions": [
            {"name": "tenant", "expression": f"request.userInfo.groups.exists(g, g.startsWith('{GROUP_PREFIX}'))"}
        ],
        "validations": [
            egress_validation(country, destinations),
            {
                "expression": f"(oldObject == null || !({ours.format(o='oldObject', m=managed)})) && "
                f"(object == null || !({ours.format(o='object', m=managed)}))",
                "message": "edgefed tenancy: this NetworkPolicy is the operator's (default deny, DNS); tenants may "
                "not change, delete or imitate it",
                "reason": "Forbidden",
            },
        ],
    }


def egress_variables(country: str) -> list[dict[str, str]]:
    """CEL variables of :mod:`edgefed.core.rules.egress`: the classification and residency a policy's pods have."""
    selected = (
        "has(object.spec.podSelector) && has(object.spec.podSelector.matchLabels) ? "
        "object.spec.podSelector.matchLabels : {}"
    )
    c_key, r_key = json.dumps(labels.CLASSIFICATION), json.dumps(labels.RESIDENCY)
    eea = json.dumps(sorted(geography().eea))
    return [
        {"name": "selected", "expression": selected},
        {
            "name": "selectedClass",
            "expression": f"{c_key} in variables.selected && variables.selected[{c_key}] in "
            f"{json.dumps(list(labels.CLASSIFICATIONS))} ? variables.selected[{c_key}] : 'restricted'",
        },
        {
            "name": "selectedCountries",
            "expression": f"variables.selectedClass == 'restricted' ? [{json.dumps(country.upper())}] : "
            f"{r_key} in variables.selected && variables.selected[{r_key}] != '' ? "
            f"(variables.selected[{r_key}].lowerAscii() == 'eu' ? {eea} : "
            f"variables.selected[{r_key}].upperAscii().split('.')) : [{json.dumps(country.upper())}]",
        },
    ]


def egress_validation(country: str, destinations: Destinations) -> dict[str, str]:
    """CEL of :func:`edgefed.core.rules.egress.check_egress`, with the CIDRs of every country.

    The pods' residency picks among the countries; ``cidr()`` and ``isCIDR()`` are the API server's IP
    library (Kubernetes 1.31+).
    """
    cidrs = json.dumps({code: list(values) for code, values in sorted(destinations.cidrs.items())})
    dns_rule = (
        "has(r.ports) && size(r.ports) > 0 && r.ports.all(q, has(q.port) && q.port == "
        f"{DNS_PORT} && !has(q.endPort) && (!has(q.protocol) || q.protocol in {json.dumps(list(DNS_PROTOCOLS))}))"
    )
    name = json.dumps(NAMESPACE_NAME)
    named = f"p.namespaceSelector.matchLabels[{name}]"
    peer = (
        "has(p.ipBlock) ? (isCIDR(p.ipBlock.cidr) && variables.selectedCountries.exists(c, c in "
        f"{cidrs} && {cidrs}[c].exists(a, cidr(a).containsCIDR(p.ipBlock.cidr)))) : "
        "(!has(p.namespaceSelector) || (has(p.namespaceSelector.matchLabels) && "
        f"{name} in p.namespaceSelector.matchLabels && ({named} == object.metadata.namespace || "
        f"({named} == {json.dumps(DNS_NAMESPACE)} && ({dns_rule})))))"
    )
    rules = f"object.spec.egress.all(r, has(r.to) && size(r.to) > 0 && r.to.all(p, {peer}))"
    return {
        "expression": f"request.operation == 'DELETE' || !(variables.selectedClass in {json.dumps(list(GUARDED))}) "
        f"|| !has(object.spec.egress) || {rules}",
        "messageExpression": "'edgefed tenancy: this NetworkPolicy opens egress of ' + variables.selectedClass + "
        "' pods (the classification its podSelector pins, else restricted) beyond their namespace, the cluster DNS "
        f"({DNS_NAMESPACE}, port {DNS_PORT}) and the CIDRs the federation allows for their residency ' + "
        "variables.selectedCountries.join('/')",
        "reason": "Forbidden",
    }


def guard_binding(policy_name: str) -> dict[str, Any]:
    """The guard applies in every namespace (its match condition selects tenants' requests)."""
    return {"policyName": policy_name, "validationActions": ["Deny"]}
