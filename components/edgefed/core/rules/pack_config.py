"""The policy pack's config as the program and the policies read it: one reader for both.

The pack config (``--policy-pack-config``) is trusted, a stack's config is not: allow-lists come from here.
The program reads the same file to give each zone's admission policy the pack's registry rules, so
that both checks agree. Pure logic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_REGISTRIES = ("registry.edgefed.eu",)
"""The federation's registry: the allow-list when the policy pack config names none."""
DEFAULT_DIGEST_FOR = ("restricted",)
"""Data classifications whose images must be pinned by digest when the pack config names none."""
REGISTRY_POLICY = "disallow-unlisted-registry"


@dataclass(frozen=True)
class RegistryRules:
    """Where images may come from, and which data needs them pinned by digest."""

    allowed: tuple[str, ...] = DEFAULT_REGISTRIES
    digest_for: tuple[str, ...] = DEFAULT_DIGEST_FOR

    @classmethod
    def of(cls, policy: Mapping[str, Any]) -> RegistryRules:
        """The rules of the registry policy's own config (its defaults for what it leaves out)."""
        return cls(
            tuple(policy.get("allowedRegistries") or DEFAULT_REGISTRIES),
            tuple(policy.get("requireDigestFor") or DEFAULT_DIGEST_FOR),
        )


def read(path: Path) -> dict[str, Any]:
    """A pack config file (``policies/<pack>/config*.json``)."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def policy_config(config: Mapping[str, Any], policy: str) -> dict[str, Any]:
    """One policy's part of a pack config (empty when it only sets an enforcement level)."""
    part = config.get(policy)
    return dict(part) if isinstance(part, Mapping) else {}


def registry_rules(config: Mapping[str, Any]) -> RegistryRules:
    """The registry rules of a whole pack config."""
    return RegistryRules.of(policy_config(config, REGISTRY_POLICY))
