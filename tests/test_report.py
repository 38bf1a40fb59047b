"""The sovereignty report from a preview: JSON against its published schema, field by field, and the map."""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from edgefed.core.inputs.catalog import load_catalog
from edgefed.policy import ALL_POLICIES
from edgefed_ops.reports.sovereignty import INTRA_EEA, NEVER, SCHEMA_PATH, Report

from .conftest import CATALOG, EDGEFED, ROOT, SUMMARY, toolchain_or_skip


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


SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.engine
def test_the_html_page_is_self_contained_with_tables_and_a_map_of_countries_zones_edges_and_flows(fr_report):
    report, page = fr_report
    assert "<script" not in page and "https://" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    svg = ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])
    by_class: dict[str, list[ET.Element]] = {}
    for element in svg.iter():
        for name in (element.get("class") or "").split():
            by_class.setdefault(name, []).append(element)
    titles = {c.find(f"{SVG}title").text for c in by_class["zone"]}
    assert len(by_class["zone"]) == len(report["zones"]) >= 3
    assert {z["id"] for z in report["zones"]} == {t.split(" (")[0] for t in titles}
    assert "vodafone-it-turin (IT, vodafone, under GB law)" in titles
    assert {c.get("cx") for c in by_class["foreign-law"]} and {c.get("cx") for c in by_class["eu-law"]}
    assert len(by_class["failover"]) == len(report["failover_edges"]) >= 3
    # Outlines: the EU/EEA countries around the zones, and Switzerland (not EU/EEA) between them.
    countries = {p.find(f"{SVG}title").text for p in by_class["country"]}
    assert {"France (FR), EU/EEA", "Germany (DE), EU/EEA", "Italy (IT), EU/EEA", "Switzerland (CH)"} <= countries
    assert all(len(p.get("d", "")) > 20 for p in by_class["country"])
    # city-flow's open-data hub is in FR: its zones in BE and IT send data across a border, on the map.
    flows = {f.find(f"{SVG}title").text for f in by_class["flow"]}
    assert "city-flow in orange-be-brussels -> 10.33.8.0/24 (FR)" in flows
    legend = " ".join(t.text or "" for t in by_class["legend"][0].iter(f"{SVG}text"))
    for entry in ("EU/EEA country", "outside the EU/EEA", "under EU/EEA law", "failover edge", "data flow"):
        assert entry in legend
    for table in ("workloads", "transfers", "flows", "policies"):
        assert f'<table class="{table}">' in page
    assert page.count("<tr>") > 20 and "<pre>" not in page


@pytest.mark.engine
def test_the_html_page_renders_in_a_real_headless_browser(fr_report, tmp_path):
    """Debian's Chromium draws the page: the screenshot holds the countries, the zones, the edges and the flows."""
    from PIL import Image

    chromium = toolchain_or_skip("chromium")
    _, page = fr_report
    (tmp_path / "report.html").write_text(page)
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,1400", f"--screenshot={shot}",
            (tmp_path / "report.html").as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1100, 1400)
    counts: dict[tuple[int, int, int], int] = {}
    for pixel in image.get_flattened_data():
        counts[pixel] = counts.get(pixel, 0) + 1
    colour = {name: counts.get(value, 0) for name, value in {
        "eu-country": (0xFD, 0xF6, 0xD8), "other-country": (0xDC, 0xDC, 0xDC), "sea": (0xCF, 0xE3, 0xF5),
        "eu-law-zone": (0x1C, 0x7E, 0xD6), "foreign-law-zone": (0xE8, 0x59, 0x0C), "failover": (0xD9, 0x48, 0x0F),
        "flow": (0x2B, 0x8A, 0x3E),
    }.items()}  # fmt: skip
    assert colour["eu-country"] > 100_000, colour  # the land of the EU/EEA fills much of the map
    assert colour["sea"] > 20_000 and colour["other-country"] > 5_000, colour  # the sea, Switzerland
    assert colour["eu-law-zone"] > 500 and colour["foreign-law-zone"] > 100, colour
    assert colour["failover"] > 200 and colour["flow"] > 100, colour
    SUMMARY.append(
        f"report page: rendered by {Path(chromium).name} headless, screenshot {image.size[0]}x{image.size[1]}"
    )


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
