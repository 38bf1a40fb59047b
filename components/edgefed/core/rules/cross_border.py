"""disallow-cross-border-restricted: placements stay in residency; restricted data never crosses a border."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.geography import geography
from edgefed.core.rules.common import Finding, allowed_list, classification_of, parse_residency_label, zone_of_provider
from edgefed.core.rules.kinds import WORKLOAD_KINDS, labels_at

if TYPE_CHECKING:  # the catalog's models (pydantic) load only when a rule first needs them
    from edgefed.core.inputs.catalog import Catalog


@dataclass(frozen=True)
class Placed:
    """A workload as the cross-border rule sees it."""

    kind: str
    """Its kind as messages name it (``Deployment``)."""
    name: str
    app: str
    role: str
    """``primary``, ``standby``...; a workload without a role is never a primary."""
    classification: str
    residency: frozenset[str]
    country: str
    zone: str


def placed(
    resource_type: str, name: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None, catalog: Catalog
) -> Placed | None:
    """A workload as the rule sees it, placed by the zone its provider targets (``None``: not a workload).

    Patches change workloads in place; they place nothing. Fail closed: a missing label never makes a
    workload less restricted or more widely allowed.
    """
    if resource_type not in WORKLOAD_KINDS:
        return None
    found = labels_at(props)
    zone_id = zone_of_provider(provider) if provider is not None else None
    zone = catalog.zone_by_id.get(zone_id or "")
    country = zone.country if zone else str(found.get(labels.COUNTRY, "")).upper() or "an unknown country"
    return Placed(
        kind=resource_type.rsplit(":", 1)[-1],
        name=name,
        app=str(found.get(labels.APP) or "(no app label)"),
        role=str(found.get(labels.ROLE) or "workload without a role"),
        classification=classification_of(resource_type, props),
        residency=parse_residency_label(str(found.get(labels.RESIDENCY) or "")),
        country=country,
        zone=zone_id or "unknown",
    )


def check_cross_border(placed: Sequence[Placed]) -> list[Finding]:
    """Check a whole stack's placements.

    Placements stay inside their app's residency, and restricted apps never cross a border: all their
    workloads run in one country, that of their primaries (an app without primaries may use one country).
    """
    rule = "disallow-cross-border-restricted"
    findings = []
    for item in placed:
        if item.country not in item.residency:
            findings.append(
                Finding(
                    rule,
                    f"{item.kind} '{item.name}': {item.role} of app {item.app} in {item.country} (zone "
                    f"{item.zone}) is outside its residency; rule {rule} allows only {allowed_list(item.residency)}",
                )
            )
    by_app: dict[str, list[Placed]] = {}
    for item in placed:
        if item.classification == "restricted":
            by_app.setdefault(item.app, []).append(item)
    for app, items in sorted(by_app.items()):
        countries = sorted({i.country for i in items})
        home = sorted({i.country for i in items if i.role == "primary"}) or (countries if len(countries) == 1 else [])
        for item in items:
            if item.country not in home:
                neighbour = "" if geography().is_eea(item.country) else ", outside the EU/EEA"
                where = f"across the border from {', '.join(home)}" if home else "with no primary to anchor it"
                findings.append(
                    Finding(
                        rule,
                        f"{item.kind} '{item.name}': {item.role} of restricted app {app} in "
                        f"{item.country}{neighbour} (zone {item.zone}), {where}; "
                        f"rule {rule} allows restricted data only in {', '.join(home) or 'one country, its primaries'}",
                    )
                )
    return findings
