"""The tenancy guard: what a tenant's own requests may write in a zone, as two ValidatingAdmissionPolicies.

Judged for tenants' requests only (their groups); what depends on the tenant's grants (node ports, load
balancers, aliases, storage classes) in a second policy, :func:`grants_policy`, with the tenant
namespace's rules as parameters (:func:`edgefed.core.objects.tenancy.params_data`):

- NetworkPolicies open egress of personal or restricted pods only as :mod:`edgefed.core.rules.egress`
  allows (the pack's rule, as CEL), admit ingress only from the namespace itself and the networks an
  app declares, and never touch or imitate the operator's;
- Services claim no address (no ``externalIPs``, CVE-2020-8554, nor ``loadBalancerIP``), open node ports
  only in the tenant's own range and load balancers only as the operator's terms grant, and alias by
  ExternalName only a name the tenant's contract lists for the zone's country;
- claims name a storage class the contract grants, and never bind a volume by name or read another
  namespace's data;
- a PodDisruptionBudget always allows a disruption, so the operator can drain its nodes.

Pure: no Pulumi import.
"""

from __future__ import annotations

import json
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.geography import geography
from edgefed.core.objects.tenancy import OPERATOR_MANAGED, TENANT_GROUPS, TENANT_LABEL
from edgefed.core.rules.egress import DNS_NAMESPACE, DNS_PORT, DNS_PROTOCOLS, GUARDED, NAMESPACE_NAME
from edgefed.core.rules.pack_config import Destinations

GUARDED_RESOURCES = {
    "networking.k8s.io": ["networkpolicies"],
    "": ["services", "persistentvolumeclaims"],
    "policy": ["poddisruptionbudgets"],
}
"""What tenants write through the guard (everything else they may write is a workload, judged by the residency
and isolation policies)."""
PREFIX = "edgefed tenancy: "


def _cel(value: Any) -> str:
    return json.dumps(value)


def _param_values(prefix: str) -> str:
    """CEL: the values of the namespace's rules whose keys start with ``prefix`` (``storage-class-``)."""
    return f"params.data.filter(k, k.startsWith({_cel(prefix)})).map(k, params.data[k])"


def _listed(prefix: str) -> str:
    """CEL: those values joined for a message, ``none`` when there are none."""
    values = _param_values(prefix)
    return f"(size({values}) > 0 ? {values}.join(', ') : 'none')"


def _deny(expression: str, message: str, *, dynamic: bool = False) -> dict[str, str]:
    key = "messageExpression" if dynamic else "message"
    return {"expression": expression, key: message if dynamic else PREFIX + message, "reason": "Forbidden"}


def _of_kind(kind: str, check: str) -> str:
    """CEL: ``check`` holds for a written object of ``kind`` (a deletion, or another kind, passes)."""
    return f"request.operation == 'DELETE' || object.kind != {_cel(kind)} || ({check})"


def guard_policy(country: str, destinations: Destinations) -> dict[str, Any]:
    """The guard for one zone: ``country`` is the zone's, ``destinations`` the pack config's.

    It needs no parameters, so the zone's own controllers are never held up by it (a namespace being deleted
    loses its tenant rules before its other objects): what depends on the tenant's grants is
    :func:`grants_policy`'s.
    """
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [group],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE", "DELETE"],
                    "resources": resources,
                }
                for group, resources in GUARDED_RESOURCES.items()
            ]
        },
        "variables": egress_variables(country),
        "matchConditions": [{"name": "tenant", "expression": TENANT_GROUPS}],
        "validations": [
            operator_objects_validation(),
            egress_validation(country, destinations),
            ingress_validation(),
            no_address_validation(),
            claim_source_validation(),
            disruption_validation(),
        ],
    }


def guard_binding(policy_name: str) -> dict[str, Any]:
    """The guard applies in every namespace (its match condition selects tenants' requests)."""
    return {"policyName": policy_name, "validationActions": ["Deny"]}


GRANTED_RESOURCES = (("services", ["CREATE", "UPDATE"]), ("persistentvolumeclaims", ["CREATE"]))
"""What a tenant writes within its grants: Services (node ports, load balancers, aliases) whenever written, claims
when created (their storage class cannot change after; their later updates come from the zone's controllers)."""


def grants_policy() -> dict[str, Any]:
    """What a tenant may open within its grants: node ports in its range, load balancers, aliases, storage classes.

    The tenant namespace's rules are its parameters (:func:`edgefed.core.objects.tenancy.params_data`).
    """
    return {
        "failurePolicy": "Fail",
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
        "matchConstraints": {
            "resourceRules": [
                {"apiGroups": [""], "apiVersions": ["*"], "operations": operations, "resources": [resource]}
                for resource, operations in GRANTED_RESOURCES
            ]
        },
        "matchConditions": [{"name": "tenant", "expression": TENANT_GROUPS}],
        "validations": [*grant_validations(), claim_class_validation()],
    }


def grants_binding(policy_name: str) -> dict[str, Any]:
    """Every tenant namespace (labelled with its tenant by the operator), each with its rules as parameters.

    Tenants write nowhere else (RBAC); a tenant namespace without its rules admits nothing granted.
    """
    return {
        "policyName": policy_name,
        "validationActions": ["Deny"],
        "paramRef": {"name": "edgefed-tenant", "parameterNotFoundAction": "Deny"},
        "matchResources": {"namespaceSelector": {"matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}]}},
    }


def operator_objects_validation() -> dict[str, str]:
    """Objects labelled as the operator's (its default deny, DNS egress) are never changed, deleted or imitated."""
    managed = _cel(labels.MANAGED_BY)
    ours = "has({o}.metadata.labels) && {m} in {o}.metadata.labels && {o}.metadata.labels[{m}] == " + _cel(
        OPERATOR_MANAGED
    )
    return _deny(
        f"(oldObject == null || !({ours.format(o='oldObject', m=managed)})) && "
        f"(object == null || !({ours.format(o='object', m=managed)}))",
        "this object is the operator's (default deny, DNS); tenants may not change, delete or imitate it",
    )


def egress_variables(country: str) -> list[dict[str, str]]:
    """CEL variables of :mod:`edgefed.core.rules.egress`: the classification and residency a policy's pods have."""
    selected = (
        "has(object.spec.podSelector) && has(object.spec.podSelector.matchLabels) ? "
        "object.spec.podSelector.matchLabels : {}"
    )
    c_key, r_key = _cel(labels.CLASSIFICATION), _cel(labels.RESIDENCY)
    eea = _cel(sorted(geography().eea))
    return [
        {"name": "selected", "expression": selected},
        {
            "name": "selectedClass",
            "expression": f"{c_key} in variables.selected && variables.selected[{c_key}] in "
            f"{_cel(list(labels.CLASSIFICATIONS))} ? variables.selected[{c_key}] : 'restricted'",
        },
        {
            "name": "selectedCountries",
            "expression": f"variables.selectedClass == 'restricted' ? [{_cel(country.upper())}] : "
            f"{r_key} in variables.selected && variables.selected[{r_key}] != '' ? "
            f"(variables.selected[{r_key}].lowerAscii() == 'eu' ? {eea} : "
            f"variables.selected[{r_key}].upperAscii().split('.')) : [{_cel(country.upper())}]",
        },
    ]


def egress_validation(country: str, destinations: Destinations) -> dict[str, str]:
    """CEL of :func:`edgefed.core.rules.egress.check_egress`, with the CIDRs of every country.

    The pods' residency picks among the countries; ``cidr()`` and ``isCIDR()`` are the API server's IP
    library (Kubernetes 1.31+).
    """
    cidrs = _cel({code: list(values) for code, values in sorted(destinations.cidrs.items())})
    dns_rule = (
        "has(r.ports) && size(r.ports) > 0 && r.ports.all(q, has(q.port) && q.port == "
        f"{DNS_PORT} && !has(q.endPort) && (!has(q.protocol) || q.protocol in {_cel(list(DNS_PROTOCOLS))}))"
    )
    name = _cel(NAMESPACE_NAME)
    named = f"p.namespaceSelector.matchLabels[{name}]"
    peer = (
        "has(p.ipBlock) ? (isCIDR(p.ipBlock.cidr) && variables.selectedCountries.exists(c, c in "
        f"{cidrs} && {cidrs}[c].exists(a, cidr(a).containsCIDR(p.ipBlock.cidr)))) : "
        "(!has(p.namespaceSelector) || (has(p.namespaceSelector.matchLabels) && "
        f"{name} in p.namespaceSelector.matchLabels && ({named} == object.metadata.namespace || "
        f"({named} == {_cel(DNS_NAMESPACE)} && ({dns_rule})))))"
    )
    rules = f"object.spec.egress.all(r, has(r.to) && size(r.to) > 0 && r.to.all(p, {peer}))"
    check = f"!(variables.selectedClass in {_cel(list(GUARDED))}) || !has(object.spec.egress) || {rules}"
    return _deny(
        _of_kind("NetworkPolicy", check),
        f"'{PREFIX}this NetworkPolicy opens egress of ' + variables.selectedClass + "
        "' pods (the classification its podSelector pins, else restricted) beyond their namespace, the cluster DNS "
        f"({DNS_NAMESPACE}, port {DNS_PORT}) and the CIDRs the federation allows for their residency ' + "
        "variables.selectedCountries.join('/')",
        dynamic=True,
    )


def ingress_validation() -> dict[str, str]:
    """Ingress only from the policy's own namespace and from networks (``ipBlock``) the app declares.

    A rule without ``from`` admits everyone, and a ``namespaceSelector`` that is not pinned to the policy's
    own namespace admits other tenants' pods.
    """
    name = _cel(NAMESPACE_NAME)
    peer = (
        "has(p.ipBlock) || !has(p.namespaceSelector) || (has(p.namespaceSelector.matchLabels) && "
        f"{name} in p.namespaceSelector.matchLabels && p.namespaceSelector.matchLabels[{name}] == "
        "object.metadata.namespace)"
    )
    check = f"!has(object.spec.ingress) || object.spec.ingress.all(r, has(r.from) && size(r.from) > 0 && " \
        f"r.from.all(p, {peer}))"  # fmt: skip
    return _deny(
        _of_kind("NetworkPolicy", check),
        "this NetworkPolicy admits ingress from other namespaces or from anywhere; a tenant's pods are reachable "
        "only from their own namespace and from the networks (ipBlock) its apps declare",
    )


NODE_PORTS_GRANTED = "'node-ports-first' in params.data && 'node-ports-last' in params.data"
IN_RANGE = (
    "object.spec.ports.all(p, has(p.nodePort) && p.nodePort >= int(params.data['node-ports-first']) && "
    "p.nodePort <= int(params.data['node-ports-last']))"
)


def no_address_validation() -> dict[str, str]:
    """A tenant's Service claims no address: no ``externalIPs`` (CVE-2020-8554), no ``loadBalancerIP``."""
    no_address = "(!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0) && " \
        "(!has(object.spec.loadBalancerIP) || object.spec.loadBalancerIP == '')"  # fmt: skip
    return _deny(
        _of_kind("Service", no_address),
        "a Service may not claim an address (externalIPs, CVE-2020-8554: it would capture every pod's traffic to "
        "those addresses; loadBalancerIP): the zone's operator assigns addresses",
    )


def grant_validations() -> list[dict[str, str]]:
    """A tenant's Service opens the node or a load balancer, or aliases a name, only as granted."""
    node_ports = f"object.spec.type != 'NodePort' || ({NODE_PORTS_GRANTED} && {IN_RANGE})"
    load_balancer = (
        "object.spec.type != 'LoadBalancer' || (int(params.data['load-balancers']) > 0 && "
        "((has(object.spec.allocateLoadBalancerNodePorts) && !object.spec.allocateLoadBalancerNodePorts) || "
        f"({NODE_PORTS_GRANTED} && {IN_RANGE})))"
    )
    alias = (
        "object.spec.type != 'ExternalName' || "
        f"{_param_values('external-name-')}.exists(n, n == object.spec.externalName.lowerAscii() || "
        "n + '.' == object.spec.externalName.lowerAscii())"
    )
    ranges = (
        "('node-ports-first' in params.data ? params.data['node-ports-first'] + '-' + "
        "params.data['node-ports-last'] : 'none')"
    )
    return [
        _deny(
            _of_kind("Service", node_ports),
            f"'{PREFIX}tenant ' + params.data['tenant'] + ' may open node ports only in its own range, each "
            "nodePort set explicitly (its range in this zone: ' + " + ranges + " + ')'",
            dynamic=True,
        ),
        _deny(
            _of_kind("Service", load_balancer),
            f"'{PREFIX}tenant ' + params.data['tenant'] + ' may open ' + params.data['load-balancers'] + "
            "' load balancer(s) in this zone (the terms of its operator), with node ports only in its own range (' + "
            + ranges
            + " + ')'",
            dynamic=True,
        ),
        _deny(
            _of_kind("Service", alias),
            f"'{PREFIX}ExternalName Service ' + object.metadata.name + ' aliases ' + object.spec.externalName + "
            "', which tenant ' + params.data['tenant'] + \"'s contract does not list for this zone's country (it "
            'lists: " + ' + _listed("external-name-") + " + ')'",
            dynamic=True,
        ),
    ]


def claim_class_validation() -> dict[str, str]:
    """A claim names a storage class the tenant's contract grants in the zone."""
    granted = (
        "has(object.spec.storageClassName) && "
        f"{_param_values('storage-class-')}.exists(s, s == object.spec.storageClassName)"
    )
    return _deny(
        _of_kind("PersistentVolumeClaim", granted),
        f"'{PREFIX}a claim must name a storage class that tenant ' + params.data['tenant'] + \"'s contract grants "
        'in this zone (granted: " + ' + _listed("storage-class-") + " + ')'",
        dynamic=True,
    )


def claim_source_validation() -> dict[str, str]:
    """A claim binds no volume by name and reads no other namespace's data."""
    no_volume = (
        "!has(object.spec.volumeName) || object.spec.volumeName == '' || (oldObject != null && "
        "has(oldObject.spec.volumeName) && oldObject.spec.volumeName == object.spec.volumeName)"
    )
    same_namespace = "!has(object.spec.dataSourceRef) || !has(object.spec.dataSourceRef.namespace) || " \
        "object.spec.dataSourceRef.namespace == object.metadata.namespace"  # fmt: skip
    return _deny(
        _of_kind("PersistentVolumeClaim", f"({no_volume}) && ({same_namespace})"),
        "a claim may not bind a volume by name (volumeName: it could be another tenant's released volume) nor "
        "copy data from another namespace (dataSourceRef.namespace)",
    )


def disruption_validation() -> dict[str, str]:
    """A PodDisruptionBudget that allows no eviction at all would block every node drain of the operator."""
    max_ok = (
        "!has(object.spec.maxUnavailable) || (type(object.spec.maxUnavailable) == int ? "
        "object.spec.maxUnavailable > 0 : !string(object.spec.maxUnavailable).matches('^0+%$'))"
    )
    min_ok = (
        "!has(object.spec.minAvailable) || (type(object.spec.minAvailable) == int ? "
        "object.spec.minAvailable == 0 : !string(object.spec.minAvailable).matches('^0*100%$'))"
    )
    return _deny(
        _of_kind("PodDisruptionBudget", f"({max_ok}) && ({min_ok})"),
        "this PodDisruptionBudget can forbid every eviction (maxUnavailable 0, minAvailable 100%, or a fixed "
        "minAvailable count that the app's replicas may not exceed), which blocks the operator's node drains; use "
        "maxUnavailable of at least 1, or a minAvailable percentage below 100%",
    )
