"""Loopback ports of the local federation, kept out of the range the kernel hands out to connections.

Linux picks the source port of every outgoing connection from ``ip_local_port_range`` (32768-60999 by
default): a server that must listen on a fixed port inside that range can find it taken by any client
on the machine, and then fails to start (``bind: address already in use``). The catalog's fixed ports
are checked against the range at start, and every port edgefed chooses itself comes from outside it.
"""

from __future__ import annotations

import os
import random
import socket
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from edgefed_ops.errors import OpsError

RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10000
"""The lowest port edgefed chooses: below are well-known and registered services' usual ports."""


def ephemeral_range(source: Path = RANGE_FILE) -> tuple[int, int]:
    """The kernel's range of source ports for outgoing connections (inclusive)."""
    try:
        low, high = (int(x) for x in source.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return low, high


def check_fixed(ports: Iterable[tuple[str, int]], source: Path = RANGE_FILE) -> None:
    """Refuse fixed ports (``(what, port)``) inside the ephemeral range, naming them and the range."""
    low, high = ephemeral_range(source)
    inside = [f"{what} on {port}" for what, port in ports if low <= port <= high]
    if inside:
        raise OpsError(
            f"fixed port(s) inside the kernel's ephemeral range {low}-{high} ({source}), where any outgoing "
            f"connection may take them first: {'; '.join(inside)}. Move them in the catalog below {low} or "
            f"above {high}"
        )


_GIVEN: set[int] = set()
_LOCK = threading.Lock()
CLAIMS = Path(tempfile.gettempdir()) / f"edgefed-ports-{os.getuid()}"
"""One file per port a running process chose and has not necessarily bound yet (its pid inside): two processes
choosing ports at once (two federations of a test run, a user's and a test's) never pick the same one."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim(port: int, folder: Path = CLAIMS) -> bool:
    """Claim ``port`` for this process across processes; False when a live process claimed it first.

    A claim of a process that is gone is taken over: by then its port is bound (and found in use) or free.
    """
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / str(port)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            try:
                owner = int(path.read_text() or "0")
            except (OSError, ValueError):
                return False
            if owner == 0 or owner == os.getpid() or _alive(owner):
                return False  # an empty file is a claim being written
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as out:
            out.write(str(os.getpid()))
        return True
    return False


def reserve(ports: Iterable[int]) -> None:
    """Never hand out ``ports`` from :func:`free_port`: they are fixed endpoints that start later."""
    with _LOCK:
        _GIVEN.update(ports)


def free_port(source: Path = RANGE_FILE, rng: random.Random | None = None) -> int:
    """A free TCP port on 127.0.0.1 outside the ephemeral range, never one this process was given before.

    Callers bind the port later, and zones start from several threads at once: a port handed out once
    is never handed out again (nor to another process while this one lives, :func:`claim`), and one outside
    the ephemeral range cannot be taken meanwhile by the source port of a connection.
    """
    low, high = ephemeral_range(source)
    candidates = [(LOWEST, low - 1), (high + 1, 65535)]
    pick = rng or random.SystemRandom()
    with _LOCK:
        for _ in range(2000):
            first, last = pick.choice([r for r in candidates if r[0] <= r[1]])
            port = pick.randint(first, last)
            if port not in _GIVEN and not port_in_use(port) and claim(port):
                _GIVEN.add(port)
                return port
    raise OpsError(f"no free port on 127.0.0.1 outside the ephemeral range {low}-{high}")


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
