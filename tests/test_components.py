"""Component logic under Pulumi mocks: resources, providers, labels and secrets."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from edgefed.components.app import FederatedEdgeApp, FederatedEdgeAppArgs, rollout_order
from edgefed.components.bucket import ResidentBucket, ResidentBucketArgs
from edgefed.components.zone import EdgeZone, EdgeZoneArgs
from edgefed.core.inputs import labels
from edgefed.core.inputs.appspec import load_app_spec
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.placement.placer import demand_by_zone, place, with_drained

from .conftest import APPS, CATALOG, ROOT
from .pulumi_harness import run_program

K8S_PROVIDER = "pulumi:providers:kubernetes"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG)


def _fr_spec(app_name: str):
    spec = load_app_spec(APPS / f"{app_name}.yaml")
    return spec.model_copy(update={"sites": tuple(s for s in spec.sites if s.country == "FR")})


def _zones(catalog, demand):
    """An EdgeZone per zone the demand names (call inside a program)."""
    return {
        zone_id: EdgeZone(zone_id, EdgeZoneArgs(zone=catalog.zone(zone_id), namespace="acme-fr", kubeconfig="kc"))
        for zone_id in demand
    }


def _deploy(catalog, app_name: str, unavailable=()):
    spec = _fr_spec(app_name)
    plan = place(catalog, spec, unavailable)
    demand = demand_by_zone({spec.name: plan}, [spec])

    def program():
        zones = _zones(catalog, demand)
        FederatedEdgeApp(spec.name, FederatedEdgeAppArgs(spec=spec, catalog=catalog, zones=zones, plan=plan))

    return plan, program


def test_a_tenants_edge_zone_is_an_explicit_provider_and_nothing_else(catalog, monkeypatch):
    """The namespace, its quota, rights and guards are the operator's: a tenant stack registers none of them."""
    _, program = _deploy(catalog, "robot-control")
    rec = run_program(program, monkeypatch=monkeypatch)
    provider = rec.named("orange-fr-lyon-provider")
    assert provider.type == K8S_PROVIDER
    assert provider.inputs["clusterIdentifier"] == "orange-fr-lyon"
    assert provider.is_secret("kubeconfig"), "kubeconfig must travel to the engine as a secret"
    kinds = {r.type.rsplit(":", 1)[-1] for r in rec.resources if r.type.startswith("kubernetes:")}
    assert kinds == {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"}
    assert all(
        r.inputs["metadata"]["namespace"] == "acme-fr" for r in rec.resources if r.type.startswith("kubernetes:")
    )


FLOW = "flowcontrol.apiserver.k8s.io/v1"


def _terms(operator: str):
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed.core.inputs.contract import load_contracts
    from edgefed.core.inputs.operator_terms import load_operator_terms

    folder = ROOT / "stacks" / "tenants" / "federation"
    catalog = load_catalog(ROOT / "stacks" / "catalog" / "federation.yaml")
    return load_operator_terms(folder, catalog, load_contracts(folder, catalog))[operator]


def test_an_operator_zone_gives_each_contracted_tenant_its_namespace_quota_rules_and_rights(catalog, monkeypatch):
    from edgefed.components.operator_zone import OperatorZone, OperatorZoneArgs
    from edgefed.core.inputs.contract import load_contract
    from edgefed.core.operatorslice import Grant
    from edgefed.core.rules.pack_config import Destinations, RegistryRules

    contract = load_contract(ROOT / "stacks" / "tenants" / "federation" / "acme.yaml", catalog)
    lyon = catalog.zone("orange-fr-lyon")
    grant = Grant(contract, "FR", contract.allocation("FR", lyon.id))
    terms = _terms("orange")

    def program():
        OperatorZone(
            lyon.id,
            OperatorZoneArgs(
                zone=lyon, operator=catalog.operator_by_id["orange"], terms=terms, grants=[grant],
                rules=RegistryRules(), destinations=Destinations(), kubeconfig="kc",
            ),
        )  # fmt: skip

    rec = run_program(program, monkeypatch=monkeypatch)
    assert rec.named("orange-fr-lyon-provider").is_secret("kubeconfig")
    prefix = "orange-fr-lyon-acme-fr"
    assert rec.named(f"{prefix}-namespace").inputs["metadata"]["name"] == "acme-fr"
    deny = rec.named(f"{prefix}-default-deny")
    assert deny.inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert deny.inputs["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "edgefed-operator"
    quota = rec.named(f"{prefix}-quota").inputs["spec"]["hard"]
    allocation = contract.allocation("FR", lyon.id)
    assert quota["requests.cpu"] == f"{int(allocation.cpu * 1000)}m", "the quota is the contract's allocation"
    assert quota["requests.memory"] == f"{int(allocation.memory_gib * 1024)}Mi"
    assert quota["services.loadbalancers"] == "0" and quota["services.nodeports"] == "0", "none granted"
    share = terms.namespace_quota
    assert quota["pods"] == str(share.pods) and quota["secrets"] == str(share.secrets)
    assert quota["configmaps"] == str(share.config_maps + 2), "the operator's own two count too"
    assert quota["count/networkpolicies.networking.k8s.io"] == str(share.network_policies + 2)
    assert quota["limits.ephemeral-storage"] == f"{int(share.ephemeral_storage_gib * 1024)}Mi"
    space = rec.named(f"{prefix}-namespace").inputs["metadata"]["labels"]
    assert space["pod-security.kubernetes.io/enforce"] == "restricted"
    limits = rec.named(f"{prefix}-limits").inputs["spec"]["limits"][0]
    assert limits["default"]["ephemeral-storage"] and limits["min"]["ephemeral-storage"]
    binding = rec.named(f"{prefix}-role-binding").inputs
    assert binding["subjects"] == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "edgefed:tenant:orange:acme"}
    ]
    assert binding["roleRef"]["name"] == "edgefed-tenant"
    rules = rec.named(f"{prefix}-role").inputs["rules"]
    granted = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    assert (
        not {(g, r) for g, r in granted if r in ("resourcequotas", "limitranges") and "update" in str(rules)} - granted
    )
    assert not any(g in ("rbac.authorization.k8s.io", "admissionregistration.k8s.io") for g, _ in granted)
    assert ("", "namespaces") not in granted and ("", "configmaps") not in granted and ("", "secrets") not in granted
    params = rec.named(f"{prefix}-rules").inputs["data"]
    assert params == {"tenant": "acme", "country": "FR", "registry-0": "registry.edgefed.eu", "load-balancers": "0",
                      **{f"class-{i}": c for i, c in enumerate(contract.data_classes)}}  # fmt: skip
    policies = {
        r.inputs["metadata"]["name"]
        for r in rec.of_type("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")
    }
    assert policies == {
        "edgefed-residency",
        "edgefed-tenancy",
        "edgefed-grants",
        "edgefed-outbound",
        "edgefed-isolation",
    }, "one policy of each per zone, for every tenant"
    levels = {r.inputs["metadata"]["name"] for r in rec.of_type(f"kubernetes:{FLOW}:PriorityLevelConfiguration")}
    assert levels == {"edgefed-operator-orange", "edgefed-tenant-orange-acme"}, "a share of the API server each"
    schema = rec.named("orange-fr-lyon-tenant-orange-acme-flows").inputs["spec"]
    assert schema["rules"][0]["subjects"] == [{"kind": "Group", "group": {"name": "edgefed:tenant:orange:acme"}}]
    assert rec.named("orange-fr-lyon-storage-edge-block").inputs["volumeBindingMode"] == "WaitForFirstConsumer"


def test_every_kubernetes_resource_uses_its_zone_provider(catalog, monkeypatch):
    _, program = _deploy(catalog, "robot-control")
    rec = run_program(program, monkeypatch=monkeypatch)
    k8s = [r for r in rec.resources if r.custom and r.type.startswith("kubernetes:")]
    assert k8s
    for resource in k8s:
        assert resource.provider, f"{resource.name} has no provider"
        zone = resource.inputs["metadata"]["labels"][labels.ZONE]
        assert f"::{zone}-provider::" in resource.provider, f"{resource.name} is not on zone {zone}'s provider"


def test_residency_labels_on_everything(catalog, monkeypatch):
    _, program = _deploy(catalog, "robot-control")
    rec = run_program(program, monkeypatch=monkeypatch)
    for resource in rec.resources:
        if not resource.type.startswith("kubernetes:"):
            continue
        found = resource.inputs["metadata"]["labels"]
        for key in labels.RESIDENCY_KEYS:
            assert key in found, f"{resource.name} lacks {key}"
        assert found[labels.COUNTRY] in {"fr", "be", "it", "de", "es"}


def test_standby_replicas_are_labelled_and_primaries_autoscale(catalog, monkeypatch):
    plan, program = _deploy(catalog, "robot-control")
    spec = load_app_spec(APPS / "robot-control.yaml")
    rec = run_program(program, monkeypatch=monkeypatch)
    deployments = {r.inputs["metadata"]["labels"][labels.ZONE]: r for r in rec.of_type("kubernetes:apps/v1:Deployment")}
    assert set(deployments) == {a.zone for a in plan.zones}
    for assignment in plan.zones:
        deployment = deployments[assignment.zone]
        # The autoscaler owns the count (its bounds below): a Deployment declaring it too would conflict.
        assert "replicas" not in deployment.inputs["spec"]
        assert "annotations" not in deployment.inputs["metadata"] or not deployment.inputs["metadata"]["annotations"]
        assert deployment.inputs["metadata"]["labels"][labels.ROLE] == assignment.role
        # Off the pod template: a promotion scales the warm pods instead of replacing them.
        assert labels.ROLE not in deployment.inputs["spec"]["template"]["metadata"]["labels"]
    hpas = {r.name: r.inputs["spec"] for r in rec.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")}
    assert set(hpas) == {f"robot-control-{a.zone}-hpa" for a in plan.zones}
    for assignment in plan.zones:
        bounds = hpas[f"robot-control-{assignment.zone}-hpa"]
        if assignment.role == "primary":
            assert (bounds["minReplicas"], bounds["maxReplicas"]) == (spec.replicas_per_zone, spec.autoscaling_ceiling)
        else:  # a standby is pinned at its warm count: the autoscaler never promotes it
            assert bounds["minReplicas"] == bounds["maxReplicas"] == spec.standby_replicas
    assert len(rec.of_type("kubernetes:policy/v1:PodDisruptionBudget")) == len(plan.zones)
    assert len(rec.of_type("kubernetes:core/v1:Service")) == len(plan.zones)


def test_gpu_apps_request_gpus_and_select_the_model(catalog, monkeypatch):
    _, program = _deploy(catalog, "gpu-inference")
    rec = run_program(program, monkeypatch=monkeypatch)
    (deployment,) = rec.of_type("kubernetes:apps/v1:Deployment")
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "nvidia-l4"}
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_component_type_tokens_and_parenting(catalog, monkeypatch):
    _, program = _deploy(catalog, "robot-control")
    rec = run_program(program, monkeypatch=monkeypatch)
    types = {r.type for r in rec.resources if not r.custom}
    assert {"edgefed:index:EdgeZone", "edgefed:index:FederatedEdgeApp"} <= types


def test_unavailable_zone_provider_skips_unreachable_updates(catalog, monkeypatch):
    zone = catalog.zone("orange-fr-lyon")

    def program():
        EdgeZone(zone.id, EdgeZoneArgs(zone=zone, namespace="t", kubeconfig="kc", unavailable=True))

    rec = run_program(program, monkeypatch=monkeypatch)
    # Provider inputs reach the engine JSON-encoded.
    assert rec.named("orange-fr-lyon-provider").inputs["skipUpdateUnreachable"] == "true"


def test_render_mode_needs_no_credentials(catalog, monkeypatch):
    zone = catalog.zone("orange-fr-lyon")

    def program():
        EdgeZone(zone.id, EdgeZoneArgs(zone=zone, namespace="t", render_yaml_to="/tmp/out"))

    rec = run_program(program, monkeypatch=monkeypatch)
    provider = rec.named("orange-fr-lyon-provider")
    assert provider.inputs["renderYamlToDirectory"] == "/tmp/out/orange-fr-lyon"
    assert "kubeconfig" not in provider.inputs


def test_resident_bucket_credentials_are_secret(monkeypatch):
    def program():
        ResidentBucket(
            "acme-fr",
            ResidentBucketArgs(
                bucket="acme-fr",
                country="FR",
                endpoint="http://127.0.0.1:9",
                region="fr-par",
                access_key="AKIAEXAMPLE",
                secret_key="very-secret",
                data_classification="internal",
            ),
        )

    rec = run_program(program, monkeypatch=monkeypatch)
    bucket = rec.named("acme-fr-bucket")
    assert bucket.type == "pulumi-python:dynamic/edgefed:ResidentBucket", "recognised by its own type"
    assert bucket.is_secret("access_key")
    assert bucket.is_secret("secret_key")
    assert bucket.inputs["region"] == "fr-par"
    assert rec.named("acme-fr").type == "edgefed:index:ResidentBucket"


@pytest.mark.parametrize("classification", ["restricted", "secret", ""])
def test_restricted_data_on_an_endpoint_without_default_encryption_is_refused(classification, monkeypatch):
    """Restricted, or a classification the bucket cannot name (fail closed), never lands unencrypted."""

    def program():
        ResidentBucket(
            "aero-fr",
            ResidentBucketArgs(
                bucket="aero-fr",
                country="FR",
                endpoint="http://127.0.0.1:24101",
                region="fr-par",
                access_key="AKIAEXAMPLE",
                secret_key="very-secret",
                data_classification=classification,
                unsupported_controls=("encryption",),
            ),
        )

    with pytest.raises(Exception, match=r"data needs default encryption, which http://127\.0\.0\.1:24101 does not"):
        run_program(program, monkeypatch=monkeypatch)


def test_the_operator_zone_installs_its_admission_policies_with_the_tenants_rules_as_parameters(catalog, monkeypatch):
    from edgefed.components.operator_zone import OperatorZone, OperatorZoneArgs
    from edgefed.core.rules.pack_config import Destinations, RegistryRules

    lyon = catalog.zone("orange-fr-lyon")
    rec = run_program(
        lambda: OperatorZone(
            lyon.id,
            OperatorZoneArgs(
                zone=lyon, operator=catalog.operator_by_id["orange"], terms=_terms("orange"), grants=[],
                rules=RegistryRules(), destinations=Destinations(), kubeconfig="kc",
            ),
        ),
        monkeypatch=monkeypatch,
    )  # fmt: skip
    policy = rec.named("orange-fr-lyon-residency-policy")
    assert policy.type == "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
    assert "::orange-fr-lyon-provider::" in policy.provider
    zone_check = policy.inputs["spec"]["validations"][2]["expression"]
    assert '"fR"' in zone_check and '== "orange-fr-lyon"' in zone_check and '== "orange"' in zone_check
    assert policy.inputs["spec"]["paramKind"] == {"apiVersion": "v1", "kind": "ConfigMap"}
    binding = rec.named("orange-fr-lyon-residency-binding").inputs["spec"]
    assert binding["matchResources"]["namespaceSelector"]["matchExpressions"][0]["operator"] == "NotIn", (
        "every namespace but the cluster's own"
    )
    assert binding["paramRef"] == {"name": "edgefed-tenant", "parameterNotFoundAction": "Deny"}
    guard = rec.named("orange-fr-lyon-tenancy-policy").inputs["spec"]
    assert (
        guard["matchConditions"][0]["expression"]
        == "request.userInfo.groups.exists(g, g.startsWith('edgefed:tenant:'))"
    )


def test_primaries_roll_out_after_every_other_zone_of_the_app(catalog):
    spec = load_app_spec(APPS / "robot-control.yaml")
    healthy = place(catalog, spec)
    order = rollout_order(spec, healthy)
    standbys = tuple(a.zone for a, _ in order if a.role == "standby")
    assert standbys, "robot-control has warm standbys"
    seen: set[str] = set()
    for assignment, waits_for in order:
        assert set(waits_for) <= seen, "what a zone waits for is declared before it"
        assert waits_for == (standbys if assignment.role == "primary" else ())
        seen.add(assignment.zone)
    # Failover: the drained primary (unreachable) comes before the promoted standby, never after.
    down = [z.id for z in catalog.zones_in("FR")]
    outage = with_drained(place(catalog, spec, unavailable=down), healthy, down)
    order = dict(rollout_order(spec, outage))
    promoted = [a for a in order if a.role == "primary" and a.country != "FR"]
    drained = {a.zone for a in order if a.role == "drained"}
    assert promoted and drained
    for assignment in promoted:
        assert drained <= set(order[assignment])


def test_an_app_used_alone_drains_unavailable_zones_as_the_program_does(catalog, monkeypatch):
    """No plan given: the component takes the program's placement path (place_all_drained)."""
    from edgefed.core.placement.placer import place_all_drained

    spec = _fr_spec("robot-control")
    down = ["orange-fr-lyon"]
    plans, healthy = place_all_drained(catalog, [spec], down, zones=[z.id for z in catalog.zones])
    demand = demand_by_zone(plans, [spec])

    def program():
        zones = _zones(catalog, demand)
        app = FederatedEdgeApp(
            spec.name, FederatedEdgeAppArgs(spec=spec, catalog=catalog, zones=zones, unavailable=down)
        )
        # The component placed on its zones (those the plan uses) exactly as the program's path does.
        assert app.plan == place_all_drained(catalog, [spec], down, zones=zones)[0][spec.name] == plans[spec.name]

    rec = run_program(program, monkeypatch=monkeypatch)
    lyon = rec.named("robot-control-orange-fr-lyon-deployment")
    assert lyon.inputs["spec"]["replicas"] == 0, "the unavailable zone keeps its Deployment, drained"
    assert lyon.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}, "fenced even if autoscaled"
    assert any(a.zone == "orange-fr-lyon" and a.role == "drained" for a in plans[spec.name].zones)
    assert healthy[spec.name] != plans[spec.name]


def test_components_register_without_pulumi_kubernetes_typed_modules():
    """Every object goes through KubernetesObject: the typed modules (core/v1 alone takes a third of a
    second to import) never load, in a program that registers a zone and an app."""
    script = """
import sys
from tests.test_components import _deploy, load_catalog, CATALOG
from tests.pulumi_harness import run_program
_, program = _deploy(load_catalog(CATALOG), "robot-control")
rec = run_program(program)
assert any(r.type == "kubernetes:apps/v1:Deployment" for r in rec.resources)
print(sorted(m for m in sys.modules if m.startswith("pulumi_kubernetes.")))
"""
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(found.stdout.strip().splitlines()[-1])
    # pulumi_kubernetes puts lazy group modules (pulumi_kubernetes.apps) in sys.modules; a version module
    # (pulumi_kubernetes.apps.v1) is there only once something used a typed class.
    typed = [m for m in loaded if len(m.split(".")) > 2 and m.split(".")[2].startswith("v")]
    assert "pulumi_kubernetes.provider" in loaded, "the zone's provider is pulumi-kubernetes' own"
    assert not typed, typed


def test_an_apps_egress_is_a_network_policy_pinned_to_its_classification_and_residency(catalog, monkeypatch):
    """city-flow sends to the city's open-data hub: the policy selects exactly its pods, as the egress rule reads it."""
    from edgefed.core.rules.egress import check_egress
    from edgefed.core.rules.pack_config import Destinations

    _, program = _deploy(catalog, "city-flow")
    rec = run_program(program, monkeypatch=monkeypatch)
    egress = [r for r in rec.resources if r.name.endswith("-egress")]
    assert egress, "one egress NetworkPolicy per zone of the app"
    for policy in egress:
        spec = policy.inputs["spec"]
        assert spec["podSelector"]["matchLabels"] == {
            "app.kubernetes.io/name": "city-flow",
            "edgefed.io/data-classification": "personal",
            "edgefed.io/residency": "at.be.de.es.fr.it.nl.pt",
        }
        assert spec["egress"] == [
            {"to": [{"ipBlock": {"cidr": "10.33.8.0/24"}}], "ports": [{"protocol": "TCP", "port": 443}]}
        ]
        allowed = Destinations(cidrs={"FR": ("10.33.0.0/16",)})
        assert check_egress(NETWORK_POLICY_TYPE, policy.name, policy.inputs, "BE", allowed) == []
    assert not [r for r in rec.resources if r.name.endswith("-egress") and "robot-control" in r.name]


NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
