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
from edgefed.placement import Plan, ZoneAssignment, place_all_drained

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
    rollout_timeout_seconds: int | None = None
    """Seconds to wait for each Deployment to become Ready (create and update). Default: the provider's
    (10 minutes)."""


def _steady_replicas(spec: AppSpec, assignment: ZoneAssignment) -> int:
    """Replicas of the zone's role with every zone up (a drained zone: the role it returns to)."""
    role = assignment.drained_from or assignment.role
    return spec.replicas_per_zone if role == "primary" else spec.standby_replicas


def _replica_bounds(spec: AppSpec, assignment: ZoneAssignment) -> tuple[int, int]:
    """Autoscaler bounds: a primary scales up to the ceiling, a standby stays at its warm count."""
    low = _steady_replicas(spec, assignment)
    if (assignment.drained_from or assignment.role) == "primary":
        return low, max(low, spec.autoscaling_ceiling)
    return low, low


def rollout_order(spec: AppSpec, plan: Plan) -> list[tuple[ZoneAssignment, tuple[str, ...]]]:
    """The zones that get a Deployment, in order, each with the zones whose Deployment it waits for.

    Demote before promoting: primaries wait for every other zone of the app (standbys, drained zones),
    so a failover or a failback never runs two primaries at once. The plan of each run says which way.
    A failover zone with no warm standby gets nothing until it serves.
    """
    deployed = [a for a in plan.zones if _steady_replicas(spec, a) > 0]
    others = tuple(a.zone for a in deployed if a.role != "primary")
    ordered = sorted(deployed, key=lambda a: (a.role == "primary", a.zone))
    return [(a, others if a.role == "primary" else ()) for a in ordered]


def _cpu(cores: float) -> str:
    return f"{math.ceil(cores * 1000)}m"


class FederatedEdgeApp(pulumi.ComponentResource):
    """Deploys an :class:`~edgefed.appspec.AppSpec` per its placement plan.

    Per zone of the plan: a Deployment (GPU requests and node selector where needed), a Service, a
    PodDisruptionBudget, a HorizontalPodAutoscaler (standbys pinned at their warm count), and a
    NetworkPolicy opening the app's ports. Standby Deployments carry ``edgefed.io/role=standby``;
    primaries roll out after the app's other zones (see :func:`rollout_order`).
    """

    plan: Plan
    """The placement this component deployed."""

    def __init__(self, name: str, args: FederatedEdgeAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Place the app (unless a plan is given) and register its per-zone resources under ``name``."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        spec = args.spec
        # The program's placement path: unavailable zones keep their objects, drained, as in a stack.
        plan = (
            args.plan
            or place_all_drained(args.catalog, [spec], args.unavailable, zones=args.zones.keys())[0][spec.name]
        )
        plan.raise_for_problems()
        missing = sorted(a.zone for a in plan.zones if a.zone not in args.zones)
        if missing:
            raise ValueError(f"FederatedEdgeApp {name}: plan uses zones without an EdgeZone: {', '.join(missing)}")
        self.plan = plan
        endpoints: dict[str, list[str]] = {}
        deployments: dict[str, pulumi.Resource] = {}
        for assignment, waits_for in rollout_order(spec, plan):
            zone = args.zones[assignment.zone]
            after = [deployments[zone_id] for zone_id in waits_for]
            deployments[assignment.zone], endpoints[assignment.zone] = self._deploy(
                name, spec, zone, assignment, args, after
            )
        self.endpoints = endpoints
        self.register_outputs({"plan": plan.to_dict(), "endpoints": endpoints})

    def _deploy(
        self,
        name: str,
        spec: AppSpec,
        zone: EdgeZone,
        assignment: ZoneAssignment,
        args: FederatedEdgeAppArgs,
        after: Sequence[pulumi.Resource],
    ) -> tuple[k8s.apps.v1.Deployment, list[str]]:
        prefix = f"{name}-{assignment.zone}"
        object_labels = {
            **zone.labels,
            labels.RESIDENCY: labels.residency_value(spec.residency),
            labels.APP: spec.name,
            labels.ROLE: assignment.role,
            labels.CLASSIFICATION: spec.data_classification,
            **args.extra_labels,
        }
        # The role stays off the pod template: promoting a standby or demoting a primary then only scales
        # the Deployment, and never replaces the warm pods that are there to take over.
        pod_labels = {key: value for key, value in object_labels.items() if key != labels.ROLE}
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
        # Every running zone has an autoscaler: primaries scale between replicas_per_zone and the ceiling,
        # standbys are pinned. The Deployment is updated after it, so that on failover or failback the
        # autoscaler never pulls the replica count back to the old role's bounds (a drained zone keeps
        # its healthy bounds: nothing changes there while it is unreachable, and a Deployment at zero
        # replicas is not scaled).
        low, high = _replica_bounds(spec, assignment)
        autoscaler = k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{prefix}-hpa",
            metadata=meta,
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
                "minReplicas": low,
                "maxReplicas": high,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                    }
                ],
            },
            opts=opts,
        )
        wait = args.rollout_timeout_seconds
        timeouts = pulumi.CustomTimeouts(create=f"{wait}s", update=f"{wait}s") if wait else None
        deployment = k8s.apps.v1.Deployment(
            f"{prefix}-deployment",
            metadata=meta,
            spec={
                "replicas": assignment.replicas,
                "selector": {"matchLabels": selector},
                "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec},
            },
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(depends_on=[autoscaler, *after], custom_timeouts=timeouts)
            ),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{prefix}-pdb",
            metadata=meta,
            spec={"maxUnavailable": 1, "selector": {"matchLabels": selector}},
            opts=opts,
        )
        if not spec.ports:
            return deployment, []
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
        return deployment, [f"{spec.name}.{namespace}.svc.cluster.local:{p.port}" for p in spec.ports]
