"""`edgefed plan --diff REV`: the placement diff from a git revision (the PR's base) to the working tree.

The base revision's ``stacks/`` is read with ``git archive`` into a scratch folder (nothing of the working
tree is touched) and planned exactly as the head is. ``--markdown`` gives the pull request's job summary:
plan, what-if summary, diff, and a mermaid picture of zones and failover edges.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import Any

from edgefed.core.inputs.errors import ConfigError
from edgefed.core.placement.federation import FederationPlan, plan_federation
from edgefed.core.placement.plandiff import PlanDiff, diff, mermaid
from edgefed.core.placement.whatif import ScenarioResult, what_if
from edgefed_ops.errors import OpsError
from edgefed_ops.reports.plan import load_federations
from edgefed_ops.settings import Settings


def _extract(root: Path, revision: str, into: Path) -> None:
    """The revision's ``stacks/`` under ``into``, read from git (a binary tar stream, never human output)."""
    result = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", revision, "stacks"], capture_output=True, check=False
    )
    if result.returncode != 0:
        raise OpsError(f"plan --diff: cannot read stacks/ at {revision!r}: {result.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        for member in archive.getmembers():
            _write_member(archive, member, into)


def _write_member(archive: tarfile.TarFile, member: tarfile.TarInfo, into: Path) -> None:
    """Write one file or folder of the archive under ``into``; anything else, or a path leaving it, is refused.

    By hand rather than ``extractall(filter="data")``: extraction filters exist only from Python 3.11.4, and
    ``stacks/`` holds nothing but files and folders.
    """
    relative = PurePosixPath(member.name)
    if relative.is_absolute() or ".." in relative.parts:
        raise OpsError(f"plan --diff: the archive's {member.name!r} leaves the folder it is read into")
    target = into.joinpath(*relative.parts)
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
    elif member.isfile():
        source = archive.extractfile(member)
        assert source is not None  # a regular file always has content to read
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read())
    elif member.type != tarfile.XGLTYPE:  # git's archive comment (the commit id) is a global header
        raise OpsError(f"plan --diff: the archive's {member.name!r} is neither a file nor a folder")


def _stack_names(root: Path) -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (root / "stacks").glob("Pulumi.*.yaml"))


def _plans(root: Path, which: str) -> tuple[list[FederationPlan], list[ScenarioResult]]:
    try:
        federations = load_federations(root, _stack_names(root))
    except ConfigError as error:
        raise OpsError(f"plan --diff: the stacks of {which} do not load: {error}") from error
    return [plan_federation(f) for f in federations], [r for f in federations for r in what_if(f)]


def compare(settings: Settings, revision: str) -> tuple[PlanDiff, list[FederationPlan], list[ScenarioResult]]:
    """The diff from ``revision`` to the working tree; the head's plans and what-if results."""
    with tempfile.TemporaryDirectory(prefix="edgefed-base-") as scratch:
        base_root = Path(scratch)
        _extract(settings.root, revision, base_root)
        base, base_what_if = _plans(base_root, f"revision {revision}")
    head, head_what_if = _plans(settings.root, "the working tree")
    return diff(base, head, base_what_if, head_what_if), head, head_what_if


def data(result: PlanDiff) -> dict[str, Any]:
    """The ``--diff --json`` document."""
    return {**asdict(result), "ok": result.ok}


def _where(value: tuple[str | None, str | None] | None) -> str:
    if value is None:
        return "(none)"
    serving, failover = value
    return f"{serving or 'UNSERVED'} / failover {failover or '-'}"


def lines(result: PlanDiff) -> list[str]:
    """The human diff."""
    out = [f"== placement diff: {len(result.sites)} site(s) moved, {len(result.zones)} zone(s) changed use"]
    for s in result.sites:
        flag = "  << moved by another change" if s.moved_by_other_change else ""
        out.append(f"   site {s.stack}/{s.app}/{s.site}: {_where(s.before)} -> {_where(s.after)}{flag}")
        out.append(f"      {s.why}")
    for z in result.zones:
        out.append(
            f"   zone {z.zone}: cpu {z.before[0]:g} -> {z.after[0]:g}, memory {z.before[1]:g} -> {z.after[1]:g} GiB"
        )
    out += [f"   NEW N-1 GAP in {g.scenario}: {g.what}" for g in result.new_gaps]
    out += [f"   PROBLEM {p}" for p in result.problems]
    out.append("plan diff: OK" if result.ok else "plan diff: NOT OK (a problem in the head, or a new N-1 gap)")
    return out


def markdown(result: PlanDiff, head: Sequence[FederationPlan], head_what_if: Sequence[ScenarioResult]) -> list[str]:
    """The pull request's job summary."""
    out = ["## Federation placement", ""]
    verdict = "no overcommitted zone, no new N-1 gap" if result.ok else "**fails**: see problems and gaps below"
    out += [
        f"Verdict: {verdict}.",
        "",
        "### Plan (head)",
        "",
        "| stack | app | site | serving | failover |",
        "|---|---|---|---|---|",
    ]
    for plan in head:
        for stack, apps in plan.plans.items():
            for app, app_plan in apps.items():
                for s in app_plan.sites:
                    out.append(f"| {stack} | {app} | {s.site} | {s.serving or 'UNSERVED'} | {s.failover or '-'} |")
    gaps = sum(len(r.gaps) for r in head_what_if)
    over = sum(len(r.overcommitted) for r in head_what_if)
    out += [
        "",
        "### What-if (N-1)",
        "",
        f"{len(head_what_if)} scenarios (every zone, every country): {gaps} gap(s), {over} overcommitted zone(s).",
    ]
    out += ["", "### Diff against the base", ""]
    if not (result.sites or result.zones or result.new_gaps):
        out.append("No placement change.")
    for change in result.sites:
        flag = " **(moved by another change)**" if change.moved_by_other_change else ""
        where = f"{_where(change.before)} → {_where(change.after)}"
        out.append(f"- `{change.stack}/{change.app}/{change.site}`: {where}{flag}: {change.why}")
    for z in result.zones:
        out.append(
            f"- zone `{z.zone}`: cpu {z.before[0]:g} → {z.after[0]:g}, memory {z.before[1]:g} → {z.after[1]:g} GiB"
        )
    out += [f"- **new N-1 gap** in {g.scenario}: {g.what}" for g in result.new_gaps]
    out += [f"- **problem**: {p}" for p in result.problems]
    out += ["", "### Zones and failover edges", "", *mermaid(head)]
    return out
