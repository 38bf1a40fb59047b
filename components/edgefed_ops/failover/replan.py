"""Which of a tenant's stacks an outage decision touches: the federation plan before and after it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edgefed.core.placement.federation import Federation, FederationPlan, plan_federation
from edgefed.core.placement.plan import Plan


@dataclass(frozen=True)
class Replan:
    """The stacks to update for a new outage state."""

    changed: tuple[str, ...]
    """Stacks whose slice of the federation plan differs (a zone's role, replicas or site changes)."""
    urgent: tuple[str, ...]
    """Of them, those in which a site changes the zone serving it (deployed first)."""
    handovers: tuple[Handover, ...] = ()
    """Apps whose primary moves to another zone while the plan drops the old one (the zone that served
    during an outage, at failback): the engine deletes it only at the end of the update."""
    before: FederationPlan | None = None
    """The federation plan before the decision."""
    after: FederationPlan | None = None
    """The federation plan after it."""


@dataclass(frozen=True)
class Handover:
    """One app of one stack whose primary zones change."""

    stack: str
    app: str
    leaving: tuple[str, ...]
    """Zones primary before that the plan no longer has at all (a zone demoted to standby or drained is
    updated by the engine before the promoted one, in the same update: no overlap to end)."""
    arriving: tuple[str, ...]
    """Zones primary after and not before."""


def _primaries(plan: Plan) -> set[str]:
    return {a.zone for a in plan.zones if a.role == "primary"}


def _serving(plans: dict[str, Plan]) -> set[tuple[str, str, str | None]]:
    return {(app, site.site, site.serving) for app, plan in plans.items() for site in plan.sites}


def replan(federation: Federation, stacks: Sequence[str], before: Iterable[str], after: Iterable[str]) -> Replan:
    """Compare the plans of ``stacks`` with the zones ``before`` and ``after`` unavailable."""
    old, new = plan_federation(federation, before), plan_federation(federation, after)
    changed = tuple(s for s in stacks if old.slice(s) != new.slice(s))
    urgent = tuple(s for s in changed if _serving(old.slice(s)) != _serving(new.slice(s)))
    handovers = []
    for stack in changed:
        before_plans, after_plans = old.slice(stack), new.slice(stack)
        for app in sorted(set(before_plans) & set(after_plans)):
            was, now = _primaries(before_plans[app]), _primaries(after_plans[app])
            dropped = was - {a.zone for a in after_plans[app].zones}
            if dropped and now - was:
                handovers.append(Handover(stack, app, tuple(sorted(dropped)), tuple(sorted(now - was))))
    return Replan(changed, urgent, tuple(handovers), old, new)
