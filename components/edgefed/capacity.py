"""Zone capacity: what an app's replicas demand, what is taken in each zone, and whether more fits.

Pure, no Pulumi import. Placement threads one :class:`Usage` through every app of a stack, or of the whole
federation, so that capacity is shared in one deterministic order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edgefed.appspec import AppSpec
from edgefed.catalog import Zone

EPSILON = 1e-9
"""Tolerance of float comparisons of cores and GiB."""


@dataclass
class Usage:
    """Capacity already taken in each zone, threaded through the apps placed in turn."""

    cpu: dict[str, float] = field(default_factory=dict)
    """Cores taken per zone."""
    memory_gib: dict[str, float] = field(default_factory=dict)
    """GiB taken per zone."""
    gpus: dict[tuple[str, str], int] = field(default_factory=dict)
    """GPUs taken per (zone, model)."""


@dataclass(frozen=True)
class Demand:
    """What some replicas of one app take in a zone."""

    cpu: float
    """Cores."""
    memory_gib: float
    """GiB."""
    gpu_model: str | None
    """GPU model, if the app needs GPUs."""
    gpus: int
    """GPUs of that model."""

    @staticmethod
    def of(spec: AppSpec, replicas: int) -> Demand:
        """``replicas`` replicas of ``spec``."""
        res = spec.resources
        return Demand(
            cpu=res.cpu * replicas,
            memory_gib=res.memory_mib * replicas / 1024,
            gpu_model=res.gpu.model if res.gpu else None,
            gpus=(res.gpu.count * replicas) if res.gpu else 0,
        )


def fits(zone: Zone, demand: Demand, usage: Usage) -> bool:
    """True when ``demand`` fits in what ``usage`` leaves of ``zone``."""
    cap = zone.capacity
    if usage.cpu.get(zone.id, 0.0) + demand.cpu > cap.cpu + EPSILON:
        return False
    if usage.memory_gib.get(zone.id, 0.0) + demand.memory_gib > cap.memory_gib + EPSILON:
        return False
    if demand.gpu_model is not None:
        have = cap.gpus.get(demand.gpu_model, 0)
        return usage.gpus.get((zone.id, demand.gpu_model), 0) + demand.gpus <= have
    return True


def take(zone: Zone, demand: Demand, usage: Usage) -> None:
    """Record ``demand`` as taken in ``zone``."""
    usage.cpu[zone.id] = usage.cpu.get(zone.id, 0.0) + demand.cpu
    usage.memory_gib[zone.id] = usage.memory_gib.get(zone.id, 0.0) + demand.memory_gib
    if demand.gpu_model is not None:
        key = (zone.id, demand.gpu_model)
        usage.gpus[key] = usage.gpus.get(key, 0) + demand.gpus
