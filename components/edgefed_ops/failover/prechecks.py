"""The N-1 slices of a tenant's federation plan, judged by the policy pack before any outage happens.

Each single-zone outage of the tenant's zones and each loss of a whole country (with more than one of its
zones) re-plans the tenant's federation; every stack whose slice changes is judged by the pack's
policies (the same objects the engine loads, run in-process as ``edgefed audit`` runs them) over exactly
the objects the stack would register under that outage (:func:`edgefed.core.objects.manifests.app_objects`)
and its zones' providers with the tenant's kubeconfigs. The verdicts are kept in the watchers' store under
a fingerprint of everything the plan and the pack depend on (the tenant's stack files, the catalog, the
contracts, the app specs, the pack config and edgefed's rule code): a change to any of them makes every
verdict stale, and the leader judges the outages again (in well under a second).

The takeover's fast path (:mod:`edgefed_ops.failover.fast_path`) applies only to an outage whose slice
was judged, and passed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable

from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.objects.manifests import type_token
from edgefed.core.placement.federation import Federation, FederationPlan, plan_federation
from edgefed_ops.failover.fast_path import slice_manifests
from edgefed_ops.failover.replan import replan
from edgefed_ops.failover.takeover_state import TakeoverState
from edgefed_ops.failover.watch_config import TenantScope
from edgefed_ops.reports import evidence
from edgefed_ops.stack.events import StateResource

PROVIDER_TYPE = "pulumi:providers:kubernetes"


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
    """A tenant's N-1 verdicts: made by the leader, read by the fast path."""

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
        """Why the fast path may not apply to this outage (``None``: its slice was judged and passed)."""
        key = f"{self.prefix}{fingerprint or self.fingerprint()}/{scenario_key(down)}"
        found = self.state.client.get(key)
        if found is None:
            return f"the slice of outage {scenario_key(down)} was not judged by the pack beforehand"
        outcome = json.loads(found)
        return None if outcome["ok"] else f"its slice did not pass the pack: {outcome['why']}"

    def ensure(self, federation: Federation) -> int:
        """Judge every outage not judged yet under today's fingerprint; how many were judged now."""
        fingerprint = self.fingerprint()
        done = self.state.client.range(f"{self.prefix}{fingerprint}/")
        todo = [d for d in scenarios(self.scope) if f"{self.prefix}{fingerprint}/{scenario_key(d)}" not in done]
        refused = [scenario_key(down) for down in todo if not self.check(federation, down, fingerprint)]
        if todo:
            self.progress(
                f"judged {len(todo)} outage slice(s) with the pack: "
                + (f"REFUSED {', '.join(refused)}" if refused else "all passed")
            )
        return len(todo)

    def check(self, federation: Federation, down: frozenset[str], fingerprint: str) -> bool:
        """Judge every stack whose slice the outage changes; record the verdict."""
        moved = replan(federation, self.scope.stacks, (), down)
        after = moved.after or plan_federation(federation, down)
        failed = []
        for stack in moved.changed:
            violations = evidence.run_rules(
                self._resources(after, stack),
                self.scope.deploy.stacks.catalog_settings()[1],
                self.scope.deploy.settings.rules_root,
            )
            failed += [f"{stack}: {v.policy}: {v.message}" for v in violations]
        verdict = {"ok": not failed, "stacks": list(moved.changed), "why": " | ".join(failed)}
        self.state.client.put(f"{self.prefix}{fingerprint}/{scenario_key(down)}", json.dumps(verdict))
        return not failed

    def _resources(self, plan: FederationPlan, stack: str) -> list[StateResource]:
        """The stack's objects under the outage, each with its zone's provider and the tenant's kubeconfig."""
        found: list[StateResource] = []
        providers: dict[str, str] = {}
        for zone, app, suffix, manifest in slice_manifests(plan, stack):
            if zone not in providers:
                urn = f"urn:pulumi:{stack}::edgefed::{PROVIDER_TYPE}::{zone}-provider"
                kubeconfig = self.scope.kubeconfig(zone).read_text()
                found.append(
                    StateResource(urn, PROVIDER_TYPE, {"clusterIdentifier": zone, "kubeconfig": kubeconfig}, "")
                )
                providers[zone] = urn
            kind = type_token(manifest["apiVersion"], manifest["kind"])
            urn = f"urn:pulumi:{stack}::edgefed::{kind}::{app}-{zone}-{suffix}"
            found.append(StateResource(urn, kind, manifest, providers[zone]))
        return found
