"""A real S3-compatible server (versitygw, POSIX backend) on loopback, for the tests and the federation.

Credentials go through the environment, never argv, so they do not show up in process listings.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgefed_ops.errors import OpsError
from edgefed_ops.local import ports, processes
from edgefed_ops.local.files import write_private


class PortInUseError(OpsError):
    """The port asked for is taken: another S3 server (another local federation?) listens there."""


@dataclass
class S3Server:
    """A running versitygw process."""

    process: subprocess.Popen[bytes]
    record: processes.ProcessRecord
    endpoint: str
    region: str
    access_key: str
    secret_key: str
    data_dir: Path

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    data_dir: Path,
    region: str,
    *,
    binary: str,
    port: int | None = None,
    keys: tuple[str, str] | None = None,
    detach: bool = False,
) -> S3Server:
    """Start versitygw on 127.0.0.1 serving ``data_dir`` in ``region``; returns once it accepts connections.

    ``keys`` (access, secret) default to fresh random ones; ``detach`` lets the server outlive the caller.
    """
    if port and ports.port_in_use(port):
        # Without this, the new server would exit while the one already there answers our readiness check.
        raise PortInUseError(f"127.0.0.1:{port} is already in use by another process")
    port = port or ports.free_port()
    (data_dir / "buckets").mkdir(parents=True, exist_ok=True)
    (data_dir / "versions").mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    access, secret = keys or (f"edgefed{secrets.token_hex(6)}", secrets.token_urlsafe(24))
    env = {**os.environ, "ROOT_ACCESS_KEY_ID": access, "ROOT_SECRET_ACCESS_KEY": secret}
    args = [
        binary, "--port", f"127.0.0.1:{port}", "--region", region, "--quiet", "posix",
        "--versioning-dir", str(data_dir / "versions"), str(data_dir / "buckets"),
    ]  # fmt: skip
    process = processes.spawn(args, data_dir / "versitygw.log", detach=detach, env=env)
    server = S3Server(
        process, processes.record(process, binary), f"http://127.0.0.1:{port}", region, access, secret, data_dir
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OpsError(
                f"versitygw exited with {process.returncode}; {processes.log_tail(data_dir / 'versitygw.log')}"
            )
        if ports.listening("127.0.0.1", port, timeout=0.2):
            return server
        time.sleep(0.1)
    server.stop()
    raise OpsError(f"versitygw did not listen on 127.0.0.1:{port} within 20 s")


@functools.lru_cache(maxsize=32)
def client(endpoint: str, region: str, access_key: str, secret_key: str) -> Any:
    """A boto3 S3 client of one object store (path-style addressing, as loopback servers need).

    Made once per process and keys: each deploy reads its state marker and asks for its lock, and making a
    client loads S3's service model (60-90 ms). Clients are thread-safe; sessions are not, so each client
    has a session of its own (boto3's default session is not safe to share between deploying threads).
    """
    import boto3  # only the jobs that talk to a store pay for importing boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )  # fmt: skip


def ensure_bucket(store: Any, bucket: str, region: str) -> None:
    """Create ``bucket`` in ``region`` unless this store already has it."""
    from botocore.exceptions import ClientError

    try:
        store.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise OpsError(f"state bucket {bucket}: {error}") from error


def keep_folder(store: Any, bucket: str, folder: str) -> None:
    """Put the folder object ``folder`` (a key ending in ``/``) so that deletes below it never remove it.

    Why: versitygw's POSIX backend removes a deleted object's empty parent directories, racing with a
    concurrent put that has just found them present (the put fails with ExistingObjectIsDirectory). Pulumi
    deletes each stack's lock under ``.pulumi/locks/organization/<project>/`` after every operation, while
    the other stacks of that project, deploying concurrently, put theirs. A folder put as an object is kept.
    """
    from botocore.exceptions import ClientError

    if not folder.endswith("/"):
        raise ValueError(f"a folder object's key ends in '/': {folder!r}")
    try:
        store.put_object(Bucket=bucket, Key=folder, Body=b"")
    except ClientError as error:
        raise OpsError(f"state bucket {bucket}: cannot keep {folder}: {error}") from error


def keys_of(folder: Path) -> tuple[str, str]:
    """The (access, secret) keys of a store, made once in ``folder/credentials.json`` (mode 0600)."""
    credentials = folder / "credentials.json"
    if not credentials.exists():
        made = {"accessKey": f"edgefed{secrets.token_hex(6)}", "secretKey": secrets.token_urlsafe(24)}
        write_private(credentials, json.dumps(made))
    keys = json.loads(credentials.read_text())
    return str(keys["accessKey"]), str(keys["secretKey"])
