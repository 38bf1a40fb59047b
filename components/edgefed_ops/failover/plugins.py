"""No Pulumi plugin outlives its engine: the watcher stops the language hosts and providers left orphaned.

The engine starts each plugin in a process group of its own, so a plugin outlives an engine that is
killed (it notices only at its next health check of the engine, up to 5 minutes later). A watcher is a
child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``): the plugins of an engine of its that dies become its
children, and it stops them. The plugins of a watcher that died with its engine are stopped by the next
watcher to start or to recover that update's lock: any plugin process whose parent is not a ``pulumi``
engine and that runs this repository's program (its working folder is in the repository).

Reads ``/proc`` (Linux, where the watchers run); elsewhere it finds nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
PLUGIN_PREFIXES = ("pulumi-language-", "pulumi-resource-", "pulumi-analyzer-")


def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans; whether the kernel agreed."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _read(pid: int, name: str) -> bytes:
    return Path(f"/proc/{pid}/{name}").read_bytes()


def _ppid(pid: int) -> int:
    stat = _read(pid, "stat").decode(errors="replace")
    return int(stat.rsplit(")", 1)[1].split()[1])


def _program(pid: int) -> str:
    argv = _read(pid, "cmdline").split(b"\0")
    return os.path.basename(argv[0].decode(errors="replace")) if argv and argv[0] else ""


def is_plugin(pid: int) -> bool:
    """Whether the process is a Pulumi plugin (language host, provider, analyzer), by its program's name."""
    try:
        argv = [a.decode(errors="replace") for a in _read(pid, "cmdline").split(b"\0") if a]
    except OSError:
        return False
    names = [os.path.basename(a) for a in argv[:3]]  # a script plugin runs under its interpreter
    # A dynamic provider (edgefed's bucket provider) is the Python SDK's module, run by the venv's python.
    dynamic = argv[1:3] == ["-m", "pulumi.dynamic"] or argv[1:4] == ["-u", "-m", "pulumi.dynamic"]
    return dynamic or any(name.startswith(PLUGIN_PREFIXES) for name in names)


def orphans(root: Path) -> list[int]:
    """Plugin processes running ``root``'s program whose parent is not a ``pulumi`` engine."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        try:
            if pid == os.getpid() or not is_plugin(pid):
                continue
            if not Path(os.readlink(f"/proc/{pid}/cwd")).is_relative_to(root):
                continue
            if _program(_ppid(pid)) != "pulumi":
                found.append(pid)
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
    return sorted(found)


def reap_orphans(root: Path) -> list[int]:
    """Stop every orphaned plugin of ``root``'s program; their pids."""
    stopped = []
    for pid in orphans(root):
        try:
            os.kill(pid, signal.SIGKILL)
            stopped.append(pid)
        except OSError:
            continue
    reap_children()
    return stopped


def reap_children() -> None:
    """Stop and collect the plugins this watcher adopted as subreaper (their engine died; it lives on).

    Only plugin processes, by name: the engines' own exit statuses belong to the Automation API that
    started them.
    """
    me = os.getpid()
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        try:
            stat = _read(pid, "stat").decode(errors="replace")
            name, rest = stat.split("(", 1)[1].rsplit(")", 1)
            state, parent = rest.split()[:2]
            if int(parent) != me or not name.startswith(tuple(p[:15] for p in PLUGIN_PREFIXES)):
                continue
            if state != "Z":
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (OSError, ValueError, IndexError):
            continue
