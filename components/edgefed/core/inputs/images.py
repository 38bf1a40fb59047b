"""Container image references: the distribution spec's grammar, one parser for specs, rules and zones. Pure.

No third-party import: the policy pack loads this at start-up, which the engine waits for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edgefed.core.inputs.text import shown

IMAGE_PATTERN = (
    r"^(?:(?P<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?)/)?"
    r"(?P<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
"""The distribution spec's image reference grammar (ASCII, valid both as Python ``re`` and as RE2, so the
zones' admission policy matches exactly what the policy pack parses)."""
_IMAGE = re.compile(IMAGE_PATTERN)
IMAGE_NAME_MAX = 255
"""Longest image name (registry and repository) the distribution spec's reference grammar allows."""


@dataclass(frozen=True)
class ImageRef:
    """A container image reference split into its parts."""

    registry: str
    """Registry host (``docker.io`` when the reference names none)."""
    repository: str
    """Repository path inside the registry."""
    tag: str | None
    """Tag, if any."""
    digest: str | None
    """``sha256:...`` digest, if pinned."""


def parse_image(reference: str) -> ImageRef:
    """Split an image reference; ``ValueError`` explaining the expected form otherwise."""
    match = _IMAGE.match(reference)
    if not match:
        raise ValueError(
            f"{shown(reference)} is not an image reference; "
            "expected registry.example.eu/repo/name:tag[@sha256:<64 hex>]"
        )
    name = f"{match['registry']}/{match['repository']}" if match["registry"] else match["repository"]
    if len(name) > IMAGE_NAME_MAX:
        raise ValueError(
            f"{shown(reference)} has a name of {len(name)} characters; an image name has at most {IMAGE_NAME_MAX}"
        )
    registry = match["registry"]
    repository = match["repository"]
    # Docker's rule: the first part is a registry only if it looks like a host name.
    if registry is not None and "." not in registry and ":" not in registry and registry != "localhost":
        repository = f"{registry}/{repository}"
        registry = None
    return ImageRef(registry or "docker.io", repository, match["tag"], match["digest"])
