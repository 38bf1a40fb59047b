"""Benchmark: `pulumi preview` of a country stack against a plain pulumi-kubernetes program, and with its pack.

The baseline registers the byte-identical objects: the stack is rendered (render-mode `up`), then a plain
program registers each rendered manifest as the same Kubernetes resource through one render-mode
provider per zone. Both render folders are compared file by file before anything is timed; the previews
then run interleaved, through the same engine and language host, and the ratio of medians is printed.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from edgefed_ops.errors import OpsError
from edgefed_ops.settings import Settings
from edgefed_ops.stack import operations
from edgefed_ops.stack.backend import Backend
from edgefed_ops.stack.workspace import StackWorkspace

BASELINE_PROGRAM = '''"""A plain pulumi-kubernetes program: the manifests of objects.json, a provider per zone."""
import json
import pathlib

import pulumi
import pulumi_kubernetes as k8s

here = pathlib.Path(__file__).parent
out = pulumi.Config("baseline").require("renderTo")
providers = {}
for item in json.loads((here / "objects.json").read_text()):
    zone, manifest = item["zone"], item["manifest"]
    if zone not in providers:
        providers[zone] = k8s.Provider(f"{zone}-provider", render_yaml_to_directory=f"{out}/{zone}")
    group, _, version = manifest["apiVersion"].rpartition("/")
    token = f"kubernetes:{group or 'core'}/{version}:{manifest['kind']}"
    name = item["name"]
    pulumi.CustomResource(token, name, dict(manifest), opts=pulumi.ResourceOptions(provider=providers[zone]))
'''


FLOOR_PACK = '''"""A pack with one policy that checks nothing: what any Python policy pack costs a preview."""
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def _nothing(args, report_violation):
    return None


PolicyPack(
    name="edgefed-bench-floor",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy("disallow-nothing", "Checks nothing.", _nothing)],
)
'''


def floor_pack(folder: Path, pack: Path) -> tuple[Path, Path]:
    """The floor pack (in the real pack's virtualenv) and its empty config."""
    folder.mkdir(parents=True)
    (folder / "__main__.py").write_text(FLOOR_PACK)
    runtime = {"name": "python", "options": {"virtualenv": str((pack / ".venv").resolve())}}
    (folder / "PulumiPolicy.yaml").write_text(yaml.safe_dump({"runtime": runtime, "version": "0.0.1"}))
    (folder.parent / "floor-config.json").write_text("{}")
    return folder, folder.parent / "floor-config.json"


def _objects(folder: Path) -> list[dict[str, object]]:
    """Every rendered manifest with its zone and a unique resource name."""
    found = []
    for path in sorted(folder.rglob("*.yaml")):
        zone = path.relative_to(folder).parts[0]
        for number, manifest in enumerate(d for d in yaml.safe_load_all(path.read_text()) if d):
            found.append({"zone": zone, "name": f"{zone}-{path.stem}-{number}", "manifest": manifest})
    return found


def _same_tree(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two render folders (missing on one side or different bytes)."""
    left = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    right = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    differ = sorted(str(p) for p in left ^ right)
    differ += sorted(str(p) for p in left & right if not filecmp.cmp(a / p, b / p, shallow=False))
    return differ


def run(settings: Settings, stack: str, rounds: int, progress: Callable[[str], None]) -> list[str]:
    """Render, build the baseline, check both renders are identical, then time interleaved previews."""
    bench = settings.root / ".state" / "bench" / stack
    shutil.rmtree(bench, ignore_errors=True)
    # A backend of its own, emptied with the rest: with state from an earlier run, the render-mode `up`s
    # would change nothing, write no manifest, and two empty folders would compare equal.
    (bench / "backend").mkdir(parents=True)
    backend = Backend(f"file://{bench / 'backend'}")
    ours, objects = _rendered(settings, stack, bench, backend, progress)
    base = _baseline(settings, stack, bench, backend, objects, progress)
    differ = _same_tree(bench / "render-edgefed", bench / "render-baseline")
    if differ:
        raise OpsError(f"bench: the two render folders differ: {', '.join(differ[:5])}")
    median = _timed_previews(settings, ours, base, bench, rounds, progress)
    return [
        f"preview of {stack}: {len(objects)} objects, render folders identical",
        f"edgefed program: median {median['edgefed']:.2f} s over {rounds} interleaved previews",
        f"plain pulumi-kubernetes program: median {median['baseline']:.2f} s",
        f"edgefed program with the policy pack: median {median['edgefed+pack']:.2f} s",
        f"edgefed program with a pack of one policy that checks nothing: median {median['edgefed+floor']:.2f} s",
        f"ratio edgefed/plain: {median['edgefed'] / median['baseline']:.2f}x (target <= 1.15x)",
        f"ratio with the pack/without: {median['edgefed+pack'] / median['edgefed']:.2f}x (target <= 1.15x)",
        f"ratio with the one-policy floor pack/without: {median['edgefed+floor'] / median['edgefed']:.2f}x "
        "(the cost of any Python pack here)",
    ]


def _rendered(
    settings: Settings, stack: str, bench: Path, backend: Backend, progress: Callable[[str], None]
) -> tuple[StackWorkspace, list[dict[str, Any]]]:
    """The stack's workspace and the objects its render-mode `up` wrote."""
    render = bench / "render-edgefed"
    ours = StackWorkspace(settings, stack, folder=bench / "work-edgefed", backend=backend)
    ours.prepare({"renderYamlTo": str(render), "buckets": False})
    progress(f"{stack}: rendering the stack (render-mode up)")
    if not (rendered := operations.up(ours, policy=False)).ok:
        raise OpsError(f"bench: rendering {stack} failed: {rendered.output[-2000:]}")
    objects = _objects(render)
    if not objects:
        raise OpsError(f"bench: rendering {stack} wrote no manifest into {render}")
    return ours, objects


def _baseline(
    settings: Settings,
    stack: str,
    bench: Path,
    backend: Backend,
    objects: list[dict[str, Any]],
    progress: Callable[[str], None],
) -> StackWorkspace:
    """A plain pulumi-kubernetes program of the same objects, rendered once."""
    project = bench / "baseline"
    project.mkdir(parents=True)
    (project / "objects.json").write_text(json.dumps(objects))
    (project / "__main__.py").write_text(BASELINE_PROGRAM)
    runtime = {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(settings.root / ".venv")}}
    (project / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "baseline", "runtime": runtime}))
    base = StackWorkspace(
        settings, f"baseline-{stack}", folder=bench / "work-baseline", project=project, backend=backend
    )
    base.prepare({"baseline:renderTo": str(bench / "render-baseline")})
    progress(f"{stack}: rendering the baseline ({len(objects)} objects)")
    if not (rendered := operations.up(base, policy=False)).ok:
        raise OpsError(f"bench: the baseline failed: {rendered.output[-2000:]}")
    return base


def _timed_previews(
    settings: Settings,
    ours: StackWorkspace,
    base: StackWorkspace,
    bench: Path,
    rounds: int,
    progress: Callable[[str], None],
) -> dict[str, float]:
    """Median seconds of each kind of preview over ``rounds`` rounds.

    Four previews per round, interleaved: the stack without a pack, the plain program, the stack with
    edgefed's pack (the family's config, every rule), and with a pack of one policy that checks nothing
    (the floor: what the engine and Python's policy analyzer cost any pack).
    """
    floor, floor_config = floor_pack(bench / "floor-pack", settings.pack)
    times: dict[str, list[float]] = {"edgefed": [], "baseline": [], "edgefed+pack": [], "edgefed+floor": []}
    runs: list[tuple[str, StackWorkspace, dict[str, Any]]] = [
        ("edgefed", ours, {"policy": False}),
        ("baseline", base, {"policy": False}),
        ("edgefed+pack", ours, {}),
        ("edgefed+floor", ours, {"pack": floor, "config": floor_config}),
    ]
    for number in range(rounds):
        for label, workspace, options in runs:
            begin = time.perf_counter()
            outcome = operations.preview(workspace, **options)
            if not outcome.ok:
                raise OpsError(f"bench: preview of {label} failed: {outcome.output[-2000:]}")
            times[label].append(time.perf_counter() - begin)
        progress(f"round {number + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    return {label: statistics.median(found) for label, found in times.items()}
