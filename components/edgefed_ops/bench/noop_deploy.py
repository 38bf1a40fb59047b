"""Benchmark: a no-op `edgefed deploy` of a local tenant stack against `pulumi up` of a plain program.

The plain program registers the identical Kubernetes objects: the inputs the stack's state records for
each, through one provider per zone with the same settings and the tenant's own kubeconfig, on the same
engine and language host; and, for each of the stack's buckets, a bucket of its own in the same object
store with the same controls, through the same boto3 dynamic provider (a bucket has one owner: the plain
program's is named ``<bucket>-plain`` and is removed at the end, empty as it was made). Both programs
write to the same Kubernetes objects of the running local federation. Server-side apply lets two
managers own a field with the same value, so neither changes anything; the plain program's field
managers are released afterwards (and at the start of the next run, if one was cut short), so that
nothing of the benchmark stays in the zones. The rounds interleave; the ratio of medians is printed.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from edgefed_ops.bench.preview import floor_pack
from edgefed_ops.errors import OpsError
from edgefed_ops.local import object_store
from edgefed_ops.local.zone_client import open_zone
from edgefed_ops.settings import Settings
from edgefed_ops.stack import operations
from edgefed_ops.stack.backend import Backend
from edgefed_ops.stack.deploy import LocalDeploy
from edgefed_ops.stack.workspace import StackWorkspace

PLAIN_PROGRAM = '''"""A plain pulumi-kubernetes program: the objects of objects.json, one provider per zone."""
import json
import pathlib

import pulumi
import pulumi.dynamic
import pulumi_kubernetes as k8s
from edgefed.components.bucket import BucketProvider

config = pulumi.Config("plain")


class Bucket(pulumi.dynamic.Resource, module="plain", name="Bucket"):
    """A bucket through edgefed's boto3 dynamic provider (the same calls; no component, no rule)."""


providers = {}
for item in json.loads((pathlib.Path(__file__).parent / "objects.json").read_text()):
    zone = item["zone"]
    if zone not in providers:
        providers[zone] = k8s.Provider(
            f"{zone}-provider",
            kubeconfig=config.require_secret(f"kubeconfig-{zone}"),
            cluster_identifier=zone,
            enable_server_side_apply=True,
            delete_unreachable=False,
            skip_update_unreachable=False,
        )
    options = pulumi.ResourceOptions(provider=providers[zone])
    pulumi.CustomResource(item["type"], item["name"], item["inputs"], opts=options)
for bucket in json.loads((pathlib.Path(__file__).parent / "buckets.json").read_text()):
    keys = {key: config.require_secret(f"{key}-{bucket['bucket']}") for key in ("access_key", "secret_key")}
    Bucket(BucketProvider(), bucket["bucket"], {**bucket, **keys})
'''

MANAGERS = "plain-managers.json"
"""The plain program's field managers per object, kept until they are released."""


def run(settings: Settings, stack: str, rounds: int, progress: Callable[[str], None]) -> list[str]:
    """Deploy once, build the plain program, then time interleaved no-op runs of both."""
    bench = settings.root / ".state" / "bench" / f"{stack}-deploy"
    _release_left_over(bench, progress)
    shutil.rmtree(bench, ignore_errors=True)
    bench.mkdir(parents=True)
    deploy = LocalDeploy(settings, progress=lambda line: None)
    progress(f"{stack}: deploying once (not timed)")
    (first,) = deploy.run([stack])
    if not first.ok:
        raise OpsError(f"bench: {stack} did not deploy: {first.problem}")
    state = operations.export_revealed(deploy.stacks.workspace(stack))  # in memory only: it holds the S3 keys
    objects, buckets = _objects(state), _buckets(state)
    contract = deploy.stacks.contract(stack)
    kubeconfigs = {z: deploy.stacks.identities.kubeconfig(contract, z) for z in {o["zone"] for o in objects}}
    _remove_buckets(buckets, progress)  # those of a run cut short
    plain = _plain(settings, stack, bench, objects, buckets, kubeconfigs)
    try:
        progress(f"{stack}: the plain program's first up ({len(objects)} objects, not timed)")
        try:
            _plain_up(plain, first_run=True)
        finally:  # also after a failed first up: what it applied is released
            _record_managers(bench, plain, kubeconfigs)
        median = _timed(settings, stack, plain, rounds, progress)
    finally:
        _release_left_over(bench, progress)
        _remove_buckets(buckets, progress)
    zones = len(kubeconfigs)
    return [
        f"no-op deploy of {stack}: {len(objects)} Kubernetes objects in {zones} zones and {len(buckets)} "
        "bucket(s), no change in any run",
        f"edgefed deploy (the command: identity, preview with the pack, no update when it changes nothing, "
        f"read-back): median "
        f"{median['edgefed']:.2f} s over {rounds} interleaved rounds",
        f"plain pulumi-kubernetes program, pulumi up: median {median['plain']:.2f} s",
        f"plain program, pulumi preview with a pack of one policy that checks nothing: median "
        f"{median['floor']:.2f} s (the least a deploy that checks a Python pack before writing costs)",
        f"ratio edgefed/plain: {median['edgefed'] / median['plain']:.2f}x (target <= 1.3x)",
        f"ratio floor/plain: {median['floor'] / median['plain']:.2f}x (what checking a pack before writing costs at "
        "least, against the plain up)",
    ]


def _objects(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """Each Kubernetes object of the state: its zone (its provider's cluster), type, name and inputs."""
    clusters = {
        f"{r['urn']}::{r['id']}": r["inputs"]["clusterIdentifier"]
        for r in deployment.get("resources", [])
        if r["type"] == "pulumi:providers:kubernetes" and r.get("inputs", {}).get("clusterIdentifier")
    }
    found = []
    for resource in deployment.get("resources", []):
        if not resource["type"].startswith("kubernetes:") or resource.get("provider") not in clusters:
            continue
        inputs = {k: v for k, v in resource["inputs"].items() if not k.startswith("__")}
        zone = clusters[resource["provider"]]
        name = f"{zone}-{inputs['kind']}-{inputs['metadata']['name']}".lower()
        found.append({"zone": zone, "type": resource["type"], "name": name, "inputs": inputs})
    if not found:
        raise OpsError("bench: the stack's state holds no Kubernetes object in a zone")
    return found


BUCKET_TYPE = "pulumi-python:dynamic/edgefed:ResidentBucket"
BUCKET_INPUTS = ("country", "endpoint", "region", "unsupported_controls", "data_classification", "tags")


def _buckets(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """Each bucket of the state as the plain program's own: same store, region and controls, ``-plain`` name."""
    found = []
    for resource in deployment.get("resources", []):
        if resource["type"] == BUCKET_TYPE and not resource.get("delete"):
            inputs = operations.revealed(resource["inputs"])
            bucket = {key: inputs[key] for key in BUCKET_INPUTS}
            keys = {key: inputs[key] for key in ("access_key", "secret_key")}
            found.append({"bucket": f"{str(inputs['bucket'])[:57]}-plain", **bucket, "keys": keys})
    return found


def _remove_buckets(buckets: Iterable[dict[str, Any]], progress: Callable[[str], None]) -> None:
    """Remove the plain program's buckets (empty: nothing writes to them); one already gone is fine."""
    from botocore.exceptions import ClientError

    for bucket in buckets:
        keys = bucket["keys"]
        store = object_store.client(bucket["endpoint"], bucket["region"], keys["access_key"], keys["secret_key"])
        try:
            store.delete_bucket(Bucket=bucket["bucket"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
                raise
        else:
            progress(f"removed the plain program's bucket {bucket['bucket']}")


def _paths(kubeconfigs: dict[str, Path]) -> dict[str, str]:
    return {zone: str(path) for zone, path in kubeconfigs.items()}


def _plain(
    settings: Settings,
    stack: str,
    bench: Path,
    objects: list[dict[str, Any]],
    buckets: list[dict[str, Any]],
    kubeconfigs: dict[str, Path],
) -> StackWorkspace:
    """The plain program's project and workspace, its state on a file backend of its own; keys as secrets."""
    project = bench / "plain"
    project.mkdir()
    (project / "objects.json").write_text(json.dumps(objects))
    (project / "buckets.json").write_text(json.dumps([{k: v for k, v in b.items() if k != "keys"} for b in buckets]))
    (project / "__main__.py").write_text(PLAIN_PROGRAM)
    runtime = {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(settings.root / ".venv")}}
    (project / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "plain", "runtime": runtime}))
    (bench / "backend").mkdir()
    plain = StackWorkspace(
        settings,
        f"plain-{stack}",
        folder=bench / "work",
        project=project,
        backend=Backend(f"file://{bench / 'backend'}"),
    )
    secrets = {f"plain:kubeconfig-{zone}": path.read_text() for zone, path in kubeconfigs.items()}
    secrets |= {f"plain:{key}-{b['bucket']}": value for b in buckets for key, value in b["keys"].items()}
    plain.prepare(secrets=secrets)
    return plain


def _plain_up(plain: StackWorkspace, *, first_run: bool = False) -> None:
    outcome = operations.up(plain, policy=False)
    if not outcome.ok:
        raise OpsError(f"bench: the plain program's up failed: {outcome.output[-2000:]}")
    changed = {op: n for op, n in outcome.changes.items() if op != "same" and n}
    if changed and not first_run:
        raise OpsError(f"bench: the plain program's up was no no-op: {outcome.summary()}")


def _edgefed_deploy(settings: Settings, stack: str) -> None:
    edgefed = str(settings.root / ".venv" / "bin" / "edgefed")
    command = [edgefed, "deploy", "--work", str(settings.work), "--quiet", "--json", stack]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        raise OpsError(f"bench: `edgefed deploy {stack}` failed: {done.stderr[-2000:]}")
    (report,) = json.loads(done.stdout)
    if not str(report["changes"]).endswith("unchanged") or "," in str(report["changes"]):
        raise OpsError(f"bench: `edgefed deploy {stack}` was no no-op: {report['changes']}")


def _timed(
    settings: Settings, stack: str, plain: StackWorkspace, rounds: int, progress: Callable[[str], None]
) -> dict[str, float]:
    """Median seconds of each no-op over ``rounds`` interleaved rounds.

    The floor: the plain program's preview with a pack of one policy that checks nothing, which is the
    least any deploy that runs a Python policy pack before writing can cost on this engine.
    """
    floor = floor_pack(plain.folder.parent / "floor-pack", settings.pack)
    runs: list[tuple[str, Callable[[], None]]] = [
        ("edgefed", lambda: _edgefed_deploy(settings, stack)),
        ("plain", lambda: _plain_up(plain)),
        ("floor", lambda: _floor_preview(plain, floor)),
    ]
    times: dict[str, list[float]] = {label: [] for label, _ in runs}
    for number in range(rounds):
        for label, once in runs:
            begin = time.perf_counter()
            once()
            times[label].append(time.perf_counter() - begin)
        progress(f"round {number + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    return {label: statistics.median(found) for label, found in times.items()}


def _floor_preview(plain: StackWorkspace, floor: tuple[Path, Path]) -> None:
    outcome = operations.preview(plain, pack=floor[0], config=floor[1])
    if not outcome.ok or not outcome.writes_nothing:
        raise OpsError(f"bench: the plain program's preview with the floor pack failed: {outcome.output[-2000:]}")


def _record_managers(bench: Path, plain: StackWorkspace, kubeconfigs: dict[str, Path]) -> None:
    """Record the plain program's field manager of each object it applied (its state has them)."""
    deployment = operations.export(plain)
    zones = {
        f"{r['urn']}::{r['id']}": r["inputs"]["clusterIdentifier"]
        for r in deployment.get("resources", [])
        if r["type"] == "pulumi:providers:kubernetes"
    }
    applied = [
        {"zone": zones[r["provider"]], "manager": r["outputs"]["__fieldManager"], "object": r["outputs"]["__inputs"]}
        for r in deployment.get("resources", [])
        if r["type"].startswith("kubernetes:") and (r.get("outputs") or {}).get("__fieldManager")
    ]
    (bench / MANAGERS).write_text(json.dumps({"applied": applied, "kubeconfigs": _paths(kubeconfigs)}))


def _release_left_over(bench: Path, progress: Callable[[str], None]) -> None:
    """Release the plain program's field managers recorded in ``bench`` (none recorded: nothing to do)."""
    record = bench / MANAGERS
    if not record.exists():
        return
    saved = json.loads(record.read_text())
    for item in saved["applied"]:
        with open_zone(Path(saved["kubeconfigs"][item["zone"]])) as client:
            if not client.release(item["object"], item["manager"]):
                name = item["object"]["metadata"]["name"]
                raise OpsError(f"bench: the plain program's manager of {name} cannot be released without a change")
    record.unlink()
    progress(f"released the plain program's field managers of {len(saved['applied'])} objects")
