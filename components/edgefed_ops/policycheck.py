"""The EU residency policy pack over country stacks, as a pull request check.

Each stack is previewed by the real engine in its workspace (manifests rendered, so no cluster
credentials are needed) with the pack and a pack config. Violations come from the engine's policy events.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from edgefed_ops.engine import StackWorkspace, Violation
from edgefed_ops.settings import Settings


@dataclass
class StackCheck:
    """The pack's verdict on one stack."""

    stack: str
    status: str
    """``pass``, ``blocked`` (a mandatory violation) or ``error`` (the preview failed otherwise)."""
    violations: list[Violation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def mandatory(self) -> int:
        """Number of mandatory violations."""
        return sum(v.level == "mandatory" for v in self.violations)


def check(settings: Settings, stack: str, config: Path | None, progress: Callable[[str], None] = print) -> StackCheck:
    """Preview one stack with the pack and ``config`` (default: the stack family's pack config); its verdict."""
    workspace = StackWorkspace(settings, stack)
    workspace.prepare({"renderYamlTo": str(settings.root / ".state" / "render" / stack), "buckets": False})
    progress(f"{stack}: preview with the policy pack")
    outcome = workspace.preview(config=config)
    status = "pass" if outcome.ok else ("blocked" if outcome.mandatory else "error")
    errors = [] if outcome.ok or outcome.mandatory else (outcome.errors or [outcome.output[-3000:]])
    return StackCheck(stack, status, outcome.violations, errors)


def run(
    settings: Settings,
    stacks: Sequence[str],
    config: Path | None,
    progress: Callable[[str], None] = print,
    jobs: int | None = None,
) -> list[StackCheck]:
    """Check each stack (every committed one when none is named), ``jobs`` at a time (default: the cores).

    Stacks are independent: each has its own workspace, engine process and lock, so they preview
    concurrently; results come back in stack order.
    """
    names = list(stacks) or settings.stack_names()
    workers = max(1, min(jobs or os.cpu_count() or 1, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="preview") as pool:
        return list(pool.map(lambda stack: check(settings, stack, config, progress), names))


def markdown(results: Sequence[StackCheck]) -> str:
    """The table a reviewer reads (also the GitHub job summary)."""
    table = ["| stack | result | mandatory | advisory |", "| --- | --- | --- | --- |"]
    table += [f"| {r.stack} | {r.status} | {r.mandatory} | {len(r.violations) - r.mandatory} |" for r in results]
    details = [
        f"- `{r.stack}` [{v.level}] **{v.policy}** ({v.resource}): {v.message}" for r in results for v in r.violations
    ]
    errors = [f"- `{r.stack}` error: {e}" for r in results for e in r.errors]
    return "\n".join(["## EU residency policy check", "", *table, "", *details, *errors]) + "\n"
