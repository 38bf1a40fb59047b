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

WORKLOAD_KINDS = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    "kubernetes:core/v1:Pod": (),
}
"""Kubernetes workload types and the path from their spec root to their pod template (``()``: a Pod)."""
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
PROVIDER_TYPE = "pulumi:providers:kubernetes"
SERVICE_TYPE = "kubernetes:core/v1:Service"
INGRESS_TYPE = "kubernetes:networking.k8s.io/v1:Ingress"
DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
EXPOSING_SERVICE_TYPES = ("LoadBalancer", "NodePort")
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
    if value == "eu":
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
    if resource_type == DYNAMIC_TYPE:
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


def _labels_at(props: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = props
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            return {}
    found = node.get("metadata", {}).get("labels") if isinstance(node, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def workload_labels(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, labels) of a workload: its own labels and its pod template's."""
    out = [("metadata.labels", _labels_at(props))]
    template = WORKLOAD_KINDS.get(resource_type)
    if template:
        out.append((".".join((*template, "metadata", "labels")), _labels_at(props, *template)))
    return out


def check_residency_labels(
    resource_type: str, name: str, props: Mapping[str, Any], zone_id: str | None, catalog: Catalog
) -> list[Finding]:
    """Namespaces and workloads carry residency labels that match the zone they are deployed to."""
    rule = "enforce-residency-labels"
    if resource_type != NAMESPACE_TYPE and resource_type not in WORKLOAD_KINDS:
        return []
    what = describe_resource(resource_type, name)
    zone = catalog.zone_by_id.get(zone_id or "")
    places = (
        workload_labels(resource_type, props)
        if resource_type != NAMESPACE_TYPE
        else [("metadata.labels", _labels_at(props))]
    )
    required = labels.RESIDENCY_KEYS if resource_type == NAMESPACE_TYPE else labels.WORKLOAD_KEYS
    findings = []
    for where, found in places:
        missing = [key for key in required if key not in found]
        if missing:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} lacks {', '.join(missing)}; rule {rule} requires all of {', '.join(required)}",
                )
            )
            continue
        classification = found.get(labels.CLASSIFICATION)
        if resource_type != NAMESPACE_TYPE and classification not in labels.CLASSIFICATIONS:
            findings.append(
                Finding(
                    rule,
                    f"{what}: {where} {labels.CLASSIFICATION}={_shown(classification)} is not a data "
                    f"classification; rule {rule} allows only {', '.join(labels.CLASSIFICATIONS)}",
                )
            )
        if zone is None:
            continue  # an unknown zone is reported by disallow-non-eu-zone
        expected = {labels.COUNTRY: zone.country.lower(), labels.ZONE: zone.id, labels.OPERATOR: zone.operator}
        for key, value in expected.items():
            if found.get(key) != value:
                findings.append(
                    Finding(
                        rule,
                        f"{what}: {where} {key}={found.get(key)!r} but it is deployed to zone {zone.id} "
                        f"({zone.country}, {zone.operator}); rule {rule} allows only {key}={value!r}",
                    )
                )
        allowed = parse_residency_label(str(found[labels.RESIDENCY]))
        if zone.country not in allowed:
            findings.append(
                Finding(
                    rule,
                    f"{what}: deployed to {zone.country} (zone {zone.id}) but its "
                    f"{labels.RESIDENCY}={found[labels.RESIDENCY]!r} allows only {_allowed_list(allowed)}",
                )
            )
    return findings


def containers_of(resource_type: str, props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Containers and init containers of a workload's pod spec."""
    template = WORKLOAD_KINDS.get(resource_type)
    if template is None:
        return []
    node: Any = props
    for key in (*template, "spec"):
        node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            return []
    return [*(node.get("initContainers") or []), *(node.get("containers") or [])]


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
        except ValueError:
            findings.append(Finding(rule, f"{what}: image {image!r} is not a valid image reference"))
            continue
        if ref.registry not in allowed_registries:
            findings.append(
                Finding(
                    rule,
                    f"{what}: image {image!r} comes from registry {ref.registry}; rule {rule} allows "
                    f"only {_allowed_list(allowed_registries)}",
                )
            )
        if classification in digest_required_for and ref.digest is None:
            findings.append(
                Finding(
                    rule,
                    f"{what}: image {image!r} is not pinned by digest but the workload holds "
                    f"{classification} data; rule {rule} requires image@sha256:<digest> for "
                    f"{_allowed_list(digest_required_for)} data",
                )
            )
    return findings


def check_bucket(
    name: str, props: Mapping[str, Any], catalog: Catalog, allowed_countries: Iterable[str]
) -> list[Finding]:
    """A bucket lives in an allowed country, at that country's catalog storage endpoint and region."""
    rule = "enforce-bucket-residency"
    if "bucket" not in props or "endpoint" not in props:
        return []  # another kind of dynamic resource
    allowed = frozenset(allowed_countries)
    country = str(props.get("country", "")).upper()
    endpoint, region = str(props["endpoint"]).rstrip("/"), str(props.get("region", ""))
    what = f"bucket '{name}'"
    if country not in allowed:
        return [
            Finding(rule, f"{what}: country {country or '(none)'!r}; rule {rule} allows only {_allowed_list(allowed)}")
        ]
    storages = {(z.object_storage.endpoint, z.object_storage.region) for z in catalog.zones if z.country == country}
    if (endpoint, region) not in storages:
        allowed_pairs = ", ".join(f"{e} ({r})" for e, r in sorted(storages)) or "none"
        return [
            Finding(
                rule,
                f"{what}: endpoint {endpoint} region {region!r} is not {country} object storage of the "
                f"catalog; rule {rule} allows only {allowed_pairs}",
            )
        ]
    return []


def check_exposure(resource_type: str, name: str, props: Mapping[str, Any]) -> list[Finding]:
    """Restricted workloads are never exposed outside the zone (no LoadBalancer/NodePort Service, no Ingress)."""
    rule = "disallow-external-exposure"
    found = _labels_at(props)
    if found.get(labels.CLASSIFICATION) in ("public", "internal", "personal"):
        return []  # anything else (restricted, missing, unknown) is treated as restricted: fail closed
    if resource_type == SERVICE_TYPE:
        kind = str((props.get("spec") or {}).get("type") or "ClusterIP")
        if kind in EXPOSING_SERVICE_TYPES:
            return [
                Finding(
                    rule,
                    f"Service '{name}': type {kind} exposes restricted data outside the zone; rule {rule} "
                    "allows only ClusterIP for restricted workloads",
                )
            ]
    if resource_type == INGRESS_TYPE:
        return [Finding(rule, f"Ingress '{name}': exposes restricted data outside the zone; rule {rule} allows none")]
    return []


@dataclass(frozen=True)
class Placed:
    """A workload as the cross-border rule sees it."""

    name: str
    app: str
    role: str
    classification: str
    residency: frozenset[str]
    country: str
    zone: str


def check_cross_border(placed: Sequence[Placed]) -> list[Finding]:
    """Check a whole stack's placements.

    Placements stay inside their app's residency, and restricted apps never cross a border: all their
    workloads run in one country, that of their primaries.
    """
    rule = "disallow-cross-border-restricted"
    findings = []
    for item in placed:
        if item.country not in item.residency:
            findings.append(
                Finding(
                    rule,
                    f"Deployment '{item.name}': {item.role} of app {item.app} in {item.country} (zone "
                    f"{item.zone}) is outside its residency; rule {rule} allows only {_allowed_list(item.residency)}",
                )
            )
    by_app: dict[str, list[Placed]] = {}
    for item in placed:
        if item.classification == "restricted":
            by_app.setdefault(item.app, []).append(item)
    for app, items in sorted(by_app.items()):
        home = sorted({i.country for i in items if i.role == "primary"}) or sorted({i.country for i in items})
        for item in items:
            if item.country not in home:
                neighbour = "" if geography().is_eea(item.country) else ", outside the EU/EEA"
                findings.append(
                    Finding(
                        rule,
                        f"Deployment '{item.name}': {item.role} of restricted app {app} in "
                        f"{item.country}{neighbour} (zone {item.zone}), across the border from {', '.join(home)}; "
                        f"rule {rule} allows restricted data only in {', '.join(home)}",
                    )
                )
    return findings
