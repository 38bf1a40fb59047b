"""The families of stacks (``stacks/stacksets.yaml``) that ``edgefed render`` renders, validated.

A family is one catalog with its two personas' stacks: per operator of the catalog, a zone stack
``<prefix>zones-<operator>`` (namespaces, quotas, rights and the admission policy of the operator's
zones, from the tenants' contracts); per tenant and country with a site, an app stack
``<prefix><tenant>-<cc>`` (the tenant's apps, with the tenant's identity).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, RootModel

from edgefed.core.inputs.errors import ConfigError, validate
from edgefed.core.inputs.fields import Name, StrictModel
from edgefed.core.inputs.stackconfig import StackConfig
from edgefed.core.inputs.yamlfile import load_yaml

RENDERED = {"country", "tenant", "contract", "catalog", "zones", "apps"}
OPERATOR_STACKS = "zones-"
"""After a family's prefix, the name of every operator zone stack: ``local-zones-orange``."""
"""StackConfig fields the renderer derives itself: a family may not set them."""


def _check_settings(value: dict[str, bool | int | str]) -> dict[str, bool | int | str]:
    allowed = sorted(info.alias or name for name, info in StackConfig.model_fields.items() if name not in RENDERED)
    for key in value:
        if key not in allowed:
            raise ValueError(f"{key!r} is not a stack setting a family may set; allowed: {', '.join(allowed)}")
    return value


class StackFamily(StrictModel):
    """One family of stacks: a catalog, its tenants' contracts and apps, and the stack name prefix."""

    prefix: Annotated[str, Field(pattern=r"^(|[a-z0-9]+-)$")]
    """Prefix of the stack names (``local-`` gives ``local-acme-fr`` and ``local-zones-orange``); ``""`` for
    the example federation. No default: two families must never render the same stack."""
    catalog: Annotated[str, Field(min_length=1)]
    """The family's catalog file, relative to the project root. No default."""
    policy_config: Annotated[str, Field(pattern=r"^policies/[^/]+/config[a-z0-9-]*\.json$")]
    """The policy pack config (``policies/<pack>/config*.json``) that checks the family's stacks. No default:
    a config trusts only its family's catalog, so production stacks are never checked against the local
    federation's zones and loopback endpoints."""
    contracts: Annotated[str, Field(pattern=r"^stacks/tenants/[a-z0-9-]+$")]
    """The folder of the family's tenant contracts (``stacks/tenants/<name>``, one ``<tenant>.yaml`` each).
    No default: operators size everything they give tenants from these contracts."""
    tenants: Annotated[dict[Name, Annotated[tuple[Name, ...], Field(min_length=1)]], Field(min_length=1)]
    """Tenant to the app specs (``stacks/apps/<name>.yaml``) it runs; each tenant gets a stack per country
    where one of its apps has a site. No default."""
    settings: Annotated[dict[str, bool | int | str], AfterValidator(_check_settings)] = Field(default_factory=dict)
    """More ``edgefed:`` settings for every tenant app stack of the family (camelCase keys). Default none."""

    def operator_stack(self, operator: str) -> str:
        """The name of an operator's zone stack in this family."""
        return f"{self.prefix}{OPERATOR_STACKS}{operator}"

    def tenant_stack(self, tenant: str, country: str) -> str:
        """The name of a tenant's app stack for a country in this family."""
        return f"{self.prefix}{tenant}-{country.lower()}"


class StackSets(RootModel[tuple[StackFamily, ...]]):
    """Every family of stacks."""


def load_stacksets(path: Path) -> tuple[StackFamily, ...]:
    """Read and validate the families file, one error naming the file and fields on a problem."""
    families = validate(StackSets, load_yaml(path), str(path)).root
    prefixes = [f.prefix for f in families]
    if len(set(prefixes)) != len(prefixes):
        repeated = next(p for p in prefixes if prefixes.count(p) > 1)
        raise ConfigError(str(path), [(f"[{prefixes.index(repeated)}].prefix", f"{repeated!r} is used twice")])
    return families


def family_of(families: tuple[StackFamily, ...], stack: str) -> StackFamily:
    """The family a stack name belongs to: the longest prefix that matches (``local-acme-fr``: ``local-``)."""
    return max((f for f in families if stack.startswith(f.prefix)), key=lambda f: len(f.prefix))


def family_pack_config(root: Path, stack: str) -> tuple[str, dict[str, Any]]:
    """The pack config of ``stack``'s family and its path relative to ``root`` (empty without families or file).

    The trusted config the program reads too: registry rules, allowed destinations and jurisdiction
    classes come from here, never from the stack's own config.
    """
    families = root / "stacks" / "stacksets.yaml"
    if not families.is_file():
        return "", {}
    relative = family_of(load_stacksets(families), stack).policy_config
    path = root / relative
    return relative, dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}
