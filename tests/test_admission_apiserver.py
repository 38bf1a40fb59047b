"""The zone's admission policy on a real kube-apiserver (with etcd) started on loopback by the test.

Orange's zone of the example federation is deployed by the real engine (`pulumi up` of an
OperatorZone, with acme's contract): then `kubectl apply` into acme's FR namespace, bypassing Pulumi,
is refused with the policy's message for a non-compliant workload and admitted for a compliant one.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import yaml

from edgefed_ops.stack import operations

from .conftest import ROOT, SUMMARY, ops_settings, toolchain_or_skip
from .parity import pack_verdicts
from .workloads import compliant_deployment, residency_labels

pytestmark = pytest.mark.engine

DIGEST = "sha256:" + "ab" * 32
NAMESPACE = "acme-fr"
"""acme's FR namespace, which Orange's Paris zone holds under acme's contract (stacks/tenants/federation)."""


def start_zone(name: str, tmp_path_factory):
    tools = {tool: toolchain_or_skip(tool) for tool in ("etcd", "kube-apiserver", "kube-controller-manager")}
    from edgefed_ops.local import controlplane

    binaries = controlplane.Binaries(tools["etcd"], tools["kube-apiserver"], tools["kube-controller-manager"])
    return controlplane.start(name, tmp_path_factory.mktemp("zone"), binaries)


@pytest.fixture(scope="module")
def zone_cluster(tmp_path_factory):
    plane = start_zone("orange-fr-paris", tmp_path_factory)
    yield plane
    plane.stop()


@pytest.fixture(scope="module")
def deployed_zone(zone_cluster, tmp_path_factory):
    return deploy_zone(zone_cluster, "orange-fr-paris", tmp_path_factory)


def deploy_zone(zone_cluster, zone_id: str, tmp_path_factory):
    """The operator's zone deployed with `pulumi up` and the pack, which checks that the provider's
    kubeconfig connects to the zone's catalog API endpoint: here the loopback server, in a copy of the catalog."""
    from edgefed_ops.stack.workspace import StackWorkspace

    tmp = tmp_path_factory.mktemp("zone-stack")
    catalog = yaml.safe_load((ROOT / "stacks" / "catalog" / "federation.yaml").read_text())
    for zone in catalog["zones"]:
        if zone["id"] == zone_id:
            zone["api_endpoint"] = zone_cluster.url
    (tmp / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    config = json.loads((ROOT / "policies" / "eu-residency" / "config.json").read_text())
    for rule in config.values():
        if isinstance(rule, dict) and "catalogs" in rule:
            rule["catalogs"] = [str(tmp / "catalog.yaml")]
    # A loopback server with a self-signed certificate, as in the local federation (config-local.json).
    config["disallow-kubeconfig-detour"]["allowUnverifiedTls"] = True
    (tmp / "pack.json").write_text(json.dumps(config))
    workspace = StackWorkspace(ops_settings(tmp), zone_id.rsplit("-", 1)[1], project=ROOT / "tests" / "zone_program")
    workspace.prepare(
        {
            "zoneprobe:catalog": str(tmp / "catalog.yaml"),
            "zoneprobe:zone": zone_id,
            "zoneprobe:contracts": str(ROOT / "stacks" / "tenants" / "federation"),
            "zoneprobe:pack": str(tmp / "pack.json"),
        },
        secrets={"zoneprobe:kubeconfig": zone_cluster.kubeconfig.read_text()},
    )
    deployed = operations.up(workspace, config=tmp / "pack.json")
    assert deployed.ok, deployed.output[-3000:]
    state = workspace.cli("stack", "export").stdout
    assert zone_cluster.kubeconfig.read_text().split("token: ")[1].split()[0] not in state, (
        "kubeconfig leaked into state"
    )
    delay = wait_until_policy_enforced(zone_cluster)
    SUMMARY.append(f"zone admission policy in force {delay:.1f} s after pulumi up returned")
    return zone_cluster


def wait_until_policy_enforced(plane, deadline_seconds: float = 60.0) -> float:
    """Seconds until a server-side dry run of a non-compliant workload is refused.

    The API server compiles admission policies from its informers and reloads them once a second, so a
    binding that `pulumi up` has just created is in force shortly after, not at once (seen in CI: a
    `kubectl apply` right after `up` was admitted). Waiting here, with a deadline, keeps the tests below
    about what the policy refuses; a policy that never comes into force still fails the fixture.
    """
    probe = manifest("probe", "nginx:1.27")
    started = time.monotonic()
    while True:
        result = kubectl_apply(plane, probe, "--dry-run=server")
        elapsed = time.monotonic() - started
        if result.returncode != 0 and "edgefed residency" in result.stderr:
            return elapsed
        if elapsed > deadline_seconds:
            pytest.fail(
                f"the zone's admission policy was not in force {deadline_seconds:.0f} s after pulumi up: "
                f"a dry run of a non-compliant Deployment returned {result.returncode}: "
                f"{result.stdout.strip()} {result.stderr.strip()}"
            )
        time.sleep(0.2)


def kubectl_apply(plane, manifest: str, *flags: str) -> subprocess.CompletedProcess[str]:
    kubectl = toolchain_or_skip("kubectl")
    return subprocess.run(
        [kubectl, "--kubeconfig", str(plane.kubeconfig), "apply", *flags, "-f", "-"],
        input=manifest,
        capture_output=True,
        text=True,
        timeout=60,
    )


def manifest(
    name: str,
    image: str,
    country: str = "fr",
    classification: str = "internal",
    with_labels: bool = True,
    pod: dict[str, object] | None = None,
) -> str:
    labels = residency_labels(country=country, data_classification=classification) if with_labels else {"app": "x"}
    deployment = compliant_deployment(name, image, labels=labels, container="app")
    deployment["metadata"]["namespace"] = NAMESPACE
    deployment["spec"]["template"]["spec"].update(pod or {})
    return yaml.safe_dump(deployment)


def test_compliant_kubectl_apply_is_admitted(deployed_zone):
    result = kubectl_apply(deployed_zone, manifest("ok", "registry.edgefed.eu/acme/web:1"))
    assert result.returncode == 0, result.stderr
    assert "deployment.apps/ok created" in result.stdout


@pytest.mark.parametrize(
    ("name", "image", "extra", "message"),
    [
        (
            "hub",
            "nginx:1.27",
            {},
            "edgefed residency: image nginx:1.27 is not from an allow-listed registry (registry.edgefed.eu)",
        ),
        (
            "gcr",
            "gcr.io/acme/web:1",
            {},
            "edgefed residency: image gcr.io/acme/web:1 is not from an allow-listed registry (registry.edgefed.eu)",
        ),
        (
            "moved",
            "registry.edgefed.eu/acme/web:1",
            {"country": "de"},
            "edgefed residency: this is zone orange-fr-paris of orange in FR; the workload's edgefed.io/country, "
            "edgefed.io/zone and edgefed.io/operator labels must say so",
        ),
        (
            "bare",
            "registry.edgefed.eu/acme/web:1",
            {"with_labels": False},
            "edgefed residency: a workload and its pod template must carry the labels edgefed.io/country, "
            "edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, "
            "app.kubernetes.io/name",
        ),
        (
            "secret",
            "registry.edgefed.eu/aero/vision:3",
            {"classification": "restricted"},
            "edgefed residency: restricted data requires images pinned by digest (image@sha256:...)",
        ),
        (
            "node",
            "registry.edgefed.eu/acme/web:1",
            {"pod": {"hostNetwork": True}},
            "edgefed residency: internal data may not use the node's network, processes or disks (hostNetwork, "
            "hostPID, hostIPC, hostPort, privileged or node capabilities, hostPath); only public data may",
        ),
    ],
    ids=["docker-hub", "us-registry", "wrong-country", "unlabelled", "restricted-without-digest", "host-network"],
)
def test_non_compliant_kubectl_apply_is_refused(deployed_zone, name, image, extra, message):
    result = kubectl_apply(deployed_zone, manifest(name, image, **extra))
    assert result.returncode != 0
    assert "ValidatingAdmissionPolicy 'edgefed-residency'" in result.stderr
    assert message in result.stderr


def test_restricted_with_digest_is_admitted(deployed_zone):
    result = kubectl_apply(
        deployed_zone, manifest("pinned", f"registry.edgefed.eu/aero/vision:3@{DIGEST}", classification="restricted")
    )
    assert result.returncode == 0, result.stderr


INTENDED = {"kube-system-hub": "system-namespace", "default-ok": "tenant-namespace"}
"""Corpus entries whose verdicts differ on purpose (see edgefed.core.objects.admission.INTENDED_DIFFERENCES)."""


def test_the_pack_and_the_zone_give_the_same_verdict_on_every_workload(deployed_zone, tmp_path):
    """Differential: one corpus through the pack (real engine) and through the zone's API server."""
    from edgefed.core.objects.admission import INTENDED_DIFFERENCES
    from edgefed_ops.local.zone_client import open_zone

    from .workloads import admission_corpus

    corpus = admission_corpus()
    assert len(corpus) >= 40
    pack = pack_verdicts(corpus, tmp_path, "parity")
    for manifest in corpus.values():  # into acme's namespace (the corpus's own system namespaces stay)
        if manifest["metadata"].get("namespace") == "edgefed-fr":
            manifest["metadata"]["namespace"] = NAMESPACE
    with open_zone(deployed_zone.kubeconfig) as client:
        refusals = {name: client.dry_run_create(manifest) for name, manifest in corpus.items()}
    admitted = {name: refusal is None for name, refusal in refusals.items()}
    for name, refusal in refusals.items():
        if refusal is not None:  # the residency policy, never something else; a hostPath volume is also refused by
            # the zone's isolation policy and, in a Pod, by Pod Security, and a namespace without tenant rules by
            # both policies' bindings: the API server answers with one of them
            also = ("ValidatingAdmissionPolicy 'edgefed-isolation'", 'violates PodSecurity "restricted:latest"')
            node_path = "hostPath" in json.dumps(corpus[name]) and any(words in refusal for words in also)
            no_rules = "no params found for policy binding with `Deny` parameterNotFoundAction" in refusal
            assert "ValidatingAdmissionPolicy 'edgefed-residency'" in refusal or node_path or no_rules, (name, refusal)
    differ = {name for name in corpus if pack[name] != admitted[name]}
    assert differ == set(INTENDED), {n: (pack[n], refusals[n]) for n in differ ^ set(INTENDED)}
    assert {INTENDED[name] for name in differ} <= set(INTENDED_DIFFERENCES)
    assert (pack["kube-system-hub"], admitted["kube-system-hub"]) == (False, True)
    assert (pack["default-ok"], admitted["default-ok"]) == (True, False)
    assert "no params found for policy binding with `Deny` parameterNotFoundAction" in str(refusals["default-ok"])
    both = sum(pack.values())
    assert 8 <= both < len(corpus) - 20, "the corpus holds both compliant and refused workloads"
    SUMMARY.append(
        f"admission parity: {len(corpus)} workloads through the pack and a real kube-apiserver, "
        f"{len(corpus) - len(differ)} identical verdicts ({both} admitted by the pack), "
        f"{len(differ)} intended difference(s): {', '.join(sorted(differ))}"
    )


def dry_run_as_tenant(plane, manifest: dict[str, object]) -> str | None:
    """Create ``manifest`` as acme (its home operator's group), server-side dry run: ``None`` when admitted."""
    from edgefed.core.objects.trust import tenant_group

    kubectl = toolchain_or_skip("kubectl")
    result = subprocess.run(
        [
            kubectl, "--kubeconfig", str(plane.kubeconfig), "create", "--dry-run=server", "-o", "name", "-f", "-",
            "--as", "acme-ci", "--as-group", tenant_group("orange", "acme"),
        ],
        input=json.dumps(manifest), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return None if result.returncode == 0 else result.stderr.strip()


def test_the_pack_and_the_zone_agree_on_every_tenant_network_policy(deployed_zone, tmp_path):
    """Differential for disallow-open-egress: the pack (real engine) and the zone's tenancy guard, asked as the
    tenant, give each NetworkPolicy the same verdict."""

    from .workloads import egress_corpus

    corpus = egress_corpus()
    pack = pack_verdicts(corpus, tmp_path, "egress")
    refusals = {name: dry_run_as_tenant(deployed_zone, manifest) for name, manifest in corpus.items()}
    for name, refusal in refusals.items():
        if refusal is not None:
            assert "ValidatingAdmissionPolicy 'edgefed-tenancy'" in refusal, (name, refusal)
            assert "opens egress of" in refusal, (name, refusal)
    admitted = {name: refusal is None for name, refusal in refusals.items()}
    differ = {name: (pack[name], refusals[name]) for name in corpus if pack[name] != admitted[name]}
    assert not differ, differ
    both = sum(pack.values())
    assert both == 7, pack
    SUMMARY.append(
        f"egress parity: {len(corpus)} tenant NetworkPolicies through the pack and the zone's tenancy guard "
        f"(asked as the tenant), identical verdicts ({both} admitted)"
    )


def test_the_pack_and_the_zone_agree_on_every_external_name_and_webhook(deployed_zone, tmp_path):
    """Differential for disallow-external-name and disallow-offzone-webhook: the pack (real engine) and the
    zone's outbound policy give each Service and webhook configuration the same verdict."""
    from edgefed_ops.local.zone_client import open_zone

    from .workloads import outbound_corpus

    corpus = outbound_corpus()
    pack = pack_verdicts(corpus, tmp_path, "outbound", {"disallow-external-name", "disallow-offzone-webhook"})
    with open_zone(deployed_zone.kubeconfig) as client:
        refusals = {name: client.dry_run_create(manifest) for name, manifest in corpus.items()}
    for name, refusal in refusals.items():
        if refusal is not None:
            assert "ValidatingAdmissionPolicy 'edgefed-outbound'" in refusal, (name, refusal)
    admitted = {name: refusal is None for name, refusal in refusals.items()}
    differ = {name: (pack[name], refusals[name]) for name in corpus if pack[name] != admitted[name]}
    assert not differ, differ
    both = sum(pack.values())
    assert both == 5, pack
    SUMMARY.append(
        f"outbound parity: {len(corpus)} Services and webhook configurations through the pack and the zone's "
        f"outbound policy, identical verdicts ({both} admitted)"
    )
