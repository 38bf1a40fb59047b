"""disallow-unlisted-registry: images from allow-listed registries, pinned by digest for sensitive data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from edgefed.core.inputs.images import parse_image
from edgefed.core.rules.common import Finding, allowed_list, classification_of, containers_of, describe_resource, shown


def check_images(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    allowed_registries: Sequence[str],
    digest_required_for: Sequence[str],
) -> list[Finding]:
    """Images come from allow-listed registries (by host); restricted data needs images pinned by digest."""
    rule = "disallow-unlisted-registry"
    what = describe_resource(resource_type, name)
    classification = classification_of(resource_type, props)
    findings = []
    for container in containers_of(resource_type, props):
        image = str(container.get("image", ""))
        try:
            ref = parse_image(image)
        except ValueError as error:
            findings.append(Finding(rule, f"{what}: image {error}; rule {rule} allows only images it can read"))
            continue
        if ref.registry not in allowed_registries:
            findings.append(
                Finding(
                    rule,
                    f"{what}: image {shown(image, 320)} comes from registry {ref.registry}; rule {rule} allows "
                    f"only {allowed_list(allowed_registries)}",
                )
            )
        if classification in digest_required_for and ref.digest is None:
            findings.append(
                Finding(
                    rule,
                    f"{what}: image {shown(image, 320)} is not pinned by digest but the workload holds "
                    f"{classification} data; rule {rule} requires image@sha256:<digest> for "
                    f"{allowed_list(digest_required_for)} data",
                )
            )
    return findings
