"""Residency rules: where an app's data may go. Pure logic shared by placement and the policy pack.

Every check returns the violations it finds as :class:`Finding` objects (empty when compliant); the
policy pack only adapts resources to these functions and reports the findings. A finding's message
names the resource, the value found, the rule and what would be allowed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from edgefed import labels
from edgefed.appspec import parse_image
from edgefed.catalog import Catalog, api_endpoint_key
from edgefed.geography import geography
from edgefed.kinds import (
    HELM_RELEASE_TYPE,
    LIST_KINDS,
    MANIFEST_GROUP_TYPES,
    NAMESPACE_TYPE,
    is_known,
    is_patch,
    labels_at,
    node_at,
    pod_specs,
    pod_template_path,
)

BUCKET_TYPE = "pulumi-python:dynamic/edgefed:ResidentBucket"
"""ResidentBucket's own dynamic resource type: buckets are recognised by it, not by their properties."""
DEFAULT_REGISTRIES = ("registry.edgefed.eu",)
"""The federation's registry: the allow-list when the policy pack config names none."""


@dataclass(frozen=True)
class Finding:
    """One violation of a residency rule."""

    rule: str
    """Policy name (``disallow-non-eu-zone``...)."""
    message: str
    """What a reviewer reads."""


def failover_countries(country: str, residency: Iterable[str], mode: str) -> frozenset[str]:
    """Countries a site in ``country`` may fail over to under ``mode`` (``neighbour`` or ``any-in-residency``).

    Always inside both the residency and the EU/EEA, never the site's own country (that is not a failover).
    """
    geo = geography()
    allowed = frozenset(residency) & frozenset(geo.eea)
    if mode == "neighbour":
        return (geo.neighbours.get(country, frozenset()) & allowed) - {country}
    if mode == "any-in-residency":
        return allowed - {country}
    return frozenset()


def parse_residency_label(value: str) -> frozenset[str]:
    """Countries of a ``edgefed.io/residency`` label value (``eu`` or ``de.fr.it``)."""
    if value.lower() == "eu":
        return frozenset(geography().eea)
    return frozenset(code.upper() for code in value.split(".") if code)


def zone_of_provider(props: Mapping[str, Any]) -> str | None:
    """The catalog zone a Kubernetes provider targets.

    That is its ``clusterIdentifier``, or the last folder of ``renderYamlToDirectory`` (edgefed renders
    each zone to ``<dir>/<zone id>``).
    """
    cluster = props.get("clusterIdentifier")
    if cluster:
        return str(cluster)
    rendered = props.get("renderYamlToDirectory")
    if rendered:
        return posixpath.basename(str(rendered).rstrip("/"))
    return None


def describe_resource(resource_type: str, name: str) -> str:
    """How messages name a resource: ``Deployment 'web'``, ``provider 'fr-1'``, ``bucket 'data'``."""
    if resource_type.startswith("pulumi:providers:"):
        return f"provider '{name}'"
    if resource_type == BUCKET_TYPE:
        return f"bucket '{name}'"
    return f"{resource_type.rsplit(':', 1)[-1]} '{name}'"


def _shown(value: object, limit: int = 64) -> str:
    """A value as messages show it: quoted, cut to ``limit`` characters (a value can be anything)."""
    text = repr(value) if value is not None else "(none)"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _allowed_list(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "nothing"


def kubeconfig_server(kubeconfig: object, context: object = None, cluster: object = None) -> str | None:
    """The API server a kubeconfig (its contents, YAML or JSON) connects to, as the provider picks it.

    The provider's ``context`` input overrides ``current-context`` and its ``cluster`` input the context's
    cluster. ``None`` when that cannot be told from the contents alone (a path, a missing context...):
    callers fail closed. Nothing of the kubeconfig is ever put in a message.
    """
    if isinstance(kubeconfig, str):
        try:
            document = yaml.safe_load(kubeconfig)
        except yaml.YAMLError:
            return None
    else:
        document = kubeconfig
    if not isinstance(document, Mapping):
        return None  # a path, or not a kubeconfig

    def named(section: str, name: object) -> Mapping[str, Any]:
        entries = document.get(section)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and entry.get("name") == name:
                body = entry.get(section[:-1])
                return body if isinstance(body, Mapping) else {}
        return {}

    chosen = named("contexts", context or document.get("current-context"))
    server = named("clusters", cluster or chosen.get("cluster")).get("server")
    return server if isinstance(server, str) else None


def check_provider_target(
    name: str, props: Mapping[str, Any], catalog: Catalog, allowed_countries: Iterable[str]
) -> list[Finding]:
    """A Kubernetes provider must target a catalog zone whose country is allowed, verified by its target.

    A provider that renders YAML is identified by its render folder (``<dir>/<zone id>``) and writes no
    cluster. Any other provider passes only if its kubeconfig's server is the catalog ``api_endpoint`` of
    the zone its ``clusterIdentifier`` names: the identifier alone is what the provider says about itself.
    """
    rule = "disallow-non-eu-zone"
    allowed = frozenset(allowed_countries)
    what = f"provider '{name}'"
    rendered = props.get("renderYamlToDirectory")
    declared = props.get("clusterIdentifier")
    if rendered:
        folder_zone = posixpath.basename(str(rendered).rstrip("/"))
        if declared and declared != folder_zone:
            return [
                Finding(
                    rule,
                    f"{what}: clusterIdentifier {_shown(declared)} but it renders to zone folder {folder_zone!r}; "
                    f"rule {rule} allows only one zone per provider",
                )
            ]
    zone_id = zone_of_provider(props)
    if zone_id is None:
        return [
            Finding(
                rule,
                f"{what}: targets no catalog zone (no clusterIdentifier); rule {rule} allows only "
                f"providers whose clusterIdentifier is a catalog zone in {_allowed_list(allowed)}",
            )
        ]
    zone = catalog.zone_by_id.get(zone_id)
    if zone is None:
        return [
            Finding(
                rule,
                f"{what}: targets unknown zone {_shown(zone_id)}, not in the federation catalog; rule {rule} "
                f"allows only catalog zones in {_allowed_list(allowed)}",
            )
        ]
    if zone.country not in allowed:
        return [
            Finding(
                rule,
                f"{what}: zone {zone_id!r} is in {zone.country}; rule {rule} allows only {_allowed_list(allowed)}",
            )
        ]
    if rendered:
        return []
    kubeconfig = props.get("kubeconfig")
    if not kubeconfig:
        return [
            Finding(
                rule,
                f"{what}: has no kubeconfig, so it connects wherever the environment's kubeconfig points; rule "
                f"{rule} allows only a kubeconfig whose server is zone {zone.id}'s {zone.api_endpoint}",
            )
        ]
    server = kubeconfig_server(kubeconfig, props.get("context"), props.get("cluster"))
    if server is None:
        return [
            Finding(
                rule,
                f"{what}: its kubeconfig names no server for its context (or is a path, read only at deploy time); "
                f"rule {rule} allows only kubeconfig contents whose server is zone {zone.id}'s {zone.api_endpoint}",
            )
        ]
    if api_endpoint_key(server) != api_endpoint_key(zone.api_endpoint):
        actual = catalog.zone_at(server)
        really = f"catalog zone {actual.id} ({actual.country})" if actual else "a server outside the catalog"
        return [
            Finding(
                rule,
                f"{what}: clusterIdentifier says zone {zone.id} but its kubeconfig connects to {really}; rule "
                f"{rule} allows only zone {zone.id}'s API server {zone.api_endpoint}",
            )
        ]
    return []


def workload_labels(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, labels) of a workload: its own labels and its pod template's."""
    out = [("metadata.labels", labels_at(props))]
    template = pod_template_path(resource_type)
    if template:
        out.append((".".join((*template, "metadata", "labels")), labels_at(props, template)))
    return out


def check_residency_value(value: object) -> str | None:
    """Why a ``edgefed.io/residency`` value is not a list of EU/EEA countries (``None``: it is one)."""
    geo = geography()
    if not isinstance(value, str) or not value:
        return "is empty"
    if value.lower() == "eu":
        return None
    codes = value.upper().split(".")
    if "" in codes:
        return "has an empty country code between dots"
    outside = [code for code in codes if not geo.is_eea(code)]
    if outside:
        return f"names {', '.join(outside)}, not EU/EEA"
    return None


def check_residency_labels(
    resource_type: str, name: str, props: Mapping[str, Any], zone_id: str | None, catalog: Catalog
) -> list[Finding]:
    """Namespaces and workloads carry residency labels that match the zone they are deployed to.

    A ``*Patch`` changes only the labels it names: those must match too, and it may not remove one.
    Country and residency values compare case-insensitively (``IT`` is ``it``); ids compare exactly.
    """
    rule = "enforce-residency-labels"
    if resource_type != NAMESPACE_TYPE and pod_template_path(resource_type) is None:
        return []
    what = describe_resource(resource_type, name)
    zone = catalog.zone_by_id.get(zone_id or "")
    places = (
        workload_labels(resource_type, props)
        if resource_type != NAMESPACE_TYPE
        else [("metadata.labels", labels_at(props))]
    )
    required = labels.RESIDENCY_KEYS if resource_type == NAMESPACE_TYPE else labels.WORKLOAD_KEYS
    patch = is_patch(resource_type)
    findings = []
    for where, found in places:
        missing = [key for key in required if (key in found and not found[key]) or (not patch and key not in found)]
        if missing:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} lacks {', '.join(missing)}; rule {rule} requires all of {', '.join(required)}",
                )
            )
            continue
        classification = found.get(labels.CLASSIFICATION)
        known = classification in labels.CLASSIFICATIONS
        if resource_type != NAMESPACE_TYPE and labels.CLASSIFICATION in found and not known:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} {labels.CLASSIFICATION}={_shown(classification)} is not a data "
                    f"classification; rule {rule} allows only {', '.join(labels.CLASSIFICATIONS)}",
                )
            )
        residency = found.get(labels.RESIDENCY)
        problem = check_residency_value(residency) if labels.RESIDENCY in found else None
        if problem:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} {labels.RESIDENCY}={_shown(residency)} {problem}; rule {rule} allows 'eu' or "
                    "EU/EEA country codes joined by '.' (for example 'de.fr')",
                )
            )
        if zone is None:
            continue  # an unknown zone is reported by disallow-non-eu-zone
        expected = {labels.COUNTRY: zone.country.lower(), labels.ZONE: zone.id, labels.OPERATOR: zone.operator}
        for key, value in expected.items():
            actual = found.get(key)
            seen = actual.lower() if key == labels.COUNTRY and isinstance(actual, str) else actual
            if (key in found or not patch) and seen != value:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: {where} {key}={_shown(actual)} but it is deployed to zone {zone.id} "
                        f"({zone.country}, {zone.operator}); rule {rule} allows only {key}={value!r}",
                    )
                )
        if labels.RESIDENCY in found and not problem:
            allowed = parse_residency_label(str(residency))
            if zone.country not in allowed:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: {where} {labels.RESIDENCY}={residency!r} allows only {_allowed_list(allowed)} but "
                        f"it is deployed to {zone.country} (zone {zone.id}); rule {rule} requires the zone's country "
                        "in the residency",
                    )
                )
    return findings


def containers_of(resource_type: str, props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Containers, init containers and ephemeral containers of a workload's (or patch's) pod spec."""
    template = pod_template_path(resource_type)
    spec = node_at(props, (*template, "spec")) if template is not None else None
    if spec is None:
        return []
    found = [
        *(spec.get("initContainers") or []),
        *(spec.get("containers") or []),
        *(spec.get("ephemeralContainers") or []),
    ]
    return [c for c in found if isinstance(c, Mapping)]


def classification_of(resource_type: str, props: Mapping[str, Any]) -> str:
    """The most sensitive data classification a resource or its pod template declares.

    Fail closed: a missing or unknown value counts as ``restricted`` (the missing label itself is
    reported by enforce-residency-labels), and the resource and its template disagreeing counts as the
    more sensitive of the two.
    """
    rank = {value: i for i, value in enumerate(labels.CLASSIFICATIONS)}
    found = [str(place.get(labels.CLASSIFICATION, "")) for _, place in workload_labels(resource_type, props)]
    return max((value if value in rank else "restricted" for value in found), key=rank.__getitem__)


def check_images(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    allowed_registries: Sequence[str],
    digest_required_for: Sequence[str],
) -> list[Finding]:
    """Images come from allow-listed registries (by host); restricted data needs images pinned by digest."""
    rule = "disallow-unlisted-registry"
    what = describe_resource(resource_type, name)
    classification = classification_of(resource_type, props)
    findings = []
    for container in containers_of(resource_type, props):
        image = str(container.get("image", ""))
        try:
            ref = parse_image(image)
        except ValueError as error:
            findings.append(Finding(rule, f"{what}: image {error}; rule {rule} allows only images it can read"))
            continue
        if ref.registry not in allowed_registries:
            findings.append(
                Finding(
                    rule,
                    f"{what}: image {_shown(image, 320)} comes from registry {ref.registry}; rule {rule} allows "
                    f"only {_allowed_list(allowed_registries)}",
                )
            )
        if classification in digest_required_for and ref.digest is None:
            findings.append(
                Finding(
                    rule,
                    f"{what}: image {_shown(image, 320)} is not pinned by digest but the workload holds "
                    f"{classification} data; rule {rule} requires image@sha256:<digest> for "
                    f"{_allowed_list(digest_required_for)} data",
                )
            )
    return findings


def check_bucket(
    name: str, props: Mapping[str, Any], catalog: Catalog, allowed_countries: Iterable[str]
) -> list[Finding]:
    """A bucket lives in an allowed country, at that country's catalog storage endpoint and region.

    Restricted data (or a classification the bucket does not state: fail closed) needs an endpoint
    with default encryption: neither the catalog nor the bucket may declare encryption unsupported.
    """
    rule = "enforce-bucket-residency"
    what = f"bucket '{name}'"
    missing = [key for key in ("bucket", "country", "endpoint", "region") if not props.get(key)]
    if missing:
        return [Finding(rule, f"{what}: lacks {', '.join(missing)}; rule {rule} decides on all of them")]
    allowed = frozenset(allowed_countries)
    country = str(props["country"]).upper()
    endpoint, region = str(props["endpoint"]).rstrip("/"), str(props["region"])
    if country not in allowed:
        return [Finding(rule, f"{what}: country {country!r}; rule {rule} allows only {_allowed_list(allowed)}")]
    storages = {
        (z.object_storage.endpoint, z.object_storage.region): z.object_storage
        for z in catalog.zones
        if z.country == country
    }
    storage = storages.get((endpoint, region))
    if storage is None:
        allowed_pairs = ", ".join(f"{e} ({r})" for e, r in sorted(storages)) or "none"
        return [
            Finding(
                rule,
                f"{what}: endpoint {endpoint} region {region!r} is not {country} object storage of the "
                f"catalog; rule {rule} allows only {allowed_pairs}",
            )
        ]
    classification = props.get("data_classification")
    declared = list(props.get("unsupported_controls") or [])
    if classification not in ("public", "internal", "personal") and (
        "encryption" in storage.unsupported_controls or "encryption" in declared
    ):
        return [
            Finding(
                rule,
                f"{what}: holds {_shown(classification) if classification else 'unclassified'} data at {endpoint}, "
                f"which cannot encrypt by default; rule {rule} requires an endpoint with default encryption for "
                "restricted data",
            )
        ]
    return []


def check_unchecked_workload(
    resource_type: str, name: str, props: Mapping[str, Any], allowed_releases: Sequence[Mapping[str, str]]
) -> list[Finding]:
    """A resource whose containers the other rules cannot read is refused (fail closed).

    That is a Helm release (its chart's objects are installed by the provider, never seen one by one)
    unless its repository and chart are allow-listed, and any type outside :mod:`edgefed.kinds` that
    carries a pod spec (a custom resource such as a rollout or a serverless service).
    """
    rule = "disallow-unchecked-workload"
    what = describe_resource(resource_type, name)
    if resource_type == HELM_RELEASE_TYPE:
        chart = str(props.get("chart") or "")
        repo = str((props.get("repositoryOpts") or {}).get("repo") or "")
        if any(entry.get("chart") == chart and entry.get("repo") == repo for entry in allowed_releases):
            return []
        listed = ", ".join(f"{e.get('repo')} {e.get('chart')}" for e in allowed_releases) or "none"
        return [
            Finding(
                rule,
                f"{what}: installs chart {_shown(chart)} from {_shown(repo or '(no repository)')}, whose objects the "
                f"pack cannot inspect; rule {rule} allows only allow-listed releases ({listed}); use a helm.sh/v4 "
                "Chart, whose objects are checked one by one",
            )
        ]
    if resource_type in LIST_KINDS:
        items = props.get("items") or []
        if not items:
            return []
        return [
            Finding(
                rule,
                f"{what}: registers {len(items)} workload(s) in one resource; rule {rule} refuses workload lists: "
                f"declare each {resource_type.rsplit(':', 1)[-1].removesuffix('List')} as its own resource, so that "
                "every rule checks it",
            )
        ]
    if is_known(resource_type) or resource_type in MANIFEST_GROUP_TYPES:
        return []
    if not resource_type.startswith("kubernetes:"):
        return []
    found = next(pod_specs(props), None)
    if found is None:
        return []
    return [
        Finding(
            rule,
            f"{what}: kind {resource_type} is not one the pack checks, yet it carries a pod spec at "
            f"{'.'.join(found) or '(top level)'}; rule {rule} refuses unknown kinds that run containers "
            "(use a Deployment, StatefulSet, DaemonSet, Job or CronJob)",
        )
    ]


@dataclass(frozen=True)
class Placed:
    """A workload as the cross-border rule sees it."""

    kind: str
    """Its kind as messages name it (``Deployment``)."""
    name: str
    app: str
    role: str
    """``primary``, ``standby``...; a workload without a role is never a primary."""
    classification: str
    residency: frozenset[str]
    country: str
    zone: str


def check_cross_border(placed: Sequence[Placed]) -> list[Finding]:
    """Check a whole stack's placements.

    Placements stay inside their app's residency, and restricted apps never cross a border: all their
    workloads run in one country, that of their primaries (an app without primaries may use one country).
    """
    rule = "disallow-cross-border-restricted"
    findings = []
    for item in placed:
        if item.country not in item.residency:
            findings.append(
                Finding(
                    rule,
                    f"{item.kind} '{item.name}': {item.role} of app {item.app} in {item.country} (zone "
                    f"{item.zone}) is outside its residency; rule {rule} allows only {_allowed_list(item.residency)}",
                )
            )
    by_app: dict[str, list[Placed]] = {}
    for item in placed:
        if item.classification == "restricted":
            by_app.setdefault(item.app, []).append(item)
    for app, items in sorted(by_app.items()):
        countries = sorted({i.country for i in items})
        home = sorted({i.country for i in items if i.role == "primary"}) or (countries if len(countries) == 1 else [])
        for item in items:
            if item.country not in home:
                neighbour = "" if geography().is_eea(item.country) else ", outside the EU/EEA"
                where = f"across the border from {', '.join(home)}" if home else "with no primary to anchor it"
                findings.append(
                    Finding(
                        rule,
                        f"{item.kind} '{item.name}': {item.role} of restricted app {app} in "
                        f"{item.country}{neighbour} (zone {item.zone}), {where}; "
                        f"rule {rule} allows restricted data only in {', '.join(home) or 'one country, its primaries'}",
                    )
                )
    return findings
