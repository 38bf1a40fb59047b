"""Render ``stacks/Pulumi.<prefix><cc>.yaml`` per stack family of ``stacks/stacksets.yaml``.

A stack file has two owners. edgefed renders the settings that follow from the catalog and the app
specs (``edgefed:country``, ``zones``, ``apps``, the family's settings); a user owns what Pulumi writes
when they run ``pulumi stack init`` or ``pulumi config set`` in the repository (the encryption salt or
secrets provider, their secrets such as ``edgefed:kubeconfig-<zone>``, any other key they set). Rendering
keeps the user's part and rewrites edgefed's; the freshness check compares edgefed's part only, by value,
so a ``pulumi config set --secret`` never makes a committed stack stale and a hand edit of a rendered key
always does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from edgefed.core.inputs.appspec import AppSpec, load_app_spec
from edgefed.core.inputs.catalog import Catalog, load_catalog
from edgefed.core.inputs.contract import Contract, load_contracts
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.geography import geography
from edgefed.core.inputs.stacksets import StackFamily, load_stacksets
from edgefed.core.inputs.yamlfile import Yaml12Loader
from edgefed.core.placement.latency import ZoneSearch

USER_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")
"""Top-level keys of a stack file that Pulumi writes for the user; never rendered, always kept."""


@dataclass(frozen=True)
class Rendered:
    """One stack file: the text edgefed renders and the config it sets."""

    path: Path
    text: str

    @property
    def config(self) -> dict[str, Any]:
        """The rendered config keys and values."""
        return dict((yaml.load(self.text, Loader=Yaml12Loader) or {}).get("config") or {})


def _templates(root: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / "stacks" / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(root: Path) -> list[Rendered]:
    """The rendered part of every stack file: each family's operator zone stacks and tenant app stacks."""
    templates = _templates(root)
    out = []
    for family in load_stacksets(root / "stacks" / "stacksets.yaml"):
        catalog = load_catalog(root / family.catalog)
        contracts = load_contracts(root / family.contracts, catalog)
        out += _operator_stacks(root, family, catalog, templates.get_template("operator.yaml.j2"))
        for tenant, apps in family.tenants.items():
            contract = contracts.get(tenant)
            if contract is None:
                raise ConfigError(
                    str(root / "stacks" / "stacksets.yaml"),
                    [(f"tenants.{tenant}", f"has no contract {family.contracts}/{tenant}.yaml; contracts there: "
                      f"{', '.join(sorted(contracts)) or 'none'}")],
                )  # fmt: skip
            out += _tenant_stacks(root, family, catalog, contract, apps, templates.get_template("tenant.yaml.j2"))
    return out


def _operator_stacks(root: Path, family: StackFamily, catalog: Catalog, template: jinja2.Template) -> list[Rendered]:
    """One zone stack per operator with zones in the catalog."""
    out = []
    for operator in catalog.operators:
        zones = [z for z in catalog.zones if z.operator == operator.id]
        if not zones:
            continue
        text = template.render(operator=operator, catalog_path=family.catalog, contracts=family.contracts, zones=zones)
        out.append(Rendered(root / "stacks" / f"Pulumi.{family.operator_stack(operator.id)}.yaml", text))
    return out


def _tenant_stacks(
    root: Path,
    family: StackFamily,
    catalog: Catalog,
    contract: Contract,
    apps: Sequence[str],
    template: jinja2.Template,
) -> list[Rendered]:
    """One app stack per country where one of the tenant's apps has a site, on the zones its contract allocates."""
    geo = geography()
    specs = [load_app_spec(root / "stacks" / "apps" / f"{name}.yaml") for name in apps]
    contract_path = f"{family.contracts}/{contract.tenant}.yaml"
    for spec in specs:
        check_site_countries(root / "stacks" / "apps" / f"{spec.name}.yaml", spec, catalog, family.catalog)
        check_contracted_countries(root / "stacks" / "apps" / f"{spec.name}.yaml", spec, contract, contract_path)
    out = []
    for country in sorted({site.country for spec in specs for site in spec.sites}):
        allocated = set(contract.zones(country))
        zones = sorted((z for z in catalog.zones if z.id in allocated), key=lambda z: (z.country != country, z.id))
        text = template.render(
            tenant=contract.tenant,
            contract=contract_path,
            country=country,
            country_name=geo.name(country),
            catalog_path=family.catalog,
            zones=zones,
            apps=sorted(spec.name for spec in specs if any(site.country == country for site in spec.sites)),
            settings=family.settings,
        )
        out.append(Rendered(root / "stacks" / f"Pulumi.{family.tenant_stack(contract.tenant, country)}.yaml", text))
    return out


def check_contracted_countries(path: Path, spec: AppSpec, contract: Contract, contract_path: str) -> None:
    """Every site's country must be one the tenant's contract allocates zones in."""
    problems = [
        (
            f"sites[{i}].country",
            f"site {site.name!r} of app {spec.name!r} is in {site.country}, where {contract_path} allocates no zone; "
            f"add {site.country} and its zones to the contract or remove the site",
        )
        for i, site in enumerate(spec.sites)
        if not contract.zones(site.country)
    ]
    if problems:
        raise ConfigError(str(path), problems)


def check_site_countries(path: Path, spec: AppSpec, catalog: Catalog, catalog_name: str) -> None:
    """Every site's country must have a zone: a stack for a country without one could never deploy."""
    search = ZoneSearch(catalog)
    problems = []
    for i, site in enumerate(spec.sites):
        if catalog.zones_in(site.country):
            continue
        scope = spec.residency_countries - {site.country}
        active = lambda z: z.status == "active"  # noqa: E731
        near = search.best(site, frozenset(scope), active, site.latency_budget_ms, spec.home_operator)
        if near is not None:
            serve = (
                f"within its {site.latency_budget_ms:g} ms budget it could be served from {near[0].id} "
                f"({near[0].country}) at {near[1]:.1f} ms"
            )
        else:
            serve = f"no zone of the app's residency is within its {site.latency_budget_ms:g} ms budget either"
        problems.append(
            (
                f"sites[{i}].country",
                f"site {site.name!r} of app {spec.name!r} is in {site.country}, where {catalog_name} has no zone; "
                f"{serve}; add a {site.country} zone to the catalog or remove the site",
            )
        )
    if problems:
        raise ConfigError(str(path), problems)


def _existing(path: Path) -> dict[str, Any]:
    return dict((yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader) if path.exists() else None) or {})


def merged_text(rendered: Rendered) -> str:
    """The rendered text followed by what the user set in the existing file (kept, never rendered)."""
    existing = _existing(rendered.path)
    generated = rendered.config
    user_config = {k: v for k, v in (existing.get("config") or {}).items() if k not in generated}
    user_top = {k: existing[k] for k in USER_KEYS if k in existing}
    text = rendered.text
    if user_config:
        dumped = yaml.safe_dump({"config": user_config}, sort_keys=True).split("\n", 1)[1]
        text += "  # Set with `pulumi config set`, kept by `edgefed render`:\n" + dumped
    if user_top:
        text += yaml.safe_dump(user_top, sort_keys=True)
    return text


def stale(rendered: Rendered) -> str | None:
    """Why a committed stack file does not hold what edgefed renders, or None when it does."""
    if not rendered.path.exists():
        return "missing"
    existing = _existing(rendered.path)
    config = existing.get("config") or {}
    for key, value in rendered.config.items():
        if key not in config:
            return f"{key} is missing"
        if config[key] != value:
            return f"{key} is {config[key]!r}, the catalog and app specs give {value!r}"
    unknown = set(existing) - {"config", *USER_KEYS}
    if unknown:
        return f"unexpected top-level key(s) {', '.join(sorted(unknown))}"
    return None


def write(root: Path) -> list[Path]:
    """Render every stack file, keeping what users set; return the files that changed."""
    changed = []
    for item in render(root):
        text = merged_text(item)
        if not item.path.exists() or item.path.read_text(encoding="utf-8") != text:
            item.path.write_text(text, encoding="utf-8")
            changed.append(item.path)
    return changed


def check(root: Path) -> dict[str, str]:
    """Stack file name to why it is stale, for every stale one; an app spec no family runs counts too."""
    stale_files = {item.path.name: why for item in render(root) if (why := stale(item)) is not None}
    for name in unlisted_apps(root):
        stale_files[f"stacks/apps/{name}.yaml"] = "no tenant of stacks/stacksets.yaml runs it, so no stack deploys it"
    return stale_files


def unlisted_apps(root: Path) -> list[str]:
    """App specs under ``stacks/apps`` that no stack family runs (a how-to step left out)."""
    families = load_stacksets(root / "stacks" / "stacksets.yaml")
    listed = {name for family in families for apps in family.tenants.values() for name in apps}
    return sorted(p.stem for p in (root / "stacks" / "apps").glob("*.yaml") if p.stem not in listed)
