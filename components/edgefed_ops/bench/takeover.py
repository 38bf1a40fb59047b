"""``edgefed bench --takeover``: kill a zone (or a country) under running watchers, N times, and time the takeover.

On the running local federation, with the tenants' stacks deployed: two watchers (FR and DE) per tenant of the
zone (every tenant whose stacks use it, each tenant's takeover at once, as when a shared zone dies) are
started as ``edgefed watch`` processes; each run kills the zone (or every zone of the country), lets the
watchers fail over, restarts it, and lets them fence it and fail back. A poller reads every zone's
Deployments of the tenants 4 times a second with each zone operator's credential. Per tenant and run:

- **detection**: from the kill to the leader's decision (the action log's ``decided``);
- **time to serve**: from the kill until every site that changed zone is served by its new zone with the
  full replicas (Ready, role primary), as the poller saw it;
- **deploy**: the ``pulumi up`` seconds of the first (urgent) stacks, from the action log;
- **two primaries**: the longest time one app had more primary zones serving than before the kill, from
  the restart until the fence is deployed (0 is the goal: the leader scales a returning zone's primaries
  to zero at once), and during the failback's deploy (the zone that served meanwhile hands over). A
  Deployment serves ``min(ready, spec.replicas)`` pods: scaled to zero, its terminating pods have left
  the Service's ready endpoints although they still report Ready;
- **failback deploy**: from a failback decision (the window passed, the fence deployed) to it deployed,
  the longest of the run's (a country fails back zone by zone);
- **back home**: from the restart to the failback deployed (the fence's ``up``, the window, the failback).

The summary gives, per tenant, each measure's 50th and 95th percentile and max over the runs, and whether the
fast path served each run (``--no-fast-path`` measures every takeover as a full `up`, the figure before it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from edgefed.core.inputs.catalog import Zone
from edgefed_ops.errors import OpsError
from edgefed_ops.failover.store import StoreClient
from edgefed_ops.failover.takeover_state import TakeoverState
from edgefed_ops.local.federation import LocalFederation
from edgefed_ops.local.zone_client import REFUSED, UNREACHABLE, ZoneClient
from edgefed_ops.settings import Settings

WATCHERS = ("fr", "de")


@dataclass
class Poller:
    """Every zone's ready primaries of the tenant, 4 times a second: (time, zone, namespace/app, ready, replicas)."""

    clients: dict[str, ZoneClient]
    tenants: tuple[str, ...]
    seen: list[tuple[float, str, str, int, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.time()
            for zone, client in self.clients.items():
                try:
                    found = client.deployments(labels={"edgefed.io/role": "primary"})
                except (REFUSED, *UNREACHABLE):
                    client.close()
                    continue
                for d in found:
                    # A Deployment scaled to zero serves nothing: its terminating pods leave the Service's
                    # ready endpoints at once, even while they still report Ready.
                    serving = min(d.ready, d.replicas)
                    if d.namespace.startswith(tuple(f"{t}-" for t in self.tenants)) and serving > 0:
                        self.seen.append((now, zone, f"{d.namespace}/{d.name}", serving, d.replicas))
            self._stop.wait(0.25)

    def start(self) -> None:
        """Poll in a thread until :meth:`stop`."""
        threading.Thread(target=self._run, name="poller", daemon=True).start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()

    def served(self, zone: str, app: str, after: float) -> float | None:
        """When ``zone`` first served ``app`` as primary with every replica ready, after ``after``."""
        return next((t for t, z, a, r, n in self.seen if t > after and z == zone and a == app and r >= n), None)

    def two_primaries(self, after: float, until: float, normal: dict[str, int]) -> float:
        """The longest time in (``after``, ``until``) during which an app had more primary zones than ``normal``."""
        rounds: dict[float, dict[str, set[str]]] = {}
        for t, zone, app, _, _ in self.seen:
            if after < t < until:
                rounds.setdefault(t, {}).setdefault(app, set()).add(zone)
        longest = began = 0.0
        for t in sorted(rounds):
            over = any(len(zones) > normal.get(app, 1) for app, zones in rounds[t].items())
            if over and not began:
                began = t
            if not over and began:
                longest, began = max(longest, t - began), 0.0
        return longest


def _start_watchers(
    settings: Settings, tenant: str, stabilization: float, folder: Path, fast_path: bool
) -> list[subprocess.Popen[bytes]]:
    started = []
    for name in WATCHERS:
        log = (folder / f"watch-{tenant}-{name}.log").open("w")
        work = str(folder / f"watch-{tenant}-{name}")
        command = [sys.executable, "-m", "edgefed_ops", "watch", "--tenant", tenant, "--name", name,
                   "--stabilization", f"{stabilization:g}", "--work", work]  # fmt: skip
        if not fast_path:
            command.append("--no-fast-path")
        started.append(
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=settings.root)
        )
    return started


def _wait(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise OpsError(f"bench --takeover: {what} did not happen within {timeout:g} s")


def _normal(poller: Poller, after: float) -> dict[str, int]:
    """Per app, how many zones served it as primary in the last poll before ``after``."""
    last = max((t for t, *_ in poller.seen if t < after), default=0.0)
    out: dict[str, int] = {}
    for t, _, app, _, _ in poller.seen:
        if t == last:
            out[app] = out.get(app, 0) + 1
    return out


def _every(state: TakeoverState, logged: int, kind: str, ids: set[str]) -> list[dict[str, Any]] | None:
    """The run's entries of ``kind`` in a tenant's log, once there is one for each zone killed."""
    found = [e for e in state.log()[logged:] if e["kind"] == kind and e["zone"] in ids]
    return found if {e["zone"] for e in found} == ids else None


def one_run(
    federation: LocalFederation,
    states: dict[str, TakeoverState],
    poller: Poller,
    zones: Sequence[Zone],
    stabilization: float,
) -> dict[str, dict[str, Any]]:
    """Kill ``zones``, wait for each tenant's failover, restart them, wait for the failbacks; the measures by tenant."""
    ids = {z.id for z in zones}
    logged = {tenant: len(state.log()) for tenant, state in states.items()}
    normal = _normal(poller, time.time())
    killed = time.time()
    for zone in zones:
        federation.stop_zone(zone)
    failovers = {
        tenant: _wait(f"{tenant}'s failover", partial(_every, state, logged[tenant], "fail over", ids), 300)[-1]
        for tenant, state in states.items()
    }
    restarted = time.time()
    federation.start_zones(zones)
    out = {}
    for tenant, state in states.items():
        failover = failovers[tenant]
        # Every site the failover serves, each in the zone the plan now says, seen whole by the poller: the
        # sites that did not move count from the first poll, so the slowest moved site decides.
        serving = [s for s in failover["sites"] if s["serving"]]
        served = [
            poller.served(s["serving"], f"{s['stack'].removeprefix('local-')}/{s['app']}", killed) for s in serving
        ]
        serve = max((t - killed for t in served if t is not None), default=float("nan"))
        if any(t is None for t in served):
            serve = float("nan")  # a site never seen served whole: no figure rather than a wrong one
        backs = _wait(
            f"{tenant}'s failback",
            partial(_every, state, logged[tenant], "fail back", ids),
            300 + len(ids) * (stabilization + 120),
        )
        fences = _every(state, logged[tenant], "fence", ids) or [{"done": restarted}]
        fast = failover.get("fastPath") or {}
        out[tenant] = {
            "zones": sorted(ids),
            "detection": failover["decided"] - killed,
            "timeToServe": serve,
            "fastPath": "taken" if fast.get("arrived") else f"not taken: {fast.get('notTaken') or 'off'}",
            "urgentUp": min((s["seconds"] for s in failover["stacks"]), default=0.0),
            "unserved": [
                f"{s['stack']}/{s['app']} {s['site']}: {s['problem']}" for s in failover["sites"] if not s["serving"]
            ],
            "twoPrimariesReturn": poller.two_primaries(restarted, max(f["done"] for f in fences), normal),
            "twoPrimariesFailback": max(poller.two_primaries(b["decided"], b["done"] + 1, normal) for b in backs),
            "failbackDeploy": max(b["done"] - b["decided"] for b in backs),
            "backHome": max(b["done"] for b in backs) - restarted,
        }
    return out


def _leader(state: TakeoverState) -> object:
    return state.client.leader(state.election)


def _all_back(state: TakeoverState) -> bool:
    return not state.zones() and state.pending() is None


def tenants_of(settings: Settings, zones: Sequence[Zone]) -> list[str]:
    """Every tenant of the local family whose stacks use one of ``zones``."""
    from edgefed_ops.stack.local_stacks import LocalStacks

    stacks = LocalStacks(settings)
    ids = {z.id for z in zones}
    return [
        tenant
        for tenant in stacks.local_tenants()
        if any(
            ids & set(stacks.zones(s)) for s in settings.app_stack_names(local=True) if s.startswith(f"local-{tenant}-")
        )
    ]


KEYS = ("detection", "timeToServe", "urgentUp", "twoPrimariesReturn", "twoPrimariesFailback", "failbackDeploy",
        "backHome")  # fmt: skip


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (linear between the closest ranks; nan values left out)."""
    known = sorted(v for v in values if v == v)
    if not known:
        return float("nan")
    rank = share * (len(known) - 1)
    low = int(rank)
    high = min(low + 1, len(known) - 1)
    return known[low] + (known[high] - known[low]) * (rank - low)


def run(
    settings: Settings, tenants: Sequence[str], zones: Sequence[Zone], runs: int, stabilization: float,
    progress: Callable[[str], None] = print, fast_path: bool = True,
) -> list[str]:  # fmt: skip
    """The benchmark's lines: per tenant, each run's measures, then each measure's p50, p95 and max."""
    federation = LocalFederation(settings, progress=progress)
    client = StoreClient(federation.watch_store.endpoints(), timeout=3)
    states = {tenant: TakeoverState(client, tenant) for tenant in tenants}
    folder = settings.root / ".state" / "bench-takeover"
    folder.mkdir(parents=True, exist_ok=True)
    clients = {z.id: ZoneClient(federation.zone_dir(z.id) / "operator.kubeconfig", timeout=1)
               for z in federation.catalog.zones}  # fmt: skip
    poller = Poller(clients, tuple(tenants))
    watchers = [w for tenant in tenants for w in _start_watchers(settings, tenant, stabilization, folder, fast_path)]
    results: list[dict[str, dict[str, Any]]] = []
    try:
        for tenant, state in states.items():
            _wait(f"a leader of {tenant}", partial(_leader, state), 60)
            # An earlier outage (a run cut short) fails back first: each run starts from every zone serving.
            _wait(f"every zone back for {tenant}", partial(_all_back, state), 600 + 120 * len(zones))
        poller.start()
        time.sleep(12)  # every watcher has probed every zone; every leader has judged the outages' slices
        for attempt in range(1, runs + 1):
            progress(f"==> bench --takeover run {attempt}/{runs}: {', '.join(z.id for z in zones)} killed")
            results.append(one_run(federation, states, poller, zones, stabilization))
    finally:
        poller.stop()
        for watcher in watchers:
            os.killpg(watcher.pid, signal.SIGTERM)
        for watcher in watchers:
            watcher.wait(timeout=60)
    path = "fast path on" if fast_path else "fast path off (--no-fast-path): every takeover a full `up`"
    lines = [f"takeover of {', '.join(z.id for z in zones)} for {', '.join(tenants)} at once, {runs} run(s), "
             f"stabilization {stabilization:g} s, watchers {', '.join(WATCHERS)} per tenant (interval 1 s, "
             f"3 failures), {path}"]  # fmt: skip
    for tenant in tenants:
        mine = [r[tenant] for r in results]
        lines.append(f"== {tenant}")
        for i, r in enumerate(mine, 1):
            lines.append(
                f"   run {i}: " + ", ".join(f"{k} {r[k]:.1f} s" for k in KEYS) + f"; fast path {r['fastPath']}"
            )
            lines += [f"      unserved by rule: {u}" for u in r["unserved"]]
        for k in KEYS:
            values = [r[k] for r in mine]
            lines.append(
                f"   {k:20} p50 {percentile(values, 0.5):5.1f} s, p95 {percentile(values, 0.95):5.1f} s, "
                f"max {max(values):5.1f} s"
            )
    return lines
