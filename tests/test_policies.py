"""Every residency rule, compliant and violating, through the policies as the engine calls them.

Arguments are built like the analyzer builds them: properties wrapped by pulumi-policy's
unknown-checking proxy, the provider as a PolicyProviderResource, the pack config per policy. Each case
starts from one compliant fixture and changes one field, asserting the exact message a reviewer reads.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from edgefed.policy import ALL_POLICIES
from edgefed.policy.common import COMPLIANCE, VERBS
from edgefed.policy.disallow_cross_border_restricted import POLICY as CROSS_BORDER
from edgefed.policy.disallow_external_exposure import POLICY as EXPOSURE
from edgefed.policy.disallow_external_name import POLICY as EXTERNAL_NAME
from edgefed.policy.disallow_host_access import POLICY as HOST_ACCESS
from edgefed.policy.disallow_kubeconfig_detour import POLICY as DETOUR
from edgefed.policy.disallow_non_eu_zone import POLICY as NON_EU_ZONE
from edgefed.policy.disallow_offzone_webhook import POLICY as WEBHOOK
from edgefed.policy.disallow_open_egress import POLICY as EGRESS
from edgefed.policy.disallow_tenant_overreach import POLICY as OVERREACH
from edgefed.policy.disallow_unlisted_registry import POLICY as REGISTRY
from edgefed.policy.enforce_bucket_residency import POLICY as BUCKET
from edgefed.policy.enforce_platform_instance_residency import POLICY as PLATFORM_INSTANCE
from edgefed.policy.enforce_residency_labels import POLICY as LABELS
from edgefed.policy.require_eu_jurisdiction import POLICY as JURISDICTION

from .conftest import ROOT
from .workloads import compliant_deployment

PACK_CONFIG = json.loads((ROOT / "policies" / "eu-residency" / "config.json").read_text())
DIGEST = "sha256:" + "ab" * 32


def config_of(policy) -> dict[str, Any]:
    value = PACK_CONFIG.get(policy.name)
    return dict(value) if isinstance(value, dict) else {}


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def provider(zone: str = "orange-fr-paris") -> PolicyProviderResource:
    props = {"clusterIdentifier": zone, "kubeconfig": "[secret]"}
    return PolicyProviderResource(
        "pulumi:providers:kubernetes",
        unknown_checking_proxy(props),
        f"urn:pulumi:fr::edgefed::pulumi:providers:kubernetes::{zone}-provider",
        f"{zone}-provider",
    )


def run(
    policy, resource_type: str, props: dict[str, Any], *, zone: str = "orange-fr-paris", name: str = "res", config=None
) -> list[str]:
    messages: list[str] = []
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(props),
        f"urn:pulumi:fr::edgefed::{resource_type}::{name}",
        name,
        options(),
        provider(zone),
        config if config is not None else config_of(policy),
    )
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def labels_for(zone="orange-fr-paris", country="fr", operator="orange", residency="eu", **extra) -> dict[str, str]:
    return {
        "edgefed.io/country": country,
        "edgefed.io/operator": operator,
        "edgefed.io/zone": zone,
        "edgefed.io/residency": residency,
        "app.kubernetes.io/name": "robot-control",
        "edgefed.io/role": "primary",
        "edgefed.io/data-classification": "internal",
        **extra,
    }


def deployment(**label_overrides) -> dict[str, Any]:
    found = labels_for(**label_overrides)
    return compliant_deployment(
        "robot-control",
        "registry.edgefed.eu/acme/robot-control:1.4.2",
        labels=found,
        pod_labels=found,
        replicas=2,
        container="app",
    )


def changed(base: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    change(out)
    return out


# -- metadata -----------------------------------------------------------------------------------------


def test_every_policy_is_named_verb_noun_and_carries_metadata():
    assert len(ALL_POLICIES) == 16
    for policy in ALL_POLICIES:
        assert policy.name.split("-", 1)[0] in VERBS
        assert policy.enforcement_level.value == "mandatory"
        assert policy.severity.value == "critical"
        assert policy.framework.name == "GDPR Chapter V"
        # What it serves is data: GDPR Chapter V articles and an EU Cloud Sovereignty Framework objective.
        compliance = COMPLIANCE[policy.name]
        assert "44" in compliance.articles and compliance.sovereignty.startswith("SOV-")
        assert policy.framework.reference.startswith("Art. 44 (General principle for transfers)")
        assert policy.framework.specification.startswith(
            f"EU Cloud Sovereignty Framework 1.2.1 {compliance.sovereignty}"
        )


def test_pack_config_matches_its_schema():
    import jsonschema

    schema = json.loads((ROOT / "policies" / "eu-residency" / "config.schema.json").read_text())
    jsonschema.validate(PACK_CONFIG, schema)
    jsonschema.validate(json.loads((ROOT / "policies" / "eu-residency" / "config-local.json").read_text()), schema)
    bad = {**PACK_CONFIG, "disallow-unlisted-registry": {"allowedRegistry": ["x"]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


# -- disallow-non-eu-zone -----------------------------------------------------------------------------

PROVIDER_TYPE = "pulumi:providers:kubernetes"


TOKEN = "s3cr3t-zone-token"


def kubeconfig(server: str = "https://api.orange-fr-paris.orange.example:6443", **extra_clusters: str) -> str:
    """Kubeconfig contents whose current context connects to ``server`` (more clusters by name)."""
    clusters = {"zone": server, **extra_clusters}
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": n, "cluster": {"server": url}} for n, url in clusters.items()],
            "users": [{"name": "admin", "user": {"token": TOKEN}}],
            "contexts": [{"name": n, "context": {"cluster": n, "user": "admin"}} for n in clusters],
            "current-context": "zone",
        }
    )


def compliant_provider() -> dict[str, Any]:
    return {"clusterIdentifier": "orange-fr-paris", "kubeconfig": kubeconfig()}


def test_provider_on_catalog_zone_complies():
    assert run(NON_EU_ZONE, PROVIDER_TYPE, compliant_provider(), name="p") == []


@pytest.mark.parametrize(
    "change",
    [
        {"kubeconfig": kubeconfig("HTTPS://API.orange-fr-paris.orange.example:6443/")},
        {"kubeconfig": kubeconfig(other="https://x.example")} | {"cluster": "zone"},
        {"clusterIdentifier": None, "kubeconfig": None, "renderYamlToDirectory": "/tmp/render/orange-fr-paris"},
        {"kubeconfig": None, "renderYamlToDirectory": "/tmp/render/orange-fr-paris"},
    ],
    ids=["same-server-other-spelling", "cluster-input-names-the-zone", "render-folder-names-the-zone", "render-and-id"],
)
def test_provider_variants_that_comply(change):
    props = {key: value for key, value in (compliant_provider() | change).items() if value is not None}
    assert run(NON_EU_ZONE, PROVIDER_TYPE, props, name="p") == []


EEA_LIST = (
    "AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, IE, IS, IT, LI, LT, LU, LV, MT, NL, NO, PL, PT, RO, SE, "
    "SI, SK"
)


@pytest.mark.parametrize(
    ("change", "config_change", "expected"),
    [
        (
            {"clusterIdentifier": "aws-us-east-1a"},
            {},
            "provider 'p': targets unknown zone 'aws-us-east-1a', not in the federation catalog; rule disallow-non-eu-zone "
            f"allows only catalog zones in {EEA_LIST}",
        ),
        (
            {"clusterIdentifier": None},
            {"allowedCountries": ["FR"]},
            "provider 'p': targets no catalog zone (no clusterIdentifier); rule disallow-non-eu-zone allows only providers "
            "whose clusterIdentifier is a catalog zone in FR",
        ),
        (
            {"clusterIdentifier": "tim-it-milan"},
            {"allowedCountries": ["FR", "DE"]},
            "provider 'p': zone 'tim-it-milan' is in IT; rule disallow-non-eu-zone allows only DE, FR",
        ),
        (
            {},
            {"allowedCountries": ["US", "FR"]},  # a config cannot widen beyond the EU/EEA: US is dropped
            None,
        ),
        (
            {"clusterIdentifier": UNKNOWN_STRING_VALUE},
            {},
            "provider 'p': string value at .clusterIdentifier can't be known during preview; rule disallow-non-eu-zone "
            "decides on inputs known at preview time and fails closed: make this value a static input",
        ),
        (
            {"kubeconfig": kubeconfig("https://eks.us-east-1.amazonaws.com")},
            {},
            "provider 'p': clusterIdentifier says zone orange-fr-paris but its kubeconfig connects to a server outside "
            "the catalog; rule disallow-non-eu-zone allows only zone orange-fr-paris's API server "
            "https://api.orange-fr-paris.orange.example:6443",
        ),
        (
            {"kubeconfig": kubeconfig("https://api.tim-it-milan.tim.example:6443")},
            {},
            "provider 'p': clusterIdentifier says zone orange-fr-paris but its kubeconfig connects to catalog zone "
            "tim-it-milan (IT); rule disallow-non-eu-zone allows only zone orange-fr-paris's API server "
            "https://api.orange-fr-paris.orange.example:6443",
        ),
        (
            {"kubeconfig": kubeconfig("https://api.orange-fr-paris.orange.example:7443")},
            {},
            "provider 'p': clusterIdentifier says zone orange-fr-paris but its kubeconfig connects to a server outside "
            "the catalog; rule disallow-non-eu-zone allows only zone orange-fr-paris's API server "
            "https://api.orange-fr-paris.orange.example:6443",
        ),
        (
            {"context": "us"} | {"kubeconfig": kubeconfig(us="https://gke.us-central1.example")},
            {},
            "provider 'p': clusterIdentifier says zone orange-fr-paris but its kubeconfig connects to a server outside "
            "the catalog; rule disallow-non-eu-zone allows only zone orange-fr-paris's API server "
            "https://api.orange-fr-paris.orange.example:6443",
        ),
        (
            {"kubeconfig": UNKNOWN_STRING_VALUE},
            {},
            "provider 'p': string value at .kubeconfig can't be known during preview; rule disallow-non-eu-zone "
            "decides on inputs known at preview time and fails closed: make this value a static input",
        ),
        (
            {"kubeconfig": None},
            {},
            "provider 'p': has no kubeconfig, so it connects wherever the environment's kubeconfig points; rule "
            "disallow-non-eu-zone allows only a kubeconfig whose server is zone orange-fr-paris's "
            "https://api.orange-fr-paris.orange.example:6443",
        ),
        (
            {"kubeconfig": "~/.kube/config"},
            {},
            "provider 'p': its kubeconfig names no server for its context (or is a path, read only at deploy time); "
            "rule disallow-non-eu-zone allows only kubeconfig contents whose server is zone orange-fr-paris's "
            "https://api.orange-fr-paris.orange.example:6443",
        ),
        (
            {"kubeconfig": None, "renderYamlToDirectory": "/tmp/render/orange-be-brussels"},
            {},
            "provider 'p': clusterIdentifier 'orange-fr-paris' but it renders to zone folder 'orange-be-brussels'; "
            "rule disallow-non-eu-zone allows only one zone per provider",
        ),
    ],
    ids=[
        "unknown-zone", "no-cluster-identifier", "country-not-allowed", "config-cannot-widen", "unknown-at-preview",
        "server-outside-catalog", "server-of-another-zone", "same-host-other-port", "context-input-elsewhere",
        "kubeconfig-unknown-at-preview", "no-kubeconfig", "kubeconfig-path", "render-folder-other-zone",
    ],
)  # fmt: skip
def test_provider_violations(change, config_change, expected):
    config = {**config_of(NON_EU_ZONE), **config_change}
    props = {key: value for key, value in (compliant_provider() | change).items() if value is not None}
    messages = run(NON_EU_ZONE, PROVIDER_TYPE, props, name="p", config=config)
    assert messages == ([expected] if expected else [])
    assert TOKEN not in " ".join(messages), "a kubeconfig's secrets never reach a message"


LOCAL_CONFIG = json.loads((ROOT / "policies" / "eu-residency" / "config-local.json").read_text())


def test_production_and_local_pack_configs_differ_only_in_their_catalogs_registries_and_loopback_tls():
    def without_catalogs(config: dict[str, Any]) -> dict[str, Any]:
        return {
            k: {**v, "catalogs": None, "allowedRegistries": None, "allowUnverifiedTls": None}
            if isinstance(v, dict)
            else v
            for k, v in config.items()
        }

    assert without_catalogs(PACK_CONFIG) == without_catalogs(LOCAL_CONFIG)
    # The local zones serve self-signed certificates on loopback; production never accepts unverified TLS.
    assert PACK_CONFIG[DETOUR.name]["allowUnverifiedTls"] is False
    assert LOCAL_CONFIG[DETOUR.name]["allowUnverifiedTls"] is True
    registries = PACK_CONFIG["disallow-unlisted-registry"]["allowedRegistries"]
    assert LOCAL_CONFIG["disallow-unlisted-registry"]["allowedRegistries"] == [*registries, "registry.nordwind.de"], (
        "the local federation's second tenant pulls from its own EU registry"
    )
    catalogs = {tuple(v["catalogs"]) for v in PACK_CONFIG.values() if isinstance(v, dict) and "catalogs" in v}
    assert catalogs == {("stacks/catalog/federation.yaml",)}
    local = {tuple(v["catalogs"]) for v in LOCAL_CONFIG.values() if isinstance(v, dict) and "catalogs" in v}
    assert local == {("stacks/catalog/local.yaml",)}


def test_production_pack_refuses_a_local_zone_and_a_loopback_object_store():
    """Demo data is not trusted in production: a local zone and its loopback S3 endpoint are unknown there."""
    local_zone = {"clusterIdentifier": "local-orange-fr-paris", "kubeconfig": kubeconfig("https://127.0.0.1:24111")}
    assert run(NON_EU_ZONE, PROVIDER_TYPE, local_zone, name="p") == [
        "provider 'p': targets unknown zone 'local-orange-fr-paris', not in the federation catalog; rule "
        f"disallow-non-eu-zone allows only catalog zones in {EEA_LIST}"
    ]
    loopback = {**BUCKET_PROPS, "endpoint": "http://127.0.0.1:24101"}
    assert run(BUCKET, BUCKET_TYPE, loopback, name="b") == [
        "bucket 'b': endpoint http://127.0.0.1:24101 region 'fr-par' is not FR object storage of the catalog; rule "
        "enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)"
    ]
    # The local federation's own config knows both.
    local = {name: dict(value) for name, value in LOCAL_CONFIG.items() if isinstance(value, dict)}
    assert run(NON_EU_ZONE, PROVIDER_TYPE, local_zone, name="p", config=local[NON_EU_ZONE.name]) == []
    assert run(BUCKET, BUCKET_TYPE, loopback, name="b", config=local[BUCKET.name]) == []


def test_config_widening_to_us_zone_still_blocked():
    config = {**config_of(NON_EU_ZONE), "allowedCountries": ["US"]}
    assert run(NON_EU_ZONE, PROVIDER_TYPE, compliant_provider(), name="p", config=config) == [
        "provider 'p': zone 'orange-fr-paris' is in FR; rule disallow-non-eu-zone allows only nothing"
    ]


# -- enforce-residency-labels -------------------------------------------------------------------------

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def test_labelled_workload_complies():
    assert run(LABELS, DEPLOYMENT, deployment(), name="d") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["metadata"]["labels"].pop("edgefed.io/country"),
            "Deployment 'd': metadata.labels lacks edgefed.io/country; rule enforce-residency-labels requires all of "
            "edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, "
            "edgefed.io/data-classification, app.kubernetes.io/name",
        ),
        (
            lambda d: d["spec"]["template"]["metadata"]["labels"].pop("edgefed.io/zone"),
            "Deployment 'd': spec.template.metadata.labels lacks edgefed.io/zone; rule enforce-residency-labels requires "
            "all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, "
            "edgefed.io/data-classification, app.kubernetes.io/name",
        ),
        (
            lambda d: d["metadata"]["labels"].update({"edgefed.io/country": "de"}),
            "Deployment 'd': metadata.labels edgefed.io/country='de' but it is deployed to zone orange-fr-paris (FR, "
            "orange); rule enforce-residency-labels allows only edgefed.io/country='fr'",
        ),
        (
            lambda d: d["metadata"]["labels"].update({"edgefed.io/residency": "de.it"}),
            "Deployment 'd': metadata.labels edgefed.io/residency='de.it' allows only DE, IT but it is deployed to FR "
            "(zone orange-fr-paris); rule enforce-residency-labels requires the zone's country in the residency",
        ),
        (
            lambda d: d["spec"]["template"]["metadata"]["labels"].pop("edgefed.io/data-classification"),
            "Deployment 'd': spec.template.metadata.labels lacks edgefed.io/data-classification; rule "
            "enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, "
            "edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
        ),
        (
            lambda d: d["metadata"]["labels"].pop("app.kubernetes.io/name"),
            "Deployment 'd': metadata.labels lacks app.kubernetes.io/name; rule enforce-residency-labels requires all "
            "of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, "
            "edgefed.io/data-classification, app.kubernetes.io/name",
        ),
        (
            lambda d: d["metadata"]["labels"].update({"edgefed.io/data-classification": "x" * 10_000}),
            "Deployment 'd': metadata.labels edgefed.io/data-classification='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
            "xxxxxxxxxxxxxxxxxxxxxx... (10002 characters) is not a data classification; rule enforce-residency-labels "
            "allows only public, internal, personal, restricted",
        ),
    ],
    ids=[
        "missing-country",
        "template-missing-zone",
        "wrong-country",
        "outside-residency",
        "template-missing-classification",
        "missing-app",
        "unknown-classification-cut-short",
    ],
)
def test_label_violations(change, expected):
    assert run(LABELS, DEPLOYMENT, changed(deployment(), change), name="d") == [expected]


def test_unlabelled_namespace_is_refused():
    assert run(LABELS, "kubernetes:core/v1:Namespace", {"metadata": {"name": "team"}}, name="ns") == [
        "Namespace 'ns': metadata.labels lacks edgefed.io/country, edgefed.io/operator, edgefed.io/zone, "
        "edgefed.io/residency; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, "
        "edgefed.io/zone, edgefed.io/residency"
    ]


def test_labels_rule_ignores_non_workloads():
    assert run(LABELS, "kubernetes:core/v1:ConfigMap", {"metadata": {"name": "x"}}, name="cm") == []


def _classified(value: str, template: str | None = None, namespace: str = "acme-fr", residency: str = "eu"):
    def change(d: dict[str, Any]) -> None:
        d["metadata"]["namespace"] = namespace
        for place in (d["metadata"]["labels"], d["spec"]["template"]["metadata"]["labels"]):
            place.update({"edgefed.io/data-classification": value, "edgefed.io/residency": residency})
        if template is not None:
            d["spec"]["template"]["metadata"]["labels"]["edgefed.io/data-classification"] = template

    return changed(deployment(), change)


@pytest.mark.parametrize(
    "props",
    [
        _classified("restricted"),
        _classified("internal", template="restricted"),
        _classified("personal", namespace="acme-de", residency="de.fr"),
        _classified("internal", namespace="acme-de", residency="fr"),
    ],
    ids=["restricted-in-its-stacks-country", "template-stricter", "personal-standby-abroad", "internal-anywhere"],
)
def test_where_data_lives_by_its_stack_complies(props):
    assert run(LABELS, DEPLOYMENT, props, name="d") == []


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            _classified("restricted", template="internal"),
            "Deployment 'd': spec.template.metadata.labels edgefed.io/data-classification='internal' is weaker than "
            "the workload's 'restricted'; rule enforce-residency-labels requires the pod template to declare at least "
            "the workload's class (the strictest one wins)",
        ),
        (
            _classified("restricted", namespace="acme-de"),
            "Deployment 'd': restricted data of namespace acme-de (stack of DE) in zone orange-fr-paris (FR); rule "
            "enforce-residency-labels keeps restricted data in the country of its stack",
        ),
        (
            _classified("personal", namespace="acme-de", residency="fr"),
            "Deployment 'd': personal data of namespace acme-de (stack of DE) with metadata.labels "
            "edgefed.io/residency='fr', which leaves out DE; rule enforce-residency-labels requires the country of its "
            "stack in the residency of personal data",
        ),
        (
            _classified("personal", namespace="default"),
            "Deployment 'd': personal data in namespace 'default', which is no tenant stack's (<tenant>-<cc>); rule "
            "enforce-residency-labels judges where personal data may live by its stack's country",
        ),
    ],
    ids=["template-weaker", "restricted-of-another-stack", "personal-without-its-stacks-country", "no-stack"],
)
def test_where_data_lives_is_judged_by_its_stack_and_its_strictest_class(props, expected):
    found = run(LABELS, DEPLOYMENT, props, name="d")
    assert found[0] == expected
    assert len(found) == (2 if "leaves out" in expected else 1), "each place whose residency leaves it out"


# -- disallow-unlisted-registry -----------------------------------------------------------------------


def _image(image: str, where: str = "containers") -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        spec = d["spec"]["template"]["spec"]
        if where == "containers":
            spec["containers"][0]["image"] = image
        else:
            spec["initContainers"] = [{"name": "init", "image": image}]

    return change


def _restricted(d: dict[str, Any]) -> None:
    for place in (d["metadata"], d["spec"]["template"]["metadata"]):
        place["labels"]["edgefed.io/data-classification"] = "restricted"


def test_allow_listed_image_complies():
    assert run(REGISTRY, DEPLOYMENT, deployment(), name="d") == []


def test_restricted_image_pinned_by_digest_complies():
    d = changed(deployment(), _restricted)
    _image(f"registry.edgefed.eu/aero/vision:3@{DIGEST}")(d)
    assert run(REGISTRY, DEPLOYMENT, d, name="d") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _image("nginx:1.27"),
            "Deployment 'd': image 'nginx:1.27' comes from registry docker.io; rule disallow-unlisted-registry allows "
            "only registry.edgefed.eu",
        ),
        (
            _image("gcr.io/acme/robot:1"),
            "Deployment 'd': image 'gcr.io/acme/robot:1' comes from registry gcr.io; rule disallow-unlisted-registry "
            "allows only registry.edgefed.eu",
        ),
        (
            _image("registry.cn-hangzhou.aliyuncs.com/acme/robot:1", where="init"),
            "Deployment 'd': image 'registry.cn-hangzhou.aliyuncs.com/acme/robot:1' comes from registry "
            "registry.cn-hangzhou.aliyuncs.com; rule disallow-unlisted-registry allows only registry.edgefed.eu",
        ),
        (
            _restricted,
            "Deployment 'd': image 'registry.edgefed.eu/acme/robot-control:1.4.2' is not pinned by digest but the "
            "workload holds restricted data; rule disallow-unlisted-registry requires image@sha256:<digest> for "
            "restricted data",
        ),
    ],
    ids=["docker-hub", "us-registry", "cn-registry-init-container", "restricted-without-digest"],
)
def test_registry_violations(change, expected):
    assert run(REGISTRY, DEPLOYMENT, changed(deployment(), change), name="d") == [expected]


def _unclassified(d: dict[str, Any]) -> None:
    d["spec"]["template"]["metadata"]["labels"].pop("edgefed.io/data-classification")


def _unknown_classification(d: dict[str, Any]) -> None:
    d["metadata"]["labels"]["edgefed.io/data-classification"] = "top-secret"


@pytest.mark.parametrize(
    "change", [_unclassified, _unknown_classification], ids=["template-without-classification", "unknown-value"]
)
def test_a_workload_without_its_classification_is_held_to_restricted(change):
    """Fail closed: no classification (or an unknown one) counts as restricted, so the digest is required."""
    expected = (
        "Deployment 'd': image 'registry.edgefed.eu/acme/robot-control:1.4.2' is not pinned by digest but the "
        "workload holds restricted data; rule disallow-unlisted-registry requires image@sha256:<digest> for "
        "restricted data"
    )
    assert run(REGISTRY, DEPLOYMENT, changed(deployment(), change), name="d") == [expected]


# -- enforce-bucket-residency -------------------------------------------------------------------------

BUCKET_TYPE = "pulumi-python:dynamic/edgefed:ResidentBucket"
BUCKET_PROPS = {
    "bucket": "edgefed-robot-control-fr-orange",
    "country": "FR",
    "endpoint": "https://s3.fr-par.orange.example",
    "region": "fr-par",
    "access_key": "[secret]",
    "secret_key": "[secret]",
    "data_classification": "internal",
    "unsupported_controls": [],
}


def test_bucket_in_country_storage_complies():
    assert run(BUCKET, BUCKET_TYPE, BUCKET_PROPS, name="b") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"region": "us-east-1"},
            "bucket 'b': endpoint https://s3.fr-par.orange.example region 'us-east-1' is not FR object storage of the "
            "catalog; rule enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)",
        ),
        (
            {"endpoint": "https://s3.us-east-1.amazonaws.com"},
            "bucket 'b': endpoint https://s3.us-east-1.amazonaws.com region 'fr-par' is not FR object storage of the "
            "catalog; rule enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)",
        ),
        (
            {"country": "US"},
            "bucket 'b': country 'US'; rule enforce-bucket-residency allows only AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, "
            "FR, GR, HR, HU, IE, IS, IT, LI, LT, LU, LV, MT, NL, NO, PL, PT, RO, SE, SI, SK",
        ),
    ],
    ids=["us-region", "us-endpoint", "us-country"],
)
def test_bucket_violations(change, expected):
    assert run(BUCKET, BUCKET_TYPE, {**BUCKET_PROPS, **change}, name="b") == [expected]


def test_a_bucket_is_recognised_by_its_type_not_by_its_shape():
    """Another dynamic resource with bucket-like properties is not a bucket; a ResidentBucket always is."""
    assert run(BUCKET, "pulumi-python:dynamic:Resource", {**BUCKET_PROPS, "country": "US"}, name="b") == []
    assert run(BUCKET, BUCKET_TYPE, {"bucket": "b"}, name="b") == [
        "bucket 'b': lacks country, endpoint, region; rule enforce-bucket-residency decides on all of them"
    ]


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"data_classification": "restricted"}, "'restricted'"),
        ({"data_classification": None}, "unclassified"),
        ({"data_classification": "restricted", "unsupported_controls": []}, "'restricted'"),
    ],
    ids=["restricted", "unclassified-fails-closed", "catalog-decides-not-the-bucket"],
)
def test_restricted_data_needs_an_endpoint_with_default_encryption(change, shown):
    """The local catalog's loopback store declares no encryption: restricted data may not live there."""
    local = dict(LOCAL_CONFIG[BUCKET.name])
    props = {**BUCKET_PROPS, "endpoint": "http://127.0.0.1:24101", "unsupported_controls": ["encryption"]}
    props = {k: v for k, v in {**props, **change}.items() if v is not None}
    assert run(BUCKET, BUCKET_TYPE, props, name="b", config=local) == [
        f"bucket 'b': holds {shown} data at http://127.0.0.1:24101, which cannot encrypt by default; rule "
        "enforce-bucket-residency requires an endpoint with default encryption for restricted data"
    ]
    # The production store encrypts: restricted data may live there, unless the bucket itself says it cannot.
    assert run(BUCKET, BUCKET_TYPE, {**BUCKET_PROPS, "data_classification": "restricted"}, name="b") == []
    declared = {**BUCKET_PROPS, "data_classification": "restricted", "unsupported_controls": ["encryption"]}
    assert len(run(BUCKET, BUCKET_TYPE, declared, name="b")) == 1


# -- disallow-external-exposure -----------------------------------------------------------------------

SERVICE = "kubernetes:core/v1:Service"


def service(kind: str, classification: str = "restricted") -> dict[str, Any]:
    return {
        "metadata": {"name": "vision", "labels": labels_for(**{"edgefed.io/data-classification": classification})},
        "spec": {"type": kind, "ports": [{"port": 8000}]},
    }


def test_cluster_ip_for_restricted_complies():
    assert run(EXPOSURE, SERVICE, service("ClusterIP"), name="s") == []


def test_load_balancer_for_internal_data_is_not_this_rules_business():
    assert run(EXPOSURE, SERVICE, service("LoadBalancer", "internal"), name="s") == []


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (
            SERVICE,
            service("LoadBalancer"),
            "Service 's': type LoadBalancer exposes restricted data outside the zone; rule disallow-external-exposure "
            "allows only ClusterIP for restricted workloads",
        ),
        (
            SERVICE,
            service("NodePort"),
            "Service 's': type NodePort exposes restricted data outside the zone; rule disallow-external-exposure allows "
            "only ClusterIP for restricted workloads",
        ),
        (
            "kubernetes:networking.k8s.io/v1:Ingress",
            {"metadata": {"name": "vision", "labels": labels_for(**{"edgefed.io/data-classification": "restricted"})}},
            "Ingress 's': exposes restricted data outside the zone; rule disallow-external-exposure allows none",
        ),
    ],
    ids=["load-balancer", "node-port", "ingress"],
)
def test_exposure_violations(resource_type, props, expected):
    assert run(EXPOSURE, resource_type, props, name="s") == [expected]


def test_a_service_without_a_classification_is_held_to_restricted():
    unlabelled = {"metadata": {"name": "x", "labels": {}}, "spec": {"type": "LoadBalancer"}}
    assert run(EXPOSURE, SERVICE, unlabelled, name="s") == [
        "Service 's': type LoadBalancer exposes restricted data outside the zone; rule disallow-external-exposure "
        "allows only ClusterIP for restricted workloads"
    ]


# -- disallow-kubeconfig-detour ---------------------------------------------------------------------

DETOUR_RULE = (
    "so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule "
    "disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a "
    "token or client certificate"
)


def transported(cluster: dict[str, Any] | None = None, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """The compliant provider whose kubeconfig's cluster and user entries carry more fields."""
    document = json.loads(kubeconfig())
    document["clusters"][0]["cluster"].update(cluster or {})
    document["users"][0]["user"].update(user or {})
    return {"clusterIdentifier": "orange-fr-paris", "kubeconfig": json.dumps(document)}


def test_a_direct_verified_kubeconfig_complies():
    assert run(DETOUR, PROVIDER_TYPE, compliant_provider(), name="p") == []
    ca = {"certificate-authority-data": "LS0tLS1CRUdJTg==", "tls-server-name": "api.orange-fr-paris.orange.example"}
    assert run(DETOUR, PROVIDER_TYPE, transported(ca), name="p") == []
    same_host = {"tls-server-name": "API.Orange-FR-Paris.orange.example"}
    assert run(DETOUR, PROVIDER_TYPE, transported(same_host), name="p") == []


@pytest.mark.parametrize(
    ("cluster", "user", "found"),
    [
        ({"proxy-url": "http://proxy.example:3128"}, {}, "a proxy (proxy-url)"),
        ({"insecure-skip-tls-verify": True}, {}, "no certificate check (insecure-skip-tls-verify)"),
        ({"tls-server-name": "api.gke.example"}, {}, "another host's certificate (tls-server-name)"),
        (
            {},
            {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "aws"}},
            "a credential program (exec)",
        ),
        ({}, {"auth-provider": {"name": "gcp"}}, "an auth-provider plugin (auth-provider)"),
    ],
    ids=["proxy-url", "insecure-skip-tls-verify", "tls-server-name", "exec", "auth-provider"],
)
def test_a_kubeconfig_that_detours_is_refused(cluster, user, found):
    assert run(DETOUR, PROVIDER_TYPE, transported(cluster, user), name="p") == [
        f"provider 'p': its kubeconfig uses {found}, {DETOUR_RULE}"
    ]


def test_only_the_local_federations_config_accepts_unverified_tls():
    insecure = transported({"insecure-skip-tls-verify": True})
    assert run(DETOUR, PROVIDER_TYPE, insecure, name="p", config=dict(LOCAL_CONFIG[DETOUR.name])) == []
    assert run(DETOUR, PROVIDER_TYPE, insecure, name="p", config={"allowUnverifiedTls": "yes"}) != []


def test_an_entry_the_provider_does_not_pick_is_read_too():
    document = json.loads(kubeconfig(other="https://api.orange-fr-paris.orange.example:6443"))
    document["clusters"][1]["cluster"]["proxy-url"] = "socks5://exfil.example:1080"
    props = {"clusterIdentifier": "orange-fr-paris", "kubeconfig": json.dumps(document)}
    assert run(DETOUR, PROVIDER_TYPE, props, name="p") == [
        f"provider 'p': its kubeconfig uses a proxy (proxy-url), {DETOUR_RULE}"
    ]


# -- disallow-host-access ---------------------------------------------------------------------------

HOST_RULE = (
    "would put internal data on the node's network, processes or disks, outside the zone's network policies; "
    "rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath "
    "volumes only for public data"
)


def pod_spec(props: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = props["spec"]["template"]["spec"]
    return spec


def test_a_workload_that_stays_off_the_node_complies():
    off = changed(deployment(), lambda d: pod_spec(d).update(hostNetwork=False, hostPID=False))
    assert run(HOST_ACCESS, DEPLOYMENT, off) == []
    zero = changed(
        deployment(), lambda d: pod_spec(d)["containers"][0].update(ports=[{"containerPort": 80, "hostPort": 0}])
    )
    assert run(HOST_ACCESS, DEPLOYMENT, zero) == []


def test_public_data_may_use_the_node():
    public = deployment(**{"edgefed.io/data-classification": "public"})
    assert run(HOST_ACCESS, DEPLOYMENT, changed(public, lambda d: pod_spec(d).update(hostNetwork=True))) == []


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda d: pod_spec(d).update(hostNetwork=True), "hostNetwork: true"),
        (lambda d: pod_spec(d).update(hostPID=True), "hostPID: true"),
        (lambda d: pod_spec(d).update(hostIPC=True), "hostIPC: true"),
        (
            lambda d: pod_spec(d)["containers"][0].update(ports=[{"containerPort": 80, "hostPort": 8080}]),
            "container 'app' hostPort 8080",
        ),
        (
            lambda d: pod_spec(d)["containers"][0].update(securityContext={"privileged": True}),
            "container 'app' privileged",
        ),
        (
            lambda d: pod_spec(d).update(
                initContainers=[
                    {
                        "name": "setup",
                        "image": "registry.edgefed.eu/acme/setup:1",
                        "securityContext": {"privileged": True},
                    }
                ]
            ),
            "container 'setup' privileged",
        ),
        (
            lambda d: pod_spec(d).update(volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}]),
            "volume 'logs' hostPath /var/log",
        ),
    ],
    ids=["host-network", "host-pid", "host-ipc", "host-port", "privileged", "privileged-init", "host-path"],
)
def test_host_access_of_internal_data_is_refused(change, found):
    assert run(HOST_ACCESS, DEPLOYMENT, changed(deployment(), change), name="d") == [
        f"Deployment 'd': {found} {HOST_RULE}"
    ]


def node_agent(namespace: str) -> dict[str, Any]:
    props = changed(deployment(), lambda d: pod_spec(d).update({"hostNetwork": True}))
    props["metadata"].update({"name": "kube-proxy", "namespace": namespace})
    return props


def test_the_operators_named_system_workload_may_use_the_node():
    """config.json names kube-system/kube-proxy: the operator's node agent, in the cluster's own namespace."""
    assert run(HOST_ACCESS, DEPLOYMENT, node_agent("kube-system"), name="d") == []


def test_the_exceptions_name_never_frees_a_tenants_workload():
    assert run(HOST_ACCESS, DEPLOYMENT, node_agent("acme-fr"), name="d") == [
        f"Deployment 'd': hostNetwork: true {HOST_RULE}"
    ]


def test_an_exception_outside_the_clusters_own_namespaces_is_refused_in_the_pack_config():
    from edgefed.core.rules.host_access import exceptions_of

    with pytest.raises(ValueError) as raised:
        exceptions_of({"allowedSystemWorkloads": ["acme-fr/collector"]})
    assert str(raised.value) == (
        "disallow-host-access.allowedSystemWorkloads: 'acme-fr/collector' is not NAMESPACE/NAME in one of the "
        "cluster's own namespaces (kube-system, kube-public, kube-node-lease); tenants' workloads get no exception"
    )


@pytest.mark.parametrize(
    ("added", "compliant"),
    [(["SYS_ADMIN"], False), (["cap_net_admin"], False), (["ALL"], False), (["NET_BIND_SERVICE", "CHOWN"], True)],
    ids=["sys-admin", "cap-prefix-lower-case", "all", "harmless"],
)
def test_capabilities_that_reach_past_the_container_count_as_host_access(added, compliant):
    def add(d: dict[str, Any]) -> None:
        pod_spec(d)["containers"][0]["securityContext"] = {"capabilities": {"add": added}}

    found = run(HOST_ACCESS, DEPLOYMENT, changed(deployment(), add), name="d")
    assert found == ([] if compliant else [f"Deployment 'd': container 'app' adds capability {added[0]} {HOST_RULE}"])


def test_a_patch_without_labels_may_not_turn_host_access_on():
    patch = {"metadata": {"name": "robot-control"}, "spec": {"template": {"spec": {"hostNetwork": True}}}}
    assert run(HOST_ACCESS, "kubernetes:apps/v1:DeploymentPatch", patch, name="p") == [
        "DeploymentPatch 'p': hostNetwork: true " + HOST_RULE.replace("internal data", "restricted data")
    ]


# -- disallow-external-name and disallow-offzone-webhook -------------------------------------------

EXTERNAL_NAME_RULE = (
    "rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the zone's "
    "country (FR: telemetry.fr.edgefed.example), whatever the Service's labels say"
)


def external_name(classification: str | None = "public", **spec: Any) -> dict[str, Any]:
    found = labels_for(**{"edgefed.io/data-classification": classification})
    if classification is None:
        del found["edgefed.io/data-classification"]
    return {
        "metadata": {"name": "partner", "labels": found},
        "spec": {"type": "ExternalName", "externalName": "api.partner.example", **spec},
    }


def test_a_cluster_ip_and_an_allowed_alias_comply():
    assert run(EXTERNAL_NAME, SERVICE, service("ClusterIP", "restricted"), name="s") == []
    allowed = external_name("public", externalName="telemetry.fr.edgefed.example")
    assert run(EXTERNAL_NAME, SERVICE, allowed, name="s") == []


@pytest.mark.parametrize(
    "props",
    [
        external_name("public"),
        external_name("internal"),
        external_name("personal"),
        external_name(None),
        {"metadata": {"name": "partner"}, "spec": {"externalName": "api.partner.example"}},
    ],
    ids=["labelled-public", "internal", "personal", "unclassified", "patch-sets-only-the-name"],
)
def test_an_external_name_to_a_name_the_pack_config_does_not_allow_is_refused_whatever_its_labels(props):
    """Labelled public or not: any pod of the namespace can call the alias, so the label decides nothing."""
    resource_type = "kubernetes:core/v1:ServicePatch" if "type" not in props["spec"] else SERVICE
    kind = resource_type.rsplit(":", 1)[1]
    assert run(EXTERNAL_NAME, resource_type, props, name="s") == [
        f"{kind} 's': type ExternalName sends what its clients send to 'api.partner.example', outside the zone; "
        f"{EXTERNAL_NAME_RULE}"
    ]


@pytest.mark.parametrize("name", ["telemetry.fr.edgefed.example", "Telemetry.FR.edgefed.example."])
def test_an_external_name_the_pack_config_allows_in_the_zones_country_complies(name):
    assert run(EXTERNAL_NAME, SERVICE, external_name("restricted", externalName=name), name="s") == []


def test_a_name_allowed_in_another_country_is_refused_in_this_one():
    """DE's destination is not FR's: the zone's country (its provider's catalog zone) decides, not a label."""
    props = external_name("personal", externalName="telemetry.de.edgefed.example")
    assert run(EXTERNAL_NAME, SERVICE, props, name="s") == [
        "Service 's': type ExternalName sends what its clients send to 'telemetry.de.edgefed.example', outside the "
        f"zone; {EXTERNAL_NAME_RULE}"
    ]


def test_an_external_name_outside_every_catalog_zone_has_no_allowed_name():
    props = external_name("internal", externalName="telemetry.fr.edgefed.example")
    assert run(EXTERNAL_NAME, SERVICE, props, zone="nowhere", name="s") == [
        "Service 's': type ExternalName sends what its clients send to 'telemetry.fr.edgefed.example', outside the "
        "zone; rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the "
        "zone's country (no catalog zone: none), whatever the Service's labels say"
    ]


# -- disallow-open-egress ------------------------------------------------------------------------------

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
EGRESS_TAIL = (
    "rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster "
    "DNS (kube-system, port 53) and the pack config's CIDRs of their residency"
)
DNS_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}


def network_policy(**changes: Any) -> dict[str, Any]:
    """The compliant fixture: restricted FR pods reach their namespace, DNS and FR's allowed CIDR."""
    spec: dict[str, Any] = {
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/name": "vision", "edgefed.io/data-classification": "restricted"}
        },
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [{"podSelector": {}}]},
            {"to": [DNS_PEER], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
            {"to": [{"ipBlock": {"cidr": "10.33.4.0/24"}}], "ports": [{"port": 443}]},
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "acme-fr"}}}]},
        ],
    }
    spec.update(changes)
    return {"metadata": {"name": "vision-egress", "namespace": "acme-fr"}, "spec": spec}


def test_egress_to_the_namespace_dns_and_an_allowed_cidr_complies():
    assert run(EGRESS, NETWORK_POLICY, network_policy(), name="n") == []


@pytest.mark.parametrize(
    "pinned",
    [
        {"edgefed.io/data-classification": "public"},
        {"edgefed.io/data-classification": "internal"},
    ],
    ids=["public", "internal"],
)
def test_egress_of_pods_pinned_to_public_or_internal_data_is_theirs_to_open(pinned):
    props = network_policy(podSelector={"matchLabels": pinned}, egress=[{}])
    assert run(EGRESS, NETWORK_POLICY, props, name="n") == []


def test_a_pinned_residency_opens_its_countries_cidrs():
    selector = {"matchLabels": {"edgefed.io/data-classification": "personal", "edgefed.io/residency": "de.fr"}}
    props = network_policy(podSelector=selector, egress=[{"to": [{"ipBlock": {"cidr": "10.49.0.0/24"}}]}])
    assert run(EGRESS, NETWORK_POLICY, props, name="n") == []


@pytest.mark.parametrize(
    ("changes", "found", "held", "where"),
    [
        ({"egress": [{}]}, "any destination (egress rule 1 has no 'to')", "restricted", "FR"),
        ({"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}, "ipBlock '0.0.0.0/0'", "restricted", "FR"),
        ({"egress": [{"to": [{"ipBlock": {"cidr": "10.33.0.0/15"}}]}]}, "ipBlock '10.33.0.0/15'", "restricted", "FR"),
        ({"egress": [{"to": [{"ipBlock": {"cidr": "10.49.0.0/24"}}]}]}, "ipBlock '10.49.0.0/24'", "restricted", "FR"),
        ({"egress": [{"to": [{"ipBlock": {"cidr": "3.5.0.0/16"}}]}]}, "ipBlock '3.5.0.0/16'", "restricted", "FR"),
        ({"egress": [{"to": [{"namespaceSelector": {}}]}]}, "namespaces 'any'", "restricted", "FR"),
        (
            {"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}]}]},
            "namespaces {'team': 'x'}",
            "restricted",
            "FR",
        ),
        ({"egress": [{"to": [DNS_PEER]}]}, "namespace kube-system on ports other than 53", "restricted", "FR"),
        (
            {"egress": [{"to": [DNS_PEER], "ports": [{"port": 53, "endPort": 65535}]}]},
            "namespace kube-system on ports other than 53",
            "restricted",
            "FR",
        ),
        ({"podSelector": {}, "egress": [{}]}, "any destination (egress rule 1 has no 'to')", "restricted", "FR"),
        (
            {"podSelector": {"matchLabels": {"edgefed.io/data-classification": "personal"}}, "egress": [{"to": []}]},
            "any destination (egress rule 1 has no 'to')",
            "personal",
            "FR",
        ),
        (
            {
                "podSelector": {"matchLabels": {"edgefed.io/data-classification": "secret"}},
                "egress": [{"to": [{"ipBlock": {"cidr": "8.8.8.8/32"}}]}],
            },
            "ipBlock '8.8.8.8/32'",
            "restricted",
            "FR",
        ),
        (
            {
                "podSelector": {
                    "matchLabels": {"edgefed.io/data-classification": "personal", "edgefed.io/residency": "us"}
                },
                "egress": [{"to": [{"ipBlock": {"cidr": "10.33.0.0/24"}}]}],
            },
            "ipBlock '10.33.0.0/24'",
            "personal",
            "US",
        ),
    ],
    ids=[
        "anywhere", "internet", "wider-than-allowed", "other-country", "us-cloud", "every-namespace",
        "other-namespaces", "dns-namespace-any-port", "dns-port-range", "no-pinned-class", "personal-empty-to",
        "unknown-class", "pinned-non-eu-residency",
    ],
)  # fmt: skip
def test_open_egress_of_personal_or_restricted_pods_is_refused(changes, found, held, where):
    cidrs = {"FR": "10.33.0.0/16", "US": "none"}[where]
    assert run(EGRESS, NETWORK_POLICY, network_policy(**changes), name="n") == [
        f"NetworkPolicy 'n': egress to {found} for {held} data (residency {where}); {EGRESS_TAIL} ({cidrs})"
    ]


def test_restricted_data_reaches_only_its_zones_country_whatever_residency_the_selector_pins():
    selector = {"matchLabels": {"edgefed.io/data-classification": "restricted", "edgefed.io/residency": "de.fr"}}
    props = network_policy(podSelector=selector, egress=[{"to": [{"ipBlock": {"cidr": "10.49.0.0/24"}}]}])
    assert run(EGRESS, NETWORK_POLICY, props, name="n") == [
        f"NetworkPolicy 'n': egress to ipBlock '10.49.0.0/24' for restricted data (residency FR); {EGRESS_TAIL} "
        "(10.33.0.0/16)"
    ]


def test_a_network_policy_outside_every_catalog_zone_may_reach_no_cidr():
    assert run(EGRESS, NETWORK_POLICY, network_policy(), zone="nowhere", name="n") == [
        f"NetworkPolicy 'n': egress to ipBlock '10.33.4.0/24' for restricted data (residency no catalog zone); "
        f"{EGRESS_TAIL} (none)"
    ]


def test_a_patch_that_adds_egress_is_judged_as_restricted():
    patch = {
        "metadata": {"name": "p", "namespace": "acme-fr"},
        "spec": {"egress": [{"to": [{"ipBlock": {"cidr": "1.1.1.1/32"}}]}]},
    }
    assert run(EGRESS, NETWORK_POLICY + "Patch", patch, name="p") == [
        f"NetworkPolicyPatch 'p': egress to ipBlock '1.1.1.1/32' for restricted data (residency FR); {EGRESS_TAIL} "
        "(10.33.0.0/16)"
    ]


VALIDATING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration"


def webhooks(client_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "checks"},
        "webhooks": [{"name": "check.edgefed.eu", "clientConfig": client_config, "sideEffects": "None"}],
    }


def test_a_webhook_served_inside_the_zone_complies():
    in_zone = webhooks({"service": {"name": "checker", "namespace": "edgefed-system", "port": 443}})
    assert run(WEBHOOK, VALIDATING, in_zone, name="w") == []


@pytest.mark.parametrize(
    "resource_type",
    [VALIDATING, "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfigurationPatch"],
    ids=["validating", "mutating-patch"],
)
def test_a_webhook_called_by_url_is_refused(resource_type):
    by_url = webhooks({"url": "https://hooks.us-east-1.example.com:8443/validate"})
    kind = resource_type.rsplit(":", 1)[1]
    assert run(WEBHOOK, resource_type, by_url, name="w") == [
        f"{kind} 'w': webhook 'check.edgefed.eu' calls 'hooks.us-east-1.example.com' by URL, so the API server sends "
        "it every object it matches; rule disallow-offzone-webhook allows only webhooks whose clientConfig names a "
        "Service inside the zone"
    ]


# -- disallow-cross-border-restricted (stack policy) --------------------------------------------------


def placed(name: str, zone: str, country: str, operator: str, **label_overrides) -> PolicyResource:
    props = deployment(zone=zone, country=country, operator=operator, **label_overrides)
    return PolicyResource(
        DEPLOYMENT,
        unknown_checking_proxy(props),
        f"urn:pulumi:fr::edgefed::{DEPLOYMENT}::{name}",
        name,
        options(),
        provider(zone),
        None,
        [],
        {},
    )


def run_stack(resources: list[PolicyResource]) -> list[str]:
    messages: list[str] = []
    args = StackValidationArgs(resources, config_of(CROSS_BORDER))
    CROSS_BORDER.validate(args, lambda message, urn=None: messages.append(message))
    return messages


RESTRICTED = {"edgefed.io/data-classification": "restricted", "edgefed.io/residency": "de.fr"}


def test_standby_in_residency_neighbour_complies():
    assert (
        run_stack(
            [
                placed("primary", "orange-fr-paris", "fr", "orange"),
                placed("standby", "orange-be-brussels", "be", "orange", **{"edgefed.io/role": "standby"}),
            ]
        )
        == []
    )


def test_restricted_in_one_country_complies():
    assert run_stack([placed("primary", "orange-fr-paris", "fr", "orange", **RESTRICTED)]) == []


def test_standby_outside_residency():
    assert run_stack(
        [
            placed("primary", "orange-fr-paris", "fr", "orange", **{"edgefed.io/residency": "fr.it"}),
            placed(
                "standby",
                "orange-be-brussels",
                "be",
                "orange",
                **{"edgefed.io/role": "standby", "edgefed.io/residency": "fr.it"},
            ),
        ]
    ) == [
        "Deployment 'standby': standby of app robot-control in BE (zone orange-be-brussels) is outside its residency; "
        "rule disallow-cross-border-restricted allows only FR, IT"
    ]


def test_restricted_standby_across_the_border():
    assert run_stack(
        [
            placed("primary", "orange-fr-paris", "fr", "orange", **RESTRICTED),
            placed(
                "standby",
                "deutsche-telekom-de-frankfurt",
                "de",
                "deutsche-telekom",
                **RESTRICTED,
                **{"edgefed.io/role": "standby"},
            ),
        ]
    ) == [
        "Deployment 'standby': standby of restricted app robot-control in DE (zone deutsche-telekom-de-frankfurt), "
        "across the border from FR; rule disallow-cross-border-restricted allows restricted data only in FR"
    ]


def test_restricted_failover_to_switzerland():
    messages = run_stack(
        [
            placed("primary", "orange-fr-paris", "fr", "orange", **RESTRICTED),
            placed(
                "standby",
                "swisscom-ch-geneva",
                "ch",
                "swisscom",
                **{**RESTRICTED, "edgefed.io/role": "standby", "edgefed.io/residency": "eu"},
            ),
        ]
    )
    assert messages == [
        "Deployment 'standby': standby of app robot-control in CH (zone swisscom-ch-geneva) is outside its residency; "
        "rule disallow-cross-border-restricted allows only AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, IE, IS, "
        "IT, LI, LT, LU, LV, MT, NL, NO, PL, PT, RO, SE, SI, SK",
        "Deployment 'standby': standby of restricted app robot-control in CH, outside the EU/EEA (zone "
        "swisscom-ch-geneva), across the border from FR; rule disallow-cross-border-restricted allows restricted data "
        "only in FR",
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"disallow-open-egress": {"allowedCidrs": {"US": ["3.5.0.0/16"]}}},
            "disallow-open-egress.allowedCidrs.US: not an EU/EEA country; data may only be sent inside the EU/EEA",
        ),
        (
            {"disallow-open-egress": {"allowedCidrs": {"FR": ["10.33.0.1/16"]}}},
            "disallow-open-egress.allowedCidrs.FR: '10.33.0.1/16' is not a CIDR (10.33.0.1/16 has host bits set)",
        ),
        (
            {"disallow-external-name": {"allowedNames": {"FR": ["Bad_Name"]}}},
            "disallow-external-name.allowedNames.FR: 'Bad_Name' is not a lower-case DNS name",
        ),
        (
            {"disallow-open-egress": {"allowedCidrs": ["10.0.0.0/8"]}},
            "disallow-open-egress.allowedCidrs: must map ISO country codes to lists",
        ),
    ],
    ids=["non-eu-country", "host-bits", "bad-name", "not-a-map"],
)
def test_a_malformed_destination_in_the_pack_config_is_refused_naming_it(config, message):
    from edgefed.core.rules.pack_config import Destinations

    with pytest.raises(ValueError) as raised:
        Destinations.of(config)
    assert str(raised.value) == message


# -- require-eu-jurisdiction -------------------------------------------------------------------------

JURISDICTION_TAIL = (
    "rule require-eu-jurisdiction allows restricted data only on operators whose home jurisdiction is in the EU/EEA"
)
MUNICH = {"zone": "vodafone-de-munich", "country": "de", "operator": "vodafone"}


@pytest.mark.parametrize(
    ("zone", "labels"),
    [
        ("orange-fr-paris", {"edgefed.io/data-classification": "restricted"}),
        ("vodafone-de-munich", {**MUNICH, "edgefed.io/data-classification": "internal"}),
        ("vodafone-de-munich", {**MUNICH, "edgefed.io/data-classification": "personal"}),
    ],
    ids=["restricted-on-orange", "internal-on-vodafone", "personal-on-vodafone"],
)
def test_data_on_an_operator_the_rule_allows_complies(zone, labels):
    assert run(JURISDICTION, DEPLOYMENT, deployment(**labels), zone=zone, name="d") == []


@pytest.mark.parametrize(
    ("labels", "held"),
    [
        ({**MUNICH, "edgefed.io/data-classification": "restricted", "edgefed.io/role": "standby"}, "restricted"),
        ({**MUNICH, "edgefed.io/data-classification": "secret"}, "restricted"),
    ],
    ids=["restricted-standby", "unknown-classification"],
)
def test_restricted_data_on_a_foreign_law_operator_is_refused(labels, held):
    assert run(JURISDICTION, DEPLOYMENT, deployment(**labels), zone="vodafone-de-munich", name="d") == [
        f"Deployment 'd': {held} data in zone vodafone-de-munich of Vodafone, under GB jurisdiction outside the "
        f"EU/EEA; {JURISDICTION_TAIL}"
    ]


def test_a_workload_outside_every_catalog_zone_cannot_prove_its_operators_law():
    props = deployment(**{"edgefed.io/data-classification": "restricted"})
    assert run(JURISDICTION, DEPLOYMENT, props, zone="aws-us-east-1a", name="d") == [
        "Deployment 'd': restricted data in 'aws-us-east-1a', not a catalog zone, of an operator whose jurisdiction "
        f"cannot be checked; {JURISDICTION_TAIL}"
    ]


def test_the_pack_config_names_the_bound_classes():
    props = deployment(**MUNICH, **{"edgefed.io/data-classification": "personal"})
    config = {**config_of(JURISDICTION), "dataClasses": ["personal", "restricted"]}
    assert run(JURISDICTION, DEPLOYMENT, props, zone="vodafone-de-munich", name="d", config=config) == [
        "Deployment 'd': personal data in zone vodafone-de-munich of Vodafone, under GB jurisdiction outside the "
        "EU/EEA; rule require-eu-jurisdiction allows personal, restricted data only on operators whose home "
        "jurisdiction is in the EU/EEA"
    ]


def test_an_unknown_bound_class_in_the_pack_config_is_refused():
    from edgefed.core.inputs.jurisdiction import pack_eu_law_classes

    with pytest.raises(ValueError) as raised:
        pack_eu_law_classes({"require-eu-jurisdiction": {"dataClasses": ["secret"]}})
    assert str(raised.value) == (
        "require-eu-jurisdiction.dataClasses: 'secret' not a data classification; allowed: public, internal, "
        "personal, restricted"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data_classification": "restricted"}, None),
        (
            {"data_classification": "restricted", "endpoint": "https://s3.de-fra.vodafone.example", "region": "de-fra"},
            "bucket 'b': restricted data stored at https://s3.de-fra.vodafone.example of Vodafone, under GB "
            f"jurisdiction outside the EU/EEA; {JURISDICTION_TAIL}",
        ),
        (
            {"data_classification": None, "endpoint": "https://s3.de-fra.vodafone.example", "region": "de-fra"},
            "bucket 'b': restricted data stored at https://s3.de-fra.vodafone.example of Vodafone, under GB "
            f"jurisdiction outside the EU/EEA; {JURISDICTION_TAIL}",
        ),
        (
            {"data_classification": "internal", "endpoint": "https://s3.de-fra.vodafone.example", "region": "de-fra"},
            None,
        ),
    ],
    ids=["restricted-at-orange", "restricted-at-vodafone", "unclassified-at-vodafone", "internal-at-vodafone"],
)
def test_a_bucket_of_restricted_data_is_stored_by_an_eu_law_operator(change, message):
    assert run(JURISDICTION, BUCKET_TYPE, {**BUCKET_PROPS, **change}, name="b") == ([message] if message else [])


def test_placement_leaves_foreign_law_zones_out_for_the_bound_classes_and_says_so():
    from edgefed.core.inputs.appspec import AppSpec
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed.core.placement.placer import Placer

    catalog = load_catalog(ROOT / "stacks" / "catalog" / "federation.yaml")
    site = {"name": "lisbon-port", "country": "PT", "location": {"latitude": 38.72, "longitude": -9.14},
            "latency_budget_ms": 15}  # fmt: skip
    base = {"name": "harbour", "image": "registry.edgefed.eu/acme/harbour:1", "ports": [{"name": "http", "port": 80}],
            "resources": {"cpu": 1, "memory_mib": 512}, "replicas_per_zone": 1, "residency": ["PT"],
            "failover": "none", "standby_replicas": 0, "object_storage": False, "sites": [site]}  # fmt: skip
    internal = Placer(catalog).place(AppSpec.model_validate({**base, "data_classification": "internal"}))
    assert internal.sites[0].primary == "vodafone-pt-lisbon"
    restricted = AppSpec.model_validate(
        {**base, "data_classification": "restricted", "image": "registry.edgefed.eu/acme/harbour:1@sha256:" + "ab" * 32}
    )
    refused = Placer(catalog).place(restricted).sites[0]
    assert refused.primary is None and refused.problem == (
        "no active PT zone is among the usable zones (vodafone-pt-lisbon left out: restricted data runs only on "
        "operators under EU/EEA law, rule require-eu-jurisdiction)"
    )
    # The pack config may bind no class: then placement uses the zone, and the pack lets it through.
    assert Placer(catalog, eu_law_classes=()).place(restricted).sites[0].primary == "vodafone-pt-lisbon"


def test_the_pack_converts_a_resources_properties_once_per_request_and_never_mixes_two():
    """edgefed.policy.analyzer: the same message converts once per thread; another message converts anew."""
    from google.protobuf import struct_pb2
    from pulumi_policy import policy as sdk

    from edgefed.policy.analyzer import share_conversions

    first, second = struct_pb2.Struct(), struct_pb2.Struct()
    first.update({"metadata": {"name": "a"}, "spec": {"replicas": 2}})
    second.update({"metadata": {"name": "b"}})
    expected = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(first)))
    share_conversions()
    share_conversions()  # a second call wraps nothing twice

    def converted(message):
        return sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(message)))

    once = converted(first)
    assert once == expected and converted(first) is once, "one conversion per message"
    other = converted(second)
    assert other == {"metadata": {"name": "b"}} and other is not once
    assert sdk.json_format.Parse is not None, "the rest of json_format is the SDK's own"


# -- disallow-tenant-overreach ------------------------------------------------------------------------


def _token(issuer: str = "https://identity.orange.example", account: str = "acme") -> str:
    """A service-account token as an operator's identity issuer signs it (the signature is never read here)."""
    import base64

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"iss": issuer, "aud": ["edgefed-federation"], "kubernetes.io": {"serviceaccount": {"name": account}}}
    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def _kubeconfig(token: str) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "z",
        "clusters": [{"name": "z", "cluster": {"server": "https://api.paris.orange.example:6443"}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "z", "context": {"cluster": "z", "user": "u"}}],
    })  # fmt: skip


def run_as(token: str, resource_type: str, props: dict[str, Any], name: str = "r") -> list[str]:
    messages: list[str] = []
    provider_props = {"clusterIdentifier": "orange-fr-paris", "kubeconfig": _kubeconfig(token)}
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(props), f"urn:pulumi:fr::edgefed::{resource_type}::{name}", name,
        options(),
        PolicyProviderResource("pulumi:providers:kubernetes", unknown_checking_proxy(provider_props), "urn:p", "p"),
        config_of(OVERREACH),
    )  # fmt: skip
    OVERREACH.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def _in(namespace: str | None, name: str = "web", **labels: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"metadata": metadata, "spec": {}}


@pytest.mark.parametrize(
    ("token", "resource_type", "props"),
    [
        (_token(), DEPLOYMENT, _in("acme-fr")),
        (_token(), "kubernetes:networking.k8s.io/v1:NetworkPolicy", _in("acme-de", "cold-chain-egress")),
        (_token(), "kubernetes:core/v1:PersistentVolumeClaim", _in("acme-fr", "data")),
        (_token(), "kubernetes:policy/v1:PodDisruptionBudgetPatch", _in("acme-fr")),
        ("opaque-operator-token", "kubernetes:core/v1:Namespace", _in(None, "acme-fr")),
        (_token(issuer="https://issuer.elsewhere.example"), "kubernetes:core/v1:Namespace", _in(None, "x")),
        (_token(), "pulumi-python:dynamic/edgefed:ResidentBucket", {"bucket": "b"}),
    ],
    ids=["deployment", "network-policy", "claim", "pdb-patch", "operator-identity", "unknown-issuer", "not-kubernetes"],
)
def test_what_a_tenant_may_write_and_other_identities_pass(token, resource_type, props):
    assert run_as(token, resource_type, props) == []


OVERREACH_TAIL = (
    "rule disallow-tenant-overreach refuses at preview what the zone would refuse half-way through the update"
)
WRITABLE = "Deployment, HorizontalPodAutoscaler, NetworkPolicy, PersistentVolumeClaim, PodDisruptionBudget, Service"


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (
            "kubernetes:core/v1:Namespace",
            _in(None, "acme-extra"),
            "Namespace 'r': tenant acme's identity (from orange's issuer) may not write Namespace objects in any zone "
            f"(a tenant writes only {WRITABLE}, in its own namespaces); {OVERREACH_TAIL}",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            _in("acme-fr", "grab"),
            "RoleBinding 'r': tenant acme's identity (from orange's issuer) may not write RoleBinding objects in any "
            f"zone (a tenant writes only {WRITABLE}, in its own namespaces); {OVERREACH_TAIL}",
        ),
        (
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
            _in(None, "off"),
            "ValidatingAdmissionPolicyBinding 'r': tenant acme's identity (from orange's issuer) may not write "
            f"ValidatingAdmissionPolicyBinding objects in any zone (a tenant writes only {WRITABLE}, in its own "
            f"namespaces); {OVERREACH_TAIL}",
        ),
        (
            "kubernetes:core/v1:ResourceQuotaPatch",
            _in("acme-fr", "edgefed-tenant"),
            "ResourceQuotaPatch 'r': tenant acme's identity (from orange's issuer) may not write ResourceQuota objects "
            f"in any zone (a tenant writes only {WRITABLE}, in its own namespaces); {OVERREACH_TAIL}",
        ),
        (
            DEPLOYMENT,
            _in(None),
            "Deployment 'r': tenant acme's identity (from orange's issuer) may write only in its own namespaces "
            f"(acme-<cc>), not in 'default'; {OVERREACH_TAIL}",
        ),
        (
            DEPLOYMENT,
            _in("nordwind-fr"),
            "Deployment 'r': tenant acme's identity (from orange's issuer) may write only in its own namespaces "
            f"(acme-<cc>), not in 'nordwind-fr'; {OVERREACH_TAIL}",
        ),
        (
            "kubernetes:networking.k8s.io/v1:NetworkPolicyPatch",
            _in("acme-fr", "edgefed-default-deny"),
            "NetworkPolicyPatch 'r': 'edgefed-default-deny' in acme-fr is (or imitates) the operator's own object, "
            f"which tenant acme's identity (from orange's issuer) may not change; {OVERREACH_TAIL}",
        ),
        (
            "kubernetes:core/v1:Service",
            _in("acme-fr", "svc", **{"app.kubernetes.io/managed-by": "edgefed-operator"}),
            "Service 'r': 'svc' in acme-fr is (or imitates) the operator's own object, which tenant acme's identity "
            f"(from orange's issuer) may not change; {OVERREACH_TAIL}",
        ),
    ],
    ids=["namespace", "rbac", "admission-binding", "quota-patch", "default-namespace", "another-tenant",
         "operator-policy", "imitation"],
)  # fmt: skip
def test_what_a_tenant_may_never_write_is_refused_at_preview(resource_type, props, expected):
    assert run_as(_token(), resource_type, props) == [expected]


def test_the_tenant_rights_are_the_role_the_zones_bind():
    """One list: what the pack lets a tenant's program write is what the operators' Role grants."""
    from edgefed.core.objects.tenancy import WRITE, role_rules
    from edgefed.core.rules.tenant_rights import TENANT_WRITES

    written = {(g, r) for rule in role_rules() if rule["verbs"] == WRITE for g in rule["apiGroups"]
               for r in rule["resources"] if "/" not in r}  # fmt: skip
    assert written == {(group, resource) for group, resource, _ in TENANT_WRITES}


# -- enforce-platform-instance-residency ----------------------------------------------------------------------

INSTANCE_TYPE = "pulumi-python:dynamic/edgefed:PlatformAppInstance"
LYON_PLATFORM_ID = "dd4a347d-f64d-5fb5-8d19-88188c813883"


def platform_instance(**change: Any) -> dict[str, Any]:
    """acme's FR restricted vision app on Orange Lyon, through Orange's platform."""
    return {
        "platform_api": "https://eam.orange.example",
        "edge_cloud_zone_id": LYON_PLATFORM_ID,
        "zone": "orange-fr-lyon",
        "country": "FR",
        "app": "vision",
        "image": f"registry.edgefed.eu/acme/vision@{DIGEST}",
        "data_classification": "restricted",
        "residency": ["FR"],
        "token": "[secret]",
        **change,
    }


def instance_messages(**change: Any) -> list[str]:
    return run(PLATFORM_INSTANCE, INSTANCE_TYPE, platform_instance(**change), name="vision-lyon-instance")


def test_a_platform_instance_in_its_stacks_country_through_its_zones_platform_passes():
    assert instance_messages() == []


WHAT = "platform instance 'vision-lyon-instance'"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"platform_api": "https://eam.attacker.example"},
         f"{WHAT}: zone '{LYON_PLATFORM_ID}' at platform 'https://eam.attacker.example' is no catalog zone of that "
         "platform's operator; rule enforce-platform-instance-residency judges only instances whose platform and zone "
         "the catalog names"),
        ({"edge_cloud_zone_id": "8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b"},
         f"{WHAT}: zone '8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b' at platform 'https://eam.orange.example' is no catalog "
         "zone of that platform's operator; rule enforce-platform-instance-residency judges only instances whose "
         "platform and zone the catalog names"),
        ({"zone": "orange-fr-paris"},
         f"{WHAT}: declares zone 'orange-fr-paris', but platform id {LYON_PLATFORM_ID} is zone orange-fr-lyon"),
        ({"country": "DE"},
         f"{WHAT}: restricted data of the DE stack in zone orange-fr-lyon (FR); rule enforce-platform-instance-residency "
         "keeps restricted data in its stack's country"),
        ({"residency": ["DE", "IT"]},
         f"{WHAT}: zone orange-fr-lyon (FR) is outside the app's residency DE, IT"),
        ({"image": f"docker.io/acme/vision@{DIGEST}"},
         f"{WHAT}: image 'docker.io/acme/vision@{DIGEST}' comes from registry docker.io; rule enforce-platform-instance-residency "
         "allows only registry.edgefed.eu"),
        ({"image": "registry.edgefed.eu/acme/vision:1"},
         f"{WHAT}: image 'registry.edgefed.eu/acme/vision:1' is not pinned by digest for restricted data"),
        ({"data_classification": "secret-ish", "country": "DE"},
         f"{WHAT}: restricted data of the DE stack in zone orange-fr-lyon (FR); rule enforce-platform-instance-residency "
         "keeps restricted data in its stack's country"),
        ({"edge_cloud_zone_id": None},
         f"{WHAT}: lacks edge_cloud_zone_id; rule enforce-platform-instance-residency decides on all of them"),
    ],
)  # fmt: skip
def test_a_platform_instance_is_refused_with_the_message_a_reviewer_reads(change, message):
    assert instance_messages(**change) == [message]


def test_a_platform_instance_outside_the_allowed_countries_is_refused():
    config = {**config_of(PLATFORM_INSTANCE), "allowedCountries": ["DE"]}
    found = run(PLATFORM_INSTANCE, INSTANCE_TYPE, platform_instance(), name="vision-lyon-instance", config=config)
    assert found == [
        f"{WHAT}: zone orange-fr-lyon (FR) is outside the allowed countries; rule enforce-platform-instance-residency "
        "allows only DE"
    ]


def test_an_unknown_dynamic_resource_is_refused_by_the_coverage_rule():
    from edgefed.policy.disallow_unchecked_workload import POLICY as UNCHECKED

    found = run(UNCHECKED, "pulumi-python:dynamic/acme:Anything", {"image": "x"}, name="x")
    assert found == [
        "Anything 'x': dynamic resource type pulumi-python:dynamic/acme:Anything is not one "
        "the pack judges, and a dynamic provider can deploy anything anywhere; rule disallow-unchecked-workload allows "
        "only pulumi-python:dynamic/edgefed:PlatformApp, pulumi-python:dynamic/edgefed:PlatformAppInstance, "
        "pulumi-python:dynamic/edgefed:ResidentBucket"
    ]
    assert run(UNCHECKED, INSTANCE_TYPE, platform_instance(), name="x") == []
