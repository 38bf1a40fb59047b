"""One watcher acts at a time: leadership of an election in the watchers' store, held by a renewed lease.

A watcher campaigns with a lease of ``ttl`` seconds that a thread renews every third of it; it leads
until it resigns, or until its lease ends because it (or its country) died: then the next campaigner
is elected, with no person involved and never two leaders at once (etcd's election API).
"""

from __future__ import annotations

import threading

from edgefed_ops.errors import OpsError
from edgefed_ops.failover.store import Leader, StoreClient

ELECTION = "edgefed/watch/leader"


class Leadership:
    """A watcher's campaign for the watchers' election."""

    def __init__(self, client: StoreClient, name: str, ttl: int = 6, election: str = ELECTION) -> None:
        if ttl < 2:
            raise OpsError(f"leadership lease of {ttl} s: use at least 2 s")
        self.client, self.name, self.ttl, self.election = client, name, ttl, election
        self.lease: int | None = None
        self.leader: Leader | None = None
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._renewer: threading.Thread | None = None

    def campaign(self, timeout: float) -> Leader:
        """Lead the election: wait up to ``timeout`` s for the current leader's lease to end."""
        self.lease = self.client.grant(self.ttl)
        self._renewer = threading.Thread(target=self._renew, name=f"{self.name}-lease", daemon=True)
        self._renewer.start()
        self.leader = self.client.campaign(self.election, self.lease, self.name, timeout)
        return self.leader

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                alive = self.lease is not None and self.client.keep_alive(self.lease) > 0
            except OpsError:
                alive = False  # the store did not answer: leadership cannot be trusted past the lease
            if not alive:
                self._lost.set()
                return

    def leads(self) -> bool:
        """Whether the watcher leads: elected, and its lease still renewed."""
        return self.leader is not None and not self._lost.is_set()

    def stop_renewing(self) -> None:
        """Stop renewing (as a watcher that dies does): leadership ends when the lease does."""
        self._stop.set()

    def resign(self) -> None:
        """Step down now and end the lease."""
        self.stop_renewing()
        if self.leader is not None:
            self.client.resign(self.leader)
        if self.lease is not None:
            self.client.revoke(self.lease)
        self.leader = None
