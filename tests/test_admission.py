"""The zones' ValidatingAdmissionPolicy, evaluated with a CEL interpreter on compliant and refused objects.

The same policy against a real API server is tested with the local federation.
"""

from __future__ import annotations

import copy
from typing import Any

import celpy
import pytest

from edgefed.admission import admission_binding, admission_policy

from .workloads import compliant_deployment, residency_labels

REGISTRIES = ("registry.edgefed.eu",)
POLICY = admission_policy("edgefed-residency-edgefed-fr", "FR", "orange-fr-paris", REGISTRIES)
DIGEST = "sha256:" + "ab" * 32


def evaluate(obj: dict[str, Any]) -> list[str]:
    """Messages of the failed validations, as the API server would compute them."""
    env = celpy.Environment()
    activation: dict[str, Any] = {"object": celpy.json_to_cel(obj)}
    values: dict[str, Any] = {}
    for variable in POLICY["variables"]:
        activation["variables"] = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in values.items()})
        values[variable["name"]] = env.program(env.compile(variable["expression"])).evaluate(activation)
    activation["variables"] = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in values.items()})
    failed = []
    for validation in POLICY["validations"]:
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


def test_missing_label_is_refused():
    assert evaluate(deployment(zone=None)) == [
        "edgefed residency: workloads in this namespace must carry the labels edgefed.io/country, edgefed.io/operator, "
        "edgefed.io/zone, edgefed.io/residency"
    ]


def test_wrong_country_is_refused():
    assert evaluate(deployment(country="de")) == [
        "edgefed residency: this is zone orange-fr-paris in FR; edgefed.io/country=de and edgefed.io/zone=orange-fr-paris do not match"
    ]


@pytest.mark.parametrize("image", ["nginx:1.27", "gcr.io/acme/web:1", "registry.edgefed.eu.evil.com/web:1"])
def test_unlisted_registry_is_refused(image):
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
    assert evaluate(obj) == [
        f"edgefed residency: image {image} is not from an allow-listed registry (registry.edgefed.eu)"
    ]


def test_restricted_needs_digest():
    obj = deployment(data_classification="restricted")
    assert evaluate(obj) == ["edgefed residency: restricted data requires images pinned by digest (image@sha256:...)"]
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = f"registry.edgefed.eu/acme/web:1@{DIGEST}"
    assert evaluate(obj) == []


def test_pods_and_cronjobs_are_covered_too():
    pod = copy.deepcopy(deployment())
    pod["kind"] = "Pod"
    pod["spec"] = {"containers": [{"name": "x", "image": "quay.io/x:1"}]}
    assert evaluate(pod) == [
        "edgefed residency: image quay.io/x:1 is not from an allow-listed registry (registry.edgefed.eu)"
    ]
    cron = copy.deepcopy(deployment())
    cron["kind"] = "CronJob"
    cron["spec"] = {
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "initContainers": [{"name": "i", "image": "busybox"}],
                        "containers": [{"name": "x", "image": "registry.edgefed.eu/x:1"}],
                    }
                }
            }
        }
    }
    assert evaluate(cron) == [
        "edgefed residency: image busybox is not from an allow-listed registry (registry.edgefed.eu)"
    ]


def test_binding_denies_in_the_tenant_namespace_only():
    binding = admission_binding("edgefed-residency-edgefed-fr", "edgefed-fr")
    assert binding["validationActions"] == ["Deny"]
    assert binding["matchResources"]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "edgefed-fr"}
    }
