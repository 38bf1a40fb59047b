"""EdgeZone: one operator zone, its explicit Kubernetes provider and the tenant's fenced namespace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from edgefed.components.errors import InputError
from edgefed.components.kubeobject import KubernetesObject, KubernetesObjectArgs
from edgefed.core.inputs import labels
from edgefed.core.inputs.catalog import Zone
from edgefed.core.objects import manifests
from edgefed.core.objects.admission import API_VERSION as ADMISSION_API_VERSION
from edgefed.core.objects.admission import admission_binding, admission_policy
from edgefed.core.placement.placer import ZoneDemand
from edgefed.core.rules.pack_config import DEFAULT_REGISTRIES

TYPE_TOKEN = "edgefed:index:EdgeZone"
NETWORKING = "networking.k8s.io/v1"


@dataclass(frozen=True)
class EdgeZoneArgs:
    """Inputs of :class:`EdgeZone`."""

    zone: Zone
    """The catalog zone. Country and operator are static, so policies decide on them at preview time."""
    namespace: str
    """Tenant namespace to create in the zone (one per tenant and country stack)."""
    demand: ZoneDemand
    """What the tenant's apps may use there; sizes the ResourceQuota and LimitRange."""
    kubeconfig: pulumi.Input[str] | None = None
    """The zone's kubeconfig (wrapped as a secret here). Required unless ``render_yaml_to`` is set."""
    render_yaml_to: str | None = None
    """Write manifests under this directory (``<dir>/<zone id>``) instead of talking to the cluster."""
    residency: str = "eu"
    """Residency label value of the namespace (:func:`~edgefed.core.inputs.labels.residency_value`). Default ``eu``."""
    unavailable: bool = False
    """The zone is down: the provider skips updates it cannot make instead of failing the whole update."""
    allowed_registries: tuple[str, ...] = DEFAULT_REGISTRIES
    """Registry hosts the zone's admission policy accepts images from. Default the federation registry;
    the program passes the policy pack's allow-list so both checks agree."""
    digest_required_for: tuple[str, ...] = ("restricted",)
    """Data classifications whose images the zone's admission policy requires pinned by digest. Default
    restricted; the program passes the policy pack's ``requireDigestFor`` so both checks agree."""
    extra_labels: dict[str, str] = field(default_factory=dict)
    """More labels for every object. Default none."""


class EdgeZone(pulumi.ComponentResource):
    """One operator edge zone as seen by a tenant.

    Owns an explicit ``pulumi_kubernetes.Provider`` (``cluster_identifier`` = zone id, kubeconfig kept
    secret), the tenant Namespace, a ResourceQuota and LimitRange sized from the apps' demand, a
    default-deny NetworkPolicy with DNS egress allowed, and residency labels on everything.
    """

    if TYPE_CHECKING:  # for type checkers only, see edgefed.components.kubeobject.KubernetesObject
        provider: k8s.Provider
        """The zone's provider; every resource placed in this zone must use it."""
        namespace: pulumi.Output[str]
        """Name of the tenant namespace, as an output (depends on the Namespace being created)."""
        namespace_name: str
        """Name of the tenant namespace, known before deployment."""

    def __init__(self, name: str, args: EdgeZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Register the zone's provider and tenant namespace resources under ``name``."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        zone = args.zone
        self.zone = zone
        self.namespace_name = args.namespace
        self.labels = {
            **labels.zone_labels(zone=zone.id, country=zone.country, operator=zone.operator, residency=args.residency),
            **args.extra_labels,
        }
        child = pulumi.ResourceOptions(parent=self)
        if args.render_yaml_to is not None:
            self.provider = k8s.Provider(
                f"{name}-provider",
                render_yaml_to_directory=f"{args.render_yaml_to}/{zone.id}",
                opts=child,
            )
        else:
            if args.kubeconfig is None:
                raise InputError(f"EdgeZone {name}: zone {zone.id} needs a kubeconfig (or render_yaml_to)")
            self.provider = k8s.Provider(
                f"{name}-provider",
                kubeconfig=pulumi.Output.secret(args.kubeconfig),
                cluster_identifier=zone.id,
                enable_server_side_apply=True,
                delete_unreachable=False,
                skip_update_unreachable=args.unavailable,
                opts=child,
            )
        in_zone = pulumi.ResourceOptions(parent=self, provider=self.provider)
        meta = {"labels": self.labels}
        ns = KubernetesObject(
            f"{name}-namespace",
            KubernetesObjectArgs("v1", "Namespace", metadata={"name": args.namespace, **meta}),
            opts=in_zone,
        )
        self.namespace = ns.metadata.apply(lambda m: str(m["name"]))
        namespaced = {"namespace": self.namespace, **meta}
        in_namespace = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[ns])

        def namespaced_object(
            suffix: str, api_version: str, kind: str, object_name: str, spec: dict[str, Any]
        ) -> KubernetesObject:
            return KubernetesObject(
                f"{name}-{suffix}",
                KubernetesObjectArgs(api_version, kind, metadata={"name": object_name, **namespaced}, spec=spec),
                opts=in_namespace,
            )

        self.quota = namespaced_object(
            "quota", "v1", "ResourceQuota", "edgefed-tenant", manifests.tenant_quota_spec(args.demand)
        )
        self.limits = namespaced_object(
            "limits", "v1", "LimitRange", "edgefed-defaults", manifests.container_defaults_spec()
        )
        self.default_deny = namespaced_object(
            "default-deny", NETWORKING, "NetworkPolicy", "edgefed-default-deny", manifests.default_deny_spec()
        )
        self.allow_dns = namespaced_object(
            "allow-dns", NETWORKING, "NetworkPolicy", "edgefed-allow-dns", manifests.dns_egress_spec()
        )
        # The zone's own API server refuses what bypasses Pulumi (kubectl apply), in every namespace.
        policy_name = f"edgefed-residency-{args.namespace}"
        self.admission_policy = KubernetesObject(
            f"{name}-admission-policy",
            KubernetesObjectArgs(
                ADMISSION_API_VERSION,
                "ValidatingAdmissionPolicy",
                metadata={"name": policy_name, "labels": self.labels},
                spec=admission_policy(
                    policy_name, zone.country, zone.id, zone.operator, args.allowed_registries, args.digest_required_for
                ),
            ),
            opts=in_zone,
        )
        self.admission_binding = KubernetesObject(
            f"{name}-admission-binding",
            KubernetesObjectArgs(
                ADMISSION_API_VERSION,
                "ValidatingAdmissionPolicyBinding",
                metadata={"name": policy_name, "labels": self.labels},
                spec=admission_binding(policy_name),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[self.admission_policy]),
        )
        self.register_outputs(
            {"zone": zone.id, "country": zone.country, "operator": zone.operator, "namespace": self.namespace}
        )
