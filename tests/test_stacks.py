"""Examples are tests: every committed stack (operators' and tenants') is rendered and runs (under mocks).

The same stacks run under the real engine in test_engine.py.
"""

from __future__ import annotations

import json
import subprocess

import pulumi
import pytest

from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.stackconfig import load_stack, raw_from_stack_file
from edgefed.core.placement.federation import load_federation, plan_federation

from .conftest import CATALOG, EDGEFED, ROOT
from .pulumi_harness import Recorder, run_program

ALL_STACKS = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
OPERATOR_STACKS = [s for s in ALL_STACKS if s.startswith(("zones-", "local-zones-"))]
STACKS = [s for s in ALL_STACKS if s not in OPERATOR_STACKS]
"""The tenants' app stacks."""
FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n# fake-credential-7f3a\n"
FAKE_S3 = json.dumps({"accessKey": "fake-access-7f3a", "secretKey": "fake-secret-7f3a"})


def test_stacks_exist_for_both_personas():
    assert {"acme-fr", "acme-de", "acme-it", "acme-es", "local-acme-fr", "local-nordwind-fr"} <= set(STACKS)
    assert {f"{p}zones-{op}" for p in ("", "local-") for op in ("orange", "vodafone", "tim")} <= set(OPERATOR_STACKS)


def test_committed_stacks_match_the_renderer():
    result = subprocess.run([*EDGEFED, "render", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def stack_config(stack: str, **overrides: object) -> tuple[dict[str, str], list[str]]:
    """The config the engine would pass for ``stack``, with fake credentials for every catalog secret."""
    raw = raw_from_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    catalog = load_catalog(ROOT / raw.get("edgefed:catalog", str(CATALOG)))
    secrets = []
    for zone in catalog.zones:
        raw[f"edgefed:{zone.kubeconfig_secret}"] = FAKE_KUBECONFIG
        raw[f"edgefed:{zone.object_storage.credentials_secret}"] = FAKE_S3
        secrets += [f"edgefed:{zone.kubeconfig_secret}", f"edgefed:{zone.object_storage.credentials_secret}"]
    for key, value in overrides.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value if isinstance(value, str) else json.dumps(value)
    return raw, sorted(set(secrets))


def run_stack(stack: str, monkeypatch: pytest.MonkeyPatch, raw: dict[str, str], secrets: list[str]):
    from edgefed import program

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(raw))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(secrets))
    pulumi.runtime.set_all_config(raw, secrets)
    return run_program(program.deploy_stack, stack=stack, monkeypatch=monkeypatch)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_deploys_its_plan(stack, monkeypatch):
    raw, secrets = stack_config(stack)
    config, catalog, specs, _ = load_stack(raw, secrets, ROOT, stack)
    rec = run_stack(stack, monkeypatch, raw, secrets)
    zones_used = {r.name.removesuffix("-provider") for r in rec.of_type("pulumi:providers:kubernetes")}
    zones_used |= {i.inputs["zone"] for i in rec.of_type("pulumi-python:dynamic/edgefed:PlatformAppInstance")}
    assert zones_used <= set(config.zones)
    assert any(catalog.zone(z).country == config.country for z in zones_used)
    deployments = rec.of_type("kubernetes:apps/v1:Deployment")
    instances = rec.of_type("pulumi-python:dynamic/edgefed:PlatformAppInstance")
    # Each app runs as Deployments where zones are reached through Kubernetes, as platform instances elsewhere.
    assert {d.inputs["metadata"]["name"] for d in deployments} | {i.inputs["app"] for i in instances} == {
        s.name for s in specs
    }
    for instance in instances:
        zone = catalog.zone(instance.inputs["zone"])
        assert (zone.reached_through, instance.inputs["edge_cloud_zone_id"]) == ("platform", zone.platform_id)
        assert instance.is_secret("token")
    for d in deployments:
        assert d.inputs["metadata"]["namespace"] == f"{config.tenant}-{config.country.lower()}"
    buckets = rec.of_type("pulumi-python:dynamic/edgefed:ResidentBucket")
    assert all(b.inputs["country"] == config.country for b in buckets)
    assert buckets or not any(s.object_storage for s in specs)
    assert all(b.is_secret("secret_key") for b in buckets)
    # A tenant stack creates no namespace, quota, LimitRange, RBAC or admission object: those are the operator's.
    kinds = {r.type.rsplit(":", 1)[-1] for r in rec.resources if r.type.startswith("kubernetes:")}
    assert kinds <= {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"}


@pytest.mark.parametrize("stack", OPERATOR_STACKS)
def test_every_operator_stack_gives_each_contracted_tenant_its_namespaces(stack, monkeypatch):
    from edgefed.core.operatorslice import operator_slice

    raw, secrets = stack_config(stack)
    piece = operator_slice(ROOT, stack, raw, secrets)
    rec = run_stack(stack, monkeypatch, raw, secrets)
    expected = {f"{g.contract.tenant}-{g.country.lower()}" for grants in piece.grants.values() for g in grants}
    namespaces = {r.inputs["metadata"]["name"] for r in rec.of_type("kubernetes:core/v1:Namespace")}
    assert namespaces == expected
    quotas = rec.of_type("kubernetes:core/v1:ResourceQuota")
    assert len(quotas) == sum(len(g) for g in piece.grants.values())
    policies = rec.of_type("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")
    assert len(policies) == 5 * len(piece.config.zones), "residency, tenancy, grants, outbound and isolation per zone"
    # Per zone: the operator's flow schema and one per tenant holding a namespace there (API Priority and Fairness).
    tenants = {(g.contract.home_operator, g.contract.tenant) for grants in piece.grants.values() for g in grants}
    schemas = {
        r.inputs["metadata"]["name"] for r in rec.of_type("kubernetes:flowcontrol.apiserver.k8s.io/v1:FlowSchema")
    }
    assert schemas == {f"edgefed-tenant-{op}-{t}" for op, t in tenants} | {f"edgefed-operator-{piece.operator.id}"}
    classes = {r.inputs["metadata"]["name"] for r in rec.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")}
    assert classes == set(piece.terms.offered("priority_classes"))
    for space in rec.of_type("kubernetes:core/v1:Namespace"):
        assert space.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert not rec.of_type("kubernetes:apps/v1:Deployment"), "an operator's zone stack runs no tenant app"


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_deploys_exactly_its_slice_of_the_federation_plan(stack, monkeypatch):
    raw, secrets = stack_config(stack)
    whole = plan_federation(load_federation(ROOT, stack, raw, secrets))
    expected = {
        (f"{app}-{a.zone}-deployment", a.replicas) for app, plan in whole.slice(stack).items() for a in plan.zones
    }
    rec = run_stack(stack, monkeypatch, raw, secrets)
    deployed = {(d.name, d.inputs["spec"].get("replicas")) for d in rec.of_type("kubernetes:apps/v1:Deployment")}
    # A zone reached through its operator's platform runs the app as an instance: the component's name says so.
    through_platform = {
        (r.name.removesuffix("-instance") + "-deployment", None)
        for r in rec.of_type("pulumi-python:dynamic/edgefed:PlatformAppInstance")
    }
    assert {name for name, _ in deployed | through_platform} == {name for name, _ in expected}
    assert whole.problems_for(stack) == []


BAD_STACK_CONFIG = [
    ("unknown-key", {"edgefed:zonez": '["x"]'}, "edgefed:zonez: is not a known setting"),
    (
        "zone-not-in-catalog",
        {"edgefed:zones": ["orange-fr-paris", "ghost-zone"]},
        "edgefed:zones[1]: 'ghost-zone' is not a catalog zone",
    ),
    ("country-not-eu", {"edgefed:country": "us"}, "edgefed:country: 'US' is outside the EU/EEA"),
    (
        "zone-outside-the-contract",
        {"edgefed:zones": ["orange-fr-paris", "orange-fr-lyon", "orange-pl-warsaw"]},
        "edgefed:zones[2]: 'orange-pl-warsaw' is outside stacks/tenants/federation/acme.yaml, which allocates to "
        "FR only: ",
    ),
    (
        "another-tenants-contract",
        {"edgefed:tenant": "nordwind"},
        "edgefed:tenant: 'nordwind' but stacks/tenants/federation/acme.yaml is 'acme''s contract",
    ),
    ("unknown-app", {"edgefed:apps": ["robot-control", "tetris"]}, "edgefed:apps[1]: 'tetris' has no spec"),
    (
        "missing-kubeconfig",
        {"edgefed:kubeconfig-orange-fr-paris": None},
        "edgefed:kubeconfig-orange-fr-paris: is missing",
    ),
    ("missing-zones", {"edgefed:zones": None}, "edgefed:zones: is required but missing"),
    (
        "rollout-timeout-too-short",
        {"edgefed:rolloutTimeoutSeconds": "0"},
        "edgefed:rolloutTimeoutSeconds: Input should be greater than or equal to 10",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in BAD_STACK_CONFIG], ids=[c[0] for c in BAD_STACK_CONFIG]
)
def test_bad_stack_config_stops_before_any_resource(overrides, expected, monkeypatch):
    from edgefed import program

    raw, secrets = stack_config("acme-fr", **overrides)
    recorder = Recorder()
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(raw))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps([s for s in secrets if s in raw]))
    pulumi.runtime.set_all_config(raw, [s for s in secrets if s in raw])
    with pytest.raises(pulumi.RunError) as caught:
        run_program(program.deploy_stack, stack="acme-fr", monkeypatch=monkeypatch, recorder=recorder)
    assert recorder.resources == [], "bad input must stop the program before any resource is registered"
    message = str(caught.value)
    assert message.startswith("stacks/Pulumi.acme-fr.yaml: 1 problem(s), nothing was deployed:")
    assert expected in message
    assert "fake-" not in message, "credentials must never appear in errors"


def test_plaintext_credentials_are_refused(monkeypatch):
    raw, secrets = stack_config("acme-fr")
    secrets.remove("edgefed:kubeconfig-orange-fr-paris")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(raw))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(secrets))
    pulumi.runtime.set_all_config(raw, secrets)
    from edgefed import program

    with pytest.raises(pulumi.RunError) as caught:
        run_program(program.deploy_stack, stack="acme-fr", monkeypatch=monkeypatch)
    assert (
        "edgefed:kubeconfig-orange-fr-paris: holds credentials and must be set with `pulumi config set --secret`"
        in str(caught.value)
    )
    assert "fake-credential" not in str(caught.value)


def test_buckets_stay_in_place_through_an_outage(monkeypatch, tmp_path):
    outages = tmp_path / "outages.yaml"
    outages.write_text("unavailable_zones: [orange-fr-lyon, orange-fr-marseille, orange-fr-paris]\n")
    raw, secrets = stack_config("acme-fr")
    healthy = {
        b.name
        for b in run_stack("acme-fr", monkeypatch, raw, secrets).of_type("pulumi-python:dynamic/edgefed:ResidentBucket")
    }
    raw, secrets = stack_config("acme-fr", **{"edgefed:outages": str(outages)})
    outage = {
        b.name
        for b in run_stack("acme-fr", monkeypatch, raw, secrets).of_type("pulumi-python:dynamic/edgefed:ResidentBucket")
    }
    assert healthy and outage == healthy


def test_a_restricted_app_storing_data_where_the_endpoint_cannot_encrypt_is_refused_before_any_resource():
    from edgefed.core.inputs.appspec import load_app_spec
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed.core.inputs.errors import ConfigError
    from edgefed.core.stackslice import require_encryption

    spec = load_app_spec(ROOT / "stacks" / "apps" / "vision-restricted.yaml")
    assert spec.object_storage is False, "the local demo keeps restricted data in its zones"
    paris = load_catalog(ROOT / "stacks" / "catalog" / "local.yaml").zone("local-orange-fr-paris")
    with pytest.raises(ConfigError) as caught:
        require_encryption(spec.model_copy(update={"object_storage": True}), paris)
    assert str(caught.value).splitlines()[1] == (
        "  - object_storage: restricted data needs default encryption, which http://127.0.0.1:24101 (zone "
        "local-orange-fr-paris) does not implement; set object_storage: false (data stays in the zones) or use an "
        "endpoint that encrypts"
    )


def test_an_egress_the_federation_does_not_allow_is_refused_before_anything_deploys(tmp_path):
    """A personal app sending to a CIDR outside every allowed list: the stack refuses it, naming the spec and field."""
    import shutil

    from edgefed.core.inputs.errors import ConfigError
    from edgefed.core.inputs.stackconfig import raw_from_stack_file
    from edgefed.core.stackslice import stack_slice

    for part in ("stacks", "policies"):
        shutil.copytree(ROOT / part, tmp_path / part)
    spec = tmp_path / "stacks" / "apps" / "city-flow.yaml"
    spec.write_text(spec.read_text().replace("10.33.8.0/24", "3.5.0.0/16"))
    raw = raw_from_stack_file(tmp_path / "stacks" / "Pulumi.acme-fr.yaml")
    with pytest.raises(ConfigError) as raised:
        stack_slice(tmp_path, "acme-fr", {**raw, "edgefed:renderYamlTo": "out", "edgefed:buckets": "false"}, [])
    assert raised.value.source == "stacks/apps/city-flow.yaml"
    [(field, message)] = raised.value.problems
    assert field == "egress[0].cidr"
    assert message.startswith("3.5.0.0/16 is not a destination the federation allows for personal data in zone ")
    assert message.endswith("(disallow-open-egress in the family's pack config)")
