"""Where a stack's Pulumi state lives, and whether that is in the stack's country.

A country stack's state (its resources, the encrypted secrets, the plan) stays in that country: the
backend must be the S3 API of a catalog object store of the country (``s3://BUCKET?endpoint=...&
region=...``). A file backend lives wherever the machine running Pulumi happens to be, and a service
backend somewhere else entirely: both are refused for a country stack, before anything runs.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from edgefed.catalog import Catalog


def _host_port(endpoint: str) -> tuple[str, int | None]:
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    return (parts.hostname or "").lower(), parts.port


def describe(url: str) -> str:
    """The backend as a report may show it: scheme, bucket, endpoint and region (never credentials)."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else url
    params = parse_qs(parts.query)
    endpoint, region = params.get("endpoint", ["(AWS)"])[0], params.get("region", ["(none)"])[0]
    return f"s3://{parts.netloc} at {endpoint}, region {region}"


def problem(url: str, country: str, catalog: Catalog) -> str | None:
    """Why ``url`` does not keep state in ``country`` (``None`` when it does)."""
    parts = urlsplit(url)
    storages = sorted({(z.object_storage.endpoint, z.object_storage.region) for z in catalog.zones_in(country)})
    allowed = ", ".join(f"{e} ({r})" for e, r in storages) or f"none: the catalog has no {country} object store"
    if parts.scheme != "s3":
        return (
            f"backend {parts.scheme or url}:// keeps the state wherever this machine or service is, not provably in "
            f"{country}; use the S3 API of a {country} object store: {allowed}"
        )
    params = parse_qs(parts.query)
    endpoint, region = params.get("endpoint", [""])[0], params.get("region", [""])[0]
    if not endpoint:
        return f"s3 backend without an endpoint is AWS, outside the catalog; use a {country} object store: {allowed}"
    for catalog_endpoint, catalog_region in storages:
        if _host_port(catalog_endpoint) == _host_port(endpoint) and catalog_region == region:
            return None
    where = f"s3 backend at {endpoint} region {region or '(none)'}"
    return f"{where} is not {country} object storage of the catalog; allowed: {allowed}"
