"""Benchmark the policy check of every stack at once against the slowest stack alone.

Each stack is previewed alone first (one at a time), then all of them concurrently (one Automation API
workspace per stack, as many at once as there are cores), in this process: the ratio (all stacks wall) /
(slowest single stack wall) says how much the concurrency hides (1.0 would be perfect overlap).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from edgefed_ops.errors import OpsError
from edgefed_ops.settings import Settings
from edgefed_ops.stack.policy_check import check
from edgefed_ops.stack.policy_check import run as check_all


def run(settings: Settings, progress: Callable[[str], None] = print) -> list[str]:
    """Run the benchmark; the lines it reports."""
    stacks = settings.stack_names()
    quiet: Callable[[str], None] = lambda line: None  # noqa: E731
    check(settings, stacks[0], None, quiet)  # warm the plugins and caches once, not in any timing
    alone: dict[str, float] = {}
    for stack in stacks:
        progress(f"bench: {stack} alone")
        start = time.perf_counter()
        if check(settings, stack, None, quiet).status != "pass":
            raise OpsError(f"bench: {stack} does not pass the policy check")
        alone[stack] = time.perf_counter() - start
    progress(f"bench: {len(stacks)} stacks at once")
    start = time.perf_counter()
    results = check_all(settings, stacks, None, quiet)
    together = time.perf_counter() - start
    if any(r.status != "pass" for r in results):
        raise OpsError("bench: a stack does not pass the policy check when run concurrently")
    slowest = max(alone, key=lambda s: alone[s])
    serial = sum(alone.values())
    return [
        *(f"{stack:10} alone {seconds:5.1f} s" for stack, seconds in alone.items()),
        f"all {len(stacks)} stacks at once ({os.cpu_count()} cores): {together:.1f} s; serially {serial:.1f} s",
        f"ratio (all stacks wall) / (slowest single stack wall, {slowest}): {together / alone[slowest]:.2f}x; "
        f"speed-up over serial {serial / together:.2f}x",
    ]
