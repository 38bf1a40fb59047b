"""Which Kubernetes resource types run or expose containers, and where their pod spec sits.

Pure data and navigation, shared by the policy pack's rules. The tables are checked against the
Kubernetes provider's own schema (``tests/test_kinds_schema.py``): every provider type whose inputs
reach a ``PodSpec`` must be listed here with the right path, so a kind the provider adds cannot slip
past the pack. Types the tables do not know are searched for pod specs and refused when they carry one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

POD: tuple[str, ...] = ()
TEMPLATE = ("spec", "template")
JOB_TEMPLATE = ("spec", "jobTemplate", "spec", "template")

_WORKLOADS: dict[str, tuple[str, ...]] = {
    "core/v1:Pod": POD,
    "core/v1:PodTemplate": ("template",),
    "core/v1:ReplicationController": TEMPLATE,
    "apps/v1:Deployment": TEMPLATE,
    "apps/v1:StatefulSet": TEMPLATE,
    "apps/v1:DaemonSet": TEMPLATE,
    "apps/v1:ReplicaSet": TEMPLATE,
    "apps/v1beta1:Deployment": TEMPLATE,
    "apps/v1beta1:StatefulSet": TEMPLATE,
    "apps/v1beta2:Deployment": TEMPLATE,
    "apps/v1beta2:StatefulSet": TEMPLATE,
    "apps/v1beta2:DaemonSet": TEMPLATE,
    "apps/v1beta2:ReplicaSet": TEMPLATE,
    "extensions/v1beta1:Deployment": TEMPLATE,
    "extensions/v1beta1:DaemonSet": TEMPLATE,
    "extensions/v1beta1:ReplicaSet": TEMPLATE,
    "batch/v1:Job": TEMPLATE,
    "batch/v1:CronJob": JOB_TEMPLATE,
    "batch/v1beta1:CronJob": JOB_TEMPLATE,
    "batch/v2alpha1:CronJob": JOB_TEMPLATE,
}

WORKLOAD_KINDS: dict[str, tuple[str, ...]] = {f"kubernetes:{kind}": path for kind, path in _WORKLOADS.items()}
"""Workload types and the path from their properties to their pod template (``()``: the Pod itself)."""
PATCH_KINDS: dict[str, tuple[str, ...]] = {f"kubernetes:{kind}Patch": path for kind, path in _WORKLOADS.items()}
"""The ``*Patch`` resources of those types: partial objects applied to an existing workload."""
LIST_KINDS: dict[str, tuple[str, ...]] = {f"kubernetes:{kind}List": path for kind, path in _WORKLOADS.items()}
"""The ``*List`` resources of those types (``items``: workloads, each with that path). The provider refuses
to create them today; the pack refuses them too, since it checks workloads one resource at a time."""

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
PROVIDER_TYPE = "pulumi:providers:kubernetes"
SERVICE_TYPES = ("kubernetes:core/v1:Service", "kubernetes:core/v1:ServicePatch")
INGRESS_TYPES = tuple(
    f"kubernetes:{group}:{kind}"
    for group in ("networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1")
    for kind in ("Ingress", "IngressPatch")
)
"""Ingresses (every API version the provider knows) and their patches."""
ROUTE_TYPES = tuple(
    f"kubernetes:gateway.networking.k8s.io/{version}:{kind}"
    for version in ("v1", "v1beta1", "v1alpha2", "v1alpha3")
    for kind in ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
)
"""Gateway API routes (custom resources: ``kubernetes:<apiVersion>:<kind>``) whose backends are Services."""
WEBHOOK_TYPES = tuple(
    f"kubernetes:admissionregistration.k8s.io/{version}:{kind}{patch}"
    for version in ("v1", "v1beta1")
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
    for patch in ("", "Patch")
)
"""Admission webhook configurations (every API version the provider knows) and their patches: the API server
sends each webhook every object it matches."""
NETWORK_POLICY_TYPES = (
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "kubernetes:networking.k8s.io/v1:NetworkPolicyPatch",
)
"""NetworkPolicies and their patches: their egress rules open paths out of the zone's default deny."""
HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
"""A Helm release installs its chart inside the provider: its objects never reach the pack one by one."""
MANIFEST_GROUP_TYPES = (
    "kubernetes:yaml:ConfigFile",
    "kubernetes:yaml:ConfigGroup",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:kustomize:Directory",
    "kubernetes:kustomize/v2:Directory",
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v4:Chart",
)
"""Components that register each object of their manifests as its own resource, so the pack inspects each."""


def pod_template_path(resource_type: str) -> tuple[str, ...] | None:
    """Path to the pod template of a workload or workload patch type; ``None`` for any other type."""
    return WORKLOAD_KINDS.get(resource_type, PATCH_KINDS.get(resource_type))


def is_patch(resource_type: str) -> bool:
    """A ``*Patch`` resource: it changes only the fields it names of an object that already exists."""
    return resource_type.startswith("kubernetes:") and resource_type.endswith("Patch")


def node_at(props: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any] | None:
    """The mapping at ``path`` under ``props``; ``None`` when a step is missing or not a mapping."""
    node: Any = props
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            return None
    return node if isinstance(node, Mapping) else None


def labels_at(props: Mapping[str, Any], path: tuple[str, ...] = ()) -> Mapping[str, Any]:
    """``metadata.labels`` of the object at ``path`` (empty when there are none)."""
    node = node_at(props, (*path, "metadata", "labels"))
    return node if node is not None else {}


def _is_list(value: Any) -> bool:
    """A JSON array (also as pulumi-policy's read-only proxy of one), not a string."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def pod_specs(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of every pod spec (a mapping with a ``containers`` list) anywhere inside ``value``."""
    if isinstance(value, Mapping):
        containers: Any = value.get("containers")
        if _is_list(containers) and any(isinstance(c, Mapping) for c in containers):
            yield path
        for key, child in value.items():
            yield from pod_specs(child, (*path, str(key)))
    elif _is_list(value):
        for index, child in enumerate(value):
            yield from pod_specs(child, (*path, str(index)))


def is_known(resource_type: str) -> bool:
    """A type whose containers and exposure the pack's rules read directly."""
    return (
        pod_template_path(resource_type) is not None
        or resource_type in SERVICE_TYPES
        or resource_type in INGRESS_TYPES
        or resource_type in ROUTE_TYPES
    )
