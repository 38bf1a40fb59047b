"""Deploy one operator's zone (its tenants' namespaces, quotas, rights, admission) of the example catalog."""

from pathlib import Path

import pulumi

from edgefed.components.operator_zone import OperatorZone, OperatorZoneArgs
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.contract import load_contracts
from edgefed.core.operatorslice import grants
from edgefed.core.rules import pack_config

config = pulumi.Config("zoneprobe")
catalog = load_catalog(config.require("catalog"))
pack = pack_config.read(Path(config.require("pack")))
rules = pack_config.registry_rules(pack)
contracts = load_contracts(Path(config.require("contracts")), catalog, rules.allowed)
zone_id = config.require("zone")
zone = OperatorZone(
    zone_id,
    OperatorZoneArgs(
        zone=catalog.zone(zone_id),
        grants=grants(contracts, [zone_id])[zone_id],
        rules=rules,
        destinations=pack_config.destinations(pack),
        kubeconfig=config.require_secret("kubeconfig"),
    ),
)
pulumi.export("zone", zone_id)
