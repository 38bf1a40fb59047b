"""What one watcher watches and how: its settings, and the tenant's stacks and zones on the local federation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edgefed_ops.errors import OpsError
from edgefed_ops.failover.health import HealthRules
from edgefed_ops.stack.deploy import LocalDeploy


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
    fast_path: bool = True
    """Promote the warm standbys the plan names through the zones' APIs before `up` records it (when the
    outage's slice was pre-checked). Default on: it is what serves a lost zone's sites within seconds."""


class TenantScope:
    """A tenant's local stacks, the zones they use (each with a namespace of the tenant) and its credential."""

    def __init__(self, deploy: LocalDeploy, tenant: str) -> None:
        self.deploy, self.tenant = deploy, tenant
        prefix = f"local-{tenant}-"
        self.stacks = [s for s in deploy.settings.app_stack_names(local=True) if s.startswith(prefix)]
        if not self.stacks:
            raise OpsError(f"watch: tenant {tenant!r} has no local stack ({prefix}<cc>)")
        self.zones: dict[str, str] = {}
        """Each zone the tenant's stacks use, with a namespace of the tenant there."""
        for stack in self.stacks:
            for zone in deploy.stacks.zones(stack):
                self.zones.setdefault(zone, namespace_of(stack))

    def users_of(self, zone: str) -> list[str]:
        """The tenant's stacks that use ``zone``."""
        return [stack for stack in self.stacks if zone in self.deploy.stacks.zones(stack)]

    def kubeconfig(self, zone: str) -> Path:
        """The tenant's own kubeconfig for ``zone`` (its identity from its home operator's issuer)."""
        stacks = self.deploy.stacks
        return stacks.identities.kubeconfig(stacks.contract(self.stacks[0]), zone)


def namespace_of(stack: str) -> str:
    """A tenant stack's namespace in every zone it uses (``local-acme-fr``: ``acme-fr``)."""
    return stack.removeprefix("local-")
