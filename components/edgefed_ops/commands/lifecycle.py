"""``edgefed preview|up|refresh|destroy STACK``: a committed stack under the real engine, with the policy pack.

A ``local-*`` stack (unless rendered) keeps its state in its country's object store of the running local
federation and is checked with that federation's pack config, as ``edgefed deploy`` does. Any other
stack's backend must be an object store of its country (``edgefed.stack.state_residency``), checked
before the stack is created or selected; a render-only run (``--render``) deploys nothing and is exempt.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edgefed_ops.commands import inputs, options
from edgefed_ops.errors import OpsError, UsageError
from edgefed_ops.settings import Settings
from edgefed_ops.stack import operations
from edgefed_ops.stack.events import Outcome
from edgefed_ops.stack.local_stacks import LocalStacks
from edgefed_ops.stack.state_residency import state_residency
from edgefed_ops.stack.workspace import StackWorkspace


def workspace_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every command on one stack's workspace takes (also ``edgefed stack``)."""
    options.one_stack(parser)
    parser.add_argument("--render", action="store_true", help="render manifests to .state/render/STACK, no buckets")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an edgefed: setting")
    options.work(parser)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    workspace_arguments(parser)
    parser.add_argument("--no-policy", action="store_true", help="without the policy pack")
    parser.add_argument("--policy-config", type=Path, metavar="FILE", help="pack config (default: the stack family's)")
    options.json_output(parser)


def _settings_given(items: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise UsageError(f"--set: {item!r} is not KEY=VALUE (for example rolloutTimeoutSeconds=30)")
        try:
            values[key] = json.loads(value)
        except json.JSONDecodeError:
            values[key] = value
    return values


def prepared_workspace(args: argparse.Namespace, settings: Settings) -> StackWorkspace:
    """The stack's workspace with the settings of the command line, prepared (files written, stack selected)."""
    stack = inputs.stack(settings, args.stack)
    values = _settings_given(args.set)
    if args.render:
        values |= {"renderYamlTo": str(settings.root / ".state" / "render" / stack), "buckets": False}
    local = stack in settings.local_stack_names() and not args.render
    workspace = LocalStacks(settings).workspace(stack) if local else StackWorkspace(settings, stack)
    if not local and not args.render:
        # Before the stack is created or selected: its state never starts outside its country (a local
        # stack's backend is checked against the running federation's catalog when it is chosen).
        residency = state_residency(settings, stack, workspace.state_url().url)
        if residency.problem:
            raise OpsError(f"state backend refused: {residency.refusal()} (render-only runs, --render, are exempt)")
    workspace.prepare(values)
    return workspace


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the operation; exit 1 when it failed or the pack refused it."""
    stack = inputs.stack(settings, args.stack)
    config = inputs.existing_file(args.policy_config, "--policy-config").resolve() if args.policy_config else None
    if config is None and stack in settings.local_stack_names() and not args.render:
        config = LocalStacks(settings).catalog_settings()[1]
    workspace = prepared_workspace(args, settings)
    progress = options.progress(args)
    if args.command == "preview":
        # A preview takes seconds: one line, not one per planned step.
        progress(f"{stack}: preview{'' if args.no_policy else ' with the policy pack'}")
        outcome = operations.preview(workspace, policy=not args.no_policy, config=config)
    elif args.command == "up":
        outcome = operations.up(workspace, policy=not args.no_policy, config=config, progress=progress)
    elif args.command == "refresh":
        outcome = operations.refresh(workspace, progress=progress)
    else:
        outcome = operations.destroy(workspace, progress=progress)
    return _report(args, stack, outcome)


def _report(args: argparse.Namespace, stack: str, outcome: Outcome) -> int:
    lines = [f"== {stack}: {args.command} {'done' if outcome.ok else 'FAILED'} ({outcome.summary()})"]
    lines += [f"   [{v.level}] {v.policy} ({v.resource}): {v.message}" for v in outcome.violations]
    lines += [f"   error: {e}" for e in outcome.errors]
    if not outcome.ok and not outcome.errors and not outcome.violations:
        lines.append(outcome.output[-3000:])
    data = {
        "stack": stack, "operation": args.command, "ok": outcome.ok, "changes": outcome.changes,
        "violations": outcome.violations, "failed": outcome.failed, "errors": outcome.errors,
    }  # fmt: skip
    options.emit(args, data, lines)
    return 0 if outcome.ok else 1
