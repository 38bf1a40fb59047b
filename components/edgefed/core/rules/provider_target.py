"""disallow-non-eu-zone: a provider targets a catalog zone in an allowed country, proven by its kubeconfig.

Never by what the provider says about itself. Pure logic.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs.endpoints import api_endpoint_key
from edgefed.core.rules.common import Finding, allowed_list, shown, zone_of_provider
from edgefed.core.rules.kubeconfig_transport import kubeconfig_document

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog


def kubeconfig_server(kubeconfig: object, context: object = None, cluster: object = None) -> str | None:
    """The API server a kubeconfig (its contents, YAML or JSON) connects to, as the provider picks it.

    The provider's ``context`` input overrides ``current-context`` and its ``cluster`` input the context's
    cluster. ``None`` when that cannot be told from the contents alone (a path, a missing context...):
    callers fail closed. Nothing of the kubeconfig is ever put in a message.
    """
    document = kubeconfig_document(kubeconfig)
    if document is None:
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
                    f"{what}: clusterIdentifier {shown(declared)} but it renders to zone folder {folder_zone!r}; "
                    f"rule {rule} allows only one zone per provider",
                )
            ]
    zone_id = zone_of_provider(props)
    if zone_id is None:
        return [
            Finding(
                rule,
                f"{what}: targets no catalog zone (no clusterIdentifier); rule {rule} allows only "
                f"providers whose clusterIdentifier is a catalog zone in {allowed_list(allowed)}",
            )
        ]
    zone = catalog.zone_by_id.get(zone_id)
    if zone is None:
        return [
            Finding(
                rule,
                f"{what}: targets unknown zone {shown(zone_id)}, not in the federation catalog; rule {rule} "
                f"allows only catalog zones in {allowed_list(allowed)}",
            )
        ]
    if zone.country not in allowed:
        return [
            Finding(
                rule,
                f"{what}: zone {zone_id!r} is in {zone.country}; rule {rule} allows only {allowed_list(allowed)}",
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
