"""Which federation a stack's state was last reconciled with: a small object kept beside the state.

A stack deployed onto a local federation that was since taken down and started anew has state listing
objects the new zones never had: its next update must refresh first. Which federation the state matches
is a fact about the state, so it lives with it (in the state bucket, or the file backend's folder), and
every workspace of the stack, whichever job or watcher made it, reads the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from edgefed_ops.local import object_store
from edgefed_ops.stack.backend import BackendUrl

FOLDER = ".edgefed/federation"


def read(backend: BackendUrl, env: Mapping[str, str], stack: str) -> str:
    """The id of the federation ``stack``'s state matches ("" when none was recorded)."""
    if backend.scheme == "s3":
        from botocore.exceptions import ClientError

        store = _client(backend, env)
        try:
            body = store.get_object(Bucket=backend.location, Key=f"{FOLDER}/{stack}")["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return ""
            raise
        return str(body.decode().strip())
    path = _file(backend, stack)
    return path.read_text().strip() if path is not None and path.exists() else ""


def write(backend: BackendUrl, env: Mapping[str, str], stack: str, federation: str) -> None:
    """Record that ``stack``'s state matches ``federation``."""
    if backend.scheme == "s3":
        _client(backend, env).put_object(Bucket=backend.location, Key=f"{FOLDER}/{stack}", Body=federation.encode())
        return
    path = _file(backend, stack)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(federation)


def _client(backend: BackendUrl, env: Mapping[str, str]) -> Any:
    return object_store.client(
        backend.endpoint or "", backend.region or "",
        env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", ""),
    )  # fmt: skip


def _file(backend: BackendUrl, stack: str) -> Path | None:
    folder = backend.file_path
    return Path(folder, FOLDER, stack) if folder is not None else None
