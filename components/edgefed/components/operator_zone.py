"""OperatorZone: one zone's baseline, deployed by its operator with its own admin credential.

A :class:`~edgefed.components.tenant_namespace.TenantNamespace` per contracted tenant and country, and,
once for the zone, the admission policy every tenant namespace is judged by (the federation's rules
from the operator's trusted pack config, each tenant's own rules bound per namespace) and the tenancy
guard (no tenant NetworkPolicy opens egress beyond the federation's rule, or touches the operator's) and
the outbound policy (no ExternalName alias or webhook URL sends data out of the zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from edgefed.components.kubeobject import KubernetesObject, KubernetesObjectArgs
from edgefed.components.provider import zone_provider
from edgefed.components.tenant_namespace import TenantNamespace, TenantNamespaceArgs, zone_labels
from edgefed.core.inputs.catalog import Zone
from edgefed.core.objects import tenancy
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
OUTBOUND_POLICY = "edgefed-outbound"


@dataclass(frozen=True)
class OperatorZoneArgs:
    """Inputs of :class:`OperatorZone`."""

    zone: Zone
    """The catalog zone; it must be the operator's own."""
    grants: Sequence[Grant]
    """Every contracted tenant country stack with an allocation in this zone."""
    rules: RegistryRules
    """The federation's registry rules, from the operator's trusted pack config."""
    destinations: Destinations
    """Where tenants' personal and restricted pods may send data (egress CIDRs per country), from the same config."""
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
        """Register the zone's tenant namespaces and admission policies under ``name``."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        zone = args.zone
        self.provider = zone_provider(
            name, zone, args.kubeconfig, args.render_yaml_to, pulumi.ResourceOptions(parent=self)
        )
        in_zone = pulumi.ResourceOptions(parent=self, provider=self.provider)
        marks = zone_labels(zone.id, zone.country, zone.operator)
        residency = KubernetesObject(
            f"{name}-residency-policy",
            KubernetesObjectArgs(
                API_VERSION, "ValidatingAdmissionPolicy", metadata={"name": RESIDENCY_POLICY, "labels": marks},
                spec=admission_policy(
                    RESIDENCY_POLICY, zone.country, zone.id, zone.operator, args.rules.allowed, args.rules.digest_for
                ),
            ),
            opts=in_zone,
        )  # fmt: skip
        guard = KubernetesObject(
            f"{name}-tenancy-policy",
            KubernetesObjectArgs(
                API_VERSION, "ValidatingAdmissionPolicy", metadata={"name": TENANCY_POLICY, "labels": marks},
                spec=tenancy.guard_policy(zone.country, args.destinations),
            ),
            opts=in_zone,
        )  # fmt: skip
        outbound = KubernetesObject(
            f"{name}-outbound-policy",
            KubernetesObjectArgs(
                API_VERSION, "ValidatingAdmissionPolicy", metadata={"name": OUTBOUND_POLICY, "labels": marks},
                spec=outbound_policy(zone.country, args.destinations),
            ),
            opts=in_zone,
        )  # fmt: skip
        bindings = []
        for policy, spec in (
            (residency, admission_binding(RESIDENCY_POLICY)),
            (guard, tenancy.guard_binding(TENANCY_POLICY)),
            (outbound, outbound_binding(OUTBOUND_POLICY)),
        ):
            bindings.append(
                KubernetesObject(
                    f"{name}-{spec['policyName'].removeprefix('edgefed-')}-binding",
                    KubernetesObjectArgs(
                        API_VERSION, "ValidatingAdmissionPolicyBinding",
                        metadata={"name": spec["policyName"], "labels": marks}, spec=spec,
                    ),
                    opts=pulumi.ResourceOptions.merge(in_zone, pulumi.ResourceOptions(depends_on=[policy])),
                )
            )  # fmt: skip
        # Tenants' namespaces once the guards stand: no moment in which a tenant could write unchecked.
        after = pulumi.ResourceOptions(parent=self, depends_on=bindings)
        self.namespaces = [
            TenantNamespace(
                f"{name}-{tenancy.namespace(g.contract.tenant, g.country)}",
                TenantNamespaceArgs(g.contract, g.country, g.allocation, marks, self.provider),
                opts=after,
            ).namespace
            for g in args.grants
        ]
        self.register_outputs({"zone": zone.id, "operator": zone.operator, "namespaces": self.namespaces})
