"""OperatorZone: one zone's baseline, deployed by its operator with its own admin credential.

A :class:`~edgefed.components.tenant_namespace.TenantNamespace` per contracted tenant and country, and,
once for the zone: the admission policies every tenant namespace is judged by (residency: the
federation's rules from the operator's trusted pack config, each tenant's own rules bound per namespace;
isolation: what the Pod Security Standards leave to the zone), the tenancy guard (what a tenant's own
requests may write), the outbound policy (no ExternalName alias or webhook URL sends data out of the
zone), the storage and priority classes the operator offers, and API Priority and Fairness: a share of
the API server per tenant and one for the operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from edgefed.components.kubeobject import KubernetesObject, KubernetesObjectArgs
from edgefed.components.provider import zone_provider
from edgefed.components.tenant_namespace import TenantNamespace, TenantNamespaceArgs, zone_labels
from edgefed.core.inputs.catalog import Operator, Zone
from edgefed.core.inputs.jurisdiction import DEFAULT_EU_JURISDICTION_CLASSES, jurisdiction_problem
from edgefed.core.inputs.operator_terms import OperatorTerms
from edgefed.core.objects import fairness, guard, isolation, offers, tenancy
from edgefed.core.objects.admission import (
    API_VERSION,
    admission_binding,
    admission_policy,
    outbound_binding,
    outbound_policy,
)
from edgefed.core.operatorslice import Grant
from edgefed.core.rules.pack_config import Destinations, RegistryRules

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s

TYPE_TOKEN = "edgefed:index:OperatorZone"
RESIDENCY_POLICY = "edgefed-residency"
TENANCY_POLICY = "edgefed-tenancy"
GRANTS_POLICY = "edgefed-grants"
OUTBOUND_POLICY = "edgefed-outbound"
ISOLATION_POLICY = "edgefed-isolation"


@dataclass(frozen=True)
class OperatorZoneArgs:
    """Inputs of :class:`OperatorZone`."""

    zone: Zone
    """The catalog zone; it must be the operator's own."""
    operator: Operator
    """The zone's operator as the catalog states it (its home jurisdiction decides which data classes it may hold)."""
    terms: OperatorTerms
    """The operator's terms: each tenant namespace's object counts, and its storage and priority classes,
    tolerations, node ports and load balancers."""
    grants: Sequence[Grant]
    """Every contracted tenant country stack with an allocation in this zone."""
    rules: RegistryRules
    """The federation's registry rules, from the operator's trusted pack config."""
    destinations: Destinations
    """Where tenants' personal and restricted pods may send data (egress CIDRs per country), from the same config."""
    law_classes: tuple[str, ...] = DEFAULT_EU_JURISDICTION_CLASSES
    """Data classes only operators under EU/EEA law may hold (the pack config's ``require-eu-jurisdiction``).
    Default ``restricted``, the pack's own default."""
    kubeconfig: pulumi.Input[str] | None = None
    """The operator's admin kubeconfig for the zone (wrapped as a secret). Required unless rendering."""
    render_yaml_to: str | None = None
    """Write manifests under this directory (``<dir>/<zone id>``) instead of talking to the cluster."""


class OperatorZone(pulumi.ComponentResource):
    """One zone's tenants and guards."""

    if TYPE_CHECKING:  # for type checkers only, see edgefed.components.kubeobject.KubernetesObject
        provider: k8s.Provider
        """The zone's provider, with the operator's credential."""

    def __init__(self, name: str, args: OperatorZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Register the zone's guards, offers, shares and tenant namespaces under ``name``."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        zone = args.zone
        self.provider = zone_provider(
            name, zone, args.kubeconfig, args.render_yaml_to, pulumi.ResourceOptions(parent=self)
        )
        in_zone = pulumi.ResourceOptions(parent=self, provider=self.provider)
        marks = zone_labels(zone.id, zone.country, zone.operator)

        def cluster_object(suffix: str, api: str, kind: str, object_name: str, **body: Any) -> KubernetesObject:
            return KubernetesObject(
                f"{name}-{suffix}",
                KubernetesObjectArgs(api, kind, metadata={"name": object_name, "labels": marks}, **body),
                opts=in_zone,
            )

        residency = admission_policy(
            RESIDENCY_POLICY, zone.country, zone.id, zone.operator, args.rules.allowed, args.rules.digest_for,
            jurisdiction_problem(args.operator), args.law_classes,
        )  # fmt: skip
        policies = (
            (RESIDENCY_POLICY, residency, admission_binding(RESIDENCY_POLICY)),
            (TENANCY_POLICY, guard.guard_policy(zone.country, args.destinations), guard.guard_binding(TENANCY_POLICY)),
            (GRANTS_POLICY, guard.grants_policy(), guard.grants_binding(GRANTS_POLICY)),
            (OUTBOUND_POLICY, outbound_policy(zone.country, args.destinations), outbound_binding(OUTBOUND_POLICY)),
            (ISOLATION_POLICY, isolation.isolation_policy(args.rules.allowed), admission_binding(ISOLATION_POLICY)),
        )
        bindings = []
        for policy_name, spec, binding in policies:
            short = policy_name.removeprefix("edgefed-")
            policy = cluster_object(f"{short}-policy", API_VERSION, "ValidatingAdmissionPolicy", policy_name, spec=spec)
            bindings.append(
                KubernetesObject(
                    f"{name}-{short}-binding",
                    KubernetesObjectArgs(
                        API_VERSION, "ValidatingAdmissionPolicyBinding",
                        metadata={"name": policy_name, "labels": marks}, spec=binding,
                    ),
                    opts=pulumi.ResourceOptions.merge(in_zone, pulumi.ResourceOptions(depends_on=[policy])),
                )
            )  # fmt: skip
        for offer in args.terms.storage_classes:
            fields = offers.storage_class_fields(offer)
            cluster_object(f"storage-{offer.name}", "storage.k8s.io/v1", "StorageClass", offer.name, fields=fields)
        for level_offer in args.terms.priority_classes:
            fields = offers.priority_class_fields(level_offer)
            short = f"priority-{level_offer.name}"
            cluster_object(short, "scheduling.k8s.io/v1", "PriorityClass", level_offer.name, fields=fields)
        flows = [fairness.operator_flow(zone.operator)]
        flows += [fairness.tenant_flow(g.contract.home_operator, g.contract.tenant) for g in args.grants]
        for level, level_spec, schema_spec in dict((flow[0], flow) for flow in flows).values():
            short = level.removeprefix("edgefed-")
            cluster_object(f"{short}-level", fairness.API_VERSION, "PriorityLevelConfiguration", level, spec=level_spec)
            cluster_object(f"{short}-flows", fairness.API_VERSION, "FlowSchema", level, spec=schema_spec)
        # Tenants' namespaces once the guards stand: no moment in which a tenant could write unchecked.
        after = pulumi.ResourceOptions(parent=self, depends_on=bindings)
        self.namespaces = [
            TenantNamespace(
                f"{name}-{tenancy.namespace(g.contract.tenant, g.country)}",
                TenantNamespaceArgs(
                    g.contract, g.country, g.allocation, marks, self.provider, args.terms, zone.country,
                    args.destinations,
                ),
                opts=after,
            ).namespace
            for g in args.grants
        ]  # fmt: skip
        self.register_outputs({"zone": zone.id, "operator": zone.operator, "namespaces": self.namespaces})
