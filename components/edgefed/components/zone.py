"""EdgeZone: one operator zone, its explicit Kubernetes provider and the tenant's fenced namespace."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from edgefed import labels
from edgefed.admission import admission_binding, admission_policy
from edgefed.catalog import Zone
from edgefed.placement import ZoneDemand
from edgefed.residency import DEFAULT_REGISTRIES

TYPE_TOKEN = "edgefed:index:EdgeZone"


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
    """Residency label value of the namespace (see :func:`edgefed.labels.residency_value`). Default ``eu``."""
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


def _cpu(cores: float) -> str:
    return f"{math.ceil(cores * 1000)}m"


class EdgeZone(pulumi.ComponentResource):
    """One operator edge zone as seen by a tenant.

    Owns an explicit ``pulumi_kubernetes.Provider`` (``cluster_identifier`` = zone id, kubeconfig kept
    secret), the tenant Namespace, a ResourceQuota and LimitRange sized from the apps' demand, a
    default-deny NetworkPolicy with DNS egress allowed, and residency labels on everything.
    """

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
                raise ValueError(f"EdgeZone {name}: zone {zone.id} needs a kubeconfig (or render_yaml_to)")
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
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": args.namespace, **meta},
            opts=in_zone,
        )
        self.namespace = ns.metadata.name
        namespaced = {"namespace": self.namespace, **meta}
        in_namespace = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[ns])
        hard: dict[str, str] = {
            "requests.cpu": _cpu(args.demand.cpu),
            "limits.cpu": _cpu(args.demand.cpu),
            "requests.memory": f"{args.demand.memory_mib}Mi",
            "limits.memory": f"{args.demand.memory_mib}Mi",
            "pods": str(args.demand.pods),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        }
        gpu_total = sum(args.demand.gpus.values())
        hard["requests.nvidia.com/gpu"] = str(gpu_total)
        self.quota = k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata={"name": "edgefed-tenant", **namespaced},
            spec={"hard": hard},
            opts=in_namespace,
        )
        self.limits = k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata={"name": "edgefed-defaults", **namespaced},
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m", "memory": "512Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    }
                ]
            },
            opts=in_namespace,
        )
        self.default_deny = k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "edgefed-default-deny", **namespaced},
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            opts=in_namespace,
        )
        self.allow_dns = k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-dns",
            metadata={"name": "edgefed-allow-dns", **namespaced},
            spec={
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
            opts=in_namespace,
        )
        # The zone's own API server refuses what bypasses Pulumi (kubectl apply), in every namespace.
        policy_name = f"edgefed-residency-{args.namespace}"
        self.admission_policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            f"{name}-admission-policy",
            metadata={"name": policy_name, "labels": self.labels},
            spec=admission_policy(
                policy_name, zone.country, zone.id, zone.operator, args.allowed_registries, args.digest_required_for
            ),
            opts=in_zone,
        )
        self.admission_binding = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            f"{name}-admission-binding",
            metadata={"name": policy_name, "labels": self.labels},
            spec=admission_binding(policy_name),
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[self.admission_policy]),
        )
        self.register_outputs(
            {"zone": zone.id, "country": zone.country, "operator": zone.operator, "namespace": self.namespace}
        )
