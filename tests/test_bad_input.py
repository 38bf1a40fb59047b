"""Bad input corpus: every broken catalog and app spec fails with one error naming the file and the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from edgefed.core.inputs.appspec import load_app_spec
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.errors import ConfigError

from .conftest import mutated

Change = Callable[[dict[str, Any]], None]


def _set(path: list[Any], value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Change:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _duplicate_zone(data: dict[str, Any]) -> None:
    data["zones"].append(dict(data["zones"][0]))


def _duplicate_secret(data: dict[str, Any]) -> None:
    data["zones"][4]["kubeconfig_secret"] = data["zones"][0]["kubeconfig_secret"]


def _duplicate_site(data: dict[str, Any]) -> None:
    data["sites"].append(dict(data["sites"][0]))


# (id, change, field path named in the error, words the message must contain)
CATALOG_CASES: list[tuple[str, Change, str, str]] = [
    ("unknown-country", _set(["zones", 2, "country"], "XX"), "zones[2].country", "not an ISO 3166-1 alpha-2"),
    (
        "platform-zone-without-platform",
        _set(["zones", 5, "reached_through"], "platform"),
        "zones[5].reached_through",
        "'platform' needs the zone's platform_id and its operator's platform_api; allowed without them: kubernetes",
    ),
    (
        "unknown-backend",
        _set(["zones", 0, "reached_through"], "helm"),
        "zones[0].reached_through",
        "Input should be 'kubernetes' or 'platform'",
    ),
    (
        "platform-id-not-a-uuid",
        _set(["zones", 0, "platform_id"], "orange-fr-paris"),
        "zones[0].platform_id",
        "'orange-fr-paris' is not a platform id: the document's lower-case UUID",
    ),
    ("non-eu-country", _set(["zones", 3, "country"], "US"), "zones[3].country", "outside the EU/EEA"),
    ("non-eu-neighbour", _set(["zones", 1, "country"], "CH"), "zones[1].country", "allowed: AT, BE"),
    ("unknown-operator", _set(["zones", 5, "operator"], "att"), "zones[5].operator", "allowed: deutsche-telekom"),
    ("duplicate-zone-id", _duplicate_zone, "zones[17].id", "duplicate id 'orange-fr-paris'"),
    ("negative-cpu", _set(["zones", 0, "capacity", "cpu"], -4), "zones[0].capacity.cpu", "greater than or equal to 0"),
    (
        "negative-gpus",
        _set(["zones", 0, "capacity", "gpus", "nvidia-l4"], -1),
        "zones[0].capacity.gpus.nvidia-l4",
        "greater than or equal to 0",
    ),
    ("missing-kubeconfig-ref", _delete(["zones", 6, "kubeconfig_secret"]), "zones[6].kubeconfig_secret", "required"),
    ("missing-location", _delete(["zones", 7, "location"]), "zones[7].location", "required"),
    ("latitude-out-of-range", _set(["zones", 8, "location", "latitude"], 123.0), "zones[8].location.latitude", "90"),
    ("typo-field", _set(["zones", 9, "capcity"], {}), "zones[9].capcity", "allowed fields: access_latency_ms"),
    (
        "zone-country-not-in-catalog",
        _set(["zones", 10, "country"], "SE"),
        "zones[10].country",
        "not a country of this catalog",
    ),
    (
        "home-country-non-eu",
        _set(["operators", 0, "home_countries", 1], "GB"),
        "operators[0].home_countries[1]",
        "outside the EU/EEA",
    ),
    (
        "bad-endpoint",
        _set(["zones", 11, "object_storage", "endpoint"], "s3.example"),
        "zones[11].object_storage.endpoint",
        "http(s)",
    ),
    ("bad-status", _set(["zones", 12, "status"], "broken"), "zones[12].status", "'active', 'inactive' or 'unknown'"),
    ("duplicate-secret", _duplicate_secret, "zones[4].kubeconfig_secret", "already used"),
    (
        "bad-control",
        _set(["zones", 0, "object_storage", "unsupported_controls"], ["wormhole"]),
        "zones[0].object_storage.unsupported_controls[0]",
        "'encryption' or 'public-access-block'",
    ),
]

APP_CASES: list[tuple[str, Change, str, str]] = [
    ("site-outside-residency", _set(["residency"], ["DE", "IT"]), "sites[0].country", "outside the app's residency"),
    ("residency-non-eu", _set(["residency"], ["FR", "US"]), "residency[1]", "outside the EU/EEA"),
    (
        "bad-classification",
        _set(["data_classification"], "secret"),
        "data_classification",
        "'public', 'internal', 'personal' or 'restricted'",
    ),
    ("bad-failover", _set(["failover"], "anywhere"), "failover", "'none', 'neighbour' or 'any-in-residency'"),
    (
        "restricted-with-failover",
        lambda d: d.update({"data_classification": "restricted", "failover": "neighbour"}),
        "failover",
        "'neighbour' would move restricted data across a border, which restricted data never crosses (not even on "
        "failover); allowed for restricted: none",
    ),
    ("negative-replicas", _set(["replicas_per_zone"], 0), "replicas_per_zone", "greater than or equal to 1"),
    ("zero-cpu", _set(["resources", "cpu"], 0), "resources.cpu", "greater than 0"),
    ("bad-image", _set(["image"], "Registry/UPPER CASE"), "image", "not an image reference"),
    ("missing-sites", _delete(["sites"]), "sites", "required"),
    ("duplicate-site", _duplicate_site, "sites[5].name", "duplicate site name"),
    ("bad-port", _set(["ports", 0, "port"], 70000), "ports[0].port", "less than or equal to 65535"),
    ("bad-env-name", _set(["env"], {"1BAD": "x"}), "env.1BAD", "not a valid environment variable name"),
    ("ceiling-below-replicas", _set(["max_replicas_per_zone"], 1), "max_replicas_per_zone", "below replicas_per_zone"),
    ("site-country-unknown", _set(["sites", 2, "country"], "ZZ"), "sites[2].country", "not an ISO 3166-1"),
    ("typo-top-level", _set(["replica"], 3), "replica", "allowed fields: data_classification"),
    ("negative-budget", _set(["sites", 1, "latency_budget_ms"], -5), "sites[1].latency_budget_ms", "greater than 0"),
]


@pytest.mark.parametrize(("change", "path", "words"), [c[1:] for c in CATALOG_CASES], ids=[c[0] for c in CATALOG_CASES])
def test_broken_catalog_names_file_and_field(catalog_data, write_yaml, change, path, words):
    broken = write_yaml("catalog.yaml", mutated(catalog_data, change))
    with pytest.raises(ConfigError) as caught:
        load_catalog(broken)
    error = caught.value
    assert error.paths == [path]
    assert words in str(error)
    assert str(error).startswith(f"{broken}: 1 problem(s), nothing was deployed:")


@pytest.mark.parametrize(("change", "path", "words"), [c[1:] for c in APP_CASES], ids=[c[0] for c in APP_CASES])
def test_broken_app_spec_names_file_and_field(app_data, write_yaml, change, path, words):
    broken = write_yaml("app.yaml", mutated(app_data, change))
    with pytest.raises(ConfigError) as caught:
        load_app_spec(broken)
    error = caught.value
    assert error.paths == [path]
    assert words in str(error)
    assert str(broken) in str(error)


def test_corpus_is_large_enough():
    assert len(CATALOG_CASES) + len(APP_CASES) >= 15


def test_yaml_syntax_error_names_line(write_yaml):
    broken = write_yaml("catalog.yaml", "zones:\n  - id: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_catalog(broken)
    assert "is not valid YAML at line" in str(caught.value)


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_catalog(tmp_path / "nope.yaml")
    assert "cannot be read" in str(caught.value)


def test_norway_is_an_eea_country_quoted_or_not(write_yaml, app_data):
    """YAML 1.1 reads a bare NO as false; edgefed reads YAML with 1.2 booleans, as Pulumi does."""
    text = (
        "name: fjord-control\nimage: registry.edgefed.eu/fjord:1\nresources: {cpu: 1, memory_mib: 512}\n"
        "residency: [NO, SE, DK]\n"
        "sites:\n"
        "  - {name: oslo, country: NO, location: {latitude: 59.91, longitude: 10.75}}\n"
        '  - {name: bergen, country: "NO", location: {latitude: 60.39, longitude: 5.32}}\n'
        "  - {name: tromso, country: no, location: {latitude: 69.65, longitude: 18.96}}\n"
    )
    spec = load_app_spec(write_yaml("fjord.yaml", text))
    assert [s.country for s in spec.sites] == ["NO", "NO", "NO"]
    assert spec.residency == ("NO", "SE", "DK")


def test_a_country_outside_the_eea_lists_norway_among_the_allowed(write_yaml):
    text = (
        "name: x\nimage: registry.edgefed.eu/x:1\nresources: {cpu: 1, memory_mib: 512}\n"
        "sites: [{name: a, country: CH, location: {latitude: 46.9, longitude: 7.4}}]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_app_spec(write_yaml("x.yaml", text))
    message = str(caught.value)
    assert "sites[0].country: 'CH' is outside the EU/EEA, where edgefed data may not live; allowed: " in message
    assert ", NL, NO, PL," in message
    with pytest.raises(ConfigError) as caught:
        load_app_spec(write_yaml("y.yaml", text.replace("country: CH", "country: XK")))
    assert "'XK' is not an ISO 3166-1 alpha-2 country code" in str(caught.value)


def test_a_huge_value_is_cut_short_in_the_error_and_a_huge_image_refused(write_yaml):
    base = "name: x\nresources: {cpu: 1, memory_mib: 512}\nsites: [{name: a, country: FR, location: {latitude: 48, longitude: 2}}]\n"
    image = "registry.edgefed.eu/" + "a" * 10_000 + ":1"
    with pytest.raises(ConfigError) as caught:
        load_app_spec(write_yaml("x.yaml", base + f"image: {image}\n"))
    message = str(caught.value)
    assert (
        "image: 'registry.edgefed.eu/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... (10024 characters) "
        in message
    )
    assert "has a name of 10020 characters; an image name has at most 255" in message
    assert len(message.split("\n", 1)[1]) < 300, "one readable line, not the value"
    with pytest.raises(ConfigError) as caught:
        load_app_spec(
            write_yaml("y.yaml", base.replace("name: x", "name: " + "x" * 10_000) + "image: registry.edgefed.eu/a:1\n")
        )
    message = str(caught.value)
    assert "... (10002 characters)" in message and len(message.split("\n", 1)[1]) < 400


def test_a_file_is_parsed_once_while_it_stays_the_same_and_each_reader_gets_its_own_copy(tmp_path, monkeypatch):
    import os

    from edgefed.core.inputs import yamlfile

    parsed: list[object] = []
    parse = yamlfile._parse
    monkeypatch.setattr(yamlfile, "_parse", lambda path: parsed.append(path) or parse(path))
    path = tmp_path / "stack.yaml"
    path.write_text("config:\n  edgefed:country: FR\n")
    first = yamlfile.load_yaml(path)
    first["config"]["edgefed:country"] = "US"  # a reader's change never reaches the next reader
    assert yamlfile.load_yaml(path) == {"config": {"edgefed:country": "FR"}}
    assert parsed == [path]
    path.write_text("config:\n  edgefed:country: DE\n")
    os.utime(path, ns=(1, 1))  # a changed file is read again, even within the clock's resolution
    assert yamlfile.load_yaml(path) == {"config": {"edgefed:country": "DE"}}
    assert parsed == [path, path]
