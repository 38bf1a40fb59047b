"""disallow-kubeconfig-detour: a provider's requests go straight to its zone's API server, verified. Pure logic.

A kubeconfig may name the right server and still send every request (manifests, secrets, tokens)
through a proxy (``proxy-url``), hand its credentials to a program on the deploying machine (``exec``,
``auth-provider``), accept any certificate (``insecure-skip-tls-verify``) or another host's
(``tls-server-name``). Every cluster and user entry is read, not only the chosen one: an entry the
provider would not pick today is one context switch away. Nothing of the kubeconfig is put in a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import yaml

from edgefed.core.rules.common import Finding

RULE = "disallow-kubeconfig-detour"


def kubeconfig_document(kubeconfig: object) -> Mapping[str, Any] | None:
    """Kubeconfig contents (YAML or JSON text, or already a mapping) as a mapping; ``None`` for anything else."""
    try:
        document = yaml.safe_load(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    except yaml.YAMLError:
        return None
    return document if isinstance(document, Mapping) else None


def _entries(document: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    entries = document.get(section)
    bodies = (
        [entry.get(section[:-1]) for entry in entries if isinstance(entry, Mapping)]
        if isinstance(entries, list)
        else []
    )
    return [body for body in bodies if isinstance(body, Mapping)]


def kubeconfig_detours(kubeconfig: object, *, allow_unverified_tls: bool = False) -> list[str]:
    """How a kubeconfig (contents, YAML or JSON) would route or hand off requests, in a fixed order.

    Empty for a kubeconfig this rule cannot read (a path, unknown at preview): disallow-non-eu-zone
    refuses those already.
    """
    document = kubeconfig_document(kubeconfig)
    if document is None:
        return []
    clusters, users = _entries(document, "clusters"), _entries(document, "users")
    found = []
    if any(cluster.get("proxy-url") for cluster in clusters):
        found.append("a proxy (proxy-url)")
    if not allow_unverified_tls and any(cluster.get("insecure-skip-tls-verify") is True for cluster in clusters):
        found.append("no certificate check (insecure-skip-tls-verify)")
    if any(
        cluster.get("tls-server-name")
        # Host names compare without case (urlparse lower-cases the server's already).
        and str(cluster.get("tls-server-name")).lower() != urlparse(str(cluster.get("server"))).hostname
        for cluster in clusters
    ):
        found.append("another host's certificate (tls-server-name)")
    if any(user.get("exec") for user in users):
        found.append("a credential program (exec)")
    if any(user.get("auth-provider") for user in users):
        found.append("an auth-provider plugin (auth-provider)")
    return found


def check_kubeconfig_transport(name: str, props: Mapping[str, Any], *, allow_unverified_tls: bool) -> list[Finding]:
    """A Kubernetes provider's kubeconfig connects directly, with a verified certificate and its own credential."""
    found = kubeconfig_detours(props.get("kubeconfig"), allow_unverified_tls=allow_unverified_tls)
    if not found:
        return []
    return [
        Finding(
            RULE,
            f"provider '{name}': its kubeconfig uses {', '.join(found)}, so its requests (manifests, secrets, "
            f"tokens) may reach someone other than the zone's API server; rule {RULE} allows only a direct "
            "connection that verifies the server's certificate, with a token or client certificate",
        )
    ]
