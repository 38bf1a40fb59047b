"""The takeover's fast path: serve a lost zone's sites through the zones' APIs first, then `up` records it.

When a zone dies, each site it served moves to the zone the new federation plan names. The objects the app
needs there are a pure function of the plan (:func:`edgefed.core.objects.manifests.app_objects`, which
``FederatedEdgeApp`` registers too): the leader applies exactly those through the zone's API with the
tenant's own identity (the zone's guards judge every write, as for `up`), the autoscaler first, and scales
the Deployment to the primary's replicas at once. A warm standby there is promoted (its role and bounds
change, its running pods stay), written as the stack's own field manager, so that ``pulumi up`` with the
pack, which follows, finds it as it would write it and records the same state; a zone without one gets
the app's objects as ``edgefed-takeover``, which ``up`` adopts and the fast path then gives up.

It applies only within what was checked before: the outage's slice of the federation plan was previewed
with the pack ahead of time (:mod:`edgefed_ops.failover.prechecks`), and the zone accepts each write.
Otherwise the leader deploys as it always did (the full `up`) and says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.contract import tenant_namespace
from edgefed.core.objects.manifests import app_objects, replica_bounds
from edgefed.core.placement.federation import FederationPlan
from edgefed.core.placement.plan import ZoneAssignment
from edgefed_ops.failover.watch_config import TenantScope
from edgefed_ops.local.zone_client import REFUSED, UNREACHABLE, ZoneClient, open_zone

FIELD_MANAGER = "edgefed-takeover"
"""The field manager of the fast path's writes (released once `up` has recorded them)."""
ZONE_RESIDENCY = "eu"
"""The residency label a tenant's zone gives its objects before the app's own (``EdgeZoneArgs.residency``'s
default, which the tenant program keeps); the app's residency then replaces it."""


@dataclass(frozen=True)
class Arrival:
    """One app's new primary in one zone: the objects it needs there, and the primary's replicas."""

    stack: str
    app: str
    zone: str
    replicas: int
    objects: tuple[dict[str, Any], ...]
    """The app's objects in the zone, in the order they apply (autoscaler first)."""

    @property
    def namespace(self) -> str:
        """The stack's namespace in the zone."""
        return str(self.objects[0]["metadata"]["namespace"])


@dataclass(frozen=True)
class FastPath:
    """What the fast path did, or why it did not apply (then the full `up` runs as before)."""

    arrived: tuple[Arrival, ...] = ()
    why_not: str = ""
    seconds: float = 0.0
    written: tuple[Arrival, ...] = ()
    """What it wrote as its own field manager (objects no stack had applied), each arrival with only the
    objects the zone accepted, also when a refusal stopped it half-way: released once `up` (which writes
    the same objects) has recorded them."""

    @property
    def taken(self) -> bool:
        """The new primaries were brought up through the zones' APIs."""
        return bool(self.arrived) and not self.why_not


def _objects(plan: FederationPlan, stack: str, spec: AppSpec, assignment: ZoneAssignment) -> dict[str, dict[str, Any]]:
    """The objects ``stack`` registers for the app in one zone of its slice, by resource-name suffix."""
    catalog = plan.federation.full_catalog or plan.federation.catalog
    member = plan.federation.member(stack)
    zone = catalog.zone(assignment.zone)
    marks = labels.zone_labels(zone=zone.id, country=zone.country, operator=zone.operator, residency=ZONE_RESIDENCY)
    return app_objects(spec, assignment, marks, tenant_namespace(member.config.tenant, member.config.country))


def slice_manifests(plan: FederationPlan, stack: str) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(zone, app, suffix, manifest) of every object the stack registers for its apps under ``plan``."""
    specs = {spec.name: spec for spec in plan.federation.member(stack).specs}
    for app, app_plan in plan.slice(stack).items():
        for assignment in app_plan.zones:
            for suffix, manifest in _objects(plan, stack, specs[app], assignment).items():
                yield assignment.zone, app, suffix, manifest


def arrivals(old: FederationPlan, new: FederationPlan, stacks: Iterable[str]) -> list[Arrival]:
    """Every app of ``stacks`` whose primary the new plan puts in a zone where it was not primary before."""
    found = []
    for stack in stacks:
        specs = {spec.name: spec for spec in new.federation.member(stack).specs}
        before = old.slice(stack)
        for app, plan in new.slice(stack).items():
            was = {a.zone: a.role for a in before[app].zones} if app in before else {}
            for assignment in plan.zones:
                if assignment.role != "primary" or was.get(assignment.zone) == "primary":
                    continue
                objects = _objects(new, stack, specs[app], assignment)
                low, _ = replica_bounds(specs[app], assignment)
                found.append(Arrival(stack, app, assignment.zone, low, tuple(objects.values())))
    return found


def identities(arrival: Arrival) -> dict[str, Any]:
    """What the store keeps of an arrival until `up` records it: its zone and its objects' identities."""
    names = [
        {
            "apiVersion": o["apiVersion"],
            "kind": o["kind"],
            "metadata": {k: o["metadata"][k] for k in ("name", "namespace")},
        }
        for o in arrival.objects
    ]
    return {"stack": arrival.stack, "app": arrival.app, "zone": arrival.zone, "objects": names}


def released_objects(recorded: Iterable[dict[str, Any]]) -> list[Arrival]:
    """The arrivals a leader recorded (their objects' identities only), to release their fields."""
    return [Arrival(r["stack"], r["app"], r["zone"], 0, tuple(r["objects"])) for r in recorded]


def _begun(written: Iterable[Arrival]) -> tuple[Arrival, ...]:
    """The arrivals of which the fast path wrote at least one object as its own manager."""
    return tuple(arrival for arrival in written if arrival.objects)


class Promoter:
    """Brings the new primaries up through the zones' APIs with the tenant's own identity."""

    def __init__(self, scope: TenantScope, timeout: float, progress: Callable[[str], None]) -> None:
        self.scope, self.timeout, self.progress = scope, timeout, progress

    def bring_up(self, found: Sequence[Arrival]) -> FastPath:
        """Apply each arrival's objects (autoscaler first) and scale its Deployment; the first refusal stops it."""
        began = time.monotonic()
        clients: dict[str, ZoneClient] = {}
        written: list[Arrival] = []  # each arrival begun, with the objects the zone accepted so far
        try:
            for arrival in found:
                client = clients.setdefault(
                    arrival.zone, ZoneClient(self.scope.kubeconfig(arrival.zone), timeout=self.timeout)
                )
                written.append(replace(arrival, objects=()))
                for manifest in arrival.objects:
                    # As the stack's own manager when it applied the object (a warm standby): `up` then finds
                    # the object as it would write it, and owns every field; otherwise as the fast path,
                    # whose fields `up` adopts and the fast path then gives up.
                    manager = client.stack_manager(manifest) or FIELD_MANAGER
                    client.apply(manifest, manager)
                    if manager == FIELD_MANAGER:
                        written[-1] = replace(arrival, objects=(*written[-1].objects, manifest))
                client.scale(arrival.namespace, arrival.app, arrival.replicas)
        except REFUSED as error:
            refused = written[-1]
            why = f"{refused.zone} refused {refused.stack}/{refused.app}: {error.status.message or error.status.code}"
            return FastPath(why_not=why, written=_begun(written))
        except UNREACHABLE as error:
            return FastPath(why_not=f"a zone of a new primary did not answer: {error}", written=_begun(written))
        finally:
            for client in clients.values():
                client.close()
        return FastPath(tuple(found), "", time.monotonic() - began, _begun(written))

    def release(self, found: Iterable[Arrival]) -> int:
        """Give up the fast path's field ownership once `up` owns the same fields; the objects released.

        An object whose fields `up` does not own (yet) is kept as it is, and said: giving them up would
        change it.
        """
        released = 0
        for arrival in found:
            try:
                with open_zone(self.scope.kubeconfig(arrival.zone), timeout=self.timeout) as client:
                    for manifest in arrival.objects:
                        if client.release(manifest, FIELD_MANAGER):
                            released += 1
                        else:
                            name = f"{manifest['kind']} {manifest['metadata']['name']}"
                            self.progress(f"fast path: {name} in {arrival.zone} kept: `up` does not own its fields")
            except (REFUSED, *UNREACHABLE) as error:
                self.progress(
                    f"fast path: {arrival.app} in {arrival.zone} not released, the next takeover will: {error}"
                )
        return released
