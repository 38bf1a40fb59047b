"""The engine's operations on a stack: preview, up, refresh, destroy and cancel, with the policy pack."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from edgefed_ops.errors import OpsError
from edgefed_ops.stack.events import SECRET_MARK, SECRET_SIGNATURE, Outcome
from edgefed_ops.stack.locks import lock_holder
from edgefed_ops.stack.workspace import StackWorkspace

Progress = Callable[[str], None] | None
SECRET_SENTINEL = "[secret]"
"""What `pulumi stack output --json` shows for a secret output."""


def _policy(
    workspace: StackWorkspace, policy: bool, config: Path | None, pack: Path | None = None
) -> tuple[list[str] | None, list[str] | None]:
    """The --policy-pack and --policy-pack-config arguments (none when ``policy`` is off)."""
    if not policy:
        return None, None
    settings = workspace.settings
    folder = pack or settings.pack
    if folder == settings.pack and not (folder / ".venv" / "bin" / "python").exists():
        # The engine would fail the preview with a Python error; a report built on it would say nothing ran.
        raise OpsError(
            f"{workspace.stack}: the policy pack's virtualenv {folder / '.venv'} does not exist, so no policy can "
            f"run; set it up with `make venv` (or `scripts/setup-venv {folder.relative_to(settings.root)}/.venv -e .`)"
        )
    return [str(folder)], [str(config or settings.pack_config(workspace.stack))]


def preview(
    workspace: StackWorkspace,
    *,
    policy: bool = True,
    config: Path | None = None,
    progress: Progress = None,
    pack: Path | None = None,
) -> Outcome:
    """``pulumi preview`` with the policy pack.

    ``config`` is its config (default the stack family's); ``pack`` another pack (default edgefed's).
    """
    packs, configs = _policy(workspace, policy, config, pack)
    return workspace.run(
        lambda events: workspace.select().preview(
            on_event=events, diff=False, policy_packs=packs, policy_pack_configs=configs
        ),
        progress,
    )


def up(
    workspace: StackWorkspace,
    *,
    policy: bool = True,
    config: Path | None = None,
    continue_on_error: bool = False,
    progress: Progress = None,
) -> Outcome:
    """``pulumi up`` with the policy pack; ``continue_on_error`` lets other zones finish when one fails.

    The Automation API's ``up`` skips the engine's preview, and stack policies (the cross-border rule)
    then run only after resources were written. So with the pack, a preview with the pack runs first,
    and a mandatory violation returns its outcome with nothing written. A preview that fails for
    another reason (a server-side-apply dry run refused over a field someone changed by hand, which
    the update then takes back) does not stop the update: resource policies still run before each
    write, as without the preview. A preview that finds nothing to change (every resource the same, the
    stack's outputs as held, no warning) is the whole operation: the update would only write back the state.
    """
    packs, configs = _policy(workspace, policy, config)
    if policy:
        # A locked stack refuses the update, not the preview (which takes no lock): ask first, and spare
        # the preview (a full run of the program and the pack) that could only be followed by a refusal.
        holder = lock_holder(workspace.state_url(), workspace.env(), workspace.stack)
        if holder is not None:
            return Outcome(False, locked_by=holder, output=f"{workspace.stack} is locked by pulumi pid {holder}")
        checked = preview(workspace, config=config)
        if checked.mandatory:
            checked.output = f"not deployed, nothing written: the preview with the policy pack failed\n{checked.output}"
            return checked
        if checked.writes_nothing and checked.stack_outputs is not None:
            # The update would run the program and the pack again to write back the state it holds.
            checked.outputs = dict(checked.stack_outputs[1])
            checked.output = f"no update: the preview with the policy pack found nothing to change\n{checked.output}"
            return checked
    return workspace.run(
        lambda events: workspace.select().up(
            on_event=events,
            continue_on_error=continue_on_error or None,
            suppress_progress=True,
            policy_packs=packs,
            policy_pack_configs=configs,
            show_secrets=False,
        ),
        progress,
    )


def refresh(
    workspace: StackWorkspace,
    *,
    run_program: bool = False,
    clear_pending_creates: bool = False,
    progress: Progress = None,
) -> Outcome:
    """``pulumi refresh``; ``run_program`` reaches the zones through the providers the program builds now."""
    return workspace.run(
        lambda events: workspace.select().refresh(
            on_event=events,
            run_program=run_program or None,
            clear_pending_creates=clear_pending_creates or None,
            suppress_progress=True,
            show_secrets=False,
        ),
        progress,
    )


def destroy(workspace: StackWorkspace, progress: Progress = None) -> Outcome:
    """``pulumi destroy``."""
    return workspace.run(
        lambda events: workspace.select().destroy(on_event=events, suppress_progress=True, show_secrets=False),
        progress,
    )


def cancel(workspace: StackWorkspace) -> None:
    """``pulumi cancel``: remove the lock of an update that no longer runs."""
    workspace.select().cancel()


def outputs(workspace: StackWorkspace) -> dict[str, Any]:
    """The stack's outputs (secret ones stay out: this is for summaries).

    One `pulumi stack output --json`, which masks secrets: the Automation API's ``outputs()`` runs the
    CLI a second time with ``--show-secrets`` and decrypts every secret, which nothing here reads.
    """
    masked = json.loads(workspace.cli("stack", "output", "--json").stdout or "{}")
    return {k: v for k, v in masked.items() if v != SECRET_SENTINEL}


def export(workspace: StackWorkspace) -> dict[str, Any]:
    """The stack's deployment (``pulumi stack export``), secrets encrypted.

    Through the CLI: the Automation API's ``export_stack`` passes ``--show-secrets`` (pulumi 3.x), which
    would put every kubeconfig and token of the state in this process's hands for a count of resources.
    """
    workspace.select()
    result = workspace.cli("stack", "export", check=False)
    if result.returncode != 0:
        raise OpsError(
            f"{workspace.stack}: `pulumi stack export` failed ({result.returncode}): {result.stderr[-2000:]}"
        )
    return dict(json.loads(result.stdout).get("deployment") or {})


def settle_unfinished(workspace: StackWorkspace, zones: Sequence[str]) -> list[str]:
    """Accept as they are the resources in ``zones`` whose last operation did not finish; their names.

    A rollout cut short because its zone died leaves the resource with initialization errors, and the
    engine then updates it on every ``up`` to finish waiting, whatever the provider's
    ``skipUpdateUnreachable`` (it skips only changes). For a zone marked unavailable that does not
    answer, that update can only fail: the operator has said to leave the zone as it is, so its unfinished
    operations are dropped from the state (the objects stay recorded as last seen) and the zone is
    updated normally once it answers again (drained while still marked).
    """
    if not zones:
        return []  # nothing to settle: no export (a CLI run that decrypts every secret of the state)
    stack = workspace.select()
    exported = stack.export_stack()
    deployment = dict(exported.deployment or {})
    settled = []
    for resource in deployment.get("resources", []):
        name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
        if resource.get("initErrors") and any(zone in name for zone in zones):
            del resource["initErrors"]
            settled.append(name)
    if settled:
        stack.import_stack(auto.Deployment(version=exported.version, deployment=deployment))
    return sorted(settled)


def export_revealed(workspace: StackWorkspace) -> dict[str, Any]:
    """The deployment with its secrets decrypted, for in-process checks only (never print it).

    The audit needs each provider's kubeconfig to tell which server it really connects to.
    """
    result = workspace.cli("stack", "export", "--show-secrets", check=False)
    if result.returncode != 0:
        raise OpsError(
            f"{workspace.stack}: `pulumi stack export` failed ({result.returncode}): {result.stderr[-2000:]}"
        )
    return dict(json.loads(result.stdout).get("deployment") or {})


def revealed(value: Any) -> Any:
    """``value`` (of an :func:`export_revealed` deployment) with each secret replaced by its plaintext value."""
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE) == SECRET_MARK:
            return revealed(json.loads(value["plaintext"])) if "plaintext" in value else None
        return {key: revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revealed(item) for item in value]
    return value
