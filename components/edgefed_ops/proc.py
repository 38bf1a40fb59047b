"""Server processes that outlive the command which started them, and the only way edgefed signals them.

A pid file can outlive its process and the pid can be reused by another program: every record keeps the
process's start time (``/proc/<pid>/stat``, field 22) and its executable, and a signal is sent only to a
process that still matches both.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from edgefed_ops.files import write_private


@dataclass(frozen=True)
class ProcessRecord:
    """One process edgefed started: its pid, its start time in clock ticks since boot, its executable."""

    pid: int
    started: int
    executable: str


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of a process, or None when there is none with that pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[19])  # fields after the command name start at field 3


def record(process: subprocess.Popen[bytes], executable: str) -> ProcessRecord:
    """The record of a process just started."""
    found = _stat(process.pid)
    return ProcessRecord(process.pid, found[1] if found else -1, os.path.basename(executable))


def is_ours(item: ProcessRecord) -> bool:
    """True while the recorded process runs: same pid, same start time, same executable, not a zombie."""
    found = _stat(item.pid)
    if found is None or found[0] == "Z" or found[1] != item.started:
        return False
    try:
        return os.path.basename(os.readlink(f"/proc/{item.pid}/exe")).startswith(item.executable)
    except OSError:
        return False


def save(path: Path, records: Iterable[ProcessRecord]) -> None:
    """Append records to a folder's process file."""
    existing = load(path)
    write_private(path, json.dumps([asdict(r) for r in [*existing, *records]]))


def load(path: Path) -> list[ProcessRecord]:
    """The records of a process file (none if it does not exist)."""
    if not path.exists():
        return []
    return [ProcessRecord(**item) for item in json.loads(path.read_text())]


def stop(records: Sequence[ProcessRecord], *, crash: bool = False, grace: float = 10.0) -> None:
    """Stop the processes that are still ours: SIGTERM, then SIGKILL after ``grace`` s; ``crash`` kills now."""
    running = [item for item in records if is_ours(item)]
    for sig in (signal.SIGKILL,) if crash else (signal.SIGTERM, signal.SIGKILL):
        for item in running:
            if is_ours(item):  # checked again right before the signal
                with contextlib.suppress(OSError):
                    os.kill(item.pid, sig)
        deadline = time.monotonic() + grace
        while running and time.monotonic() < deadline:
            time.sleep(0.1)
            running = [item for item in running if is_ours(item)]
        if not running:
            return


def spawn(
    args: Sequence[str], log: Path, *, detach: bool, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a server logging to ``log``; ``detach`` puts it in its own session, so that it outlives us."""
    with log.open("ab") as out:
        return subprocess.Popen(
            list(args), stdout=out, stderr=subprocess.STDOUT, start_new_session=detach, env=dict(env) if env else None
        )


_GIVEN_PORTS: set[int] = set()
_PORTS_LOCK = threading.Lock()


def reserve_ports(ports: Iterable[int]) -> None:
    """Never hand out ``ports`` from :func:`free_port`: they are fixed endpoints that start later."""
    with _PORTS_LOCK:
        _GIVEN_PORTS.update(ports)


def free_port() -> int:
    """A free TCP port on 127.0.0.1, never one this process was given before.

    Callers bind the port later, and zones start from several threads at once: the kernel may hand a
    just-released port out again, which must not give two servers the same one.
    """
    with _PORTS_LOCK:
        while True:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port not in _GIVEN_PORTS:
                _GIVEN_PORTS.add(port)
                return port


def port_in_use(port: int) -> bool:
    """True if something listens on 127.0.0.1:``port`` (connections in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def listening(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if a TCP connection to host:port is accepted."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
