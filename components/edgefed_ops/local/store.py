"""One country's object store of the local federation: versitygw on the catalog's loopback endpoint."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from edgefed_ops.errors import OpsError
from edgefed_ops.local import object_store, processes
from edgefed_ops.local.zone import ANOTHER_FEDERATION, PROCESSES, all_running


class LocalStore:
    """A country's S3 server, its keys made once in its folder."""

    def __init__(self, country: str, endpoint: str, region: str, folder: Path) -> None:
        self.country, self.endpoint, self.region, self.folder = country, endpoint, region, folder

    def start(self, binary: str) -> None:
        """Start the server unless it runs; a port taken by another process is one clear error."""
        if all_running(self.folder):
            return
        port = urlparse(self.endpoint).port
        if port is None:
            raise OpsError(f"{self.country}'s object store {self.endpoint} names no port")
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        try:
            server = object_store.start(
                self.folder, self.region, port=port, binary=binary, keys=object_store.keys_of(self.folder), detach=True
            )
        except object_store.PortInUseError as error:
            raise OpsError(
                f"federation: {self.country}'s object store {self.endpoint} cannot start: {error}. {ANOTHER_FEDERATION}"
            ) from error
        (self.folder / PROCESSES).unlink(missing_ok=True)
        processes.save(self.folder / PROCESSES, [server.record])
