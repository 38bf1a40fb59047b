"""The operators' admin credentials of the local federation: one per operator, for its zones and its issuer.

Each operator's token is made once (mode 0600) and written only into its own zones' and issuer's token
files: another operator's zones do not know it, so they refuse it (401). Tenants never get one.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from edgefed_ops.local.files import write_private


def operator_token(state: Path, operator: str) -> str:
    """The operator's admin token, made once in the federation's folder."""
    path = state / "operators" / f"{operator}.token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        write_private(path, secrets.token_urlsafe(32))
    return path.read_text().strip()


def operator_token_line(state: Path, operator: str) -> str:
    """The token file line of the operator's admin (``token,user,uid,group``): cluster-admin of its own servers."""
    user = f"operator:{operator}"
    return f"{operator_token(state, operator)},{user},{user},system:masters"
