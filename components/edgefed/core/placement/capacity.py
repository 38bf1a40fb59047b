"""Zone capacity: what an app's replicas demand, what is taken in each zone, and whether more fits.

Pure, no Pulumi import. Placement threads one :class:`Usage` through every app of a stack, or of the whole
federation, so that capacity is shared in one deterministic order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Capacity, Catalog, Zone

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


def exceeds(cap: Capacity, cpu: float, memory_gib: float, gpus: Mapping[str, int]) -> bool:
    """True when ``cpu`` cores, ``memory_gib`` GiB and ``gpus`` (by model) are more than ``cap`` holds."""
    if cpu > cap.cpu + EPSILON or memory_gib > cap.memory_gib + EPSILON:
        return True
    return any(n > cap.gpus.get(model, 0) for model, n in gpus.items())


def in_zone(zone: Zone, usage: Usage) -> tuple[float, float, dict[str, int]]:
    """(cores, GiB, GPUs by model) that ``usage`` takes in ``zone``."""
    gpus = {model: n for (zone_id, model), n in usage.gpus.items() if zone_id == zone.id}
    return usage.cpu.get(zone.id, 0.0), usage.memory_gib.get(zone.id, 0.0), gpus


def over(zone: Zone, usage: Usage) -> bool:
    """True when ``usage`` takes more of ``zone`` than it has (a what-if projection can; a plan never does)."""
    return exceeds(zone.capacity, *in_zone(zone, usage))


def fits(zone: Zone, demand: Demand, usage: Usage) -> bool:
    """True when ``demand`` fits in what ``usage`` leaves of ``zone``."""
    cpu, memory, gpus = in_zone(zone, usage)
    if demand.gpu_model is not None:
        gpus[demand.gpu_model] = gpus.get(demand.gpu_model, 0) + demand.gpus
    return not exceeds(zone.capacity, cpu + demand.cpu, memory + demand.memory_gib, gpus)


def reserves_full(spec: AppSpec, catalog: Catalog) -> bool:
    """The app's failover zones reserve its full primary replicas (``full``), not only its standbys."""
    return (spec.failover_capacity or catalog.failover_capacity) == "full"


def reserved_replicas(spec: AppSpec, role: Literal["primary", "standby", "drained"], catalog: Catalog) -> int:
    """Replicas whose capacity a zone holds for the app in ``role``.

    A primary holds its replicas; a standby its warm replicas, or the full primary count when the app
    reserves full failover capacity (the takeover is then guaranteed to fit); a drained zone nothing.
    """
    if role == "drained":
        return 0
    if role == "primary":
        return spec.replicas_per_zone
    return max(spec.replicas_per_zone, spec.standby_replicas) if reserves_full(spec, catalog) else spec.standby_replicas


def take(zone: Zone, demand: Demand, usage: Usage) -> None:
    """Record ``demand`` as taken in ``zone``."""
    usage.cpu[zone.id] = usage.cpu.get(zone.id, 0.0) + demand.cpu
    usage.memory_gib[zone.id] = usage.memory_gib.get(zone.id, 0.0) + demand.memory_gib
    if demand.gpu_model is not None:
        key = (zone.id, demand.gpu_model)
        usage.gpus[key] = usage.gpus.get(key, 0) + demand.gpus


@dataclass(frozen=True)
class Amounts:
    """Cores, GiB and GPUs by model: what a zone has, a contract allocates there or a plan reserves there."""

    cpu: float = 0.0
    """Cores."""
    memory_gib: float = 0.0
    """GiB of memory."""
    gpus: Mapping[str, int] = field(default_factory=dict)
    """GPUs by model."""

    @staticmethod
    def of(capacity: Capacity) -> Amounts:
        """A zone's (or an allocation's) capacity as amounts."""
        return Amounts(capacity.cpu, capacity.memory_gib, dict(capacity.gpus))

    def plus(self, other: Amounts) -> Amounts:
        """Both together."""
        gpus = {m: self.gpus.get(m, 0) + other.gpus.get(m, 0) for m in {*self.gpus, *other.gpus}}
        return Amounts(self.cpu + other.cpu, self.memory_gib + other.memory_gib, gpus)

    def over(self, capacity: Capacity) -> bool:
        """More than ``capacity`` holds."""
        return exceeds(capacity, self.cpu, self.memory_gib, self.gpus)

    def text(self) -> str:
        """``cpu 4, memory 6 GiB, nvidia-l4 2`` (GPUs only when there are some)."""
        extra = "".join(f", {model} {n}" for model, n in sorted(self.gpus.items()) if n)
        return f"cpu {self.cpu:g}, memory {self.memory_gib:g} GiB{extra}"


def total(amounts: Iterable[Amounts]) -> Amounts:
    """The sum of amounts (nothing: zero)."""
    out = Amounts()
    for one in amounts:
        out = out.plus(one)
    return out


@dataclass(frozen=True)
class SharedZone:
    """One zone as every tenant of its catalog uses it: its catalog capacity against contracts and plans."""

    zone: Zone
    """The catalog zone, with its real capacity."""
    allocated: Mapping[str, Amounts]
    """Per tenant, what its contract allocates in the zone (its country stacks together)."""
    reserved: Mapping[str, Amounts]
    """Per tenant, what its federation plan reserves in the zone."""

    @property
    def problem(self) -> str | None:
        """Why the zone cannot hold what its operator sold or the plans reserve (``None``: it can)."""
        sold, used = total(self.allocated.values()), total(self.reserved.values())
        if not sold.over(self.zone.capacity) and not used.over(self.zone.capacity):
            return None
        return (
            f"zone {self.zone.id}: its catalog capacity is {Amounts.of(self.zone.capacity).text()}; the contracts "
            f"allocate {sold.text()} there ({_by_tenant(self.allocated)}) and the tenants' plans reserve {used.text()} "
            f"({_by_tenant(self.reserved)}): the zone cannot hold what its operator's contracts promise"
        )


def _by_tenant(amounts: Mapping[str, Amounts]) -> str:
    return "; ".join(f"{t} {a.text()}" for t, a in sorted(amounts.items()) if a.cpu or a.gpus) or "nothing"
