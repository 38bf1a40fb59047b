"""PlatformEdgeApp and FederatedEdgeApp on a platform zone, under Pulumi mocks (component logic only).

What deploys is proven under the real engine against the operators' real platforms in
tests/test_local_federation.py; here: which resources, with which inputs, which refusals.
"""

from __future__ import annotations

import pytest

from edgefed.components.app import FederatedEdgeApp, FederatedEdgeAppArgs, PlatformZone
from edgefed.components.errors import InputError
from edgefed.components.platform_app import INSTANCE_TYPE, PlatformEdgeApp, PlatformEdgeAppArgs
from edgefed.core.inputs.appspec import load_app_spec
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.objects.platform_instance import app_manifest, platform_name, strictest
from edgefed.core.placement.placer import place

from .conftest import APPS, ROOT
from .pulumi_harness import run_program

LOCAL = ROOT / "stacks" / "catalog" / "local.yaml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(LOCAL)


def rome(catalog, token="tok-3e1d"):
    zone = catalog.zone("local-tim-it-rome")
    return PlatformZone(zone, catalog.operator_by_id["tim"], "civitas", "orange", "IT", token, "PEM")


def test_an_app_on_a_platform_zone_is_an_app_and_an_instance_with_the_token_secret(catalog, monkeypatch):
    spec = load_app_spec(APPS / "rome-flow.yaml")
    plan = place(catalog, spec, zones=["local-tim-it-rome"])

    def program():
        FederatedEdgeApp(
            spec.name,
            FederatedEdgeAppArgs(
                spec=spec, catalog=catalog, zones={}, platform_zones={"local-tim-it-rome": rome(catalog)}, plan=plan
            ),
        )

    rec = run_program(program, monkeypatch=monkeypatch)
    assert not [r for r in rec.resources if r.type.startswith("kubernetes:")]
    [instance] = rec.of_type(INSTANCE_TYPE)
    [app] = rec.of_type("pulumi-python:dynamic/edgefed:PlatformApp")
    zone = catalog.zone("local-tim-it-rome")
    assert {
        k: instance.inputs[k] for k in ("platform_api", "edge_cloud_zone_id", "zone", "country", "app", "name")
    } == {
        "platform_api": catalog.operator_by_id["tim"].platform_api,
        "edge_cloud_zone_id": zone.platform_id,
        "zone": zone.id,
        "country": "IT",
        "app": "rome-flow",
        "name": "rome_flow_it_rome",
    }
    assert instance.is_secret("token") and app.is_secret("token")
    manifest = app.inputs["manifest"]
    assert (manifest["name"], manifest["appProvider"], manifest["packageType"]) == (
        "rome_flow_it",
        "orange_civitas",
        "CONTAINER",
    )
    assert manifest["requiredResources"]["applicationResources"]["cpuPool"]["numCPU"] == 1
    assert manifest["componentSpec"][0]["networkInterfaces"] == [
        {"interfaceId": "http_if", "protocol": "TCP", "port": 8080, "visibilityType": "VISIBILITY_INTERNAL"}
    ]


def test_a_standby_on_a_platform_zone_is_refused_before_anything_is_registered(catalog):
    line = load_app_spec(APPS / "line-control.yaml")
    lyon = next(site for site in line.sites if site.country == "FR")
    spec = line.model_copy(update={"sites": (lyon,), "residency": ("FR", "IT")})
    zones = ["local-vodafone-fr-lyon", "local-tim-it-rome"]
    # Placement never makes a platform zone a standby...
    assert {a.zone: a.role for a in place(catalog, spec, zones=zones).zones} == {"local-vodafone-fr-lyon": "primary"}
    # ...but a plan made elsewhere (here: as if Rome were reached through Kubernetes) can.
    rome_k8s = catalog.zone("local-tim-it-rome").model_copy(update={"reached_through": "kubernetes"})
    elsewhere = catalog.model_copy(
        update={"zones": tuple(rome_k8s if z.id == rome_k8s.id else z for z in catalog.zones)}
    )
    plan = place(elsewhere, spec, zones=zones)
    assert {a.zone: a.role for a in plan.zones} == {"local-vodafone-fr-lyon": "primary", "local-tim-it-rome": "standby"}
    with pytest.raises(
        InputError,
        match="zone local-tim-it-rome is reached through its operator's platform, which runs instances, not standbys",
    ):
        FederatedEdgeApp(
            spec.name,
            FederatedEdgeAppArgs(
                spec=spec, catalog=catalog, zones={}, platform_zones={"local-tim-it-rome": rome(catalog)}, plan=plan
            ),
        )


@pytest.mark.parametrize(
    ("app", "words"),
    [
        ("vision-restricted", r"app vision-restricted needs GPUs \(nvidia-l4\), which platform zones do not offer"),
        ("rome-flow", None),
    ],
)
def test_what_the_document_cannot_say_is_refused_in_one_line(catalog, app, words):
    spec = load_app_spec(APPS / f"{app}.yaml")
    args = PlatformEdgeAppArgs(
        spec, catalog.zone("local-tim-it-rome"), catalog.operator_by_id["tim"], "civitas", "orange", "IT", "t"
    )
    if words is None:
        assert app_manifest(spec, "orange_civitas", "rome_flow_it").name == "rome_flow_it"
        return
    with pytest.raises(InputError, match=words):
        PlatformEdgeApp("x", args)
    without_ports = spec.model_copy(update={"ports": (), "resources": spec.resources.model_copy(update={"gpu": None})})
    with pytest.raises(
        InputError, match="exposes no port, and the CAMARA document requires every app to expose at least one"
    ):
        PlatformEdgeApp("x", PlatformEdgeAppArgs(without_ports, *list(args.__dict__.values())[1:]))


def test_a_zone_without_its_platform_is_refused(catalog):
    spec = load_app_spec(APPS / "rome-flow.yaml")
    milan = catalog.zone("local-tim-it-milan").model_copy(update={"platform_id": None})
    with pytest.raises(InputError, match="is reached through a platform only with its platform_id"):
        PlatformEdgeApp(
            "x", PlatformEdgeAppArgs(spec, milan, catalog.operator_by_id["tim"], "civitas", "orange", "IT", "t")
        )


def test_names_and_classes_the_platform_sees():
    assert platform_name("line-control", "fr", "lyon") == "line_control_fr_lyon"
    long = platform_name("a" * 70, "fr")
    assert len(long) == 64 and long == platform_name("a" * 70, "fr")  # a digest, stable across processes
    assert strictest(("internal", "restricted", "personal")) == "restricted"
    assert strictest(("public", "internal")) == "internal"
    assert strictest(("internal", "secret")) == "secret"  # an unknown class sorts above every known one
