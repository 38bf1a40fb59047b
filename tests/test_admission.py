"""The zones' ValidatingAdmissionPolicy, evaluated with a CEL interpreter on compliant and refused objects.

The same policy against a real API server is tested with the local federation.
"""

from __future__ import annotations

import copy
from typing import Any

import celpy
import pytest

from edgefed.core.objects.admission import admission_binding, admission_policy

from .workloads import compliant_deployment, residency_labels

REGISTRIES = ("registry.edgefed.eu",)
POLICY = admission_policy("edgefed-residency-edgefed-fr", "FR", "orange-fr-paris", "orange", REGISTRIES)
DIGEST = "sha256:" + "ab" * 32


TENANT_RULES = {
    "tenant": "acme", "country": "FR", "registry-0": "registry.edgefed.eu",
    **{f"class-{i}": value for i, value in enumerate(("public", "internal", "personal", "restricted"))},
}  # fmt: skip
"""The namespace's tenant rules (its ConfigMap's data): a tenant that may run every class, from the federation registry."""


def evaluate(obj: dict[str, Any], policy: dict[str, Any] = POLICY, rules: dict[str, str] = TENANT_RULES) -> list[str]:
    """Messages of the failed validations, as the API server would compute them."""
    env = celpy.Environment()
    activation: dict[str, Any] = {"object": celpy.json_to_cel(obj), "params": celpy.json_to_cel({"data": rules})}
    values: dict[str, Any] = {}
    for variable in policy["variables"]:
        activation["variables"] = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in values.items()})
        values[variable["name"]] = env.program(env.compile(variable["expression"])).evaluate(activation)
    activation["variables"] = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in values.items()})
    failed = []
    for validation in policy["validations"]:
        if not env.program(env.compile(validation["expression"])).evaluate(activation):
            if "messageExpression" in validation:
                failed.append(str(env.program(env.compile(validation["messageExpression"])).evaluate(activation)))
            else:
                failed.append(validation["message"])
    return failed


def deployment(**label_changes: str | None) -> dict[str, Any]:
    return compliant_deployment(labels=residency_labels(**label_changes))


def test_compliant_workload_is_admitted():
    assert evaluate(deployment()) == []


LABELS = (
    "edgefed residency: a workload and its pod template must carry the labels edgefed.io/country, "
    "edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, "
    "app.kubernetes.io/name"
)
PLACE = (
    "edgefed residency: this is zone orange-fr-paris of orange in FR; the workload's edgefed.io/country, "
    "edgefed.io/zone and edgefed.io/operator labels must say so"
)
RESIDENCY = "edgefed residency: edgefed.io/residency must be 'eu' or EU/EEA country codes joined by '.' that include fr"
DIGEST_NEEDED = "edgefed residency: restricted data requires images pinned by digest (image@sha256:...)"


def test_missing_label_is_refused_and_held_to_restricted():
    """No label is assumed: a missing classification is refused, and counts as restricted for the digest."""
    assert evaluate(deployment(zone=None)) == [LABELS]
    assert evaluate(deployment(data_classification=None)) == [LABELS, DIGEST_NEEDED]


def test_template_labels_are_checked_too():
    obj = deployment()
    obj["spec"]["template"]["metadata"]["labels"]["edgefed.io/country"] = "de"
    assert evaluate(obj) == [PLACE]
    del obj["spec"]["template"]["metadata"]
    assert evaluate(obj) == [LABELS, DIGEST_NEEDED]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"country": "de"}, [PLACE]),
        ({"zone": "orange-fr-lyon"}, [PLACE]),
        ({"operator": "vodafone"}, [PLACE]),
        ({"country": "FR"}, []),
        ({"residency": "us"}, [RESIDENCY]),
        ({"residency": "fr.us"}, [RESIDENCY]),
        ({"residency": "de.it"}, [RESIDENCY]),
        ({"residency": "DE.FR"}, []),
        ({"residency": "EU"}, []),
        ({"data_classification": "secret"}, [
            "edgefed residency: edgefed.io/data-classification must be one of public, internal, personal, restricted",
            DIGEST_NEEDED,
        ]),
    ],
    ids=["country", "zone", "operator", "upper-case-country", "residency-us", "residency-with-us",
         "residency-without-fr", "upper-case-residency", "upper-case-eu", "unknown-classification"],
)  # fmt: skip
def test_label_values_are_checked_like_the_pack(change, expected):
    assert evaluate(deployment(**change)) == expected


@pytest.mark.parametrize(
    "image",
    ["nginx:1.27", "gcr.io/acme/web:1", "registry.edgefed.eu.evil.com/web:1", "registry.edgefed.eu:5000/web:1"],
)
def test_unlisted_registry_is_refused(image):
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
    assert evaluate(obj) == [
        f"edgefed residency: image {image} is not from an allow-listed registry (registry.edgefed.eu)"
    ]


@pytest.mark.parametrize("image", ["registry.edgefed.eu/Acme/web:1", "registry.edgefed.eu/" + "a" * 300 + ":1"])
def test_an_image_reference_the_pack_cannot_parse_is_refused(image):
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
    assert evaluate(obj)[0] == f"edgefed residency: image {image} is not an image reference edgefed can read"


def test_restricted_needs_digest():
    obj = deployment(data_classification="restricted")
    assert evaluate(obj) == [DIGEST_NEEDED]
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = f"registry.edgefed.eu/acme/web:1@{DIGEST}"
    assert evaluate(obj) == []


def test_digests_follow_require_digest_for():
    personal = admission_policy("p", "FR", "orange-fr-paris", "orange", REGISTRIES, ("personal", "restricted"))
    assert evaluate(deployment(data_classification="personal"), personal) == [
        "edgefed residency: personal data requires images pinned by digest (image@sha256:...)"
    ]


def test_docker_hub_by_host_when_allow_listed():
    hub = admission_policy("p", "FR", "orange-fr-paris", "orange", ("docker.io",))
    for image, admitted in [("nginx:1.27", True), ("library/nginx:1", True), ("docker.io/x/y:1", True),
                            ("gcr.io/x:1", False), ("localhost/x:1", False), ("localhost:5000/x:1", False)]:  # fmt: skip
        obj = deployment()
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
        assert (evaluate(obj, hub, {**TENANT_RULES, "registry-0": "docker.io"}) == []) is admitted, image


def test_each_tenant_is_judged_by_its_own_contract():
    """The namespace's rules: another tenant's registry or a data class outside the contract is refused."""
    nordwind = {"tenant": "nordwind", "country": "FR", "registry-0": "registry.nordwind.de", "class-0": "personal"}
    both = admission_policy("p", "FR", "orange-fr-paris", "orange", ("registry.edgefed.eu", "registry.nordwind.de"))
    own = deployment(data_classification="personal")
    own["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.nordwind.de/cold-chain:4"
    assert evaluate(own, both, nordwind) == []
    assert evaluate(own, both) == [
        "edgefed tenancy: image registry.nordwind.de/cold-chain:4 is not from a registry of tenant acme's contract"
    ], "acme's namespace refuses nordwind's registry, which the federation allows"
    assert evaluate(deployment(data_classification="personal"), both, nordwind) == [
        "edgefed tenancy: image registry.edgefed.eu/acme/web:1 is not from a registry of tenant nordwind's contract"
    ]
    assert evaluate(deployment(), both, {**nordwind, "registry-0": "registry.edgefed.eu"}) == [
        "edgefed tenancy: tenant nordwind may not run internal data (its contract lists the data classes it may run)"
    ]


def test_pods_cronjobs_and_ephemeral_containers_are_covered_too():
    pod = copy.deepcopy(deployment())
    pod["kind"] = "Pod"
    pod["spec"] = {
        "containers": [{"name": "x", "image": "registry.edgefed.eu/x:1"}],
        "ephemeralContainers": [{"name": "debug", "image": "quay.io/x:1"}],
    }
    assert evaluate(pod) == [
        "edgefed residency: image quay.io/x:1 is not from an allow-listed registry (registry.edgefed.eu)"
    ]
    cron = copy.deepcopy(deployment())
    cron["kind"] = "CronJob"
    template = copy.deepcopy(cron["spec"]["template"])
    template["spec"] = {
        "initContainers": [{"name": "i", "image": "busybox"}],
        "containers": [{"name": "x", "image": "registry.edgefed.eu/x:1"}],
    }
    cron["spec"] = {"jobTemplate": {"spec": {"template": template}}}
    assert evaluate(cron) == [
        "edgefed residency: image busybox is not from an allow-listed registry (registry.edgefed.eu)"
    ]


def test_binding_covers_every_namespace_but_the_clusters_own():
    binding = admission_binding("edgefed-residency-edgefed-fr")
    assert binding["validationActions"] == ["Deny"]
    assert binding["matchResources"]["namespaceSelector"] == {
        "matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
             "values": ["kube-system", "kube-public", "kube-node-lease"]}
        ]
    }  # fmt: skip
