"""Where a site may fail over: the countries its app's failover mode and residency allow. Pure logic."""

from __future__ import annotations

from collections.abc import Iterable

from edgefed.core.inputs.geography import geography


def failover_countries(country: str, residency: Iterable[str], mode: str) -> frozenset[str]:
    """Countries a site in ``country`` may fail over to under ``mode`` (``neighbour`` or ``any-in-residency``).

    Always inside both the residency and the EU/EEA, never the site's own country (that is not a failover).
    """
    geo = geography()
    allowed = frozenset(residency) & frozenset(geo.eea)
    if mode == "neighbour":
        return (geo.neighbours.get(country, frozenset()) & allowed) - {country}
    if mode == "any-in-residency":
        return allowed - {country}
    return frozenset()
