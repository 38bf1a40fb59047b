"""The placement plan of country stacks, without deploying anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from edgefed.errors import ConfigError
from edgefed.placement import PlacementError, place_all, plans_as_data
from edgefed.stackconfig import load_stack, raw_from_stack_file
from edgefed_ops.settings import Settings


@dataclass
class StackPlan:
    """One stack's plan, or why it has none."""

    stack: str
    country: str = ""
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    configuration_problem: bool = False


def plan_stack(settings: Settings, stack: str, unavailable: Sequence[str] = ()) -> StackPlan:
    """Validate a stack's config, catalog and apps and place its sites."""
    out = StackPlan(stack)
    try:
        raw = raw_from_stack_file(settings.root / "stacks" / f"Pulumi.{stack}.yaml")
        config, catalog, specs = load_stack(raw, [], settings.root, stack)
        plans = place_all(catalog, specs, [*config.unavailable_zones, *unavailable], zones=config.zones)
    except (ConfigError, PlacementError) as exc:
        out.error = str(exc)
        return out
    out.country = config.country
    out.data = plans_as_data(plans)
    out.lines.append(f"== stack {stack} ({config.country}): {len(specs)} app(s), {len(config.zones)} zone(s)")
    for plan in plans.values():
        out.lines.append(f"  app {plan.app}")
        out.lines += [f"    {line}" for line in plan.explain()]
        for z in plan.zones:
            out.lines.append(f"    zone {z.zone:32} {z.country} {z.role:8} x{z.replicas}  sites: {', '.join(z.sites)}")
        for problem in plan.problems:
            out.lines.append(f"    PROBLEM site {problem.site}: {problem.problem} ({problem.cause})")
            out.configuration_problem = out.configuration_problem or problem.cause == "configuration"
    return out


def plan_stacks(settings: Settings, stacks: Sequence[str], unavailable: Sequence[str] = ()) -> list[StackPlan]:
    """Plans of the named stacks (every committed one when none is named)."""
    return [plan_stack(settings, stack, unavailable) for stack in (list(stacks) or settings.stack_names())]
