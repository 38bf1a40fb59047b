"""The edgefed Pulumi program: one project, two kinds of stacks.

``__main__.py`` calls :func:`run`. A stack file that sets ``edgefed:operator`` is an operator's zone
stack (:mod:`edgefed.program.operator`); one that sets ``edgefed:country`` is a tenant's country stack
(:mod:`edgefed.program.tenant`). Each is validated into a pure slice first, so bad input ends the
program with one line naming the file and field (:class:`InputError`), before anything is registered.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from edgefed.components.errors import InputError
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.stackconfig import OperatorConfig, stack_kind
from edgefed.core.placement.placer import PlacementError


def run() -> None:
    """Deploy one stack: registers :func:`deploy_stack` as the program's entry point."""
    pulumi.run(deploy_stack)


async def deploy_stack() -> None:
    """Validate the stack into its slice, then register it."""
    raw: dict[str, str] = pulumi.runtime.get_config_env()
    secret_keys: list[str] = pulumi.runtime.get_config_secret_keys_env()
    stack = pulumi.get_stack()
    try:
        operator = stack_kind(raw, f"stacks/Pulumi.{stack}.yaml") is OperatorConfig
        if operator:
            from edgefed.core.operatorslice import operator_slice

            zones = operator_slice(Path.cwd(), stack, raw, secret_keys)
        else:
            from edgefed.core.stackslice import stack_slice

            piece = stack_slice(Path.cwd(), stack, raw, secret_keys)
    except (ConfigError, PlacementError) as exc:
        raise InputError(str(exc)) from None
    if operator:
        from edgefed.program import operator as operator_program

        operator_program.register(zones)
    else:
        from edgefed.program import tenant

        await tenant.register(piece)
