"""Start and stop a real S3-compatible server (versitygw, POSIX backend) on loopback.

Used by the tests and the local federation. Credentials go through the environment, never argv, so they
do not show up in process listings.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class PortInUseError(RuntimeError):
    """The port asked for is taken: another S3 server (another local federation?) listens there."""


@dataclass
class S3Server:
    """A running versitygw process."""

    process: subprocess.Popen[bytes]
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


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True if something listens on 127.0.0.1:``port`` (connections in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def start(
    data_dir: Path,
    region: str,
    *,
    port: int | None = None,
    binary: str | None = None,
    keys: tuple[str, str] | None = None,
    detach: bool = False,
) -> S3Server:
    """Start versitygw on 127.0.0.1 serving ``data_dir`` in ``region``; waits until it accepts connections.

    ``keys`` (access, secret) default to fresh random ones; ``detach`` lets the server outlive the caller.
    """
    exe = binary or shutil.which("versitygw")
    if exe is None:
        raise FileNotFoundError("versitygw is not on PATH; run scripts/bootstrap")
    if port and port_in_use(port):
        # Without this, the new server would exit while the one already there answers our readiness check.
        raise PortInUseError(f"127.0.0.1:{port} is already in use by another process")
    port = port or free_port()
    (data_dir / "buckets").mkdir(parents=True, exist_ok=True)
    (data_dir / "versions").mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    access, secret = keys or (f"edgefed{secrets.token_hex(6)}", secrets.token_urlsafe(24))
    env = {**os.environ, "ROOT_ACCESS_KEY_ID": access, "ROOT_SECRET_ACCESS_KEY": secret}
    log = (data_dir / "versitygw.log").open("ab")
    process = subprocess.Popen(
        [
            exe,
            "--port",
            f"127.0.0.1:{port}",
            "--region",
            region,
            "--quiet",
            "posix",
            "--versioning-dir",
            str(data_dir / "versions"),
            str(data_dir / "buckets"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=detach,
    )
    server = S3Server(process, f"http://127.0.0.1:{port}", region, access, secret, data_dir)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"versitygw exited with {process.returncode}; see {data_dir / 'versitygw.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise TimeoutError(f"versitygw did not listen on 127.0.0.1:{port} within 20 s")
