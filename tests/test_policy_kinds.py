"""Every kind that runs or exposes a container, through the policies as the engine calls them.

Each case starts from the compliant Deployment of ``tests/workloads.py`` (or a Service in front of it) and
changes one thing: its kind, a patch, an image, a label value, a selector, a route. Exact messages.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import PolicyResource, StackValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from edgefed.policy.disallow_cross_border_restricted import POLICY as CROSS_BORDER
from edgefed.policy.disallow_restricted_exposure_path import POLICY as EXPOSURE_PATH
from edgefed.policy.disallow_unchecked_workload import POLICY as UNCHECKED
from edgefed.policy.disallow_unlisted_registry import POLICY as REGISTRY
from edgefed.policy.enforce_residency_labels import POLICY as LABELS

from .test_policies import config_of, deployment, labels_for, options, provider, run

DIGEST = "sha256:" + "ab" * 32
RESTRICTED = {"edgefed.io/data-classification": "restricted", "edgefed.io/residency": "fr"}


# -- workload kinds and patches ---------------------------------------------------------------------


def replication_controller(image: str = "nginx:1.27") -> dict[str, Any]:
    """A ReplicationController with no labels at all, as someone going around the components writes it."""
    pod = {"metadata": {"labels": {"run": "web"}}, "spec": {"containers": [{"name": "web", "image": image}]}}
    return {"spec": {"replicas": 1, "selector": {"run": "web"}, "template": pod}}


def test_a_replication_controller_is_checked_like_a_deployment():
    props = replication_controller()
    assert run(REGISTRY, "kubernetes:core/v1:ReplicationController", props, name="rc") == [
        "ReplicationController 'rc': image 'nginx:1.27' comes from registry docker.io; rule disallow-unlisted-registry "
        "allows only registry.edgefed.eu",
        # No classification label: held to restricted, so the digest is required too.
        "ReplicationController 'rc': image 'nginx:1.27' is not pinned by digest but the workload holds restricted "
        "data; rule disallow-unlisted-registry requires image@sha256:<digest> for restricted data",
    ]
    assert run(LABELS, "kubernetes:core/v1:ReplicationController", props, name="rc")[0].startswith(
        "ReplicationController 'rc': metadata.labels lacks edgefed.io/country, edgefed.io/operator"
    )


@pytest.mark.parametrize(
    "kind",
    ["kubernetes:apps/v1beta2:DaemonSet", "kubernetes:extensions/v1beta1:Deployment", "kubernetes:core/v1:PodTemplate"],
)
def test_legacy_and_template_kinds_are_read(kind):
    props = deployment()
    if kind.endswith("PodTemplate"):
        props = {"template": props["spec"]["template"]}
    props = copy.deepcopy(props)
    pod = (props["template"] if "template" in props else props["spec"]["template"])["spec"]
    pod["containers"][0]["image"] = "gcr.io/acme/web:1"
    messages = run(REGISTRY, kind, props, name="w")
    assert messages[0].endswith("image 'gcr.io/acme/web:1' comes from registry gcr.io; rule disallow-unlisted-registry "
                                "allows only registry.edgefed.eu"), messages  # fmt: skip


def deployment_patch(image: str = "registry.edgefed.eu/acme/robot-control:1.4.3", **labels: Any) -> dict[str, Any]:
    """A DeploymentPatch that swaps the image of an existing Deployment (and sets ``labels`` if given)."""
    patch: dict[str, Any] = {
        "metadata": {"name": "robot-control", "namespace": "edgefed-fr"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
    }
    if labels:
        patch["metadata"]["labels"] = labels
    return patch


PATCH = "kubernetes:apps/v1:DeploymentPatch"


def test_a_deployment_patch_that_swaps_the_image_for_an_unlisted_one_is_refused():
    assert run(REGISTRY, PATCH, deployment_patch("docker.io/attacker/robot:1"), name="swap")[0] == (
        "DeploymentPatch 'swap': image 'docker.io/attacker/robot:1' comes from registry docker.io; rule "
        "disallow-unlisted-registry allows only registry.edgefed.eu"
    )


def test_a_patch_without_labels_is_held_to_restricted():
    """The patched object's classification is not in the patch: fail closed, a digest is required."""
    assert run(REGISTRY, PATCH, deployment_patch(), name="swap") == [
        "DeploymentPatch 'swap': image 'registry.edgefed.eu/acme/robot-control:1.4.3' is not pinned by digest but the "
        "workload holds restricted data; rule disallow-unlisted-registry requires image@sha256:<digest> for "
        "restricted data"
    ]
    internal = deployment_patch(**{"edgefed.io/data-classification": "internal"})
    internal["spec"]["template"]["metadata"] = {"labels": {"edgefed.io/data-classification": "internal"}}
    assert run(REGISTRY, PATCH, internal, name="swap") == []


def test_a_patch_changes_only_the_labels_it_names_and_those_must_match():
    assert run(LABELS, PATCH, deployment_patch(), name="swap") == []
    assert run(LABELS, PATCH, deployment_patch(**{"edgefed.io/country": "us"}), name="swap") == [
        "DeploymentPatch 'swap': metadata.labels edgefed.io/country='us' but it is deployed to zone orange-fr-paris "
        "(FR, orange); rule enforce-residency-labels allows only edgefed.io/country='fr'"
    ]
    assert run(LABELS, PATCH, deployment_patch(**{"edgefed.io/zone": ""}), name="swap") == [
        "DeploymentPatch 'swap': metadata.labels lacks edgefed.io/zone; rule enforce-residency-labels requires all of "
        "edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, "
        "edgefed.io/data-classification, app.kubernetes.io/name"
    ]


def test_ephemeral_containers_are_images_too():
    props = copy.deepcopy(deployment())
    props["spec"]["template"]["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox:1.36"}]
    assert run(REGISTRY, "kubernetes:apps/v1:Deployment", props, name="d") == [
        "Deployment 'd': image 'busybox:1.36' comes from registry docker.io; rule disallow-unlisted-registry allows "
        "only registry.edgefed.eu"
    ]


# -- residency label values and case ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("residency", "expected"),
    [
        ("fr.us", "names US, not EU/EEA"),
        ("us", "names US, not EU/EEA"),
        ("fr..de", "has an empty country code between dots"),
        ("cn.fr", "names CN, not EU/EEA"),
    ],
)
def test_a_residency_label_names_only_eu_eea_countries(residency, expected):
    assert run(LABELS, "kubernetes:apps/v1:Deployment", deployment(residency=residency), name="d")[0] == (
        f"Deployment 'd': metadata.labels edgefed.io/residency={residency!r} {expected}; rule enforce-residency-labels "
        "allows 'eu' or EU/EEA country codes joined by '.' (for example 'de.fr')"
    )


def test_upper_case_country_and_residency_are_the_same_country():
    props = deployment(country="FR", residency="FR.DE")
    assert run(LABELS, "kubernetes:apps/v1:Deployment", props, name="d") == []


# -- kinds the pack cannot read --------------------------------------------------------------------

RELEASE = "kubernetes:helm.sh/v3:Release"


def test_a_helm_release_is_refused_unless_allow_listed():
    props = {"chart": "nginx", "repositoryOpts": {"repo": "https://charts.bitnami.com/bitnami"}}
    assert run(UNCHECKED, RELEASE, props, name="web") == [
        "Release 'web': installs chart 'nginx' from 'https://charts.bitnami.com/bitnami', whose objects the pack "
        "cannot inspect; rule disallow-unchecked-workload allows only allow-listed releases (none); use a helm.sh/v4 "
        "Chart, whose objects are checked one by one"
    ]
    trusted = {"allowedHelmReleases": [{"repo": "https://charts.bitnami.com/bitnami", "chart": "nginx"}]}
    assert run(UNCHECKED, RELEASE, props, name="web", config=trusted) == []


def test_an_unknown_kind_with_a_pod_template_fails_closed():
    rollout = {"spec": {"replicas": 2, "template": deployment()["spec"]["template"]}}
    assert run(UNCHECKED, "kubernetes:argoproj.io/v1alpha1:Rollout", rollout, name="canary") == [
        "Rollout 'canary': kind kubernetes:argoproj.io/v1alpha1:Rollout is not one the pack checks, yet it carries a "
        "pod spec at spec.template.spec; rule disallow-unchecked-workload refuses unknown kinds that run containers "
        "(use a Deployment, StatefulSet, DaemonSet, Job or CronJob)"
    ]


def test_a_list_of_workloads_is_refused_and_an_empty_one_runs_nothing():
    props = {"items": [deployment(), deployment()]}
    assert run(UNCHECKED, "kubernetes:apps/v1:DeploymentList", props, name="many") == [
        "DeploymentList 'many': registers 2 workload(s) in one resource; rule disallow-unchecked-workload refuses "
        "workload lists: declare each Deployment as its own resource, so that every rule checks it"
    ]
    assert run(UNCHECKED, "kubernetes:apps/v1:DeploymentList", {"items": []}, name="none") == []


@pytest.mark.parametrize(
    ("kind", "props"),
    [
        ("kubernetes:core/v1:ConfigMap", {"data": {"containers": "[]"}}),
        ("kubernetes:apps/v1:Deployment", deployment()),
        ("kubernetes:yaml/v2:ConfigGroup", {"objs": [deployment()]}),
    ],
    ids=["no-pod-spec", "known-kind", "manifest-group-whose-objects-are-checked-one-by-one"],
)
def test_kinds_the_pack_reads_or_that_run_nothing_pass(kind, props):
    assert run(UNCHECKED, kind, props, name="x") == []


# -- exposure paths (stack policy) -------------------------------------------------------------------


def resource(kind: str, name: str, props: dict[str, Any], zone: str = "orange-fr-paris") -> PolicyResource:
    return PolicyResource(
        f"kubernetes:{kind}",
        unknown_checking_proxy(props),
        f"urn:pulumi:fr::edgefed::kubernetes:{kind}::{name}",
        name,
        options(),
        provider(zone),
        None,
        [],
        {},
    )


def run_paths(*resources: PolicyResource) -> list[str]:
    messages: list[str] = []
    EXPOSURE_PATH.validate(StackValidationArgs(list(resources), {}), lambda m, urn=None: messages.append(m))
    return messages


def restricted_pods() -> PolicyResource:
    props = copy.deepcopy(deployment(**RESTRICTED))
    props["spec"]["template"]["spec"]["containers"][0]["image"] += f"@{DIGEST}"
    props["metadata"] |= {"name": "vision", "namespace": "edgefed-fr"}
    return resource("apps/v1:Deployment", "vision", props)


def service(kind: str = "ClusterIP", selector: dict[str, str] | None = None, **labels: str) -> PolicyResource:
    spec: dict[str, Any] = {"type": kind, "ports": [{"port": 80}]}
    if selector is not None:
        spec["selector"] = selector
    props = {"metadata": {"name": "front", "namespace": "edgefed-fr", "labels": labels_for(**labels)}, "spec": spec}
    return resource("core/v1:Service", "front", props)


SELECT_VISION = {"app.kubernetes.io/name": "robot-control"}


def test_a_cluster_ip_service_in_front_of_restricted_pods_complies():
    assert run_paths(restricted_pods(), service(selector=SELECT_VISION)) == []


def test_a_public_labelled_load_balancer_selecting_restricted_pods_is_refused():
    """The Service says public; what it selects is restricted: the selector decides, not the label."""
    front = service("LoadBalancer", SELECT_VISION, **{"edgefed.io/data-classification": "public"})
    assert run_paths(restricted_pods(), front) == [
        "Service 'front': type LoadBalancer exposes the pods of Deployment 'vision' (restricted data) outside the "
        "zone; rule disallow-restricted-exposure-path allows only ClusterIP Services in front of restricted pods"
    ]


def test_an_exposing_service_without_a_selector_cannot_be_checked():
    assert run_paths(restricted_pods(), service("NodePort", None, **{"edgefed.io/data-classification": "public"})) == [
        "Service 'front': type NodePort but it selects no pods, so what it exposes is set by hand and cannot be "
        "checked; rule disallow-restricted-exposure-path allows exposing only Services whose selector names their pods"
    ]


def test_a_service_in_another_namespace_or_zone_selects_nothing_here():
    elsewhere = service("LoadBalancer", SELECT_VISION, **{"edgefed.io/data-classification": "public"})
    moved = resource("core/v1:Service", "front", dict(elsewhere.props), zone="orange-fr-lyon")
    assert run_paths(restricted_pods(), moved) == []


def ingress(backend: str) -> PolicyResource:
    props = {
        "metadata": {"name": "web", "namespace": "edgefed-fr", "labels": labels_for()},
        "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
            "service": {"name": backend, "port": {"number": 80}}}}]}}]},
    }  # fmt: skip
    return resource("networking.k8s.io/v1:Ingress", "web", props)


def test_an_internal_labelled_ingress_routing_to_restricted_pods_is_refused():
    assert run_paths(restricted_pods(), service(selector=SELECT_VISION), ingress("front")) == [
        "Ingress 'web': routes to Service 'front', which selects the pods of Deployment 'vision' (restricted data); "
        "rule disallow-restricted-exposure-path allows no route from outside the zone to restricted pods"
    ]


def test_an_ingress_to_a_service_outside_the_stack_fails_closed():
    assert run_paths(restricted_pods(), ingress("somewhere-else")) == [
        "Ingress 'web': routes to Service 'somewhere-else', which this stack does not define as a Service, so the "
        "pods behind it cannot be checked; rule disallow-restricted-exposure-path allows routes only to Services of "
        "the stack"
    ]


def test_a_gateway_route_to_restricted_pods_is_refused():
    route = {
        "metadata": {"name": "web", "namespace": "edgefed-fr", "labels": labels_for()},
        "spec": {"parentRefs": [{"name": "edge"}], "rules": [{"backendRefs": [{"name": "front", "port": 80}]}]},
    }
    found = run_paths(
        restricted_pods(),
        service(selector=SELECT_VISION),
        resource("gateway.networking.k8s.io/v1:HTTPRoute", "r", route),
    )
    assert found == [
        "HTTPRoute 'r': routes to Service 'front', which selects the pods of Deployment 'vision' (restricted data); "
        "rule disallow-restricted-exposure-path allows no route from outside the zone to restricted pods"
    ]


# -- cross-border, fail closed ----------------------------------------------------------------------


def test_cross_border_counts_an_unlabelled_workload_as_restricted_and_never_as_primary():
    """No app, role, classification or residency label: the rule still places it, at its strictest."""
    bare = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}}
    resources = [
        resource("apps/v1:Deployment", "a", bare),
        resource("apps/v1:Deployment", "b", copy.deepcopy(bare), zone="deutsche-telekom-de-frankfurt"),
    ]
    messages: list[str] = []
    CROSS_BORDER.validate(
        StackValidationArgs(resources, config_of(CROSS_BORDER)), lambda m, urn=None: messages.append(m)
    )
    assert messages == [
        "Deployment 'a': workload without a role of app (no app label) in FR (zone orange-fr-paris) is outside its "
        "residency; rule disallow-cross-border-restricted allows only nothing",
        "Deployment 'b': workload without a role of app (no app label) in DE (zone deutsche-telekom-de-frankfurt) is "
        "outside its residency; rule disallow-cross-border-restricted allows only nothing",
        "Deployment 'a': workload without a role of restricted app (no app label) in FR (zone orange-fr-paris), with "
        "no primary to anchor it; rule disallow-cross-border-restricted allows restricted data only in one country, "
        "its primaries",
        "Deployment 'b': workload without a role of restricted app (no app label) in DE (zone "
        "deutsche-telekom-de-frankfurt), with no primary to anchor it; rule disallow-cross-border-restricted allows "
        "restricted data only in one country, its primaries",
    ]
