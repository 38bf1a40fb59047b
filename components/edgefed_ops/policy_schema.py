"""The JSON schema of --policy-pack-config (policies/eu-residency/config.schema.json), built from the policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgefed.policy import ALL_POLICIES

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
