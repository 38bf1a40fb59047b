"""Importing an operator's CAMARA zones: the reviewed catalog says where each zone is, the platform what it is now.

The client's paging and faults run against a real HTTPS server on loopback that answers as a platform
would, including the broken ways (a page short of its total, a zone twice, a 4xx with ErrorInfo, silence).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest

from edgefed.core.inputs.camara import reconcile, zones_from_file
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.eam import BASE_PATH, EdgeCloudZone
from edgefed.core.inputs.errors import ConfigError
from edgefed.platform.eam_client import EamClient, PlatformError
from edgefed_ops.local import pki

from .conftest import CATALOG, EDGEFED, ROOT

DATA = ROOT / "tests" / "data" / "camara"
PARIS, LYON, MARSEILLE = (
    "416471da-b3ea-5944-9f70-91fc0bc64a55",
    "dd4a347d-f64d-5fb5-8d19-88188c813883",
    "280a1826-0e26-5edd-aba5-37ce76b733c6",
)
UNKNOWN = "8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b"


def zone(zone_id: str, name: str, **more: Any) -> dict[str, Any]:
    return {"edgeCloudZoneId": zone_id, "edgeCloudZoneName": name, "edgeCloudProvider": "Orange", **more}


def listed(*zones: dict[str, Any]) -> list[EdgeCloudZone]:
    return [EdgeCloudZone.model_validate(z) for z in zones]


def test_a_paged_answer_updates_name_region_and_status_of_the_reviewed_zones():
    catalog = load_catalog(CATALOG)
    zones = zones_from_file(json.loads((DATA / "orange-fr.json").read_text()), "orange-fr.json")
    merged = reconcile(catalog, zones, "orange-fr.json", "orange", complete=True)
    paris, lyon, marseille = (merged.zone(z) for z in ("orange-fr-paris", "orange-fr-lyon", "orange-fr-marseille"))
    assert (paris.name, paris.status, paris.platform_id) == ("Orange Paris (maintenance)", "inactive", PARIS)
    assert (lyon.region, lyon.status) == ("fr-south-east", "active")
    # The document's default status is unknown, and an unnamed region keeps the catalog's.
    assert (marseille.status, marseille.region) == ("unknown", "fr-south")
    # Residency facts stay the reviewed catalog's.
    assert (lyon.country, lyon.api_endpoint) == ("FR", catalog.zone("orange-fr-lyon").api_endpoint)
    # A whole listing: Orange's zones the platform no longer lists are left out of placement.
    assert merged.zone("orange-be-brussels").status == "inactive"
    assert merged.zone("telefonica-es-madrid").status == catalog.zone("telefonica-es-madrid").status
    assert len(merged.zones) == len(catalog.zones)


def test_an_r1_1_bare_array_is_read_too():
    zones = zones_from_file(json.loads((DATA / "orange-fr-r1.1.json").read_text()), "r1.1.json")
    assert [z.edge_cloud_zone_id for z in zones] == [PARIS]


def test_a_zone_the_catalog_does_not_name_is_refused_naming_it():
    catalog = load_catalog(CATALOG)
    with pytest.raises(ConfigError) as caught:
        reconcile(catalog, listed(zone(UNKNOWN, "Orange Lille", countryCode="FR")), "answer", "orange")
    assert caught.value.problems == [
        (
            "edgeCloudZones[0].edgeCloudZoneId",
            f"zone {UNKNOWN} ('Orange Lille') of orange is not in the reviewed catalog, so its country cannot be "
            "established (a platform's countryCode is its own word); after review, add it to the catalog with "
            f"platform_id: {UNKNOWN}",
        )
    ]


def test_a_country_code_that_contradicts_the_catalog_is_refused():
    catalog = load_catalog(CATALOG)
    with pytest.raises(ConfigError) as caught:
        reconcile(catalog, listed(zone(LYON, "Orange Lyon", countryCode="DE")), "answer", "orange")
    assert caught.value.problems == [
        (
            "edgeCloudZones[0].countryCode",
            f"zone {LYON} ('Orange Lyon') is said to be in DE, but the reviewed catalog has orange-fr-lyon in FR; "
            "one of them is wrong, and nothing was imported",
        )
    ]


def test_twice_listed_and_foreign_zones_are_refused_together():
    catalog = load_catalog(CATALOG)
    answer = listed(
        zone(PARIS, "Paris"),
        zone(PARIS, "Paris again"),
        zone(LYON, "Lyon", edgeCloudProvider="Vodafone"),
        zone(MARSEILLE, "Marseille", edgeCloudProvider="AT&T"),
    )
    with pytest.raises(ConfigError) as caught:
        reconcile(catalog, answer, "answer", "orange")
    assert caught.value.paths == [
        "edgeCloudZones[1].edgeCloudZoneId",
        "edgeCloudZones[2].edgeCloudProvider",
        "edgeCloudZones[3].edgeCloudProvider",
    ]
    assert "is listed twice (also at [0])" in caught.value.problems[0][1]
    assert "is vodafone's, but this is orange's platform" in caught.value.problems[1][1]
    assert "'AT&T' is not an operator of the catalog" in caught.value.problems[2][1]


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        ({"edgeCloudZones": [zone("orange-fr-paris", "Paris")], "pagination": {"page": 1, "perPage": 20, "totalCount": 1, "totalPages": 1}},
         "edgeCloudZones.0.edgeCloudZoneId", "'orange-fr-paris' is not a platform id: the document's lower-case UUID"),
        ({"edgeCloudZones": [zone(PARIS, "Paris")], "pagination": {"page": 1, "perPage": 1, "totalCount": 2, "totalPages": 2}},
         "pagination.totalCount", "totalCount 2 for 1 zones in the file: a saved answer must hold every zone"),
        ({"edgeCloudZones": [zone(PARIS, "Paris", edgeCloudZoneStatus="up")], "pagination": {"page": 1, "perPage": 20, "totalCount": 1}},
         "edgeCloudZones.0.edgeCloudZoneStatus", "Input should be 'active', 'inactive' or 'unknown'"),
        ("zones", "", "must be an EdgeCloudZoneList object or an array of EdgeCloudZone"),
    ],
)  # fmt: skip
def test_a_malformed_saved_answer_names_the_field(document, path, message):
    with pytest.raises(ConfigError) as caught:
        zones_from_file(document, "saved.json")
    [(found_path, found_message)] = caught.value.problems
    assert (found_path.replace("[", ".").replace("]", ""), message in found_message) == (path, True), found_message


# -- a platform over HTTPS ------------------------------------------------------------------------------------


class Platform:
    """A loopback HTTPS server answering ``GET /edge-cloud-zones`` with what a test scripts."""

    def __init__(self, folder: Path) -> None:
        self.cert, self.key = pki.server_certificate(folder / "ca", folder / "tls", "test platform")
        self.ca = folder / "ca" / "ca.crt"
        self.answer: Callable[[dict[str, str]], tuple[int, object, dict[str, str]]] = lambda q: (500, {}, {})
        self.seen: list[tuple[str, dict[str, str]]] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = dict(parse_qsl(url.query))
                platform.seen.append((self.headers.get("Authorization", ""), query))
                status, body, headers = platform.answer(query)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(self.key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def pages(self, zones: list[dict[str, Any]], *, total: int | None = None, drop_page: int | None = None) -> None:
        def answer(query: dict[str, str]) -> tuple[int, object, dict[str, str]]:
            page, per_page = int(query.get("page", 1)), int(query.get("perPage", 20))
            count = len(zones) if total is None else total
            items = [] if page == drop_page else zones[(page - 1) * per_page : page * per_page]
            pagination = {"page": page, "perPage": per_page, "totalCount": count, "totalPages": -(-count // per_page)}
            return 200, {"edgeCloudZones": items, "pagination": pagination}, {"x-total-count": str(count)}

        self.answer = answer


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    found = Platform(tmp_path)
    yield found
    found.server.shutdown()
    found.server.server_close()


ORANGE = [zone(PARIS, "Paris", countryCode="FR"), zone(LYON, "Lyon"), zone(MARSEILLE, "Marseille")]


def test_every_page_is_read_with_the_token_and_filters(platform):
    platform.pages(ORANGE)
    with EamClient(platform.url, "tenant-token", ca_file=platform.ca) as client:
        zones = client.zones(country="FR", per_page=2)
    assert [z.edge_cloud_zone_id for z in zones] == [PARIS, LYON, MARSEILLE]
    assert platform.seen == [
        ("Bearer tenant-token", {"countryCode": "FR", "page": "1", "perPage": "2"}),
        ("Bearer tenant-token", {"countryCode": "FR", "page": "2", "perPage": "2"}),
    ]


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        (dict(drop_page=2), "pagination.totalCount: 3 zones announced, 2 received over 2 page(s): the answer is truncated"),
        (dict(total=5), "edgeCloudZones: 1 zones on page 2 of 3, every page but the last carries perPage=2: the answer is truncated"),
    ],
)  # fmt: skip
def test_an_answer_truncated_while_paging_is_refused_naming_the_page(platform, script, problem):
    platform.pages(ORANGE, **script)
    with EamClient(platform.url, "t", ca_file=platform.ca) as client, pytest.raises(PlatformError) as caught:
        client.zones(per_page=2)
    assert problem in str(caught.value)
    assert caught.value.endpoint.startswith(f"GET {platform.url}{BASE_PATH}/edge-cloud-zones")


def test_a_zone_listed_twice_across_pages_is_refused(platform):
    platform.pages([*ORANGE, ORANGE[0]])
    with EamClient(platform.url, "t", ca_file=platform.ca) as client, pytest.raises(PlatformError) as caught:
        client.zones(per_page=2)
    assert str(caught.value) == (
        f"GET {platform.url}{BASE_PATH}/edge-cloud-zones?page=2&perPage=2: page 2, edgeCloudZones[1].edgeCloudZoneId: "
        f"zone {PARIS} (Paris) is listed twice (first as zone 1 of the answer)"
    )


def test_a_malformed_page_names_the_field(platform):
    platform.answer = lambda q: (
        200,
        {"edgeCloudZones": [zone("zone-1", "Z")], "pagination": {"page": 1, "perPage": 20}},
        {},
    )
    with EamClient(platform.url, "t", ca_file=platform.ca) as client, pytest.raises(PlatformError) as caught:
        client.zones()
    assert "edgeCloudZones[0].edgeCloudZoneId: 'zone-1' is not a platform id" in str(caught.value)
    platform.answer = lambda q: (200, b"<html>", {})
    with EamClient(platform.url, "t", ca_file=platform.ca) as client, pytest.raises(PlatformError, match="is not JSON"):
        client.zones()
    platform.answer = lambda q: (200, {"edgeCloudZones": [], "pagination": {"page": 1, "perPage": 20}}, {})
    with EamClient(platform.url, "t", ca_file=platform.ca) as client, pytest.raises(PlatformError) as caught:
        client.zones()
    assert "pagination.totalCount and totalPages: missing" in str(caught.value)


def test_a_refusal_shows_the_platforms_code_and_message(platform):
    platform.answer = lambda q: (403, {"status": 403, "code": "PERMISSION_DENIED", "message": "token lacks scope"}, {})
    with EamClient(platform.url, "t", ca_file=platform.ca) as client, pytest.raises(PlatformError) as caught:
        client.zones()
    assert str(caught.value).endswith(
        "/edge-cloud-zones?page=1&perPage=100: HTTP 403 PERMISSION_DENIED: token lacks scope"
    )
    assert (caught.value.status, caught.value.code) == (403, "PERMISSION_DENIED")


def test_a_silent_platform_times_out_with_a_clear_error(platform):
    def silent(query):
        time.sleep(2)
        return 200, {}, {}

    platform.answer = silent
    with (
        EamClient(platform.url, "t", ca_file=platform.ca, timeout=0.5) as client,
        pytest.raises(PlatformError) as caught,
    ):
        client.zones()
    assert "no answer within 0.5 s (timed out)" in str(caught.value)


def test_plain_http_is_refused_before_any_call():
    with pytest.raises(PlatformError, match="over HTTPS only"):
        EamClient("http://127.0.0.1:1", "t")


def run_import(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EDGEFED, "import-zones", *args], capture_output=True, text=True, cwd=ROOT)


def test_the_command_imports_from_the_platform(platform, tmp_path):
    platform.pages(
        [zone(PARIS, "Orange Paris", edgeCloudZoneStatus="active"), zone(LYON, "Lyon", edgeCloudZoneStatus="inactive")]
    )
    token = tmp_path / "token"
    token.write_text("secret-token-value\n")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG.read_text())
    result = run_import("--eam", platform.url, "--operator", "orange", "--catalog", str(catalog),
                        "--token-file", str(token), "--ca", str(platform.ca), "--write")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"2 zone(s) of orange listed by {platform.url} (GET /edge-cloud-zones), each matched to the reviewed catalog"
    )
    assert f"not listed by the platform, marked inactive: orange-fr-marseille ({MARSEILLE})" in result.stdout
    assert load_catalog(catalog).zone("orange-fr-lyon").status == "inactive"
    assert "secret-token-value" not in result.stdout + result.stderr


def test_the_command_says_what_the_platform_refused_without_a_traceback(platform, tmp_path):
    platform.pages([zone(UNKNOWN, "Orange Lille")])
    token = tmp_path / "token"
    token.write_text("t")
    result = run_import(
        "--eam", platform.url, "--operator", "orange", "--token-file", str(token), "--ca", str(platform.ca)
    )
    assert result.returncode == 2  # bad input, as every catalog problem
    assert "Traceback" not in result.stderr
    assert (
        f"edgeCloudZones[0].edgeCloudZoneId: zone {UNKNOWN} ('Orange Lille') of orange is not in the reviewed catalog"
        in result.stderr
    )
    platform.answer = lambda q: (401, {"status": 401, "code": "UNAUTHENTICATED", "message": "expired token"}, {})
    result = run_import(
        "--eam", platform.url, "--operator", "orange", "--token-file", str(token), "--ca", str(platform.ca)
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        f"import-zones: GET {platform.url}{BASE_PATH}/edge-cloud-zones?page=1&perPage=100: "
        "HTTP 401 UNAUTHENTICATED: expired token",
    )


def test_the_command_reads_a_saved_answer():
    result = run_import(str(DATA / "orange-fr.json"), "--operator", "orange", "--catalog", str(CATALOG))
    assert result.returncode == 0, result.stderr
    assert "name: Orange Paris (maintenance)" in result.stdout
