"""The sovereignty report from a preview: JSON against its published schema, field by field, and the map."""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from edgefed.core.inputs.catalog import load_catalog
from edgefed.policy import ALL_POLICIES
from edgefed_ops.reports.sovereignty import INTRA_EEA, NEVER, SCHEMA_PATH, Report

from .conftest import CATALOG, EDGEFED, ROOT, toolchain_or_skip


def test_the_published_schema_is_the_models():
    assert json.loads(SCHEMA_PATH.read_text()) == Report.model_json_schema(), (
        "stale: run `.venv/bin/edgefed report --schema > components/edgefed_ops/schemas/report.schema.json`"
    )


@pytest.fixture(scope="module")
def fr_report(tmp_path_factory):
    toolchain_or_skip("pulumi")
    tmp = tmp_path_factory.mktemp("report")
    env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{tmp / 'backend'}"}
    (tmp / "backend").mkdir()
    command = [*EDGEFED, "report", "acme-fr", "--json", "--html", str(tmp / "report.html"), "--work", str(tmp / "work")]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout), (tmp / "report.html").read_text()


@pytest.mark.engine
def test_report_validates_against_its_schema(fr_report):
    report, _ = fr_report
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))
    assert report["pack"]["name"] == "edgefed-eu-residency" and re.fullmatch(r"[0-9a-f]{64}", report["pack"]["sha256"])


@pytest.mark.engine
def test_every_workload_is_where_its_zone_is_with_its_operator_jurisdiction(fr_report):
    report, _ = fr_report
    catalog = load_catalog(CATALOG)
    [stack] = report["stacks"]
    assert (stack["stack"], stack["country"], stack["source"]) == ("acme-fr", "FR", "preview")
    assert stack["workloads"], "a preview of acme-fr registers workloads"
    for workload in stack["workloads"]:
        zone = catalog.zone(workload["zone"])
        assert (workload["country"], workload["operator"]) == (zone.country, zone.operator)
        assert workload["operator_jurisdiction"] == catalog.operator_by_id[zone.operator].jurisdiction
        for image in workload["images"]:
            assert image["registry"] == "registry.edgefed.eu"
    gpu = [w for w in stack["workloads"] if w["name"] == "gpu-inference"]
    assert gpu and all(w["data_classification"] == "restricted" and w["images"][0]["digest"] for w in gpu)
    assert {w["operator_jurisdiction"] for w in stack["workloads"]} >= {"FR", "GB"}, "Vodafone's group is British"


@pytest.mark.engine
def test_the_transfer_map_says_which_data_moves_where_and_which_never_does(fr_report):
    report, _ = fr_report
    [stack] = report["stacks"]
    by_app = {}
    for transfer in stack["transfers"]:
        by_app.setdefault(transfer["app"], []).append(transfer)
    assert [t["rule"] for t in by_app["gpu-inference"]] == [NEVER]
    assert all(not t["moves"] for t in by_app["gpu-inference"])
    for transfer in by_app["city-flow"] + by_app["robot-control"]:
        assert transfer["moves"] and transfer["rule"] == INTRA_EEA, transfer
        assert transfer["failover_country"] != "FR"
    assert all(p["status"] == "pass" for p in stack["policies"])
    assert len(stack["policies"]) == len(ALL_POLICIES) and stack["placement"]
    assert stack["state_backend"].startswith("file://")


@pytest.mark.engine
def test_the_html_page_is_self_contained_with_a_map_of_zones_and_failover_edges(fr_report):
    report, page = fr_report
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    svg = ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])
    ns = "{http://www.w3.org/2000/svg}"
    circles = [c for c in svg.iter(f"{ns}circle") if c.get("class") == "zone"]
    lines = [line for line in svg.iter(f"{ns}line") if line.get("class") == "failover"]
    assert len(circles) == len(report["zones"]) >= 3
    assert len(lines) == len(report["failover_edges"]) >= 3
    titles = {c.find(f"{ns}title").text for c in circles}
    assert {f"{z['id']} ({z['country']}, {z['operator']})" for z in report["zones"]} == titles


def test_a_state_exports_secrets_are_read_as_their_values_and_encrypted_ones_as_unknown():
    from edgefed_ops.reports.evidence import resources_from_state

    sig = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    kubeconfig = "apiVersion: v1\nclusters: []\n"
    deployment = {
        "resources": [
            {"urn": "urn:pulumi:s::p::pulumi:providers:kubernetes::z", "type": "pulumi:providers:kubernetes",
             "inputs": {"kubeconfig": {**sig, "plaintext": json.dumps(kubeconfig)}, "clusterIdentifier": "z"}},
            {"urn": "urn:pulumi:s::p::pulumi:providers:kubernetes::y", "type": "pulumi:providers:kubernetes",
             "inputs": {"kubeconfig": {**sig, "ciphertext": "v1:abc"}}},
        ]
    }  # fmt: skip
    revealed, encrypted = resources_from_state(deployment)
    assert revealed.inputs == {"kubeconfig": kubeconfig, "clusterIdentifier": "z"}
    assert encrypted.inputs == {"kubeconfig": None}, "an encrypted secret is not a kubeconfig: the rule fails closed"


@pytest.mark.engine
def test_the_flow_map_lists_every_destination_of_every_app_and_zone(fr_report):
    report, _ = fr_report
    [stack] = report["stacks"]
    apps = {(w["name"], w["zone"]) for w in stack["workloads"]}
    assert {(f["app"], f["zone"]) for f in stack["flows"]} == apps, "one flow per app and zone"
    for flow in stack["flows"]:
        kinds = [(d["kind"], d["target"], d["country"]) for d in flow["destinations"]]
        assert kinds[:2] == [("namespace", "acme-fr", flow["country"]), ("dns", "kube-system:53", flow["country"])]
        if flow["app"] == "city-flow":
            assert ("cidr", "10.33.8.0/24", "FR") in kinds, "the open-data hub, placed in FR by the pack config"
        assert flow["contained"] and flow["statement"].startswith("no path outside "), flow


def test_a_flow_outside_the_residency_is_named_and_never_called_contained():
    """The map says "no path outside" only when it holds: an open NetworkPolicy and an unlisted alias break it."""
    from edgefed.core.rules.pack_config import Destinations
    from edgefed_ops.reports.flows import flows
    from edgefed_ops.stack.events import StateResource

    catalog = load_catalog(CATALOG)
    provider = StateResource(
        "urn:p::paris", "pulumi:providers:kubernetes", {"clusterIdentifier": "orange-fr-paris"}, ""
    )
    labels = {
        "app.kubernetes.io/name": "vision",
        "edgefed.io/residency": "fr",
        "edgefed.io/data-classification": "personal",
    }
    meta = {"namespace": "acme-fr", "labels": labels}

    def resource(kind: str, name: str, inputs: dict) -> StateResource:
        return StateResource(f"urn:x::{name}", kind, {"metadata": {**meta, "name": name}, **inputs}, "urn:p::paris")

    resources = [
        provider,
        resource("kubernetes:apps/v1:Deployment", "vision", {"spec": {"template": {"metadata": {"labels": labels}}}}),
        resource(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy", "open",
            {"spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "vision"}},
                      "egress": [{"to": [{"ipBlock": {"cidr": "10.33.8.0/24"}}, {"ipBlock": {"cidr": "3.5.0.0/16"}}]}]}},
        ),
        resource("kubernetes:core/v1:Service", "partner", {"spec": {"type": "ExternalName", "externalName": "api.partner.example"}}),
    ]  # fmt: skip
    [flow] = flows(resources, catalog, Destinations(cidrs={"FR": ("10.33.0.0/16",)}))
    assert not flow.contained
    assert [(d.kind, d.target, d.country) for d in flow.destinations] == [
        ("namespace", "acme-fr", "FR"),
        ("dns", "kube-system:53", "FR"),
        ("cidr", "10.33.8.0/24", "FR"),
        ("cidr", "3.5.0.0/16", None),
        ("name", "api.partner.example", None),
    ]
    assert flow.statement == "paths outside FR: 3.5.0.0/16 (unknown country), api.partner.example (unknown country)"
