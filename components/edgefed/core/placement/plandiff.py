"""Placement diff between two revisions of the federation (a pull request's base and head).

Pure, no Pulumi import: it compares two federation plans and their what-if results. Per site, where it is
served and where it fails over, before and after, with the head's explanation, and whether the site moved
although nothing of its own (its app spec, its stack) changed: then another change moved it, which a
reviewer must see. Per zone, its reserved use before and after. And the what-if gaps and overcommits the
head has that the base did not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edgefed.core.placement.federation import FederationPlan, Member
from edgefed.core.placement.whatif import ScenarioResult

SiteKey = tuple[str, str, str]
"""(stack, app, site)."""


@dataclass(frozen=True)
class SiteChange:
    """One site whose placement differs between the revisions (or that exists in one only)."""

    stack: str
    app: str
    site: str
    before: tuple[str | None, str | None] | None
    """(serving zone, failover zone) in the base; None when the site is new."""
    after: tuple[str | None, str | None] | None
    """The same in the head; None when the site is gone."""
    why: str
    """The head's explanation (or the base's, for a site that is gone)."""
    moved_by_other_change: bool
    """Its app spec and its stack are the same in both revisions: something else moved it."""


@dataclass(frozen=True)
class ZoneChange:
    """A zone whose reserved use differs."""

    zone: str
    before: tuple[float, float, dict[str, int]]
    """(cores, GiB, GPUs by model) in the base."""
    after: tuple[float, float, dict[str, int]]


@dataclass(frozen=True)
class Gap:
    """A what-if finding of the head: a site meant to survive that does not, or a zone that overflows."""

    scenario: str
    what: str


@dataclass(frozen=True)
class PlanDiff:
    """Everything a reviewer needs about placement in one pull request."""

    sites: tuple[SiteChange, ...]
    zones: tuple[ZoneChange, ...]
    new_gaps: tuple[Gap, ...]
    problems: tuple[str, ...]
    """The head's federation plan problems (overcommitted shared zones, unservable sites)."""

    @property
    def ok(self) -> bool:
        """No problem in the head and no new N-1 gap."""
        return not self.problems and not self.new_gaps


def _sites(plans: Sequence[FederationPlan]) -> dict[SiteKey, tuple[tuple[str | None, str | None], str]]:
    out = {}
    for plan in plans:
        for stack, apps in plan.plans.items():
            for app, app_plan in apps.items():
                for s in app_plan.sites:
                    out[(stack, app, s.site)] = ((s.serving, s.failover), s.explanation)
    return out


def _members(plans: Sequence[FederationPlan]) -> dict[str, Member]:
    return {m.stack: m for plan in plans for m in plan.federation.members}


def _unchanged(key: SiteKey, base: dict[str, Member], head: dict[str, Member]) -> bool:
    stack, app, _ = key
    if stack not in base or stack not in head or base[stack].config != head[stack].config:
        return False
    spec = {s.name: s for s in base[stack].specs}.get(app)
    return spec is not None and spec == {s.name: s for s in head[stack].specs}.get(app)


def _use(plans: Sequence[FederationPlan]) -> dict[str, tuple[float, float, dict[str, int]]]:
    return {u.zone.id: (round(u.cpu, 3), round(u.memory_gib, 3), dict(u.gpus)) for plan in plans for u in plan.zones}


def _gaps(results: Sequence[ScenarioResult]) -> set[Gap]:
    out = {Gap(r.scenario.name, f"{s.stack}/{s.app} {s.site} unserved ({s.reason})") for r in results for s in r.gaps}
    out |= {
        Gap(r.scenario.name, f"zone {o.zone} overcommitted by {', '.join(o.takers)}")
        for r in results
        for o in r.overcommitted
    }
    return out


def diff(
    base: Sequence[FederationPlan],
    head: Sequence[FederationPlan],
    base_what_if: Sequence[ScenarioResult],
    head_what_if: Sequence[ScenarioResult],
) -> PlanDiff:
    """The placement diff from ``base`` to ``head`` (each: the plans of every federation of a revision)."""
    before, after = _sites(base), _sites(head)
    base_members, head_members = _members(base), _members(head)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old[0] == new[0]:
            continue
        known = new or old
        why = known[1] if known is not None else ""
        moved = old is not None and new is not None and _unchanged(key, base_members, head_members)
        changes.append(SiteChange(*key, old[0] if old else None, new[0] if new else None, why, moved))
    old_use, new_use = _use(base), _use(head)
    empty: tuple[float, float, dict[str, int]] = (0.0, 0.0, {})
    zones = tuple(
        ZoneChange(z, old_use.get(z, empty), new_use.get(z, empty))
        for z in sorted(old_use.keys() | new_use.keys())
        if old_use.get(z, empty) != new_use.get(z, empty)
    )
    new_gaps = tuple(sorted(_gaps(head_what_if) - _gaps(base_what_if), key=lambda g: (g.scenario, g.what)))
    problems = tuple(p.message for plan in head for p in plan.problems)
    return PlanDiff(tuple(changes), zones, new_gaps, problems)


def mermaid(plans: Sequence[FederationPlan]) -> list[str]:
    """A mermaid graph of the zones (grouped by country) and the failover edges of the plans."""
    lines = ["```mermaid", "graph LR"]
    zones = {u.zone.id: u for plan in plans for u in plan.zones if u.claims}
    by_country: dict[str, list[str]] = {}
    for zone_id, use in sorted(zones.items()):
        by_country.setdefault(use.zone.country, []).append(zone_id)
    node = {zone_id: f"z{i}" for i, zone_id in enumerate(sorted(zones))}
    for country, ids in sorted(by_country.items()):
        lines.append(f"  subgraph {country}")
        for zone_id in ids:
            cap = zones[zone_id].zone.capacity
            lines.append(f'    {node[zone_id]}["{zone_id}<br/>cpu {zones[zone_id].cpu:g}/{cap.cpu:g}"]')
        lines.append("  end")
    edges: dict[tuple[str, str], set[str]] = {}
    for plan in plans:
        for apps in plan.plans.values():
            for app, app_plan in apps.items():
                for s in app_plan.sites:
                    if s.primary and s.failover and s.primary in node and s.failover in node:
                        edges.setdefault((s.primary, s.failover), set()).add(app)
    for (src, dst), names in sorted(edges.items()):
        lines.append(f"  {node[src]} -->|{', '.join(sorted(names))}| {node[dst]}")
    lines.append("```")
    return lines
