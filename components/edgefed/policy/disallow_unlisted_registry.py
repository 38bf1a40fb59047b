"""disallow-unlisted-registry: images come from allow-listed registries; restricted data pins digests."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from edgefed.core.rules.images import check_images
from edgefed.core.rules.pack_config import DEFAULT_DIGEST_FOR, DEFAULT_REGISTRIES, RegistryRules
from edgefed.policy.common import Compliance, report, resource_policy, schema

NAME = "disallow-unlisted-registry"


def _check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    rules = RegistryRules.of(args.get_config())
    report(check_images(args.resource_type, args.name, args.props, rules.allowed, rules.digest_for), report_violation)


POLICY = resource_policy(
    NAME,
    "Container images come only from allow-listed registries (by host), pinned by digest for "
    "restricted data: no image from a registry that could be compelled by a non-EU jurisdiction.",
    _check,
    tags=["residency", "supply-chain"],
    compliance=Compliance(articles=("44", "48"), sovereignty="SOV-5"),
    remediation="Mirror the image into an allow-listed EU registry and reference it by digest.",
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
            "default": list(DEFAULT_DIGEST_FOR),
        },
    ),
)
