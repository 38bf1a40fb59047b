"""Importing CAMARA `GET /edge-cloud-zones` answers (samples written from the published schema)."""

from __future__ import annotations

import json
import subprocess

import pytest

from edgefed.core.inputs.camara import merge
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.errors import ConfigError

from .conftest import CATALOG, EDGEFED, ROOT

DATA = ROOT / "tests" / "data" / "camara"
STORAGE = {
    "FR": {"endpoint": "https://s3.fr-par.orange.example", "region": "fr-par", "credentials_secret": "s3-orange-fr-par"}
}
LILLE = "8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b"
API = {
    LILLE: "https://api.lille.orange.example:6443",
    "orange-fr-paris": "https://api.orange-fr-paris.orange.example:6443",
}


def test_answer_maps_one_to_one_onto_catalog_zones():
    catalog = load_catalog(CATALOG)
    answer = json.loads((DATA / "orange-fr.json").read_text())
    merged = merge(catalog, answer, STORAGE, "orange-fr.json", API)
    lille = merged.zone(LILLE)
    assert (lille.name, lille.operator, lille.country, lille.region, lille.status) == (
        "Orange Lille",
        "orange",
        "FR",
        "fr-north",
        "active",
    )
    assert (lille.city, lille.location.latitude, lille.location.longitude) == ("Lille", 50.6292, 3.0573)
    assert (lille.capacity.cpu, lille.capacity.memory_gib, dict(lille.capacity.gpus)) == (32, 128, {"nvidia-l4": 2})
    assert lille.kubeconfig_secret == f"kubeconfig-{LILLE}"
    assert lille.api_endpoint == API[LILLE]
    # A zone already in the catalog is replaced, not duplicated; its status now comes from the operator.
    assert merged.zone("orange-fr-paris").status == "inactive"
    assert len(merged.zones) == len(catalog.zones) + 1


def test_non_eu_zone_is_refused_naming_the_answer_field():
    catalog = load_catalog(CATALOG)
    answer = json.loads((DATA / "us-zone.json").read_text())
    with pytest.raises(ConfigError) as caught:
        merge(
            catalog,
            answer,
            {**STORAGE, "US": STORAGE["FR"]},
            "us-zone.json",
            {answer[0]["edgeCloudZoneId"]: API[LILLE]},
        )
    assert caught.value.paths == ["[0].countryCode"]
    assert "'US' is outside the EU/EEA" in str(caught.value)


def test_missing_field_and_unknown_provider():
    catalog = load_catalog(CATALOG)
    with pytest.raises(ConfigError) as caught:
        merge(catalog, [{"edgeCloudZoneId": "z1"}], STORAGE, "a.json", {"z1": API[LILLE]})
    assert caught.value.paths == ["[0].countryCode"]
    zone = json.loads((DATA / "orange-fr.json").read_text())[0] | {"edgeCloudProvider": "AT&T"}
    with pytest.raises(ConfigError, match="edgeCloudProvider 'AT&T' is not an operator of the catalog"):
        merge(catalog, [zone], STORAGE, "b.json", API)


def test_a_zone_without_its_api_server_is_refused_with_the_option_to_pass():
    """The pack identifies a zone by its API server: an imported zone without one cannot be checked."""
    catalog = load_catalog(CATALOG)
    answer = json.loads((DATA / "orange-fr.json").read_text())
    with pytest.raises(ConfigError) as caught:
        merge(catalog, answer, STORAGE, "orange-fr.json", {"orange-fr-paris": API["orange-fr-paris"]})
    assert str(caught.value).splitlines()[1:] == [
        f"  - [0].edgeCloudZoneId: zone '{LILLE}' has no Kubernetes API endpoint given; pass --api {LILLE}=https://HOST:PORT"
    ]


def test_script_prints_the_merged_catalog(tmp_path):
    result = subprocess.run(
        [
            *EDGEFED,
            "import-zones",
            str(DATA / "orange-fr.json"),
            "--catalog",
            str(CATALOG),
            "--storage",
            "FR=https://s3.fr-par.orange.example,fr-par,s3-orange-fr-par",
            *(f"--api={zone}={url}" for zone, url in API.items()),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b" in result.stdout
    written = tmp_path / "catalog.yaml"
    written.write_text(result.stdout)
    assert len(load_catalog(written).zones) == 18
