"""The GitHub workflows: operators deploy their zones, tenants their apps in their country; the linter passes."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from edgefed.core.inputs.yamlfile import Yaml12Loader

from .conftest import ROOT, toolchain_or_skip

WORKFLOWS = ROOT / ".github" / "workflows"


def load(text: str) -> dict:
    """A workflow as GitHub reads it: YAML 1.2, so ``on:`` is a key, not the boolean true."""
    return dict(yaml.load(text, Loader=Yaml12Loader))


def production_stacks() -> list[str]:
    return sorted(
        p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml") if not p.name.startswith("Pulumi.local-")
    )


def tenant_stacks() -> list[str]:
    return [s for s in production_stacks() if not s.startswith("zones-")]


def operator_stacks() -> list[str]:
    return [s for s in production_stacks() if s.startswith("zones-")]


def test_every_operator_deploys_its_zones_first_then_every_tenant_stack_in_its_country():
    workflow = load((WORKFLOWS / "deploy.yml").read_text())
    labels = yaml.safe_load((ROOT / ".github" / "actionlint.yaml").read_text())["self-hosted-runner"]["labels"]
    operators = workflow["jobs"]["operator"]
    matrix = operators["strategy"]["matrix"]["include"]
    assert sorted(entry["stack"] for entry in matrix) == operator_stacks(), "a new operator needs its deploy job"
    assert all(entry["stack"] == f"zones-{entry['operator']}" for entry in matrix)
    assert operators["runs-on"] == ["self-hosted", "edgefed", "operator-${{ matrix.operator }}"]
    assert {f"operator-{entry['operator']}" for entry in matrix} <= set(labels)
    job = workflow["jobs"]["country"]
    assert job["needs"] == "operator", "tenants deploy into namespaces the operators made"
    matrix = job["strategy"]["matrix"]["include"]
    assert sorted(entry["stack"] for entry in matrix) == tenant_stacks(), "a new stack needs its deploy job"
    for entry in matrix:
        assert entry["stack"].endswith(f"-{entry['country']}"), entry
    for each in (operators, job):
        assert each["strategy"]["fail-fast"] is False, "one stack's failure must not stop the others"
        assert each["environment"] == "${{ matrix.stack }}", "each stack's state backend and secrets"
        steps = [step.get("run", "") for step in each["steps"]]
        check = next(i for i, run in enumerate(steps) if "edgefed state-check" in run)
        deploy = next(i for i, run in enumerate(steps) if "edgefed up" in run)
        assert check < deploy, "the backend is checked before anything runs"
    assert job["runs-on"] == ["self-hosted", "edgefed", "country-${{ matrix.country }}"]
    assert {f"country-{entry['country']}" for entry in matrix} <= set(labels)


def test_the_nightly_audit_covers_every_tenant_stack_in_its_country():
    workflow = load((WORKFLOWS / "audit.yml").read_text())
    assert "schedule" in workflow["on"]
    job = workflow["jobs"]["country"]
    assert sorted(e["stack"] for e in job["strategy"]["matrix"]["include"]) == tenant_stacks()
    assert job["runs-on"] == ["self-hosted", "edgefed", "country-${{ matrix.country }}"]
    assert any("edgefed audit" in step.get("run", "") for step in job["steps"])


def test_the_pull_request_check_uses_the_base_branch_pack():
    workflow = load((WORKFLOWS / "policy-check.yml").read_text())
    steps = workflow["jobs"]["eu-residency"]["steps"]
    base = [s for s in steps if s.get("with", {}).get("path") == "base"]
    assert base and base[0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert any("policy-check --trusted ../base" in s.get("run", "") for s in steps)


@pytest.mark.engine
def test_actionlint_accepts_every_workflow():
    actionlint = toolchain_or_skip("actionlint")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    result = subprocess.run([actionlint, "-no-color", *files], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.engine
@pytest.mark.parametrize("broken", ["runs-on: [self-hosted, country-xx]", "run: echo ${{ matrix.nothing }}"])
def test_actionlint_is_real_and_refuses_a_broken_workflow(tmp_path, broken):
    actionlint = toolchain_or_skip("actionlint")
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / ".github" / "actionlint.yaml", tmp_path / ".github" / "actionlint.yaml")
    body = (
        "on: push\njobs:\n  a:\n    "
        + (broken if broken.startswith("runs-on") else "runs-on: ubuntu-latest")
        + "\n    steps:\n      - "
        + (broken if broken.startswith("run:") else "run: echo ok")
        + "\n"
    )
    (folder / "bad.yml").write_text(body)
    command = [actionlint, "-no-color", "-config-file", ".github/actionlint.yaml", ".github/workflows/bad.yml"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bad.yml" in result.stdout
