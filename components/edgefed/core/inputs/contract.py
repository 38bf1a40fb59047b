"""Tenant contracts: what an enterprise signed with its home operator, valid in every partner's zones.

``stacks/tenants/<family>/<tenant>.yaml`` (the stack family names the folder): the tenant, its home
operator (whose issuer signs the tenant's one identity), its countries, the data classes and image
registries it may run, and what each of its country stacks may use in each zone (CPU, memory, GPUs by
model), failover reserves included. Operators size each tenant namespace's quota from it and refuse a
zone whose contracts exceed its capacity; a tenant's plan and its N-1 what-if must fit it. Validated
against the family's catalog at load: an error names the file, the field and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import Field

from edgefed.core.inputs.appspec import DataClassification
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.inputs.errors import ConfigError, validate
from edgefed.core.inputs.fields import EEACountry, Name, StrictModel
from edgefed.core.inputs.yamlfile import file_key, load_yaml


def tenant_namespace(tenant: str, country: str) -> str:
    """The namespace of a tenant's country stack in every zone it uses: ``<tenant>-<cc>``."""
    return f"{tenant}-{country.lower()}"


def stack_country(namespace: str) -> str | None:
    """The country of the stack whose namespace this is (``acme-de``: ``DE``), from :func:`tenant_namespace`'s form.

    ``None`` when the name carries no country: such a namespace is no tenant stack's (zones admit no workload
    there).
    """
    head, _, suffix = namespace.rpartition("-")
    return suffix.upper() if head and len(suffix) == 2 and suffix.isalpha() else None


RESERVED_TENANTS = ("zones",)
"""Names a tenant may not take: ``<prefix>zones-<operator>`` names the operators' stacks."""


class Allocation(StrictModel):
    """What one country stack of the tenant may use in one zone (its namespace's quota there)."""

    cpu: Annotated[float, Field(gt=0)]
    """Cores (requests and limits). No default: a contract states what it buys."""
    memory_gib: Annotated[float, Field(gt=0)]
    """GiB of memory (requests and limits). No default."""
    gpus: dict[Name, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    """GPUs by model (``nvidia-l4: 1``); the zone must offer the model. Default none."""


DnsName = Annotated[
    str, Field(max_length=253, pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
]
"""A lower-case DNS name (``telemetry.fr.example``)."""


class Grants(StrictModel):
    """What the tenant may use beyond CPU, memory and GPUs, by the names its zones' operators give them.

    Each name must be offered by an operator of a zone the contract allocates
    (:mod:`edgefed.core.inputs.operator_terms`); in a zone whose operator does not offer it, it is not
    granted there. Nothing is granted unless listed: the zones refuse the rest.
    """

    storage_classes: tuple[Name, ...] = ()
    """Storage classes whose volumes the tenant may claim. Default none: no claim is admitted."""
    priority_classes: tuple[Name, ...] = ()
    """Priority classes the tenant's pods may name. Default none: the default priority only."""
    tolerations: tuple[Name, ...] = ()
    """Tolerations (of taints the operators offer) the tenant's pods may carry. Default none (a GPU allocation
    in a zone grants the GPU nodes' toleration there)."""
    external_names: Mapping[EEACountry, tuple[DnsName, ...]] = Field(default_factory=dict)
    """Per country, the outside names the tenant's ExternalName Services may alias in that country's zones,
    within what the federation's pack config allows there. Default none."""


class Contract(StrictModel):
    """One tenant's contract with its home operator."""

    tenant: Name
    """The tenant's id: its namespaces are ``<tenant>-<cc>``, its identity ``<home operator>:<tenant>``. No
    default; it must equal the file name."""
    home_operator: Name
    """The operator the tenant signed with, whose identity issuer signs the tenant's tokens. No default."""
    countries: Annotated[tuple[EEACountry, ...], Field(min_length=1)]
    """Countries where the tenant runs a stack. No default."""
    data_classes: Annotated[tuple[DataClassification, ...], Field(min_length=1)]
    """Data classifications the tenant's workloads may declare (zones refuse others). No default."""
    registries: Annotated[tuple[Annotated[str, Field(pattern=r"^[a-z0-9.-]+(:[0-9]+)?$")], ...], Field(min_length=1)]
    """Registry hosts the tenant's images may come from, within the federation's allow-list. No default."""
    allocations: Mapping[EEACountry, Mapping[Name, Allocation]]
    """Per country stack, per zone: what it may use there (failover reserves included). No default."""
    grants: Grants = Field(default_factory=Grants)
    """Storage classes, priority classes, tolerations and outside names the tenant may use. Default nothing."""

    def allocation(self, country: str, zone: str) -> Allocation | None:
        """What the tenant's ``country`` stack may use in ``zone`` (``None``: nothing)."""
        return self.allocations.get(country.upper(), {}).get(zone)

    def zones(self, country: str) -> tuple[str, ...]:
        """The zones the tenant's ``country`` stack may use."""
        return tuple(self.allocations.get(country.upper(), {}))


def _check_against_catalog(
    contract: Contract,
    catalog: Catalog,
    source: str,
    registries: tuple[str, ...] | None,
    external_names: Mapping[str, tuple[str, ...]] | None,
) -> None:
    """Operator, countries, zones, GPU models and registries must exist where the contract says."""
    problems: list[tuple[str, str]] = []
    operators = catalog.operator_by_id
    home = operators.get(contract.home_operator)
    if home is None:
        problems.append(("home_operator", f"{contract.home_operator!r} is not an operator of the catalog; allowed: "
                         f"{', '.join(sorted(operators))}"))  # fmt: skip
    elif home.identity_issuer is None:
        with_issuer = sorted(o.id for o in catalog.operators if o.identity_issuer)
        problems.append(("home_operator", f"{home.id!r} runs no identity issuer, so it cannot sign the tenant's "
                         f"identity; operators with one: {', '.join(with_issuer) or 'none'}"))  # fmt: skip
    for country in contract.allocations:
        if country not in contract.countries:
            problems.append((f"allocations.{country}", f"{country} is not among the contract's countries "
                             f"({', '.join(contract.countries)})"))  # fmt: skip
    for country, zones in contract.allocations.items():
        for zone_id, allocation in zones.items():
            where = f"allocations.{country}.{zone_id}"
            zone = catalog.zone_by_id.get(zone_id)
            if zone is None:
                problems.append((where, f"{zone_id!r} is not a zone of the catalog; zones: "
                                 f"{', '.join(sorted(catalog.zone_by_id))}"))  # fmt: skip
                continue
            for model in allocation.gpus:
                if model not in zone.capacity.gpus:
                    offered = ", ".join(sorted(zone.capacity.gpus)) or "none"
                    problems.append((f"{where}.gpus.{model}", f"zone {zone_id} offers no GPU model {model!r}; "
                                     f"it offers: {offered}"))  # fmt: skip
    for i, registry in enumerate(contract.registries):
        if registries is not None and registry not in registries:
            problems.append((f"registries[{i}]", f"{registry!r} is not in the federation's allow-list; allowed: "
                             f"{', '.join(registries)}"))  # fmt: skip
    for country, names in contract.grants.external_names.items():
        for i, name in enumerate(names):
            if external_names is not None and name not in external_names.get(country, ()):
                problems.append((f"grants.external_names.{country}[{i}]", f"{name!r} is not a name the federation "
                                 f"allows in {country} (pack config disallow-external-name.allowedNames); allowed: "
                                 f"{', '.join(external_names.get(country, ())) or 'none'}"))  # fmt: skip
    if problems:
        raise ConfigError(source, problems)


def load_contract(
    path: Path,
    catalog: Catalog,
    registries: tuple[str, ...] | None = None,
    external_names: Mapping[str, tuple[str, ...]] | None = None,
) -> Contract:
    """Load and validate one contract against its family's catalog and the federation's pack config.

    ``registries`` is the federation's allow-list and ``external_names`` the outside names it allows per
    country (the family's pack config); ``None`` leaves them to the caller that reads the pack config.
    """
    key = file_key(path)
    memo = (
        key,
        str(path),
        id(catalog),
        registries,
        tuple(sorted((external_names or {}).items())),
        external_names is None,
    )
    if key is not None and memo in _CONTRACTS and _CONTRACTS[memo][0] is catalog:
        return _CONTRACTS[memo][1]
    contract = validate(Contract, load_yaml(path), str(path))
    if contract.tenant != path.stem:
        raise ConfigError(str(path), [("tenant", f"{contract.tenant!r} must equal the file name {path.stem!r}")])
    if contract.tenant in RESERVED_TENANTS:
        raise ConfigError(str(path), [("tenant", f"{contract.tenant!r} is reserved; choose another name")])
    _check_against_catalog(contract, catalog, str(path), registries, external_names)
    if key is not None:
        _CONTRACTS[memo] = (catalog, contract)  # the catalog kept alive: its id is never another's
    return contract


_CONTRACTS: dict[object, tuple[Catalog, Contract]] = {}
"""Contracts validated in this process, by file, catalog and the federation's lists: the model is frozen."""


def load_contracts(
    folder: Path,
    catalog: Catalog,
    registries: tuple[str, ...] | None = None,
    external_names: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Contract]:
    """Every contract of a family's folder, by tenant."""
    if not folder.is_dir():
        raise ConfigError(str(folder), [("", "is not a folder of tenant contracts (<tenant>.yaml)")])
    return {
        path.stem: load_contract(path, catalog, registries, external_names) for path in sorted(folder.glob("*.yaml"))
    }
