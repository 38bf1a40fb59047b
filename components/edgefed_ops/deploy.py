"""Deploy the local-<cc> country stacks onto the running local federation with `pulumi up` and the pack.

Kubeconfigs and S3 keys are read from the federation's folder and set as stack *secrets* in each stack's
workspace (never on a command line). A zone of the stack that does not answer (and is not marked
unavailable) stops that stack before anything is touched. A zone that stops answering *during* `pulumi up`
fails only its own resources (continue-on-error): the other zones' changes are applied, and the error
names the zone.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edgefed.errors import load_yaml
from edgefed_ops import s3, statebackend
from edgefed_ops.engine import Backend, Outcome, StackWorkspace
from edgefed_ops.errors import OpsError
from edgefed_ops.federation import Federation
from edgefed_ops.kube import UNREACHABLE, zone
from edgefed_ops.settings import LOCAL_PREFIX, Settings


@dataclass
class StackReport:
    """What happened to one stack."""

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


class LocalDeploy:
    """`pulumi up` of local stacks onto the federation of the settings."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.federation = Federation(settings, progress=progress)
        self.progress = progress

    def secrets(self) -> dict[str, str]:
        """The zones' kubeconfigs and the stores' keys, as the stack secrets the catalog names."""
        out: dict[str, str] = {}
        for z in self.federation.catalog.zones:
            kubeconfig = self.federation.zone_dir(z.id) / "kubeconfig"
            credentials = self.federation.store_dir(z.country) / "credentials.json"
            if not kubeconfig.exists() or not credentials.exists():
                raise OpsError("deploy: the local federation is not up; run `.venv/bin/edgefed federation up`")
            out[f"edgefed:{z.kubeconfig_secret}"] = kubeconfig.read_text()
            out[f"edgefed:{z.object_storage.credentials_secret}"] = credentials.read_text()
        return out

    def state_backend(self, stack: str) -> Backend:
        """The stack's state backend: a bucket of its country's object store in the running federation.

        A local stack's state (its resources, encrypted secrets, plan) lives in its country like its data;
        the backend is checked against the catalog before anything runs, and the bucket made once.
        """
        config = load_yaml(self.settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {}
        country = str(config.get("edgefed:country", "")).upper()
        catalog = self.federation.catalog
        zone = next((z for z in catalog.zones if z.country == country), None)
        credentials = self.federation.store_dir(country) / "credentials.json"
        if zone is None or not credentials.exists():
            raise OpsError(
                f"deploy: {stack}: no running object store in {country}; run `.venv/bin/edgefed federation up`"
            )
        storage, keys = zone.object_storage, json.loads(credentials.read_text())
        bucket = f"edgefed-state-{country.lower()}"
        url = f"s3://{bucket}?endpoint={storage.endpoint}&region={storage.region}&use_path_style=true"
        why = statebackend.problem(url, country, catalog)
        if why:
            raise OpsError(f"deploy: {stack}: {why}")
        store = s3.client(storage.endpoint, storage.region, keys["accessKey"], keys["secretKey"])
        s3.ensure_bucket(store, bucket, storage.region)
        env = {"AWS_ACCESS_KEY_ID": keys["accessKey"], "AWS_SECRET_ACCESS_KEY": keys["secretKey"]}
        return Backend(url, env)

    def workspace(self, stack: str) -> StackWorkspace:
        """The stack's workspace, with its state in its country's object store."""
        return StackWorkspace(self.settings, stack, backend=self.state_backend(stack))

    def catalog_settings(self) -> tuple[dict[str, str], Path]:
        """Stack settings and the pack config for the federation's catalog.

        The committed local catalog needs neither. Another one (EDGEFED_LOCAL_CATALOG) replaces it in each
        stack's config and in a copy of the pack config, so the pack trusts the object stores of the
        federation that is actually running, and nothing else.
        """
        pack_config = self.settings.pack_config(LOCAL_PREFIX)
        if self.settings.local_catalog == self.settings.committed_local_catalog:
            return {}, pack_config
        committed = str(self.settings.committed_local_catalog.relative_to(self.settings.root))
        config = json.loads(pack_config.read_text())
        for rule in config.values():
            if isinstance(rule, dict) and committed in rule.get("catalogs", []):
                rule["catalogs"] = [str(self.settings.local_catalog) if p == committed else p for p in rule["catalogs"]]
        self.settings.work.mkdir(parents=True, exist_ok=True)
        copy = self.settings.work / "policy-config.json"
        # Atomically: stacks deploying concurrently each write it (the same bytes) while engines read it.
        partial = copy.with_name(f".{copy.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_text(json.dumps(config, indent=2))
        partial.replace(copy)
        return {"catalog": str(self.settings.local_catalog)}, copy

    def stack_zones(self, stack: str) -> list[str]:
        """The zones the committed stack file lets the stack use."""
        config = load_yaml(self.settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {}
        return list(config.get("edgefed:zones", []))

    def stack_apps(self, stack: str) -> list[str]:
        """The apps of the committed stack file."""
        config = load_yaml(self.settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {}
        return list(config.get("edgefed:apps", []))

    def silent_zones(self, stack: str, unavailable: Sequence[str] | None) -> list[str]:
        """Zones of the stack that do not answer now, except those marked unavailable."""
        marked = set(unavailable or ())
        silent = []
        for z in self.stack_zones(stack):
            if z in marked:
                continue
            path = self.federation.zone_dir(z) / "kubeconfig"
            with zone(path, timeout=3) as client:
                if not (path.exists() and client.answers()):
                    silent.append(z)
        return silent

    def refresh_for_this_federation(self, workspace: StackWorkspace) -> str:
        """Refresh a stack whose last deploy went to another federation (one that was `down` since).

        Its state then lists objects that the new zones never had; an update would only patch them. The
        program runs, so that the refresh reaches the zones through their new kubeconfigs. Returns what the
        refresh changed ("" when none was needed); raises when it failed.
        """
        id_file = self.federation.state / "id"
        current = id_file.read_text().strip() if id_file.exists() else "unnamed"
        marker = workspace.folder / "federation-id"
        if marker.exists() and marker.read_text().strip() == current:
            return ""
        if not workspace.export().get("resources"):
            marker.write_text(current)  # a new stack: nothing to refresh
            return ""
        outcome = workspace.refresh(run_program=True)
        if not outcome.ok:
            raise OpsError(
                f"{workspace.stack}: refresh against this federation FAILED, nothing deployed: "
                f"{self.explain_lock(workspace, outcome) or '; '.join(outcome.errors) or outcome.output[-2000:]}"
            )
        marker.write_text(current)
        return outcome.summary() if outcome.changes.get("delete") else ""

    @staticmethod
    def explain_lock(workspace: StackWorkspace, outcome: Outcome) -> str | None:
        """For a stack locked by a `pulumi` that no longer runs (killed): how to recover; else None."""
        pid = outcome.locked_by
        if pid is None:
            return None
        try:
            os.kill(pid, 0)
            return f"the stack is locked by pulumi pid {pid}, which still runs: wait for it"
        except OSError:
            pass
        return (
            f"the stack is locked by pulumi pid {pid}, which no longer runs (killed?). Recover as README says: "
            f"`.venv/bin/edgefed stack {workspace.stack} --work {workspace.folder.parent} -- cancel --yes`, then "
            f"`... -- refresh --yes --clear-pending-creates`, then deploy again"
        )

    def explain_failure(self, stack: str, outcome: Outcome, unavailable: Sequence[str] | None) -> str:
        """One paragraph saying which zones failed the update and what to do next."""
        silent = self.silent_zones(stack, unavailable)
        zones = self.stack_zones(stack)
        failed: dict[str, list[str]] = {}
        for name in outcome.failed:
            failed.setdefault(next((z for z in zones if z in name), "other"), []).append(name)
        parts = []
        for z, names in sorted(failed.items()):
            state = "stopped answering during the update" if z in silent else "answers"
            parts.append(f"zone {z} ({state}): {len(names)} resource(s) errored: {', '.join(sorted(names)[:4])}")
        parts += [f"zone {z} does not answer now" for z in silent if z not in failed]
        advice = (
            f"; the other zones' changes were applied. Re-run once {' and '.join(silent)} is back, or mark it "
            f"unavailable: .venv/bin/edgefed deploy {stack} --unavailable {' '.join(silent)}"
            if silent
            else ""
        )
        return "; ".join(parts or outcome.errors[:3] or ["see the engine output above"]) + advice

    def ready_replicas(self, zone_id: str, namespace: str) -> dict[str, str]:
        """Deployment name to ``ready/replicas`` in a zone, read from its API server."""
        with zone(self.federation.zone_dir(zone_id) / "kubeconfig", timeout=5) as client:
            try:
                return {d.name: f"{d.ready}/{d.replicas}" for d in client.deployments(namespace)}
            except UNREACHABLE:
                return {"?": "zone unreachable"}

    def converge(self, plan: dict[str, Any], namespace: str, timeout: float = 60.0) -> None:
        """Wait (up to ``timeout``) until every reachable zone runs the plan's replicas of each app.

        `pulumi up` returns once a Deployment's first pods are Ready; the count itself belongs to each
        zone's autoscaler, which reaches the plan's bounds a few seconds later (edgefed.manifests).
        """
        want: dict[str, dict[str, int]] = {}
        for app, app_plan in plan.items():
            for zone_id, where in app_plan["zones"].items():
                want.setdefault(zone_id, {})[app] = int(where["replicas"])
        deadline = time.monotonic() + timeout
        while want and time.monotonic() < deadline:
            for zone_id in list(want):
                found = self.ready_replicas(zone_id, namespace)
                done = "?" in found or all(found.get(app) == f"{n}/{n}" for app, n in want[zone_id].items())
                if done:  # converged, or unreachable (a stopped zone converges to nothing)
                    del want[zone_id]
            if want:
                time.sleep(0.5)

    def report(self, outputs: dict[str, Any], report: StackReport) -> None:
        """Fill a stack's report from its outputs and its zones (once they run the planned replicas)."""
        namespace = f"edgefed-{str(outputs['country']).lower()}"
        report.plan = outputs["plan"]
        for app, plan in outputs["plan"].items():
            for site, where in plan["sites"].items():
                report.sites.append({"app": app, "site": site, **where})
        self.converge(outputs["plan"], namespace)
        report.zones = {z: self.ready_replicas(z, namespace) for z in sorted(outputs["zones"])}
        report.buckets = [{"app": app, **b} for app, buckets in outputs.get("buckets", {}).items() for b in buckets]

    def committed_outages(self, stack: str) -> list[str]:
        """The zones the committed outage file of the stack's federation marks down."""
        config = load_yaml(self.settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {}
        path = self.settings.root / str(config.get("edgefed:outages", "stacks/outages.yaml"))
        return list((load_yaml(path) or {}).get("unavailable_zones") or []) if path.is_file() else []

    def write_outages(self, unavailable: Sequence[str]) -> Path:
        """The federation-wide outage file a job deploys with (the committed one is never edited)."""
        self.settings.work.mkdir(parents=True, exist_ok=True)
        path = self.settings.work / "outages.yaml"
        path.write_text(yaml.safe_dump({"unavailable_zones": sorted(set(unavailable))}))
        return path

    def deploy(
        self, stack: str, unavailable: Sequence[str] | None, secrets: dict[str, str], outages: Path | None = None
    ) -> StackReport:
        """`pulumi up` of one stack with the policy pack; never raises for a failed update.

        ``outages`` replaces the federation's outage file (``None``: the committed one, whose zones are
        then the ``unavailable`` ones).
        """
        silent = self.silent_zones(stack, unavailable)
        if silent:
            return StackReport(
                stack, False,
                problem=f"NOT deployed, nothing touched: zone(s) {', '.join(silent)} do not answer. If a zone is "
                f"down, mark it unavailable: .venv/bin/edgefed deploy {stack} --unavailable {' '.join(silent)}",
            )  # fmt: skip
        catalog, pack_config = self.catalog_settings()
        try:
            workspace = self.workspace(stack)
        except OpsError as error:
            return StackReport(stack, False, problem=f"NOT deployed, nothing touched: {error}")
        settings: dict[str, object] = dict(catalog)
        settings["outages"] = str(outages) if outages is not None else None
        self.progress(f"{stack}: preparing the workspace and its secrets")
        workspace.prepare(settings, secrets=secrets)
        try:
            refreshed = self.refresh_for_this_federation(workspace)
        except OpsError as error:
            return StackReport(stack, False, problem=str(error))
        begin = time.monotonic()
        self.progress(f"{stack}: pulumi up with the policy pack")
        outcome = workspace.up(
            config=pack_config, continue_on_error=True, progress=lambda line: self.progress(f"{stack}: {line}")
        )
        took = time.monotonic() - begin
        if not outcome.ok:
            blocked = "; ".join(f"[{v.policy}] {v.message}" for v in outcome.mandatory)
            why = (
                self.explain_lock(workspace, outcome)
                or (f"the policy pack refused it, nothing written: {blocked}" if blocked else "")
                or self.explain_failure(stack, outcome, unavailable)
            )
            return StackReport(
                stack, False, took, outcome.summary(), refreshed, f"pulumi up FAILED after {took:.0f} s: {why}"
            )
        report = StackReport(stack, True, took, outcome.summary(), refreshed)
        self.report(outcome.outputs, report)
        return report

    def run(
        self, stacks: Sequence[str], unavailable: Sequence[str] | None = None, jobs: int | None = None
    ) -> list[StackReport]:
        """Deploy the stacks (every local-* stack when none is named), ``jobs`` at a time (see :func:`default_jobs`).

        ``unavailable`` is the federation's outage state for this deploy, for every stack it deploys (an
        outage in one country changes where the others fail over); ``None`` keeps the committed one.
        Country stacks are independent (each its own namespace in every zone, its own state bucket, lock
        and engine; all of them place against the same federation plan), so they deploy concurrently;
        reports come back in stack order.
        """
        names = list(stacks) or self.settings.local_stack_names()
        secrets = self.secrets()
        outages = self.write_outages(unavailable) if unavailable is not None else None

        def one(stack: str) -> StackReport:
            marked = list(unavailable) if unavailable is not None else self.committed_outages(stack)
            return self.deploy(stack, marked, secrets, outages)

        workers = max(1, min(jobs or default_jobs(), len(names)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deploy") as pool:
            return list(pool.map(one, names))


def default_jobs() -> int:
    """Stacks deployed at once by default: two per core.

    An update spends much of its time waiting for the zones (rollouts, autoscalers), not on CPU: on two
    cores, the drill (its three stacks in each of four steps) took 118 s with two stacks at a time, 96 s
    with all three.
    """
    return 2 * (os.cpu_count() or 1)


def format_report(report: StackReport) -> list[str]:
    """The human lines of one stack's report."""
    if not report.ok:
        return [f"== {report.stack}: {report.problem}"]
    lines = []
    if report.refreshed:
        lines.append(f"== {report.stack}: state from an earlier federation refreshed ({report.refreshed})")
    lines.append(f"== {report.stack}: pulumi up with the policy pack in {report.seconds:.0f} s ({report.changes})")
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
