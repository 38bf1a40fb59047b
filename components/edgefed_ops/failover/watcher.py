"""The drill's primary watcher: the most zones that served one app as primary at once, per phase.

It reads every zone's Deployments about 4 times a second.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from edgefed_ops.errors import OpsError
from edgefed_ops.local.zone_client import REFUSED, UNREACHABLE, ZoneClient

PHASES = ("before", "outage", "restart", "failback")


class PrimaryWatcher:
    """Polls each zone's Deployments; records, per phase, the most primaries any app had at once.

    It fails closed: a poll that ends in an unexpected error fails the drill (never a watcher that died
    quietly and so saw no duplicate), and a phase in which no round of polls read every answering zone
    is reported as unwatched.
    """

    def __init__(self, clients: dict[str, ZoneClient], namespace: str, label: str = "") -> None:
        self.clients, self.namespace, self.label = clients, namespace, label
        self.phase = "before"
        self.most: dict[str, dict[str, tuple[int, tuple[str, ...]]]] = {}
        self.rounds: dict[str, int] = {}
        """Per phase, the rounds in which every zone was read or did not answer (none answered with an error)."""
        self.failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _primaries(self, zone: str) -> set[str] | None:
        """Apps this zone serves as primary right now (ready replicas > 0); empty if it does not answer.

        ``None`` when it answers with an error: a restarted API server refuses requests (403, 503) for a
        moment while it bootstraps, and what it serves then is unknown, not nothing.
        """
        try:
            found = self.clients[zone].deployments(self.namespace, labels={"edgefed.io/role": "primary"})
        except REFUSED:  # before UNREACHABLE, which (an HTTP error) includes it
            return None
        except UNREACHABLE:
            self.clients[zone].close()  # a stopped zone serves nothing; reconnect on the next poll
            return set()
        return {d.name for d in found if d.ready}

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                phase_name = self.phase
                serving: dict[str, list[str]] = {}
                complete = True
                for zone in self.clients:
                    apps = self._primaries(zone)
                    complete = complete and apps is not None
                    for app in apps or ():
                        serving.setdefault(app, []).append(zone)
                phase = self.most.setdefault(phase_name, {})
                for app, zones in serving.items():
                    if len(zones) > phase.get(app, (0, ()))[0]:
                        phase[app] = (len(zones), tuple(sorted(zones)))
                self.rounds[phase_name] = self.rounds.get(phase_name, 0) + complete
                self._stop.wait(0.25)
        except BaseException as error:  # handed to the drill, which stops on it
            self.failure = error

    @contextmanager
    def running(self) -> Iterator[PrimaryWatcher]:
        """Watch while the block runs."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            for client in self.clients.values():
                client.close()
        if self.failure is not None:
            raise OpsError(f"drill: the primary watcher failed: {self.failure!r}") from self.failure

    def unwatched(self) -> list[str]:
        """Phases with no complete round of polls: their primaries were never seen whole."""
        return [phase for phase in PHASES if not self.rounds.get(phase)]
