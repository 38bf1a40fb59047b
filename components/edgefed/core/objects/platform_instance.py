"""The Kubernetes objects an operator's platform makes for one CAMARA app instance in one of its zones.

A CAMARA ``AppManifest`` says which image, how much CPU and memory, which ports; it says nothing of the
data the app handles nor of where that data may go. The operator therefore labels every platform instance
with the strictest data class the tenant's contract allows (what it may hold at worst), residency the zone's
own country, in the namespace of the tenant's stack for that country (``<tenant>-<cc>``), with no external
exposure. The zone's
own guards (Pod Security, isolation, residency, quotas) then judge the objects as they judge any tenant
write, because the platform writes them with the tenant's own identity. Pure: no Pulumi import.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Zone
from edgefed.core.inputs.contract import tenant_namespace
from edgefed.core.inputs.eam import AppManifest, AppManifestInfo


def strictest(classes: tuple[str, ...]) -> str:
    """The most sensitive of ``classes`` (an unknown one counts as restricted)."""
    order = labels.CLASSIFICATIONS
    return max(classes, key=lambda c: order.index(c) if c in order else len(order), default="restricted")


INSTANCE_LABEL = f"{labels.PREFIX}/platform-instance"
"""The platform's id of the instance, on each object made for it."""


class InstanceRefusedError(ValueError):
    """The manifest asks for what a platform instance cannot be: the message says what and why."""


def platform_name(name: str, *parts: str) -> str:
    """A CAMARA app or instance name (letters, digits, '_'; at most 64) from Kubernetes-style names."""
    joined = "_".join((name, *parts)).replace("-", "_")
    return joined if len(joined) <= 64 else joined[:55] + "_" + hashlib.sha256(joined.encode()).hexdigest()[:8]


def app_provider(home_operator: str, tenant: str) -> str:
    """The ``appProvider`` of a tenant's apps: its identity ``<home>:<tenant>`` in the document's characters."""
    return f"{home_operator}_{tenant}".replace("-", "_")


def app_manifest(spec: AppSpec, provider: str, name: str) -> AppManifest:
    """What edgefed submits for ``spec``: its image, CPU (whole cores, rounded up), memory and internal ports.

    Refused: a GPU app (the document's GPU pool is not offered by the federation's platforms yet, and a GPU
    app placed without its GPU would run without it) and an app without ports (the document requires every
    app to expose at least one).
    """
    if not spec.ports:
        raise InstanceRefusedError(
            f"app {spec.name} exposes no port, and the CAMARA document requires every app to expose at least one; "
            "place it on a zone reached through Kubernetes"
        )
    if spec.resources.gpu is not None:
        raise InstanceRefusedError(
            f"app {spec.name} needs GPUs ({spec.resources.gpu.model}), which platform zones do not offer; "
            "place it on a zone reached through Kubernetes"
        )
    cpu = max(1, math.ceil(spec.resources.cpu))
    memory = spec.resources.memory_mib
    interfaces = [
        {"interfaceId": f"{port.name.replace('-', '_')}_if"[:32], "protocol": port.protocol, "port": port.port,
         "visibilityType": "VISIBILITY_INTERNAL"}
        for port in spec.ports
    ]  # fmt: skip
    return AppManifest.model_validate(
        {
            "name": name,
            "appProvider": provider,
            "version": spec.image.rsplit("@", 1)[-1].rsplit(":", 1)[-1][:64],
            "packageType": "CONTAINER",
            "appRepo": {"type": "PRIVATEREPO", "imagePath": spec.image},
            "requiredResources": {
                "infraKind": "kubernetes",
                "isStandalone": False,
                "applicationResources": {
                    "cpuPool": {
                        "numCPU": cpu,
                        "memory": memory,
                        "topology": {"minNumberOfNodes": 1, "minNodeCpu": cpu, "minNodeMemory": memory},
                    }
                },
            },
            "componentSpec": [{"componentName": spec.name, "networkInterfaces": interfaces}],
        }
    )


def object_name(instance_name: str) -> str:
    """The Kubernetes name of an instance's objects (CAMARA names allow '_' and capitals; DNS labels do not)."""
    name = re.sub(r"_+", "-", instance_name.lower()).strip("-")
    if not name or len(name) > 63:
        raise InstanceRefusedError(f"name {instance_name!r} makes no Kubernetes name of at most 63 characters")
    return name


def instance_labels(zone: Zone, app: str, instance_id: str, classification: str) -> dict[str, str]:
    """The labels of every object of the instance: the zone's residency, the app, its data class."""
    return {
        **labels.zone_labels(
            zone=zone.id, country=zone.country, operator=zone.operator, residency=zone.country.lower()
        ),
        labels.APP: app,
        labels.ROLE: "primary",
        labels.CLASSIFICATION: classification,
        INSTANCE_LABEL: instance_id,
    }


def instance_objects(
    manifest: AppManifestInfo, instance_name: str, instance_id: str, zone: Zone, tenant: str, classification: str
) -> list[dict[str, Any]]:
    """The Deployment (one replica) and, when the app has ports, its ClusterIP Service, in apply order."""
    ports = [port for component in manifest.component_spec for port in component.network_interfaces]
    external = [port.interface_id for port in ports if port.visibility_type == "VISIBILITY_EXTERNAL"]
    if external:
        raise InstanceRefusedError(
            f"interfaces {', '.join(external)} ask for VISIBILITY_EXTERNAL; this platform exposes instances inside "
            "the zone only (an external address is the operator's grant, through its zone stack)"
        )
    name = object_name(instance_name)
    marks = instance_labels(zone, name, instance_id, classification)
    pods = {key: value for key, value in marks.items() if key != labels.ROLE}
    namespace = tenant_namespace(tenant, zone.country)
    pool = manifest.required_resources.application_resources.cpu_pool
    amounts = {"cpu": str(pool.num_cpu), "memory": f"{pool.memory}Mi"}
    container_ports: list[dict[str, Any]] = [
        {
            "name": port.interface_id.lower().replace("_", "-")[:15].strip("-"),
            "containerPort": port.port,
            "protocol": "TCP" if port.protocol == "ANY" else port.protocol,
        }
        for port in ports
    ]
    container = {
        "name": name,
        "image": manifest.app_repo.image_path,
        "ports": container_ports,
        "resources": {"requests": amounts, "limits": amounts},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }  # fmt: skip
    meta = {"name": name, "namespace": namespace, "labels": marks}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {labels.APP: name}},
            "template": {
                "metadata": {"labels": pods},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                },
            },
        },
    }
    out: list[dict[str, Any]] = [deployment]
    if ports:
        service_ports = [
            {"name": p["name"], "port": p["containerPort"], "targetPort": p["containerPort"], "protocol": p["protocol"]}
            for p in container_ports
        ]
        spec = {"type": "ClusterIP", "selector": {labels.APP: name}, "ports": service_ports}
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {**meta, "labels": pods}, "spec": spec})
    return out
