"""The operators' admin credentials of the local federation: one per operator, for its zones and its issuer.

Each operator's token is made once (mode 0600) and written only into its own zones' and issuer's token
files: another operator's zones do not know it, so they refuse it (401). Tenants never get one.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from edgefed.core.objects.trust import operator_group
from edgefed_ops.local.files import create_private_once


def operator_token(state: Path, operator: str) -> str:
    """The operator's admin token, made once in the federation's folder."""
    path = state / "operators" / f"{operator}.token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        # The operator's zones start concurrently: the first to make the token wins, the others read it.
        return create_private_once(path, secrets.token_urlsafe(32)).strip()
    return path.read_text().strip()


def operator_token_line(state: Path, operator: str) -> str:
    """The token file line of the operator's admin (``token,user,uid,group``)."""
    user = f"operator:{operator}"
    return f"{operator_token(state, operator)},{user},{user},{operator_group(operator)}"


def operator_binding(operator: str) -> dict[str, Any]:
    """The ClusterRoleBinding that makes the operator's admin group cluster-admin of one of its servers.

    Not ``system:masters``, which no RBAC binding grants and none can take back: an operator's admin is an
    ordinary, revocable binding, made by the server's own components' credential at start.
    """
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": f"edgefed-operator-{operator}"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": operator_group(operator)}],
    }
