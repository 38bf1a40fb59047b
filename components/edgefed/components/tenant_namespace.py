"""TenantNamespace: what an operator gives one tenant's country stack in one zone, from its contract and terms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from edgefed.components.kubeobject import KubernetesObject, KubernetesObjectArgs
from edgefed.core.inputs import labels
from edgefed.core.inputs.contract import Allocation, Contract
from edgefed.core.inputs.operator_terms import OperatorTerms
from edgefed.core.objects import manifests, tenancy
from edgefed.core.objects.admission import TENANT_PARAMS
from edgefed.core.rules.pack_config import Destinations

TYPE_TOKEN = "edgefed:index:TenantNamespace"
NETWORKING = "networking.k8s.io/v1"
RBAC = "rbac.authorization.k8s.io/v1"


@dataclass(frozen=True)
class TenantNamespaceArgs:
    """Inputs of :class:`TenantNamespace`."""

    contract: Contract
    """The tenant's contract (its home operator names its group; its rules and grants go to the admission policies)."""
    country: str
    """The tenant stack's country: the namespace is ``<tenant>-<cc>``."""
    allocation: Allocation
    """What the contract allocates to that stack in this zone: the namespace's ResourceQuota."""
    zone_labels: dict[str, str]
    """The zone's residency labels, carried by every object."""
    provider: k8s.Provider
    """The zone's provider, with the operator's credential."""
    terms: OperatorTerms
    """The zone's operator's terms: object counts, and what it offers that the contract may grant."""
    zone_country: str
    """The zone's country (the outside names a tenant may alias are per country)."""
    destinations: Destinations
    """The federation's allowed destinations, from the operator's trusted pack config."""


class TenantNamespace(pulumi.ComponentResource):
    """A tenant's namespace in a zone: restricted pod security, quota, defaults, default deny, rules and rights.

    The Role gives the tenant's group exactly what its apps need in this namespace and nothing else; the
    tenant's rules (registries, data classes, its stack's country, what it is granted) are a ConfigMap it
    cannot change, read by the zone's admission policies.
    """

    def __init__(self, name: str, args: TenantNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Register the namespace and its objects under ``name``."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        contract, terms = args.contract, args.terms
        self.namespace = tenancy.namespace(contract.tenant, args.country)
        own = {**args.zone_labels, "edgefed.io/tenant": contract.tenant}
        space_labels = tenancy.namespace_labels(args.zone_labels, contract.tenant)
        ns = KubernetesObject(
            f"{name}-namespace",
            KubernetesObjectArgs("v1", "Namespace", metadata={"name": self.namespace, "labels": space_labels}),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        inside = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[ns])
        meta = {"namespace": self.namespace, "labels": tenancy.operator_labels(own)}

        def obj(
            suffix: str,
            api: str,
            kind: str,
            object_name: str,
            spec: dict[str, Any] | None = None,
            after: list[pulumi.Resource] | None = None,
            **fields: object,
        ) -> KubernetesObject:
            metadata = {"name": object_name, **meta}
            opts = pulumi.ResourceOptions.merge(inside, pulumi.ResourceOptions(depends_on=after)) if after else inside
            return KubernetesObject(
                f"{name}-{suffix}",
                KubernetesObjectArgs(api, kind, metadata=metadata, spec=spec, fields=fields or None),
                opts=opts,
            )

        ports = terms.node_ports.get(contract.tenant)
        quota = tenancy.quota_spec(
            args.allocation,
            terms.namespace_quota,
            node_ports=ports.size if ports else 0,
            load_balancers=terms.load_balancers.get(contract.tenant, 0),
        )
        params = tenancy.params_data(
            contract, args.country, args.allocation, terms, args.zone_country, args.destinations
        )
        defaults = obj("limits", "v1", "LimitRange", tenancy.LIMITS, spec=tenancy.container_defaults_spec())
        # After the defaults: a quota on ephemeral storage refuses any new pod that declares none, unless the
        # LimitRange already gives it one (a zone upgraded under running apps keeps creating their pods).
        obj("quota", "v1", "ResourceQuota", tenancy.QUOTA, spec=quota, after=[defaults])
        obj("default-deny", NETWORKING, "NetworkPolicy", tenancy.DENY, spec=manifests.default_deny_spec())
        obj("allow-dns", NETWORKING, "NetworkPolicy", tenancy.DNS, spec=manifests.dns_egress_spec())
        obj("rules", "v1", "ConfigMap", TENANT_PARAMS, data=params)
        obj("role", RBAC, "Role", tenancy.ROLE, rules=tenancy.role_rules())
        obj(
            "role-binding", RBAC, "RoleBinding", tenancy.ROLE,
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": tenancy.ROLE},
            subjects=tenancy.role_binding_subjects(contract),
        )  # fmt: skip
        self.register_outputs({"namespace": self.namespace, "tenant": contract.tenant})


def zone_labels(zone_id: str, country: str, operator: str) -> dict[str, str]:
    """The residency labels of a tenant namespace's objects in a zone."""
    return labels.zone_labels(zone=zone_id, country=country, operator=operator, residency="eu")
