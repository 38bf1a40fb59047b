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
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from edgefed_ops.local.files import write_private


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


def log_tail(log: Path, lines: int = 8) -> str:
    """The last lines of a server's log, for an error that says why it did not start."""
    try:
        tail = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"its log {log} cannot be read"
    return f"the last lines of {log}:\n" + "\n".join(f"    {line}" for line in tail)
