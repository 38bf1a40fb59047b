"""What every edgefed policy shares: metadata, config defaults, catalogs, and failing closed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

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

from edgefed.catalog import Catalog, load_catalog
from edgefed.geography import geography
from edgefed.residency import Finding, describe_resource, zone_of_provider

VERBS = ("disallow", "enforce", "configure", "require")
"""The fixed verb list policy names start with."""

FRAMEWORK = PolicyComplianceFramework(
    name="GDPR Chapter V",
    version="2016/679",
    reference="Articles 44-50: transfers of personal data to third countries",
    specification="edgefed EU/EEA residency: data never leaves the EU/EEA",
)
"""The compliance framework every edgefed policy serves."""
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


def _metadata(name: str, tags: list[str], remediation: str, config_schema: PolicyConfigSchema | None) -> dict[str, Any]:
    """What every edgefed policy declares: mandatory, critical, GDPR Chapter V, named <verb>-<noun>."""
    if name.split("-", 1)[0] not in VERBS:
        raise ValueError(f"policy name {name!r} must start with one of {', '.join(VERBS)}")
    return {
        "enforcement_level": EnforcementLevel.MANDATORY,
        "severity": SEVERITY,
        "framework": FRAMEWORK,
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
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A mandatory, critical, fail-closed resource policy with edgefed's metadata."""
    validate = fail_closed(name, check, lambda args: describe_resource(args.resource_type, args.name))
    return ResourceValidationPolicy(name, description, validate, **_metadata(name, tags, remediation, config_schema))


def stack_policy(
    name: str,
    description: str,
    check: StackCheck,
    *,
    tags: list[str],
    remediation: str,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    """A mandatory, critical, fail-closed stack policy with edgefed's metadata."""
    validate = fail_closed(name, check, lambda _: "stack")
    return StackValidationPolicy(name, description, validate, **_metadata(name, tags, remediation, config_schema))
