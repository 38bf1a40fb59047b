"""Deploy one operator's zone (its tenants' namespaces, quotas, rights, admission) of the example catalog."""

from pathlib import Path

import pulumi

from edgefed.components.operator_zone import OperatorZone, OperatorZoneArgs
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.contract import load_contracts
from edgefed.core.inputs.jurisdiction import pack_eu_law_classes
from edgefed.core.inputs.operator_terms import load_operator_terms
from edgefed.core.operatorslice import grants
from edgefed.core.rules import pack_config

config = pulumi.Config("zoneprobe")
catalog = load_catalog(config.require("catalog"))
pack = pack_config.read(Path(config.require("pack")))
rules = pack_config.registry_rules(pack)
destinations = pack_config.destinations(pack)
folder = Path(config.require("contracts"))
contracts = load_contracts(folder, catalog, rules.allowed, destinations.names)
terms = load_operator_terms(folder, catalog, contracts)
zone_id = config.require("zone")
target = catalog.zone(zone_id)
zone = OperatorZone(
    zone_id,
    OperatorZoneArgs(
        zone=target,
        operator=catalog.operator_by_id[target.operator],
        terms=terms[target.operator],
        grants=grants(contracts, [zone_id])[zone_id],
        rules=rules,
        destinations=destinations,
        law_classes=pack_eu_law_classes(pack),
        kubeconfig=config.require_secret("kubeconfig"),
    ),
)
pulumi.export("zone", zone_id)
