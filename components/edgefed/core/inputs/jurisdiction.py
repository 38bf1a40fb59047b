"""Whose law governs each operator: the catalog's ``jurisdiction``, read once for rules and placement. Pure.

Placement (which leaves foreign-law zones out for the bound data classes) and the pack's
``require-eu-jurisdiction`` rule (which refuses them) share these definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.geography import geography

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog, Operator

JURISDICTION_POLICY = "require-eu-jurisdiction"
DEFAULT_EU_JURISDICTION_CLASSES = ("restricted",)
"""Data classes bound to EU/EEA-jurisdiction operators when the pack config names none."""


def jurisdiction_problem(operator: Operator | None) -> str | None:
    """Why an operator's home law is not the EU/EEA's (``None`` when it is); an unstated one fails."""
    if operator is None:
        return "an operator the catalog does not list"
    if operator.jurisdiction is None:
        return f"{operator.name}, whose jurisdiction the catalog does not state"
    if operator.jurisdiction not in geography().eea:
        return f"{operator.name}, under {operator.jurisdiction} jurisdiction outside the EU/EEA"
    return None


def eu_jurisdiction_zones(catalog: Catalog) -> frozenset[str]:
    """The zones whose operator's home jurisdiction is in the EU/EEA."""
    return frozenset(
        z.id for z in catalog.zones if jurisdiction_problem(catalog.operator_by_id.get(z.operator)) is None
    )


def eu_law_classes(policy: Mapping[str, Any]) -> tuple[str, ...]:
    """The bound data classes of the rule's own config (its default when it names none); unknown ones fail."""
    found = tuple(policy.get("dataClasses") or DEFAULT_EU_JURISDICTION_CLASSES)
    unknown = [value for value in found if value not in labels.CLASSIFICATIONS]
    if unknown:
        raise ValueError(
            f"{JURISDICTION_POLICY}.dataClasses: {', '.join(map(repr, unknown))} not a data classification; "
            "allowed: " + ", ".join(labels.CLASSIFICATIONS)
        )
    return found


def pack_eu_law_classes(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The bound data classes of a whole pack config."""
    part = config.get(JURISDICTION_POLICY)
    return eu_law_classes(part if isinstance(part, Mapping) else {})
