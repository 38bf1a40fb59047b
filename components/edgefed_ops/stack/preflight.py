"""Why a local stack may not deploy now, asked of its zones before anything is touched.

A zone of the stack that does not answer (and is not marked unavailable) stops the stack; so does a zone
that does not take the tenant's credential for the tenant (its operator does not trust the tenant's home
operator's issuer). Each refusal says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from edgefed.core.objects.trust import tenant_user
from edgefed_ops.stack.diagnosis import mark_unavailable
from edgefed_ops.stack.local_stacks import LocalStacks
from edgefed_ops.stack.readback import ZoneReadback


def refusal(stacks: LocalStacks, stack: str, unavailable: Sequence[str] | None, readback: ZoneReadback) -> str:
    """Why ``stack`` may not deploy now ("" when it may), read with the stack's own persona."""
    silent = readback.silent(stacks.zones(stack), unavailable)
    if silent:
        return (
            f"NOT deployed, nothing touched: zone(s) {', '.join(silent)} do not answer. If a zone is down, mark "
            f"it unavailable: `{mark_unavailable(stacks.settings, stack, silent)}`"
        )
    return "" if stacks.is_operator(stack) else _untrusted(stacks, stack, unavailable, readback)


def _untrusted(stacks: LocalStacks, stack: str, unavailable: Sequence[str] | None, readback: ZoneReadback) -> str:
    """Why the tenant's identity is not accepted by all of the stack's zones ("" when it is)."""
    contract = stacks.contract(stack)
    user = tenant_user(contract.home_operator, contract.tenant)
    strangers = readback.strangers(stacks.zones(stack), unavailable, user)
    if not strangers:
        return ""
    issuer = stacks.federation.identities.issuer(contract.home_operator).url
    said = ", ".join(f"{zone} ({answer})" for zone, answer in sorted(strangers.items()))
    return (
        f"NOT deployed, nothing touched: zone(s) {said} do not accept {contract.tenant}'s identity from "
        f"{contract.home_operator}'s issuer {issuer} as {user}. The zones' operators trust that issuer in "
        "their API servers' authentication configuration; until they do, the tenant cannot deploy there"
    )
