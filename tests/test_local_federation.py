"""Both personas on the local federation: real API servers, real identity issuers, real S3.

One federation, one deploy for the whole module: the five operators' zone stacks (each with its own
admin credential), then two enterprises' country stacks (acme and nordwind, each with a token from its
home operator's issuer) on the same six zones. In order: every object is read back through its zone's
API server (where the plan says, in the tenant's namespace, with its residency labels); buckets are in
their region and each stack's state in its country; app endpoints answer at the API level
(pytest-testinfra); least privilege as the API servers enforce it (each tenant Forbidden outside what
its apps need, an operator's credential refused by other operators' zones, the contract's quota, each
tenant judged by its own rules, a zone that stops trusting an issuer); drift found by `pulumi refresh`
and restored by `up`; the audit; the failover drill of both tenants; watchers that take over without a
person (a partitioned watcher, all of France lost and the leader killed mid-failover, fencing and
failback); and `destroy` leaves every tenant namespace and bucket empty. Faults during `up` run beside
this module on a federation of their own (tests/test_local_federation_faults.py).
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest
import testinfra
import yaml

from edgefed_ops.stack import operations

from .conftest import ROOT, SUMMARY
from .local_federation import (
    MAIN_STACKS,
    OPERATOR_STACKS,
    PLATFORM_STACKS,
    STATE_BUCKET,
    TENANT_STACKS,
    client,
    converged,
    country,
    deployment,
    deployments_in,
    kubectl,
    local_zones,
    namespace,
    object_store,
    operator_kubeconfig,
    outputs,
    running_federation,
    s3_client,
    tenant_kubeconfig,
    workspace_of,
)

pytestmark = pytest.mark.engine


DEPLOYED = MAIN_STACKS
"""The tenant stacks this module deploys: acme's three and nordwind's FR stack, on the same zones. nordwind's
DE and IT stacks are deployed on the faults module's federation, where their first `up` is what the tests
break (tests/test_local_federation_faults.py); `make demo` deploys all six."""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    yield from running_federation(tmp_path_factory, OPERATOR_STACKS + DEPLOYED + PLATFORM_STACKS)


def test_operators_deploy_first_and_report_the_namespaces_they_made(deployed):
    out = deployed["deploy"]
    reports = [line.split(":")[0].removeprefix("== ") for line in out.splitlines() if line.startswith("== ")]
    assert sorted(reports) == sorted(OPERATOR_STACKS + DEPLOYED + PLATFORM_STACKS), out
    assert "zone local-telefonica-de-munich             namespaces: acme-de, nordwind-de" in out, out
    # Every tenant stack's namespace exists in every zone its stack may use, made by the zone's operator.
    for stack in DEPLOYED:
        for zone in yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]["edgefed:zones"]:
            with client(deployed, zone) as api:
                assert namespace(stack) in api.namespaces(), (stack, zone)


@pytest.mark.parametrize("stack", DEPLOYED)
def test_objects_are_where_the_plan_says_with_their_labels(deployed, stack):
    plan = outputs(deployed, stack)["plan"]
    for app, app_plan in plan.items():
        for zone, where in app_plan["zones"].items():
            found = deployment(deployed, zone, namespace(stack), app)
            assert found.labels["edgefed.io/zone"] == zone
            assert found.labels["edgefed.io/country"] == where["country"].lower()
            assert found.labels["edgefed.io/role"] == where["role"]
            assert found.ready >= min(1, where["replicas"]), "await made it Ready"
            assert converged(deployed, zone, namespace(stack), app, where["replicas"]), "its autoscaler sets the count"
            if where["country"].lower() != country(stack):
                assert where["role"] == "standby", "another country only ever holds standbys"


def test_no_deployment_outside_the_plan(deployed):
    planned = {}
    for stack in DEPLOYED:
        for app, app_plan in outputs(deployed, stack)["plan"].items():
            for zone in app_plan["zones"]:
                planned.setdefault(zone, set()).add((namespace(stack), app))
    for stack in PLATFORM_STACKS:  # there the operator's platform names the Deployment after the instance
        for endpoints in outputs(deployed, stack)["endpoints"].values():
            for zone, [endpoint] in endpoints.items():
                planned.setdefault(zone, set()).add((namespace(stack), endpoint.split(".", 1)[0]))
    for zone in local_zones(deployed):
        with client(deployed, zone.id) as api:
            found = {(d.namespace, d.name) for d in api.deployments()}
        assert found == planned.get(zone.id, set()), zone.id


def test_buckets_exist_in_their_country(deployed):
    for stack in DEPLOYED:
        for app_buckets in outputs(deployed, stack)["buckets"].values():
            for bucket in app_buckets:
                s3 = s3_client(deployed, country(stack), bucket["endpoint"], bucket["region"])
                assert s3.get_bucket_location(Bucket=bucket["bucket"])["LocationConstraint"] == bucket["region"]
                assert s3.get_bucket_versioning(Bucket=bucket["bucket"])["Status"] == "Enabled"


def test_each_stacks_state_lives_in_its_countrys_object_store(deployed):
    """A tenant stack's state in its country's S3 server, an operator's in its home country's; nothing in
    the local file backend."""
    from edgefed.core.inputs.catalog import load_catalog

    operators = load_catalog(deployed["catalog"]).operator_by_id
    home = {stack: operators[stack.removeprefix("local-zones-")].home_countries[0].lower() for stack in OPERATOR_STACKS}
    where = {stack: country(stack) for stack in DEPLOYED + PLATFORM_STACKS} | home
    for cc in ("fr", "de", "it"):
        storage = object_store(deployed, cc)
        store = s3_client(deployed, cc, storage.endpoint, storage.region)
        bucket = STATE_BUCKET % cc
        assert store.get_bucket_location(Bucket=bucket)["LocationConstraint"] == storage.region
        keys = [o["Key"] for o in store.list_objects_v2(Bucket=bucket, Prefix=".pulumi/stacks/").get("Contents", [])]
        names = {key.rsplit("/", 1)[-1] for key in keys if key.endswith(".json")}
        assert names == {f"{stack}.json" for stack, there in where.items() if there == cc}, keys
    for stack, cc in where.items():
        storage = object_store(deployed, cc)
        backend = workspace_of(deployed, stack).env()["PULUMI_BACKEND_URL"]
        assert backend.startswith(f"s3://{STATE_BUCKET % cc}?endpoint={storage.endpoint}&region={storage.region}")
    file_backend = deployed["tmp"] / "backend"
    assert not [p for p in file_backend.rglob("*.json") if p.name.startswith("local-")], "nothing in the file backend"


def test_app_endpoints_have_ready_pods_in_their_zone(deployed):
    """Each endpoint a stack exports is a Service in its zone with ready endpoints on that zone's node.

    KWOK pods run no containers, so nothing listens behind the ClusterIP: the check is what a client's
    service discovery sees (Service port, EndpointSlice addresses ready and located in the zone), read
    through the zone's API with the typed client; the API server itself is checked with testinfra.
    """
    host = testinfra.get_host("local://")
    for stack in DEPLOYED:
        result = outputs(deployed, stack)
        for app, by_zone in result["endpoints"].items():
            for zone, endpoints in by_zone.items():
                replicas = result["plan"][app]["zones"][zone]["replicas"]
                assert converged(deployed, zone, namespace(stack), app, replicas), f"{app} in {zone}"
                with client(deployed, zone) as api:
                    port_of_api = int(api.server.rsplit(":", 1)[1])
                    assert host.socket(f"tcp://127.0.0.1:{port_of_api}").is_listening
                    for endpoint in endpoints:
                        name, space, *_ = endpoint.split(".")
                        port = int(endpoint.rsplit(":", 1)[1])
                        assert port in api.service_ports(space, name), endpoint
                        deadline = time.monotonic() + 30  # the EndpointSlice follows the pods
                        while len(ready := api.ready_endpoints(space, name, port)) != replicas:
                            if time.monotonic() > deadline:
                                break
                            time.sleep(0.5)
                        assert len(ready) == replicas, f"{endpoint} in {zone}: {len(ready)} ready of {replicas}"
                        assert set(ready) == {zone}


LYON = "local-vodafone-fr-lyon"
"""A zone both tenants use (line-control and cold-chain), of an operator that is neither's home."""


def test_a_tenants_egress_reaches_the_zone_through_the_guard_pinned_to_its_pods(deployed):
    """nordwind's cold-chain sends to its DE logistics platform: its stack, with nordwind's own token, created the
    NetworkPolicy in Lyon, which the zone's tenancy guard admits only because it pins personal pods of the
    app's residency and a CIDR the federation allows there."""
    vodafone = operator_kubeconfig(deployed, LYON)
    found = kubectl(vodafone, "-n", "nordwind-fr", "get", "networkpolicy", "cold-chain-egress", "-o", "json")
    assert found.returncode == 0, found.stderr
    spec = json.loads(found.stdout)["spec"]
    assert spec["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "cold-chain",
        "edgefed.io/data-classification": "personal",
        "edgefed.io/residency": "de.fr.it",
    }
    assert spec["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.49.2.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}
    ]
    # The same tenant may not widen it: the guard refuses an open egress for the same pods.
    nordwind = tenant_kubeconfig(deployed, "nordwind", LYON)
    wider = kubectl(nordwind, "-n", "nordwind-fr", "patch", "networkpolicy", "cold-chain-egress", "--type=json",
                    "-p", '[{"op":"replace","path":"/spec/egress/0/to/0/ipBlock/cidr","value":"0.0.0.0/0"}]')  # fmt: skip
    forbidden(wider, "nordwind opens cold-chain's egress to the internet")
    assert "edgefed tenancy: this NetworkPolicy opens egress of personal pods" in wider.stderr


def forbidden(answer, what: str) -> None:
    assert answer.returncode != 0, f"{what}: allowed\n{answer.stdout}"
    assert "Forbidden" in answer.stderr or "forbidden" in answer.stderr, f"{what}: {answer.stderr}"


def test_a_tenant_is_forbidden_everything_but_what_its_apps_need(deployed):
    """acme's token (from Orange's issuer) on Vodafone's Lyon zone, checked by the API server itself."""
    acme = tenant_kubeconfig(deployed, "acme", LYON)
    assert kubectl(acme, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").stdout == "orange:acme"
    # nordwind's namespace: nothing at all.
    for verb in (
        ("get", "deployment", "cold-chain"),
        ("get", "deployments"),
        ("create", "deployment", "probe", "--image=registry.edgefed.eu/acme/web:1"),
        ("patch", "deployment", "cold-chain", "-p", '{"spec":{"replicas":0}}'),
        ("delete", "deployment", "cold-chain"),
        ("get", "configmap", "edgefed-tenant"),
    ):
        forbidden(kubectl(acme, "-n", "nordwind-fr", *verb), f"acme {verb} in nordwind-fr")
    # Cluster-scoped objects, admission, webhooks and RBAC: nothing.
    webhook = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "acme-webhook"}, "webhooks": [],
    }  # fmt: skip
    for args in (
        ("get", "nodes"),
        ("get", "namespaces"),
        ("create", "namespace", "acme-extra"),
        ("get", "validatingadmissionpolicies"),
        ("delete", "validatingadmissionpolicybinding", "--all"),
        ("get", "clusterrolebindings"),
        ("-n", "acme-fr", "create", "rolebinding", "grab", "--clusterrole=admin", "--group=edgefed:tenant:orange:acme"),
        ("-n", "acme-fr", "create", "secret", "generic", "grab", "--from-literal=a=b"),
        ("-n", "acme-fr", "run", "shell", "--image=registry.edgefed.eu/acme/web:1"),
    ):
        forbidden(kubectl(acme, *args), f"acme {args}")
    webhook_file = deployed["tmp"] / "webhook.json"
    webhook_file.write_text(json.dumps(webhook))
    forbidden(kubectl(acme, "create", "-f", str(webhook_file)), "acme creates a webhook")
    # Its own namespace's quota, LimitRange, rules and the operator's NetworkPolicies: read, never written.
    for args in (
        ("patch", "resourcequota", "edgefed-tenant", "-p", '{"spec":{"hard":{"requests.cpu":"64"}}}'),
        ("delete", "limitrange", "edgefed-tenant"),
        ("patch", "configmap", "edgefed-tenant", "-p", '{"data":{"registry-1":"docker.io"}}'),
        ("delete", "networkpolicy", "edgefed-default-deny"),
        ("label", "networkpolicy", "edgefed-allow-dns", "tampered=yes"),
    ):
        forbidden(kubectl(acme, "-n", "acme-fr", *args), f"acme {args} in acme-fr")
    assert kubectl(acme, "-n", "acme-fr", "get", "resourcequota", "edgefed-tenant").returncode == 0
    # A policy of its own may narrow ingress, never open egress of restricted pods (unpinned: restricted) to
    # anywhere (the zone's tenancy guard, the pack's disallow-open-egress as CEL).
    opened = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "to-anywhere", "namespace": "acme-fr"},
        "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]},
    }  # fmt: skip
    policy_file = deployed["tmp"] / "egress.json"
    policy_file.write_text(json.dumps(opened))
    refused = kubectl(acme, "create", "--dry-run=server", "-f", str(policy_file))
    forbidden(refused, "acme opens egress")
    assert "edgefed tenancy: this NetworkPolicy opens egress of restricted pods" in refused.stderr
    # What FederatedEdgeApp needs, and only that, in its own namespace (the deploy above did it for real).
    review = deployed["tmp"] / "review.json"  # what `kubectl auth can-i --list` asks, as JSON
    review.write_text(json.dumps({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "acme-fr"},
    }))  # fmt: skip
    can = kubectl(acme, "create", "--validate=false", "-f", str(review), "-o", "json")
    assert can.returncode == 0, can.stderr
    granted = {
        (resource if not group else f"{resource}.{group}", verb)
        for rule in json.loads(can.stdout)["status"]["resourceRules"]
        for group in rule.get("apiGroups", [""])
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    for resource in (
        "deployments.apps",
        "services",
        "poddisruptionbudgets.policy",
        "networkpolicies.networking.k8s.io",
    ):
        assert {(resource, v) for v in ("create", "patch", "delete")} <= granted, resource
    assert not {(r, v) for r, v in granted if r.startswith(("resourcequotas", "limitranges", "secrets", "configmaps"))
                and v not in ("get", "list", "watch")}  # fmt: skip
    assert not [r for r, _ in granted if "rolebinding" in r or r.startswith("namespaces")], granted


ATTACK_MESSAGES = {
    ("acme", "escalate"): 'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
    ("acme", "nfs"): "edgefed isolation: volume edgefed-probe-volume is of a kind a shared zone does not admit",
    ("acme", "priority"): "edgefed isolation: priority class system-node-critical is not granted to tenant acme in "
    "this zone (granted: edge-critical)",
    ("acme", "external-ips"): "edgefed tenancy: a Service may not claim an address (externalIPs, CVE-2020-8554",
    ("acme", "node-port-range"): "edgefed tenancy: tenant acme may open node ports only in its own range, each "
    "nodePort set explicitly (its range in this zone: 30100-30104)",
    ("acme", "pdb-zero"): "edgefed tenancy: this PodDisruptionBudget can forbid every eviction",
    ("acme", "restricted-abroad"): "edgefed residency: restricted data of namespace acme-de (stack of DE) may not run "
    "in zone local-orange-fr-paris (FR); restricted data stays in the country of its stack",
    ("acme", "foreign-law"): "edgefed residency: restricted data in zone local-vodafone-fr-lyon of Vodafone, under GB "
    "jurisdiction outside the EU/EEA; rule require-eu-jurisdiction allows restricted data only on operators whose "
    "home jurisdiction is in the EU/EEA",
    ("nordwind", "external-name-contract"): "edgefed tenancy: ExternalName Service "
    "edgefed-probe-external-name-contract aliases telemetry.de.edgefed.example, which tenant nordwind's contract does "
    "not list",
    ("nordwind", "personal-home"): "edgefed residency: personal data of namespace nordwind-de (stack of DE) must keep "
    "the country of its stack in its edgefed.io/residency",
}
"""What a reviewer reads for some attacks, word for word (the suite itself checks every attack's rule)."""


def test_every_zone_refuses_what_a_tenant_may_never_do_with_its_own_token(deployed):
    """The attack suite (`edgefed isolation`): each tenant with its own token, as kubectl would, against the real
    zones: pod security, network, fair share and residency attacks, each refused by the rule it names, each
    with a compliant twin the zone admits; each tenant's requests in its own API priority share."""
    suite = deployed["run"]("isolation", "--json", "--work", str(deployed["tmp"] / "work"), timeout=600)
    found = json.loads(suite.stdout)
    failed = [a for a in found["attacks"] if not a["held"]]
    assert suite.returncode == 0 and not failed, json.dumps(failed, indent=1)[-6000:] + suite.stderr[-2000:]
    attacks = found["attacks"]
    assert len(attacks) >= 40, len(attacks)
    classes = {a["class"] for a in attacks}
    assert classes == {"pod security", "network", "fair share", "residency"}
    assert {a["tenant"] for a in attacks} == {"acme", "civitas", "nordwind"}
    by_name = {(a["tenant"], a["attack"]): a for a in attacks}
    for key, words in ATTACK_MESSAGES.items():
        assert words in by_name[key]["refusal"], (key, by_name[key]["refusal"])
    assert [s["own"] for s in found["shares"]] == [True, True, True], found["shares"]
    SUMMARY.append(found["summary"])
    # Nothing the suite made for real is left: only what the stacks deployed.
    for zone in local_zones(deployed):
        with client(deployed, zone.id) as api:
            assert not [d for d in api.deployments() if d.name.startswith("edgefed-probe-")], zone.id


OVERREACHING_PROGRAM = """import pulumi
import pulumi_kubernetes as k8s

# A tenant's own program, with its own kubeconfig of Paris: its Deployment is its to write; a namespace of its
# own, a RoleBinding and a quota patch are not (the zone would refuse them half-way through `up`).
zone = k8s.Provider("paris", kubeconfig=pulumi.Config().require_secret("kubeconfig"),
                    cluster_identifier="local-orange-fr-paris")
opts = pulumi.ResourceOptions(provider=zone)
k8s.core.v1.Namespace("extra", metadata={"name": "acme-extra"}, opts=opts)
k8s.rbac.v1.RoleBinding("grab", metadata={"name": "grab", "namespace": "acme-fr"},
    role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
    subjects=[{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "edgefed:tenant:orange:acme"}],
    opts=opts)
k8s.core.v1.ResourceQuotaPatch("more", metadata={"name": "edgefed-tenant", "namespace": "acme-fr"},
                               spec={"hard": {"requests.cpu": "64"}}, opts=opts)
"""


def test_a_tenant_program_declaring_what_its_identity_may_never_write_is_refused_at_preview(deployed):
    """disallow-tenant-overreach: the real engine and pack, acme's own kubeconfig; nothing reaches the zone."""
    from edgefed_ops.stack.local_stacks import LocalStacks
    from edgefed_ops.stack.workspace import StackWorkspace

    from .conftest import ops_settings, python_project

    tmp = deployed["tmp"]
    project = python_project(tmp / "overreach", "overreach", OVERREACHING_PROGRAM)
    _, pack_config = LocalStacks(deployed["settings"]).catalog_settings()
    workspace = StackWorkspace(ops_settings(tmp / "overreach-state"), "overreach", project=project)
    paris = tenant_kubeconfig(deployed, "acme", "local-orange-fr-paris")
    workspace.prepare({}, secrets={"overreach:kubeconfig": paris.read_text()})
    preview = operations.preview(workspace, config=pack_config)
    found = {v.policy: [] for v in preview.violations}
    for violation in preview.violations:
        found[violation.policy].append(violation.message)
    tail = "rule disallow-tenant-overreach refuses at preview what the zone would refuse half-way through the update"
    writes = "Deployment, HorizontalPodAutoscaler, NetworkPolicy, PersistentVolumeClaim, PodDisruptionBudget, Service"
    assert sorted(found["disallow-tenant-overreach"]) == sorted(
        f"{kind} '{name}': tenant acme's identity (from orange's issuer) may not write {what} objects in any zone (a "
        f"tenant writes only {writes}, in its own namespaces); {tail}"
        for kind, name, what in (
            ("Namespace", "extra", "Namespace"), ("RoleBinding", "grab", "RoleBinding"),
            ("ResourceQuotaPatch", "more", "ResourceQuota"),
        )
    ), found  # fmt: skip
    with client(deployed, "local-orange-fr-paris") as api:
        assert "acme-extra" not in api.namespaces(), "a preview writes nothing"


def test_the_pack_and_a_zone_under_foreign_law_agree_on_where_each_class_may_run(deployed, tmp_path):
    """Differential for require-eu-jurisdiction and the stack-country rule: Vodafone's Lyon zone (GB law) and the
    pack (real engine, the local pack config) give each workload of the tenants' stacks the same verdict."""
    from .parity import pack_verdicts
    from .workloads import jurisdiction_corpus

    corpus = jurisdiction_corpus()
    config = ROOT / "policies" / "eu-residency" / "config-local.json"
    pack = pack_verdicts(corpus, tmp_path, "jurisdiction", zone=LYON, config=config)
    with client(deployed, LYON) as api:  # the operator's own credential: the residency policy judges everyone
        refusals = {name: api.dry_run_create(manifest) for name, manifest in corpus.items()}
    admitted = {name: refusal is None for name, refusal in refusals.items()}
    differ = {name: (pack[name], refusals[name]) for name in corpus if pack[name] != admitted[name]}
    assert not differ, differ
    assert admitted == {name: not name.startswith("refused-") for name in corpus}, refusals
    assert (
        "edgefed residency: restricted data in zone local-vodafone-fr-lyon of Vodafone, under GB jurisdiction "
        "outside the EU/EEA; rule require-eu-jurisdiction"
    ) in str(refusals["refused-restricted-of-the-fr-stack"])
    SUMMARY.append(
        f"jurisdiction parity: {len(corpus)} workloads through the pack and Vodafone's Lyon zone (GB law), identical "
        f"verdicts ({sum(admitted.values())} admitted)"
    )


def test_one_operators_admin_credential_is_refused_by_every_other_operators_zones(deployed):
    orange = operator_kubeconfig(deployed, "local-orange-fr-paris")
    assert kubectl(orange, "get", "namespaces", "acme-fr").returncode == 0, "cluster-admin on its own zone"
    for zone in local_zones(deployed):
        if zone.operator == "orange":
            continue
        with client(deployed, zone.id) as api:
            server = api.server
        answer = kubectl(orange, "--server", server, "get", "namespaces")
        assert answer.returncode != 0, zone.id
        assert "You must be logged in to the server" in answer.stderr, (zone.id, answer.stderr)  # 401


def test_scaling_past_the_contract_is_refused_by_the_zones_quota(deployed):
    """nordwind scales a copy of its own app in Lyon past its contract: the quota refuses the extra pods."""
    nordwind = tenant_kubeconfig(deployed, "nordwind", LYON)
    live = json.loads(kubectl(nordwind, "-n", "nordwind-fr", "get", "deployment", "cold-chain", "-o", "json").stdout)
    quota = json.loads(
        kubectl(nordwind, "-n", "nordwind-fr", "get", "resourcequota", "edgefed-tenant", "-o", "json").stdout
    )
    hard = quota["status"]["hard"]["requests.cpu"]
    assert hard == "1", "the contract's allocation for nordwind's FR stack in Lyon (stacks/tenants/local/nordwind.yaml)"
    labels = {**live["metadata"]["labels"], "app.kubernetes.io/name": "cold-chain-copy"}
    template = live["spec"]["template"]
    template["metadata"]["labels"] = {**template["metadata"]["labels"], "app.kubernetes.io/name": "cold-chain-copy"}
    copy = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "cold-chain-copy", "namespace": "nordwind-fr", "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "cold-chain-copy"}},
                 "template": template},
    }  # fmt: skip
    path = deployed["tmp"] / "copy.json"
    path.write_text(json.dumps(copy))
    created = kubectl(nordwind, "create", "-f", str(path))
    assert created.returncode == 0, created.stderr
    try:
        per_pod = 0.25  # the app's request (stacks/apps/cold-chain.yaml)
        past = math.ceil(1 / per_pod) + 1
        scaled = kubectl(nordwind, "-n", "nordwind-fr", "scale", "deployment", "cold-chain-copy", f"--replicas={past}")
        assert scaled.returncode == 0, "the Deployment may ask; its pods are what the quota counts"
        deadline, message = time.monotonic() + 60, ""
        while time.monotonic() < deadline and "exceeded quota" not in message:
            time.sleep(0.5)
            sets = json.loads(kubectl(nordwind, "-n", "nordwind-fr", "get", "replicasets", "-o", "json").stdout)
            message = " ".join(
                c.get("message", "")
                for rs in sets["items"]
                if rs["metadata"]["name"].startswith("cold-chain-copy-")
                for c in rs.get("status", {}).get("conditions", [])
                if c["type"] == "ReplicaFailure"
            )
        assert "exceeded quota: edgefed-tenant" in message, message
        used = json.loads(
            kubectl(nordwind, "-n", "nordwind-fr", "get", "resourcequota", "edgefed-tenant", "-o", "json").stdout
        )
        assert float(used["status"]["used"]["requests.cpu"].removesuffix("m")) <= 1000, used["status"]
    finally:
        kubectl(nordwind, "-n", "nordwind-fr", "delete", "deployment", "cold-chain-copy", "--wait=true")


def test_each_tenant_is_judged_by_its_own_rules_never_by_anothers(deployed):
    """One admission policy per zone, each tenant's registries and data classes as its namespace's parameters."""
    acme, nordwind = tenant_kubeconfig(deployed, "acme", LYON), tenant_kubeconfig(deployed, "nordwind", LYON)
    live = json.loads(kubectl(nordwind, "-n", "nordwind-fr", "get", "deployment", "cold-chain", "-o", "json").stdout)
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "annotations"):
        live["metadata"].pop(key, None)
    live.pop("status", None)
    live["metadata"]["name"] = "cold-chain-judged"  # a dry run of a new object: nothing is stored
    path = deployed["tmp"] / "judged.json"

    def dry_run(kubeconfig, space: str, **labels: str):
        manifest = json.loads(json.dumps(live))
        manifest["metadata"]["namespace"] = space
        for where in (manifest["metadata"], manifest["spec"]["template"]["metadata"]):
            where["labels"] |= labels
        path.write_text(json.dumps(manifest))
        return kubectl(kubeconfig, "create", "--dry-run=server", "-f", str(path))

    assert dry_run(nordwind, "nordwind-fr").returncode == 0, dry_run(nordwind, "nordwind-fr").stderr
    # The same app in acme's namespace: acme's contract allows neither personal data nor nordwind's registry.
    personal = dry_run(acme, "acme-fr").stderr
    assert (
        "edgefed tenancy: tenant acme may not run personal data (its contract lists the data classes it may run)"
        in (personal)
    ), personal
    registry = dry_run(acme, "acme-fr", **{"edgefed.io/data-classification": "internal"}).stderr
    image = live["spec"]["template"]["spec"]["containers"][0]["image"]
    assert f"edgefed tenancy: image {image} is not from a registry of tenant acme's contract" in registry, registry
    # acme may run internal data; nordwind's contract allows personal data only.
    internal = dry_run(nordwind, "nordwind-fr", **{"edgefed.io/data-classification": "internal"}).stderr
    assert "edgefed tenancy: tenant nordwind may not run internal data" in internal, internal


def test_a_zone_that_stops_trusting_an_issuer_refuses_its_tenants_before_anything_deploys(deployed):
    """The zones trust exactly the issuers in their authentication configuration, reloaded while they run."""
    config = deployed["tmp"] / "federation" / "authentication.yaml"
    trusted = config.read_text()
    document = yaml.safe_load(trusted)
    document["jwt"] = [j for j in document["jwt"] if "deutsche-telekom" not in json.dumps(j)]
    assert len(document["jwt"]) == 1, "orange's issuer stays"
    nordwind = tenant_kubeconfig(deployed, "nordwind", LYON)
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    try:
        deadline = time.monotonic() + 90
        while kubectl(nordwind, "auth", "whoami").returncode == 0 and time.monotonic() < deadline:
            time.sleep(1)
        before = {zone: deployments_in(deployed, zone) for zone in (LYON, "local-vodafone-it-turin")}
        refused = deployed["run"]("deploy", "--work", str(deployed["tmp"] / "work"), "local-nordwind-fr")
        assert refused.returncode == 1
        assert (
            "== local-nordwind-fr: NOT deployed, nothing touched: zone(s) local-deutsche-telekom-de-frankfurt (401 "
            "Unauthorized), local-orange-fr-paris (401 Unauthorized), local-tim-it-milan (401 Unauthorized), "
            "local-vodafone-fr-lyon (401 Unauthorized), local-vodafone-it-turin (401 Unauthorized) do not accept "
            "nordwind's identity from deutsche-telekom's issuer"
        ) in refused.stderr, refused.stderr
        assert {zone: deployments_in(deployed, zone) for zone in before} == before
    finally:
        config.write_text(trusted)
    deadline = time.monotonic() + 90
    while kubectl(nordwind, "auth", "whoami").returncode != 0 and time.monotonic() < deadline:
        time.sleep(1)
    assert kubectl(nordwind, "auth", "whoami").returncode == 0, "trusted again once the issuer is back"


def test_a_tenants_identity_is_issued_and_rotated_by_its_home_operator(deployed):
    """`edgefed identity nordwind --rotate`: a new short-lived token from Deutsche Telekom's issuer, a
    kubeconfig per zone of the contract; the old token keeps working until it expires (at most an hour)."""
    work = ["--work", str(deployed["tmp"] / "work")]
    token = deployed["tmp"] / "work" / "identities" / "nordwind" / "token"
    old = token.read_text()
    kept = deployed["run"]("identity", "nordwind", "--json", *work)
    assert kept.returncode == 0, kept.stderr
    assert token.read_text() == old, "a token with life left that its issuer vouches for is kept"
    rotated = deployed["run"]("identity", "nordwind", "--rotate", "--json", *work)
    assert rotated.returncode == 0, rotated.stderr
    issued = json.loads(rotated.stdout)
    assert (issued["user"], issued["tenant"]) == ("deutsche-telekom:nordwind", "nordwind")
    assert 3000 < issued["expiresInSeconds"] <= 3600
    assert token.read_text() != old
    assert oct(token.stat().st_mode & 0o777) == "0o600"
    contract = yaml.safe_load((ROOT / "stacks" / "tenants" / "local" / "nordwind.yaml").read_text())
    assert sorted(issued["kubeconfigs"]) == sorted({z for zones in contract["allocations"].values() for z in zones})
    for zone, path in issued["kubeconfigs"].items():
        answer = kubectl(Path(path), "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
        assert answer.stdout == "deutsche-telekom:nordwind", (zone, answer.stderr)
    stale = deployed["tmp"] / "stale.kubeconfig"
    stale.write_text(Path(issued["kubeconfigs"][LYON]).read_text().replace(token.read_text(), old))
    assert kubectl(stale, "auth", "whoami").returncode == 0, "the old token is valid until it expires"
    refused = deployed["run"]("identity", "acme-corp", *work)
    assert refused.returncode == 2
    assert "TENANT: 'acme-corp' not a tenant of the local family; tenants: acme, civitas, nordwind" in refused.stderr


def test_drift_is_reported_by_refresh_and_restored_by_up(deployed):
    zone, app = LYON, "line-control"
    acme = tenant_kubeconfig(deployed, "acme", zone)
    # The zone's admission policy refuses a label that would move the workload to another country...
    moved = kubectl(acme, "-n", "acme-fr", "label", "deployment", app, "edgefed.io/country=de", "--overwrite")
    assert moved.returncode != 0
    assert "edgefed residency: this is zone local-vodafone-fr-lyon of vodafone in FR" in moved.stderr
    # ...but not one that widens the residency label: that is drift for Pulumi to find.
    widened = kubectl(acme, "-n", "acme-fr", "label", "deployment", app, "edgefed.io/residency=eu", "--overwrite")
    assert widened.returncode == 0, widened.stderr
    refresh = operations.refresh(workspace_of(deployed, "local-acme-fr"))
    assert refresh.ok, refresh.output[-3000:]
    assert refresh.changes.get("update") == 1, refresh.changes
    assert [name for op, name in refresh.steps if op == "update"] == [f"{app}-{zone}-deployment"], refresh.steps
    restore = deployed["run"]("deploy", "--work", str(deployed["tmp"] / "work"), "local-acme-fr")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "(1 updated," in restore.stdout
    assert deployment(deployed, zone, "acme-fr", app).labels["edgefed.io/residency"] == "de.fr.it"


def test_audit_finds_an_exposure_made_with_kubectl_and_reports_what_is_deployed(deployed):
    """The zone refuses the tenant an externalIP (its tenancy guard), but the operator's own admin credential is not
    judged by it: an externalIP added by hand there is drift toward a violation that only the audit (refresh,
    then the pack's rules over the state) shows."""
    zone, app = "local-orange-fr-paris", "vision-restricted"
    acme = tenant_kubeconfig(deployed, "acme", zone)
    orange = operator_kubeconfig(deployed, zone)
    work = ["--work", str(deployed["tmp"] / "work")]
    clean = deployed["run"]("audit", "local-acme-fr", "--json", *work)
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr[-2000:]
    report = json.loads(clean.stdout)
    jsonschema.validate(report, json.loads((ROOT / "components/edgefed_ops/schemas/report.schema.json").read_text()))
    [stack] = report["stacks"]
    assert (stack["stack"], stack["country"], stack["source"]) == ("local-acme-fr", "FR", "state")
    # What acme may do in each of its FR stack's zones, as each zone's API server answers acme itself.
    zones = yaml.safe_load((ROOT / "stacks" / "Pulumi.local-acme-fr.yaml").read_text())["config"]["edgefed:zones"]
    assert [a["zone"] for a in stack["access"]] == zones
    for access in stack["access"]:
        assert (access["user"], access["namespace"]) == ("orange:acme", "acme-fr"), access
        can = {(r, v) for rule in access["rules"] for r in rule["resources"] for v in rule["verbs"]}
        assert {("deployments", "create"), ("services", "patch"), ("resourcequotas", "get")} <= can, access
        assert not {("resourcequotas", v) for v in ("create", "update", "patch", "delete")} & can, access
        assert not [r for r, _ in can if r in ("secrets", "configmaps", "rolebindings", "namespaces")], access
        # And what it may never do, each asked of the zone (kubectl auth can-i as acme): all refused.
        refused = {(a["verb"], a["resource"]) for a in access["refused"] if not a["allowed"]}
        assert len(refused) == len(access["refused"]) >= 20, access["refused"]
        assert {("patch", "namespaces"), ("create", "validatingwebhookconfigurations.admissionregistration.k8s.io"),
                ("list", "deployments.apps")} <= refused  # fmt: skip
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
    # The flow map from the deployed state: every app in every zone, its namespace and DNS, nothing else.
    assert {(f["app"], f["zone"]) for f in stack["flows"]} == {(w["name"], w["zone"]) for w in stack["workloads"]}
    for flow in stack["flows"]:
        assert [d["kind"] for d in flow["destinations"]] == ["namespace", "dns"], flow
        assert flow["contained"] and flow["statement"].startswith("no path outside"), flow
    claim = '{"spec":{"externalIPs":["203.0.113.9"]}}'
    refused = kubectl(acme, "-n", "acme-fr", "patch", "service", app, "-p", claim)
    forbidden(refused, "acme claims an address")
    assert "edgefed tenancy: a Service may not claim an address (externalIPs, CVE-2020-8554" in refused.stderr
    exposed = kubectl(orange, "-n", "acme-fr", "patch", "service", f"{app}", "-p", claim)
    assert exposed.returncode == 0, exposed.stderr
    try:
        audit = deployed["run"]("audit", "local-acme-fr", "--json", *work)
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
        blocked = deployed["run"]("deploy", *work, "local-acme-fr")
        assert blocked.returncode == 1
        assert f"the policy pack refused it, nothing written: [disallow-restricted-exposure-path] {exposure}" in (
            blocked.stderr
        ), blocked.stdout + blocked.stderr
    finally:
        removed = kubectl(
            orange, "-n", "acme-fr", "patch", "service", app, "--type=json",
            "-p", '[{"op":"remove","path":"/spec/externalIPs"}]',
        )  # fmt: skip
        assert removed.returncode == 0, removed.stderr
    again = deployed["run"]("audit", "local-acme-fr", *work)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]


def test_a_stack_deployed_onto_an_earlier_federation_is_refreshed_first(deployed):
    """After `federation down` and `up`, the zones are new and empty while the stack's state is not."""
    state = deployed["tmp"] / "federation"
    (state / "id").write_text("a-federation-started-later")  # what `up` writes for a new federation
    gone = deployment(deployed, "local-tim-it-milan", "acme-it", "vision-restricted")
    # The zone's own admin deletes it (a tenant may too; this stands for the zone being new).
    with client(deployed, "local-tim-it-milan") as api:
        config = api.kubeconfig
    deleted = kubectl(config, "-n", "acme-it", "delete", "deployment", "vision-restricted", "--wait=true")
    assert deleted.returncode == 0, deleted.stderr
    deploy = deployed["run"]("deploy", "--work", str(deployed["tmp"] / "work"), "local-acme-it")
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert "== local-acme-it: state from an earlier federation refreshed (1 deleted," in deploy.stdout
    assert "(1 created," in deploy.stdout
    back = deployment(deployed, "local-tim-it-milan", "acme-it", "vision-restricted")
    assert back.uid != gone.uid and back.ready == 1


def test_failover_drill_moves_one_tenant_and_never_touches_the_other(deployed):
    """`edgefed drill --tenant acme`: all of FR fails; acme's load runs in neighbouring zones within their
    capacity, its restricted data refuses to move, and everything fails back. nordwind shares those zones
    and is never touched (`make demo` drills both tenants)."""
    others = [
        "local-vodafone-it-turin",
        "local-tim-it-milan",
        "local-telefonica-de-munich",
        "local-deutsche-telekom-de-frankfurt",
    ]
    before = {zone: deployments_in(deployed, zone) for zone in others}
    nordwind = {zone.id: deployments_in(deployed, zone.id) for zone in local_zones(deployed)}
    nordwind = {z: {k: v for k, v in found.items() if k[0].startswith("nordwind-")} for z, found in nordwind.items()}
    drill = deployed["run"]("drill", "--tenant", "acme", "--work", str(deployed["tmp"] / "work"))
    assert drill.returncode == 0, drill.stdout + drill.stderr
    out = drill.stdout
    print(out)  # the drill's own report, for the log of this run
    acme = [stack for stack in DEPLOYED if stack.startswith("local-acme-")]
    # Its first step is a second `edgefed deploy` of acme's stacks onto zones that run them: nothing changes.
    first = out.split("==> drill 1/4")[1].split("==> drill 2/4")[0]
    assert all(f"== {stack}: pulumi up with the policy pack in" in first for stack in acme), first
    assert first.count(" unchanged)") == len(acme) and "nordwind" not in first, first
    assert " created" not in first and " updated" not in first and " deleted" not in first, first
    assert "==> drill 0/4: FR down fits: local-acme-fr: 1 site(s) fail over, 1 stay unserved by rule" in out
    outage = out.split("==> drill 2/4")[1].split("==> drill 3/4")[0]
    assert "site lyon-line              serving local-vodafone-it-turin (FAILED OVER)" in outage
    assert (
        "-> every FR zone within 15 ms is unavailable (local-orange-fr-paris) (local-vodafone-fr-lyon left out: "
        "restricted data runs only on operators under EU/EEA law, rule require-eu-jurisdiction); "
        "no cross-border failover: restricted data never crosses a border"
    ) in outage
    assert "zone local-vodafone-it-turin                ready: line-control 2/2" in outage
    load = [line for line in outage.split("==> load of the zones that answer")[1].splitlines() if " pods, cpu " in line]
    assert len(load) == 5 and all(line.endswith(": within capacity") for line in load), load
    assert not [line for line in load if "-fr-" in line], "the stopped zones do not answer"
    fenced = out.split("==> drill 3/4")[1].split("==> drill 4/4")[0]
    assert "zone local-vodafone-fr-lyon                 ready: line-control 0/0" in fenced
    back = out.split("==> drill 4/4")[1]
    assert "site lyon-line              serving local-vodafone-fr-lyon; failover local-vodafone-it-turin" in back
    assert "zone local-vodafone-fr-lyon                 ready: line-control 2/2" in back
    assert "zone local-vodafone-it-turin                ready: line-control 1/1" in back
    assert "failback  acme/line-control  1 (plan allows 1)" in out
    assert "DUPLICATE PRIMARY" not in out and "UNWATCHED" not in out
    turin = deployment(deployed, "local-vodafone-it-turin", "acme-fr", "line-control")
    assert turin.labels["edgefed.io/role"] == "standby"
    # Zones outside FR kept every object they had, none recreated (same uid); nordwind's everywhere too
    # (FR's zones were restarted with their etcd: its objects there are the same ones).
    after = {zone: deployments_in(deployed, zone) for zone in others}
    assert after == before
    untouched = {zone.id: deployments_in(deployed, zone.id) for zone in local_zones(deployed)}
    untouched = {z: {k: v for k, v in found.items() if k[0].startswith("nordwind-")} for z, found in untouched.items()}
    assert untouched == nordwind


def _watchers_state(deployed):
    from edgefed_ops.failover.store import StoreClient
    from edgefed_ops.failover.takeover_state import TakeoverState
    from edgefed_ops.local.watch_store import WatchStore

    store = WatchStore(deployed["tmp"] / "federation" / "watch-store")
    return TakeoverState(StoreClient(store.endpoints(), timeout=3), "acme")


def _wait_for(what: str, check, timeout: float, watchers) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    logs = "\n".join(f"--- {name}\n{log.read_text()[-3000:]}" for name, (_, log) in watchers.items())
    raise AssertionError(f"{what}: not within {timeout:g} s\n{logs}")


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a killed process its parent has not collected yet is a zombie: it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _updating(pid: int) -> bool:
    """Whether a `pulumi up` runs below ``pid``."""
    from .local_federation import descendants

    for child in descendants(pid):
        try:
            words = [w.decode() for w in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0") if w]
        except OSError:
            continue
        if words and Path(words[0]).name == "pulumi" and "up" in words:
            return True
    return False


def _entries(state, kind: str, zones: tuple[str, ...]) -> list[dict]:
    """The log's entries of ``kind``, once there is one for each of ``zones`` (empty until then)."""
    found = [e for e in state.log() if e["kind"] == kind and e["zone"] in zones]
    return found if {e["zone"] for e in found} == set(zones) else []


def test_watchers_take_over_without_a_person(deployed):
    """Three watchers of acme (FR, DE, IT), elected through the watchers' store; no command from a person.

    IT's watcher is partitioned from Lyon (it probes Lyon through a relay the test cuts): Lyon is not
    declared down on its word alone. Then all of France dies (Paris and Lyon): the leader decides the
    failover and, while it deploys, is killed with its engine (SIGKILL to its process group, as a crash
    would); another watcher leads, recovers the dead update's lock, deploys the failover once (Lyon's
    site served from Turin, the restricted site reported unserved with the plan's reason) and stops the
    dead engine's plugins. France comes back: its pre-outage primaries are scaled to zero at once
    (fenced), and after the stabilization window the watchers fail back.
    """
    import collections
    import os
    import signal
    import subprocess

    from edgefed_ops.failover import plugins

    from .conftest import EDGEFED
    from .local_federation import TcpProxy, descendants

    france = ("local-orange-fr-paris", LYON)
    turin = "local-vodafone-it-turin"
    state = _watchers_state(deployed)
    lyon = next(z for z in local_zones(deployed) if z.id == LYON)
    relay = TcpProxy(int(lyon.api_endpoint.rsplit(":", 1)[1]))  # cut: IT's watcher cannot reach Lyon
    watchers: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    settings = ["--interval", "1", "--failures", "2", "--stabilization", "10", "--lease", "3", "--max-failbacks", "2"]
    for name in ("fr", "de", "it"):
        route = ["--zone-endpoint", f"{LYON}=https://127.0.0.1:{relay.port}"] if name == "it" else []
        log = deployed["tmp"] / f"watch-{name}.log"
        command = [*EDGEFED, "watch", "--tenant", "acme", "--name", name, *settings, *route]
        command += ["--work", str(deployed["tmp"] / f"watch-{name}")]
        started = subprocess.Popen(  # own session: the test kills one with everything it started
            command, env=deployed["env"], stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        watchers[name] = (started, log)
    try:
        seen = lambda: {(s.watcher, s.zone): s for s in state.seen()}  # noqa: E731

        def partitioned() -> bool:
            now = seen()
            it, fr = now.get(("it", LYON)), now.get(("fr", LYON))
            return bool(it and not it.ok and it.count >= 4 and fr and fr.ok)

        _wait_for("IT's watcher sees Lyon fail", partitioned, 60, watchers)
        assert state.zones() == {} and state.log() == [], "one watcher's word is not an outage"
        relay.heal()
        _wait_for("IT's watcher sees Lyon again", lambda: seen()[("it", LYON)].ok, 20, watchers)

        before = outputs(deployed, "local-acme-fr")["plan"]["line-control"]["sites"]["lyon-line"]
        assert before["serving"] == LYON
        stopping = [  # both zones at once, as a country's power cut would
            subprocess.Popen([*EDGEFED, "federation", "stop-zone", zone], env=deployed["env"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for zone in france
        ]  # fmt: skip
        assert [stop.wait(timeout=120) for stop in stopping] == [0, 0]
        _wait_for("the leader decides the failover", state.pending, 30, watchers)
        leader = state.client.leader(state.election)
        assert leader is not None
        victim = watchers[leader.value][0]
        # The zones may be declared down in successive rounds: Lyon's, whose site moves, takes the fast path
        # (Turin's warm standby brought up through its API); the leader dies in the `up` that follows it.
        fast = f"fast path: local-acme-fr/line-control in {turin} x"
        _wait_for("the leader's fast path", lambda: fast in watchers[leader.value][1].read_text(), 120, watchers)
        _wait_for("the leader's `pulumi up` runs", lambda: _updating(victim.pid), 60, watchers)
        time.sleep(3)  # mid-update: the engine holds the stack's lock and runs its plugins
        engine_and_plugins = descendants(victim.pid)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        failovers = _wait_for("another watcher finishes the failover", lambda: _entries(state, "fail over", france),
                              240, watchers)  # fmt: skip
        assert all(f["watcher"] != leader.value for f in failovers), failovers
        # The dead leader held the lock of the urgent stack (Lyon's site moves to Turin): recovered and
        # deployed again before the stacks that only move standbys.
        successor = watchers[failovers[0]["watcher"]][1].read_text()
        # The dead leader had brought Turin's warm standby up through the zone's API before its `up`, as the
        # stack's own field manager: the successor's `up` recorded it, and no field is left to the dead leader.
        assert _fast_path_owned(deployed, turin, "acme-fr", "line-control") == []
        recovered = successor.index("local-acme-fr: lock of a dead update removed")
        assert "local-acme-de: preparing" not in successor[:recovered], successor[-3000:]
        assert all(f["why"].endswith("watchers saw 2 failed probes") for f in failovers), failovers
        sites = {(s["stack"], s["site"]): s for s in failovers[-1]["sites"]}
        assert sites[("local-acme-fr", "lyon-line")]["serving"] == turin, "a neighbour inside the residency"
        serving = deployment(deployed, turin, "acme-fr", "line-control")
        assert serving.labels["edgefed.io/role"] == "primary" and serving.ready == serving.replicas >= 2, serving
        restricted = [s for s in sites.values() if s["app"] == "vision-restricted" and s["stack"] == "local-acme-fr"]
        assert restricted and all(s["serving"] is None for s in restricted), restricted
        assert all("restricted data never crosses a border" in s["problem"] for s in restricted), restricted
        time.sleep(1)
        left = [pid for pid in engine_and_plugins if _running(pid)]
        assert not left, f"processes of the killed watcher still run: {left}"
        assert not [pid for pid in plugins.orphans(ROOT) if pid in engine_and_plugins]

        deployed["run"]("federation", "up")  # starts France's two zones at once (the others run)

        # Read while the leader's deploy of Lyon's fence is under way (before and after the read): the two
        # zones may be fenced in different rounds, and Lyon's failback may follow its fence at once.
        def fencing_lyon() -> bool:
            pending = state.pending()
            return bool(pending and any(a.kind == "fence" and a.zone == LYON for a in pending.actions))

        def read_while_fencing_lyon() -> object:
            if not fencing_lyon():
                return None
            read = deployment(deployed, LYON, "acme-fr", "line-control")
            return read if fencing_lyon() else None

        drained = _wait_for("Lyon is being fenced", read_while_fencing_lyon, 240, watchers)
        assert drained.replicas == 0, "Lyon's pre-outage primary was drained before it counted as available"
        fences = _wait_for("France is fenced", lambda: _entries(state, "fence", france), 240, watchers)
        assert all(f["why"].endswith("watchers see it answer again: drain it first") for f in fences), fences
        backs = _wait_for("the watchers fail back", lambda: _entries(state, "fail back", france), 300, watchers)
        assert all(b["why"] == "answering for 10 s without a failure" for b in backs), backs
        home = next(s for s in backs[-1]["sites"] if s["stack"] == "local-acme-fr" and s["site"] == "lyon-line")
        assert home["serving"] == LYON and not home["failedOver"], home
        assert converged(deployed, LYON, "acme-fr", "line-control", 2)
        standby = deployment(deployed, turin, "acme-fr", "line-control")
        assert standby.labels["edgefed.io/role"] == "standby", standby
        assert converged(deployed, turin, "acme-fr", "line-control", 1), "Turin is Lyon's warm standby again"
        kinds = collections.Counter(e["kind"] for e in state.log())
        assert kinds == {"fail over": 2, "fence": 2, "fail back": 2}, "each action once per zone"
    finally:
        relay.close()
        for started, _ in watchers.values():
            if started.poll() is None:
                started.send_signal(signal.SIGTERM)
        for name, (started, log) in watchers.items():
            try:
                started.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(started.pid, signal.SIGKILL)
            print(f"--- watcher {name}\n{log.read_text()[-4000:]}")
    assert state.client.leader(state.election) is None, "the watchers resigned"


def _fast_path_owned(deployed, zone: str, space: str, app: str) -> list[str]:
    """The app's objects in ``zone`` of which the takeover's fast path still owns fields (read as the operator)."""
    from edgefed_ops.failover.fast_path import FIELD_MANAGER
    from edgefed_ops.local.zone_client import open_zone

    kinds = (("apps/v1", "Deployment"), ("autoscaling/v2", "HorizontalPodAutoscaler"))
    with open_zone(operator_kubeconfig(deployed, zone)) as zone_client:
        return [
            kind
            for api, kind in kinds
            if FIELD_MANAGER
            in zone_client.appliers({"apiVersion": api, "kind": kind, "metadata": {"name": app, "namespace": space}})
        ]


REFUSE_SCALE = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: test-refuse-scale}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments/scale]}
  validations:
  - expression: "!request.userInfo.groups.exists(g, g.startsWith('edgefed:tenant:'))"
    message: "this zone scales no tenant Deployment today"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: test-refuse-scale}
spec:
  policyName: test-refuse-scale
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: acme-fr}}
"""
"""Paris refuses acme's own scaling of its Deployments in acme-fr (what the fast path does), never a whole object's
write, and never its own controllers' scaling (the autoscaler's)."""


def test_a_standby_zone_refusing_the_scale_and_a_zone_flapping_back_during_the_takeover(deployed, tmp_path):
    """Two watchers of acme; Paris refuses to scale acme's Deployments (an operator's admission policy), and
    Lyon dies, then comes back while the takeover deploys. The fast path stops at Paris's refusal and says so;
    the full `up` serves Lyon's site from Paris whole (it writes the Deployment itself, which Paris admits);
    what the fast path wrote before the refusal it wrote as the stack's own field manager (a warm standby). Lyon, back with its pre-outage primary, is drained
    while the leader still deploys, fenced, and failed back after the window: one action of each kind.
    """
    import collections
    import signal
    import subprocess

    from .conftest import EDGEFED

    paris = "local-orange-fr-paris"
    state = _watchers_state(deployed)
    log_before = len(state.log())
    refusal = tmp_path / "refuse-scale.yaml"
    refusal.write_text(REFUSE_SCALE)
    paris_admin = operator_kubeconfig(deployed, paris)
    installed = kubectl(paris_admin, "apply", "-f", str(refusal))
    assert installed.returncode == 0, installed.stderr
    watchers: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    settings = ["--interval", "1", "--failures", "2", "--stabilization", "10", "--lease", "3"]
    for name in ("fr", "de"):
        log = tmp_path / f"watch-{name}.log"
        command = [*EDGEFED, "watch", "--tenant", "acme", "--name", name, *settings]
        command += ["--work", str(deployed["tmp"] / f"watch-{name}")]
        watchers[name] = (
            subprocess.Popen(
                command, env=deployed["env"], stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
            ),
            log,
        )
    try:
        leads = lambda: state.client.leader(state.election)  # noqa: E731
        _wait_for("a watcher leads", leads, 60, watchers)
        prechecked = f"{state.prefix}prechecked/"
        judged = lambda: any(key.endswith(f"/{LYON}") for key in state.client.range(prechecked))  # noqa: E731
        _wait_for("the leader judged the outages' slices", judged, 60, watchers)
        deployed["run"]("federation", "stop-zone", LYON)
        _wait_for("the leader decides the failover", state.pending, 60, watchers)
        leader = watchers[leads().value]
        restarting = tmp_path / "federation-up.log"
        restarted = subprocess.run(  # Lyon comes back at once: `federation up` returns once every zone answers
            [*EDGEFED, "federation", "up"], env=deployed["env"], stdout=restarting.open("w"),
            stderr=subprocess.STDOUT, timeout=300, check=False,
        )  # fmt: skip
        back_at = time.time()
        assert restarted.returncode == 0, restarting.read_text()
        since = lambda kind: [e for e in state.log()[log_before:] if e["kind"] == kind and e["zone"] == LYON]  # noqa: E731
        [entry] = _wait_for("the failover is logged", lambda: since("fail over"), 240, watchers)
        why_not = entry["fastPath"]["notTaken"]
        assert why_not.startswith(f"{paris} refused local-acme-fr/"), entry["fastPath"]
        assert why_not.endswith(
            "ValidatingAdmissionPolicy 'test-refuse-scale' with binding 'test-refuse-scale' denied request: "
            "this zone scales no tenant Deployment today"
        ), why_not
        sites = {(s["stack"], s["site"]): s for s in entry["sites"]}
        assert sites[("local-acme-fr", "lyon-line")]["serving"] == paris, sites
        if not converged(deployed, paris, "acme-fr", "line-control", 2):
            seen = kubectl(paris_admin, "-n", "acme-fr", "describe", "deployment,hpa,replicaset,resourcequota")
            events = kubectl(paris_admin, "-n", "acme-fr", "get", "events", "--sort-by=.lastTimestamp")
            raise AssertionError(f"the full `up` serves it whole:\n{seen.stdout[-6000:]}\n{events.stdout[-4000:]}")
        assert _fast_path_owned(deployed, paris, "acme-fr", "line-control") == [], "written as the stack's own"
        text = leader[1].read_text()
        assert "fast path not taken (" in text, text[-3000:]
        if back_at < entry["done"]:  # Lyon answered while the takeover deployed: drained then, not after
            drained = next(
                text.index(line) for line in text.splitlines()
                if f"{LYON} answers again: scaled to 0 " in line and "acme-fr/line-control" in line
            )  # fmt: skip
            assert drained < text.index("outage state ['local-vodafone-fr-lyon'] deployed to"), text[-3000:]
        backs = _wait_for("Lyon fails back", lambda: since("fail back"), 300, watchers)
        home = next(s for s in backs[-1]["sites"] if s["stack"] == "local-acme-fr" and s["site"] == "lyon-line")
        assert home["serving"] == LYON and not home["failedOver"], home
        assert converged(deployed, LYON, "acme-fr", "line-control", 2)
        kinds = collections.Counter(e["kind"] for e in state.log()[log_before:])
        assert kinds == {"fail over": 1, "fence": 1, "fail back": 1}, "each action once"
    finally:
        kubectl(paris_admin, "delete", "-f", str(refusal), "--ignore-not-found")
        for started, _ in watchers.values():
            if started.poll() is None:
                started.send_signal(signal.SIGTERM)
        for name, (started, log) in watchers.items():
            started.wait(timeout=60)
            print(f"--- watcher {name}\n{log.read_text()[-4000:]}")


def test_a_stack_whose_zone_is_reached_through_its_operators_platform_deploys_there(deployed):
    """civitas signed with Orange only; Rome is TIM's and reached only through TIM's CAMARA platform.

    The same FederatedEdgeApp, placement, contract and pack: `edgefed deploy` submits rome-flow to TIM's platform
    and instantiates it in Rome with civitas's Orange-issued token; the platform writes the objects with that
    token, labelled with the strictest class civitas's contract allows. A second deploy changes nothing, the
    token never reaches the state, and the sovereignty report lists the instance where its platform put it.
    """
    out = deployed["deploy"]
    assert "== local-civitas-it: pulumi up with the policy pack" in out, out
    assert any("zone local-tim-it-rome" in line and "ready: rome-flow-it-rome 1/1" in line for line in out.splitlines())
    made = deployment(deployed, "local-tim-it-rome", "civitas-it", "rome-flow-it-rome")
    assert (made.labels["edgefed.io/zone"], made.labels["edgefed.io/data-classification"]) == (
        "local-tim-it-rome",
        "internal",
    )
    assert made.labels["edgefed.io/platform-instance"]
    assert outputs(deployed, "local-civitas-it")["endpoints"] == {
        "rome-flow": {"local-tim-it-rome": ["rome-flow-it-rome.civitas-it.svc.cluster.local:8080"]}
    }
    token = (deployed["tmp"] / "work" / "identities" / "civitas" / "token").read_text().strip()
    assert token not in json.dumps(operations.export(workspace_of(deployed, "local-civitas-it")))
    again = deployed["run"]("deploy", "--work", str(deployed["tmp"] / "work"), "local-civitas-it")
    assert again.returncode == 0 and "(5 unchanged)" in again.stdout, again.stdout + again.stderr
    report = deployed["run"]("report", "local-civitas-it", "--state", "--json", "--work", str(deployed["tmp"] / "work"))
    assert report.returncode == 0, report.stderr
    [stack] = json.loads(report.stdout)["stacks"]
    assert [(w["kind"], w["name"], w["zone"], w["country"], w["operator"]) for w in stack["workloads"]] == [
        ("PlatformAppInstance", "rome-flow", "local-tim-it-rome", "IT", "tim")
    ]


def _probe_manifest(provider: str, cpu: int = 1, registry: str = "registry.edgefed.eu"):
    from edgefed.core.inputs.eam import AppManifest

    return AppManifest.model_validate(
        {
            "name": "probe_app", "appProvider": provider, "version": "1.0", "packageType": "CONTAINER",
            "appRepo": {"type": "PUBLICREPO", "imagePath": f"{registry}/probe/probe@sha256:" + "a" * 64},
            "requiredResources": {
                "infraKind": "kubernetes", "isStandalone": False,
                "applicationResources": {"cpuPool": {"numCPU": cpu, "memory": 256,
                                                     "topology": {"minNumberOfNodes": 1, "minNodeCpu": 1, "minNodeMemory": 256}}},
            },
            "componentSpec": [{"componentName": "probe", "networkInterfaces": [
                {"interfaceId": "http", "protocol": "TCP", "port": 8080, "visibilityType": "VISIBILITY_INTERNAL"}]}],
        }
    )  # fmt: skip


def test_a_tenant_reaches_a_partners_zone_through_the_partners_camara_platform(deployed):
    """acme signed with Orange only; TIM's platform takes acme's Orange-issued token and writes with it into Milan.

    The platform asks the zone who the token is (never the caller's word), so every guard of the zone judges the
    instance as it judges the tenant's own kubectl: Vodafone's Lyon (GB law) refuses restricted data, nordwind's
    namespace refuses a class its contract lacks, a quota too small fails the instance, and nothing is left behind.
    """
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed.platform.eam_client import EamClient, PlatformError

    catalog = load_catalog(deployed["catalog"])
    tim, vodafone = catalog.operator_by_id["tim"], catalog.operator_by_id["vodafone"]
    milan, lyon = catalog.zone("local-tim-it-milan"), catalog.zone("local-vodafone-fr-lyon")
    ca = deployed["tmp"] / "federation" / "ca" / "ca.crt"
    acme = (deployed["tmp"] / "work" / "identities" / "acme" / "token").read_text().strip()
    nordwind_token = deployed["tmp"] / "work" / "identities" / "nordwind" / "token"

    # Discovery: the partner lists its zones with their live status, paged; the import reconciles them.
    token_file = deployed["tmp"] / "acme-token"
    token_file.write_text(acme)
    token_file.chmod(0o600)
    imported = deployed["run"]("import-zones", "--eam", tim.platform_api, "--operator", "tim", "--catalog",
                               str(deployed["catalog"]), "--token-file", str(token_file), "--ca", str(ca))  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "# 2 zone(s) of tim listed by" in imported.stdout and acme not in imported.stdout + imported.stderr
    with EamClient(vodafone.platform_api, acme, ca_file=ca) as eam:
        assert {z.edge_cloud_zone_id: z.edge_cloud_zone_status for z in eam.zones(per_page=1)} == {
            lyon.platform_id: "active",
            catalog.zone("local-vodafone-it-turin").platform_id: "active",
        }
        app_id = eam.submit_app(_probe_manifest("orange_acme"))
        with pytest.raises(PlatformError) as refused:
            eam.create_instance("probe_lyon", app_id, lyon.platform_id)
        assert refused.value.code == "PERMISSION_DENIED"
        assert (
            "restricted data in zone local-vodafone-fr-lyon of Vodafone, under GB jurisdiction outside the EU/EEA"
            in str(refused.value)
        )
        assert eam.instances() == []
        eam.delete_app(app_id)

    with EamClient(tim.platform_api, acme, ca_file=ca) as eam:
        with pytest.raises(PlatformError) as foreign:
            eam.submit_app(_probe_manifest("deutsche_telekom_nordwind"))
        assert str(foreign.value).endswith(
            "HTTP 403 PERMISSION_DENIED: appProvider 'deutsche_telekom_nordwind' is not the caller (orange_acme)"
        )
        app_id = eam.submit_app(_probe_manifest("orange_acme"))
        instance = eam.create_instance("probe_milan", app_id, milan.platform_id)
        assert (instance.status, instance.edge_cloud_zone_id) == ("instantiating", milan.platform_id)
        deadline = time.monotonic() + 60
        while (found := eam.instance(instance.app_instance_id)).status != "ready" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert found.status == "ready"
        assert found.component_endpoint_info[0].access_points.fqdn == "probe-milan.acme-it.svc.cluster.local"
        probe = deployment(deployed, milan.id, "acme-it", "probe-milan")
        assert (probe.labels["edgefed.io/data-classification"], probe.labels["edgefed.io/zone"]) == (
            "restricted",
            milan.id,
        )
        assert probe.labels["edgefed.io/platform-instance"] == instance.app_instance_id
        # Another tenant sees nothing of it; its own instance lands in its own namespace, with the strictest class
        # its contract allows (the platform labels what the manifest cannot say), judged by the zone as nordwind.
        with EamClient(tim.platform_api, nordwind_token.read_text().strip(), ca_file=ca) as other:
            assert other.instance(instance.app_instance_id) is None
            assert other.app(app_id) is None
            with pytest.raises(PlatformError) as wrong_registry:  # nordwind's contract lists its own registry only
                other.create_instance(
                    "probe_milan", other.submit_app(_probe_manifest("deutsche_telekom_nordwind")), milan.platform_id
                )
            assert "edgefed tenancy: image registry.edgefed.eu/probe/probe@sha256:" in str(wrong_registry.value)
            for leftover in other.apps():
                other.delete_app(leftover.app_id)
            theirs = other.submit_app(_probe_manifest("deutsche_telekom_nordwind", registry="registry.nordwind.de"))
            made = other.create_instance("probe_milan", theirs, milan.platform_id)
            labelled = deployment(deployed, milan.id, "nordwind-it", "probe-milan").labels
            assert labelled["edgefed.io/data-classification"] == "personal"
            other.delete_instance(made.app_instance_id)
            other.delete_app(theirs)
        # An instance its zone cannot run (more CPU than acme's quota there) is reported failed, never ready.
        big = eam.submit_app(_probe_manifest("orange_acme", cpu=64).model_copy(update={"name": "probe_big"}))
        too_big = eam.create_instance("probe_big", big, milan.platform_id)
        deadline = time.monotonic() + 60
        while (state := eam.instance(too_big.app_instance_id)).status != "failed" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert state.status == "failed"
        for made in (too_big, instance):
            eam.delete_instance(made.app_instance_id)
        with pytest.raises(PlatformError, match="HTTP 404 NOT_FOUND: edgeCloudZoneId"):
            eam.create_instance("probe_nowhere", app_id, lyon.platform_id)  # Lyon is Vodafone's, not TIM's
        for made_app in (big, app_id):
            eam.delete_app(made_app)
        assert eam.instances() == [] and eam.app(app_id) is None
    assert ("acme-it", "probe-milan") not in deployments_in(deployed, milan.id)
    with (
        pytest.raises(PlatformError, match="HTTP 401 UNAUTHENTICATED"),
        EamClient(tim.platform_api, "not-a-token", ca_file=ca) as eam,
    ):
        eam.zones()


PROBE_SPEC = """
name: {name}
image: registry.edgefed.eu/acme/line-control@sha256:{digest}
ports:
  - {{name: grpc, port: 7443}}
resources: {{cpu: {cpu}, memory_mib: 256}}
residency: [{country}]
data_classification: internal
failover: none
sites:
  - {{name: milan-line, country: {country}, location: {{latitude: 45.46, longitude: 9.19}}}}
"""


def _platform_stack(deployed, tmp_path, name: str, cpu: float, ready_seconds: int = 60, country: str = "IT"):
    from edgefed_ops.stack.local_stacks import LocalStacks
    from edgefed_ops.stack.workspace import StackWorkspace

    from .conftest import ops_settings

    spec = tmp_path / f"{name}.yaml"
    spec.write_text(PROBE_SPEC.format(name=name, digest="ab" * 32, cpu=cpu, country=country))
    _, pack = LocalStacks(deployed["settings"]).catalog_settings()
    workspace = StackWorkspace(
        ops_settings(tmp_path), name, folder=tmp_path / name, project=ROOT / "tests" / "platform_program"
    )
    token = (deployed["tmp"] / "work" / "identities" / "acme" / "token").read_text().strip()
    workspace.prepare(
        {
            "platformprobe:catalog": str(deployed["catalog"]),
            "platformprobe:zone": "local-tim-it-milan",
            "platformprobe:name": name,
            "platformprobe:app": str(spec),
            "platformprobe:tenant": "acme",
            "platformprobe:home": "orange",
            "platformprobe:country": country,
            "platformprobe:ca": (deployed["tmp"] / "federation" / "ca" / "ca.crt").read_text(),
            "platformprobe:readySeconds": str(ready_seconds),
        },
        secrets={"platformprobe:token": token},
    )
    return workspace, pack, token


def test_platform_edge_app_deploys_through_the_partners_platform_with_the_real_engine_and_pack(deployed, tmp_path):
    """PlatformEdgeApp under `pulumi up` with the pack: judged at preview, ready on TIM's Milan, read back, destroyed.

    An instance the platform reports failed fails the `up` naming zone and app, and leaves nothing in the state
    nor on the platform; the tenant's token never reaches the state in the clear.
    """
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed.platform.eam_client import EamClient

    catalog = load_catalog(deployed["catalog"])
    tim = catalog.operator_by_id["tim"]
    ca = deployed["tmp"] / "federation" / "ca" / "ca.crt"
    workspace, pack, token = _platform_stack(deployed, tmp_path, "probe-it", cpu=0.5)
    done = operations.up(workspace, config=pack)
    assert done.ok, done.output[-3000:]
    out = operations.outputs(workspace)
    assert (out["status"], out["endpoints"]) == ("ready", ["probe-it-it-milan.acme-it.svc.cluster.local:7443"])
    assert token not in workspace.cli("stack", "export").stdout, "the tenant's token leaked into the state"
    assert ("acme-it", "probe-it-it-milan") in deployments_in(deployed, "local-tim-it-milan")
    again = operations.preview(workspace, config=pack)
    assert again.ok and set(again.changes) == {"same"}, again.output[-2000:]

    # The pack judges the instance at preview, from the platform and platform id it really calls.
    abroad, pack, _ = _platform_stack(deployed, tmp_path, "probe-abroad", cpu=0.5, country="DE")
    judged = operations.preview(abroad, config=pack)
    assert not judged.ok
    assert [(v.policy, v.message) for v in judged.violations] == [
        (
            "enforce-platform-instance-residency",
            "platform instance 'probe-abroad-instance': zone local-tim-it-milan (IT) is outside the app's residency DE",
        )
    ], judged.output[-2000:]

    failing, pack, _ = _platform_stack(deployed, tmp_path, "probe-big", cpu=64)
    refused = operations.up(failing, config=pack)
    assert not refused.ok
    assert "app probe-big in zone local-tim-it-milan: the platform reports instance" in refused.output
    assert "failed; it was deleted again, nothing was deployed there" in refused.output
    state = operations.export(failing)
    assert not [r for r in state.get("resources") or [] if r["type"].endswith("PlatformAppInstance")]

    assert operations.destroy(failing).ok and operations.destroy(workspace).ok
    with EamClient(tim.platform_api, token, ca_file=ca) as eam:
        assert eam.instances() == [] and eam.apps() == []
    assert ("acme-it", "probe-it-it-milan") not in deployments_in(deployed, "local-tim-it-milan")


def test_destroy_empties_every_tenant_namespace_and_bucket_then_the_operators_remove_them(deployed):
    with ThreadPoolExecutor(3) as pool:  # tenant stacks are independent: destroyed at once
        tenant_stacks = DEPLOYED + PLATFORM_STACKS
        destroyed = list(pool.map(lambda stack: operations.destroy(workspace_of(deployed, stack)), tenant_stacks))
    assert all(outcome.ok for outcome in destroyed), [o.output[-2000:] for o in destroyed if not o.ok]
    for zone in local_zones(deployed):
        with client(deployed, zone.id) as api:
            assert not api.deployments(), zone.id
    for cc in ("fr", "de", "it"):
        store = object_store(deployed, cc)
        s3 = s3_client(deployed, cc, store.endpoint, store.region)
        # What stays is the stacks' state (in its own bucket): it records that nothing is deployed.
        left = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        assert left == [STATE_BUCKET % cc], left
    with ThreadPoolExecutor(3) as pool:
        destroyed = list(pool.map(lambda stack: operations.destroy(workspace_of(deployed, stack)), OPERATOR_STACKS))
    assert all(outcome.ok for outcome in destroyed), [o.output[-2000:] for o in destroyed if not o.ok]
    tenants = {namespace(stack) for stack in TENANT_STACKS + PLATFORM_STACKS}
    for zone in local_zones(deployed):
        with client(deployed, zone.id) as api:
            phases = api.namespaces()
        assert not {n for n, phase in phases.items() if n in tenants and phase != "Terminating"}, zone.id
