"""disallow-unlisted-registry: images come from allow-listed registries; restricted data pins digests."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from edgefed.policy.common import DEFAULT_REGISTRIES, FRAMEWORK, SEVERITY, fail_closed_resource, report, schema
from edgefed.residency import check_images

NAME = "disallow-unlisted-registry"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    registries = list(config.get("allowedRegistries") or DEFAULT_REGISTRIES)
    digest_for = list(config.get("requireDigestFor") or ["restricted"])
    report(check_images(args.resource_type, args.name, args.props, registries, digest_for), report_violation)


POLICY = ResourceValidationPolicy(
    name=NAME,
    description="Container images come only from allow-listed registries (by host), pinned by digest for "
    "restricted data: no image from a registry that could be compelled by a non-EU jurisdiction.",
    validate=fail_closed_resource(NAME, _check),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=schema(
        allowedRegistries={
            "type": "array",
            "items": {"type": "string"},
            "description": "Registry hosts images may come from.",
            "default": DEFAULT_REGISTRIES,
        },
        requireDigestFor={
            "type": "array",
            "items": {"enum": ["public", "internal", "personal", "restricted"]},
            "description": "Data classifications whose images must be pinned by digest.",
            "default": ["restricted"],
        },
    ),
    severity=SEVERITY,
    framework=FRAMEWORK,
    tags=["residency", "supply-chain"],
    remediation_steps="Mirror the image into an allow-listed EU registry and reference it by digest.",
)
