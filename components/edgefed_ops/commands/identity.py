"""``edgefed identity TENANT [--rotate]``: a tenant's identity on the local federation, issued by its home operator.

The tenant's home operator's issuer signs a short-lived token (its TokenRequest API, audience
``edgefed-federation``) that every zone of every operator accepts as ``<home operator>:<tenant>``; it is
written, with a kubeconfig per zone of the tenant's contract, under ``<work>/identities/<tenant>/``
(owner only). A token is reused while its issuer still vouches for it with more than 15 minutes left;
``--rotate`` issues a new one at once (the old one stays valid until it expires, at most an hour).
"""

from __future__ import annotations

import argparse
import time

from edgefed.core.objects.trust import tenant_user
from edgefed_ops.commands import inputs, options
from edgefed_ops.settings import Settings
from edgefed_ops.stack.identities import expires
from edgefed_ops.stack.local_stacks import LocalStacks


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("tenant", help="a tenant of the local family (stacks/tenants/local/<tenant>.yaml)")
    parser.add_argument("--rotate", action="store_true", help="issue a new token even if the current one is valid")
    options.work(parser)
    options.json_output(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Issue (or reuse) the tenant's token and write its kubeconfigs; print where they are."""
    [tenant] = inputs.tenants(settings, [args.tenant], "TENANT")
    stacks = LocalStacks(settings)
    contract = stacks.contract_of(tenant)
    token = stacks.identities.token(contract, rotate=args.rotate)
    zones = sorted({zone for allocations in contract.allocations.values() for zone in allocations})
    kubeconfigs = {zone: stacks.identities.kubeconfig(contract, zone) for zone in zones}
    issuer = stacks.federation.identities.issuer(contract.home_operator).url
    left = max(0, round(expires(token) - time.time()))
    data = {
        "tenant": tenant,
        "user": tenant_user(contract.home_operator, tenant),
        "issuer": issuer,
        "expiresInSeconds": left,
        "kubeconfigs": {zone: str(path) for zone, path in kubeconfigs.items()},
    }
    lines = [
        f"{tenant}: token from {contract.home_operator}'s issuer {issuer}, accepted by every zone as "
        f"{data['user']}; expires in {left // 60} min",
        *(f"   {zone:<38} {path}" for zone, path in kubeconfigs.items()),
    ]
    options.emit(args, data, lines)
    return 0
