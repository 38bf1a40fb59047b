"""The tenants' identities on the local federation: a short-lived token from each tenant's home operator.

The home operator's issuer signs it (``edgefed identity issue`` does the same by hand); every zone of every
operator accepts it as the tenant. It goes into the tenant's kubeconfigs, one per zone, readable by the
owner only under the work folder: the only credential of the tenant's stacks and of the reads a deploy
makes for the tenant.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

from edgefed.core.inputs.contract import Contract
from edgefed_ops.errors import OpsError
from edgefed_ops.local.controlplane import kubeconfig
from edgefed_ops.local.federation import LocalFederation
from edgefed_ops.local.files import write_private
from edgefed_ops.local.issuer import LocalIssuer
from edgefed_ops.settings import Settings


def ensure_up(settings: Settings, path: Path) -> None:
    """Refuse, with the command to run, when the local federation has not made ``path``."""
    if not path.exists():
        raise OpsError(f"the local federation is not up; run `{settings.command_line('federation', 'up')}`")


RENEW_SECONDS = 900
"""A token with less life left than this is replaced by a new one (rotation): no update outlives its token."""

REVIEW_SECONDS = 60.0
"""How long an issuer's answer that it vouches for a token is taken as still true, in this process.

A deploy asks for the tenant's kubeconfig of each zone it reads or writes (twenty times for acme's French
stack): one review per token per deploy, not one per kubeconfig. A federation started anew inside that
minute is caught by the zones themselves, which check the token's signature on every request.
"""


def expires(token: str) -> float:
    """When a JWT expires (its ``exp`` claim, seconds since the epoch); 0 when it cannot be read."""
    try:
        payload = token.split(".")[1]
        return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])
    except (IndexError, KeyError, ValueError):
        return 0.0


class TenantIdentities:
    """The tenants' tokens: kept (mode 0600) while their issuer accepts them with :data:`RENEW_SECONDS` left."""

    def __init__(self, settings: Settings, federation: LocalFederation) -> None:
        self.settings, self.federation = settings, federation
        self._issuing = threading.Lock()
        self._vouched: dict[str, float] = {}  # token -> when its issuer last said it vouches for it

    def token(self, contract: Contract, *, rotate: bool = False) -> str:
        """The tenant's token, issued by its home operator's issuer when none has enough life left (or ``rotate``)."""
        path = self.settings.work / "identities" / contract.tenant / "token"
        with self._issuing:
            issuer = self.federation.identities.issuer(contract.home_operator)
            ensure_up(self.settings, issuer.admin_kubeconfig)
            held = path.read_text().strip() if path.exists() else ""
            # A federation started anew has new signing keys: its issuer no longer vouches for old tokens.
            if not rotate and expires(held) - time.time() > RENEW_SECONDS and self._vouches(issuer, held):
                return held
            token = issuer.issue(contract.tenant)
            self._vouched[token] = time.monotonic()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.parent.chmod(0o700)
            write_private(path, token)
            return token

    def _vouches(self, issuer: LocalIssuer, token: str) -> bool:
        """Whether ``issuer`` vouches for ``token``: asked at most once per :data:`REVIEW_SECONDS`."""
        reviewed = self._vouched.get(token)
        if reviewed is not None and time.monotonic() - reviewed < REVIEW_SECONDS:
            return True
        if not issuer.accepts(token):
            self._vouched.pop(token, None)
            return False
        self._vouched[token] = time.monotonic()
        return True

    def kubeconfig(self, contract: Contract, zone_id: str) -> Path:
        """The tenant's kubeconfig of a zone (mode 0600)."""
        token = self.token(contract)
        folder = self.settings.work / "identities" / contract.tenant
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        zone = self.federation.catalog.zone(zone_id)
        path = folder / f"{zone_id}.kubeconfig"
        write_private(
            path, kubeconfig(zone.id, zone.api_endpoint, token, f"{contract.home_operator}-{contract.tenant}")
        )
        return path
