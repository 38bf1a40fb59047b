"""No Pulumi plugin outlives its engine: a plugin whose engine died is found and stopped, a running engine's never.

Real processes: an "engine" (bash run under the name ``pulumi``) starts a "provider" (sleep under the
name ``pulumi-resource-fake``) in the test's folder, as the engine starts plugins in the program's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from edgefed_ops.failover import plugins


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_plugin_whose_engine_died_is_stopped_and_a_running_engines_plugin_is_not(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "pulumi").symlink_to(shutil.which("bash") or "/bin/bash")
    (tools / "pulumi-resource-fake").symlink_to(shutil.which("sleep") or "/bin/sleep")
    engine = subprocess.Popen(
        [str(tools / "pulumi"), "-c", f"{tools}/pulumi-resource-fake 300 & echo $!; wait"],
        cwd=tmp_path, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert engine.stdout is not None
    plugin = int(engine.stdout.readline())
    try:
        deadline = time.monotonic() + 10
        while not plugins.is_plugin(plugin) and time.monotonic() < deadline:
            time.sleep(0.05)  # the engine's fork has not run the plugin's program yet
        assert plugins.is_plugin(plugin) and not plugins.is_plugin(engine.pid)
        assert plugins.orphans(tmp_path) == [], "its engine runs"
        assert plugins.orphans(tmp_path / "elsewhere") == []
        os.kill(engine.pid, signal.SIGKILL)
        engine.wait(timeout=10)
        deadline = time.monotonic() + 10
        while plugins._ppid(plugin) == engine.pid and time.monotonic() < deadline:
            time.sleep(0.05)
        assert plugins.orphans(tmp_path) == [plugin], "its engine died"
        assert plugins.orphans(tmp_path / "elsewhere") == [], "another program's plugins are not ours to stop"
        assert plugins.reap_orphans(tmp_path) == [plugin]
        deadline = time.monotonic() + 10
        while _running(plugin) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(plugin)
    finally:
        if _running(plugin):
            os.kill(plugin, signal.SIGKILL)
