"""A zone's API server shared fairly: API Priority and Fairness, one share per tenant and one for the operator.

Each tenant that holds a namespace in the zone gets a FlowSchema matching its group and a priority level
of its own, so that a flood of slow requests from one tenant (or from a compromised CI job of its) waits
in that tenant's queues while its neighbours and the operator are served from theirs. The operator's
requests go to a level with a larger share, ahead of every tenant's. The API server's own system flows
(its controllers, nodes, leader election) keep their built-in schemas, which match first. Pure: no Pulumi import.
"""

from __future__ import annotations

from typing import Any

from edgefed.core.objects.trust import operator_group, tenant_group

API_VERSION = "flowcontrol.apiserver.k8s.io/v1"
TENANT_SHARES, OPERATOR_SHARES = 10, 40
"""Nominal concurrency shares: each tenant's, and the operator's (the built-in global-default has 20)."""
OPERATOR_PRECEDENCE, TENANT_PRECEDENCE = 4000, 5000
"""Matching precedence: after the built-in system schemas (below 1000), before global-default (9900)."""


def tenant_level(home_operator: str, tenant: str) -> str:
    """The name of a tenant's priority level and flow schema in every zone."""
    return f"edgefed-tenant-{home_operator}-{tenant}"


def operator_level(operator: str) -> str:
    """The name of the operator's priority level and flow schema."""
    return f"edgefed-operator-{operator}"


def priority_level_spec(shares: int) -> dict[str, Any]:
    """A limited priority level that queues (never rejects at once) and lends none of its share away."""
    return {
        "type": "Limited",
        "limited": {
            "nominalConcurrencyShares": shares,
            "lendablePercent": 0,
            "limitResponse": {
                "type": "Queue",
                "queuing": {"queues": 16, "handSize": 4, "queueLengthLimit": 50},
            },
        },
    }


def flow_schema_spec(level: str, group: str, precedence: int) -> dict[str, Any]:
    """Every request of ``group`` (any verb, resource or URL), distinguished by user, to ``level``."""
    return {
        "priorityLevelConfiguration": {"name": level},
        "matchingPrecedence": precedence,
        "distinguisherMethod": {"type": "ByUser"},
        "rules": [
            {
                "subjects": [{"kind": "Group", "group": {"name": group}}],
                "resourceRules": [
                    {
                        "verbs": ["*"],
                        "apiGroups": ["*"],
                        "resources": ["*"],
                        "namespaces": ["*"],
                        "clusterScope": True,
                    }
                ],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            }
        ],
    }


def tenant_flow(home_operator: str, tenant: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(name, priority level spec, flow schema spec) of one tenant."""
    name = tenant_level(home_operator, tenant)
    group = tenant_group(home_operator, tenant)
    return name, priority_level_spec(TENANT_SHARES), flow_schema_spec(name, group, TENANT_PRECEDENCE)


def operator_flow(operator: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(name, priority level spec, flow schema spec) of the zone's operator."""
    name = operator_level(operator)
    group = operator_group(operator)
    return name, priority_level_spec(OPERATOR_SHARES), flow_schema_spec(name, group, OPERATOR_PRECEDENCE)
