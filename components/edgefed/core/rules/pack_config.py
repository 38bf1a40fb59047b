"""The policy pack's config as the program and the policies read it: one reader for both.

The pack config (``--policy-pack-config``) is trusted, a stack's config is not: allow-lists come from here.
The program reads the same file to give each zone's admission policy the pack's registry rules, so
that both checks agree. Pure logic.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgefed.core.inputs.geography import geography

DEFAULT_REGISTRIES = ("registry.edgefed.eu",)
"""The federation's registry: the allow-list when the policy pack config names none."""
DEFAULT_DIGEST_FOR = ("restricted",)
"""Data classifications whose images must be pinned by digest when the pack config names none."""
REGISTRY_POLICY = "disallow-unlisted-registry"
EGRESS_POLICY = "disallow-open-egress"
EXTERNAL_NAME_POLICY = "disallow-external-name"
_COUNTRY = re.compile(r"[A-Z]{2}")
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")


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


@dataclass(frozen=True)
class Destinations:
    """Where personal and restricted data may be sent from a zone, per country (none unless the pack config says).

    ``cidrs`` are the egress rule's (``disallow-open-egress: allowedCidrs``), ``names`` the ExternalName
    rule's (``disallow-external-name: allowedNames``); each keyed by ISO country code.
    """

    cidrs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Destinations:
        """The destinations of a whole pack config; a malformed entry raises ``ValueError`` naming it."""
        cidrs = _per_country(policy_config(config, EGRESS_POLICY).get("allowedCidrs"), EGRESS_POLICY, "allowedCidrs")
        names = _per_country(
            policy_config(config, EXTERNAL_NAME_POLICY).get("allowedNames"), EXTERNAL_NAME_POLICY, "allowedNames"
        )
        for country, values in cidrs.items():
            for value in values:
                try:
                    ipaddress.ip_network(value, strict=True)
                except ValueError as error:
                    raise ValueError(
                        f"{EGRESS_POLICY}.allowedCidrs.{country}: {value!r} is not a CIDR ({error})"
                    ) from None
        for country, values in names.items():
            for value in values:
                if not _HOST.fullmatch(value):
                    raise ValueError(
                        f"{EXTERNAL_NAME_POLICY}.allowedNames.{country}: {value!r} is not a lower-case DNS name"
                    )
        return cls(cidrs, names)

    def cidrs_in(self, countries: Iterable[str]) -> list[str]:
        """The allowed CIDRs of these countries, in country order."""
        return [cidr for country in sorted(countries) for cidr in self.cidrs.get(country, ())]

    def names_in(self, countries: Iterable[str]) -> list[str]:
        """The allowed names of these countries, in country order."""
        return [name for country in sorted(countries) for name in self.names.get(country, ())]

    def country_of_name(self, name: str) -> str | None:
        """The country whose allow-list holds ``name``."""
        return next((country for country, names in sorted(self.names.items()) if name in names), None)


def _per_country(value: Any, policy: str, key: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{policy}.{key}: must map ISO country codes to lists")
    out = {}
    for country, values in value.items():
        if not _COUNTRY.fullmatch(str(country)) or not isinstance(values, list):
            raise ValueError(f"{policy}.{key}.{country}: keys are ISO country codes (FR), values lists of strings")
        if country not in geography().eea:
            raise ValueError(
                f"{policy}.{key}.{country}: not an EU/EEA country; data may only be sent inside the EU/EEA"
            )
        out[str(country)] = tuple(str(v) for v in values)
    return out


def read(path: Path) -> dict[str, Any]:
    """A pack config file (``policies/<pack>/config*.json``)."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def policy_config(config: Mapping[str, Any], policy: str) -> dict[str, Any]:
    """One policy's part of a pack config (empty when it only sets an enforcement level)."""
    part = config.get(policy)
    return dict(part) if isinstance(part, Mapping) else {}


def destinations(config: Mapping[str, Any]) -> Destinations:
    """The allowed destinations of a whole pack config."""
    return Destinations.of(config)


def registry_rules(config: Mapping[str, Any]) -> RegistryRules:
    """The registry rules of a whole pack config."""
    return RegistryRules.of(policy_config(config, REGISTRY_POLICY))
