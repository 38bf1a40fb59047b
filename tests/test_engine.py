"""The real Pulumi engine (CLI, language host, Kubernetes provider) on the committed country stacks.

Runs through scripts/workspace.py: a workspace folder and a file backend per test, both in tmp_path.
Skipped, loudly, only when scripts/bootstrap could not build the toolchain.
"""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from .conftest import ROOT, toolchain_or_skip

pytestmark = pytest.mark.engine

PACK = ROOT / "policies" / "eu-residency"
POLICY_ARGS = ("--policy-pack", str(PACK), "--policy-pack-config", str(PACK / "config.json"))
KUBERNETES_VERSION = "1.34.0"
"""The Kubernetes version edgefed targets; rendered manifests must validate against its OpenAPI schemas."""


@pytest.fixture
def workspace_for(tmp_path):
    toolchain_or_skip("pulumi")
    from workspace import StackWorkspace

    made = []

    def make(stack: str, **settings):
        workspace = StackWorkspace(stack, folder=tmp_path / "work" / stack, backend=tmp_path / "backend")
        workspace.prepare(settings)
        made.append(workspace)
        return workspace

    yield make


def _render_settings(tmp_path: Path, stack: str) -> dict[str, object]:
    return {"renderYamlTo": str(tmp_path / "render" / stack), "buckets": False}


@pytest.mark.parametrize("stack", ["fr", "de", "it", "es"])
def test_every_country_stack_previews_cleanly(stack, workspace_for, tmp_path):
    workspace = workspace_for(stack, **_render_settings(tmp_path, stack))
    result = workspace.pulumi("preview", "--diff=false", "--json", *POLICY_ARGS)
    preview = json.loads(result.stdout)
    steps = preview["steps"]
    assert steps, "a preview that creates nothing proves nothing"
    assert {s["op"] for s in steps} == {"create"}
    types = {s["newState"]["type"] for s in steps}
    assert {"edgefed:index:EdgeZone", "edgefed:index:FederatedEdgeApp", "kubernetes:apps/v1:Deployment"} <= types
    assert not [d for d in preview.get("diagnostics", []) if d.get("severity") == "error"]


def test_bad_stack_config_fails_the_preview_with_the_field(workspace_for, tmp_path):
    workspace = workspace_for("fr", **_render_settings(tmp_path, "fr"), zones=["orange-fr-paris", "ghost-zone"])
    result = workspace.pulumi("preview", "--diff=false", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "stacks/Pulumi.fr.yaml: 1 problem(s), nothing was deployed:" in output
    assert "edgefed:zones[1]: 'ghost-zone' is not a catalog zone" in output
    assert "Traceback" not in output, "users get the message, not a stack trace"


def test_up_renders_valid_manifests_then_no_changes_then_destroy(workspace_for, tmp_path):
    out = tmp_path / "render" / "it"
    workspace = workspace_for("it", **_render_settings(tmp_path, "it"))
    workspace.pulumi("up", "--yes", "--skip-preview", *POLICY_ARGS)

    files = sorted(out.rglob("*.yaml"))
    zones = {p.relative_to(out).parts[0] for p in files}
    plan = json.loads(workspace.pulumi("stack", "output", "plan", "--json").stdout)
    planned = {zone for app in plan.values() for zone in app["zones"]}
    assert zones == planned, "one manifest folder per zone of the plan"
    kinds = set()
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            kinds.add(document["kind"])
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            labels = document["metadata"].get("labels", {})
            assert labels.get("edgefed.io/zone") == path.relative_to(out).parts[0]
    assert {"Namespace", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    assert len(files) >= 20

    second = workspace.pulumi("preview", "--diff=false", "--json", "--expect-no-changes")
    assert {s["op"] for s in json.loads(second.stdout)["steps"]} == {"same"}

    workspace.pulumi("destroy", "--yes", "--skip-preview")
    state = json.loads(workspace.pulumi("stack", "export").stdout)
    assert [r for r in state["deployment"].get("resources") or [] if r["type"] != "pulumi:pulumi:Stack"] == []
