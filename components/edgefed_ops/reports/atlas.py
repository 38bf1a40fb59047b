"""Country outlines for the report's map: Natural Earth 1:50m as the npm package ``world-atlas`` ships it.

scripts/bootstrap takes the package from the npm registry (pinned version, integrity-checked) into the
cache and links it at ``.tools/share/world-atlas``; nothing is downloaded here. The file is TopoJSON:
shared arcs, delta- and quantisation-encoded, that each country's polygons index (a negative index
``~i`` is arc ``i`` reversed). Countries are named by their ISO 3166-1 numeric code, which pycountry
turns into the alpha-2 code the catalog uses.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pycountry

from edgefed_ops.errors import OpsError

ATLAS = Path(".tools") / "share" / "world-atlas" / "countries-50m.json"
"""Where scripts/bootstrap links the outlines, relative to the repository."""

Ring = tuple[tuple[float, float], ...]
"""A closed ring of (longitude, latitude) points."""


@dataclass(frozen=True)
class Country:
    """One country's outline: its polygons, each an outer ring and its holes."""

    code: str
    """ISO 3166-1 alpha-2 (``FR``); the numeric code when ISO has no alpha-2 for it."""
    name: str
    polygons: tuple[tuple[Ring, ...], ...]

    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north of every ring."""
        points = [p for polygon in self.polygons for ring in polygon for p in ring]
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        return min(lons), min(lats), max(lons), max(lats)

    def label_point(self) -> tuple[float, float]:
        """A point to anchor the country's name and flows to it: the centre of its largest outer ring."""
        largest = max((polygon[0] for polygon in self.polygons), key=_area)
        lons, lats = [p[0] for p in largest], [p[1] for p in largest]
        return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2


def _area(ring: Ring) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))) / 2


def _decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(indices: Sequence[int], arcs: list[list[tuple[float, float]]]) -> Ring:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)  # consecutive arcs share their joining point
    return tuple(points)


def _code(numeric: str) -> str:
    found = pycountry.countries.get(numeric=numeric.zfill(3)) if numeric.isdigit() else None
    return found.alpha_2 if found else numeric


@cache
def countries(path: Path) -> tuple[Country, ...]:
    """Every country of a world-atlas countries file."""
    if not path.is_file():
        raise OpsError(f"the map's country outlines are missing ({path}): run scripts/bootstrap")
    topology = json.loads(path.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    out = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        kind, parts = geometry.get("type"), geometry.get("arcs") or []
        shapes = [parts] if kind == "Polygon" else parts if kind == "MultiPolygon" else []
        polygons = tuple(tuple(_ring(ring, arcs) for ring in shape) for shape in shapes if shape)
        if polygons:
            name = str((geometry.get("properties") or {}).get("name", ""))
            out.append(Country(_code(str(geometry.get("id", ""))), name, polygons))
    return tuple(out)
