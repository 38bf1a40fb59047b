"""The Kubernetes objects of a zone and of an app in it, built by pure functions (no Pulumi import).

``EdgeZone`` and ``FederatedEdgeApp`` register exactly these specs; snapshot tests pin them (per example
app and role), so a change to what lands in a zone shows as a reviewed diff.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.placement.placer import Plan, ZoneAssignment

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"


def steady_replicas(spec: AppSpec, assignment: ZoneAssignment) -> int:
    """Replicas of the zone's role with every zone up (a drained zone: the role it returns to)."""
    role = assignment.drained_from or assignment.role
    return spec.replicas_per_zone if role == "primary" else spec.standby_replicas


def replica_bounds(spec: AppSpec, assignment: ZoneAssignment) -> tuple[int, int]:
    """Autoscaler bounds: a primary scales up to the ceiling, a standby stays at its warm count."""
    low = steady_replicas(spec, assignment)
    if (assignment.drained_from or assignment.role) == "primary":
        return low, max(low, spec.autoscaling_ceiling)
    return low, low


def rollout_order(spec: AppSpec, plan: Plan) -> list[tuple[ZoneAssignment, tuple[str, ...]]]:
    """The zones that get a Deployment, in order, each with the zones whose Deployment it waits for.

    Demote before promoting: primaries wait for every other zone of the app (standbys, drained zones),
    so a failover or a failback never runs two primaries at once. The plan of each run says which way.
    A failover zone with no warm standby gets nothing until it serves.
    """
    deployed = [a for a in plan.zones if steady_replicas(spec, a) > 0]
    others = tuple(a.zone for a in deployed if a.role != "primary")
    ordered = sorted(deployed, key=lambda a: (a.role == "primary", a.zone))
    return [(a, others if a.role == "primary" else ()) for a in ordered]


def cpu_quantity(cores: float) -> str:
    """Cores as a Kubernetes quantity in millicores, rounded up."""
    return f"{math.ceil(cores * 1000)}m"


def object_labels(
    spec: AppSpec, assignment: ZoneAssignment, zone_labels: Mapping[str, str], extra: Mapping[str, str]
) -> dict[str, str]:
    """Labels of every object of the app in the zone: the zone's residency labels, app, role, class."""
    return {
        **zone_labels,
        labels.RESIDENCY: labels.residency_value(spec.residency),
        labels.APP: spec.name,
        labels.ROLE: assignment.role,
        labels.CLASSIFICATION: spec.data_classification,
        **extra,
    }


def pod_labels(objects: Mapping[str, str]) -> dict[str, str]:
    """The pod template's labels: the object's, without the role.

    Promoting a standby or demoting a primary then only scales the Deployment, and never replaces the
    warm pods that are there to take over.
    """
    return {key: value for key, value in objects.items() if key != labels.ROLE}


def selector(spec: AppSpec) -> dict[str, str]:
    """The label selector of the app's pods."""
    return {labels.APP: spec.name}


def pod_spec(spec: AppSpec) -> dict[str, Any]:
    """Non-root, read-only root filesystem, no service-account token, GPUs with their node selector."""
    res = spec.resources
    amounts: dict[str, str] = {"cpu": cpu_quantity(res.cpu), "memory": f"{res.memory_mib}Mi"}
    out: dict[str, Any] = {
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
        amounts[GPU_RESOURCE] = str(res.gpu.count)
        out["nodeSelector"] = {GPU_PRODUCT_LABEL: res.gpu.model}
        out["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    return out


def deployment_spec(spec: AppSpec, assignment: ZoneAssignment, pods: Mapping[str, str]) -> dict[str, Any]:
    """The Deployment: the pod template; ``replicas`` only when drained (0).

    A running zone's replica count belongs to its HorizontalPodAutoscaler (bounds from the plan: see
    :func:`replica_bounds`). Declaring it here too gives ``spec.replicas`` two server-side-apply managers:
    once the autoscaler (kube-controller-manager, subresource ``scale``) has written it, the next update
    with another value is refused with a field conflict. A drained zone is fenced at zero, which no
    autoscaler does, so there the Deployment declares ``0`` and takes the field (see :data:`FORCE`).
    """
    out: dict[str, Any] = {
        "selector": {"matchLabels": selector(spec)},
        "template": {"metadata": {"labels": dict(pods)}, "spec": pod_spec(spec)},
    }
    if assignment.role == "drained":
        out["replicas"] = 0
    return out


FORCE = {"pulumi.com/patchForce": "true"}
"""Annotations of a drained Deployment: its apply takes ``spec.replicas`` back from the autoscaler."""


def deployment_annotations(assignment: ZoneAssignment) -> dict[str, str]:
    """The Deployment's annotations: :data:`FORCE` when drained, none otherwise."""
    return dict(FORCE) if assignment.role == "drained" else {}


def autoscaler_spec(spec: AppSpec, assignment: ZoneAssignment) -> dict[str, Any]:
    """The HorizontalPodAutoscaler: primaries scale to the ceiling on CPU, standbys are pinned."""
    low, high = replica_bounds(spec, assignment)
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
        "minReplicas": low,
        "maxReplicas": high,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            }
        ],
    }


def disruption_budget_spec(spec: AppSpec) -> dict[str, Any]:
    """The PodDisruptionBudget: one pod at a time."""
    return {"maxUnavailable": 1, "selector": {"matchLabels": selector(spec)}}


def service_spec(spec: AppSpec) -> dict[str, Any]:
    """The ClusterIP Service of the app's ports (never a LoadBalancer or NodePort)."""
    return {
        "type": "ClusterIP",
        "selector": selector(spec),
        "ports": [{"name": p.name, "port": p.port, "targetPort": p.port, "protocol": p.protocol} for p in spec.ports],
    }


def ingress_policy_spec(spec: AppSpec) -> dict[str, Any]:
    """The NetworkPolicy opening the app's ports to its own namespace and the networks its spec declares.

    The zone's default deny closes everything else: other tenants' namespaces and the rest of the world.
    """
    sources: list[dict[str, Any]] = [{"podSelector": {}}]
    sources += [{"ipBlock": {"cidr": str(network)}} for network in spec.reachable_from]
    return {
        "podSelector": {"matchLabels": selector(spec)},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": sources, "ports": [{"protocol": p.protocol, "port": p.port} for p in spec.ports]}],
    }


def egress_policy_spec(spec: AppSpec, pods: Mapping[str, str]) -> dict[str, Any]:
    """The NetworkPolicy opening the app's egress destinations.

    Its selector pins the app's classification and residency as the pods carry them, so that the
    federation's egress rule (``edgefed.core.rules.egress``) judges it by what it really selects.
    """
    pinned = {key: pods[key] for key in (labels.APP, labels.CLASSIFICATION, labels.RESIDENCY)}
    return {
        "podSelector": {"matchLabels": pinned},
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [{"ipBlock": {"cidr": str(rule.cidr)}}], "ports": [{"protocol": rule.protocol, "port": rule.port}]}
            for rule in spec.egress
        ],
    }


NETWORKING = "networking.k8s.io/v1"


def type_token(api_version: str, kind: str) -> str:
    """The provider's resource type of an object: ``apps/v1`` ``Deployment`` is ``kubernetes:apps/v1:Deployment``."""
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def app_objects(
    spec: AppSpec,
    assignment: ZoneAssignment,
    zone_labels: Mapping[str, str],
    namespace: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The app's objects in one zone, as the API takes them, by the suffix of their resource name.

    In the order they apply: the autoscaler (``hpa``) before the Deployment, so that it never pulls the
    replica count back to the old role's bounds; then the disruption budget, the egress policy (when the app
    sends data out), the Service and the ingress policy (when it has ports). ``FederatedEdgeApp`` registers
    exactly these, and the takeover's fast path applies the same through the zone's API.
    """
    marks = object_labels(spec, assignment, zone_labels, extra or {})
    meta = {"name": spec.name, "namespace": namespace, "labels": marks}
    # The role is the workload's and its autoscaler's: a failover changes only them.
    steady = {**meta, "labels": pod_labels(marks)}

    def obj(api_version: str, kind: str, metadata: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
        return {"apiVersion": api_version, "kind": kind, "metadata": dict(metadata), "spec": dict(body)}

    out = {
        "hpa": obj("autoscaling/v2", "HorizontalPodAutoscaler", meta, autoscaler_spec(spec, assignment)),
        "deployment": obj(
            "apps/v1",
            "Deployment",
            {**meta, "annotations": deployment_annotations(assignment)},
            deployment_spec(spec, assignment, pod_labels(marks)),
        ),
        "pdb": obj("policy/v1", "PodDisruptionBudget", steady, disruption_budget_spec(spec)),
    }
    if spec.egress:
        egress = egress_policy_spec(spec, pod_labels(marks))
        out["egress"] = obj(NETWORKING, "NetworkPolicy", {**steady, "name": f"{spec.name}-egress"}, egress)
    if spec.ports:
        out["service"] = obj("v1", "Service", steady, service_spec(spec))
        ingress = ingress_policy_spec(spec)
        out["ingress"] = obj(NETWORKING, "NetworkPolicy", {**steady, "name": f"{spec.name}-ingress"}, ingress)
    return out


def default_deny_spec() -> dict[str, Any]:
    """The NetworkPolicy that closes the tenant namespace in both directions (apps open their own ports)."""
    return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def dns_egress_spec() -> dict[str, Any]:
    """The NetworkPolicy that lets every pod of the namespace reach the cluster's DNS, and nothing else."""
    return {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ],
    }
