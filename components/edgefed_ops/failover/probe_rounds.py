"""A watcher's probes: every zone of the tenant once per round, the streaks published in the watchers' store."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from edgefed_ops.failover.probe import ZoneProbe
from edgefed_ops.failover.takeover_state import Seen, TakeoverState
from edgefed_ops.failover.watch_config import TenantScope, WatchConfig
from edgefed_ops.local.files import write_private

CREDENTIALS_SECONDS = 600.0
"""How long the probes keep their kubeconfigs before the tenant's token is read again (it rotates)."""


@dataclass
class _Streak:
    ok: bool = True
    count: int = 0
    why: str = ""


class ProbeRounds:
    """One watcher's probes of the tenant's zones and its streak for each."""

    def __init__(self, scope: TenantScope, config: WatchConfig, state: TakeoverState) -> None:
        self.scope, self.config, self.state = scope, config, state
        self._streaks = {zone: _Streak() for zone in scope.zones}
        self._probes: dict[str, ZoneProbe] = {}
        self._made = 0.0

    def probes(self) -> dict[str, ZoneProbe]:
        """One probe per zone, made again once their credentials are ``CREDENTIALS_SECONDS`` old."""
        if not self._probes or time.monotonic() - self._made > CREDENTIALS_SECONDS:
            self.close()
            federation = self.scope.deploy.federation
            for zone, namespace in self.scope.zones.items():
                entry = federation.catalog.zone(zone)
                operator = federation.zone_dir(zone) / "operator.kubeconfig"
                own = entry.operator == self.config.operator and operator.exists()
                tenant = self.scope.kubeconfig(zone)
                route = dict(self.config.routes).get(zone)
                if route:
                    tenant = _routed(tenant, route)
                self._probes[zone] = ZoneProbe.of(
                    entry, namespace, tenant, operator if own else None, self.config.probe_timeout
                )
            self._made = time.monotonic()
        return self._probes

    def run(self, lease: int | None) -> list[Seen]:
        """Probe every zone once and publish this watcher's streaks (bound to its lease, when it has one)."""
        out = []
        for zone, probe in self.probes().items():
            result = probe.run()
            streak = self._streaks[zone]
            streak.count = streak.count + 1 if streak.ok == result.ok else 1
            streak.ok, streak.why = result.ok, result.why
            seen = Seen(self.config.name, zone, result.ok, streak.count, time.time(), result.why)
            self.state.publish(seen, lease)
            out.append(seen)
        return out

    def close(self) -> None:
        """Close every probe's connections."""
        for probe in self._probes.values():
            probe.close()
        self._probes = {}


def _routed(kubeconfig: Path, server: str) -> Path:
    """A copy of ``kubeconfig`` (mode 0600, beside it) whose cluster is reached at ``server``."""
    document = yaml.safe_load(kubeconfig.read_text())
    for cluster in document.get("clusters") or []:
        cluster["cluster"]["server"] = server
    routed = kubeconfig.with_name(f"{kubeconfig.stem}.routed.kubeconfig")
    write_private(routed, yaml.safe_dump(document, sort_keys=False))
    return routed
