"""Residency labels carried by every Kubernetes object edgefed creates.

The same keys are used by the components, the policy pack and the in-zone admission policy.
"""

from __future__ import annotations

from collections.abc import Iterable

PREFIX = "edgefed.io"
COUNTRY = f"{PREFIX}/country"
OPERATOR = f"{PREFIX}/operator"
ZONE = f"{PREFIX}/zone"
RESIDENCY = f"{PREFIX}/residency"
ROLE = f"{PREFIX}/role"
CLASSIFICATION = f"{PREFIX}/data-classification"
APP = "app.kubernetes.io/name"
MANAGED_BY = "app.kubernetes.io/managed-by"

RESIDENCY_KEYS = (COUNTRY, OPERATOR, ZONE, RESIDENCY)
"""Labels that every namespace and workload must carry."""
WORKLOAD_KEYS = (*RESIDENCY_KEYS, CLASSIFICATION, APP)
"""Labels that every workload (and its pod template) must carry: a rule never assumes a default for a
label an author can omit, so a workload without its data classification or its app is refused."""
CLASSIFICATIONS = ("public", "internal", "personal", "restricted")
"""The values of :data:`CLASSIFICATION`, least to most sensitive."""


def residency_value(residency: str | Iterable[str]) -> str:
    """Label value for a residency: ``eu`` or the sorted lower-case codes joined by dots (``de.fr.it``)."""
    if isinstance(residency, str):
        return residency.lower()
    return ".".join(sorted(code.lower() for code in residency))


def zone_labels(*, zone: str, country: str, operator: str, residency: str) -> dict[str, str]:
    """The residency labels of one zone; ``residency`` is already a label value."""
    return {
        COUNTRY: country.lower(),
        OPERATOR: operator,
        ZONE: zone,
        RESIDENCY: residency,
        MANAGED_BY: "edgefed",
    }
