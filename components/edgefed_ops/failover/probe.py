"""One watcher's probe of one zone: whether it serves the tenant now.

A zone passes when, within the probe's timeout:

- its API server answers a read of the tenant's namespace there with the tenant's own identity (the API
  server is up, authenticates the tenant's home-operator token, authorizes it, and reads its storage);
- where the watcher holds the zone operator's credential (the zones of the operator that runs it), at
  least one node is Ready: partners' nodes are theirs to watch, and are not visible to the tenant;
- the catalog does not give the zone's CAMARA ``edgeCloudZoneStatus`` as anything but ``active``.

Anything else fails the probe, with the reason: an answer that is not a success is not health.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edgefed.core.inputs.catalog import Zone
from edgefed_ops.local.zone_client import REFUSED, UNREACHABLE, ZoneClient


@dataclass(frozen=True)
class ProbeResult:
    """A probe's verdict and, when it failed, why."""

    ok: bool
    why: str = ""


@dataclass
class ZoneProbe:
    """The probe of one zone for one tenant."""

    zone: Zone
    namespace: str
    """A namespace of the tenant in the zone (its stacks' objects live there)."""
    tenant: ZoneClient
    operator: ZoneClient | None = None
    """The zone operator's client when the watcher runs for that operator; ``None`` otherwise."""

    @classmethod
    def of(cls, zone: Zone, namespace: str, tenant: Path, operator: Path | None, timeout: float) -> ZoneProbe:
        """A probe reading ``zone`` with the tenant's kubeconfig (and the operator's, when held)."""
        return cls(
            zone, namespace, ZoneClient(tenant, timeout=timeout),
            ZoneClient(operator, timeout=timeout) if operator else None,
        )  # fmt: skip

    def run(self) -> ProbeResult:
        """Probe once."""
        if self.zone.status != "active":
            return ProbeResult(False, f"the catalog gives its CAMARA status as {self.zone.status}")
        try:
            self.tenant.deployments(self.namespace)
        except REFUSED as error:
            return ProbeResult(False, f"its API server refuses the tenant's read ({error.status.code})")
        except UNREACHABLE as error:
            self.close()
            return ProbeResult(False, f"its API server does not answer ({type(error).__name__})")
        if self.operator is None:
            return ProbeResult(True)
        try:
            ready = self.operator.ready_nodes()
        except (REFUSED, *UNREACHABLE) as error:
            self.close()
            return ProbeResult(False, f"its nodes cannot be read ({type(error).__name__})")
        return ProbeResult(True) if ready else ProbeResult(False, "no node is Ready")

    def close(self) -> None:
        """Drop the connections (the next probe reconnects: a restarted zone has a new server)."""
        self.tenant.close()
        if self.operator is not None:
            self.operator.close()
