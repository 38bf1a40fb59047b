"""Deploy the local-<cc> country stacks onto the running local federation with `pulumi up` and the pack.

A zone of the stack that does not answer (and is not marked unavailable) stops that stack before
anything is touched. A zone that stops answering *during* `pulumi up` fails only its own resources
(continue-on-error): the other zones' changes are applied, and the error names the zone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgefed_ops.errors import OpsError
from edgefed_ops.settings import Settings
from edgefed_ops.stack import operations, preflight, state_marker
from edgefed_ops.stack.diagnosis import explain_failure, explain_lock
from edgefed_ops.stack.events import Outcome
from edgefed_ops.stack.local_stacks import LocalStacks
from edgefed_ops.stack.readback import ZoneReadback
from edgefed_ops.stack.workspace import StackWorkspace


@dataclass
class DeployReport:
    """What happened to one stack's deploy."""

    stack: str
    ok: bool
    seconds: float = 0.0
    changes: str = ""
    refreshed: str = ""
    problem: str = ""
    sites: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    """The stack's ``plan`` output after the update (per app: sites and zones with their roles)."""
    zones: dict[str, dict[str, str]] = field(default_factory=dict)
    buckets: list[dict[str, str]] = field(default_factory=list)
    locked_by: int | None = None
    """The pid of the `pulumi` holding the stack's lock, when the update was refused because of it."""


def refresh_for_this_federation(stacks: LocalStacks, workspace: StackWorkspace) -> str:
    """Refresh a stack whose last deploy went to another federation (one that was `down` since).

    Its state then lists objects that the new zones never had; an update would only patch them. The
    program runs, so that the refresh reaches the zones through their new kubeconfigs. Returns what the
    refresh changed ("" when none was needed); raises when it failed.
    """
    id_file = stacks.federation.state / "id"
    current = id_file.read_text().strip() if id_file.exists() else "unnamed"
    backend, env = workspace.state_url(), workspace.env()
    if state_marker.read(backend, env, workspace.stack) == current:
        return ""
    if not operations.export(workspace).get("resources"):
        state_marker.write(backend, env, workspace.stack, current)  # a new stack: nothing to refresh
        return ""
    outcome = operations.refresh(workspace, run_program=True)
    if not outcome.ok:
        why = explain_lock(stacks.settings, workspace.stack, outcome) or "; ".join(outcome.errors)
        why = why or outcome.output[-2000:]
        message = f"{workspace.stack}: refresh against this federation FAILED, nothing deployed: {why}"
        raise StackLockedError(message, outcome.locked_by) if outcome.locked_by is not None else OpsError(message)
    state_marker.write(backend, env, workspace.stack, current)
    return outcome.summary() if outcome.changes.get("delete") else ""


class StackLockedError(OpsError):
    """A stack's operation was refused: another `pulumi` (``pid``, alive or not) holds its lock."""

    def __init__(self, message: str, pid: int) -> None:
        super().__init__(message)
        self.pid = pid


class LocalDeploy:
    """`pulumi up` of local stacks onto the federation of the settings."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.stacks = LocalStacks(settings)
        self.federation = self.stacks.federation
        self.progress = progress

    def readback(self, stack: str) -> ZoneReadback:
        """Reads of the stack's zones with the stack's own persona: the operator's or the tenant's credential."""
        if self.stacks.is_operator(stack):
            return ZoneReadback(lambda zone: self.federation.zone_dir(zone) / "operator.kubeconfig")
        contract = self.stacks.contract(stack)
        return ZoneReadback(lambda zone: self.stacks.identities.kubeconfig(contract, zone))

    def deploy(self, stack: str, unavailable: Sequence[str] | None, outages: Path | None = None) -> DeployReport:
        """`pulumi up` of one stack with the policy pack; never raises for a failed update.

        ``outages`` replaces the federation's outage file (``None``: the committed one, whose zones are
        then the ``unavailable`` ones).
        """
        readback = self.readback(stack)
        prepared = self._prepared(stack, unavailable, outages, readback)
        if isinstance(prepared, DeployReport):
            return prepared
        workspace, refreshed = prepared
        marked = [z for z in self.stacks.zones(stack) if z in (unavailable or ())]
        settled = operations.settle_unfinished(workspace, readback.silent(marked, None))
        if settled:
            self.progress(f"{stack}: left as last seen in unavailable zones: {', '.join(settled)}")
        begin = time.monotonic()
        self.progress(f"{stack}: pulumi up with the policy pack")
        _, pack_config = self.stacks.catalog_settings()
        outcome = operations.up(
            workspace,
            config=pack_config,
            continue_on_error=True,
            progress=lambda line: self.progress(f"{stack}: {line}"),
        )
        took = time.monotonic() - begin
        if not outcome.ok:
            why = self._why_failed(stack, unavailable, readback, outcome)
            problem = f"pulumi up FAILED after {took:.0f} s: {why}"
            return DeployReport(stack, False, took, outcome.summary(), refreshed, problem, locked_by=outcome.locked_by)
        report = DeployReport(stack, True, took, outcome.summary(), refreshed)
        if self.stacks.is_operator(stack):
            report.zones = {z: {ns: "namespace" for ns in spaces} for z, spaces in outcome.outputs["tenants"].items()}
        else:
            read_back(readback, outcome.outputs, report)
        return report

    def _prepared(
        self, stack: str, unavailable: Sequence[str] | None, outages: Path | None, readback: ZoneReadback
    ) -> tuple[StackWorkspace, str] | DeployReport:
        """The stack's workspace, prepared and refreshed for this federation, with what the refresh changed.

        Or the report of a stack refused before anything was touched.
        """
        refused = preflight.refusal(self.stacks, stack, unavailable, readback)
        if refused:
            return DeployReport(stack, False, problem=refused)
        catalog, _ = self.stacks.catalog_settings()
        try:
            workspace = self.stacks.workspace(stack)
        except OpsError as error:
            return DeployReport(stack, False, problem=f"NOT deployed, nothing touched: {error}")
        self.progress(f"{stack}: preparing the workspace and its secrets")
        settings = {**catalog, "outages": str(outages) if outages and not self.stacks.is_operator(stack) else None}
        workspace.prepare(settings, secrets=self.stacks.secrets(stack))
        try:
            return workspace, refresh_for_this_federation(self.stacks, workspace)
        except StackLockedError as error:
            return DeployReport(stack, False, problem=str(error), locked_by=error.pid)
        except OpsError as error:
            return DeployReport(stack, False, problem=str(error))

    def _progress(self, stack: str, line: str) -> None:
        self.progress(f"{stack}: {line}")

    def _why_failed(
        self, stack: str, unavailable: Sequence[str] | None, readback: ZoneReadback, outcome: Outcome
    ) -> str:
        blocked = "; ".join(f"[{v.policy}] {v.message}" for v in outcome.mandatory)
        zones = self.stacks.zones(stack)
        return (
            explain_lock(self.settings, stack, outcome)
            or (f"the policy pack refused it, nothing written: {blocked}" if blocked else "")
            or explain_failure(self.settings, stack, zones, readback.silent(zones, unavailable), outcome)
        )

    def run(
        self, stacks: Sequence[str], unavailable: Sequence[str] | None = None, jobs: int | None = None
    ) -> list[DeployReport]:
        """Deploy the stacks (every local stack when none is named), ``jobs`` at a time (see :func:`default_jobs`).

        Operators' zone stacks first, then tenants' country stacks, which deploy into the namespaces and
        under the quotas the operators made (not at all when an operator's stack failed). ``unavailable``
        is the federation's outage state for this deploy, for every tenant stack (an outage in one country
        changes where the others fail over); ``None`` keeps the committed one. Stacks of one persona are
        independent (own namespaces, state bucket, lock and engine), so they deploy concurrently; reports
        come back in the order of the stacks named.
        """
        names = list(stacks) or self.settings.local_stack_names()
        outages = self.stacks.write_outages(unavailable) if unavailable is not None else None

        def one(stack: str) -> DeployReport:
            marked = list(unavailable) if unavailable is not None else self.stacks.committed_outages(stack)
            return self.deploy(stack, marked, outages)

        operators = [s for s in names if self.stacks.is_operator(s)]
        tenants = [s for s in names if s not in operators]
        workers = max(1, min(jobs or default_jobs(), len(names)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deploy") as pool:
            reports = {r.stack: r for r in pool.map(one, operators)}
            failed = [r.stack for r in reports.values() if not r.ok]
            if failed:
                why = f"NOT deployed, nothing touched: the operators' stack(s) {', '.join(failed)} failed first"
                reports |= {s: DeployReport(s, False, problem=why) for s in tenants}
            else:
                reports |= {r.stack: r for r in pool.map(one, tenants)}
        return [reports[s] for s in names]


def read_back(readback: ZoneReadback, outputs: dict[str, Any], report: DeployReport) -> None:
    """Fill a tenant stack's report from its outputs and its zones (once they run the planned replicas)."""
    namespaces: dict[str, str] = outputs["zones"]
    report.plan = outputs["plan"]
    for app, plan in outputs["plan"].items():
        for site, where in plan["sites"].items():
            report.sites.append({"app": app, "site": site, **where})
    # A platform zone's instance was ready when `up` returned (PlatformAppInstance waits); its platform names
    # the Deployment after the instance, so only the zones the stack writes to converge on the plan's names.
    platform = set(outputs.get("platform_zones") or [])
    written = {
        app: {**plan, "zones": {z: where for z, where in plan["zones"].items() if z not in platform}}
        for app, plan in outputs["plan"].items()
    }
    readback.converge(written, namespaces)
    report.zones = {z: readback.ready_replicas(z, namespaces[z]) for z in sorted(namespaces)}
    report.buckets = [{"app": app, **b} for app, buckets in outputs.get("buckets", {}).items() for b in buckets]


def default_jobs() -> int:
    """Stacks deployed at once by default: two per core.

    An update spends much of its time waiting for the zones (rollouts, autoscalers), not on CPU: on two
    cores, the drill (its three stacks in each of four steps) took 118 s with two stacks at a time, 96 s
    with all three.
    """
    return 2 * (os.cpu_count() or 1)


def format_report(report: DeployReport) -> list[str]:
    """The human lines of one stack's report."""
    if not report.ok:
        return [f"== {report.stack}: {report.problem}"]
    lines = []
    if report.refreshed:
        lines.append(f"== {report.stack}: state from an earlier federation refreshed ({report.refreshed})")
    lines.append(f"== {report.stack}: pulumi up with the policy pack in {report.seconds:.0f} s ({report.changes})")
    if not report.sites:  # an operator's zone stack: its tenants' namespaces
        return lines + [f"   zone {z:38} namespaces: {', '.join(spaces) or '-'}" for z, spaces in report.zones.items()]
    for site in report.sites:
        serving = site["serving"] or "UNSERVED"
        moved = " (FAILED OVER)" if site["failedOver"] else ""
        lines.append(
            f"   {site['app']:18} site {site['site']:22} serving {serving}{moved}; failover {site['failover'] or '-'}"
        )
        if site["problem"]:
            lines.append(f"   {'':18} -> {site['problem']}")
    for z, replicas in report.zones.items():
        ready = ", ".join(f"{name} {count}" for name, count in replicas.items())
        lines.append(f"   zone {z:38} ready: {ready or '-'}")
    lines += [f"   bucket {b['bucket']} at {b['endpoint']} ({b['region']}) for {b['app']}" for b in report.buckets]
    return lines
