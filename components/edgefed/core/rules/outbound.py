"""Outbound names and hooks: nothing in a zone hands data to a host outside it by name. Pure logic.

A Service of type ``ExternalName`` is a DNS alias: pods that call it reach the named host, wherever it
is. An admission webhook whose ``clientConfig`` is a URL receives every object it matches (manifests,
Secrets included) from the API server, wherever that URL points; one that names a Service stays inside
the zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from edgefed.core.rules.common import Finding, describe_resource, shown
from edgefed.core.rules.kinds import SERVICE_TYPES, WEBHOOK_TYPES
from edgefed.core.rules.pack_config import Destinations

EXTERNAL_NAME_RULE = "disallow-external-name"
WEBHOOK_RULE = "disallow-offzone-webhook"


def check_external_name(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    zone_country: str | None = None,
    destinations: Destinations | None = None,
) -> list[Finding]:
    """A Service (or patch) of type ExternalName only to a name the pack config allows in the zone's country.

    Whatever the Service's own labels say: any pod of the namespace, of any classification, can call the
    alias. The country is the zone's (its provider's catalog zone), never a label.
    """
    if resource_type not in SERVICE_TYPES:
        return []
    spec = props.get("spec") or {}
    if spec.get("type") != "ExternalName" and not spec.get("externalName"):
        return []
    allowed = (destinations or Destinations()).names_in([zone_country] if zone_country else [])
    if normalized_name(spec.get("externalName")) in allowed:
        return []
    target = shown(spec.get("externalName") or "?")
    where = zone_country or "no catalog zone"
    return [
        Finding(
            EXTERNAL_NAME_RULE,
            f"{describe_resource(resource_type, name)}: type ExternalName sends what its clients send to {target}, "
            f"outside the zone; rule {EXTERNAL_NAME_RULE} allows ExternalName Services only to a name the pack "
            f"config allows in the zone's country ({where}: {', '.join(allowed) or 'none'}), whatever the Service's "
            "labels say",
        )
    ]


def normalized_name(value: Any) -> str:
    """A DNS name as the allow-list holds it: lower case, without the root's trailing dot."""
    return str(value or "").lower().rstrip(".")


def check_webhooks(resource_type: str, name: str, props: Mapping[str, Any]) -> list[Finding]:
    """Every webhook of a configuration (or patch) names a Service inside the zone, never a URL."""
    if resource_type not in WEBHOOK_TYPES:
        return []
    findings = []
    for webhook in props.get("webhooks") or []:
        if not isinstance(webhook, Mapping):
            continue
        client = webhook.get("clientConfig") or {}
        url = client.get("url") if isinstance(client, Mapping) else None
        if url:
            host = urlparse(str(url)).hostname or "?"
            findings.append(
                Finding(
                    WEBHOOK_RULE,
                    f"{describe_resource(resource_type, name)}: webhook {shown(webhook.get('name') or '?')} calls "
                    f"{shown(host)} by URL, so the API server sends it every object it matches; rule {WEBHOOK_RULE} "
                    "allows only webhooks whose clientConfig names a Service inside the zone",
                )
            )
    return findings
