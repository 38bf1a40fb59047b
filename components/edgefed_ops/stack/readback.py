"""What the local federation's zones run, read back from their API servers after a deploy."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from edgefed_ops.local.zone_client import UNREACHABLE, open_zone
from edgefed_ops.local.zone_identity import ZoneIdentity


class ZoneReadback:
    """Reads zones with one persona's credentials: ``kubeconfig_of(zone)`` is its kubeconfig of the zone."""

    def __init__(self, kubeconfig_of: Callable[[str], Path]) -> None:
        self.kubeconfig_of = kubeconfig_of

    def silent(self, zones: Sequence[str], unavailable: Sequence[str] | None) -> list[str]:
        """Zones among ``zones`` whose API server does not answer now, except those marked unavailable."""
        marked = set(unavailable or ())
        silent = []
        for z in zones:
            if z in marked:
                continue
            path = self.kubeconfig_of(z)
            with open_zone(path, timeout=3) as client:
                if not (path.exists() and client.reachable()):
                    silent.append(z)
        return silent

    def strangers(self, zones: Sequence[str], unavailable: Sequence[str] | None, user: str) -> dict[str, str]:
        """Zones (and what they said) that do not take the credential for ``user``.

        The identity is checked with each zone's API server before anything deploys, never assumed from
        the kubeconfig.
        """
        marked = set(unavailable or ())
        found: dict[str, str] = {}
        for z in zones:
            if z in marked:
                continue
            with open_zone(self.kubeconfig_of(z), timeout=5) as client:
                name = ZoneIdentity(client).whoami()
            if name != user:
                found[z] = "401 Unauthorized" if name is None else f"taken for {name!r}"
        return found

    def ready_replicas(self, zone_id: str, namespace: str) -> dict[str, str]:
        """Deployment name to ``ready/replicas`` in a zone's namespace, read from its API server."""
        with open_zone(self.kubeconfig_of(zone_id), timeout=5) as client:
            try:
                return {d.name: f"{d.ready}/{d.replicas}" for d in client.deployments(namespace)}
            except UNREACHABLE:
                return {"?": "zone unreachable"}

    def converge(self, plan: Mapping[str, Any], namespaces: Mapping[str, str], timeout: float = 60.0) -> None:
        """Wait (up to ``timeout``) until every reachable zone runs the plan's replicas of each app.

        `pulumi up` returns once a Deployment's first pods are Ready; the count itself belongs to each
        zone's autoscaler, which reaches the plan's bounds a few seconds later (edgefed.core.objects.manifests).
        """
        want: dict[str, dict[str, int]] = {}
        for app, app_plan in plan.items():
            for zone_id, where in app_plan["zones"].items():
                want.setdefault(zone_id, {})[app] = int(where["replicas"])
        deadline = time.monotonic() + timeout
        while want and time.monotonic() < deadline:
            for zone_id in list(want):
                found = self.ready_replicas(zone_id, namespaces[zone_id])
                done = "?" in found or all(found.get(app) == f"{n}/{n}" for app, n in want[zone_id].items())
                if done:  # converged, or unreachable (a stopped zone converges to nothing)
                    del want[zone_id]
            if want:
                time.sleep(0.5)
