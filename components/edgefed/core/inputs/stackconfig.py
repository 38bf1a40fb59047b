"""The configuration of one country stack (``stacks/Pulumi.<cc>.yaml``), validated before anything deploys."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from edgefed.core.inputs.appspec import AppSpec, load_app_spec
from edgefed.core.inputs.catalog import Catalog, load_catalog
from edgefed.core.inputs.contract import Contract, load_contract
from edgefed.core.inputs.errors import ConfigError, validate
from edgefed.core.inputs.fields import EEACountry, Name, StrictModel
from edgefed.core.inputs.yamlfile import load_yaml

NAMESPACE = "edgefed"
"""Config namespace of the project (``edgefed:country``...)."""
APPS_DIR = Path("stacks/apps")
"""Where app specs live, relative to the project root: ``<name>.yaml``."""


class StackConfig(StrictModel):
    """Settings of one tenant's country stack (``stacks/Pulumi.<tenant>-<cc>.yaml``).

    Keys are camelCase in the stack file (``edgefed:rolloutTimeoutSeconds``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    country: EEACountry
    """The stack's country (``fr``). No default: a stack serves exactly one country's sites."""
    tenant: Name
    """The tenant (enterprise) whose apps the stack runs; its namespaces are ``<tenant>-<country>`` in
    every zone. No default: every app stack belongs to one tenant and its contract."""
    contract: Annotated[str, Field(min_length=1)]
    """The tenant's contract with its home operator (``stacks/tenants/<family>/<tenant>.yaml``), relative
    to the project root: the zones the stack may use and what it may use there. No default."""
    catalog: str = "stacks/catalog/federation.yaml"
    """Catalog file, relative to the project root. Default the example federation."""
    zones: Annotated[tuple[Name, ...], Field(min_length=1)]
    """Catalog zones this stack may use: those its contract allocates to its country. No default."""
    apps: Annotated[tuple[Name, ...], Field(min_length=1)]
    """Apps to run, by name of their spec in ``stacks/apps/<name>.yaml``. No default."""
    outages: Annotated[str, Field(min_length=1)] = "stacks/outages.yaml"
    """The federation's outage state (zones down now), relative to the project root. Default the committed
    ``stacks/outages.yaml``, shared by every stack of the catalog: an outage in one country changes where
    the others fail over. A drill points every stack of its federation at a file of its own."""
    render_yaml_to: Annotated[str | None, BeforeValidator(lambda value: value or None)] = None
    """Render manifests under this directory instead of deploying (no cluster credentials needed).
    Default unset: deploy to the zones."""
    buckets: bool = True
    """Create each app's ResidentBucket in the country. Default true; false for manifest-only runs."""
    platform_ca: Annotated[str | None, BeforeValidator(lambda value: value or None)] = None
    """PEM of the certificate authority the operators' CAMARA platforms are checked with, for zones reached
    through a platform. Default unset: the system's trust store (`edgefed deploy` sets the local federation's)."""
    rollout_timeout_seconds: Annotated[int, Field(ge=10, le=7200)] = 600
    """How long `pulumi up` waits for a Deployment to become Ready in a zone before failing it. Default
    600 s, the Kubernetes provider's own; lower it where pods start fast, so that a zone that dies in
    the middle of a rollout fails the update in that time instead of ten minutes."""


class OperatorConfig(StrictModel):
    """Settings of one operator's zone stack (``stacks/Pulumi.<prefix>zones-<operator>.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    operator: Name
    """The operator whose zones the stack configures, with its own admin credential. No default."""
    catalog: str = "stacks/catalog/federation.yaml"
    """Catalog file, relative to the project root. Default the example federation."""
    contracts: Annotated[str, Field(min_length=1)]
    """The folder of the family's tenant contracts (``stacks/tenants/<family>``): every tenant with an
    allocation in one of the operator's zones gets its namespaces, quota and rights there. No default."""
    zones: Annotated[tuple[Name, ...], Field(min_length=1)]
    """The operator's zones the stack configures (all of its zones in the catalog). No default."""
    render_yaml_to: Annotated[str | None, BeforeValidator(lambda value: value or None)] = None
    """Render manifests under this directory instead of deploying (no credentials needed). Default unset."""


StackSettings = StackConfig | OperatorConfig


def _config_key(field: str) -> str:
    return f"{NAMESPACE}:{to_camel(field)}"


def _keys(model: type[StackSettings]) -> set[str]:
    return {_config_key(name) for name in model.model_fields}


def stack_kind(raw: Mapping[str, str], source: str) -> type[StackSettings]:
    """Which stack the config describes: an operator's zone stack or a tenant's country stack."""
    operator, country = raw.get(_config_key("operator"), ""), raw.get(_config_key("country"), "")
    if operator and country:
        raise ConfigError(source, [(_config_key("operator"), "an operator's zone stack sets no edgefed:country")])
    if operator:
        return OperatorConfig
    if country:
        return StackConfig
    return _missing_kind(source)


def _missing_kind(source: str) -> type[StackSettings]:
    raise ConfigError(
        source,
        [
            (
                NAMESPACE,
                "sets neither edgefed:country (a tenant's country stack) nor edgefed:operator (an operator's zone "
                "stack); render the stack files with `edgefed render`",
            )
        ],
    )


def _unset(text: str) -> bool:
    """A value the project file gives every stack by default (an empty string or list): not a setting."""
    return text in ("", "[]", "{}")


def parse_config(
    raw: Mapping[str, str],
    secret_keys: Sequence[str],
    catalog_keys: set[str],
    source: str,
    model: type[StackSettings] = StackConfig,
) -> StackSettings:
    """Validate the ``edgefed:`` keys of the Pulumi config map as ``model``.

    Values come as the engine passes them: strings, JSON for lists. Unknown non-secret keys are errors,
    so a typo never goes unnoticed; a key of the other kind of stack is an error unless it is unset.
    """
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    known, every = _keys(model), _keys(StackConfig) | _keys(OperatorConfig)
    for key, text in raw.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key in known:
            try:
                structured = text.startswith(("[", "{")) or text in ("true", "false")
                values[name] = json.loads(text) if structured else text
            except json.JSONDecodeError as exc:
                problems.append((key, f"is not valid JSON: {exc.msg}"))
        elif key in every:
            if not _unset(text) and key not in _project_defaults():
                problems.append((key, f"is not a setting of this kind of stack; allowed: {', '.join(sorted(known))}"))
        elif name not in catalog_keys:
            problems.append((key, f"is not a known setting; allowed: {', '.join(sorted(known))}"))
        elif key not in secret_keys:
            problems.append((key, "holds credentials and must be set with `pulumi config set --secret`"))
    if problems:
        raise ConfigError(source, problems)
    try:
        return validate(model, values, source)
    except ConfigError as exc:
        raise ConfigError(source, [(_prefixed(path), message) for path, message in exc.problems]) from None


def _project_defaults() -> frozenset[str]:
    """Settings of one kind that have a default: the engine passes it to every stack, of either kind."""
    defaults = set()
    for model in (StackConfig, OperatorConfig):
        defaults |= {_config_key(n) for n, info in model.model_fields.items() if not info.is_required()}
    return frozenset(defaults)


def _prefixed(path: str) -> str:
    head, sep, rest = path.partition("[")
    head, dot, tail = head.partition(".")
    key = f"{NAMESPACE}:{to_camel(head)}" if head else NAMESPACE
    return key + (f".{tail}" if dot else "") + (sep + rest if sep else "")


def secret_keys_of(catalog: Catalog) -> set[str]:
    """Config keys (without namespace) the catalog names as credentials."""
    keys = {zone.kubeconfig_secret for zone in catalog.zones}
    keys |= {zone.object_storage.credentials_secret for zone in catalog.zones}
    return keys


def state_country(raw: Mapping[str, str], catalog: Catalog) -> str:
    """Where a stack's state must live: a tenant stack's country, an operator's first home country."""
    operator = raw.get(_config_key("operator"), "")
    if operator and operator in catalog.operator_by_id:
        return catalog.operator_by_id[operator].home_countries[0]
    return raw.get(_config_key("country"), "").upper()


def catalog_path(raw: Mapping[str, str], root: Path) -> Path:
    """The catalog file named by the stack config (or the default), resolved under ``root``."""
    default: str = StackConfig.model_fields["catalog"].default
    return root / raw.get(_config_key("catalog"), default)


def check_against_catalog(config: StackConfig, catalog: Catalog, source: str) -> None:
    """Zone references of the stack must exist in the catalog."""
    problems = []
    known = sorted(catalog.zone_by_id)
    for i, zone_id in enumerate(config.zones):
        if zone_id not in catalog.zone_by_id:
            problems.append(
                (f"{NAMESPACE}:zones[{i}]", f"{zone_id!r} is not a catalog zone; allowed: {', '.join(known)}")
            )
    if not any(catalog.zone_by_id[z].country == config.country for z in config.zones if z in catalog.zone_by_id):
        problems.append((f"{NAMESPACE}:zones", f"lists no zone in {config.country}, the stack's country"))
    if problems:
        raise ConfigError(source, problems)


def check_against_contract(config: StackConfig, contract: Contract, source: str) -> None:
    """The stack's tenant must be the contract's, and its zones those the contract allocates to its country."""
    if contract.tenant != config.tenant:
        why = f"{config.tenant!r} but {config.contract} is {contract.tenant!r}'s contract"
        raise ConfigError(source, [(f"{NAMESPACE}:tenant", why)])
    if config.country not in contract.countries:
        why = f"{config.country} is not in {config.contract}'s countries ({', '.join(contract.countries)})"
        raise ConfigError(source, [(f"{NAMESPACE}:country", why)])
    allowed = contract.zones(config.country)
    problems = [
        (
            f"{NAMESPACE}:zones[{i}]",
            f"{zone_id!r} is outside {config.contract}, which allocates to {config.country} only: "
            f"{', '.join(allowed) or 'nothing'}",
        )
        for i, zone_id in enumerate(config.zones)
        if zone_id not in allowed
    ]
    if problems:
        raise ConfigError(source, problems)


def load_apps(config: StackConfig, root: Path, source: str) -> list[AppSpec]:
    """Load the stack's app specs, keeping only the sites in the stack's country."""
    specs = []
    for i, name in enumerate(config.apps):
        path = root / APPS_DIR / f"{name}.yaml"
        if not path.is_file():
            available = sorted(p.stem for p in (root / APPS_DIR).glob("*.yaml"))
            raise ConfigError(
                source, [(f"{NAMESPACE}:apps[{i}]", f"{name!r} has no spec at {path}; allowed: {', '.join(available)}")]
            )
        spec = load_app_spec(path)
        if spec.name != name:
            raise ConfigError(str(path), [("name", f"{spec.name!r} must equal the file name {name!r}")])
        sites = tuple(site for site in spec.sites if site.country == config.country)
        if not sites:
            raise ConfigError(
                source,
                [(f"{NAMESPACE}:apps[{i}]", f"{name!r} has no site in {config.country}; remove it or add a site")],
            )
        specs.append(spec.model_copy(update={"sites": sites}))
    return specs


def load_stack(
    raw: Mapping[str, str], secret_keys: Sequence[str], root: Path, stack: str
) -> tuple[StackConfig, Catalog, list[AppSpec], Contract]:
    """Validate a tenant stack's config, catalog, contract and app specs: everything needed before deploying."""
    source = f"stacks/Pulumi.{stack}.yaml"
    catalog = load_catalog(catalog_path(raw, root))
    config = parse_config(raw, secret_keys, secret_keys_of(catalog), source, stack_kind(raw, source))
    if not isinstance(config, StackConfig):
        raise ConfigError(source, [(f"{NAMESPACE}:operator", "an operator's zone stack places no apps")])
    check_against_catalog(config, catalog, source)
    contract = load_contract(root / config.contract, catalog)
    check_against_contract(config, contract, source)
    return config, catalog, load_apps(config, root, source), contract


def raw_from_stack_file(path: Path) -> dict[str, str]:
    """A stack file's plain config as the engine passes it to programs (strings; JSON for lists/objects).

    Secure values are left out: tools outside the engine cannot decrypt them and never need them.
    """
    data = load_yaml(path) or {}
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(str(path), [("config", "must be a mapping of keys to values")])
    raw: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, dict) and "secure" in value:
            continue
        raw[str(key)] = value if isinstance(value, str) else json.dumps(value)
    return raw
