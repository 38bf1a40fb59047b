"""Whole-country failover drill on the local federation: a country's zones fail, its load moves, then back.

0. Before anything deploys, the federation plan with the country down must fit: every site meant to
   survive served, no zone over capacity (the what-if of that country); otherwise the drill stops there,
   naming the zone that cannot take the load.
1. `pulumi up` of every local stack (every zone up), then every zone of the country is stopped.
2. `pulumi up` of every local stack with those zones in the federation's outage state (a file of the
   drill's own; the committed one is never edited): the country's apps that may cross the border serve
   from neighbouring zones inside their residency, with their full replicas, read back from each API
   server and checked against each zone's capacity; a restricted app refuses and the plan says why. The
   stopped zones' objects stay (drained), and zones elsewhere lose nothing.
3. The zones start again. They come back with the objects they had when they stopped, so the next
   `pulumi up` still marks them unavailable: now reachable, they are drained (fenced).
4. `pulumi up` with every zone available: failback. In each app, zones being demoted are updated before
   the zone being promoted, so no app ever has more primaries than the plan has primary zones.

A watcher reads every zone's Deployments through its API server all along (about 4 times a second) and
records, per phase, the most zones that served one app as primary at the same moment.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from edgefed.core.inputs.appspec import load_app_spec
from edgefed.core.inputs.stackconfig import raw_from_stack_file
from edgefed.core.placement.capacity import Demand, Usage, in_zone, over, take
from edgefed.core.placement.federation import load_federation
from edgefed.core.placement.whatif import Scenario, what_if
from edgefed_ops.errors import OpsError
from edgefed_ops.failover.watcher import PHASES, PrimaryWatcher
from edgefed_ops.local.zone_client import UNREACHABLE, ZoneClient, open_zone
from edgefed_ops.stack.deploy import DeployReport, LocalDeploy, format_report


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


@dataclass(frozen=True)
class ZoneLoad:
    """What a zone runs during the outage, read back from its API server, against its capacity."""

    zone: str
    cpu: float
    capacity_cpu: float
    memory_gib: float
    capacity_memory_gib: float
    ready: int
    ok: bool
    """Within the zone's capacity (cores, memory and GPUs by model)."""


@dataclass
class DrillReport:
    """The drill's steps, the zones' load during the outage, and the primaries per phase."""

    country: str
    stacks: list[str] = field(default_factory=list)
    steps: list[tuple[str, list[DeployReport]]] = field(default_factory=list)
    load: list[ZoneLoad] = field(default_factory=list)
    unserved: list[str] = field(default_factory=list)
    """``app/site: why`` of the country's sites the outage leaves unserved (restricted data)."""
    most: list[PhaseMost] = field(default_factory=list)
    stale_seconds: float = 0.0
    unwatched: list[str] = field(default_factory=list)
    """Phases in which the primary watcher never read every answering zone (the drill then fails)."""

    @property
    def ok(self) -> bool:
        """Every step passed and every phase was watched; no zone over capacity, no duplicate in failback."""
        steps_ok = all(r.ok for _, reports in self.steps for r in reports) and not self.unwatched
        loads_ok = all(z.ok for z in self.load)
        return steps_ok and loads_ok and not [m for m in self.most if m.phase == "failback" and m.count > m.allowed]


def planned_primaries(report: DeployReport) -> dict[str, int]:
    """Per app, how many zones the stack's plan, as deployed, makes primary."""
    return {app: sum(1 for w in p["zones"].values() if w["role"] == "primary") for app, p in report.plan.items()}


def check_fits(deploy: LocalDeploy, stack: str, country: str, down: Sequence[str]) -> str:
    """Stop before anything deploys when the tenant's plan with ``down`` failed does not fit; else say what moves."""
    settings = deploy.settings
    raw = raw_from_stack_file(settings.root / "stacks" / f"Pulumi.{stack}.yaml")
    catalog, _ = deploy.stacks.catalog_settings()
    raw.update({f"edgefed:{key}": str(value) for key, value in catalog.items()})
    raw["edgefed:outages"] = str(deploy.stacks.write_outages([]))
    federation = load_federation(settings.root, stack, raw, [])
    [result] = what_if(federation, only=[Scenario(f"country {country}", tuple(down))])
    lines = [f"{s.stack}/{s.app} {s.site}: {s.problem}" for s in result.gaps]
    lines += [
        f"zone {o.zone} cannot take the load of {', '.join(o.takers)} (cpu {o.cpu:g}/"
        f"{federation.catalog.zone(o.zone).capacity.cpu:g})"
        for o in result.overcommitted
    ]
    lines += list(result.over_contract)
    if lines:
        raise OpsError(f"drill: {country}'s load does not fit; nothing deployed: " + "; ".join(lines))
    return f"{stack}: {len(result.moved)} site(s) fail over, {len(result.unserved)} stay unserved by rule"


def read_load(deploy: LocalDeploy, stacks: Sequence[str]) -> list[ZoneLoad]:
    """Per zone that answers: the cores and memory its ready pods take (every tenant's), and its capacity.

    Read as each zone's operator sees it (its admin credential): capacity is the operator's concern.
    """
    federation = deploy.federation
    apps = deploy.settings.root / "stacks" / "apps"
    specs = {name: load_app_spec(apps / f"{name}.yaml") for stack in stacks for name in deploy.stacks.apps(stack)}
    out = []
    for zone in federation.catalog.zones:
        with open_zone(federation.zone_dir(zone.id) / "operator.kubeconfig", timeout=3) as client:
            try:
                found = client.deployments()
            except UNREACHABLE:
                continue
        usage = Usage()
        for d in found:
            if d.name in specs:
                take(zone, Demand.of(specs[d.name], d.ready), usage)
        cpu, memory, _ = in_zone(zone, usage)
        cap = zone.capacity
        ready = sum(d.ready for d in found)
        out.append(ZoneLoad(zone.id, cpu, cap.cpu, memory, cap.memory_gib, ready, not over(zone, usage)))
    return out


class Drill:
    """The drill of one country of the local federation, over every app stack of the tenants drilled."""

    def __init__(
        self, deploy: LocalDeploy, country: str, tenants: Sequence[str], progress: Callable[[str], None] = print
    ) -> None:
        self.deploy = deploy
        self.country = country.upper()
        self.tenants = list(tenants)
        self.own = [f"local-{tenant}-{self.country.lower()}" for tenant in self.tenants]
        """The drilled country's stack of each tenant."""
        self.progress = progress
        apps = deploy.settings.app_stack_names(local=True)
        self.stacks = [s for s in apps if any(s.startswith(f"local-{tenant}-") for tenant in self.tenants)]

    def _watchers(self) -> list[PrimaryWatcher]:
        """One watcher per tenant, reading the drilled country's namespace with the tenant's own identity.

        In each zone the stack may use (its namespace exists there, and nowhere else: elsewhere the tenant
        is rightly refused, which the watcher would take for a zone it cannot see).
        """
        out = []
        for stack, tenant in zip(self.own, self.tenants, strict=True):
            contract = self.deploy.stacks.contract(stack)
            clients = {
                zone: ZoneClient(self.deploy.stacks.identities.kubeconfig(contract, zone), timeout=1)
                for zone in self.deploy.stacks.zones(stack)
            }
            out.append(PrimaryWatcher(clients, f"{tenant}-{self.country.lower()}", label=tenant))
        return out

    def _step(self, report: DrillReport, title: str, unavailable: Sequence[str] | None) -> None:
        self.progress(f"==> {title}")
        reports = self.deploy.run(self.stacks, unavailable)
        report.steps.append((title, reports))
        for line in (line for r in reports for line in format_report(r)):
            self.progress(line)
        if not all(r.ok for r in reports):
            raise OpsError(f"drill: step '{title}' failed: {'; '.join(r.problem for r in reports if not r.ok)}")

    def _primaries(self, report: DrillReport) -> dict[str, int]:
        """Per tenant/app, how many zones the drilled stacks' plans (as last deployed) make primary."""
        last = {r.stack: r for r in report.steps[-1][1]}
        return {f"{t}/{app}": n for stack, t in zip(self.own, self.tenants, strict=True)
                for app, n in planned_primaries(last[stack]).items()}  # fmt: skip

    def run(self) -> DrillReport:
        """Run the drill; raises OpsError when a step fails."""
        federation = self.deploy.federation
        down = [z for z in federation.catalog.zones if z.country == self.country]
        missing = [s for s in self.own if s not in self.stacks]
        if not down or missing:
            raise OpsError(
                f"drill: no zone or no stack of every tenant in {self.country}; stacks: {', '.join(self.stacks)}"
            )
        ids = [z.id for z in down]
        for stack in self.own:
            self.progress(
                f"==> drill 0/4: {self.country} down fits: {check_fits(self.deploy, stack, self.country, ids)}"
            )
        watchers = self._watchers()
        report = DrillReport(self.country, list(self.stacks))
        with contextlib.ExitStack() as running:
            for watcher in watchers:
                running.enter_context(watcher.running())
            self._step(report, f"drill 1/4: {', '.join(self.stacks)} deployed with every zone up", [])
            healthy = self._primaries(report)
            for z in down:
                federation.stop_zone(z)
            _set_phase(watchers, "outage")
            self._step(
                report, f"drill 2/4: {self.country} fails ({', '.join(ids)} stopped); up with them unavailable", ids
            )
            outage = self._primaries(report)
            report.load = read_load(self.deploy, self.stacks)
            for line in format_load(report):
                self.progress(line)
            last = {r.stack: r for r in report.steps[-1][1]}
            report.unserved = [f"{s}/{site['app']}/{site['site']}: {site['problem']}"
                               for s in self.own for site in last[s].sites if not site["serving"]]  # fmt: skip
            _set_phase(watchers, "restart")
            began = time.monotonic()
            federation.start_zones(down)
            federation.write_kubeconfig()
            self._step(
                report, f"drill 3/4: {self.country} zones restart; up still marking them unavailable drains them", ids
            )
            report.stale_seconds = time.monotonic() - began
            _set_phase(watchers, "failback")
            self._step(report, "drill 4/4: failback, up with every zone available", [])
            time.sleep(1)  # one more poll after the last update
        report.unwatched = [f"{w.label} {phase}" for w in watchers for phase in w.unwatched()]
        for watcher in watchers:
            for phase in PHASES:
                for app, (count, zones) in sorted(watcher.most.get(phase, {}).items()):
                    key = f"{watcher.label}/{app}"
                    allowed = healthy.get(key, 0) if phase == "before" else max(healthy.get(key, 0), outage.get(key, 0))
                    report.most.append(PhaseMost(phase, key, count, zones, allowed))
        return report


def _set_phase(watchers: Sequence[PrimaryWatcher], phase: str) -> None:
    for watcher in watchers:
        watcher.phase = phase


def format_load(report: DrillReport) -> list[str]:
    """The zones' load during the outage, read back from their API servers."""
    lines = [f"==> load of the zones that answer, with {report.country} down (ready pods, from each API server)"]
    for z in report.load:
        verdict = "within capacity" if z.ok else "OVER CAPACITY"
        lines.append(
            f"   zone {z.zone:38} {z.ready:3} pods, cpu {z.cpu:g}/{z.capacity_cpu:g}, "
            f"memory {z.memory_gib:g}/{z.capacity_memory_gib:g} GiB: {verdict}"
        )
    return lines


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
    lines += [f"   {phase}: UNWATCHED, no round of polls read every zone that answered" for phase in report.unwatched]
    return lines
