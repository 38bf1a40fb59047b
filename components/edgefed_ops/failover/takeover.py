"""``edgefed watch``: one of a tenant's watchers; the one that leads deploys the takeover, without a person.

Every watcher probes each zone of the tenant's stacks every ``interval`` and publishes its streaks in the
watchers' store. The leader (one at a time: :mod:`edgefed_ops.failover.leadership`) reads every watcher's
streaks, decides with :class:`~edgefed_ops.failover.health.ZoneHealth` (a majority sees the zone down;
fenced when it answers again; failback after the stabilization window) and, on a decision:

1. records the new outage state and the deploy it needs (``pending``) in the store, as leader only;
2. runs ``pulumi up`` with the policy pack (:class:`~edgefed_ops.stack.deploy.LocalDeploy`) for exactly
   the stacks whose slice of the federation plan changed, and, for a fenced zone, the stacks that use it
   (its primaries are drained while it still counts as unavailable). Stacks in which a site changes the
   zone serving it go first, alone: on two cores they would otherwise share the CPU with updates that
   only move standbys;
3. once every update succeeded, logs each action with the plan's explanation and clears ``pending``.

A zone in the outage state that answers again may come back with its pre-outage primaries running. The
leader does not wait for the fence's ``up``: every round, it scales the tenant's Deployments in such a zone
to zero through the zone's API (the ``up`` then records the same drained state), so the zone serves
beside the failover zone for about one round at most.

A leader that dies leaves ``pending``: the next one deploys it (an ``up`` of what is already deployed
changes nothing), first recovering a stack lock left by an update that no longer runs.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edgefed.core.inputs.stackconfig import raw_from_stack_file
from edgefed.core.placement.federation import Federation, load_federation
from edgefed_ops.errors import OpsError
from edgefed_ops.failover import plugins
from edgefed_ops.failover.health import Action, HealthRules, ZoneHealth, resumed
from edgefed_ops.failover.leadership import Leadership
from edgefed_ops.failover.probe import ZoneProbe
from edgefed_ops.failover.replan import Handover, replan
from edgefed_ops.failover.store import Leader, StoreClient
from edgefed_ops.failover.takeover_state import Pending, Seen, TakeoverState
from edgefed_ops.local.files import write_private
from edgefed_ops.local.zone_client import REFUSED, UNREACHABLE, ZoneClient, open_zone
from edgefed_ops.stack import operations
from edgefed_ops.stack.deploy import DeployReport, LocalDeploy

CREDENTIALS_SECONDS = 600.0
"""How long the probes keep their kubeconfigs before the tenant's token is read again (it rotates)."""


@dataclass(frozen=True)
class WatchConfig:
    """One watcher's settings."""

    tenant: str
    """The tenant whose stacks it watches and deploys."""
    name: str
    """The watcher's name, unique among the tenant's watchers (its country: ``fr``)."""
    operator: str
    """The operator that runs it: it reads the nodes of that operator's zones with its credential."""
    interval: float = 1.0
    """Seconds between rounds of probes. Default 1: with 3 failures a zone is down in about 3 s."""
    probe_timeout: float = 1.0
    """Seconds a zone has to answer one probe."""
    lease: int = 5
    """Seconds of the leadership lease (a dead leader's successor leads within about that)."""
    rules: HealthRules = field(default_factory=HealthRules)
    routes: tuple[tuple[str, str], ...] = ()
    """(zone, URL) pairs: probe these zones' API servers through another address (a proxy or bastion the
    watcher's network needs). Deploys still use the catalog's endpoint."""


@dataclass
class _Streak:
    ok: bool = True
    count: int = 0
    why: str = ""


class Takeover:
    """One watcher of one tenant on the local federation."""

    def __init__(
        self, deploy: LocalDeploy, store: StoreClient, config: WatchConfig, progress: Callable[[str], None] = print
    ) -> None:
        self.deploy, self.store, self.config, self.progress = deploy, store, config, progress
        self.state = TakeoverState(store, config.tenant)
        prefix = f"local-{config.tenant}-"
        self.stacks = [s for s in deploy.settings.app_stack_names(local=True) if s.startswith(prefix)]
        if not self.stacks:
            raise OpsError(f"watch: tenant {config.tenant!r} has no local stack ({prefix}<cc>)")
        self.zones: dict[str, str] = {}
        """Each zone the tenant's stacks use, with a namespace of the tenant there."""
        for stack in self.stacks:
            for zone in deploy.stacks.zones(stack):
                self.zones.setdefault(zone, stack.removeprefix("local-"))
        self.health: ZoneHealth | None = None
        """The leader's view; ``None`` while not leading (a new leader resumes from the store)."""
        self.leadership: Leadership | None = None
        self._streaks = {zone: _Streak() for zone in self.zones}
        self._probes: dict[str, ZoneProbe] = {}
        self._probes_made = 0.0
        self._federation: Federation | None = None

    # -- every watcher -------------------------------------------------------------------------------

    def _probe_set(self) -> dict[str, ZoneProbe]:
        if not self._probes or time.monotonic() - self._probes_made > CREDENTIALS_SECONDS:
            for probe in self._probes.values():
                probe.close()
            stacks, federation = self.deploy.stacks, self.deploy.federation
            contract = stacks.contract(self.stacks[0])
            self._probes = {}
            for zone, namespace in self.zones.items():
                entry = federation.catalog.zone(zone)
                operator = federation.zone_dir(zone) / "operator.kubeconfig"
                own = entry.operator == self.config.operator and operator.exists()
                tenant = stacks.identities.kubeconfig(contract, zone)
                route = dict(self.config.routes).get(zone)
                if route:
                    tenant = _routed(tenant, route)
                self._probes[zone] = ZoneProbe.of(
                    entry, namespace, tenant, operator if own else None, self.config.probe_timeout
                )
            self._probes_made = time.monotonic()
        return self._probes

    def probe_round(self) -> list[Seen]:
        """Probe every zone once and publish this watcher's streaks."""
        out = []
        lease = self.leadership.lease if self.leadership else None
        for zone, probe in self._probe_set().items():
            result = probe.run()
            streak = self._streaks[zone]
            streak.count = streak.count + 1 if streak.ok == result.ok else 1
            streak.ok, streak.why = result.ok, result.why
            seen = Seen(self.config.name, zone, result.ok, streak.count, time.time(), result.why)
            self.state.publish(seen, lease)
            out.append(seen)
        return out

    # -- the leader ----------------------------------------------------------------------------------

    def _plan_federation(self) -> Federation:
        if self._federation is None:
            settings = self.deploy.settings
            stack = self.stacks[0]
            raw = raw_from_stack_file(settings.root / "stacks" / f"Pulumi.{stack}.yaml")
            catalog, _ = self.deploy.stacks.catalog_settings()
            raw.update({f"edgefed:{key}": str(value) for key, value in catalog.items()})
            raw["edgefed:outages"] = str(self.deploy.stacks.write_outages([]))
            self._federation = load_federation(settings.root, stack, raw, [])
        return self._federation

    def _users_of(self, zone: str) -> list[str]:
        return [stack for stack in self.stacks if zone in self.deploy.stacks.zones(stack)]

    def fence_now(self, zone: str) -> list[str]:
        """Scale the tenant's running Deployments in ``zone`` to zero through its API; the ones scaled.

        Only what the tenant's identity may do in its own namespaces; a zone that stops answering again
        is left for the next round.
        """
        stacks = self.deploy.stacks
        kubeconfig = stacks.identities.kubeconfig(stacks.contract(self.stacks[0]), zone)
        scaled = []
        with open_zone(kubeconfig, timeout=2 * self.config.probe_timeout) as client:
            for stack in self._users_of(zone):
                namespace = stack.removeprefix("local-")
                try:
                    for found in client.deployments(namespace):
                        if found.replicas > 0:
                            client.scale(namespace, found.name, 0)
                            scaled.append(f"{namespace}/{found.name}")
                except (REFUSED, *UNREACHABLE):
                    break
        return scaled

    def lead_round(self, leader: Leader) -> list[Action]:
        """Decide from every watcher's streaks; deploy what the decisions (and an unfinished one) need."""
        if self.health is None:
            self.health = resumed(self.state.zones(), self.config.rules, time.time())
            self.progress(f"watch {self.config.name}: leads; outage state {sorted(self.health.unavailable()) or '-'}")
            reaped = plugins.reap_orphans(self.deploy.settings.root)  # a dead leader's engine may have left some
            if reaped:
                self.progress(f"watch {self.config.name}: {len(reaped)} orphaned plugin process(es) stopped")
        before = self.health.unavailable()
        seen = self.state.seen()
        for one in seen:
            self.health.report(one.watcher, one.zone, one.ok, one.count, one.at)
        answering = {one.zone for one in seen if one.ok and one.watcher == self.config.name}
        for zone in sorted(before & answering):
            scaled = self.fence_now(zone)
            if scaled:
                self.progress(f"watch {self.config.name}: {zone} answers again: scaled to 0 {', '.join(scaled)}")
        actions = self.health.tick(time.time())
        pending = self.state.pending()
        if not actions and pending is None:
            return []
        after = self.health.unavailable()
        moved = replan(self._plan_federation(), self.stacks, before, after)
        stacks = set(pending.stacks if pending else ()) | set(moved.changed)
        urgent = set(pending.urgent if pending else ()) | set(moved.urgent)
        for action in actions:
            self.progress(f"watch {self.config.name}: {action.kind} {action.zone}: {action.why}")
            if action.kind == "fence":
                stacks |= set(self._users_of(action.zone))
        decided = Pending(
            tuple(sorted(after)), tuple(s for s in self.stacks if s in stacks),
            (*(pending.actions if pending else ()), *actions), self.config.name, pending.at if pending else time.time(),
            tuple(s for s in self.stacks if s in urgent),
        )  # fmt: skip
        if not self.state.begin(leader, self.health.states, decided):
            self.health = None  # no longer leads: the successor owns the outage state
            return actions
        self._apply(leader, decided, moved.handovers)
        return actions

    def _apply(self, leader: Leader, pending: Pending, handovers: Sequence[Handover] = ()) -> None:
        began = time.time()
        stop = threading.Event()
        handing = threading.Thread(target=self._hand_over, args=(handovers, stop), name="handover", daemon=True)
        handing.start()
        try:
            reports = self._deploy(pending) if pending.stacks else []
        finally:
            stop.set()
            handing.join()
        failed = [r for r in reports if not r.ok]
        for report in failed:
            self.progress(f"watch {self.config.name}: {report.stack}: {report.problem}")
        if failed:
            return  # pending stays: the next round deploys it again
        entries = [_entry(action, pending, reports, self.config.name, began) for action in pending.actions]
        if self.state.finish(leader, entries):
            self.progress(
                f"watch {self.config.name}: outage state {list(pending.unavailable) or '-'} deployed to "
                f"{', '.join(pending.stacks) or 'no stack'} in {time.time() - began:.0f} s"
            )

    def _hand_over(self, handovers: Sequence[Handover], stop: threading.Event) -> None:
        """While the update runs: once an app's new primary zone serves, stop its old primary at once.

        The engine deletes what a plan no longer has at the end of the update, after every other step: the
        zone that served during the outage would otherwise go on serving beside the returning one until
        then. Scaling it to zero here (the tenant's own right in its namespace) ends the overlap within a
        poll; the update then deletes it. An old primary that does not answer (a failover) is left alone.
        """
        waiting = list(handovers)
        stacks = self.deploy.stacks
        contract = stacks.contract(self.stacks[0])
        clients: dict[str, ZoneClient] = {}

        def client(zone: str) -> ZoneClient:
            if zone not in clients:
                clients[zone] = ZoneClient(stacks.identities.kubeconfig(contract, zone), timeout=1)
            return clients[zone]

        try:
            while waiting and not stop.wait(0.25):
                for handover in list(waiting):
                    namespace = handover.stack.removeprefix("local-")
                    try:
                        serving = [
                            d for zone in handover.arriving
                            for d in client(zone).deployments(namespace, labels={"edgefed.io/role": "primary"})
                            if d.name == handover.app and min(d.ready, d.replicas) > 0
                        ]  # fmt: skip
                    except (REFUSED, *UNREACHABLE):
                        continue  # the new primary cannot be read now: the next poll
                    if not serving:
                        continue
                    waiting.remove(handover)
                    for zone in handover.leaving:
                        try:
                            client(zone).scale(namespace, handover.app, 0)
                        except (REFUSED, *UNREACHABLE):
                            continue  # gone or unreachable: nothing serves there to stop
                        app, arriving = f"{namespace}/{handover.app}", ", ".join(handover.arriving)
                        self.progress(f"watch {self.config.name}: {app} serves in {arriving}: stopped in {zone}")
        finally:
            for one in clients.values():
                one.close()

    def _deploy(self, pending: Pending) -> list[DeployReport]:
        first = [s for s in pending.stacks if s in pending.urgent]
        rest = [s for s in pending.stacks if s not in pending.urgent]
        reports = [r for wave in (first, rest) if wave for r in self.deploy.run(wave, pending.unavailable)]
        stale = [r.stack for r in reports if r.locked_by is not None and not _runs(r.locked_by)]
        if not stale:
            return reports
        for stack in stale:
            self._recover_lock(stack, pending.unavailable)
        again = {r.stack: r for r in self.deploy.run(stale, pending.unavailable)}
        return [again.get(r.stack, r) for r in reports]

    def _recover_lock(self, stack: str, unavailable: Sequence[str]) -> None:
        """Remove the lock of an update that no longer runs, drop the creates it left pending, reap its plugins.

        The refresh runs the program with the outage state being deployed, as the update will.
        """
        workspace = self.deploy.stacks.workspace(stack)
        catalog, _ = self.deploy.stacks.catalog_settings()
        outages = self.deploy.stacks.write_outages(unavailable)
        workspace.prepare({**catalog, "outages": str(outages)}, secrets=self.deploy.stacks.secrets(stack))
        operations.cancel(workspace)
        refreshed = operations.refresh(workspace, run_program=True, clear_pending_creates=True)
        reaped = plugins.reap_orphans(self.deploy.settings.root)
        self.progress(
            f"watch {self.config.name}: {stack}: lock of a dead update removed, pending creates cleared "
            f"({'ok' if refreshed.ok else 'refresh failed'}); {len(reaped)} orphaned plugin process(es) stopped"
        )

    # -- the process ---------------------------------------------------------------------------------

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
                self.probe_round()
            except OpsError as error:  # the store did not answer: the next round tries again
                self.progress(f"watch {self.config.name}: probes not published: {error}")
            stop.wait(max(0.0, self.config.interval - (time.monotonic() - began)))

    def run(self, stop: threading.Event, rounds: int | None = None) -> None:
        """Watch until ``stop`` is set (or for ``rounds`` rounds); resign on the way out."""
        plugins.become_subreaper()
        reaped = plugins.reap_orphans(self.deploy.settings.root)
        if reaped:
            self.progress(f"watch {self.config.name}: {len(reaped)} orphaned plugin process(es) stopped")
        self._probe_set()  # the tenant's kubeconfigs, before either thread reads them
        campaign = threading.Thread(target=self._campaign, args=(stop,), name="campaign", daemon=True)
        campaign.start()
        probing = threading.Thread(target=self._probing, args=(stop,), name="probes", daemon=True)
        probing.start()
        self.progress(
            f"watch {self.config.name} ({self.config.operator}, {socket.gethostname()}, pid {os.getpid()}): "
            f"tenant {self.config.tenant}, stacks {', '.join(self.stacks)}, zones {', '.join(self.zones)}"
        )
        done = 0
        try:
            while not stop.is_set() and (rounds is None or done < rounds):
                began = time.monotonic()
                try:
                    leadership = self.leadership
                    if leadership is not None and leadership.leads() and leadership.leader is not None:
                        self.lead_round(leadership.leader)
                    else:
                        self.health = None
                except OpsError as error:  # the store or a deploy failed this round: the next one tries again
                    self.progress(f"watch {self.config.name}: round failed: {error}")
                plugins.reap_children()
                done += 1
                stop.wait(max(0.0, self.config.interval - (time.monotonic() - began)))
        finally:
            stop.set()
            probing.join()
            if self.leadership is not None:
                try:
                    self.leadership.resign()
                except OpsError:
                    self.leadership.stop_renewing()
            for probe in self._probes.values():
                probe.close()


def _routed(kubeconfig: Path, server: str) -> Path:
    """A copy of ``kubeconfig`` (mode 0600, beside it) whose cluster is reached at ``server``."""
    document = yaml.safe_load(kubeconfig.read_text())
    for cluster in document.get("clusters") or []:
        cluster["cluster"]["server"] = server
    routed = kubeconfig.with_name(f"{kubeconfig.stem}.routed.kubeconfig")
    write_private(routed, yaml.safe_dump(document, sort_keys=False))
    return routed


def _runs(pid: int) -> bool:
    """Whether ``pid`` runs on this host (the local federation's updates all run here)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _entry(
    action: Action, pending: Pending, reports: Sequence[DeployReport], watcher: str, began: float
) -> dict[str, Any]:
    """A log entry: the action, what was deployed, and the plan's explanation of each site."""
    return {
        "at": began, "decided": pending.at, "done": time.time(), "watcher": watcher, "zone": action.zone,
        "kind": action.kind, "why": action.why,
        "unavailable": list(pending.unavailable),
        "stacks": [{"stack": r.stack, "seconds": round(r.seconds, 1), "changes": r.changes} for r in reports],
        "sites": [
            {"stack": r.stack, "app": s["app"], "site": s["site"], "serving": s["serving"],
             "failedOver": s["failedOver"], "problem": s["problem"], "explanation": s.get("explanation", "")}
            for r in reports for s in r.sites
        ],
    }  # fmt: skip
