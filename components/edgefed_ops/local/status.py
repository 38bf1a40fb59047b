"""The local federation as ``edgefed federation status`` shows it: a row per zone and per object store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from edgefed.core.inputs.catalog import Zone
from edgefed_ops.local import ports, processes
from edgefed_ops.local.zone import PROCESSES, running
from edgefed_ops.local.zone_client import UNREACHABLE, ZoneClient


@dataclass(frozen=True)
class ZoneRow:
    """One zone: its processes, whether its API answers, its ready nodes."""

    id: str
    country: str
    processes: int
    expected: int
    ready: bool
    ready_nodes: int


@dataclass(frozen=True)
class StoreRow:
    """One country's object store: whether something listens on its endpoint."""

    country: str
    endpoint: str
    region: str
    up: bool


def zone_row(zone: Zone, folder: Path) -> ZoneRow:
    """A zone's row, read from its folder and its API server."""
    records = processes.load(folder / PROCESSES)
    client = ZoneClient(folder / "kubeconfig", timeout=2)
    try:
        ready = (folder / "kubeconfig").exists() and client.answers()
        nodes = client.ready_nodes() if ready else 0
    except UNREACHABLE:
        ready, nodes = False, 0
    finally:
        client.close()
    return ZoneRow(zone.id, zone.country, len(running(folder)), len(records) or 5, ready, nodes)


def store_row(country: str, endpoint: str, region: str) -> StoreRow:
    """A store's row."""
    parsed = urlparse(endpoint)
    return StoreRow(country, endpoint, region, ports.listening(parsed.hostname or "127.0.0.1", parsed.port or 0))


def lines(zones: list[ZoneRow], stores: list[StoreRow]) -> list[str]:
    """The human table."""
    out = [f"{'zone':32} {'country':7} {'processes':10} {'api':6} nodes"]
    for z in zones:
        nodes = f"{z.ready_nodes} ready" if z.ready else "-"
        out.append(
            f"{z.id:32} {z.country:7} {f'{z.processes}/{z.expected}':10} {'ready' if z.ready else 'DOWN':6} {nodes}"
        )
    for s in stores:
        out.append(
            f"{'s3 ' + s.country:32} {s.country:7} {'':10} {'up' if s.up else 'DOWN':6} {s.endpoint} ({s.region})"
        )
    return out
