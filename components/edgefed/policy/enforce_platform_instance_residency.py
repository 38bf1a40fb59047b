"""enforce-platform-instance-residency: app instances made through operators' platforms are judged like workloads."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.inputs.jurisdiction import eu_law_classes
from edgefed.core.rules.pack_config import RegistryRules
from edgefed.core.rules.platform_instances import INSTANCE_TYPE, check_platform_instance
from edgefed.policy.common import (
    CATALOGS_SCHEMA,
    COUNTRIES_SCHEMA,
    Compliance,
    allowed_countries,
    catalog_from,
    report,
    resource_policy,
    schema,
)

NAME = "enforce-platform-instance-residency"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != INSTANCE_TYPE:
        return  # platform instances are PlatformAppInstances, recognised by their type
    config = args.get_config()
    registries = RegistryRules.of(config)
    found = check_platform_instance(
        args.name,
        args.props,
        catalog_from(config),
        allowed_countries(config),
        eu_law_classes(config),
        registries.allowed,
        registries.digest_for,
    )
    report(found, report_violation)


POLICY = resource_policy(
    NAME,
    "An app instance made through an operator's CAMARA platform runs in a catalog zone found from its platform "
    "and platform id, in an allowed country and the app's residency, under EU/EEA law for bound classes, in its "
    "stack's country for restricted data, from an allow-listed registry.",
    _check,
    tags=["residency", "platform"],
    compliance=Compliance(articles=("44", "48"), sovereignty="SOV-3"),
    remediation="Deploy through PlatformEdgeApp to a catalog zone whose platform_id and operator platform_api match.",
    config_schema=schema(
        catalogs=CATALOGS_SCHEMA,
        allowedCountries=COUNTRIES_SCHEMA,
        dataClasses={
            "type": "array",
            "items": {"enum": ["public", "internal", "personal", "restricted"]},
            "description": "Data classes that run only on operators under EU/EEA law.",
            "default": ["restricted"],
        },
        allowedRegistries={
            "type": "array",
            "items": {"type": "string"},
            "description": "Registry hosts images may come from.",
            "default": ["registry.edgefed.eu"],
        },
        requireDigestFor={
            "type": "array",
            "items": {"enum": ["public", "internal", "personal", "restricted"]},
            "description": "Data classifications whose images must be pinned by digest.",
            "default": ["restricted"],
        },
    ),
)
