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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from edgefed.core.inputs.appspec import AppSpec, load_app_spec
from edgefed.core.inputs.catalog import Catalog, load_catalog
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.geography import geography
from edgefed.core.inputs.stacksets import load_stacksets
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


def render(root: Path) -> list[Rendered]:
    """The rendered part of every stack file, for every country with a site of a family's apps."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / "stacks" / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    template = env.get_template("country.yaml.j2")
    geo = geography()
    out = []
    for family in load_stacksets(root / "stacks" / "stacksets.yaml"):
        catalog = load_catalog(root / family.catalog)
        specs = [load_app_spec(root / "stacks" / "apps" / f"{name}.yaml") for name in family.apps]
        for spec in specs:
            check_site_countries(root / "stacks" / "apps" / f"{spec.name}.yaml", spec, catalog, family.catalog)
        for country in sorted({site.country for spec in specs for site in spec.sites}):
            nearby = {country} | geo.neighbours[country]
            zones = sorted(
                (z for z in catalog.zones if z.country in nearby), key=lambda z: (z.country != country, z.id)
            )
            apps = sorted(spec.name for spec in specs if any(site.country == country for site in spec.sites))
            text = template.render(
                country=country,
                country_name=geo.name(country),
                catalog_path=family.catalog,
                zones=zones,
                apps=apps,
                settings=family.settings,
            )
            out.append(Rendered(root / "stacks" / f"Pulumi.{family.prefix}{country.lower()}.yaml", text))
    return out


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
        stale_files[f"stacks/apps/{name}.yaml"] = (
            "no family of stacks/stacksets.yaml lists it under apps, so no stack deploys it"
        )
    return stale_files


def unlisted_apps(root: Path) -> list[str]:
    """App specs under ``stacks/apps`` that no stack family runs (a how-to step left out)."""
    listed = {name for family in load_stacksets(root / "stacks" / "stacksets.yaml") for name in family.apps}
    return sorted(p.stem for p in (root / "stacks" / "apps").glob("*.yaml") if p.stem not in listed)
