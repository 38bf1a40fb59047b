"""A stack lock left by an update that no longer runs (its leader died with it): recovered by the next leader.

The dead update's engine can neither finish nor release the lock, and may have left creates pending and
plugins running. The next leader cancels the lock, refreshes the stack with the outage state being deployed
(as its update will run the program), dropping the pending creates, and stops the dead engine's plugins.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from edgefed_ops.failover import plugins
from edgefed_ops.stack import operations
from edgefed_ops.stack.deploy import LocalDeploy


def runs(pid: int) -> bool:
    """Whether ``pid`` runs on this host (the local federation's updates all run here)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(deploy: LocalDeploy, stack: str, unavailable: Sequence[str]) -> str:
    """Remove the lock, drop the creates it left pending, reap the dead engine's plugins; what was done."""
    stacks = deploy.stacks
    workspace = stacks.workspace(stack)
    catalog, _ = stacks.catalog_settings()
    outages = stacks.write_outages(unavailable)
    workspace.prepare({**catalog, "outages": str(outages)}, secrets=stacks.secrets(stack))
    operations.cancel(workspace)
    refreshed = operations.refresh(workspace, run_program=True, clear_pending_creates=True)
    reaped = plugins.reap_orphans(deploy.settings.root)
    return (
        f"{stack}: lock of a dead update removed, pending creates cleared "
        f"({'ok' if refreshed.ok else 'refresh failed'}); {len(reaped)} orphaned plugin process(es) stopped"
    )
