"""FederatedEdgeApp: one app spec, placed on the zones and deployed where the plan says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from edgefed.components.errors import InputError
from edgefed.components.kubeobject import KubernetesObject, KubernetesObjectArgs
from edgefed.components.zone import EdgeZone
from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog, Operator, Zone
from edgefed.core.objects import manifests
from edgefed.core.objects.manifests import rollout_order
from edgefed.core.placement.placer import PlacementError, Plan, ZoneAssignment, place_all_drained
from edgefed.core.placement.plancheck import check_plan

TYPE_TOKEN = "edgefed:index:FederatedEdgeApp"


@dataclass(frozen=True)
class PlatformZone:
    """A zone the stack reaches through its operator's CAMARA platform (catalog ``reached_through: platform``)."""

    zone: Zone
    """The catalog zone."""
    operator: Operator
    """Its operator, whose ``platform_api`` is called."""
    tenant: str
    """The tenant."""
    home_operator: str
    """The tenant's home operator, whose issuer signed ``token``."""
    country: str
    """The stack's country."""
    token: pulumi.Input[str]
    """The tenant's token (secret)."""
    ca_pem: str | None = None
    """The CA the platform is checked with (default: the system's)."""


@dataclass(frozen=True)
class FederatedEdgeAppArgs:
    """Inputs of :class:`FederatedEdgeApp`."""

    spec: AppSpec
    """The app, the same in every country."""
    catalog: Catalog
    """The federation catalog, for placement."""
    zones: Mapping[str, EdgeZone]
    """Zone id to the EdgeZone the app may use (the stack's zones reached through Kubernetes)."""
    platform_zones: Mapping[str, PlatformZone] = field(default_factory=dict)
    """Zone id to the stack's zones reached through their operator's platform. Default none."""
    unavailable: Sequence[str] = ()
    """Zones that are down now; placement avoids them (and returns to them once they leave this list)."""
    plan: Plan | None = None
    """A plan computed beforehand (to share capacity between apps), checked against the spec and the
    catalog (:func:`edgefed.core.placement.plancheck.check_plan`); default: place here."""
    extra_labels: dict[str, str] = field(default_factory=dict)
    """More labels for every object. Default none."""
    rollout_timeout_seconds: int | None = None
    """Seconds to wait for each Deployment to become Ready (create and update). Default: the provider's
    (10 minutes)."""


def _checked_plan(name: str, args: FederatedEdgeAppArgs) -> Plan:
    """The plan given (checked against the spec and catalog), or the app placed here."""
    spec = args.spec
    # The program's placement path: unavailable zones keep their objects, drained, as in a stack.
    try:
        plan = (
            args.plan
            or place_all_drained(args.catalog, [spec], args.unavailable, zones=args.zones.keys())[0][spec.name]
        )
        plan.raise_for_problems()
    except (PlacementError, KeyError) as error:
        said = error.args[0] if isinstance(error, KeyError) else str(error)  # a KeyError's str() adds quotes
        raise InputError(f"FederatedEdgeApp {name}: {said}") from None
    problems = check_plan(spec, args.catalog, plan)
    if problems:
        raise InputError(
            f"FederatedEdgeApp {name}: the plan breaks app {spec.name}'s residency rules, nothing was deployed: "
            + "; ".join(problems)
            + ". Place the app with edgefed.core.placement.placer (leave plan unset), or fix the plan."
        )
    served = [a for a in plan.zones if a.zone in args.platform_zones and a.role != "drained"]
    for assignment in served:
        if assignment.role != "primary":
            raise InputError(
                f"FederatedEdgeApp {name}: zone {assignment.zone} is reached through its operator's platform, which "
                f"runs instances, not {assignment.role}s; keep it out of the app's failover zones"
            )
    missing = sorted(a.zone for a in plan.zones if a.zone not in args.zones and a.zone not in args.platform_zones)
    if missing:
        raise InputError(f"FederatedEdgeApp {name}: plan uses zones without an EdgeZone: {', '.join(missing)}")
    return plan


class FederatedEdgeApp(pulumi.ComponentResource):
    """Deploys an :class:`~edgefed.core.inputs.appspec.AppSpec` per its placement plan.

    Per zone of the plan: a Deployment (GPU requests and node selector where needed), a Service, a
    PodDisruptionBudget, a HorizontalPodAutoscaler (standbys pinned at their warm count), and a
    NetworkPolicy opening the app's ports. Standby Deployments carry ``edgefed.io/role=standby``;
    primaries roll out after the app's other zones (see :func:`rollout_order`).
    """

    if TYPE_CHECKING:  # for type checkers only, see edgefed.components.kubeobject.KubernetesObject
        plan: Plan
        """The placement this component deployed."""

    def __init__(self, name: str, args: FederatedEdgeAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Place the app (unless a plan is given) and register its per-zone resources under ``name``.

        A plan that cannot serve a site, breaks the app's residency rules or uses a zone without an
        :class:`EdgeZone` raises :class:`InputError` (one line, no traceback) before anything is registered.
        """
        spec = args.spec
        plan = _checked_plan(name, args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self.plan = plan
        endpoints: dict[str, list[str]] = {}
        deployments: dict[str, pulumi.Resource] = {}
        for assignment, waits_for in rollout_order(spec, plan):
            after = [deployments[zone_id] for zone_id in waits_for if zone_id in deployments]
            through = args.platform_zones.get(assignment.zone)
            if through is not None:
                if assignment.role != "drained":  # a drained platform zone runs no instance
                    deployments[assignment.zone], endpoints[assignment.zone] = self._instance(name, spec, through)
                continue
            zone = args.zones[assignment.zone]
            deployments[assignment.zone], endpoints[assignment.zone] = self._deploy(
                name, spec, zone, assignment, args, after
            )
        self.endpoints = endpoints
        self.register_outputs({"plan": plan.to_dict(), "endpoints": endpoints})

    def _instance(self, name: str, spec: AppSpec, through: PlatformZone) -> tuple[pulumi.Resource, list[str]]:
        # Imported here: the platform client (httpx2) costs a stack without platform zones nothing.
        from edgefed.components.platform_app import PlatformEdgeApp, PlatformEdgeAppArgs

        args = PlatformEdgeAppArgs(
            spec=spec,
            zone=through.zone,
            operator=through.operator,
            tenant=through.tenant,
            home_operator=through.home_operator,
            country=through.country,
            token=through.token,
            ca_pem=through.ca_pem,
        )
        found = PlatformEdgeApp(f"{name}-{through.zone.id}", args, pulumi.ResourceOptions(parent=self))
        return found, found.endpoints  # type: ignore[return-value]

    def _deploy(
        self,
        name: str,
        spec: AppSpec,
        zone: EdgeZone,
        assignment: ZoneAssignment,
        args: FederatedEdgeAppArgs,
        after: Sequence[pulumi.Resource],
    ) -> tuple[KubernetesObject, list[str]]:
        prefix = f"{name}-{assignment.zone}"
        objects = manifests.app_objects(spec, assignment, zone.labels, zone.namespace, args.extra_labels)
        # Workloads wait for the zone (namespace, quota, admission policy) to exist.
        opts = pulumi.ResourceOptions(parent=self, provider=zone.provider, depends_on=[zone])

        def register(suffix: str, more: pulumi.ResourceOptions | None = None) -> KubernetesObject:
            found = objects[suffix]
            body = KubernetesObjectArgs(
                found["apiVersion"], found["kind"], metadata=found["metadata"], spec=found["spec"]
            )
            return KubernetesObject(f"{prefix}-{suffix}", body, opts=pulumi.ResourceOptions.merge(opts, more))

        # Every running zone has an autoscaler, which owns the replica count (the Deployment declares none
        # but a drained zone's 0, see manifests.deployment_spec): primaries scale between replicas_per_zone
        # and the ceiling, standbys are pinned. The Deployment is updated after it, so that on failover or failback the
        # autoscaler never pulls the replica count back to the old role's bounds (a drained zone keeps
        # its healthy bounds: nothing changes there while it is unreachable, and a Deployment at zero
        # replicas is not scaled).
        autoscaler = register("hpa")
        wait = args.rollout_timeout_seconds
        timeouts = pulumi.CustomTimeouts(create=f"{wait}s", update=f"{wait}s") if wait else None
        deployment = register(
            "deployment", pulumi.ResourceOptions(depends_on=[autoscaler, *after], custom_timeouts=timeouts)
        )
        for suffix in ("pdb", "egress", "service", "ingress"):
            if suffix in objects:
                register(suffix)
        if not spec.ports:
            return deployment, []
        namespace = zone.namespace_name
        return deployment, [f"{spec.name}.{namespace}.svc.cluster.local:{p.port}" for p in spec.ports]
