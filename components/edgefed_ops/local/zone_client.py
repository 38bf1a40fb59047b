"""The one typed Kubernetes client edgefed uses to read (and seed) a zone: lightkube, from a kubeconfig.

Every read of a zone in the operations code and in the tests goes through ``ZoneClient``: readiness,
nodes, Deployments, Services, EndpointSlices, Namespaces, and dry-run creates (the zone's admission
verdict). Zones of the local federation serve a self-signed certificate on loopback
(``insecure-skip-tls-verify`` in their kubeconfig).
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
from lightkube.core.exceptions import ConfigError as KubeConfigError
from lightkube.models.authentication_v1 import TokenRequestSpec, TokenReviewSpec
from lightkube.models.authorization_v1 import SelfSubjectRulesReviewSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.authentication_v1 import SelfSubjectReview, TokenReview
from lightkube.resources.authorization_v1 import SelfSubjectRulesReview
from lightkube.resources.core_v1 import Namespace, Node, ResourceQuota, Service, ServiceAccountToken
from lightkube.resources.discovery_v1 import EndpointSlice

UNREACHABLE = (httpx2.HTTPError, OSError, KubeConfigError)
"""What a zone that does not answer (or has no usable kubeconfig) raises."""
REFUSED = ApiError
"""What a zone that answers with an error status (403, 404, 503...) raises."""


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

    def _api(self) -> Client:
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

    def answers(self) -> bool:
        """True when the API server serves the ``default`` namespace (its bootstrap is done)."""
        try:
            self._api().get(Namespace, "default")
        except (*UNREACHABLE, ApiError):
            self.close()
            return False
        return True

    def reachable(self) -> bool:
        """True when the API server answers at all, whatever it answers (a tenant is refused ``default``)."""
        try:
            self._api().get(Namespace, "default")
        except ApiError:
            return True
        except UNREACHABLE:
            self.close()
            return False
        return True

    def ensure(self, manifest: dict[str, Any]) -> None:
        """Create the object unless it exists (an operator's one-time setup)."""
        try:
            self._api().create(codecs.from_dict(manifest))
        except ApiError as error:
            if error.status.code != 409:
                raise

    def service_account_token(self, namespace: str, name: str, audience: str, seconds: int) -> str:
        """A token for a ServiceAccount from the TokenRequest API, for ``audience``, living ``seconds``."""
        spec = TokenRequestSpec(audiences=[audience], expirationSeconds=seconds)
        request = ServiceAccountToken(metadata=ObjectMeta(name=name, namespace=namespace), spec=spec)
        answer = self._api().create(request, name=name, namespace=namespace)
        assert answer.status is not None
        return str(answer.status.token)

    def whoami(self) -> str | None:
        """Who this API server takes the kubeconfig's credential for (a SelfSubjectReview).

        None when it does not authenticate it at all (401: a token from an issuer it does not trust,
        expired or revoked).
        """
        try:
            answer = self._api().create(SelfSubjectReview())
        except ApiError as error:
            if error.status.code == 401:
                return None
            raise
        user = answer.status.userInfo if answer.status else None
        return (user.username or "") if user else ""

    def rules(self, namespace: str) -> tuple[list[tuple[list[str], list[str], list[str]]], bool]:
        """What the credential may do in ``namespace`` (``kubectl auth can-i --list``).

        (api groups, resources, verbs) per rule, and whether the server said the list is incomplete.
        """
        review = SelfSubjectRulesReview(spec=SelfSubjectRulesReviewSpec(namespace=namespace))
        status = self._api().create(review).status
        if status is None:
            return [], True
        found = [
            (list(rule.apiGroups or [""]), list(rule.resources or []), list(rule.verbs))
            for rule in status.resourceRules
        ]
        return found, bool(status.incomplete)

    def accepts_token(self, token: str, audience: str) -> bool:
        """True when this API server authenticates ``token`` for ``audience`` now (a TokenReview).

        Its issuer answers False for a token it signed with keys it no longer has, or for an account
        since removed: a token that only looks valid is never reused.
        """
        review = TokenReview(spec=TokenReviewSpec(token=token, audiences=[audience]))
        answer = self._api().create(review)
        return bool(answer.status and answer.status.authenticated)

    def quota_accounted(self, namespace: str, name: str) -> bool:
        """True when the zone's quota controller has taken a ResourceQuota into account.

        Its status repeats the spec's limits only then; until it does, the API server refuses every
        object the quota covers (``status unknown for quota``).
        """
        quota = self._api().get(ResourceQuota, name, namespace=namespace)
        hard = quota.spec.hard if quota.spec else None
        return bool(hard) and quota.status is not None and quota.status.hard == hard

    def delete_quota(self, namespace: str, name: str) -> None:
        """Delete a ResourceQuota (gone already is fine)."""
        try:
            self._api().delete(ResourceQuota, name, namespace=namespace)
        except ApiError as error:
            if error.status.code != 404:
                raise

    def ready_nodes(self) -> int:
        """Nodes whose Ready condition is True."""
        count = 0
        for node in self._api().list(Node):
            conditions = (node.status.conditions or []) if node.status else []
            count += any(c.type == "Ready" and c.status == "True" for c in conditions)
        return count

    def deployments(
        self, namespace: str | None = None, *, labels: dict[str, str] | None = None
    ) -> list[DeploymentView]:
        """Deployments of a namespace (every namespace when None), optionally by label."""
        selector: dict[str, Any] | None = dict(labels) if labels else None
        listed = self._api().list(Deployment, namespace=namespace or "*", labels=selector)
        return sorted((_view(d) for d in listed), key=lambda d: (d.namespace, d.name))

    def scale(self, namespace: str, name: str, replicas: int) -> None:
        """Set a Deployment's replicas through its ``scale`` subresource (what ``kubectl scale`` does)."""
        self._api().patch(Deployment.Scale, name, {"spec": {"replicas": replicas}}, namespace=namespace)

    def deployment(self, namespace: str, name: str) -> DeploymentView:
        """One Deployment (lightkube's ApiError 404 when it does not exist)."""
        return _view(self._api().get(Deployment, name, namespace=namespace))

    def namespaces(self) -> dict[str, str]:
        """Namespace name to phase (Active, Terminating)."""
        return {
            n.metadata.name: (n.status.phase or "") if n.status else ""
            for n in self._api().list(Namespace)
            if n.metadata and n.metadata.name
        }

    def service_ports(self, namespace: str, name: str) -> list[int]:
        """The ports a Service exposes."""
        service = self._api().get(Service, name, namespace=namespace)
        return [p.port for p in (service.spec.ports or [])] if service.spec else []

    def dry_run_create(self, manifest: dict[str, Any]) -> str | None:
        """Create ``manifest`` as a server-side dry run: ``None`` when admitted, the refusal otherwise.

        Admission (the zone's ValidatingAdmissionPolicy included) runs as for a real create; nothing is stored.
        """
        try:
            self._api().create(codecs.from_dict(manifest), dry_run=True)
        except ApiError as error:
            return str(error.status.message or error.status.reason or error.status.code)
        return None

    def ready_endpoints(self, namespace: str, service: str, port: int) -> list[str]:
        """The zone of every ready endpoint of a Service on ``port`` (from its EndpointSlices)."""
        found = []
        selector: dict[str, Any] = {"kubernetes.io/service-name": service}
        for item in self._api().list(EndpointSlice, namespace=namespace, labels=selector):
            if port not in [p.port for p in item.ports or []]:
                continue
            for endpoint in item.endpoints or []:
                if endpoint.conditions and endpoint.conditions.ready:
                    found.append(endpoint.zone or "")
        return found


@contextmanager
def open_zone(kubeconfig: Path, *, timeout: float = 10.0) -> Iterator[ZoneClient]:
    """A client of one zone, closed afterwards."""
    client = ZoneClient(kubeconfig, timeout=timeout)
    try:
        yield client
    finally:
        client.close()
