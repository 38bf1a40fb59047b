"""Benchmark: `pulumi preview` of a country stack against a plain pulumi-kubernetes program.

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
    ours_render, base_render = bench / "render-edgefed", bench / "render-baseline"
    # A backend of its own, emptied with the rest: with state from an earlier run, the render-mode `up`s
    # would change nothing, write no manifest, and two empty folders would compare equal.
    (bench / "backend").mkdir(parents=True)
    backend = Backend(f"file://{bench / 'backend'}")
    ours = StackWorkspace(settings, stack, folder=bench / "work-edgefed", backend=backend)
    ours.prepare({"renderYamlTo": str(ours_render), "buckets": False})
    progress(f"{stack}: rendering the stack (render-mode up)")
    if not (rendered := operations.up(ours, policy=False)).ok:
        raise OpsError(f"bench: rendering {stack} failed: {rendered.output[-2000:]}")
    project = bench / "baseline"
    project.mkdir(parents=True)
    objects = _objects(ours_render)
    if not objects:
        raise OpsError(f"bench: rendering {stack} wrote no manifest into {ours_render}")
    (project / "objects.json").write_text(json.dumps(objects))
    (project / "__main__.py").write_text(BASELINE_PROGRAM)
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "baseline",
                "runtime": {
                    "name": "python",
                    "options": {"toolchain": "pip", "virtualenv": str(settings.root / ".venv")},
                },
            }
        )
    )
    base = StackWorkspace(
        settings, f"baseline-{stack}", folder=bench / "work-baseline", project=project, backend=backend
    )
    base.prepare({"baseline:renderTo": str(base_render)})
    progress(f"{stack}: rendering the baseline ({len(objects)} objects)")
    if not (rendered := operations.up(base, policy=False)).ok:
        raise OpsError(f"bench: the baseline failed: {rendered.output[-2000:]}")
    differ = _same_tree(ours_render, base_render)
    if differ:
        raise OpsError(f"bench: the two render folders differ: {', '.join(differ[:5])}")
    times: dict[str, list[float]] = {"edgefed": [], "baseline": []}
    for number in range(rounds):
        for label, workspace in (("edgefed", ours), ("baseline", base)):
            begin = time.perf_counter()
            if not operations.preview(workspace, policy=False).ok:
                raise OpsError(f"bench: preview of {label} failed")
            times[label].append(time.perf_counter() - begin)
        progress(
            f"round {number + 1}/{rounds}: edgefed {times['edgefed'][-1]:.2f} s, baseline {times['baseline'][-1]:.2f} s"
        )
    ours_median, base_median = statistics.median(times["edgefed"]), statistics.median(times["baseline"])
    return [
        f"preview of {stack}: {len(objects)} objects, render folders identical",
        f"edgefed program: median {ours_median:.2f} s over {rounds} interleaved previews",
        f"plain pulumi-kubernetes program: median {base_median:.2f} s",
        f"ratio edgefed/plain: {ours_median / base_median:.2f}x (target <= 1.15x)",
    ]
