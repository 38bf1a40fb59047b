"""Host access rules: data that is not public never reaches the node's network, processes or disks. Pure logic.

``hostNetwork``, ``hostPID``, ``hostIPC``, a container's ``hostPort``, a privileged container (or one that
adds a capability reaching past it, :data:`NODE_CAPABILITIES`) and a ``hostPath`` volume put a pod's data
on the node's interfaces, processes and filesystem: outside every Service the exposure rules read and every
NetworkPolicy of the zone's default deny.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgefed.core.rules.common import Finding, classification_of, describe_resource
from edgefed.core.rules.kinds import node_at, pod_template_path

RULE = "disallow-host-access"
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
"""The cluster's own namespaces: the only place the pack config may name exceptions (the zone's admission
policy does not check them either, and tenants cannot write there)."""
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
"""Pod-level switches that share one of the node's namespaces with the pod."""
NODE_CAPABILITIES = (
    "ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "DAC_READ_SEARCH", "BPF", "PERFMON",
    "SYSLOG",
)  # fmt: skip
"""Linux capabilities that reach past the container: the node's network stack, kernel, other processes,
raw devices and files. A container that adds one is as good as privileged (``CAP_`` prefix or not, any case)."""


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in (value or []) if isinstance(item, Mapping)]


def host_access(spec: Mapping[str, Any]) -> list[str]:
    """What in a pod spec reaches the node, in the spec's order (empty when nothing does).

    Only an explicit ``true`` (or a non-zero port) counts: ``false`` and ``0`` are what the API server
    stores for "off".
    """
    found = [f"{field}: true" for field in HOST_NAMESPACES if spec.get(field) is True]
    containers = [
        *_mappings(spec.get("initContainers")),
        *_mappings(spec.get("containers")),
        *_mappings(spec.get("ephemeralContainers")),
    ]
    for container in containers:
        name = container.get("name", "?")
        for port in _mappings(container.get("ports")):
            host_port = port.get("hostPort")
            if host_port:
                # The engine hands numbers to the pack as floats (80.0): shown as the author wrote them.
                if isinstance(host_port, float) and host_port.is_integer():
                    host_port = int(host_port)
                found.append(f"container '{name}' hostPort {host_port}")
        context = container.get("securityContext") or {}
        if context.get("privileged") is True:
            found.append(f"container '{name}' privileged")
        capabilities = context.get("capabilities") or {}
        for added in capabilities.get("add") or [] if isinstance(capabilities, Mapping) else []:
            if str(added).upper().removeprefix("CAP_") in NODE_CAPABILITIES:
                found.append(f"container '{name}' adds capability {added}")
    for volume in _mappings(spec.get("volumes")):
        host_path = volume.get("hostPath")
        if host_path is not None:
            path = host_path.get("path", "?") if isinstance(host_path, Mapping) else "?"
            found.append(f"volume '{volume.get('name', '?')}' hostPath {path}")
    return found


def exceptions_of(policy: Mapping[str, Any]) -> frozenset[str]:
    """The operator's system workloads the rule's config lets use the node (``namespace/name``).

    Only in the cluster's own namespaces; any other entry raises ``ValueError`` naming it.
    """
    found = frozenset(str(entry) for entry in policy.get("allowedSystemWorkloads") or [])
    for entry in sorted(found):
        namespace, _, workload = entry.partition("/")
        if namespace not in SYSTEM_NAMESPACES or not workload:
            raise ValueError(
                f"{RULE}.allowedSystemWorkloads: {entry!r} is not NAMESPACE/NAME in one of the cluster's own "
                f"namespaces ({', '.join(SYSTEM_NAMESPACES)}); tenants' workloads get no exception"
            )
    return found


def check_host_access(
    resource_type: str, name: str, props: Mapping[str, Any], exceptions: frozenset[str] = frozenset()
) -> list[Finding]:
    """A workload (or patch) whose data is not public uses none of the node's network, processes or disks.

    Fail closed: a missing or unknown classification counts as restricted, so a patch that names no
    labels may not turn host access on either. ``exceptions`` (``namespace/name``, from the pack config)
    are the operator's own system workloads, matched by the namespace and name the object declares.
    """
    template = pod_template_path(resource_type)
    if template is None:
        return []
    metadata = props.get("metadata") or {}
    declared = f"{metadata.get('namespace') or 'default'}/{metadata.get('name') or name}"
    if declared in exceptions:
        return []
    spec = node_at(props, (*template, "spec"))
    found = host_access(spec) if spec is not None else []
    classification = classification_of(resource_type, props)
    if not found or classification == "public":
        return []
    return [
        Finding(
            RULE,
            f"{describe_resource(resource_type, name)}: {', '.join(found)} would put {classification} data on the "
            f"node's network, processes or disks, outside the zone's network policies; rule {RULE} allows "
            "host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
        )
    ]
