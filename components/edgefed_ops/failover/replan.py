"""Which of a tenant's stacks an outage decision touches: the federation plan before and after it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edgefed.core.placement.federation import Federation, plan_federation
from edgefed.core.placement.plan import Plan


@dataclass(frozen=True)
class Replan:
    """The stacks to update for a new outage state."""

    changed: tuple[str, ...]
    """Stacks whose slice of the federation plan differs (a zone's role, replicas or site changes)."""
    urgent: tuple[str, ...]
    """Of them, those in which a site changes the zone serving it (deployed first)."""


def _serving(plans: dict[str, Plan]) -> set[tuple[str, str, str | None]]:
    return {(app, site.site, site.serving) for app, plan in plans.items() for site in plan.sites}


def replan(federation: Federation, stacks: Sequence[str], before: Iterable[str], after: Iterable[str]) -> Replan:
    """Compare the plans of ``stacks`` with the zones ``before`` and ``after`` unavailable."""
    old, new = plan_federation(federation, before), plan_federation(federation, after)
    changed = tuple(s for s in stacks if old.slice(s) != new.slice(s))
    urgent = tuple(s for s in changed if _serving(old.slice(s)) != _serving(new.slice(s)))
    return Replan(changed, urgent)
