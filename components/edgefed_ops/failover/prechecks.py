"""The N-1 slices of a tenant's federation plan, previewed with the policy pack before any outage happens.

Each single-zone outage of the tenant's zones and each loss of a whole country (with more than one of its
zones) re-plans the tenant's federation; every stack whose slice changes is previewed with the pack, its
manifests rendered (no zone is touched, no credential needed), under that outage. The verdicts are kept in
the watchers' store under a fingerprint of everything the plan and the pack depend on (the tenant's
stack files, the catalog, the contracts, the app specs, the pack config and edgefed's rule code): a change
to any of them makes every verdict stale, and the leading watcher checks again while nothing else runs.

The takeover's fast path (:mod:`edgefed_ops.failover.fast_path`) applies only to an outage whose slice
was checked, and passed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable

import yaml

from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.placement.federation import Federation
from edgefed_ops.failover.replan import replan
from edgefed_ops.failover.takeover_state import TakeoverState
from edgefed_ops.failover.watch_config import TenantScope
from edgefed_ops.stack import operations
from edgefed_ops.stack.workspace import StackWorkspace


def scenarios(scope: TenantScope) -> list[frozenset[str]]:
    """Every single zone of the tenant, and every country of more than one of its zones, as an outage."""
    catalog = load_catalog(scope.deploy.settings.local_catalog)
    zones = sorted(scope.zones)
    by_country: dict[str, list[str]] = {}
    for zone in zones:
        by_country.setdefault(catalog.zone(zone).country, []).append(zone)
    out = [frozenset([zone]) for zone in zones]
    out += [frozenset(members) for _, members in sorted(by_country.items()) if len(members) > 1]
    return out


def scenario_key(down: Iterable[str]) -> str:
    """The store key of an outage: its zones, sorted and joined."""
    return ",".join(sorted(down))


class PreChecks:
    """A tenant's N-1 previews: run them (the leader, when idle), and say whether an outage's slice passed."""

    def __init__(self, scope: TenantScope, state: TakeoverState, progress: Callable[[str], None]) -> None:
        self.scope, self.state, self.progress = scope, state, progress
        self.prefix = f"{state.prefix}prechecked/"

    def fingerprint(self) -> str:
        """A digest of every file the tenant's plan and the pack's verdicts depend on."""
        settings = self.scope.deploy.settings
        root = settings.root
        files = [root / "stacks" / f"Pulumi.{stack}.yaml" for stack in self.scope.stacks]
        files += [settings.local_catalog, self.scope.deploy.stacks.catalog_settings()[1]]
        files += sorted((root / "stacks" / "apps").glob("*.yaml"))
        files += sorted((root / "stacks" / "tenants").rglob("*.yaml"))
        files += sorted((root / "components" / "edgefed").rglob("*.py"))
        files += sorted((root / "components" / "edgefed").rglob("*.yaml"))
        digest = hashlib.sha256()
        for path in files:
            digest.update((str(path.relative_to(root)) if path.is_relative_to(root) else path.name).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def verdict(self, down: Iterable[str], fingerprint: str | None = None) -> str | None:
        """Why the fast path may not apply to this outage (``None``: its slice was previewed and passed)."""
        key = f"{self.prefix}{fingerprint or self.fingerprint()}/{scenario_key(down)}"
        found = self.state.client.get(key)
        if found is None:
            return f"the slice of outage {scenario_key(down)} was not checked with the pack beforehand"
        outcome = json.loads(found)
        return None if outcome["ok"] else f"its slice did not pass the pack: {outcome['why']}"

    def pending(self, fingerprint: str) -> list[frozenset[str]]:
        """The outages whose slice is not checked yet under ``fingerprint``."""
        done = self.state.client.range(f"{self.prefix}{fingerprint}/")
        return [
            down for down in scenarios(self.scope) if f"{self.prefix}{fingerprint}/{scenario_key(down)}" not in done
        ]

    def check(self, federation: Federation, down: frozenset[str], fingerprint: str) -> bool:
        """Preview every stack whose slice the outage changes, rendered, with the pack; record the verdict."""
        moved = replan(federation, self.scope.stacks, (), down)
        failed = []
        for stack in moved.changed:
            outcome = operations.preview(
                self._workspace(stack, down), config=self.scope.deploy.stacks.catalog_settings()[1]
            )
            if not outcome.ok:
                reasons = [f"{v.policy}: {v.message}" for v in outcome.violations] or outcome.errors
                failed.append(f"{stack}: {'; '.join(reasons) or outcome.output[-300:]}")
        verdict = {"ok": not failed, "stacks": list(moved.changed), "why": " | ".join(failed)}
        self.state.client.put(f"{self.prefix}{fingerprint}/{scenario_key(down)}", json.dumps(verdict))
        return not failed

    def _workspace(self, stack: str, down: frozenset[str]) -> StackWorkspace:
        deploy = self.scope.deploy
        settings = deploy.settings.with_work(deploy.settings.work / "prechecks")
        settings.work.mkdir(parents=True, exist_ok=True)
        outages = settings.work / f"outages-{stack}.yaml"
        outages.write_text(yaml.safe_dump({"unavailable_zones": sorted(down)}))
        catalog, _ = deploy.stacks.catalog_settings()
        values = {
            **catalog,
            "renderYamlTo": str(settings.work / "render" / stack),
            "buckets": False,
            "outages": str(outages),
        }
        workspace = StackWorkspace(settings, stack)
        workspace.prepare(values)
        return workspace

    def run(self, federation: Callable[[], Federation], leads: Callable[[], bool], stop: threading.Event) -> None:
        """Check outages one at a time while this watcher leads and no deploy is pending; until ``stop``."""
        while not stop.wait(2.0):
            if not leads() or self.state.pending() is not None:
                continue
            fingerprint = self.fingerprint()
            todo = self.pending(fingerprint)
            if not todo:
                continue
            down = todo[0]
            ok = self.check(federation(), down, fingerprint)
            self.progress(f"prechecked outage {scenario_key(down)}: {'passed' if ok else 'REFUSED by the pack'}")
