"""disallow-external-name: only public data is sent to a host outside the zone by a Service alias."""

from __future__ import annotations

from edgefed.core.rules.outbound import EXTERNAL_NAME_RULE, check_external_name
from edgefed.core.rules.pack_config import EXTERNAL_NAME_POLICY
from edgefed.policy.common import (
    CATALOGS_SCHEMA,
    Compliance,
    destination_check,
    destinations_schema,
    resource_policy,
    schema,
)

NAME = EXTERNAL_NAME_RULE


POLICY = resource_policy(
    NAME,
    "No Service of type ExternalName (a DNS alias to a host outside the zone) unless it aliases a name the pack "
    "config allows in the zone's country, whatever its labels say.",
    destination_check(EXTERNAL_NAME_POLICY, check_external_name),
    tags=["residency", "network"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-7"),
    remediation="Call services inside the zone; reach a partner's service through the federation's placement, or "
    "ask the federation to list the destination in the pack config (allowedNames of its country).",
    config_schema=schema(
        catalogs=CATALOGS_SCHEMA,
        allowedNames=destinations_schema(
            "Per ISO country code, DNS names that ExternalName Services in that country's zones may alias "
            "(default: none).",
            {"type": "string"},
        ),
    ),
)
