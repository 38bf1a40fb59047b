"""EdgeZone: one operator zone as a tenant sees it, through the tenant's own identity.

The operator made the tenant's namespace there (:class:`~edgefed.components.operator_zone.OperatorZone`);
the tenant's stack only reaches it, with an explicit provider, and deploys its apps into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from edgefed.components.provider import zone_provider
from edgefed.core.inputs import labels
from edgefed.core.inputs.catalog import Zone

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s

TYPE_TOKEN = "edgefed:index:EdgeZone"
NETWORKING = "networking.k8s.io/v1"


@dataclass(frozen=True)
class EdgeZoneArgs:
    """Inputs of :class:`EdgeZone`."""

    zone: Zone
    """The catalog zone. Country and operator are static, so policies decide on them at preview time."""
    namespace: str
    """The tenant's namespace there (``<tenant>-<cc>``), made by the zone's operator from the contract."""
    kubeconfig: pulumi.Input[str] | None = None
    """The tenant's kubeconfig for the zone (its identity's token; wrapped as a secret here). Required unless
    ``render_yaml_to`` is set."""
    render_yaml_to: str | None = None
    """Write manifests under this directory (``<dir>/<zone id>``) instead of talking to the cluster."""
    residency: str = "eu"
    """Residency label value of the zone's objects (:func:`~edgefed.core.inputs.labels.residency_value`).
    Default ``eu``."""
    unavailable: bool = False
    """The zone is down: the provider skips updates it cannot make instead of failing the whole update."""
    extra_labels: dict[str, str] = field(default_factory=dict)
    """More labels for every object. Default none."""


class EdgeZone(pulumi.ComponentResource):
    """One operator edge zone as seen by a tenant: an explicit provider and the tenant's namespace name.

    Registers no Kubernetes object: the namespace, its quota, rights and guards belong to the operator.
    """

    if TYPE_CHECKING:  # for type checkers only, see edgefed.components.kubeobject.KubernetesObject
        provider: k8s.Provider
        """The zone's provider; every resource placed in this zone must use it."""

    def __init__(self, name: str, args: EdgeZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Register the zone's provider under ``name``."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        zone = args.zone
        self.zone = zone
        self.namespace = self.namespace_name = args.namespace
        self.labels = {
            **labels.zone_labels(zone=zone.id, country=zone.country, operator=zone.operator, residency=args.residency),
            **args.extra_labels,
        }
        child = pulumi.ResourceOptions(parent=self)
        self.provider = zone_provider(
            name, zone, args.kubeconfig, args.render_yaml_to, child, unavailable=args.unavailable
        )
        self.register_outputs({"zone": zone.id, "country": zone.country, "namespace": args.namespace})
