"""The one typed Kubernetes client edgefed uses to read (and seed) a zone: lightkube, from a kubeconfig.

Every read of a zone in the operations code and in the tests goes through ``ZoneClient``: readiness,
nodes, Deployments, Services, EndpointSlices, Namespaces, and dry-run creates (the zone's admission
verdict); who the zone takes a credential for, through the same connection, in
:mod:`edgefed_ops.local.zone_identity`. Zones of the local federation serve a self-signed certificate
on loopback (``insecure-skip-tls-verify`` in their kubeconfig).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import yaml
from lightkube import ApiError, Client, KubeConfig, codecs
from lightkube.config.client_adapter import Client as HttpClient
from lightkube.config.client_adapter import ConnectionParams
from lightkube.core.exceptions import ConfigError as KubeConfigError
from lightkube.core.resource_registry import resource_registry
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace, Node, ResourceQuota, Service
from lightkube.resources.discovery_v1 import EndpointSlice
from lightkube.types import PatchType

UNREACHABLE = (httpx2.HTTPError, OSError, KubeConfigError)
"""What a zone that does not answer (or has no usable kubeconfig) raises."""
REFUSED = ApiError
"""What a zone that answers with an error status (403, 404, 503...) raises."""
PULUMI_MANAGER_PREFIX = "pulumi-kubernetes-"
"""How the Kubernetes provider names the field manager of each object it applies (a random suffix per object)."""


@dataclass(frozen=True)
class DeploymentView:
    """What the drill, the deploy summary and the tests read of a Deployment."""

    namespace: str
    name: str
    uid: str
    labels: dict[str, str]
    replicas: int
    ready: int


def _view(item: Deployment) -> DeploymentView:
    meta, spec, status = item.metadata, item.spec, item.status
    assert meta is not None and meta.name is not None
    return DeploymentView(
        namespace=meta.namespace or "",
        name=meta.name,
        uid=meta.uid or "",
        labels=dict(meta.labels or {}),
        replicas=(spec.replicas or 0) if spec else 0,
        ready=(status.readyReplicas or 0) if status else 0,
    )


class ZoneClient:
    """A zone's API server, reached with the credentials of its kubeconfig."""

    def __init__(self, kubeconfig: Path, *, timeout: float = 10.0) -> None:
        self.kubeconfig = kubeconfig
        self._timeout = timeout
        self._client: Client | None = None

    def api(self) -> Client:
        """The lightkube client (made on first use): for the typed reads of this package only."""
        if self._client is None:
            config = KubeConfig.from_dict(yaml.safe_load(self.kubeconfig.read_text()), fname=self.kubeconfig)
            self._client = Client(config, timeout=httpx2.Timeout(self._timeout), field_manager="edgefed")
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def server(self) -> str:
        """The API server URL of the kubeconfig's current context."""
        config = KubeConfig.from_dict(yaml.safe_load(self.kubeconfig.read_text())).get()
        assert config is not None
        return str(config.cluster.server)

    def http(self) -> httpx2.Client:
        """A plain HTTP client of the API server with the kubeconfig's credential (for what has no typed API)."""
        config = KubeConfig.from_dict(yaml.safe_load(self.kubeconfig.read_text())).get()
        assert config is not None, "a kubeconfig with a current context"
        return HttpClient(config, ConnectionParams(timeout=httpx2.Timeout(self._timeout), trust_env=False))

    def healthy(self) -> bool:
        """True when the API server's ``/healthz`` says ok: all its start-up hooks are done.

        Its controller manager waits only a few seconds for that before it gives up; on a loaded machine the
        server answers requests well before (its priority-and-fairness configuration is still being made).
        """
        try:
            with self.http() as http:
                return http.get("/healthz").status_code == 200
        except UNREACHABLE:
            return False

    def answers(self) -> bool:
        """True when the API server serves the ``default`` namespace (its bootstrap is done)."""
        try:
            self.api().get(Namespace, "default")
        except (*UNREACHABLE, ApiError):
            self.close()
            return False
        return True

    def reachable(self) -> bool:
        """True when the API server answers at all, whatever it answers (a tenant is refused ``default``)."""
        try:
            self.api().get(Namespace, "default")
        except ApiError:
            return True
        except UNREACHABLE:
            self.close()
            return False
        return True

    def ensure(self, manifest: dict[str, Any]) -> None:
        """Create the object unless it exists (an operator's one-time setup)."""
        try:
            self.api().create(codecs.from_dict(manifest))
        except ApiError as error:
            if error.status.code != 409:
                raise

    def set_node_capacity(self, name: str, capacity: dict[str, str]) -> None:
        """Set a (simulated) node's capacity and allocatable, through its status subresource."""
        status = {"status": {"capacity": capacity, "allocatable": capacity}}
        self.api().patch(Node.Status, name, status)

    def quota_accounted(self, namespace: str, name: str) -> bool:
        """True when the zone's quota controller has taken a ResourceQuota into account.

        Its status repeats the spec's limits only then; until it does, the API server refuses every
        object the quota covers (``status unknown for quota``).
        """
        quota = self.api().get(ResourceQuota, name, namespace=namespace)
        hard = quota.spec.hard if quota.spec else None
        return bool(hard) and quota.status is not None and quota.status.hard == hard

    def delete_quota(self, namespace: str, name: str) -> None:
        """Delete a ResourceQuota (gone already is fine)."""
        try:
            self.api().delete(ResourceQuota, name, namespace=namespace)
        except ApiError as error:
            if error.status.code != 404:
                raise

    def ready_nodes(self) -> int:
        """Nodes whose Ready condition is True."""
        count = 0
        for node in self.api().list(Node):
            conditions = (node.status.conditions or []) if node.status else []
            count += any(c.type == "Ready" and c.status == "True" for c in conditions)
        return count

    def deployments(
        self, namespace: str | None = None, *, labels: dict[str, str] | None = None
    ) -> list[DeploymentView]:
        """Deployments of a namespace (every namespace when None), optionally by label."""
        selector: dict[str, Any] | None = dict(labels) if labels else None
        listed = self.api().list(Deployment, namespace=namespace or "*", labels=selector)
        return sorted((_view(d) for d in listed), key=lambda d: (d.namespace, d.name))

    def scale(self, namespace: str, name: str, replicas: int) -> None:
        """Set a Deployment's replicas through its ``scale`` subresource (what ``kubectl scale`` does)."""
        self.api().patch(Deployment.Scale, name, {"spec": {"replicas": replicas}}, namespace=namespace)

    def apply(self, manifest: dict[str, Any], field_manager: str) -> None:
        """Server-side apply of ``manifest`` as ``field_manager``, forcing: it creates the object or adopts it."""
        self.api().apply(codecs.from_dict(manifest), field_manager=field_manager, force=True)

    def release(self, manifest: dict[str, Any], field_manager: str) -> bool:
        """Give up ``field_manager``'s ownership of the object's fields; whether it was given up.

        Server-side apply drops a field that only the releasing manager owns: giving it up would then change
        the object (a Deployment's replicas gone back to the default). A dry run first: the release happens
        only when it changes nothing but the ownership, and is left otherwise (``False``).
        """
        metadata = manifest["metadata"]
        identity = {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"], "metadata": dict(metadata)}
        resource: Any = resource_registry.load(manifest["apiVersion"], manifest["kind"])
        where: dict[str, Any] = {"namespace": metadata.get("namespace"), "patch_type": PatchType.APPLY}
        live = self.api().get(resource, metadata["name"], namespace=metadata.get("namespace"))
        try:
            trial = self.api().patch(
                resource, metadata["name"], identity, field_manager=field_manager, dry_run=True, **where
            )
        except ApiError as error:
            if error.status.code == 422:  # the object without the manager's fields would be invalid
                return False
            raise
        if _content(trial) != _content(live):
            return False
        self.api().patch(resource, metadata["name"], identity, field_manager=field_manager, **where)
        return True

    def stack_manager(self, manifest: dict[str, Any]) -> str | None:
        """The field manager of the one Pulumi stack that applied the object.

        ``None`` when none or several did, or when the object does not exist.
        """
        try:
            managers = self.appliers(manifest)
        except ApiError as error:
            if error.status.code == 404:
                return None
            raise
        stacks = [manager for manager in managers if manager.startswith(PULUMI_MANAGER_PREFIX)]
        return stacks[0] if len(stacks) == 1 else None

    def appliers(self, manifest: dict[str, Any]) -> set[str]:
        """The field managers that own fields of the object through server-side apply."""
        metadata = manifest["metadata"]
        resource: Any = resource_registry.load(manifest["apiVersion"], manifest["kind"])
        found = self.api().get(resource, metadata["name"], namespace=metadata.get("namespace"))
        entries = found.metadata.managedFields if found.metadata else None
        return {e.manager for e in entries or [] if e.operation == "Apply" and e.manager}

    def deployment(self, namespace: str, name: str) -> DeploymentView:
        """One Deployment (lightkube's ApiError 404 when it does not exist)."""
        return _view(self.api().get(Deployment, name, namespace=namespace))

    def deployment_failed(self, namespace: str, name: str) -> str | None:
        """Why a Deployment's rollout failed (its ``ReplicaFailure`` or ``ProgressDeadlineExceeded``), or None."""
        found = self.api().get(Deployment, name, namespace=namespace)
        for condition in (found.status.conditions or []) if found.status else []:
            if condition.type == "ReplicaFailure" and condition.status == "True":
                return condition.message or condition.reason or "ReplicaFailure"
            if condition.type == "Progressing" and condition.reason == "ProgressDeadlineExceeded":
                return condition.message or "ProgressDeadlineExceeded"
        return None

    def namespaces(self) -> dict[str, str]:
        """Namespace name to phase (Active, Terminating)."""
        return {
            n.metadata.name: (n.status.phase or "") if n.status else ""
            for n in self.api().list(Namespace)
            if n.metadata and n.metadata.name
        }

    def service_ports(self, namespace: str, name: str) -> list[int]:
        """The ports a Service exposes."""
        service = self.api().get(Service, name, namespace=namespace)
        return [p.port for p in (service.spec.ports or [])] if service.spec else []

    def dry_run_create(self, manifest: dict[str, Any]) -> str | None:
        """Create ``manifest`` as a server-side dry run: ``None`` when admitted, the refusal otherwise.

        Admission (the zone's ValidatingAdmissionPolicy included) runs as for a real create; nothing is stored.
        """
        try:
            self.api().create(codecs.from_dict(manifest), dry_run=True)
        except ApiError as error:
            return str(error.status.message or error.status.reason or error.status.code)
        return None

    def ready_endpoints(self, namespace: str, service: str, port: int) -> list[str]:
        """The zone of every ready endpoint of a Service on ``port`` (from its EndpointSlices)."""
        found = []
        selector: dict[str, Any] = {"kubernetes.io/service-name": service}
        for item in self.api().list(EndpointSlice, namespace=namespace, labels=selector):
            if port not in [p.port for p in item.ports or []]:
                continue
            for endpoint in item.endpoints or []:
                if endpoint.conditions and endpoint.conditions.ready:
                    found.append(endpoint.zone or "")
        return found


def _content(found: Any) -> dict[str, Any]:
    """An object as a dict without what every write changes (ownership, versions, status)."""
    content: dict[str, Any] = dict(found) if isinstance(found, dict) else found.to_dict()
    metadata = {k: v for k, v in content.get("metadata", {}).items() if k not in _WRITE_MARKS}
    return {**{k: v for k, v in content.items() if k != "status"}, "metadata": metadata}


_WRITE_MARKS = ("managedFields", "resourceVersion", "generation")


@contextmanager
def open_zone(kubeconfig: Path, *, timeout: float = 10.0) -> Iterator[ZoneClient]:
    """A client of one zone, closed afterwards."""
    client = ZoneClient(kubeconfig, timeout=timeout)
    try:
        yield client
    finally:
        client.close()
