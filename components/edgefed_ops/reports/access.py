"""What each tenant may and may not do in its zones, asked of the zones themselves with the tenant's own credential.

For ``edgefed report --state`` on the running local federation: per zone of a tenant stack, who the
zone takes the tenant for, the rules its API server lists for the tenant's namespace (the same question
as ``kubectl auth can-i --list -n <namespace>``), and its answers to what a tenant must never do
(``kubectl auth can-i VERB RESOURCE``: its namespace, quota, rules, RBAC, admission, cluster-scoped
objects, a neighbour's namespace). Nothing here is read from the stack's config or the operators'
manifests: the questions are edgefed's, every answer is what the API servers enforce now. What admission
refuses beyond RBAC (Pod Security, the zone's policies, quotas) is the attack suite's evidence
(``edgefed isolation``).
"""

from __future__ import annotations

from edgefed.core.objects.tenancy import namespace
from edgefed_ops.local.zone_client import open_zone
from edgefed_ops.local.zone_identity import ZoneIdentity
from edgefed_ops.reports.sovereignty import AccessRule, RefusedAction, ZoneAccess
from edgefed_ops.stack.local_stacks import LocalStacks

OWN, NEIGHBOUR, CLUSTER = "own", "neighbour", "cluster"
NEVER = (
    ("patch", "", "namespaces", OWN),
    ("update", "", "resourcequotas", OWN),
    ("delete", "", "limitranges", OWN),
    ("update", "", "configmaps", OWN),
    ("get", "", "secrets", OWN),
    ("create", "", "pods", OWN),
    ("create", "", "pods/exec", OWN),
    ("create", "", "serviceaccounts/token", OWN),
    ("create", "rbac.authorization.k8s.io", "rolebindings", OWN),
    ("list", "apps", "deployments", NEIGHBOUR),
    ("delete", "", "services", NEIGHBOUR),
    ("get", "", "nodes", CLUSTER),
    ("create", "", "namespaces", CLUSTER),
    ("create", "", "persistentvolumes", CLUSTER),
    ("create", "rbac.authorization.k8s.io", "clusterrolebindings", CLUSTER),
    ("delete", "admissionregistration.k8s.io", "validatingadmissionpolicybindings", CLUSTER),
    ("create", "admissionregistration.k8s.io", "validatingwebhookconfigurations", CLUSTER),
    ("create", "flowcontrol.apiserver.k8s.io", "flowschemas", CLUSTER),
    ("create", "scheduling.k8s.io", "priorityclasses", CLUSTER),
    ("create", "storage.k8s.io", "storageclasses", CLUSTER),
)
"""What a tenant must never do in a zone: (verb, API group, resource, where)."""


def zone_access(stacks: LocalStacks, stack: str) -> list[ZoneAccess]:
    """Per zone of a local tenant stack, what its tenant may and may not do there (zone order)."""
    if stacks.is_operator(stack):
        return []
    contract = stacks.contract(stack)
    country = str(stacks.committed_config(stack).get("edgefed:country", ""))
    space = namespace(contract.tenant, country)
    zones = set(stacks.zones(stack))
    # Another tenant's namespace in the same zones: what a tenant must never reach is a real neighbour.
    neighbour = next(
        (
            namespace(other, country)
            for other in sorted(stacks.local_tenants())
            if other != contract.tenant and zones & set(stacks.contract_of(other).allocations.get(country.upper(), {}))
        ),
        "default",
    )
    where = {OWN: space, NEIGHBOUR: neighbour, CLUSTER: ""}
    found = []
    for zone in stacks.zones(stack):
        with open_zone(stacks.identities.kubeconfig(contract, zone), timeout=5) as client:
            identity = ZoneIdentity(client)
            user = identity.whoami()
            rules, incomplete = identity.rules(space) if user is not None else ([], True)
            refused = [
                RefusedAction(
                    verb=verb,
                    resource=f"{resource}.{group}" if group else resource,
                    namespace=where[scope],
                    allowed=identity.can(verb, group, resource, where[scope] or None),
                )
                for verb, group, resource, scope in NEVER
                if user is not None
            ]
        found.append(
            ZoneAccess(
                zone=zone,
                namespace=space,
                user=user if user is not None else "(not authenticated: 401)",
                rules=[AccessRule(api_groups=g, resources=r, verbs=v) for g, r, v in rules],
                incomplete=incomplete,
                refused=refused,
            )
        )
    return found
