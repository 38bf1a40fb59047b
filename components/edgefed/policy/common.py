"""What every edgefed policy shares: metadata, config defaults, catalogs, and failing closed."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from edgefed.core.inputs.geography import geography
from edgefed.core.rules.common import Finding, describe_resource, zone_of_provider
from edgefed.core.rules.pack_config import Destinations

if TYPE_CHECKING:
    from edgefed.core.inputs.catalog import Catalog

VERBS = ("disallow", "enforce", "configure", "require")
"""The fixed verb list policy names start with."""

SOVEREIGNTY_OBJECTIVES = {
    "SOV-2": "Legal & Jurisdictional Sovereignty",
    "SOV-3": "Data & AI Sovereignty",
    "SOV-5": "Supply Chain Sovereignty",
    "SOV-7": "Security & Compliance",
}
"""The EU Cloud Sovereignty Framework (v1.2.1, October 2025) objectives edgefed's policies serve."""
GDPR_CHAPTER_V = {
    "44": "General principle for transfers",
    "45": "Transfers on the basis of an adequacy decision",
    "46": "Transfers subject to appropriate safeguards",
    "48": "Transfers or disclosures not authorised by Union law",
    "49": "Derogations for specific situations",
}
"""The GDPR Chapter V articles (Regulation (EU) 2016/679) edgefed's policies serve."""


@dataclass(frozen=True)
class Compliance:
    """What one policy serves, as data: its GDPR Chapter V articles and its sovereignty objective."""

    articles: tuple[str, ...]
    """Article numbers of GDPR Chapter V (``"44"``...)."""
    sovereignty: str
    """EU Cloud Sovereignty Framework objective (``"SOV-3"``)."""

    def framework(self) -> PolicyComplianceFramework:
        """The policy's compliance framework as the engine (and SARIF) reports it."""
        articles = ", ".join(f"Art. {a} ({GDPR_CHAPTER_V[a]})" for a in self.articles)
        return PolicyComplianceFramework(
            name="GDPR Chapter V",
            version="2016/679",
            reference=articles,
            specification=f"EU Cloud Sovereignty Framework 1.2.1 {self.sovereignty} "
            f"{SOVEREIGNTY_OBJECTIVES[self.sovereignty]}",
        )


COMPLIANCE: dict[str, Compliance] = {}
"""Per policy name, what it serves (filled as the policies are defined)."""
SEVERITY = Severity.CRITICAL
DEFAULT_CATALOGS = ["stacks/catalog/federation.yaml"]

CATALOGS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Catalog files that define the zones, relative to the repository holding the pack.",
    "default": DEFAULT_CATALOGS,
}
COUNTRIES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "description": "ISO 3166-1 alpha-2 countries where data may live (default: the EU/EEA).",
}


def destinations_schema(description: str, items: dict[str, Any]) -> dict[str, Any]:
    """A per-country allow-list (``{"FR": [...]}``), empty unless the pack config says."""
    return {
        "type": "object",
        "propertyNames": {"pattern": "^[A-Z]{2}$"},
        "additionalProperties": {"type": "array", "items": items},
        "description": description,
        "default": {},
    }


def schema(**properties: dict[str, Any]) -> PolicyConfigSchema:
    """A policy config schema from JSON-schema properties."""
    return PolicyConfigSchema(properties=dict(properties))


_BASE_DIR: list[Path] = [Path.cwd()]


def set_base_dir(folder: Path) -> None:
    """Resolve relative catalog paths of the pack config against ``folder`` (the pack sets its repository)."""
    _BASE_DIR[0] = folder
    _catalog.cache_clear()


@cache
def _catalog(paths: tuple[str, ...]) -> Catalog:
    # Imported here: the catalog's pydantic models are the heaviest part of the pack's start-up, which the
    # engine waits for before it runs the program; the pack warms them up in the background meanwhile.
    from edgefed.core.inputs.catalog import Catalog, load_catalog

    catalogs = [load_catalog(_BASE_DIR[0] / p) for p in paths]
    if len(catalogs) == 1:
        return catalogs[0]
    merged = {
        "operators": {o.id: o for c in catalogs for o in c.operators}.values(),
        "countries": {x.code: x for c in catalogs for x in c.countries}.values(),
        "zones": [z for c in catalogs for z in c.zones],
    }
    return Catalog.model_validate({key: [item.model_dump() for item in value] for key, value in merged.items()})


def catalog_from(config: Mapping[str, Any]) -> Catalog:
    """The catalog named by a policy's config (the pack config, never the stack config)."""
    return _catalog(tuple(config.get("catalogs") or DEFAULT_CATALOGS))


def allowed_countries(config: Mapping[str, Any]) -> list[str]:
    """Allowed countries from the policy config, clipped to the EU/EEA whatever the config says."""
    configured = config.get("allowedCountries") or sorted(geography().eea)
    return sorted(set(configured) & set(geography().eea))


def zone_of(args: ResourceValidationArgs) -> str | None:
    """The catalog zone a resource is deployed to, through its provider."""
    if args.provider is None:
        return None
    return zone_of_provider(args.provider.props)


def zone_country(args: ResourceValidationArgs, config: Mapping[str, Any]) -> str | None:
    """The country of the catalog zone a resource is deployed to (``None``: not a zone of the pack's catalogs)."""
    zone = zone_of(args)
    found = catalog_from(config).zone_by_id.get(zone) if zone else None
    return found.country if found else None


def destinations_of(config: Mapping[str, Any], policy: str) -> Destinations:
    """The allowed destinations in one policy's own config (its part of the pack config)."""
    return _destinations(policy, json.dumps(config, sort_keys=True))


DestinationRule = Callable[[str, str, Mapping[str, Any], "str | None", Destinations], list[Finding]]
"""A rule judged by the zone's country and the allowed destinations (the egress and ExternalName rules)."""


def destination_check(policy: str, rule: DestinationRule) -> ResourceCheck:
    """A policy's check of ``rule``.

    The rule gets the country of the zone the resource really targets and the policy's own destinations.
    """

    def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        found = rule(
            args.resource_type, args.name, args.props, zone_country(args, config), destinations_of(config, policy)
        )
        report(found, report_violation)

    return check


@cache
def _destinations(policy: str, config: str) -> Destinations:
    # Parsed once per config: the engine hands each validation a fresh copy of the same config.
    return Destinations.of({policy: json.loads(config)})


def report(findings: Sequence[Finding], report_violation: ReportViolation, urn: str | None = None) -> None:
    """Report each finding."""
    for finding in findings:
        report_violation(finding.message, urn)


ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]
Args = TypeVar("Args", ResourceValidationArgs, StackValidationArgs)


def fail_closed(
    rule: str, check: Callable[[Args, ReportViolation], None], subject: Callable[[Args], str]
) -> Callable[[Args, ReportViolation], None]:
    """Run ``check``; a value unknown at preview time is a violation, not a silently advisory skip."""

    def validate(args: Args, report_violation: ReportViolation) -> None:
        try:
            check(args, report_violation)
        except UnknownValueError as exc:
            report_violation(
                f"{subject(args)}: {exc.message}; rule {rule} decides on inputs known at preview time and "
                "fails closed: make this value a static input",
                None,
            )

    return validate


def _metadata(
    name: str, tags: list[str], remediation: str, config_schema: PolicyConfigSchema | None, compliance: Compliance
) -> dict[str, Any]:
    """What every edgefed policy declares: mandatory, critical, GDPR Chapter V, named <verb>-<noun>."""
    if name.split("-", 1)[0] not in VERBS:
        raise ValueError(f"policy name {name!r} must start with one of {', '.join(VERBS)}")
    if not set(compliance.articles) <= GDPR_CHAPTER_V.keys() or compliance.sovereignty not in SOVEREIGNTY_OBJECTIVES:
        raise ValueError(f"policy {name!r}: unknown GDPR article or sovereignty objective in {compliance}")
    COMPLIANCE[name] = compliance
    return {
        "enforcement_level": EnforcementLevel.MANDATORY,
        "severity": SEVERITY,
        "framework": compliance.framework(),
        "tags": tags,
        "remediation_steps": remediation,
        "config_schema": config_schema,
    }


def resource_policy(
    name: str,
    description: str,
    check: ResourceCheck,
    *,
    tags: list[str],
    remediation: str,
    compliance: Compliance,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A mandatory, critical, fail-closed resource policy with edgefed's metadata."""
    validate = fail_closed(name, check, lambda args: describe_resource(args.resource_type, args.name))
    return ResourceValidationPolicy(
        name, description, validate, **_metadata(name, tags, remediation, config_schema, compliance)
    )


def stack_policy(
    name: str,
    description: str,
    check: StackCheck,
    *,
    tags: list[str],
    remediation: str,
    compliance: Compliance,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    """A mandatory, critical, fail-closed stack policy with edgefed's metadata."""
    validate = fail_closed(name, check, lambda _: "stack")
    return StackValidationPolicy(
        name, description, validate, **_metadata(name, tags, remediation, config_schema, compliance)
    )
