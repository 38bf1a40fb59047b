"""Pulumi in the repository itself, as any Pulumi user works: stack init, config set --secret, preview.

Runs in a copy of the repository (the project's virtualenv and toolchain linked in), with the real CLI
and the pack, then checks that the rendered stack files are still fresh and that `edgefed render` keeps
the user's salt and secret.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from edgefed_ops.stack import operations

from .conftest import EDGEFED, ROOT, repository_copy, toolchain_or_skip

pytestmark = pytest.mark.engine


@pytest.fixture
def checkout(tmp_path):
    toolchain_or_skip("pulumi")
    from edgefed_ops.local.toolchain import engine_env

    copy = repository_copy(tmp_path / "edgefed")
    env = {
        **engine_env(ROOT),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "PULUMI_HOME": engine_env(ROOT)["PULUMI_HOME"],
    }
    (tmp_path / "backend").mkdir()

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=copy, env=env, input=input, capture_output=True, text=True, timeout=600)

    return copy, run


def test_stack_init_config_set_secret_and_preview_keep_the_stacks_fresh(checkout):
    copy, run = checkout
    secret = "apiVersion: v1\nkind: Config\n# user-secret-93b1\n"
    steps = [
        run("pulumi", "stack", "select", "--create", "acme-fr", "--non-interactive"),
        run("pulumi", "config", "set", "--secret", "kubeconfig-orange-fr-paris", "--non-interactive", input=secret),
        run(
            "pulumi", "config", "set", "renderYamlTo", str(copy / ".state" / "render" / "acme-fr"), "--non-interactive"
        ),
        run("pulumi", "config", "set", "buckets", "false", "--non-interactive"),
    ]
    for step in steps:
        assert step.returncode == 0, step.stdout + step.stderr
    written = yaml.safe_load((copy / "stacks" / "Pulumi.acme-fr.yaml").read_text())
    assert "encryptionsalt" in written and "secure" in written["config"]["edgefed:kubeconfig-orange-fr-paris"]
    preview = run(
        "pulumi", "preview", "--non-interactive", "--diff=false",
        "--policy-pack", "policies/eu-residency", "--policy-pack-config", "policies/eu-residency/config.json",
    )  # fmt: skip
    assert preview.returncode == 0, preview.stdout[-3000:] + preview.stderr[-3000:]
    assert "user-secret-93b1" not in preview.stdout + preview.stderr
    # What the user set is theirs: the rendered stacks are still fresh, and a re-render keeps it.
    check = run(*EDGEFED, "render", "--check")
    assert check.returncode == 0, check.stderr
    rendered = run(*EDGEFED, "render")
    assert rendered.returncode == 0, rendered.stderr
    again = yaml.safe_load((copy / "stacks" / "Pulumi.acme-fr.yaml").read_text())
    assert again["encryptionsalt"] == written["encryptionsalt"]
    assert (
        again["config"]["edgefed:kubeconfig-orange-fr-paris"] == written["config"]["edgefed:kubeconfig-orange-fr-paris"]
    )
    shown = run("pulumi", "config", "get", "kubeconfig-orange-fr-paris", "--non-interactive")
    assert shown.returncode == 0 and shown.stdout.strip() == secret.strip(), shown.stderr
    assert run(*EDGEFED, "render", "--check").returncode == 0


def test_a_preview_is_refused_when_the_plan_needs_more_than_the_contract_allocates(checkout):
    """The real engine runs the acme-fr program: the plan over the tenant's contract is refused, nothing registered."""
    copy, run = checkout
    contract = copy / "stacks" / "tenants" / "federation" / "acme.yaml"
    contract.write_text(
        contract.read_text().replace(
            "orange-fr-lyon: {cpu: 12.0, memory_gib: 20}", "orange-fr-lyon: {cpu: 2.0, memory_gib: 20}", 1
        )
    )
    for step in (
        run("pulumi", "stack", "select", "--create", "acme-fr", "--non-interactive"),
        run(
            "pulumi", "config", "set", "renderYamlTo", str(copy / ".state" / "render" / "acme-fr"), "--non-interactive"
        ),
        run("pulumi", "config", "set", "buckets", "false", "--non-interactive"),
    ):
        assert step.returncode == 0, step.stdout + step.stderr
    preview = run("pulumi", "preview", "--non-interactive", "--diff=false")
    assert preview.returncode != 0
    out = preview.stdout + preview.stderr
    assert "stack acme-fr: the federation plan has 1 problem(s) in its sites or zones:" in out, out[-3000:]
    assert (
        "over contract stacks/tenants/federation/acme.yaml allocations.FR.orange-fr-lyon: cpu 2, memory 20 GiB" in out
    )
    assert "Traceback" not in out
    assert not (copy / ".state" / "render" / "acme-fr").exists() or not any(
        (copy / ".state" / "render" / "acme-fr").rglob("*.yaml")
    )


def test_a_hand_edit_of_a_rendered_key_makes_the_stack_stale(checkout):
    copy, run = checkout
    path = copy / "stacks" / "Pulumi.acme-it.yaml"
    path.write_text(path.read_text().replace("    - vodafone-it-turin", "    - orange-fr-lyon"))
    check = run(*EDGEFED, "render", "--check")
    assert check.returncode == 1
    assert "stale Pulumi.acme-it.yaml: edgefed:zones is" in check.stderr


def test_readme_read_only_commands_run_from_a_clean_shell():
    """The README's read-only command lines, verbatim, from a shell with nothing activated."""
    readme = (ROOT / "README.md").read_text()
    lines = [
        line.split("#", 1)[0].strip()
        for line in readme.splitlines()
        if line.startswith((".venv/bin/edgefed ", "scripts/edgefed "))
    ]
    read_only = [line for line in lines if any(word in line.split() for word in ("plan", "status", "--help"))]
    assert len(read_only) >= 4, lines
    clean = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}
    for line in read_only:
        result = subprocess.run(["bash", "-c", line], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=300)
        output = result.stdout + result.stderr
        assert "Traceback" not in output and "ModuleNotFoundError" not in output, f"{line}:\n{output[-2000:]}"
        if "status" not in line:  # status exits 1 while the federation is down, and says so
            assert result.returncode == 0, f"{line}:\n{output[-2000:]}"
        else:
            assert "zone" in result.stdout and ("ready" in result.stdout or "DOWN" in result.stdout), output


def test_a_new_program_importing_edgefed_previews_without_any_config(tmp_path):
    """The first thing a team importing edgefed meets: its own project, no config values at all."""
    toolchain_or_skip("pulumi")
    from edgefed_ops.stack.workspace import StackWorkspace

    from .conftest import ops_settings, python_project

    program = (
        "import pulumi\n"
        "from edgefed import load_catalog\n"
        f"catalog = load_catalog({str(ROOT / 'stacks' / 'catalog' / 'federation.yaml')!r})\n"
        'pulumi.export("zones", len(catalog.zones))\n'
    )
    project = python_project(tmp_path / "project", "team-program", program)
    workspace = StackWorkspace(ops_settings(tmp_path), "dev", project=project)
    workspace.prepare()
    outcome = operations.up(workspace, policy=False)
    assert outcome.ok, outcome.output[-3000:]
    assert operations.outputs(workspace)["zones"] >= 12
