"""The one compliant workload the policy, admission and API-server tests start from (change one field each)."""

from __future__ import annotations

from typing import Any

REGISTRY = "registry.edgefed.eu"
PARIS = {
    "edgefed.io/country": "fr",
    "edgefed.io/operator": "orange",
    "edgefed.io/zone": "orange-fr-paris",
    "edgefed.io/residency": "eu",
    "edgefed.io/data-classification": "internal",
}
"""The labels of a compliant workload in the Paris zone of Orange France."""


def residency_labels(**changes: str | None) -> dict[str, str]:
    """PARIS with changes: ``data_classification="restricted"`` sets edgefed.io/data-classification, None removes."""
    found = dict(PARIS)
    for key, value in changes.items():
        label = "edgefed.io/" + key.replace("_", "-")
        if value is None:
            found.pop(label, None)
        else:
            found[label] = value
    return found


def compliant_deployment(
    name: str = "web",
    image: str = f"{REGISTRY}/acme/web:1",
    *,
    labels: dict[str, str] | None = None,
    pod_labels: dict[str, str] | None = None,
    replicas: int = 1,
    container: str = "web",
) -> dict[str, Any]:
    """A Deployment that every rule and the zone's admission policy accept (with the default labels)."""
    found = PARIS if labels is None else labels
    pods = dict(found) if pod_labels is None else pod_labels
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "edgefed-fr", "labels": dict(found)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name, **pods}},
                "spec": {"containers": [{"name": container, "image": image}]},
            },
        },
    }
