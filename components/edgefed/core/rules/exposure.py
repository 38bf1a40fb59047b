"""Exposure rules: restricted pods are reachable only from inside their zone. Pure logic.

Two views. :func:`check_exposure` judges one Service, Ingress or route by its own labels (it runs before
each resource is written). :func:`check_exposure_paths` follows the whole stack: what each exposing
Service selects, and which Services each Ingress or Gateway route leads to, whatever labels they carry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.rules.common import Finding, classification_of, describe_resource
from edgefed.core.rules.kinds import INGRESS_TYPES, ROUTE_TYPES, SERVICE_TYPES, is_patch, labels_at, pod_template_path

EXPOSING_SERVICE_TYPES = ("LoadBalancer", "NodePort")
RULE = "disallow-external-exposure"
PATH_RULE = "disallow-restricted-exposure-path"


def service_exposure(props: Mapping[str, Any]) -> str | None:
    """How a Service (or patch) reaches outside the zone (``type LoadBalancer``, ``externalIPs``), if it does."""
    spec = props.get("spec") or {}
    kind = spec.get("type")
    if kind in EXPOSING_SERVICE_TYPES:
        return f"type {kind}"
    if spec.get("externalIPs"):
        return "externalIPs"
    return None


def check_exposure(resource_type: str, name: str, props: Mapping[str, Any]) -> list[Finding]:
    """A Service, Ingress or route labelled restricted (or unlabelled: fail closed) never exposes anything."""
    if labels_at(props).get(labels.CLASSIFICATION) in ("public", "internal", "personal"):
        return []  # anything else (restricted, missing, unknown) is treated as restricted
    what = describe_resource(resource_type, name)
    if resource_type in SERVICE_TYPES:
        how = service_exposure(props)
        if how:
            return [
                Finding(
                    RULE,
                    f"{what}: {how} exposes restricted data outside the zone; rule {RULE} allows only ClusterIP "
                    "for restricted workloads",
                )
            ]
    if resource_type in INGRESS_TYPES or resource_type in ROUTE_TYPES:
        return [Finding(RULE, f"{what}: exposes restricted data outside the zone; rule {RULE} allows none")]
    return []


@dataclass(frozen=True)
class Obj:
    """A Kubernetes object of the stack as the path rule sees it."""

    resource_type: str
    name: str
    """Pulumi name (how messages name it)."""
    object_name: str
    """``metadata.name`` (how other objects refer to it); the Pulumi name when unset."""
    namespace: str
    zone: str
    props: Mapping[str, Any]


@dataclass(frozen=True)
class _Backend:
    kind: str
    name: str
    namespace: str


def _ingress_backends(props: Mapping[str, Any], namespace: str) -> Iterator[_Backend]:
    spec = props.get("spec") or {}
    backends = [spec.get("defaultBackend"), spec.get("backend")]
    for rule in spec.get("rules") or []:
        backends += [path.get("backend") for path in ((rule.get("http") or {}).get("paths") or [])]
    for backend in backends:
        if not backend:
            continue
        service = backend.get("service") or {}
        name = service.get("name") or backend.get("serviceName")
        if name:
            yield _Backend("Service", str(name), namespace)
        else:
            resource = backend.get("resource") or {}
            yield _Backend(str(resource.get("kind") or "resource"), str(resource.get("name") or "?"), namespace)


def _route_backends(props: Mapping[str, Any], namespace: str) -> Iterator[_Backend]:
    for rule in (props.get("spec") or {}).get("rules") or []:
        for ref in rule.get("backendRefs") or []:
            group, kind = ref.get("group") or "", ref.get("kind") or "Service"
            shown_kind = kind if group in ("", "core") else f"{kind}.{group}"
            yield _Backend(shown_kind, str(ref.get("name")), str(ref.get("namespace") or namespace))


def check_exposure_paths(objects: Sequence[Obj]) -> list[Finding]:
    """No exposing Service selects restricted pods; no Ingress or route leads to one, nor anywhere unchecked."""
    rule = PATH_RULE
    restricted = [
        (o, labels_at(o.props, template))
        for o in objects
        if (template := pod_template_path(o.resource_type)) is not None
        and not is_patch(o.resource_type)
        and classification_of(o.resource_type, o.props) == "restricted"
    ]
    services = {(o.zone, o.namespace, o.object_name): o for o in objects if o.resource_type in SERVICE_TYPES}

    def selected(service: Obj) -> list[Obj] | None:
        selector = (service.props.get("spec") or {}).get("selector")
        if not isinstance(selector, Mapping) or not selector:
            return None
        return [
            pod
            for pod, found in restricted
            if (pod.zone, pod.namespace) == (service.zone, service.namespace)
            and all(found.get(key) == value for key, value in selector.items())
        ]

    def pods(found: list[Obj]) -> str:
        return ", ".join(describe_resource(p.resource_type, p.name) for p in found)

    findings = []
    for service in services.values():
        how = service_exposure(service.props)
        if not how:
            continue
        what = describe_resource(service.resource_type, service.name)
        chosen = selected(service)
        if chosen is None:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {how} but it selects no pods, so what it exposes is set by hand and cannot be "
                    f"checked; rule {rule} allows exposing only Services whose selector names their pods",
                )
            )
        elif chosen:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {how} exposes the pods of {pods(chosen)} (restricted data) outside the zone; rule "
                    f"{rule} allows only ClusterIP Services in front of restricted pods",
                )
            )
    for route in objects:
        if route.resource_type in INGRESS_TYPES:
            backends = list(_ingress_backends(route.props, route.namespace))
        elif route.resource_type in ROUTE_TYPES:
            backends = list(_route_backends(route.props, route.namespace))
        else:
            continue
        what = describe_resource(route.resource_type, route.name)
        for backend in backends:
            behind = services.get((route.zone, backend.namespace, backend.name))
            target = f"{backend.kind} '{backend.name}'"
            if backend.kind != "Service" or behind is None:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: routes to {target}, which this stack does not define as a Service, so the pods "
                        f"behind it cannot be checked; rule {rule} allows routes only to Services of the stack",
                    )
                )
                continue
            chosen = selected(behind)
            if chosen is None:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: routes to {target}, which selects no pods, so what it exposes cannot be checked; "
                        f"rule {rule} allows routes only to Services whose selector names their pods",
                    )
                )
            elif chosen:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: routes to {target}, which selects the pods of {pods(chosen)} (restricted data); "
                        f"rule {rule} allows no route from outside the zone to restricted pods",
                    )
                )
    return findings
