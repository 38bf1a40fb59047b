"""One operator's zone stack, validated: its zones and, per zone, every contracted tenant country stack.

:func:`operator_slice` checks the operator's stack config, the catalog, every contract of the family
(zones, GPU models, registries within the federation's allow-list), that each of the operator's zones
holds the contracts allocated there, and the credentials the stack needs. Only then does the program
register anything (:mod:`edgefed.program.operator`). Pure: no Pulumi import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from edgefed.core.inputs.catalog import Catalog, Operator, load_catalog
from edgefed.core.inputs.contract import Allocation, Contract, load_contracts
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.operator_terms import OperatorTerms, load_operator_terms, terms_of
from edgefed.core.inputs.stackconfig import NAMESPACE, OperatorConfig, parse_config, secret_keys_of
from edgefed.core.placement.contracts import over_capacity
from edgefed.core.rules.pack_config import Destinations, RegistryRules
from edgefed.core.stackslice import destinations, law_classes, registry_rules, require_secret


@dataclass(frozen=True)
class Grant:
    """One tenant country stack's allocation in one zone."""

    contract: Contract
    country: str
    allocation: Allocation


@dataclass(frozen=True)
class OperatorSlice:
    """What one operator's zone stack deploys."""

    stack: str
    config: OperatorConfig
    catalog: Catalog
    operator: Operator
    grants: Mapping[str, tuple[Grant, ...]]
    """Zone id to the tenant country stacks with an allocation there."""
    rules: RegistryRules
    """The federation's registry rules, from the family's trusted pack config."""
    destinations: Destinations
    """Where personal and restricted data may go from the zones (egress CIDRs), from the same pack config."""
    terms: OperatorTerms
    """The operator's terms for its zones' tenants (``<contracts>/operators/<operator>.yaml``)."""
    law_classes: tuple[str, ...]
    """Data classes only operators under EU/EEA law may hold, from the same pack config."""

    @property
    def rendering(self) -> bool:
        """Manifests are rendered to a folder, no zone is reached."""
        return self.config.render_yaml_to is not None


def _check_zones(config: OperatorConfig, catalog: Catalog, source: str) -> None:
    mine = sorted(z.id for z in catalog.zones if z.operator == config.operator)
    problems = [
        (f"{NAMESPACE}:zones[{i}]", f"{zone_id!r} is not a zone of operator {config.operator}; its zones: "
         f"{', '.join(mine) or 'none'}")
        for i, zone_id in enumerate(config.zones)
        if zone_id not in mine
    ]  # fmt: skip
    if config.operator not in catalog.operator_by_id:
        known = ", ".join(sorted(catalog.operator_by_id))
        problems.insert(
            0, (f"{NAMESPACE}:operator", f"{config.operator!r} is not an operator of the catalog; allowed: {known}")
        )
    if problems:
        raise ConfigError(source, problems)


def grants(contracts: Mapping[str, Contract], zones: Sequence[str]) -> dict[str, tuple[Grant, ...]]:
    """Per zone, every tenant country stack the contracts allocate something there (tenant, then country)."""
    out: dict[str, list[Grant]] = {zone: [] for zone in zones}
    for tenant in sorted(contracts):
        contract = contracts[tenant]
        for country in sorted(contract.allocations):
            for zone, allocation in contract.allocations[country].items():
                if zone in out:
                    out[zone].append(Grant(contract, country, allocation))
    return {zone: tuple(found) for zone, found in out.items()}


def operator_slice(root: Path, stack: str, raw: Mapping[str, str], secret_keys: Sequence[str]) -> OperatorSlice:
    """Validate an operator's zone stack and return what it deploys; nothing is registered here."""
    source = f"stacks/Pulumi.{stack}.yaml"
    default: str = OperatorConfig.model_fields["catalog"].default
    catalog = load_catalog(root / raw.get(f"{NAMESPACE}:catalog", default))
    config = parse_config(raw, secret_keys, secret_keys_of(catalog), source, OperatorConfig)
    assert isinstance(config, OperatorConfig)
    _check_zones(config, catalog, source)
    rules, allowed = registry_rules(root, stack), destinations(root, stack)
    contracts = load_contracts(root / config.contracts, catalog, rules.allowed, allowed.names)
    terms = terms_of(load_operator_terms(root / config.contracts, catalog, contracts), config.operator,
                     Path(config.contracts))  # fmt: skip
    over = over_capacity(catalog, contracts, config.zones)
    if over:
        raise ConfigError(config.contracts, [("allocations", line) for line in over])
    operator = catalog.operator_by_id[config.operator]
    if config.render_yaml_to is None:
        for zone_id in config.zones:
            zone = catalog.zone(zone_id)
            require_secret(zone.kubeconfig_secret, secret_keys, raw, source, "the operator's kubeconfig")
    found = grants(contracts, config.zones)
    return OperatorSlice(stack, config, catalog, operator, found, rules, allowed, terms, law_classes(root, stack))
