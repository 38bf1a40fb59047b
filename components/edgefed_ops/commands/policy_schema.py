"""The JSON schema of --policy-pack-config (policies/eu-residency/config.schema.json), built from the policies."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edgefed.policy import ALL_POLICIES
from edgefed_ops.settings import Settings

LEVELS = ["advisory", "mandatory", "remediate", "disabled"]


def build() -> dict[str, Any]:
    """The schema: every policy's enforcement level and its own properties."""
    properties: dict[str, Any] = {"all": {"enum": LEVELS, "description": "Enforcement level of every policy."}}
    for policy in ALL_POLICIES:
        own = dict(policy.config_schema.properties) if policy.config_schema else {}
        properties[policy.name] = {
            "description": policy.description,
            "oneOf": [
                {"enum": LEVELS},
                {
                    "type": "object",
                    "properties": {"enforcementLevel": {"enum": LEVELS}, **own},
                    "additionalProperties": False,
                },
            ],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "edgefed-eu-residency policy pack config (--policy-pack-config)",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def target(root: Path) -> Path:
    """Where the schema is committed."""
    return root / "policies" / "eu-residency" / "config.schema.json"


def text() -> str:
    """The schema as committed."""
    return json.dumps(build(), indent=2) + "\n"


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed schema is stale")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Write the schema, or check that the committed one is fresh."""
    path = target(settings.root)
    if args.check:
        if path.read_text() != text():
            print(f"{path} is stale: run `{settings.command_line('policy-schema')}`", file=sys.stderr)
            return 1
        return 0
    path.write_text(text())
    return 0
