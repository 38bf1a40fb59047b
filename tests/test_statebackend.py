"""A country stack's state stays in its country: the backend check, refused before anything runs."""

from __future__ import annotations

import os
import subprocess

import pytest

from edgefed.core.inputs.catalog import load_catalog
from edgefed_ops.stack.backend import BackendUrl

from .conftest import CATALOG, EDGEFED, ROOT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG)


@pytest.mark.parametrize(
    "url",
    [
        "s3://edgefed-state-fr?endpoint=https://s3.fr-par.orange.example&region=fr-par",
        "s3://edgefed-state-fr?endpoint=s3.fr-par.orange.example&region=fr-par&s3ForcePathStyle=true",
    ],
)
def test_the_countrys_object_store_keeps_its_state(catalog, url):
    assert BackendUrl.parse(url).problem("FR", catalog) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "s3://edgefed-state?endpoint=https://s3.de-fra.deutsche-telekom.example&region=de-fra",
            "s3 backend at https://s3.de-fra.deutsche-telekom.example region de-fra is not FR object storage of the "
            "catalog; allowed: https://s3.fr-par.orange.example (fr-par)",
        ),
        (
            "s3://edgefed-state?region=us-east-1",
            "s3 backend without an endpoint is AWS, outside the catalog; use a FR object store: "
            "https://s3.fr-par.orange.example (fr-par)",
        ),
        (
            "file:///var/lib/pulumi",
            "backend file:// keeps the state wherever this machine or service is, not provably in FR; use the S3 API "
            "of a FR object store: https://s3.fr-par.orange.example (fr-par)",
        ),
        (
            "https://api.pulumi.com",
            "backend https:// keeps the state wherever this machine or service is, not provably in FR; use the S3 "
            "API of a FR object store: https://s3.fr-par.orange.example (fr-par)",
        ),
    ],
    ids=["another-country", "aws", "file", "service"],
)
def test_a_backend_outside_the_country_is_refused(catalog, url, expected):
    assert BackendUrl.parse(url).problem("FR", catalog) == expected


def test_a_backend_is_shown_without_credentials():
    url = "s3://edgefed-state-fr?endpoint=s3.fr-par.orange.example&region=fr-par"
    assert BackendUrl.parse(url).describe() == "s3://edgefed-state-fr at s3.fr-par.orange.example, region fr-par"


def test_state_check_refuses_before_anything_runs():
    env = {**os.environ, "PULUMI_BACKEND_URL": "file:///tmp/elsewhere"}
    result = subprocess.run([*EDGEFED, "state-check", "acme-fr"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("state-check: acme-fr (FR): backend file:// keeps the state wherever")
    ok = {**os.environ, "PULUMI_BACKEND_URL": "s3://s?endpoint=https://s3.it-mil.tim.example&region=it-mil"}
    result = subprocess.run([*EDGEFED, "state-check", "acme-it"], cwd=ROOT, env=ok, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # An operator's zone stack keeps its state in its first home country: TIM's in Italy, not in France.
    result = subprocess.run([*EDGEFED, "state-check", "zones-tim"], cwd=ROOT, env=ok, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    orange = {**os.environ, "PULUMI_BACKEND_URL": "s3://s?endpoint=https://s3.it-mil.tim.example&region=it-mil"}
    result = subprocess.run(
        [*EDGEFED, "state-check", "zones-orange"], cwd=ROOT, env=orange, capture_output=True, text=True
    )
    assert (
        result.returncode == 1
        and "state-check: zones-orange (FR): s3 backend at https://s3.it-mil.tim.example" in result.stderr
    )


@pytest.mark.parametrize(
    "line",
    [
        "preview acme-fr",
        "up acme-de --no-policy",
        "refresh zones-orange",
        "destroy acme-it",
        "stack acme-es -- stack ls",
    ],
)
def test_every_engine_command_refuses_a_backend_outside_the_country_before_the_stack_exists(line, tmp_path):
    """Not only the deploy workflow's state-check: the command itself refuses, wherever it runs."""
    backend = tmp_path / "backend"
    env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{backend}"}
    command, stack = line.split()[:2]
    result = subprocess.run([*EDGEFED, *line.split()], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        f"state backend refused: {stack} ({stack[-2:].upper() if command != 'refresh' else 'FR'}): backend file:// "
        "keeps the state wherever this machine or service is, not provably in"
    ), result.stderr
    assert not backend.exists(), "the refused command created no stack and no backend folder"
