"""``edgefed stack STACK -- ARGS...``: any other Pulumi command in a committed stack's workspace.

For example ``edgefed stack local-acme-fr -- cancel --yes``. Options of edgefed (``--work``, ``--render``,
``--set``) may stand anywhere before ``--``; everything after it is Pulumi's.
"""

from __future__ import annotations

import argparse
import subprocess

from edgefed_ops.commands.lifecycle import prepared_workspace, workspace_arguments
from edgefed_ops.errors import UsageError
from edgefed_ops.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options (Pulumi's arguments follow ``--``)."""
    workspace_arguments(parser)
    parser.epilog = "Pulumi's arguments follow --: edgefed stack acme-fr -- stack export"


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the Pulumi command; its exit status."""
    if not args.pulumi:
        raise UsageError(f"name the pulumi command after --, for example: edgefed stack {args.stack} -- stack export")
    workspace = prepared_workspace(args, settings)
    command = ["pulumi", *args.pulumi, "--stack", workspace.stack]
    return subprocess.run(command, cwd=workspace.folder, env=workspace.env(), check=False).returncode
