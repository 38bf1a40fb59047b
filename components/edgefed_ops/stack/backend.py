"""Where a stack's Pulumi state lives, and whether that is in the stack's country.

A country stack's state (its resources, the encrypted secrets, the plan) stays in that country: the
backend must be the S3 API of a catalog object store of the country (``s3://BUCKET?endpoint=...&
region=...``). A file backend lives wherever the machine running Pulumi happens to be, and a service
backend somewhere else entirely: both are refused for a country stack, before anything runs.

:class:`BackendUrl` is the one parser of a backend URL: the state check, reports, workspaces and lock
reading all go through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from edgefed.core.inputs.catalog import Catalog


@dataclass(frozen=True)
class BackendUrl:
    """A Pulumi state backend URL, parsed (``file://``, ``s3://``, a service URL)."""

    url: str
    scheme: str
    location: str
    """The bucket (``s3``), or host and path."""
    endpoint: str | None = None
    """The S3 API endpoint (``None``: AWS itself)."""
    region: str | None = None

    @classmethod
    def parse(cls, url: str) -> BackendUrl:
        """Parse ``url``."""
        parts = urlsplit(url)
        params = parse_qs(parts.query)
        if parts.scheme == "s3":
            endpoint, region = params.get("endpoint", [None])[0], params.get("region", [None])[0]
            return cls(url, "s3", parts.netloc, endpoint, region)
        return cls(url, parts.scheme, f"{parts.netloc}{parts.path}")

    @classmethod
    def s3(cls, bucket: str, endpoint: str, region: str) -> BackendUrl:
        """The URL of a bucket of an S3-compatible store (path-style addressing, as loopback stores need)."""
        query = urlencode({"endpoint": endpoint, "region": region, "use_path_style": "true"}, safe=":/")
        return cls.parse(f"s3://{bucket}?{query}")

    @property
    def file_path(self) -> Path | None:
        """The folder of a ``file://`` backend."""
        return Path(urlsplit(self.url).path) if self.scheme == "file" else None

    def describe(self) -> str:
        """The backend as a report may show it: scheme, bucket, endpoint and region (never credentials)."""
        if self.scheme != "s3":
            return f"{self.scheme}://{self.location}" if self.scheme else self.url
        return f"s3://{self.location} at {self.endpoint or '(AWS)'}, region {self.region or '(none)'}"

    def problem(self, country: str, catalog: Catalog) -> str | None:
        """Why this backend does not keep state in ``country`` (``None`` when it does)."""
        storages = sorted({(z.object_storage.endpoint, z.object_storage.region) for z in catalog.zones_in(country)})
        allowed = ", ".join(f"{e} ({r})" for e, r in storages) or f"none: the catalog has no {country} object store"
        if self.scheme != "s3":
            return (
                f"backend {self.scheme or self.url}:// keeps the state wherever this machine or service is, not "
                f"provably in {country}; use the S3 API of a {country} object store: {allowed}"
            )
        if not self.endpoint:
            return (
                f"s3 backend without an endpoint is AWS, outside the catalog; use a {country} object store: {allowed}"
            )
        for catalog_endpoint, catalog_region in storages:
            if _host_port(catalog_endpoint) == _host_port(self.endpoint) and catalog_region == self.region:
                return None
        where = f"s3 backend at {self.endpoint} region {self.region or '(none)'}"
        return f"{where} is not {country} object storage of the catalog; allowed: {allowed}"


def _host_port(endpoint: str) -> tuple[str, int | None]:
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    return (parts.hostname or "").lower(), parts.port


@dataclass(frozen=True)
class Backend:
    """Where a stack's state lives: a backend URL and what the engine needs to reach it (store keys)."""

    url: str
    env: Mapping[str, str] = field(default_factory=dict)
