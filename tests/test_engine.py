"""The real Pulumi engine (CLI, language host, Kubernetes provider) on the committed country stacks.

Runs through edgefed_ops.stack.workspace: a workspace folder and a file backend per test, both in tmp_path.
A missing toolchain fails these tests (EDGEFED_SKIP_INTEGRATION=1 is the only, explicit, opt-out).
"""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from .conftest import EDGEFED, ROOT, ops_settings, toolchain_or_skip

pytestmark = pytest.mark.engine

PACK = ROOT / "policies" / "eu-residency"
POLICY_ARGS = ("--policy-pack", str(PACK), "--policy-pack-config", str(PACK / "config.json"))
"""The pack with the production config (the example federation's stacks)."""


def policy_args(stack: str) -> tuple[str, ...]:
    """The pack with the config of the stack's family: local stacks are checked against the local catalog."""
    config = "config-local.json" if stack.startswith("local-") else "config.json"
    return ("--policy-pack", str(PACK), "--policy-pack-config", str(PACK / config))


KUBERNETES_VERSION = "1.34.0"
"""The Kubernetes version edgefed targets; rendered manifests must validate against its OpenAPI schemas."""


@pytest.fixture
def workspace_for(tmp_path):
    toolchain_or_skip("pulumi")
    from edgefed_ops.stack.workspace import StackWorkspace

    made = []

    def make(stack: str, **settings):
        workspace = StackWorkspace(ops_settings(tmp_path), stack)
        workspace.prepare(settings)
        made.append(workspace)
        return workspace

    yield make


def _render_settings(tmp_path: Path, stack: str) -> dict[str, object]:
    return {"renderYamlTo": str(tmp_path / "render" / stack), "buckets": False}


STACKS = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


@pytest.mark.parametrize("stack", [s for s in STACKS if not s.startswith("local-")])
def test_every_stack_previews_cleanly(stack, workspace_for, tmp_path):
    """Every stack of the example federation, previewed with the pack (the local ones are deployed, below)."""
    workspace = workspace_for(stack, **_render_settings(tmp_path, stack))
    result = workspace.cli("preview", "--diff=false", "--json", *policy_args(stack))
    preview = json.loads(result.stdout)
    steps = preview["steps"]
    assert steps, "a preview that creates nothing proves nothing"
    assert {s["op"] for s in steps} == {"create"}
    types = {s["newState"]["type"] for s in steps}
    if "zones-" in stack:  # an operator's zone stack: its tenants' namespaces, quotas, rights and admission
        expected = {"edgefed:index:OperatorZone", "edgefed:index:TenantNamespace", "kubernetes:core/v1:ResourceQuota",
                    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
                    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"}  # fmt: skip
        assert expected <= types and "kubernetes:apps/v1:Deployment" not in types
    else:
        assert {"edgefed:index:EdgeZone", "edgefed:index:FederatedEdgeApp", "kubernetes:apps/v1:Deployment"} <= types
        assert "kubernetes:core/v1:Namespace" not in types, "a tenant's stack makes no namespace"
    assert not [d for d in preview.get("diagnostics", []) if d.get("severity") == "error"]


def test_every_local_stack_is_deployed_by_the_local_federation_tests():
    """The local stacks are previewed and deployed with the pack by `edgefed deploy` in the two local
    federation modules: together they deploy every one of them, so none goes unchecked."""
    from .local_federation import FAULTS_STACKS, MAIN_STACKS, OPERATOR_STACKS, PLATFORM_STACKS

    deployed = OPERATOR_STACKS + MAIN_STACKS + FAULTS_STACKS + PLATFORM_STACKS
    assert sorted(deployed) == [s for s in STACKS if s.startswith("local-")]


def test_bad_stack_config_fails_the_preview_with_the_field(workspace_for, tmp_path):
    workspace = workspace_for(
        "acme-fr", **_render_settings(tmp_path, "acme-fr"), zones=["orange-fr-paris", "ghost-zone"]
    )
    result = workspace.cli("preview", "--diff=false", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "stacks/Pulumi.acme-fr.yaml: 1 problem(s), nothing was deployed:" in output
    assert "edgefed:zones[1]: 'ghost-zone' is not a catalog zone" in output
    assert "Traceback" not in output, "users get the message, not a stack trace"


def test_up_renders_valid_manifests_then_no_changes_then_destroy(workspace_for, tmp_path):
    out = tmp_path / "render" / "acme-it"
    workspace = workspace_for("acme-it", **_render_settings(tmp_path, "acme-it"))
    workspace.cli("up", "--yes", "--skip-preview", *POLICY_ARGS)

    files = sorted(out.rglob("*.yaml"))
    zones = {p.relative_to(out).parts[0] for p in files}
    plan = json.loads(workspace.cli("stack", "output", "plan", "--json").stdout)
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
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"} == kinds
    assert len(files) >= 20

    second = workspace.cli("preview", "--diff=false", "--json", "--expect-no-changes")
    assert {s["op"] for s in json.loads(second.stdout)["steps"]} == {"same"}

    workspace.cli("destroy", "--yes", "--skip-preview")
    state = json.loads(workspace.cli("stack", "export").stdout)
    assert [r for r in state["deployment"].get("resources") or [] if r["type"] != "pulumi:pulumi:Stack"] == []


def test_policy_check_script_blocks_mandatory_violations(tmp_path):
    toolchain_or_skip("pulumi")
    import os
    import subprocess

    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    (tmp_path / "backend").mkdir()
    script = [*EDGEFED, "policy-check", "--work", str(tmp_path / "work")]
    ok = subprocess.run([*script, "acme-it"], env=env, capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "| acme-it | pass | 0 | 0 |" in ok.stdout
    strict = json.loads((PACK / "config.json").read_text())
    strict["disallow-non-eu-zone"]["allowedCountries"] = ["IT"]
    (tmp_path / "strict.json").write_text(json.dumps(strict))
    blocked = subprocess.run(
        [*script, "--config", str(tmp_path / "strict.json"), "acme-it"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert blocked.returncode == 1
    assert "| acme-it | blocked |" in blocked.stdout
    assert "zone 'orange-fr-lyon' is in FR; rule disallow-non-eu-zone allows only IT" in blocked.stdout
    assert "| acme-it | blocked |" in (tmp_path / "summary.md").read_text()
    machine = subprocess.run(
        [*script, "--json", "--config", str(tmp_path / "strict.json"), "acme-it"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    document = json.loads(machine.stdout)
    assert (document["trusted"], document["changedRules"]) == (None, [])
    verdict = document["stacks"][0]
    assert verdict["status"] == "blocked" and verdict["violations"], machine.stdout
    assert {v["policy"] for v in verdict["violations"]} == {"disallow-non-eu-zone"}
    assert all(v["level"] == "mandatory" for v in verdict["violations"])


def test_policy_analyze_audits_exported_state(workspace_for, tmp_path):
    workspace = workspace_for("acme-it", **_render_settings(tmp_path, "acme-it"))
    workspace.cli("up", "--yes", "--skip-preview")
    state = tmp_path / "state.json"
    state.write_text(workspace.cli("stack", "export").stdout)
    clean = workspace.cli("policy", "analyze", "--file", str(state), *POLICY_ARGS, stack=False, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    strict = json.loads((PACK / "config.json").read_text())
    strict["disallow-unlisted-registry"]["allowedRegistries"] = ["harbor.example.eu"]
    (tmp_path / "strict.json").write_text(json.dumps(strict))
    audit = workspace.cli(
        "policy",
        "analyze",
        "--file",
        str(state),
        "--policy-pack",
        str(PACK),
        "--policy-pack-config",
        str(tmp_path / "strict.json"),
        stack=False,
        check=False,
    )
    assert audit.returncode != 0
    assert (
        "comes from registry registry.edgefed.eu; rule disallow-unlisted-registry allows only harbor.example.eu"
        in audit.stdout
    )


def test_deploy_mode_previews_with_secret_kubeconfigs(tmp_path):
    """Without renderYamlTo the stack deploys: kubeconfigs and S3 keys come from stack secrets."""
    toolchain_or_skip("pulumi")
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed_ops.stack.workspace import StackWorkspace

    catalog = load_catalog(ROOT / "stacks" / "catalog" / "federation.yaml")
    # Each zone's kubeconfig names its catalog server (the pack checks that), which does not answer here.
    unreachable = (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: z\n  cluster: {{server: '{server}'}}\n"
        "users:\n- name: u\n  user: {{token: secret-token-5f1c}}\ncontexts:\n- name: z\n  context: {{cluster: z, user: u}}\n"
        "current-context: z\n"
    )
    secrets = {f"edgefed:{z.kubeconfig_secret}": unreachable.format(server=z.api_endpoint) for z in catalog.zones}
    secrets |= {
        f"edgefed:{z.object_storage.credentials_secret}": json.dumps({"accessKey": "ak-5f1c", "secretKey": "sk-5f1c"})
        for z in catalog.zones
    }
    workspace = StackWorkspace(ops_settings(tmp_path), "acme-fr")
    workspace.prepare({}, secrets=secrets)
    result = workspace.cli("preview", "--diff=false", "--json", *POLICY_ARGS)
    steps = json.loads(result.stdout)["steps"]
    types = {s["newState"]["type"] for s in steps}
    assert "pulumi-python:dynamic/edgefed:ResidentBucket" in types, "buckets are part of a deploying stack"
    assert "secret-token-5f1c" not in result.stdout + result.stderr
    assert "sk-5f1c" not in result.stdout + result.stderr


def test_prepare_sets_a_secret_again_only_when_its_value_changed(tmp_path, monkeypatch):
    """Jobs prepare the same stack many times; each unchanged secret would cost a `pulumi config set`."""
    toolchain_or_skip("pulumi")
    from edgefed_ops.stack.workspace import StackWorkspace

    workspace = StackWorkspace(ops_settings(tmp_path), "acme-fr")
    calls: list[str] = []
    original = StackWorkspace.set_secret
    monkeypatch.setattr(StackWorkspace, "set_secret", lambda self, k, v: (calls.append(k), original(self, k, v)))
    secrets = {"edgefed:kubeconfig-a": "token-one-5f1c", "edgefed:kubeconfig-b": "token-two-5f1c"}
    workspace.prepare({}, secrets=secrets)
    assert sorted(calls) == ["edgefed:kubeconfig-a", "edgefed:kubeconfig-b"]
    calls.clear()
    workspace.prepare({}, secrets=secrets)
    assert calls == [], "nothing changed, nothing set"
    workspace.prepare({}, secrets={**secrets, "edgefed:kubeconfig-b": "token-three-5f1c"})
    assert calls == ["edgefed:kubeconfig-b"]
    assert workspace.cli("config", "get", "kubeconfig-b").stdout.strip() == "token-three-5f1c"
    remembered = (workspace.folder / ".secret-digests.json").read_text()
    assert "5f1c" not in remembered and "token" not in remembered, "digests, never values"
    # A stack file whose secure value is gone (edited by hand) gets it set again.
    stack_file = yaml.safe_load(workspace.stack_file.read_text())
    del stack_file["config"]["edgefed:kubeconfig-a"]
    workspace.stack_file.write_text(yaml.safe_dump(stack_file))
    calls.clear()
    workspace.prepare({}, secrets={**secrets, "edgefed:kubeconfig-b": "token-three-5f1c"})
    assert calls == ["edgefed:kubeconfig-a"]
