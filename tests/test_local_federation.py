"""`pulumi up` of the local-* country stacks onto the local federation: real API servers, real S3.

Reads every object back through each zone's API server: it is where the plan says, with its residency
labels, and nothing lands in a zone of another country unless the plan put a standby there. Then a
second `up` changes nothing, and `destroy` empties every zone namespace and bucket.
"""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from botocore.config import Config

from .conftest import ROOT, toolchain_or_skip

pytestmark = pytest.mark.engine

STACKS = ["local-fr", "local-de", "local-it"]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    for tool in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "versitygw", "pulumi"):
        toolchain_or_skip(tool)
    from workspace import engine_env

    tmp = tmp_path_factory.mktemp("local")
    env = {
        **engine_env(),
        "EDGEFED_FEDERATION_STATE": str(tmp / "federation"),
        "PULUMI_BACKEND_URL": f"file://{tmp / 'backend'}",
    }
    (tmp / "backend").mkdir()
    run = lambda *args, timeout=900: subprocess.run(  # noqa: E731
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    up = run(str(ROOT / "scripts" / "federation"), "up", timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    deploy = run(str(ROOT / "scripts" / "local-deploy"), "--work", str(tmp / "work"), *STACKS)
    try:
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        yield {"tmp": tmp, "env": env, "run": run, "deploy": deploy.stdout}
    finally:
        run(str(ROOT / "scripts" / "federation"), "down", timeout=120)


def kubectl(deployed, zone: str, *args: str) -> dict:
    path = deployed["tmp"] / "federation" / "zones" / zone / "kubeconfig"
    result = subprocess.run(
        [toolchain_or_skip("kubectl"), "--kubeconfig", str(path), *args, "-o", "json"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def outputs(deployed, stack: str) -> dict:
    from workspace import StackWorkspace

    workspace = StackWorkspace(stack, folder=deployed["tmp"] / "work" / stack)
    result = workspace.pulumi(
        "stack", "output", "--json", env={"PULUMI_BACKEND_URL": deployed["env"]["PULUMI_BACKEND_URL"]}
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("stack", STACKS)
def test_objects_are_where_the_plan_says_with_their_labels(deployed, stack):
    plan = outputs(deployed, stack)["plan"]
    country = stack.removeprefix("local-")
    namespace = f"edgefed-{country}"
    for app, app_plan in plan.items():
        for zone, where in app_plan["zones"].items():
            deployment = kubectl(deployed, zone, "-n", namespace, "get", "deployment", app)
            labels = deployment["metadata"]["labels"]
            assert labels["edgefed.io/zone"] == zone
            assert labels["edgefed.io/country"] == where["country"].lower()
            assert labels["edgefed.io/role"] == where["role"]
            assert deployment["status"].get("readyReplicas") == where["replicas"], "await made it Ready"
            if where["country"].lower() != country:
                assert where["role"] == "standby", "another country only ever holds standbys"


def test_no_deployment_outside_the_plan(deployed):
    planned = {}
    for stack in STACKS:
        for app, app_plan in outputs(deployed, stack)["plan"].items():
            for zone in app_plan["zones"]:
                planned.setdefault(zone, set()).add((f"edgefed-{stack.removeprefix('local-')}", app))
    from edgefed.catalog import load_catalog

    for zone in load_catalog(ROOT / "stacks" / "catalog" / "local.yaml").zones:
        items = kubectl(deployed, zone.id, "get", "deployments", "--all-namespaces")["items"]
        found = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in items}
        assert found == planned.get(zone.id, set()), zone.id


def test_buckets_exist_in_their_country(deployed):
    for stack in STACKS:
        country = stack.removeprefix("local-")
        keys = json.loads((deployed["tmp"] / "federation" / "s3" / country / "credentials.json").read_text())
        for app_buckets in outputs(deployed, stack)["buckets"].values():
            for bucket in app_buckets:
                s3 = boto3.client(
                    "s3", endpoint_url=bucket["endpoint"], region_name=bucket["region"],
                    aws_access_key_id=keys["accessKey"], aws_secret_access_key=keys["secretKey"],
                    config=Config(s3={"addressing_style": "path"}),
                )  # fmt: skip
                assert s3.get_bucket_location(Bucket=bucket["bucket"])["LocationConstraint"] == bucket["region"]
                assert s3.get_bucket_versioning(Bucket=bucket["bucket"])["Status"] == "Enabled"


def test_second_up_changes_nothing_and_destroy_empties_everything(deployed):
    again = deployed["run"](str(ROOT / "scripts" / "local-deploy"), "--work", str(deployed["tmp"] / "work"), *STACKS)
    assert again.returncode == 0, again.stderr
    for stack in STACKS:
        assert f"== {stack}: pulumi up with the policy pack" in again.stdout
    assert again.stdout.count("unchanged") == len(STACKS) and " created" not in again.stdout.split("== local-fr")[1]
    from workspace import StackWorkspace

    for stack in STACKS:
        workspace = StackWorkspace(stack, folder=deployed["tmp"] / "work" / stack)
        workspace.pulumi(
            "destroy", "--yes", "--skip-preview", env={"PULUMI_BACKEND_URL": deployed["env"]["PULUMI_BACKEND_URL"]}
        )
    from edgefed.catalog import load_catalog

    for zone in load_catalog(ROOT / "stacks" / "catalog" / "local.yaml").zones:
        namespaces = {n["metadata"]["name"] for n in kubectl(deployed, zone.id, "get", "namespaces")["items"]}
        assert not {n for n in namespaces if n.startswith("edgefed-")} - _terminating(deployed, zone.id)
    for country in ("fr", "de", "it"):
        keys = json.loads((deployed["tmp"] / "federation" / "s3" / country / "credentials.json").read_text())
        endpoint = {"fr": 39101, "de": 39102, "it": 39103}[country]
        s3 = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{endpoint}", region_name="us-east-1",
            aws_access_key_id=keys["accessKey"], aws_secret_access_key=keys["secretKey"],
            config=Config(s3={"addressing_style": "path"}),
        )  # fmt: skip
        assert s3.list_buckets().get("Buckets", []) == []


def _terminating(deployed, zone: str) -> set[str]:
    items = kubectl(deployed, zone, "get", "namespaces")["items"]
    return {n["metadata"]["name"] for n in items if n.get("status", {}).get("phase") == "Terminating"}


def test_failover_drill(deployed):
    """Both FR zones fail: line-control serves from Italy, restricted vision refuses to cross the border.

    Runs last (after destroy): it deploys local-fr again, then stops both FR zones. Failback after the
    zones restart is not asserted yet: in this environment the restarted zones' pods did not become
    Ready within the provider's await (see the closing note of the session that wrote this).
    """
    run, federation, deploy = (
        deployed["run"],
        str(ROOT / "scripts" / "federation"),
        str(ROOT / "scripts" / "local-deploy"),
    )
    work = str(deployed["tmp"] / "work")
    fr_zones = ["local-orange-fr-paris", "local-vodafone-fr-lyon"]
    fresh = run(deploy, "--work", work, "local-fr")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    others = [
        "local-vodafone-it-turin",
        "local-tim-it-milan",
        "local-telefonica-de-munich",
        "local-deutsche-telekom-de-frankfurt",
    ]

    def deployments_in(zone: str) -> set[tuple[str, str]]:
        items = kubectl(deployed, zone, "get", "deployments", "--all-namespaces")["items"]
        return {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in items}

    before = {zone: deployments_in(zone) for zone in others}
    for zone in fr_zones:
        assert run(federation, "stop-zone", zone, timeout=120).returncode == 0
    outage = run(deploy, "--work", work, "local-fr", "--unavailable", *fr_zones)
    assert outage.returncode == 0, outage.stdout + outage.stderr
    assert "site lyon-line              serving local-vodafone-it-turin (FAILED OVER)" in outage.stdout
    assert "restricted data never crosses a border" in outage.stdout
    turin = kubectl(deployed, "local-vodafone-it-turin", "-n", "edgefed-fr", "get", "deployment", "line-control")
    assert turin["metadata"]["labels"]["edgefed.io/role"] == "primary"
    assert turin["status"].get("readyReplicas") == 2
    # Zones that stayed up lost nothing.
    assert {zone: deployments_in(zone) for zone in others} == before
