"""What placement produces: each site's placement, each zone's assignment, and the plan of an app.

Plain frozen data with no Pulumi import, read by components, the federation plan, what-if and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edgefed.core.inputs.appspec import AppSpec

Cause = Literal["outage", "configuration"]
Role = Literal["primary", "standby", "drained"]
Reason = Literal["outage", "residency", "restricted", "failover-none", "budget", "capacity", "gpu-model", "no-zone"]
"""Why a site is unserved (or has no failover): the categories the what-if report counts."""


class PlacementError(ValueError):
    """One or more sites cannot be served even with every zone up: the inputs must change."""


@dataclass(frozen=True, kw_only=True)
class SitePlacement:
    """Where one site is served, where it fails over, and why."""

    site: str
    """Site name."""
    country: str
    """The site's country."""
    primary: str | None
    """The in-country zone serving the site, or ``None`` when no zone of the country is usable."""
    primary_latency_ms: float | None
    """Estimated round-trip latency to ``primary``."""
    failover: str | None
    """The zone in another country that takes over, holding standby replicas, or ``None``."""
    failover_latency_ms: float | None
    """Estimated round-trip latency to ``failover``."""
    serving: str | None
    """The zone serving the site now: ``primary``, or ``failover`` during an outage."""
    explanation: str
    """One line saying why."""
    problem: str | None = None
    """Why the site is not served, if it is not."""
    cause: Cause | None = None
    """``outage`` (zones are down) or ``configuration`` (inputs must change), when unserved."""
    reason: Reason | None = None
    """The category of ``problem`` (or, for a site served without failover, of why it has none)."""
    full_zone: str | None = None
    """When capacity is the reason: the zone that would serve (or back up) the site if it had room."""

    @property
    def failed_over(self) -> bool:
        """True when the site is served across the border because its country's zones are down."""
        return self.serving is not None and self.serving != self.primary


@dataclass(frozen=True)
class ZoneAssignment:
    """What one app runs in one zone."""

    zone: str
    """Zone id."""
    country: str
    """Zone country (static: policies decide on it at preview time)."""
    operator: str
    """Zone operator (static, for the same reason)."""
    role: Role
    """``primary`` when the zone serves at least one site, ``standby`` when it only waits for failover,
    ``drained`` when the zone is unavailable: its objects stay declared with no replicas."""
    replicas: int
    """Replicas to run there."""
    sites: tuple[str, ...]
    """Sites served (primary) or covered (standby) by this zone."""
    drained_from: Literal["primary", "standby"] | None = None
    """For a drained zone, the role it has when every zone is up."""


@dataclass(frozen=True)
class Plan:
    """The placement of one app."""

    app: str
    """App name."""
    sites: tuple[SitePlacement, ...]
    """One entry per site, in site-name order."""
    zones: tuple[ZoneAssignment, ...]
    """One entry per zone used, in zone-id order."""

    @property
    def problems(self) -> list[SitePlacement]:
        """Sites that are not served, or served without the failover their app asks for."""
        return [s for s in self.sites if s.problem is not None]

    def raise_for_problems(self) -> None:
        """Raise :class:`PlacementError` if any site is unserved for a configuration reason."""
        bad = [s for s in self.problems if s.cause == "configuration"]
        if bad:
            lines = [f"app {self.app!r}: {len(bad)} site(s) cannot be served:"]
            lines += [f"  - site {s.site!r} ({s.country}): {s.problem}" for s in bad]
            raise PlacementError("\n".join(lines))

    def explain(self) -> list[str]:
        """One line per site."""
        return [s.explanation for s in self.sites]

    def to_dict(self) -> dict[str, object]:
        """Plain data for stack outputs and for the policy pack."""
        return {
            "app": self.app,
            "sites": {
                s.site: {
                    "country": s.country,
                    "primary": s.primary,
                    "primaryLatencyMs": _round(s.primary_latency_ms),
                    "failover": s.failover,
                    "failoverLatencyMs": _round(s.failover_latency_ms),
                    "serving": s.serving,
                    "failedOver": s.failed_over,
                    "explanation": s.explanation,
                    "problem": s.problem,
                    "reason": s.reason,
                }
                for s in self.sites
            },
            "zones": {
                z.zone: {
                    "country": z.country,
                    "operator": z.operator,
                    "role": z.role,
                    "drainedFrom": z.drained_from,
                    "replicas": z.replicas,
                    "sites": list(z.sites),
                }
                for z in self.zones
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class Request:
    """One app to place: its spec and the zones it may use (``None``: every zone of the catalog)."""

    spec: AppSpec
    """The app, with the sites to place."""
    zones: frozenset[str] | None = None
    """Zones the app may use; default every zone of the catalog."""
