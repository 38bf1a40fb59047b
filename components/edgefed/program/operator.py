"""An operator's zone stack: its zones' tenant namespaces, quotas, rights and admission, from the contracts.

Validated by :func:`edgefed.core.operatorslice.operator_slice` first; :func:`register` then registers
one :class:`~edgefed.components.operator_zone.OperatorZone` per zone, with the operator's own credential.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from edgefed.components.operator_zone import OperatorZone, OperatorZoneArgs
from edgefed.core.inputs.stackconfig import NAMESPACE
from edgefed.core.objects import tenancy
from edgefed.core.operatorslice import OperatorSlice


def register(piece: OperatorSlice) -> None:
    """Register every zone of the operator, then the stack's outputs."""
    settings = pulumi.Config(NAMESPACE)
    render_to = str(Path.cwd() / piece.config.render_yaml_to) if piece.config.render_yaml_to else None
    for zone_id in piece.config.zones:
        zone = piece.catalog.zone(zone_id)
        OperatorZone(
            zone_id,
            OperatorZoneArgs(
                zone=zone,
                operator=piece.operator,
                terms=piece.terms,
                grants=piece.grants[zone_id],
                rules=piece.rules,
                destinations=piece.destinations,
                law_classes=piece.law_classes,
                kubeconfig=None if piece.rendering else settings.require_secret(zone.kubeconfig_secret),
                render_yaml_to=render_to,
            ),
        )
    pulumi.export("operator", piece.operator.id)
    pulumi.export(
        "tenants",
        {
            zone_id: sorted(tenancy.namespace(g.contract.tenant, g.country) for g in grants)
            for zone_id, grants in piece.grants.items()
        },
    )
