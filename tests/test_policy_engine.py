"""The policy pack under the real engine: compliant stacks pass, each violating case fails with its message.

The corpus (tests/policy_corpus) registers raw resources without edgefed's components, because the pack
must also stop programs that bypass them. Cases run three at a time; each test reads its case's result.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import ROOT, SUMMARY, ops_settings, toolchain_or_skip

pytestmark = pytest.mark.engine

PACK = ROOT / "policies" / "eu-residency"
PACK_CONFIG = json.loads((PACK / "config.json").read_text())
EEA = "AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, IE, IS, IT, LI, LT, LU, LV, MT, NL, NO, PL, PT, RO, SE, SI, SK"

# case -> (policy, exact message); a case may also narrow the pack config.
CORPUS: dict[str, tuple[str, str]] = {
    "provider-unknown-zone": (
        "disallow-non-eu-zone",
        f"provider 'aws': targets unknown zone 'aws-us-east-1a', not in the federation catalog; rule disallow-non-eu-zone allows only catalog zones in {EEA}",
    ),
    "provider-cluster-identifier-unknown-zone": (
        "disallow-non-eu-zone",
        f"provider 'gke': targets unknown zone 'gke-us-central1', not in the federation catalog; rule disallow-non-eu-zone allows only catalog zones in {EEA}",
    ),
    "provider-country-not-allowed": (
        "disallow-non-eu-zone",
        "provider 'milan': zone 'tim-it-milan' is in IT; rule disallow-non-eu-zone allows only FR",
    ),
    "namespace-unlabelled": (
        "enforce-residency-labels",
        "Namespace 'bare': metadata.labels lacks edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency",
    ),
    "deployment-missing-country": (
        "enforce-residency-labels",
        "Deployment 'nolabel': metadata.labels lacks edgefed.io/country; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "deployment-wrong-country": (
        "enforce-residency-labels",
        "Deployment 'wrong': metadata.labels edgefed.io/country='de' but it is deployed to zone orange-fr-paris (FR, orange); rule enforce-residency-labels allows only edgefed.io/country='fr'",
    ),
    "template-missing-zone": (
        "enforce-residency-labels",
        "Deployment 'tmpl': spec.template.metadata.labels lacks edgefed.io/zone; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "residency-excludes-zone": (
        "enforce-residency-labels",
        "Deployment 'outside': deployed to FR (zone orange-fr-paris) but its edgefed.io/residency='de.it' allows only DE, IT",
    ),
    "statefulset-unlabelled": (
        "enforce-residency-labels",
        "StatefulSet 'db': metadata.labels lacks edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "cronjob-docker-hub": (
        "disallow-unlisted-registry",
        "CronJob 'report': image 'busybox:1.36' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "docker-hub-image": (
        "disallow-unlisted-registry",
        "Deployment 'web': image 'nginx:1.27' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "us-registry-gcr": (
        "disallow-unlisted-registry",
        "Deployment 'web': image 'gcr.io/acme/web:1' comes from registry gcr.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "us-registry-ecr": (
        "disallow-unlisted-registry",
        "Deployment 'web': image '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1' comes from registry 123456789012.dkr.ecr.us-east-1.amazonaws.com; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "cn-registry": (
        "disallow-unlisted-registry",
        "Deployment 'web': image 'registry.cn-hangzhou.aliyuncs.com/acme/web:1' comes from registry registry.cn-hangzhou.aliyuncs.com; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "ghcr-pod": (
        "disallow-unlisted-registry",
        "Pod 'tool': image 'ghcr.io/acme/tool:2' comes from registry ghcr.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "restricted-without-digest": (
        "disallow-unlisted-registry",
        "Deployment 'vision': image 'registry.edgefed.eu/aero/vision:3' is not pinned by digest but the workload holds restricted data; rule disallow-unlisted-registry requires image@sha256:<digest> for restricted data",
    ),
    "bucket-us-region": (
        "enforce-bucket-residency",
        "bucket 'data-bucket': endpoint https://s3.fr-par.orange.example region 'us-east-1' is not FR object storage of the catalog; rule enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)",
    ),
    "bucket-us-endpoint": (
        "enforce-bucket-residency",
        "bucket 'data-bucket': endpoint https://s3.us-east-1.amazonaws.com region 'fr-par' is not FR object storage of the catalog; rule enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)",
    ),
    "bucket-us-country": (
        "enforce-bucket-residency",
        f"bucket 'data-bucket': country 'US'; rule enforce-bucket-residency allows only {EEA}",
    ),
    "bucket-other-country-storage": (
        "enforce-bucket-residency",
        "bucket 'data-bucket': endpoint https://s3.fr-par.orange.example region 'fr-par' is not DE object storage of the catalog; rule enforce-bucket-residency allows only https://s3.de-fra.deutsche-telekom.example (de-fra), https://s3.de-fra.vodafone.example (de-fra)",
    ),
    "loadbalancer-restricted": (
        "disallow-external-exposure",
        "Service 'vision': type LoadBalancer exposes restricted data outside the zone; rule disallow-external-exposure allows only ClusterIP for restricted workloads",
    ),
    "nodeport-restricted": (
        "disallow-external-exposure",
        "Service 'vision': type NodePort exposes restricted data outside the zone; rule disallow-external-exposure allows only ClusterIP for restricted workloads",
    ),
    "ingress-restricted": (
        "disallow-external-exposure",
        "Ingress 'vision': exposes restricted data outside the zone; rule disallow-external-exposure allows none",
    ),
    "restricted-standby-across-border": (
        "disallow-cross-border-restricted",
        "Deployment 'vision-standby': standby of restricted app vision in DE (zone deutsche-telekom-de-frankfurt), across the border from FR; rule disallow-cross-border-restricted allows restricted data only in FR",
    ),
    "restricted-failover-to-ch": (
        "disallow-cross-border-restricted",
        "Deployment 'vision-standby': standby of restricted app vision in CH, outside the EU/EEA (zone swisscom-ch-geneva), across the border from FR; rule disallow-cross-border-restricted allows restricted data only in FR",
    ),
    "standby-in-gb": (
        "disallow-cross-border-restricted",
        f"Deployment 'standby': standby of app vision in GB (zone bt-gb-london) is outside its residency; rule disallow-cross-border-restricted allows only {EEA}",
    ),
    "standby-outside-residency": (
        "disallow-cross-border-restricted",
        "Deployment 'standby': standby of app vision in BE (zone orange-be-brussels) is outside its residency; rule disallow-cross-border-restricted allows only FR, IT",
    ),
    "image-unknown-at-preview": (
        "disallow-unlisted-registry",
        "Deployment 'computed': string value at .spec.template.spec.containers.0.image can't be known during preview; rule disallow-unlisted-registry decides on inputs known at preview time and fails closed: make this value a static input",
    ),
}
NARROWED = {"provider-country-not-allowed": {"disallow-non-eu-zone": {"allowedCountries": ["FR"]}}}


def preview(case: str, tmp_path) -> tuple[int, str]:
    from edgefed_ops.engine import StackWorkspace

    config = json.loads(json.dumps(PACK_CONFIG))
    for policy, change in NARROWED.get(case, {}).items():
        config[policy].update(change)
    config_file = tmp_path / f"{case}.json"
    config_file.write_text(json.dumps(config))
    workspace = StackWorkspace(
        ops_settings(tmp_path), case.replace("_", "-"), folder=tmp_path / case, project=ROOT / "tests" / "policy_corpus"
    )
    workspace.prepare({"corpus:case": case, "corpus:render": str(tmp_path / "render" / case)})
    # Violations come from the engine's policy events (Automation API), not from its text.
    return workspace.preview(config=config_file)


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory):
    toolchain_or_skip("pulumi")
    tmp_path = tmp_path_factory.mktemp("corpus")
    cases = ["compliant", *CORPUS]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(cases, pool.map(lambda c: preview(c, tmp_path), cases), strict=True))
    blocked = sum(1 for case, (policy, message) in CORPUS.items() if _reported(results[case], policy, message))
    SUMMARY.append(
        f"policy corpus under the real engine: {blocked}/{len(CORPUS)} violating cases blocked with their expected "
        f"message; compliant case {'passed' if results['compliant'].ok else 'FAILED'}"
    )
    return results


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 25


def _reported(outcome, policy: str, message: str) -> bool:
    return not outcome.ok and any(
        v.policy == policy and v.level == "mandatory" and message in v.message for v in outcome.violations
    )


def test_compliant_resources_pass(corpus_results):
    outcome = corpus_results["compliant"]
    assert outcome.ok and not outcome.violations, outcome.output[-3000:]


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_violating_case_fails_with_its_message(case, corpus_results):
    outcome = corpus_results[case]
    policy, message = CORPUS[case]
    assert not outcome.ok, f"{case} was not blocked:\n{outcome.output[-3000:]}"
    # A case may break several rules; the one it is about must be reported with its exact message.
    assert (policy, "mandatory", message) in [(v.policy, v.level, v.message) for v in outcome.violations], (
        outcome.violations
    )


def test_up_with_a_stack_policy_violation_writes_nothing(tmp_path):
    """Stack policies run after resources are written when `up` skips its preview; edgefed previews first."""
    toolchain_or_skip("pulumi")
    from edgefed_ops.engine import StackWorkspace

    case = "restricted-standby-across-border"
    config_file = tmp_path / "pack.json"
    config_file.write_text(json.dumps(PACK_CONFIG))
    render = tmp_path / "render"
    workspace = StackWorkspace(
        ops_settings(tmp_path), case, folder=tmp_path / case, project=ROOT / "tests" / "policy_corpus"
    )
    workspace.prepare({"corpus:case": case, "corpus:render": str(render)})
    outcome = workspace.up(config=config_file)
    assert not outcome.ok
    assert [v.policy for v in outcome.mandatory] == ["disallow-cross-border-restricted"], (
        outcome.errors,
        outcome.output[-2500:],
    )
    assert outcome.output.startswith("not deployed, nothing written: the preview with the policy pack failed")
    assert not [p for p in render.rglob("*") if p.is_file()], "nothing may be written before the stack policy ran"
    assert not workspace.export().get("resources"), "the state holds nothing"
