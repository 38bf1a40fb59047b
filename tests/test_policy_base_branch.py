"""A pull request is checked by its base branch's pack: loosening the rules in the PR does not pass it.

The "pull request" is a copy of the repository whose pack config allows Docker Hub and whose robot-control
app pulls from there; the base branch is this checkout. The real engine previews the PR's `fr` stack.
"""

from __future__ import annotations

import json
import os
import subprocess

import jsonschema
import pytest
import yaml

from .conftest import EDGEFED, ROOT, repository_copy, toolchain_or_skip

pytestmark = pytest.mark.engine


@pytest.fixture
def pull_request(tmp_path):
    toolchain_or_skip("pulumi")
    head = repository_copy(tmp_path / "head")
    config_path = head / "policies" / "eu-residency" / "config.json"
    config = json.loads(config_path.read_text())
    config["disallow-unlisted-registry"]["allowedRegistries"].append("docker.io")
    config_path.write_text(json.dumps(config, indent=2))
    app = head / "stacks" / "apps" / "robot-control.yaml"
    spec = yaml.safe_load(app.read_text())
    spec["image"] = "docker.io/acme/robot-control:1.4.2"
    app.write_text(yaml.safe_dump(spec, sort_keys=False))
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "PULUMI_HOME": str(ROOT / ".state" / "pulumi-home"),
    }
    env.pop("GITHUB_STEP_SUMMARY", None)
    (tmp_path / "backend").mkdir()

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*EDGEFED, "policy-check", "--json", "--work", str(tmp_path / "work"), *args, "acme-fr"]
        return subprocess.run(command, cwd=head, env=env, capture_output=True, text=True, timeout=600)

    check.head = head  # type: ignore[attr-defined]
    return check


def test_the_base_branch_pack_blocks_what_the_pull_request_allowed_itself(pull_request):
    own = pull_request()
    assert own.returncode == 0, own.stdout[-2000:] + own.stderr[-2000:]
    assert json.loads(own.stdout)["stacks"][0]["status"] == "pass", "its own loosened config lets it through"

    based = pull_request("--trusted", str(ROOT), "--sarif", "../pr-check.sarif")
    assert based.returncode == 1, based.stdout[-2000:] + based.stderr[-2000:]
    document = json.loads(based.stdout)
    assert document["trusted"] == str(ROOT)
    assert document["changedRules"] == ["policies/eu-residency/config.json"]
    [verdict] = document["stacks"]
    assert verdict["status"] == "blocked"
    messages = {v["message"] for v in verdict["violations"] if v["policy"] == "disallow-unlisted-registry"}
    assert (
        "Deployment 'robot-control-orange-fr-paris-deployment': image 'docker.io/acme/robot-control:1.4.2' comes "
        "from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu"
    ) in messages
    # The same verdict for code scanning: one SARIF result per violation, valid against the OASIS schema.
    from .test_sarif import sarif_schema

    log = json.loads((pull_request.head.parent / "pr-check.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(verdict["violations"])
    assert {r["ruleId"] for r in results} == {v["policy"] for v in verdict["violations"]}


def test_the_report_tells_reviewers_the_pull_request_changes_its_rules():
    from edgefed_ops.stack.policy_check import StackVerdict, markdown

    report = markdown([StackVerdict("fr", "pass")], ["policies/eu-residency/config.json"], trusted=True)
    assert "Checked with the pack, pack configs and catalogs of the base branch." in report
    assert "### This pull request changes the rules it is checked against (1 file(s))" in report
    assert "- `policies/eu-residency/config.json`" in report
