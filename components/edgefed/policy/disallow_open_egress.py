"""disallow-open-egress: personal and restricted pods send data only to their namespace, DNS and allowed CIDRs."""

from __future__ import annotations

from edgefed.core.rules.egress import RULE, check_egress
from edgefed.policy.common import (
    CATALOGS_SCHEMA,
    Compliance,
    destination_check,
    destinations_schema,
    resource_policy,
    schema,
)

NAME = RULE


POLICY = resource_policy(
    NAME,
    "No NetworkPolicy opens egress of personal or restricted pods (or pods it does not pin to a classification) "
    "beyond their namespace, the cluster DNS and the pack config's CIDRs of their residency.",
    destination_check(NAME, check_egress),
    tags=["residency", "network"],
    compliance=Compliance(articles=("44",), sovereignty="SOV-3"),
    remediation="Pin the podSelector to the pods' classification and residency, and send data only to "
    "destinations the federation lists for that country (allowedCidrs in the pack config).",
    config_schema=schema(
        catalogs=CATALOGS_SCHEMA,
        allowedCidrs=destinations_schema(
            "Per ISO country code, CIDRs that personal and restricted pods in that country may reach (default: none).",
            {"type": "string"},
        ),
    ),
)
