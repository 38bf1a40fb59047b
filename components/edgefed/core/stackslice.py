"""One stack's slice of the federation, validated: everything a country stack deploys, as plain data.

:func:`stack_slice` checks the stack config, catalog, app specs, the whole federation plan, the
credentials the slice needs and the storage rules, and returns the slice; only then does the program
register resources (:mod:`edgefed.program`). Bad input raises :class:`ConfigError` or
:class:`PlacementError` naming the file and field. Pure: no Pulumi import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog, Zone
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.jurisdiction import pack_eu_law_classes
from edgefed.core.inputs.stackconfig import NAMESPACE, StackConfig
from edgefed.core.inputs.stacksets import family_pack_config
from edgefed.core.placement.federation import load_federation, plan_federation
from edgefed.core.placement.placer import Plan, ZoneDemand, demand_by_zone
from edgefed.core.rules import pack_config
from edgefed.core.rules.egress import GUARDED, cidr_allowed, egress_countries
from edgefed.core.rules.pack_config import Destinations, RegistryRules


@dataclass(frozen=True)
class StackSlice:
    """What one country stack deploys: its zones with their demand, its apps' plans, its buckets' homes."""

    stack: str
    config: StackConfig
    catalog: Catalog
    specs: tuple[AppSpec, ...]
    plans: Mapping[str, Plan]
    """App to plan, with the outage state applied (drained zones kept): what is deployed."""
    demand: Mapping[str, ZoneDemand]
    """Zone to what the stack's apps may use there (sizes the tenant quota)."""
    unavailable: frozenset[str]
    """Zones down now (the federation's outage state)."""
    bucket_homes: Mapping[str, tuple[Zone, ...]]
    """App to the zones whose object store holds its bucket (one per storage endpoint in the country)."""
    registry: RegistryRules
    """The pack's registry rules, for the zones' admission policies."""
    home_operator: str = ""
    """The tenant's home operator (its contract's), whose issuer signed its identity."""

    @property
    def namespace(self) -> str:
        """The tenant namespace of the stack in every zone: ``<tenant>-<country>``."""
        return f"{self.config.tenant}-{self.config.country.lower()}"

    @property
    def rendering(self) -> bool:
        """Manifests are rendered to a folder, no zone is reached."""
        return self.config.render_yaml_to is not None


def registry_rules(root: Path, stack: str) -> RegistryRules:
    """The registry rules of the stack family's pack config (the pack's defaults without stack families)."""
    return pack_config.registry_rules(family_pack_config(root, stack)[1])


def destinations(root: Path, stack: str) -> Destinations:
    """Where the stack family's pack config lets personal and restricted data go (none without one)."""
    source, config = family_pack_config(root, stack)
    try:
        return pack_config.destinations(config)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise ConfigError(source, [(field, message)]) from None


def law_classes(root: Path, stack: str) -> tuple[str, ...]:
    """The data classes the stack family's pack config binds to operators under EU/EEA law."""
    source, config = family_pack_config(root, stack)
    try:
        return pack_eu_law_classes(config)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise ConfigError(source, [(field, message)]) from None


def require_secret(key: str, secret_keys: Sequence[str], raw: Mapping[str, str], source: str, purpose: str) -> None:
    """A credential the stack needs must be set, and set as a secret."""
    full = f"{NAMESPACE}:{key}"
    if full not in raw:
        raise ConfigError(source, [(full, f"is missing; set {purpose} with `pulumi config set --secret {key} ...`")])
    if full not in secret_keys:
        raise ConfigError(source, [(full, "must be a secret; set it again with `pulumi config set --secret`")])


def _require_s3_credentials(key: str, secret_keys: Sequence[str], raw: Mapping[str, str], source: str) -> None:
    require_secret(key, secret_keys, raw, source, 'its S3 keys as {"accessKey": ..., "secretKey": ...}')
    try:
        value = json.loads(raw[f"{NAMESPACE}:{key}"])
    except json.JSONDecodeError:
        value = None
    # The value itself is never echoed: it is a credential.
    if not isinstance(value, dict) or not {"accessKey", "secretKey"} <= value.keys():
        raise ConfigError(
            source, [(f"{NAMESPACE}:{key}", 'must be a JSON object {"accessKey": ..., "secretKey": ...}')]
        )


def bucket_homes(country: str, catalog: Catalog, plan: Plan) -> tuple[Zone, ...]:
    """Per storage endpoint in ``country``, one zone that serves the app there (the bucket's home).

    ``plan`` is the plan with every zone up: data stays in its country through an outage, so a bucket
    never disappears (and is never deleted) because the zones next to it are down.
    """
    groups: dict[str, Zone] = {}
    for assignment in plan.zones:
        zone = catalog.zone(assignment.zone)
        if zone.country == country and assignment.role == "primary":
            groups.setdefault(zone.object_storage.endpoint, zone)
    return tuple(groups.values())


def require_encryption(spec: AppSpec, zone: Zone) -> None:
    """Restricted data is stored only where the endpoint encrypts by default."""
    storage = zone.object_storage
    if spec.data_classification == "restricted" and "encryption" in storage.unsupported_controls:
        raise ConfigError(
            f"stacks/apps/{spec.name}.yaml",
            [
                (
                    "object_storage",
                    f"restricted data needs default encryption, which {storage.endpoint} (zone {zone.id}) does not "
                    "implement; set object_storage: false (data stays in the zones) or use an endpoint that encrypts",
                )
            ],
        )


def require_allowed_egress(spec: AppSpec, plan: Plan, catalog: Catalog, allowed: Destinations) -> None:
    """Each egress destination of a personal or restricted app is one the federation allows in every zone it uses."""
    if spec.data_classification not in GUARDED:
        return
    for assignment in plan.zones:
        country = catalog.zone(assignment.zone).country
        cidrs = allowed.cidrs_in(egress_countries(spec.data_classification, country, spec.residency_countries))
        for i, rule in enumerate(spec.egress):
            if not cidr_allowed(str(rule.cidr), cidrs):
                raise ConfigError(
                    f"stacks/apps/{spec.name}.yaml",
                    [
                        (
                            f"egress[{i}].cidr",
                            f"{rule.cidr} is not a destination the federation allows for {spec.data_classification} "
                            f"data in zone {assignment.zone} ({country}); allowed: {', '.join(cidrs) or 'none'} "
                            "(disallow-open-egress in the family's pack config)",
                        )
                    ],
                )


def stack_slice(root: Path, stack: str, raw: Mapping[str, str], secret_keys: Sequence[str]) -> StackSlice:
    """Validate the stack, plan its federation and return its slice; nothing is registered here."""
    source = f"stacks/Pulumi.{stack}.yaml"
    # The stack deploys its slice of the federation plan: every stack of the catalog placed together,
    # sharing zone capacity, with the federation's outage state.
    federation = load_federation(root, stack, raw, secret_keys)
    member, catalog = federation.member(stack), federation.catalog
    config, specs = member.config, member.specs
    whole = plan_federation(federation)
    whole.raise_for(stack)
    # Buckets follow the plan with every zone up, so an outage never moves or deletes data; unavailable
    # zones keep their objects, drained (see with_drained).
    plans, healthy = whole.slice(stack), whole.healthy_slice(stack)
    demand = demand_by_zone(plans, specs)
    if config.render_yaml_to is None:
        for zone_id in sorted(demand):
            require_secret(catalog.zone(zone_id).kubeconfig_secret, secret_keys, raw, source, "its kubeconfig")
    homes: dict[str, tuple[Zone, ...]] = {}
    for spec in specs if config.buckets else ():
        if not spec.object_storage:
            continue
        homes[spec.name] = bucket_homes(config.country, catalog, healthy[spec.name])
        for zone in homes[spec.name]:
            require_encryption(spec, zone)
            _require_s3_credentials(zone.object_storage.credentials_secret, secret_keys, raw, source)
    allowed = destinations(root, stack)
    for spec in specs:
        require_allowed_egress(spec, plans[spec.name], catalog, allowed)
        require_allowed_egress(spec, healthy[spec.name], catalog, allowed)
    rules = registry_rules(root, stack)
    contract = federation.contract
    outside = [r for r in contract.registries if r not in rules.allowed] if contract is not None else []
    if outside:
        raise ConfigError(
            config.contract,
            [("registries", f"{', '.join(outside)} not in the federation's allow-list ({', '.join(rules.allowed)})")],
        )
    home = contract.home_operator if contract is not None else ""
    return StackSlice(stack, config, catalog, specs, plans, demand, federation.unavailable, homes, rules, home)
