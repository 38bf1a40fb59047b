"""``edgefed import-zones``: an operator's zones, as its CAMARA platform lists them, reconciled with the catalog.

From the platform itself (``--eam URL``: every page of ``GET /edge-cloud-zones``, over HTTPS, with a
tenant's bearer token) or from a saved answer (``ANSWER.json``: one page object, or an r1.1 bare array).
The reviewed catalog stays the authority on where each zone is: a listed zone it does not name (by
``platform_id``) is refused, as is a ``countryCode`` that contradicts it; the platform updates names,
regions and status (and, from a whole unfiltered listing, marks the operator's zones it no longer lists
``inactive``). Prints the merged catalog, or writes it back with ``--write``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from edgefed.core.inputs.camara import reconcile, unlisted, zones_from_file
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.eam import EdgeCloudZone
from edgefed.platform.eam_client import EamClient, PlatformError
from edgefed_ops.commands import inputs
from edgefed_ops.errors import OpsError, UsageError
from edgefed_ops.settings import Settings
from edgefed_ops.stack.local_stacks import LocalStacks


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument(
        "answer", type=Path, nargs="?", metavar="ANSWER.json", help="a saved GET /edge-cloud-zones answer"
    )
    parser.add_argument("--eam", metavar="URL", help="the operator's EAM API root (https://HOST[:PORT])")
    parser.add_argument("--operator", required=True, help="the catalog operator whose zones these are")
    parser.add_argument("--catalog", type=Path, default=Path("stacks/catalog/federation.yaml"), metavar="FILE")
    parser.add_argument("--token-file", type=Path, metavar="FILE", help="a file holding the bearer token (--eam)")
    parser.add_argument(
        "--tenant", help="on the local federation: call as this tenant (its token from its home operator's issuer)"
    )
    parser.add_argument("--ca", type=Path, metavar="FILE", help="CA certificate the platform's TLS is checked with")
    parser.add_argument("--country", metavar="CC", help="ask the platform for one country's zones only (--eam)")
    parser.add_argument("--write", action="store_true", help="write the merged catalog back")


def _token(args: argparse.Namespace, settings: Settings) -> tuple[str, Path | None]:
    """The bearer token and the CA to check the platform with."""
    if args.token_file and args.tenant:
        raise UsageError("--token-file and --tenant: give one (the token's file, or the local tenant to call as)")
    if args.token_file:
        path = inputs.existing_file(args.token_file, "--token-file")
        token = path.read_text(encoding="utf-8").strip()
        if not token:
            raise UsageError(f"--token-file: {str(path)!r} is empty")
        return token, args.ca
    if args.tenant:
        [tenant] = inputs.tenants(settings, [args.tenant], "--tenant")
        stacks = LocalStacks(settings)
        token = stacks.identities.token(stacks.contract_of(tenant))
        return token, args.ca or settings.federation_state / "ca" / "ca.crt"
    raise UsageError("--eam needs a bearer token: --token-file FILE, or --tenant TENANT on the local federation")


def _listed(args: argparse.Namespace, settings: Settings) -> tuple[list[EdgeCloudZone], str]:
    if (args.answer is None) == (args.eam is None):
        raise UsageError("give ANSWER.json or --eam URL (one of them)")
    if args.answer is not None:
        if args.country:
            raise UsageError("--country filters what the platform sends (--eam); a saved answer is taken whole")
        path = inputs.existing_file(args.answer, "ANSWER.json")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise UsageError(f"ANSWER.json: {str(path)!r} is not JSON: {error.msg} at line {error.lineno}") from None
        return list(zones_from_file(document, str(path))), str(path)
    token, ca = _token(args, settings)
    try:
        with EamClient(args.eam, token, ca_file=ca) as client:
            return client.zones(country=args.country), f"{args.eam} (GET /edge-cloud-zones)"
    except PlatformError as error:
        raise OpsError(f"import-zones: {error}") from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print (or write) the reconciled catalog; name what the platform did not list."""
    catalog_path = inputs.existing_file(args.catalog, "--catalog")
    catalog = load_catalog(catalog_path)
    if args.operator not in catalog.operator_by_id:
        known = ", ".join(sorted(catalog.operator_by_id))
        raise UsageError(f"--operator: {args.operator!r} is not an operator of {catalog_path}; known: {known}")
    listed, source = _listed(args, settings)
    merged = reconcile(catalog, listed, source, args.operator, complete=not args.country)
    gone = [] if args.country else unlisted(catalog, listed, args.operator)
    text = yaml.safe_dump(merged.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True)
    summary = [f"{len(listed)} zone(s) of {args.operator} listed by {source}, each matched to the reviewed catalog"]
    summary += [f"not listed by the platform, marked inactive: {zone.id} ({zone.platform_id})" for zone in gone]
    if args.write:
        catalog_path.write_text("# Reconciled with `edgefed import-zones`.\n" + text, encoding="utf-8")
        print("\n".join([*summary, f"wrote {catalog_path}"]))
    else:
        print(text)
        print("\n".join(f"# {line}" for line in summary))
    return 0
