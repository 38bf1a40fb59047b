"""FederatedEdgeApp: one app spec, placed on the zones and deployed where the plan says."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from edgefed import labels
from edgefed.appspec import AppSpec
from edgefed.catalog import Catalog
from edgefed.components.zone import EdgeZone
from edgefed.placement import Plan, ZoneAssignment, place

TYPE_TOKEN = "edgefed:index:FederatedEdgeApp"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"


@dataclass(frozen=True)
class FederatedEdgeAppArgs:
    """Inputs of :class:`FederatedEdgeApp`."""

    spec: AppSpec
    """The app, the same in every country."""
    catalog: Catalog
    """The federation catalog, for placement."""
    zones: Mapping[str, EdgeZone]
    """Zone id to the EdgeZone the app may use (the stack's zones)."""
    unavailable: Sequence[str] = ()
    """Zones that are down now; placement avoids them (and returns to them once they leave this list)."""
    plan: Plan | None = None
    """A plan computed beforehand (to share capacity between apps); default: place here."""
    extra_labels: dict[str, str] = field(default_factory=dict)
    """More labels for every object. Default none."""


def _cpu(cores: float) -> str:
    return f"{math.ceil(cores * 1000)}m"


class FederatedEdgeApp(pulumi.ComponentResource):
    """Deploys an :class:`~edgefed.appspec.AppSpec` per its placement plan.

    Per zone of the plan: a Deployment (GPU requests and node selector where needed), a Service, a
    PodDisruptionBudget, a HorizontalPodAutoscaler for primaries, and a NetworkPolicy opening the app's
    ports. Standby replicas in failover zones carry ``edgefed.io/role=standby``.
    """

    plan: Plan
    """The placement this component deployed."""

    def __init__(self, name: str, args: FederatedEdgeAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Place the app (unless a plan is given) and register its per-zone resources under ``name``."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        spec = args.spec
        plan = args.plan or place(args.catalog, spec, args.unavailable, zones=args.zones.keys())
        plan.raise_for_problems()
        missing = sorted(a.zone for a in plan.zones if a.zone not in args.zones)
        if missing:
            raise ValueError(f"FederatedEdgeApp {name}: plan uses zones without an EdgeZone: {', '.join(missing)}")
        self.plan = plan
        endpoints: dict[str, list[str]] = {}
        for assignment in plan.zones:
            if assignment.role == "standby" and assignment.replicas == 0:
                continue  # a failover zone with no warm standby: nothing runs there until failover
            zone = args.zones[assignment.zone]
            endpoints[assignment.zone] = self._deploy(name, spec, zone, assignment, args.extra_labels)
        self.endpoints = endpoints
        self.register_outputs({"plan": plan.to_dict(), "endpoints": endpoints})

    def _deploy(
        self, name: str, spec: AppSpec, zone: EdgeZone, assignment: ZoneAssignment, extra: dict[str, str]
    ) -> list[str]:
        prefix = f"{name}-{assignment.zone}"
        object_labels = {
            **zone.labels,
            labels.RESIDENCY: labels.residency_value(spec.residency),
            labels.APP: spec.name,
            labels.ROLE: assignment.role,
            labels.CLASSIFICATION: spec.data_classification,
            **extra,
        }
        selector = {labels.APP: spec.name}
        meta = {"name": spec.name, "namespace": zone.namespace, "labels": object_labels}
        # Workloads wait for the zone (namespace, quota, admission policy) to exist.
        opts = pulumi.ResourceOptions(parent=self, provider=zone.provider, depends_on=[zone])
        res = spec.resources
        amounts: dict[str, str] = {"cpu": _cpu(res.cpu), "memory": f"{res.memory_mib}Mi"}
        pod_spec: dict[str, Any] = {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": spec.name,
                    "image": spec.image,
                    "ports": [{"name": p.name, "containerPort": p.port, "protocol": p.protocol} for p in spec.ports],
                    "env": [{"name": k, "value": v} for k, v in sorted(spec.env.items())],
                    "resources": {"requests": amounts, "limits": amounts},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        }
        if res.gpu is not None:
            gpus = str(res.gpu.count)
            amounts[GPU_RESOURCE] = gpus
            pod_spec["nodeSelector"] = {GPU_PRODUCT_LABEL: res.gpu.model}
            pod_spec["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
        k8s.apps.v1.Deployment(
            f"{prefix}-deployment",
            metadata=meta,
            spec={
                "replicas": assignment.replicas,
                "selector": {"matchLabels": selector},
                "template": {"metadata": {"labels": object_labels}, "spec": pod_spec},
            },
            opts=opts,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{prefix}-pdb",
            metadata=meta,
            spec={"maxUnavailable": 1, "selector": {"matchLabels": selector}},
            opts=opts,
        )
        # A drained zone keeps its autoscaler: a Deployment at zero replicas is not scaled by it.
        if "primary" in (assignment.role, assignment.drained_from):
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{prefix}-hpa",
                metadata=meta,
                spec={
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
                    "minReplicas": spec.replicas_per_zone,
                    "maxReplicas": spec.autoscaling_ceiling,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                        }
                    ],
                },
                opts=opts,
            )
        if not spec.ports:
            return []
        k8s.core.v1.Service(
            f"{prefix}-service",
            metadata=meta,
            spec={
                "type": "ClusterIP",
                "selector": selector,
                "ports": [
                    {"name": p.name, "port": p.port, "targetPort": p.port, "protocol": p.protocol} for p in spec.ports
                ],
            },
            opts=opts,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{prefix}-ingress",
            metadata={**meta, "name": f"{spec.name}-ingress"},
            spec={
                "podSelector": {"matchLabels": selector},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"protocol": p.protocol, "port": p.port} for p in spec.ports]}],
            },
            opts=opts,
        )
        namespace = zone.namespace_name
        return [f"{spec.name}.{namespace}.svc.cluster.local:{p.port}" for p in spec.ports]
