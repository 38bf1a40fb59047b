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

from edgefed_ops.settings import Settings
from edgefed_ops.stack import operations
from edgefed_ops.stack.events import Violation
from edgefed_ops.stack.workspace import StackWorkspace


@dataclass
class StackVerdict:
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


def check(settings: Settings, stack: str, config: Path | None, progress: Callable[[str], None] = print) -> StackVerdict:
    """Preview one stack with the pack and ``config`` (default: the stack family's pack config); its verdict."""
    workspace = StackWorkspace(settings, stack)
    workspace.prepare({"renderYamlTo": str(settings.root / ".state" / "render" / stack), "buckets": False})
    progress(f"{stack}: preview with the policy pack")
    outcome = operations.preview(workspace, config=config)
    status = "pass" if outcome.ok else ("blocked" if outcome.mandatory else "error")
    errors = [] if outcome.ok or outcome.mandatory else (outcome.errors or [outcome.output[-3000:]])
    return StackVerdict(stack, status, outcome.violations, errors)


def run(
    settings: Settings,
    stacks: Sequence[str],
    config: Path | None,
    progress: Callable[[str], None] = print,
    jobs: int | None = None,
) -> list[StackVerdict]:
    """Check each stack (every committed one when none is named), ``jobs`` at a time (default: the cores).

    Stacks are independent: each has its own workspace, engine process and lock, so they preview
    concurrently; results come back in stack order.
    """
    names = list(stacks) or settings.stack_names()
    workers = max(1, min(jobs or os.cpu_count() or 1, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="preview") as pool:
        return list(pool.map(lambda stack: check(settings, stack, config, progress), names))


RULE_PATHS = (
    "policies",
    "components/edgefed",
    "stacks/catalog",
    "stacks/stacksets.yaml",
)
"""What decides a stack's verdict: the pack and its configs, the rule code and geography data it imports,
the catalogs it trusts, and the stack families that pick a config."""
_IGNORED = {".venv", "__pycache__", ".mypy_cache", ".ruff_cache"}


def _rule_files(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for top in RULE_PATHS:
        start = root / top
        paths = [start] if start.is_file() else sorted(start.rglob("*")) if start.is_dir() else []
        for path in paths:
            relative = path.relative_to(root)
            generated = _IGNORED & set(relative.parts) or any(part.endswith(".egg-info") for part in relative.parts)
            if path.is_file() and not generated:
                files[relative.as_posix()] = path.read_bytes()
    return files


def changed_rules(trusted: Path, root: Path) -> list[str]:
    """Rule files (see :data:`RULE_PATHS`) that differ between the trusted checkout and this one."""
    before, after = _rule_files(trusted), _rule_files(root)
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def markdown(results: Sequence[StackVerdict], changed: Sequence[str] = (), trusted: bool = False) -> str:
    """The table a reviewer reads (also the GitHub job summary)."""
    table = ["| stack | result | mandatory | advisory |", "| --- | --- | --- | --- |"]
    table += [f"| {r.stack} | {r.status} | {r.mandatory} | {len(r.violations) - r.mandatory} |" for r in results]
    details = [
        f"- `{r.stack}` [{v.level}] **{v.policy}** ({v.resource}): {v.message}" for r in results for v in r.violations
    ]
    errors = [f"- `{r.stack}` error: {e}" for r in results for e in r.errors]
    source = ["Checked with the pack, pack configs and catalogs of the base branch.", ""] if trusted else []
    rules: list[str] = []
    if changed:
        rules = [
            "",
            f"### This pull request changes the rules it is checked against ({len(changed)} file(s))",
            "",
            "They were not used for this check; a code owner of these paths must review them:",
            "",
            *(f"- `{path}`" for path in changed),
        ]
    return "\n".join(["## EU residency policy check", "", *source, *table, "", *details, *errors, *rules]) + "\n"
