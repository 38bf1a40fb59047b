"""Import an operator's CAMARA `GET /edge-cloud-zones` answer into the federation catalog."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import yaml

from edgefed.camara import merge
from edgefed.catalog import load_catalog
from edgefed.errors import ConfigError
from edgefed_ops.errors import OpsError


def parse_storage(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """``CC=ENDPOINT,REGION,SECRET`` options to the storage of each country."""
    storage = {}
    for item in items:
        country, _, rest = item.partition("=")
        endpoint, region, secret = [*rest.split(","), "", ""][:3]
        storage[country.upper()] = {"endpoint": endpoint, "region": region, "credentials_secret": secret}
    return storage


def parse_api(items: Sequence[str]) -> dict[str, str]:
    """``ZONE=URL`` options to each imported zone's Kubernetes API endpoint."""
    return {zone.strip().lower(): url.strip() for zone, _, url in (item.partition("=") for item in items)}


def import_zones(
    catalog_path: Path, answer_path: Path, storage: dict[str, dict[str, str]], api: dict[str, str]
) -> tuple[str, int]:
    """The merged catalog as YAML (validated as a whole) and its number of zones."""
    try:
        catalog = load_catalog(catalog_path)
        answer = json.loads(answer_path.read_text(encoding="utf-8"))
        merged = merge(catalog, answer, storage, str(answer_path), api)
    except (ConfigError, json.JSONDecodeError) as exc:
        raise OpsError(str(exc)) from exc
    text = yaml.safe_dump(merged.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True)
    return text, len(merged.zones)
