"""Failover drill on the local federation: a country's zones fail, its apps move, then they come back.

1. `pulumi up` of the stack (every zone up), then every zone of its country is stopped.
2. `pulumi up` with those zones marked unavailable: apps that may cross the border serve from a
   neighbouring country's zone inside their residency; a restricted app refuses and the plan says why.
   The stopped zones' objects stay (drained), and zones elsewhere lose nothing.
3. The zones start again. They come back with the objects they had when they stopped, so the next
   `pulumi up` still marks them unavailable: now reachable, they are drained (fenced).
4. `pulumi up` with every zone available: failback. In each app, zones being demoted are updated before
   the zone being promoted, so no app ever has more primaries than the plan has primary zones.

A watcher reads every zone's Deployments through its API server all along (about 4 times a second) and
records, per phase, the most zones that served one app as primary at the same moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from edgefed_ops.deploy import LocalDeploy, StackReport, format_report
from edgefed_ops.engine import StackWorkspace
from edgefed_ops.errors import OpsError
from edgefed_ops.kube import UNREACHABLE, ZoneClient

PHASES = ("before", "outage", "restart", "failback")


class PrimaryWatcher:
    """Polls each zone's Deployments; records, per phase, the most primaries any app had at once."""

    def __init__(self, clients: dict[str, ZoneClient], namespace: str) -> None:
        self.clients, self.namespace = clients, namespace
        self.phase = "before"
        self.most: dict[str, dict[str, tuple[int, tuple[str, ...]]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _primaries(self, zone: str) -> set[str]:
        """Apps this zone serves as primary right now (ready replicas > 0); empty if it does not answer."""
        try:
            found = self.clients[zone].deployments(self.namespace, labels={"edgefed.io/role": "primary"})
        except UNREACHABLE:
            self.clients[zone].close()  # a stopped zone serves nothing; reconnect on the next poll
            return set()
        return {d.name for d in found if d.ready}

    def _run(self) -> None:
        while not self._stop.is_set():
            serving: dict[str, list[str]] = {}
            for zone in self.clients:
                for app in self._primaries(zone):
                    serving.setdefault(app, []).append(zone)
            phase = self.most.setdefault(self.phase, {})
            for app, zones in serving.items():
                if len(zones) > phase.get(app, (0, ()))[0]:
                    phase[app] = (len(zones), tuple(sorted(zones)))
            self._stop.wait(0.25)

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


@dataclass(frozen=True)
class PhaseMost:
    """The most zones that served one app as primary at once in a phase, and what the plan allows."""

    phase: str
    app: str
    count: int
    zones: tuple[str, ...]
    allowed: int

    @property
    def verdict(self) -> str:
        """ok, or what went wrong."""
        if self.count <= self.allowed:
            return "ok"
        if self.phase == "restart":
            return "stale: a restarted zone still held its pre-outage primary"
        return "DUPLICATE PRIMARY"


@dataclass
class DrillReport:
    """The drill's steps and its primaries per phase."""

    stack: str
    steps: list[tuple[str, list[StackReport]]] = field(default_factory=list)
    most: list[PhaseMost] = field(default_factory=list)
    stale_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every step succeeded and failback never had a duplicate primary."""
        steps_ok = all(r.ok for _, reports in self.steps for r in reports)
        return steps_ok and not [m for m in self.most if m.phase == "failback" and m.count > m.allowed]


def planned_primaries(workspace: StackWorkspace) -> dict[str, int]:
    """Per app, how many zones the stack's current plan makes primary."""
    plan = workspace.outputs()["plan"]
    return {app: sum(1 for w in p["zones"].values() if w["role"] == "primary") for app, p in plan.items()}


class Drill:
    """The four-step drill on one local stack."""

    def __init__(self, deploy: LocalDeploy, stack: str, progress: Callable[[str], None] = print) -> None:
        self.deploy = deploy
        self.stack = stack
        self.progress = progress
        self.country = stack.removeprefix("local-").upper()

    def _step(self, report: DrillReport, title: str, unavailable: Sequence[str] | None) -> None:
        self.progress(f"==> {title}")
        reports = self.deploy.run([self.stack], unavailable)
        report.steps.append((title, reports))
        for line in (line for r in reports for line in format_report(r)):
            self.progress(line)
        if not all(r.ok for r in reports):
            raise OpsError(f"drill: step '{title}' failed: {'; '.join(r.problem for r in reports if not r.ok)}")

    def run(self) -> DrillReport:
        """Run the drill; raises OpsError when a step fails."""
        federation = self.deploy.federation
        down = [z for z in federation.catalog.zones if z.country == self.country]
        if not down:
            raise OpsError(f"drill: the local catalog has no zone in {self.country}")
        workspace = StackWorkspace(self.deploy.settings, self.stack)
        clients = {
            z.id: ZoneClient(federation.zone_dir(z.id) / "kubeconfig", timeout=1) for z in federation.catalog.zones
        }
        watcher = PrimaryWatcher(clients, f"edgefed-{self.country.lower()}")
        report = DrillReport(self.stack)
        ids = [z.id for z in down]
        with watcher.running():
            self._step(report, f"drill 1/4: {self.stack} deployed with every zone up", None)
            healthy = planned_primaries(workspace)
            for z in down:
                federation.stop_zone(z)
            watcher.phase = "outage"
            self._step(
                report, f"drill 2/4: {self.country} fails ({', '.join(ids)} stopped); up with them unavailable", ids
            )
            outage = planned_primaries(workspace)
            watcher.phase = "restart"
            began = time.monotonic()
            for z in down:
                self.progress(f"zone {z.id} up in {federation.start_zone(z):.1f} s")
            federation.write_kubeconfig()
            self._step(
                report, f"drill 3/4: {self.country} zones restart; up still marking them unavailable drains them", ids
            )
            report.stale_seconds = time.monotonic() - began
            watcher.phase = "failback"
            self._step(report, "drill 4/4: failback, up with every zone available", None)
            time.sleep(1)  # one more poll after the last update
        for phase in PHASES:
            for app, (count, zones) in sorted(watcher.most.get(phase, {}).items()):
                allowed = healthy.get(app, 0) if phase == "before" else max(healthy.get(app, 0), outage.get(app, 0))
                report.most.append(PhaseMost(phase, app, count, zones, allowed))
        return report


def format_most(report: DrillReport) -> list[str]:
    """The human lines of the watcher's findings."""
    lines = ["==> most zones serving one app as primary at the same moment"]
    for m in report.most:
        lines.append(
            f"   {m.phase:9} {m.app:18} {m.count} (plan allows {m.allowed}): {', '.join(m.zones)}  {m.verdict}"
        )
    lines.append(
        f"   restart: the zones came back with their pre-outage objects; {report.stale_seconds:.0f} s from restart "
        "until drained (fenced) by pulumi up"
    )
    return lines
