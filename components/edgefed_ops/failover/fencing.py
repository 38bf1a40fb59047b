"""Stopping a tenant's primaries through the zones' APIs, with the tenant's own rights in its namespaces.

Two moments of a takeover need it before the engine gets there: a zone in the outage state that answers
again may come back with its pre-outage primaries running (drained in the round the leader sees it
answer, or within a poll while the leader deploys), and at failback the zone that served during the
outage would go on serving beside the returning one until the end of the update (stopped as soon as the
new primary serves).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from edgefed_ops.errors import OpsError
from edgefed_ops.failover.replan import Handover
from edgefed_ops.failover.watch_config import TenantScope, namespace_of
from edgefed_ops.local.zone_client import REFUSED, UNREACHABLE, ZoneClient, open_zone


class Fencing:
    """One watcher's hand on the tenant's Deployments."""

    def __init__(self, scope: TenantScope, name: str, timeout: float, progress: Callable[[str], None]) -> None:
        self.scope, self.name, self.timeout, self.progress = scope, name, timeout, progress

    def drain(self, zone: str) -> list[str]:
        """Scale the tenant's running Deployments in ``zone`` to zero through its API; the ones scaled.

        Only what the tenant's identity may do in its own namespaces; a zone that stops answering again
        is left for the next round.
        """
        scaled = []
        with open_zone(self.scope.kubeconfig(zone), timeout=self.timeout) as client:
            for stack in self.scope.users_of(zone):
                namespace = namespace_of(stack)
                try:
                    for found in client.deployments(namespace):
                        if found.replicas > 0:
                            client.scale(namespace, found.name, 0)
                            scaled.append(f"{namespace}/{found.name}")
                except (REFUSED, *UNREACHABLE):
                    break
        return scaled

    def keep_drained(
        self, zones: Sequence[str], answering: Callable[[], set[str]], stop: threading.Event, every: float = 0.5
    ) -> None:
        """While the update runs: drain each of ``zones`` (the outage state) that ``answering`` says is back.

        The leader's round waits for its update; a zone that flaps back meanwhile (during the fast path or
        the `up` after it) would otherwise serve its pre-outage primaries beside the zones that took over
        until the next round. ``answering`` is this watcher's own probes; a store or zone that does not
        answer is asked again at the next poll.
        """
        while not stop.wait(every):
            try:
                back = sorted(set(zones) & answering())
            except OpsError:
                continue
            for zone in back:
                try:
                    scaled = self.drain(zone)
                except (REFUSED, *UNREACHABLE):
                    continue
                if scaled:
                    self.progress(f"watch {self.name}: {zone} answers again: scaled to 0 {', '.join(scaled)}")

    def hand_over(self, handovers: Sequence[Handover], stop: threading.Event) -> None:
        """While the update runs: once an app's new primary zone serves, stop its old primary at once.

        The engine deletes what a plan no longer has at the end of the update, after every other step: the
        zone that served during the outage would otherwise go on serving beside the returning one until
        then. Scaling it to zero here (the tenant's own right in its namespace) ends the overlap within a
        poll; the update then deletes it. An old primary that does not answer (a failover) is left alone.
        """
        waiting = list(handovers)
        clients: dict[str, ZoneClient] = {}

        def client(zone: str) -> ZoneClient:
            if zone not in clients:
                clients[zone] = ZoneClient(self.scope.kubeconfig(zone), timeout=1)
            return clients[zone]

        try:
            while waiting and not stop.wait(0.25):
                for handover in list(waiting):
                    try:
                        serving = _serving(handover, client)
                    except (REFUSED, *UNREACHABLE):
                        continue  # the new primary cannot be read now: the next poll
                    if serving:
                        waiting.remove(handover)
                        self._stop_leaving(handover, client)
        finally:
            for one in clients.values():
                one.close()

    def _stop_leaving(self, handover: Handover, client: Callable[[str], ZoneClient]) -> None:
        namespace = namespace_of(handover.stack)
        for zone in handover.leaving:
            try:
                client(zone).scale(namespace, handover.app, 0)
            except (REFUSED, *UNREACHABLE):
                continue  # gone or unreachable: nothing serves there to stop
            app, arriving = f"{namespace}/{handover.app}", ", ".join(handover.arriving)
            self.progress(f"watch {self.name}: {app} serves in {arriving}: stopped in {zone}")


def _serving(handover: Handover, client: Callable[[str], ZoneClient]) -> bool:
    """Whether the app's new primary runs a ready replica in one of its arriving zones."""
    namespace = namespace_of(handover.stack)
    return any(
        d.name == handover.app and min(d.ready, d.replicas) > 0
        for zone in handover.arriving
        for d in client(zone).deployments(namespace, labels={"edgefed.io/role": "primary"})
    )
