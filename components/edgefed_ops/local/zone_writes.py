"""What a zone answers to writes, as its API server gives it: for the attack suite and its evidence.

Through a :class:`~edgefed_ops.local.zone_client.ZoneClient`'s connection (the credential of its
kubeconfig: a tenant's own token when the attack suite asks): server-side dry runs of creates, patches and
deletes (admission runs as for a real write, nothing is stored), real creates and deletes, whether a
Deployment's pods were made or refused (Pod Security and quotas judge pods, not the Deployment), and
which API Priority and Fairness flow schema the server put a request in (its response headers).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lightkube import ApiError, codecs
from lightkube.resources.apps_v1 import ReplicaSet
from lightkube.resources.flowcontrol_apiserver_v1 import FlowSchema
from lightkube.types import CascadeType

from edgefed_ops.local.zone_client import ZoneClient

FLOW_SCHEMA_HEADER = "X-Kubernetes-PF-FlowSchema-UID"
RETRIED = "the object has been modified; please apply your changes to the latest version and try again"
"""A ReplicaSet's failure that is no verdict: its pod lost a race on the namespace's quota, and it tries again."""
"""The response header naming the flow schema the API server classified a request into."""


@dataclass(frozen=True)
class PodOutcome:
    """What became of a Deployment's pods: how many were made, and why the others were refused."""

    made: int
    refusal: str | None


def _refusal(error: ApiError) -> str:
    return str(error.status.message or error.status.reason or error.status.code)


class ZoneWrites:
    """Writes to one zone with the credential of a client's kubeconfig, and what the zone answered."""

    def __init__(self, client: ZoneClient) -> None:
        self._client = client

    def dry_run(self, manifest: Mapping[str, Any]) -> str | None:
        """Create ``manifest`` as a server-side dry run: ``None`` when admitted, the refusal otherwise."""
        return self._client.dry_run_create(dict(manifest))

    def dry_run_patch(self, manifest: Mapping[str, Any], patch: Mapping[str, Any]) -> str | None:
        """Merge-patch the object ``manifest`` names (kind, name, namespace) as a dry run: ``None`` when admitted."""
        resource: Any = type(codecs.from_dict(dict(manifest)))
        metadata = manifest["metadata"]
        try:
            self._client.api().patch(
                resource, metadata["name"], dict(patch), namespace=metadata.get("namespace"), dry_run=True
            )
        except ApiError as error:
            return _refusal(error)
        return None

    def dry_run_delete(self, manifest: Mapping[str, Any]) -> str | None:
        """Delete the object ``manifest`` names as a dry run: ``None`` when admitted, the refusal otherwise."""
        resource: Any = type(codecs.from_dict(dict(manifest)))
        metadata = manifest["metadata"]
        try:
            self._client.api().delete(resource, metadata["name"], namespace=metadata.get("namespace"), dry_run=True)
        except ApiError as error:
            return _refusal(error)
        return None

    def create(self, manifest: Mapping[str, Any]) -> str | None:
        """Create ``manifest`` for real: ``None`` when admitted (it exists now), the refusal otherwise."""
        try:
            self._client.api().create(codecs.from_dict(dict(manifest)))
        except ApiError as error:
            return _refusal(error)
        return None

    def delete(self, manifest: Mapping[str, Any], timeout: float = 60.0) -> None:
        """Delete the object ``manifest`` names with what it owns, and wait until it is gone (gone already is fine).

        A foreground deletion keeps the object until the zone's garbage collector has removed its dependents
        (a Deployment's ReplicaSets and pods), which takes seconds on a busy zone: waiting for it is what
        makes "nothing left" true when the caller returns.
        """
        resource: Any = type(codecs.from_dict(dict(manifest)))
        metadata = manifest["metadata"]
        name, namespace = metadata["name"], metadata.get("namespace")
        try:
            self._client.api().delete(resource, name, namespace=namespace, cascade=CascadeType.FOREGROUND)
        except ApiError as error:
            if error.status.code != 404:
                raise
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._client.api().get(resource, name, namespace=namespace)
            except ApiError:
                return  # gone (404), or not the caller's to read: nothing more to wait for
            time.sleep(0.2)

    def pods_of(self, namespace: str, app: str, timeout: float = 30.0) -> PodOutcome:
        """What the zone did with the pods of the Deployment whose pods carry ``app.kubernetes.io/name=app``.

        Waits until its ReplicaSet has made a pod or reports why it could not (a ``ReplicaFailure``
        condition: Pod Security, quota or a limit refused the pod), or ``timeout``. A pod that lost a race on
        the quota (:data:`RETRIED`) is no answer yet: the ReplicaSet tries again.
        """
        deadline = time.monotonic() + timeout
        while True:
            made, refusal = 0, None
            for replica_set in self._client.api().list(
                ReplicaSet, namespace=namespace, labels={"app.kubernetes.io/name": app}
            ):
                status = replica_set.status
                made += (status.replicas or 0) if status else 0
                for condition in (status.conditions or []) if status else []:
                    said = condition.message or condition.reason or ""
                    if condition.type == "ReplicaFailure" and condition.status == "True" and RETRIED not in said:
                        refusal = said
            if made or refusal or time.monotonic() > deadline:
                return PodOutcome(made, refusal)
            time.sleep(0.25)

    def flow_schema_uid(self, name: str) -> str | None:
        """The uid of a FlowSchema the credential may read (``None`` when absent or forbidden)."""
        try:
            found = self._client.api().get(FlowSchema, name)
        except ApiError:
            return None
        return found.metadata.uid if found.metadata else None

    def flow_schema(self, path: str = "/api/v1/namespaces/default") -> str | None:
        """The uid of the flow schema the API server classified a request of this credential into.

        Whatever the answer to the request itself (a tenant is refused ``default``): the server names
        the schema in a response header of every request it admits to API Priority and Fairness.
        """
        with self._client.http() as http:
            return http.get(path).headers.get(FLOW_SCHEMA_HEADER)
