"""Evidence never reports what did not run: each input of a report broken in turn (real engine).

Tried as a new user would: a checkout whose policy pack has no virtualenv, and a pack that cannot start.
Each time `edgefed report` and `edgefed policy-check` exit non-zero, say why, and print no policy result.
"""

from __future__ import annotations

import subprocess

import pytest

from .conftest import CLEAN_ENV, EDGEFED, repository_copy, toolchain_or_skip

pytestmark = pytest.mark.engine


@pytest.fixture
def copy(tmp_path):
    toolchain_or_skip("pulumi")
    return repository_copy(tmp_path / "repo")


def edgefed(copy, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EDGEFED, *args], cwd=copy, env=CLEAN_ENV, capture_output=True, text=True, timeout=600)


def test_without_the_packs_virtualenv_nothing_is_reported_and_the_missing_step_is_named(copy):
    (copy / "policies" / "eu-residency" / ".venv").unlink()
    for command in (["report", "acme-fr"], ["policy-check", "acme-fr"]):
        result = edgefed(copy, *command)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "| pass |" not in result.stdout and "pass" not in result.stdout.split(), result.stdout
        assert (
            f"acme-fr: the policy pack's virtualenv {copy / 'policies' / 'eu-residency' / '.venv'} does not exist, "
            "so no policy can run; set it up with `make venv`"
        ) in result.stderr, result.stderr


def test_a_pack_that_cannot_start_fails_the_report_instead_of_passing_every_policy(copy):
    pack = copy / "policies" / "eu-residency" / "__main__.py"
    pack.write_text('raise SystemExit("edgefed test: this pack cannot start")\n' + pack.read_text())
    result = edgefed(copy, "report", "acme-fr")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "| pass |" not in result.stdout, result.stdout
    assert "acme-fr: the preview with the policy pack failed, no policy ran, nothing is reported:" in result.stderr
    check = edgefed(copy, "policy-check", "acme-fr")
    assert check.returncode != 0 and "| acme-fr | error |" in check.stdout, check.stdout + check.stderr
