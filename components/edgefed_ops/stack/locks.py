"""Who holds a stack's lock: the pid in the lock file that file and S3 backends keep under .pulumi/locks/."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from edgefed_ops.local import object_store
from edgefed_ops.stack.backend import BackendUrl


def lock_holder(backend: BackendUrl, env: Mapping[str, str], stack: str) -> int | None:
    """The pid of the `pulumi` holding ``stack``'s lock, or ``None`` (no lock, or a backend without files)."""
    if backend.scheme == "s3":
        return _s3_lock_holder(backend, env, stack)
    folder = backend.file_path
    if folder is None:
        return None
    for lock in sorted(Path(folder, ".pulumi", "locks").glob(f"**/{stack}/*.json")):
        try:
            return int(json.loads(lock.read_text())["pid"])
        except (OSError, KeyError, ValueError):
            continue
    return None


def _s3_lock_holder(backend: BackendUrl, env: Mapping[str, str], stack: str) -> int | None:
    store = object_store.client(
        backend.endpoint or "", backend.region or "",
        env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", ""),
    )  # fmt: skip
    listed = store.list_objects_v2(Bucket=backend.location, Prefix=".pulumi/locks/")
    for item in sorted(listed.get("Contents") or [], key=lambda o: str(o["Key"])):
        if f"/{stack}/" not in str(item["Key"]):
            continue
        try:
            body = store.get_object(Bucket=backend.location, Key=item["Key"])["Body"].read()
            return int(json.loads(body)["pid"])
        except (KeyError, ValueError):
            continue
    return None
