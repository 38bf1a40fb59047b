"""`pulumi up` of the local-* country stacks onto the local federation: real API servers, real S3.

In order (one federation, one deploy, for the whole module): every object is read back through its
zone's API server (where the plan says, with its residency labels, nothing in another country but
standbys); buckets are in their region; app endpoints answer at the API level (pytest-testinfra); a
label changed with kubectl is reported by `pulumi refresh` and restored by `up`; the failover drill
(`edgefed drill`), whose first step is a second `up` that must change nothing, fails a country over and
back; a zone stopped during `up` fails only its own resources; `pulumi up` killed with SIGKILL is
recovered as a user would; and `destroy` leaves every zone namespace and bucket empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import boto3
import jsonschema
import pytest
import testinfra
import yaml
from botocore.config import Config

from .conftest import EDGEFED, ROOT, ops_settings, toolchain_or_skip

pytestmark = pytest.mark.engine

STACKS = ["local-fr", "local-de", "local-it"]
STATE_BUCKET = "edgefed-state-%s"
"""The bucket of a country's object store that keeps its local stack's Pulumi state."""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    for tool in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "versitygw", "pulumi"):
        toolchain_or_skip(tool)
    tmp = tmp_path_factory.mktemp("local")
    env = {
        **os.environ,
        "EDGEFED_FEDERATION_STATE": str(tmp / "federation"),
        "EDGEFED_LOCAL_CATALOG": str(catalog_on_free_ports(tmp / "catalog.yaml")),
        "PULUMI_BACKEND_URL": f"file://{tmp / 'backend'}",
    }
    (tmp / "backend").mkdir()
    run = lambda *args, timeout=900: subprocess.run(  # noqa: E731
        [*EDGEFED, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    up = run("federation", "up", timeout=300)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        deploy = run("deploy", "--work", str(tmp / "work"), *STACKS)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        settings = ops_settings(tmp, federation=tmp / "federation", catalog=tmp / "catalog.yaml")
        yield {
            "tmp": tmp,
            "env": env,
            "run": run,
            "deploy": deploy.stdout,
            "catalog": tmp / "catalog.yaml",
            "settings": settings,
        }
    finally:
        run("federation", "down", timeout=120)


def catalog_on_free_ports(path):
    """The local catalog with its object stores and API servers moved to free ports, written to ``path``.

    The committed catalog's ports (39101-39103, 39111-39116) belong to the user's own federation, which
    `make demo` leaves running; this one runs beside it. Everything else (zones, countries, regions) is the same.
    """
    from edgefed_ops.proc import free_port

    catalog = yaml.safe_load((ROOT / "stacks" / "catalog" / "local.yaml").read_text())
    moved: dict[str, str] = {}
    for zone in catalog["zones"]:
        storage = zone["object_storage"]
        endpoint = moved.setdefault(storage["endpoint"], f"http://127.0.0.1:{free_port()}")
        storage["endpoint"] = endpoint
        zone["api_endpoint"] = f"https://127.0.0.1:{free_port()}"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    return path


def local_zones(deployed):
    from edgefed.catalog import load_catalog

    return load_catalog(deployed["catalog"]).zones


def object_store(deployed, country: str):
    """The object store of ``country`` (``it``) in the catalog this federation runs."""
    return next(z.object_storage for z in local_zones(deployed) if z.country.lower() == country)


def client(deployed, zone: str):
    """The typed client of one zone of this federation (edgefed_ops.kube, the one client for reads)."""
    from edgefed_ops.kube import zone as zone_client

    return zone_client(deployed["tmp"] / "federation" / "zones" / zone / "kubeconfig")


def deployment(deployed, zone: str, namespace: str, name: str):
    with client(deployed, zone) as api:
        return api.deployment(namespace, name)


def s3_client(deployed, country: str, endpoint: str, region: str):
    """A client of a country's S3 server with the keys the federation generated for it."""
    keys = json.loads((deployed["tmp"] / "federation" / "s3" / country / "credentials.json").read_text())
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=keys["accessKey"], aws_secret_access_key=keys["secretKey"],
        config=Config(s3={"addressing_style": "path"}),
    )  # fmt: skip


def workspace_of(deployed, stack: str):
    """The stack's workspace as `edgefed deploy` uses it: its state in its country's object store."""
    from edgefed_ops.deploy import LocalDeploy

    return LocalDeploy(deployed["settings"], progress=lambda line: None).workspace(stack)


def converged(deployed, zone: str, namespace: str, app: str, replicas: int, timeout: float = 60) -> bool:
    """Wait until the Deployment has exactly ``replicas`` ready (its autoscaler sets the count)."""
    deadline = time.monotonic() + timeout
    while True:
        found = deployment(deployed, zone, namespace, app)
        if found.ready == replicas == found.replicas or time.monotonic() > deadline:
            return found.ready == replicas == found.replicas
        time.sleep(0.5)


def outputs(deployed, stack: str) -> dict:
    return workspace_of(deployed, stack).outputs()


@pytest.mark.parametrize("stack", STACKS)
def test_objects_are_where_the_plan_says_with_their_labels(deployed, stack):
    plan = outputs(deployed, stack)["plan"]
    country = stack.removeprefix("local-")
    namespace = f"edgefed-{country}"
    for app, app_plan in plan.items():
        for zone, where in app_plan["zones"].items():
            found = deployment(deployed, zone, namespace, app)
            assert found.labels["edgefed.io/zone"] == zone
            assert found.labels["edgefed.io/country"] == where["country"].lower()
            assert found.labels["edgefed.io/role"] == where["role"]
            assert found.ready >= min(1, where["replicas"]), "await made it Ready"
            assert converged(deployed, zone, namespace, app, where["replicas"]), "its autoscaler sets the count"
            if where["country"].lower() != country:
                assert where["role"] == "standby", "another country only ever holds standbys"


def test_no_deployment_outside_the_plan(deployed):
    planned = {}
    for stack in STACKS:
        for app, app_plan in outputs(deployed, stack)["plan"].items():
            for zone in app_plan["zones"]:
                planned.setdefault(zone, set()).add((f"edgefed-{stack.removeprefix('local-')}", app))
    for zone in local_zones(deployed):
        with client(deployed, zone.id) as api:
            found = {(d.namespace, d.name) for d in api.deployments()}
        assert found == planned.get(zone.id, set()), zone.id


def test_buckets_exist_in_their_country(deployed):
    for stack in STACKS:
        country = stack.removeprefix("local-")
        for app_buckets in outputs(deployed, stack)["buckets"].values():
            for bucket in app_buckets:
                s3 = s3_client(deployed, country, bucket["endpoint"], bucket["region"])
                assert s3.get_bucket_location(Bucket=bucket["bucket"])["LocationConstraint"] == bucket["region"]
                assert s3.get_bucket_versioning(Bucket=bucket["bucket"])["Status"] == "Enabled"


def test_each_stacks_state_lives_in_its_countrys_object_store(deployed):
    """local-fr's state in FR's S3 server, local-de's in DE's...; nothing in the local file backend."""
    stores = {stack.removeprefix("local-"): object_store(deployed, stack.removeprefix("local-")) for stack in STACKS}
    for country, storage in stores.items():
        store = s3_client(deployed, country, storage.endpoint, storage.region)
        bucket = STATE_BUCKET % country
        assert store.get_bucket_location(Bucket=bucket)["LocationConstraint"] == storage.region
        keys = [o["Key"] for o in store.list_objects_v2(Bucket=bucket, Prefix=".pulumi/stacks/").get("Contents", [])]
        names = {key.rsplit("/", 1)[-1] for key in keys}
        assert f"local-{country}.json" in names, keys
        assert not {f"local-{other}.json" for other in stores if other != country} & names, "no other country's state"
        backend = workspace_of(deployed, f"local-{country}").env()["PULUMI_BACKEND_URL"]
        assert backend.startswith(f"s3://{bucket}?endpoint={storage.endpoint}&region={storage.region}")
    file_backend = deployed["tmp"] / "backend"
    assert not [p for p in file_backend.rglob("*.json") if p.name.startswith("local-")], "nothing in the file backend"


def test_app_endpoints_have_ready_pods_in_their_zone(deployed):
    """Each endpoint a stack exports is a Service in its zone with ready endpoints on that zone's node.

    KWOK pods run no containers, so nothing listens behind the ClusterIP: the check is what a client's
    service discovery sees (Service port, EndpointSlice addresses ready and located in the zone), read
    through the zone's API with the typed client; the API server itself is checked with testinfra.
    """
    host = testinfra.get_host("local://")
    for stack in STACKS:
        result = outputs(deployed, stack)
        for app, by_zone in result["endpoints"].items():
            for zone, endpoints in by_zone.items():
                replicas = result["plan"][app]["zones"][zone]["replicas"]
                namespace = f"edgefed-{stack.removeprefix('local-')}"
                assert converged(deployed, zone, namespace, app, replicas), f"{app} in {zone}"
                with client(deployed, zone) as api:
                    port_of_api = int(api.server.rsplit(":", 1)[1])
                    assert host.socket(f"tcp://127.0.0.1:{port_of_api}").is_listening
                    for endpoint in endpoints:
                        name, namespace, *_ = endpoint.split(".")
                        port = int(endpoint.rsplit(":", 1)[1])
                        assert port in api.service_ports(namespace, name), endpoint
                        deadline = time.monotonic() + 30  # the EndpointSlice follows the pods
                        while len(ready := api.ready_endpoints(namespace, name, port)) != replicas:
                            if time.monotonic() > deadline:
                                break
                            time.sleep(0.5)
                        assert len(ready) == replicas, f"{endpoint} in {zone}: {len(ready)} ready of {replicas}"
                        assert set(ready) == {zone}


def test_drift_is_reported_by_refresh_and_restored_by_up(deployed):
    zone, app = "local-vodafone-fr-lyon", "line-control"
    config = str(deployed["tmp"] / "federation" / "zones" / zone / "kubeconfig")
    kubectl = [toolchain_or_skip("kubectl"), "--kubeconfig", config, "-n", "edgefed-fr"]
    # The zone's admission policy refuses a label that would move the workload to another country...
    moved = subprocess.run(
        [*kubectl, "label", "deployment", app, "edgefed.io/country=de", "--overwrite"], capture_output=True, text=True
    )
    assert moved.returncode != 0
    assert "edgefed residency: this is zone local-vodafone-fr-lyon of vodafone in FR" in moved.stderr
    # ...but not one that widens the residency label: that is drift for Pulumi to find.
    widened = subprocess.run(
        [*kubectl, "label", "deployment", app, "edgefed.io/residency=eu", "--overwrite"], capture_output=True, text=True
    )
    assert widened.returncode == 0, widened.stderr
    refresh = workspace_of(deployed, "local-fr").refresh()
    assert refresh.ok, refresh.output[-3000:]
    assert refresh.changes.get("update") == 1, refresh.changes
    assert [name for op, name in refresh.steps if op == "update"] == [f"{app}-{zone}-deployment"], refresh.steps
    restore = deployed["run"]("deploy", "--work", str(deployed["tmp"] / "work"), "local-fr")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "(1 updated," in restore.stdout
    assert deployment(deployed, zone, "edgefed-fr", app).labels["edgefed.io/residency"] == "de.fr.it"


def test_audit_finds_an_exposure_made_with_kubectl_and_reports_what_is_deployed(deployed):
    """Zone admission checks workloads, not Services: an externalIP added with kubectl is drift toward a
    violation that only the audit (refresh, then the pack's rules over the state) shows."""
    zone, app = "local-orange-fr-paris", "vision-restricted"
    config = str(deployed["tmp"] / "federation" / "zones" / zone / "kubeconfig")
    kubectl = [toolchain_or_skip("kubectl"), "--kubeconfig", config, "-n", "edgefed-fr"]
    work = ["--work", str(deployed["tmp"] / "work")]
    clean = deployed["run"]("audit", "local-fr", "--json", *work)
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr[-2000:]
    report = json.loads(clean.stdout)
    jsonschema.validate(report, json.loads((ROOT / "components/edgefed_ops/schemas/report.schema.json").read_text()))
    [stack] = report["stacks"]
    assert (stack["stack"], stack["country"], stack["source"]) == ("local-fr", "FR", "state")
    # Field by field against what the zones serve: every workload where its zone's API server has it.
    for workload in stack["workloads"]:
        live = deployment(deployed, workload["zone"], workload["namespace"], workload["name"])
        assert live.labels["edgefed.io/country"] == workload["country"].lower()
        assert live.labels["edgefed.io/operator"] == workload["operator"]
        assert live.labels["edgefed.io/data-classification"] == workload["data_classification"]
    restricted = [w for w in stack["workloads"] if w["name"] == app]
    assert restricted and all(w["country"] == "FR" and w["images"][0]["digest"] for w in restricted)
    assert {(w["operator"], w["operator_jurisdiction"]) for w in stack["workloads"]} <= {
        ("orange", "FR"), ("vodafone", "GB"), ("deutsche-telekom", "DE"), ("telefonica", "ES"), ("tim", "IT"),
    }  # fmt: skip
    assert [t["rule"] for t in stack["transfers"] if t["app"] == app] == [
        "never moves: restricted data never crosses a border (no failover)"
    ]
    assert all(p["status"] == "pass" for p in stack["policies"])
    exposed = subprocess.run(
        [*kubectl, "patch", "service", app, "-p", '{"spec":{"externalIPs":["203.0.113.9"]}}'],
        capture_output=True, text=True,
    )  # fmt: skip
    assert exposed.returncode == 0, exposed.stderr
    try:
        audit = deployed["run"]("audit", "local-fr", "--json", *work)
        assert audit.returncode == 1, audit.stdout[-2000:] + audit.stderr[-2000:]
        [stack] = json.loads(audit.stdout)["stacks"]
        failed = {p["policy"]: p["violations"] for p in stack["policies"] if p["status"] == "fail"}
        exposure = (
            f"Service '{app}-{zone}-service': externalIPs exposes the pods of Deployment "
            f"'{app}-{zone}-deployment' (restricted data) outside the zone; rule "
            "disallow-restricted-exposure-path allows only ClusterIP Services in front of restricted pods"
        )
        assert failed == {
            "disallow-external-exposure": [
                f"Service '{app}-{zone}-service': externalIPs exposes restricted data outside the zone; rule "
                "disallow-external-exposure allows only ClusterIP for restricted workloads"
            ],
            "disallow-restricted-exposure-path": [exposure],
        }, failed
        # The field belongs to kubectl, not to Pulumi, so `up` cannot take it back: the stack is refused,
        # nothing written, until the exposure is removed where it was made.
        blocked = deployed["run"]("deploy", *work, "local-fr")
        assert blocked.returncode == 1
        assert f"the policy pack refused it, nothing written: [disallow-restricted-exposure-path] {exposure}" in (
            blocked.stderr
        ), blocked.stdout + blocked.stderr
    finally:
        subprocess.run(
            [*kubectl, "patch", "service", app, "--type=json", "-p", '[{"op":"remove","path":"/spec/externalIPs"}]'],
            check=True, capture_output=True,
        )  # fmt: skip
    again = deployed["run"]("audit", "local-fr", *work)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]


def test_a_stack_deployed_onto_an_earlier_federation_is_refreshed_first(deployed):
    """After `federation down` and `up`, the zones are new and empty while the stack's state is not."""
    state = deployed["tmp"] / "federation"
    (state / "id").write_text("a-federation-started-later")  # what `up` writes for a new federation
    gone = deployment(deployed, "local-tim-it-milan", "edgefed-it", "vision-restricted")
    config = str(state / "zones" / "local-tim-it-milan" / "kubeconfig")
    subprocess.run(
        [toolchain_or_skip("kubectl"), "--kubeconfig", config, "-n", "edgefed-it", "delete", "deployment",
         "vision-restricted", "--wait=true"], check=True, capture_output=True,
    )  # fmt: skip
    deploy = deployed["run"]("deploy", "--work", str(deployed["tmp"] / "work"), "local-it")
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert "== local-it: state from an earlier federation refreshed (1 deleted," in deploy.stdout
    assert "(1 created," in deploy.stdout
    back = deployment(deployed, "local-tim-it-milan", "edgefed-it", "vision-restricted")
    assert back.uid != gone.uid and back.ready == 1


def deployments_in(deployed, zone: str) -> dict[tuple[str, str], str]:
    """(namespace, name) -> uid of every Deployment in the zone (a uid changes if it is recreated)."""
    with client(deployed, zone) as api:
        return {(d.namespace, d.name): d.uid for d in api.deployments()}


def test_failover_drill(deployed):
    """`edgefed drill`: all of FR fails; its load runs in neighbouring zones within their capacity, restricted
    data refuses to move, and everything fails back."""
    others = [
        "local-vodafone-it-turin",
        "local-tim-it-milan",
        "local-telefonica-de-munich",
        "local-deutsche-telekom-de-frankfurt",
    ]
    before = {zone: deployments_in(deployed, zone) for zone in others}
    drill = deployed["run"]("drill", "--work", str(deployed["tmp"] / "work"))
    assert drill.returncode == 0, drill.stdout + drill.stderr
    out = drill.stdout
    # Its first step is a second `edgefed deploy` of every stack onto zones that run them: nothing changes.
    first = out.split("==> drill 1/4")[1].split("==> drill 2/4")[0]
    assert all(f"== {stack}: pulumi up with the policy pack in" in first for stack in STACKS), first
    assert first.count(" unchanged)") == len(STACKS), first
    assert " created" not in first and " updated" not in first and " deleted" not in first, first
    assert "site lyon-line              serving local-vodafone-it-turin (FAILED OVER)" in out
    assert (
        "-> every FR zone within 15 ms is unavailable (local-orange-fr-paris, local-vodafone-fr-lyon); "
        "no cross-border failover: restricted data never crosses a border"
    ) in out
    assert "==> drill 0/4: the federation plan with FR down fits" in out, "checked before anything deploys"
    outage = out.split("==> drill 2/4")[1].split("==> drill 3/4")[0]
    assert "zone local-vodafone-it-turin                ready: line-control 2/2" in outage
    load = [line for line in outage.split("==> load of the zones that answer")[1].splitlines() if " pods, cpu " in line]
    assert len(load) == 4 and all(line.endswith(": within capacity") for line in load), load
    assert not [line for line in load if "-fr-" in line], "the stopped zones do not answer"
    print(out)  # the drill's own report, for the log of this run
    fenced = out.split("==> drill 3/4")[1].split("==> drill 4/4")[0]
    assert "zone local-vodafone-fr-lyon                 ready: line-control 0/0" in fenced
    back = out.split("==> drill 4/4")[1]
    assert "site lyon-line              serving local-vodafone-fr-lyon; failover local-vodafone-it-turin" in back
    assert "zone local-vodafone-fr-lyon                 ready: line-control 2/2" in back
    assert "zone local-vodafone-it-turin                ready: line-control 1/1" in back
    assert "failback  line-control       1 (plan allows 1)" in out
    assert "DUPLICATE PRIMARY" not in out
    turin = deployment(deployed, "local-vodafone-it-turin", "edgefed-fr", "line-control")
    assert turin.labels["edgefed.io/role"] == "standby"
    # Zones outside FR kept every object they had, none recreated (same uid).
    after = {zone: deployments_in(deployed, zone) for zone in others}
    assert after == before


def test_zone_down_during_up_fails_only_that_zone_and_a_rerun_converges(deployed):
    run, work = deployed["run"], str(deployed["tmp"] / "work")
    assert workspace_of(deployed, "local-de").destroy().ok
    munich, frankfurt = "local-telefonica-de-munich", "local-deutsche-telekom-de-frankfurt"
    elsewhere = {zone: deployments_in(deployed, zone) for zone in ("local-tim-it-milan", "local-vodafone-it-turin")}
    # Munich's node agent (kwok) dies first, so that its pods never become Ready: the update is then
    # surely in the middle of line-control's rollout there when the rest of the zone dies.
    from edgefed_ops import proc

    records = proc.load(deployed["tmp"] / "federation" / "zones" / munich / "processes.json")
    kwok = next(r for r in records if r.executable == "kwok")
    assert proc.is_ours(kwok)
    os.kill(kwok.pid, signal.SIGKILL)
    deploy = start_deploy(deployed, "local-de")
    deadline = time.monotonic() + 300
    while ("edgefed-de", "line-control") not in deployments_in(deployed, munich) and time.monotonic() < deadline:
        time.sleep(0.2)
    # The provider waits for that rollout until the stack's rolloutTimeoutSeconds (60 s in the local
    # stacks), not the provider's default 10 minutes, then fails it and names the zone.
    began = time.monotonic()
    stopped = run("federation", "stop-zone", munich, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    out, err = deploy.communicate(timeout=300)
    assert deploy.returncode == 1, out + err
    assert time.monotonic() - began < 150, "bounded by the rollout timeout, not the provider's 10 minutes"
    assert (
        "== local-de: pulumi up FAILED after" in err
        and f"zone {munich} (stopped answering during the update)" in err
        and f"the other zones' changes were applied. Re-run once {munich} is back, or mark it unavailable: "
        f".venv/bin/edgefed deploy local-de --unavailable {munich}"
        in err
    ), err
    assert ("edgefed-de", "vision-restricted") in deployments_in(deployed, frankfurt), "Frankfurt was deployed"
    assert {zone: deployments_in(deployed, zone) for zone in elsewhere} == elsewhere, "no object elsewhere touched"
    # While it is down, nothing more is attempted for the stack: one clear error, nothing touched.
    refused = run("deploy", "--work", work, "local-de")
    assert refused.returncode == 1
    assert f"== local-de: NOT deployed, nothing touched: zone(s) {munich} do not answer" in refused.stderr
    assert run("federation", "start-zone", munich, timeout=120).returncode == 0
    again = run("deploy", "--work", work, "local-de")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "zone local-telefonica-de-munich             ready: line-control 2/2" in again.stdout
    converged = run("deploy", "--work", work, "local-de")
    assert converged.returncode == 0 and " unchanged)" in converged.stdout, converged.stdout + converged.stderr
    assert " created" not in converged.stdout and " updated" not in converged.stdout


def test_pulumi_up_killed_mid_run_recovers_without_lost_or_duplicated_objects(deployed):
    workspace = workspace_of(deployed, "local-it")
    assert workspace.destroy().ok
    deploy = start_deploy(deployed, "local-it")
    pid = wait_for_pulumi(deploy, "up", "local-it")
    milan = "local-tim-it-milan"
    deadline = time.monotonic() + 120
    while not deployments_in(deployed, milan) and time.monotonic() < deadline:
        time.sleep(0.2)  # kill once the update is writing workloads, not before
    plugins = descendants(pid)  # the engine's plugins run in their own process groups and outlive it
    os.kill(pid, signal.SIGKILL)
    deploy.communicate(timeout=120)
    for plugin in plugins:
        with contextlib.suppress(ProcessLookupError):
            os.kill(plugin, signal.SIGKILL)
    locked = deployed["run"]("deploy", "--work", str(workspace.folder.parent), "local-it")
    assert locked.returncode == 1
    assert f"the stack is locked by pulumi pid {pid}, which no longer runs (killed?)" in locked.stderr, locked.stderr
    # What a user does (README, How to): remove the dead update's lock, refresh dropping the creates it
    # left pending, and run again. The re-run's server-side apply adopts the objects that did get created.
    workspace.cli("cancel", "--yes")
    refresh = workspace.cli("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    cleared = workspace.export()
    assert not cleared.get("pending_operations"), refresh.stdout
    again = deployed["run"]("deploy", "--work", str(workspace.folder.parent), "local-it")
    assert again.returncode == 0, again.stdout + again.stderr
    state = workspace.export()
    assert not state.get("pending_operations"), "no operation left pending"
    waits = {r["urn"].rsplit("::", 1)[1]: r.get("customTimeouts") for r in state["resources"]}
    assert waits["line-control-local-vodafone-it-turin-deployment"] == {"create": 60, "update": 60}, waits
    urns = [r["urn"] for r in state["resources"]]
    assert len(urns) == len(set(urns)), "no resource twice in the state"
    plan = outputs(deployed, "local-it")["plan"]
    for app, app_plan in plan.items():
        for zone, where in app_plan["zones"].items():
            assert converged(deployed, zone, "edgefed-it", app, where["replicas"])
    buckets = [b for app in outputs(deployed, "local-it")["buckets"].values() for b in app]
    store = object_store(deployed, "it")
    s3 = s3_client(deployed, "it", store.endpoint, store.region)
    apps = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"] != STATE_BUCKET % "it"]
    assert sorted(apps) == sorted(b["bucket"] for b in buckets)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    table = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def start_deploy(deployed, stack: str) -> subprocess.Popen[str]:
    """`edgefed deploy` in its own session, so that a test can kill what it leaves behind."""
    return subprocess.Popen(
        [*EDGEFED, "deploy", "--work", str(deployed["tmp"] / "work"), stack],
        env=deployed["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def wait_for_pulumi(started: subprocess.Popen[str], command: str, stack: str) -> int:
    """The pid of `pulumi <command>` on ``stack`` once it runs, among the processes this test started."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for pid in descendants(started.pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            words = [a.decode() for a in argv if a]
            if words and Path(words[0]).name == "pulumi" and command in words and stack in words:
                return pid
        time.sleep(0.05)
    raise AssertionError(f"pulumi {command} of {stack} did not start")


def test_destroy_empties_every_zone_and_bucket(deployed):
    for stack in STACKS:
        assert workspace_of(deployed, stack).destroy().ok
    for zone in local_zones(deployed):
        with client(deployed, zone.id) as api:
            phases = api.namespaces()
        assert not {n for n, phase in phases.items() if n.startswith("edgefed-") and phase != "Terminating"}
    for country in ("fr", "de", "it"):
        store = object_store(deployed, country)
        s3 = s3_client(deployed, country, store.endpoint, store.region)
        # What stays is the stack's state (in its own bucket): it records that nothing is deployed.
        left = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        assert left == [STATE_BUCKET % country], left
