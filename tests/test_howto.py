"""The README's how-tos, followed as written in a copy of the repository (no engine: render and plan)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from .conftest import CLEAN_ENV, ROOT, repository_copy

README = (ROOT / "README.md").read_text()


@pytest.fixture
def copy(tmp_path):
    return repository_copy(tmp_path / "repo")


def shell(copy, line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], cwd=copy, env=CLEAN_ENV, capture_output=True, text=True, timeout=300)


def test_add_an_app_as_the_readme_says(copy):
    assert "add `<name>` to a tenant's apps\n  under `tenants:` of a family in `stacks/stacksets.yaml`" in README
    # 1. write stacks/apps/<name>.yaml (see the examples): a copy of an example with a site in Spain.
    spec = yaml.safe_load((copy / "stacks" / "apps" / "city-flow.yaml").read_text())
    spec["name"] = "port-flow"
    spec["residency"] = ["ES"]
    spec["failover"] = "none"
    spec["sites"] = [
        {
            "name": "bilbao-port",
            "country": "ES",
            "location": {"latitude": 43.26, "longitude": -2.93},
            "latency_budget_ms": 20,
        }
    ]
    (copy / "stacks" / "apps" / "port-flow.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    # Without the next step no stack runs it, and both `make stacks` and the freshness check say so.
    rendered = shell(copy, "make stacks")
    assert "stacks/apps/port-flow.yaml is run by no tenant" in rendered.stdout, rendered.stdout + rendered.stderr
    check = shell(copy, ".venv/bin/edgefed render --check")
    assert check.returncode == 1 and "stale stacks/apps/port-flow.yaml: no tenant" in check.stderr, check.stderr
    # 2. add <name> to a tenant's apps under tenants: of a family in stacks/stacksets.yaml, 3. make stacks.
    families = yaml.safe_load((copy / "stacks" / "stacksets.yaml").read_text())
    families[0]["tenants"]["acme"].append("port-flow")
    (copy / "stacks" / "stacksets.yaml").write_text(yaml.safe_dump(families, sort_keys=False))
    rendered = shell(copy, "make stacks")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert "wrote stacks/Pulumi.acme-es.yaml" in rendered.stdout
    stack = yaml.safe_load((copy / "stacks" / "Pulumi.acme-es.yaml").read_text())["config"]
    assert "port-flow" in stack["edgefed:apps"]
    assert shell(copy, ".venv/bin/edgefed render --check").returncode == 0
    # 4. make plan: the new app needs more of Madrid than acme's Spanish stack contracted; raise it.
    over = shell(copy, "make plan")
    assert over.returncode != 0 and "OVER CONTRACT stack acme-es would use cpu 28, memory 68 GiB" in over.stdout
    contract_path = copy / "stacks" / "tenants" / "federation" / "acme.yaml"
    contract = yaml.safe_load(contract_path.read_text())
    contract["allocations"]["ES"]["telefonica-es-madrid"].update(cpu=28, memory_gib=68)
    contract_path.write_text(yaml.safe_dump(contract, sort_keys=False))
    planned = shell(copy, ".venv/bin/edgefed plan acme-es")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "site bilbao-port (ES): primary telefonica-es-" in planned.stdout


def test_add_a_country_stack_as_the_readme_says(copy):
    assert "add `<CC>` to the tenant's contract (`countries:`, and under `allocations:` the zones" in README
    # The example federation's robot-control gains a site in the Netherlands, which has no stack yet.
    robot = copy / "stacks" / "apps" / "robot-control.yaml"
    spec = yaml.safe_load(robot.read_text())
    spec["residency"] = "eu"
    spec["sites"].append(
        {
            "name": "rotterdam-plant",
            "country": "NL",
            "location": {"latitude": 51.92, "longitude": 4.48},
            "latency_budget_ms": 15,
        }
    )
    robot.write_text(yaml.safe_dump(spec, sort_keys=False))
    contract_path = copy / "stacks" / "tenants" / "federation" / "acme.yaml"
    contract = yaml.safe_load(contract_path.read_text())
    contract["countries"].append("NL")
    contract["allocations"]["NL"] = {
        "vodafone-nl-amsterdam": {"cpu": 8, "memory_gib": 16},
        "orange-be-brussels": {"cpu": 4, "memory_gib": 8},
    }
    contract_path.write_text(yaml.safe_dump(contract, sort_keys=False))
    assert not (copy / "stacks" / "Pulumi.acme-nl.yaml").exists()
    rendered = shell(copy, "make stacks")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert "wrote stacks/Pulumi.acme-nl.yaml" in rendered.stdout
    config = yaml.safe_load((copy / "stacks" / "Pulumi.acme-nl.yaml").read_text())["config"]
    assert config["edgefed:apps"] == ["robot-control"]
    assert config["edgefed:zones"] == ["vodafone-nl-amsterdam", "orange-be-brussels"]
    # Brussels is sold out (acme's DE and FR stacks hold all 16 cores): the plan says so, naming the zone.
    over = shell(copy, ".venv/bin/edgefed plan acme-nl")
    assert over.returncode == 1, over.stdout + over.stderr
    assert "OVER CAPACITY zone orange-be-brussels: its catalog capacity is cpu 16" in over.stdout, over.stdout
    contract["allocations"]["FR"]["orange-be-brussels"] = {"cpu": 8, "memory_gib": 12}  # what FR uses there, and room
    contract_path.write_text(yaml.safe_dump(contract, sort_keys=False))
    planned = shell(copy, ".venv/bin/edgefed plan acme-nl")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "site rotterdam-plant (NL): primary vodafone-nl-amsterdam" in planned.stdout


def test_bootstrap_and_setup_name_a_missing_prerequisite(tmp_path):
    """Without Go on PATH, bootstrap says so (it stopped at `go: command not found`); setup-venv names Python."""
    bootstrap = subprocess.run(
        ["scripts/bootstrap", "--quiet"], cwd=ROOT, env={**CLEAN_ENV, "PATH": "/usr/bin:/bin"}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert bootstrap.returncode == 1
    assert bootstrap.stderr.startswith("bootstrap: step 'prerequisites' failed: Go 1.26"), bootstrap.stderr
    assert "is needed on PATH (go: command not found)" in bootstrap.stderr
    old = tmp_path / "python3"
    old.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.9.2" && exit 0\nexit 1\n')
    old.chmod(0o755)
    setup = subprocess.run(
        ["scripts/setup-venv", str(tmp_path / "venv")], cwd=ROOT, env={**CLEAN_ENV, "PYTHON": str(old)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert setup.returncode == 1
    assert setup.stderr.strip() == f"setup-venv: Python 3.11 or later is needed on PATH as {old} (found: Python 3.9.2)"
