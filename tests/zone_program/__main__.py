"""Deploy one EdgeZone (namespace, quota, network policies, admission policy) of the example catalog."""

import pulumi

from edgefed.components.zone import EdgeZone, EdgeZoneArgs
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.placement.placer import ZoneDemand

config = pulumi.Config("zoneprobe")
catalog = load_catalog(config.require("catalog"))
zone = EdgeZone(
    config.require("zone"),
    EdgeZoneArgs(
        zone=catalog.zone(config.require("zone")),
        namespace=config.require("namespace"),
        demand=ZoneDemand(cpu=4, memory_mib=4096, gpus={}, pods=10),
        kubeconfig=config.require_secret("kubeconfig"),
    ),
)
pulumi.export("namespace", zone.namespace)
