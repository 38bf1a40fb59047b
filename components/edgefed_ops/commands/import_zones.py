"""``edgefed import-zones ANSWER.json``: import an operator's CAMARA `GET /edge-cloud-zones` answer.

CAMARA has no field for a zone's Kubernetes API server, nor for its object storage: ``--api ZONE=URL``
and ``--storage CC=ENDPOINT,REGION,SECRET`` give them. The merged catalog is validated as a whole.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import yaml

from edgefed.core.inputs.camara import merge
from edgefed.core.inputs.catalog import load_catalog
from edgefed_ops.commands import inputs
from edgefed_ops.errors import UsageError
from edgefed_ops.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("answer", type=Path, metavar="ANSWER.json", help="the operator's GET /edge-cloud-zones answer")
    parser.add_argument("--catalog", type=Path, default=Path("stacks/catalog/federation.yaml"), metavar="FILE")
    parser.add_argument("--storage", action="append", default=[], metavar="CC=ENDPOINT,REGION,SECRET")
    parser.add_argument(
        "--api", action="append", default=[], metavar="ZONE=URL", help="each imported zone's Kubernetes API server"
    )
    parser.add_argument("--write", action="store_true", help="write the merged catalog back")


def parse_storage(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """``CC=ENDPOINT,REGION,SECRET`` options to the storage of each country."""
    storage = {}
    for item in items:
        country, equals, rest = item.partition("=")
        parts = rest.split(",")
        if not equals or len(parts) != 3 or not all(parts) or len(country) != 2:
            raise UsageError(f"--storage: {item!r} is not CC=ENDPOINT,REGION,SECRET")
        endpoint, region, secret = parts
        storage[country.upper()] = {"endpoint": endpoint, "region": region, "credentials_secret": secret}
    return storage


def parse_api(items: Sequence[str]) -> dict[str, str]:
    """``ZONE=URL`` options to each imported zone's Kubernetes API endpoint."""
    found = {}
    for item in items:
        zone, equals, url = item.partition("=")
        if not equals or not zone.strip() or not url.strip():
            raise UsageError(f"--api: {item!r} is not ZONE=URL")
        found[zone.strip().lower()] = url.strip()
    return found


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print (or write) the merged catalog."""
    catalog_path = inputs.existing_file(args.catalog, "--catalog")
    answer_path = inputs.existing_file(args.answer, "ANSWER.json")
    try:
        answer = json.loads(answer_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UsageError(f"ANSWER.json: {str(answer_path)!r} is not JSON: {error.msg} at line {error.lineno}") from None
    merged = merge(
        load_catalog(catalog_path), answer, parse_storage(args.storage), str(answer_path), parse_api(args.api)
    )
    text = yaml.safe_dump(merged.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True)
    if args.write:
        catalog_path.write_text("# Imported with `edgefed import-zones`.\n" + text, encoding="utf-8")
        print(f"wrote {catalog_path} ({len(merged.zones)} zones)")
    else:
        print(text)
    return 0
