"""``edgefed watch``: one of a tenant's watchers; the one that leads deploys the takeover, without a person.

Every watcher probes each zone of the tenant's stacks every ``interval`` and publishes its streaks in the
watchers' store (:mod:`edgefed_ops.failover.probe_rounds`). The leader (one at a time:
:mod:`edgefed_ops.failover.leadership`) reads every watcher's streaks, decides with
:class:`~edgefed_ops.failover.health.ZoneHealth` (a majority sees the zone down; fenced when it answers
again; failback after the stabilization window) and deploys what the decision needs
(:mod:`edgefed_ops.failover.leader_round`).

A zone in the outage state that answers again may come back with its pre-outage primaries running. The
leader does not wait for the fence's ``up``: every round, it scales the tenant's Deployments in such a zone
to zero through the zone's API (:mod:`edgefed_ops.failover.fencing`; the ``up`` then records the same
drained state), so the zone serves beside the failover zone for about one round at most.

Probes, the campaign and the leader's rounds run in threads of their own: the leader's own vote stays
current while it deploys, and a watcher that loses its lease stops leading within a fraction of a second.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable

from edgefed_ops.errors import OpsError
from edgefed_ops.failover import plugins
from edgefed_ops.failover.fast_path import Promoter
from edgefed_ops.failover.fencing import Fencing
from edgefed_ops.failover.leader_round import LeaderRound
from edgefed_ops.failover.leadership import Leadership
from edgefed_ops.failover.prechecks import PreChecks
from edgefed_ops.failover.probe_rounds import ProbeRounds
from edgefed_ops.failover.store import StoreClient
from edgefed_ops.failover.takeover_state import TakeoverState
from edgefed_ops.failover.watch_config import TenantScope, WatchConfig
from edgefed_ops.stack.deploy import LocalDeploy


class Takeover:
    """One watcher of one tenant on the local federation."""

    def __init__(
        self, deploy: LocalDeploy, store: StoreClient, config: WatchConfig, progress: Callable[[str], None] = print
    ) -> None:
        self.store, self.config, self.progress = store, config, progress
        self.root = deploy.settings.root
        self.state = TakeoverState(store, config.tenant)
        self.scope = TenantScope(deploy, config.tenant)
        self.probes = ProbeRounds(self.scope, config, self.state)
        fencing = Fencing(self.scope, config.name, 2 * config.probe_timeout, progress)
        self.prechecks = PreChecks(self.scope, self.state, lambda line: progress(f"watch {config.name}: {line}"))
        promoter = Promoter(self.scope, 2 * config.probe_timeout, progress)
        fast = (promoter, self.prechecks) if config.fast_path else None
        self.leading = LeaderRound(self.scope, config.name, config.rules, self.state, fencing, progress, fast)
        self.leadership: Leadership | None = None

    def _campaign(self, stop: threading.Event) -> None:
        while not stop.is_set():
            leadership = Leadership(self.store, self.config.name, self.config.lease, self.state.election)
            self.leadership = leadership
            try:
                leadership.campaign(timeout=3600)
            except OpsError as error:
                leadership.stop_renewing()
                self.progress(f"watch {self.config.name}: campaign failed, again: {error}")
                stop.wait(1)
                continue
            while leadership.leads() and not stop.is_set():
                stop.wait(0.2)
            if not stop.is_set():
                self.progress(f"watch {self.config.name}: leadership lost")
                leadership.stop_renewing()

    def _probing(self, stop: threading.Event) -> None:
        """Probe every ``interval`` (a thread: the leader's own vote stays current while it deploys)."""
        while not stop.is_set():
            began = time.monotonic()
            try:
                self.probes.run(self.leadership.lease if self.leadership else None)
            except OpsError as error:  # the store did not answer: the next round tries again
                self.progress(f"watch {self.config.name}: probes not published: {error}")
            stop.wait(max(0.0, self.config.interval - (time.monotonic() - began)))

    def _round(self) -> None:
        """Lead one round if this watcher leads; otherwise forget the leader's view."""
        leadership = self.leadership
        try:
            if leadership is not None and leadership.leads() and leadership.leader is not None:
                self.leading.run(leadership.leader)
            else:
                self.leading.resign()
        except OpsError as error:  # the store or a deploy failed this round: the next one tries again
            self.progress(f"watch {self.config.name}: round failed: {error}")
        plugins.reap_children()

    def run(self, stop: threading.Event, rounds: int | None = None) -> None:
        """Watch until ``stop`` is set (or for ``rounds`` rounds); resign on the way out."""
        plugins.become_subreaper()
        reaped = plugins.reap_orphans(self.root)
        if reaped:
            self.progress(f"watch {self.config.name}: {len(reaped)} orphaned plugin process(es) stopped")
        self.probes.probes()  # the tenant's kubeconfigs, before either thread reads them
        threads = [
            threading.Thread(target=self._campaign, args=(stop,), name="campaign", daemon=True),
            threading.Thread(target=self._probing, args=(stop,), name="probes", daemon=True),
        ]

        for thread in threads:
            thread.start()
        self.progress(
            f"watch {self.config.name} ({self.config.operator}, {socket.gethostname()}, pid {os.getpid()}): "
            f"tenant {self.config.tenant}, stacks {', '.join(self.scope.stacks)}, zones {', '.join(self.scope.zones)}"
        )
        done = 0
        try:
            while not stop.is_set() and (rounds is None or done < rounds):
                began = time.monotonic()
                self._round()
                done += 1
                stop.wait(max(0.0, self.config.interval - (time.monotonic() - began)))
        finally:
            stop.set()
            threads[1].join()
            self._resign()
            self.probes.close()

    def _resign(self) -> None:
        if self.leadership is not None:
            try:
                self.leadership.resign()
            except OpsError:
                self.leadership.stop_renewing()
