"""The report as a page an auditor reads: jinja2 templates, real tables, and a map with the countries' outlines.

The map is an SVG drawn by the template from a :class:`MapView`: the countries around the zones
(Natural Earth outlines, :mod:`edgefed_ops.reports.atlas`), EU/EEA countries set apart from the rest,
every zone coloured by its operator's home jurisdiction, failover edges, and the data flows that leave a
zone's country (to a destination the pack config places in another country), with a legend. The page is
self-contained: no script, no link, no font or image from elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from edgefed.core.inputs.geography import geography
from edgefed_ops.reports.atlas import Country, Ring, countries
from edgefed_ops.reports.sovereignty import Report

WIDTH = 820
"""Width of the map in pixels; its height follows from the area shown."""
MARGIN_DEGREES = 2.5
"""Degrees of latitude shown around the zones and destinations (twice that in longitude, for the labels)."""


@dataclass(frozen=True)
class Shape:
    """A country drawn on the map."""

    code: str
    name: str
    path: str
    eea: bool
    label: tuple[float, float] | None
    """Where its code is written (None: its centre is off the map)."""


@dataclass(frozen=True)
class Mark:
    """A zone on the map."""

    id: str
    x: float
    y: float
    eu_law: bool
    title: str


@dataclass(frozen=True)
class Line:
    """A failover edge or a flow."""

    x1: float
    y1: float
    x2: float
    y2: float
    title: str


@dataclass(frozen=True)
class MapView:
    """Everything the template draws, in pixels."""

    width: int
    height: int
    shapes: tuple[Shape, ...]
    zones: tuple[Mark, ...]
    failovers: tuple[Line, ...]
    flows: tuple[Line, ...]


class _Projection:
    """Equirectangular around the area's middle latitude (distances east-west scaled by its cosine)."""

    def __init__(self, points: Iterable[tuple[float, float]]) -> None:
        found = list(points)
        lons, lats = [p[0] for p in found], [p[1] for p in found]
        self.west, self.east = min(lons) - MARGIN_DEGREES * 2, max(lons) + MARGIN_DEGREES * 3
        self.south, self.north = min(lats) - MARGIN_DEGREES, max(lats) + MARGIN_DEGREES
        self.stretch = math.cos(math.radians((self.south + self.north) / 2))
        self.scale = WIDTH / ((self.east - self.west) * self.stretch)
        self.height = round((self.north - self.south) * self.scale)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return round((lon - self.west) * self.stretch * self.scale, 1), round((self.north - lat) * self.scale, 1)

    def sees(self, west: float, south: float, east: float, north: float) -> bool:
        return west < self.east and east > self.west and south < self.north and north > self.south

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def _path(rings: Iterable[Ring], project: _Projection) -> str:
    parts = []
    for ring in rings:
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        if not project.sees(min(lons), min(lats), max(lons), max(lats)):
            continue
        points: list[tuple[float, float]] = []
        for lon, lat in ring:
            point = project(lon, lat)
            if not points or point != points[-1]:
                points.append(point)
        if len(points) > 2:
            parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
    return "".join(parts)


def map_view(report: Report, outlines: Sequence[Country]) -> MapView:
    """The map of the report's zones, failover edges and cross-border flows over the countries' outlines."""
    by_code = {c.code: c for c in outlines}
    flows = [
        (stack_flow, destination)
        for stack in report.stacks
        for stack_flow in stack.flows
        for destination in stack_flow.destinations
        if destination.kind in ("cidr", "name") and destination.country and destination.country != stack_flow.country
    ]
    anchors = [(z.longitude, z.latitude) for z in report.zones]
    anchors += [by_code[d.country].label_point() for _, d in flows if d.country in by_code]
    project = _Projection(anchors or [(2.35, 48.85)])
    eea = geography().eea
    shapes = []
    for country in outlines:
        if not project.sees(*country.bounds()):
            continue
        path = _path((ring for polygon in country.polygons for ring in polygon), project)
        if path:
            centre = country.label_point()
            label = project(*centre) if project.contains(*centre) else None
            shapes.append(Shape(country.code, country.name, path, country.code in eea, label))
    where = {z.id: project(z.longitude, z.latitude) for z in report.zones}
    zones = tuple(
        Mark(z.id, *where[z.id], eu_law=z.operator_jurisdiction in eea,
             title=f"{z.id} ({z.country}, {z.operator}, under {z.operator_jurisdiction or 'unknown'} law)")
        for z in report.zones
    )  # fmt: skip
    failovers = tuple(
        Line(*where[e.primary], *where[e.failover], title=f"{e.app} {e.site}: {e.primary} -> {e.failover}")
        for e in report.failover_edges
        if e.primary in where and e.failover in where
    )
    lines = []
    for flow, destination in flows:
        if flow.zone in where and destination.country in by_code:
            target = project(*by_code[destination.country].label_point())
            title = f"{flow.app} in {flow.zone} -> {destination.target} ({destination.country})"
            lines.append(Line(*where[flow.zone], *target, title=title))
    unique = tuple({(line.x1, line.y1, line.x2, line.y2): line for line in lines}.values())
    return MapView(WIDTH, project.height, tuple(shapes), zones, failovers, unique)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("edgefed_ops", "reports/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_page(report: Report, atlas: Path) -> str:
    """The self-contained page of ``report``, its map drawn over the outlines in ``atlas``."""
    view = map_view(report, countries(atlas))
    return _environment().get_template("report.html.j2").render(report=report, map=view)
