"""Which secrets a workspace already holds with a given value, remembered without the values.

One `pulumi config set --secret` per value costs half a second with a remote backend, and jobs re-prepare
the same stack many times. What was set is remembered as an HMAC keyed with the stack's encryption salt
(a value never leaves the stack file), in a file readable by the owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path


class SecretDigests:
    """The digests file of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digests: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    @staticmethod
    def _digest(salt: str, key: str, value: str) -> str:
        return hmac.new(salt.encode(), f"{key}\0{value}".encode(), hashlib.sha256).hexdigest()

    def holds(self, salt: str, key: str, value: str) -> bool:
        """True when ``key`` was set to ``value`` under this salt (an empty salt: never)."""
        return bool(salt) and self._digests.get(key) == self._digest(salt, key, value)

    def remember(self, salt: str, key: str, value: str) -> None:
        """Record that ``key`` now holds ``value``."""
        self._digests[key] = self._digest(salt, key, value)

    def save(self) -> None:
        """Write the file (mode 0600)."""
        self.path.write_text(json.dumps(self._digests))
        self.path.chmod(0o600)
