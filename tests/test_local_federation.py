"""`pulumi up` of the local-* country stacks onto the local federation: real API servers, real S3.

In order (one federation, one deploy, for the whole module): every object is read back through its
zone's API server (where the plan says, with its residency labels, nothing in another country but
standbys); buckets are in their region; app endpoints answer at the API level (pytest-testinfra); a
label changed with kubectl is reported by `pulumi refresh` and restored by `up`; the failover drill
(`edgefed drill`), whose first step is a second `up` that must change nothing, fails a country over and
back; and `destroy` leaves every zone namespace and bucket empty. Faults during `up` (a zone dying
mid-rollout, a killed `up`) run beside this module on a federation of their own
(tests/test_local_federation_faults.py).
"""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest
import testinfra

from edgefed_ops.stack import operations

from .conftest import ROOT, toolchain_or_skip
from .local_federation import (
    STACKS,
    STATE_BUCKET,
    client,
    converged,
    deployment,
    deployments_in,
    local_zones,
    object_store,
    outputs,
    running_federation,
    s3_client,
    workspace_of,
)

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    yield from running_federation(tmp_path_factory, STACKS)


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
    refresh = operations.refresh(workspace_of(deployed, "local-fr"))
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


def test_destroy_empties_every_zone_and_bucket(deployed):
    with ThreadPoolExecutor(len(STACKS)) as pool:  # country stacks are independent: destroyed at once
        destroyed = list(pool.map(lambda stack: operations.destroy(workspace_of(deployed, stack)), STACKS))
    assert all(outcome.ok for outcome in destroyed), [o.output[-2000:] for o in destroyed if not o.ok]
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
