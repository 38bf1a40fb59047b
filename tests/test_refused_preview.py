"""A preview the policy pack refuses ends with the refusal alone: no traceback, however often it runs.

The engine stops its plugins by sending SIGINT to each plugin's process group; Python children of the
language host used to get it while shutting down, and about one refused preview in 25 ended with an
unrelated ``KeyboardInterrupt`` traceback (``threading._shutdown``, logging's ``atexit`` hook). The
language host now runs them in groups of their own and stops them with SIGTERM
(``scripts/toolchain/langhost``). This repeats a refused preview 50 times through the real engine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import ROOT, ops_settings, python_project, toolchain_or_skip

pytestmark = pytest.mark.engine

RUNS = 50
PROGRAM = """import pulumi

# A Kubernetes provider that renders for a zone no catalog has: disallow-non-eu-zone refuses it.
pulumi.ProviderResource("kubernetes", "nowhere", {"renderYamlToDirectory": pulumi.Config().require("out")})
"""
NOISE = ("Traceback", "KeyboardInterrupt", "Exception ignored", "Error in atexit")


def test_a_refused_preview_ends_without_a_shutdown_traceback_every_time(tmp_path):
    toolchain_or_skip("pulumi")
    from edgefed_ops.stack.workspace import StackWorkspace

    project = python_project(tmp_path / "project", "refused", PROGRAM)
    pack = ROOT / "policies" / "eu-residency"
    workspaces = []
    for number in range(2):  # two stacks, previewed side by side
        workspace = StackWorkspace(ops_settings(tmp_path), f"refused-{number}", project=project)
        workspace.prepare({"refused:out": str(tmp_path / "render" / "zz-nowhere")})
        workspaces.append(workspace)

    def preview(run: int) -> tuple[int, str]:
        workspace = workspaces[run % 2]
        done = workspace.cli(
            "preview", "--policy-pack", str(pack), "--policy-pack-config", str(pack / "config.json"), check=False
        )
        return done.returncode, done.stdout + done.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(preview, range(RUNS)))
    refused = "provider 'nowhere': targets unknown zone 'zz-nowhere', not in the federation catalog"
    for run, (code, output) in enumerate(results):
        assert code != 0 and refused in output, f"run {run}: {output[-3000:]}"
        noisy = [word for word in NOISE if word in output]
        assert not noisy, f"run {run} of {RUNS}: {noisy} in the output of a refused preview:\n{output[-4000:]}"
