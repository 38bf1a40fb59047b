"""What every residency rule shares: findings, names and values in messages, a resource's zone.

Also how a rule reads a resource's labels, containers and data classification, failing closed. Pure logic.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.geography import geography
from edgefed.core.rules.kinds import labels_at, node_at, pod_template_path

BUCKET_TYPE = "pulumi-python:dynamic/edgefed:ResidentBucket"
"""ResidentBucket's own dynamic resource type: buckets are recognised by it, not by their properties."""


@dataclass(frozen=True)
class Finding:
    """One violation of a residency rule."""

    rule: str
    """Policy name (``disallow-non-eu-zone``...)."""
    message: str
    """What a reviewer reads."""


def parse_residency_label(value: str) -> frozenset[str]:
    """Countries of a ``edgefed.io/residency`` label value (``eu`` or ``de.fr.it``)."""
    if value.lower() == "eu":
        return frozenset(geography().eea)
    return frozenset(code.upper() for code in value.split(".") if code)


def zone_of_provider(props: Mapping[str, Any]) -> str | None:
    """The catalog zone a Kubernetes provider targets.

    That is its ``clusterIdentifier``, or the last folder of ``renderYamlToDirectory`` (edgefed renders
    each zone to ``<dir>/<zone id>``).
    """
    cluster = props.get("clusterIdentifier")
    if cluster:
        return str(cluster)
    rendered = props.get("renderYamlToDirectory")
    if rendered:
        return posixpath.basename(str(rendered).rstrip("/"))
    return None


def describe_resource(resource_type: str, name: str) -> str:
    """How messages name a resource: ``Deployment 'web'``, ``provider 'fr-1'``, ``bucket 'data'``."""
    if resource_type.startswith("pulumi:providers:"):
        return f"provider '{name}'"
    if resource_type == BUCKET_TYPE:
        return f"bucket '{name}'"
    return f"{resource_type.rsplit(':', 1)[-1]} '{name}'"


def shown(value: object, limit: int = 64) -> str:
    """A value as messages show it: quoted, cut to ``limit`` characters (a value can be anything)."""
    text = repr(value) if value is not None else "(none)"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def allowed_list(values: Iterable[str]) -> str:
    """Values as messages list them: sorted, comma-separated, ``nothing`` when empty."""
    return ", ".join(sorted(values)) or "nothing"


def workload_labels(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, labels) of a workload: its own labels and its pod template's."""
    out = [("metadata.labels", labels_at(props))]
    template = pod_template_path(resource_type)
    if template:
        out.append((".".join((*template, "metadata", "labels")), labels_at(props, template)))
    return out


def containers_of(resource_type: str, props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Containers, init containers and ephemeral containers of a workload's (or patch's) pod spec."""
    template = pod_template_path(resource_type)
    spec = node_at(props, (*template, "spec")) if template is not None else None
    if spec is None:
        return []
    found = [
        *(spec.get("initContainers") or []),
        *(spec.get("containers") or []),
        *(spec.get("ephemeralContainers") or []),
    ]
    return [c for c in found if isinstance(c, Mapping)]


def classification_of(resource_type: str, props: Mapping[str, Any]) -> str:
    """The most sensitive data classification a resource or its pod template declares.

    Fail closed: a missing or unknown value counts as ``restricted`` (the missing label itself is
    reported by enforce-residency-labels), and the resource and its template disagreeing counts as the
    more sensitive of the two.
    """
    rank = {value: i for i, value in enumerate(labels.CLASSIFICATIONS)}
    found = [str(place.get(labels.CLASSIFICATION, "")) for _, place in workload_labels(resource_type, props)]
    return max((value if value in rank else "restricted" for value in found), key=rank.__getitem__)
