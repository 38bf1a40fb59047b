"""What each tenant may do in its zones, asked of the zones themselves with the tenant's own credential.

For ``edgefed report --state`` on the running local federation: per zone of a tenant stack, who the
zone takes the tenant for and the rules its API server lists for the tenant's namespace (the same
question as ``kubectl auth can-i --list -n <namespace>``). Nothing here is read from the stack's
config or the operators' manifests: it is what the API servers enforce now.
"""

from __future__ import annotations

from edgefed.core.objects.tenancy import namespace
from edgefed_ops.local.zone_client import open_zone
from edgefed_ops.local.zone_identity import ZoneIdentity
from edgefed_ops.reports.sovereignty import AccessRule, ZoneAccess
from edgefed_ops.stack.local_stacks import LocalStacks


def zone_access(stacks: LocalStacks, stack: str) -> list[ZoneAccess]:
    """Per zone of a local tenant stack, what its tenant may do in its namespace there (zone order)."""
    if stacks.is_operator(stack):
        return []
    contract = stacks.contract(stack)
    country = str(stacks.committed_config(stack).get("edgefed:country", ""))
    space = namespace(contract.tenant, country)
    found = []
    for zone in stacks.zones(stack):
        with open_zone(stacks.identities.kubeconfig(contract, zone), timeout=5) as client:
            identity = ZoneIdentity(client)
            user = identity.whoami()
            rules, incomplete = identity.rules(space) if user is not None else ([], True)
        found.append(
            ZoneAccess(
                zone=zone,
                namespace=space,
                user=user if user is not None else "(not authenticated: 401)",
                rules=[AccessRule(api_groups=g, resources=r, verbs=v) for g, r, v in rules],
                incomplete=incomplete,
            )
        )
    return found
