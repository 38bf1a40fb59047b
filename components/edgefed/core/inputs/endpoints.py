"""Kubernetes API endpoints compared as servers, not strings. Pure, no third-party import."""

from __future__ import annotations

from urllib.parse import urlsplit


def api_endpoint_key(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of a Kubernetes API URL, the default port filled in; ``None`` if it is not one.

    Two spellings of one server (``HTTPS://API.example:443/`` and ``https://api.example``) compare equal.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        return None
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    scheme = parts.scheme.lower()
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)
