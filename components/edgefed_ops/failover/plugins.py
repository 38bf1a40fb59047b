"""No Pulumi plugin outlives its engine: the watcher stops the language hosts and providers left orphaned.

The engine starts each plugin in a process group of its own, so a plugin outlives an engine that is
killed (it notices only at its next health check of the engine, up to 5 minutes later). A watcher is a
child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``): the plugins of an engine of its that dies become its
children, and it stops them. The plugins of a watcher that died with its engine are stopped by the next
watcher to start, to lead or to recover that update's lock: any plugin process (language host, the
program it runs, provider, analyzer) that runs this repository's program (its working folder is in the
repository) and has no ``pulumi`` engine among its ancestors. A plugin of a running engine, another
job's or another watcher's, always has one.

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
    """Whether the process is a Pulumi plugin or a program a language host runs, by what it executes.

    A ``pulumi-language-*``/``pulumi-resource-*``/``pulumi-analyzer-*`` binary, or Python running such a
    script (the program's ``pulumi-language-python-exec``) or the SDK's dynamic provider module
    (``-m pulumi.dynamic``, edgefed's bucket provider).
    """
    try:
        argv = [a.decode(errors="replace") for a in _read(pid, "cmdline").split(b"\0") if a]
    except OSError:
        return False
    if not argv:
        return False
    if os.path.basename(argv[0]).startswith(PLUGIN_PREFIXES):
        return True
    if not os.path.basename(argv[0]).startswith("python"):
        return False
    rest = argv[1:]
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        rest = rest[1:]  # the interpreter's options (-u)
    if rest[:1] == ["-m"]:
        return rest[1:2] == ["pulumi.dynamic"]
    return bool(rest) and os.path.basename(rest[0]).startswith(PLUGIN_PREFIXES)


def _has_engine(pid: int) -> bool:
    """Whether a ``pulumi`` engine is among the process's ancestors (a program's is its language host's)."""
    seen = set()
    parent = _ppid(pid)
    while parent > 1 and parent not in seen:
        if _program(parent) == "pulumi":
            return True
        seen.add(parent)
        parent = _ppid(parent)
    return False


def orphans(root: Path) -> list[int]:
    """Plugin processes running ``root``'s program that no ``pulumi`` engine runs any more."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        try:
            if pid == os.getpid() or not is_plugin(pid):
                continue
            if not Path(os.readlink(f"/proc/{pid}/cwd")).is_relative_to(root):
                continue
            if not _has_engine(pid):
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


ADOPTED = ("pulumi-language", "pulumi-resource", "pulumi-analyzer", "python", "python3")
"""Names (as ``/proc/PID/stat`` gives them, 15 characters at most) of plugin processes a watcher may adopt."""


def reap_children() -> None:
    """Stop and collect the plugins this watcher adopted as subreaper (their engine died; it lives on).

    Only adopted plugins: the watcher's own children are the ``pulumi`` engines the Automation API
    started, whose exit statuses are the Automation API's to collect.
    """
    me = os.getpid()
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        try:
            stat = _read(pid, "stat").decode(errors="replace")
            name, rest = stat.split("(", 1)[1].rsplit(")", 1)
            state, parent = rest.split()[:2]
            if int(parent) != me or (name not in ADOPTED and not name.startswith(ADOPTED[:3])):
                continue
            if state != "Z":
                if not is_plugin(pid):
                    continue
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (OSError, ValueError, IndexError):
            continue
