"""Every command answers bad input in one line: what was given and what exists, exit 2, nothing created.

Each case runs the `edgefed` launcher from a new shell's environment at the repository's root, as a user
would. Engine commands are refused before a workspace or a stack exists.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import CLEAN_ENV, ROOT

_NAMES = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
STACKS = "stacks: " + ", ".join(_NAMES)
APP_STACKS = "app stacks: " + ", ".join(n for n in _NAMES if "zones-" not in n)
LOCAL = "local stacks: " + ", ".join(n for n in _NAMES if n.startswith("local-"))
LOCAL_ZONES = (
    "zones: local-deutsche-telekom-de-frankfurt, local-orange-fr-paris, local-telefonica-de-munich, "
    "local-tim-it-milan, local-tim-it-rome, local-vodafone-fr-lyon, local-vodafone-it-turin"
)
ANSWER = "tests/data/camara/orange-fr.json"

CASES = {
    "plan zz": f"edgefed plan: unknown app stack 'zz'; {APP_STACKS}",
    "plan acme-fr --unavailable nozone": "edgefed plan: --unavailable: 'nozone' not a zone of the stacks' catalogs; zones: ",
    "plan --diff nosuchrev": "edgefed plan: --diff: 'nosuchrev' is not a revision of ",
    "plan --markdown": "edgefed plan: --markdown goes with --diff REV",
    "plan -- extra": "edgefed plan: takes no arguments after `--` (only `edgefed stack` hands them to Pulumi)",
    "preview zz": f"edgefed preview: unknown stack 'zz'; {STACKS}",
    "up zz --render": f"edgefed up: unknown stack 'zz'; {STACKS}",
    "refresh zz": f"edgefed refresh: unknown stack 'zz'; {STACKS}",
    "destroy zz": f"edgefed destroy: unknown stack 'zz'; {STACKS}",
    "stack zz -- stack ls": f"edgefed stack: unknown stack 'zz'; {STACKS}",
    "stack acme-fr": "edgefed stack: name the pulumi command after --, for example: edgefed stack acme-fr -- stack export",
    "preview acme-fr --set bogus": "edgefed preview: --set: 'bogus' is not KEY=VALUE (for example rolloutTimeoutSeconds=30)",
    "preview acme-fr --policy-config nofile.json": "edgefed preview: --policy-config: 'nofile.json' is not a file",
    "preview acme-fr --bogus": "edgefed preview: unrecognized arguments: --bogus; see `edgefed preview --help`",
    "policy-check zz": f"edgefed policy-check: unknown stack 'zz'; {STACKS}",
    "policy-check --jobs 0": "edgefed policy-check: argument --jobs: 0 is below 1; allowed: 1 or more",
    "policy-check --jobs many": "edgefed policy-check: argument --jobs: 'many' is not a whole number; allowed: 1 or more",
    "policy-check --trusted /nonexistent": "edgefed policy-check: --trusted: '/nonexistent' holds no policies/eu-residency",
    "policy-check --config nofile.json": "edgefed policy-check: --config: 'nofile.json' is not a file",
    "policy-check acme-fr --sarif /no/such/dir/out.sarif": "edgefed policy-check: --sarif: '/no/such/dir/out.sarif' cannot",
    "report zz": f"edgefed report: unknown app stack 'zz'; {APP_STACKS}",
    "report acme-fr --html /no/such/dir/r.html": "edgefed report: --html: '/no/such/dir/r.html' cannot be written",
    "audit zz": f"edgefed audit: unknown app stack 'zz'; {APP_STACKS}",
    "state-check zz": f"edgefed state-check: unknown stack 'zz'; {STACKS}",
    "state-check": "edgefed state-check: the following arguments are required: STACK",
    "render --bogus": "edgefed render: unrecognized arguments: --bogus",
    "import-zones nofile.json --operator orange": "edgefed import-zones: ANSWER.json: 'nofile.json' is not a file",
    f"import-zones {ANSWER} --operator orange --catalog nofile.yaml": "edgefed import-zones: --catalog: 'nofile.yaml' is not a file",
    f"import-zones {ANSWER} --operator att": "edgefed import-zones: --operator: 'att' is not an operator of stacks/catalog/federation.yaml; known: deutsche-telekom, orange, telefonica, tim, vodafone",
    "import-zones --operator orange": "edgefed import-zones: give ANSWER.json or --eam URL (one of them)",
    "import-zones --operator orange --eam https://127.0.0.1:1": "edgefed import-zones: --eam needs a bearer token: --token-file FILE, or --tenant TENANT on the local federation",
    f"import-zones {ANSWER} --operator orange --country FR": "edgefed import-zones: --country filters what the platform sends (--eam); a saved answer is taken whole",
    "federation stop-zone zz": f"edgefed federation: stop-zone: 'zz' not a zone of {ROOT}/stacks/catalog/local.yaml; {LOCAL_ZONES}",
    "federation start-zone": f"edgefed federation: start-zone: name the zone; {LOCAL_ZONES}",
    "federation up zz": "edgefed federation: up takes no zone (only stop-zone and start-zone do)",
    "federation restart": "edgefed federation: argument action: invalid choice: 'restart'",
    "federation status --catalog nofile.yaml": "edgefed federation: --catalog: 'nofile.yaml' is not a file",
    "deploy acme-fr": f"edgefed deploy: unknown local stack 'acme-fr'; {LOCAL}",
    "plan zones-orange": "edgefed plan: unknown app stack 'zones-orange'; zones-orange is an operator's zone stack, "
    "which places no apps; ",
    "deploy --unavailable zz": f"edgefed deploy: --unavailable: 'zz' not a zone of {ROOT}/stacks/catalog/local.yaml",
    "deploy --jobs 0": "edgefed deploy: argument --jobs: 0 is below 1; allowed: 1 or more",
    "drill --country XX": f"edgefed drill: --country: 'XX' has no zone in {ROOT}/stacks/catalog/local.yaml; countries: DE, FR, IT",
    "drill --repeat 0": "edgefed drill: argument --repeat: 0 is below 1; allowed: 1 or more",
    "bench --preview zz": f"edgefed bench: unknown app stack 'zz'; {APP_STACKS}",
    "bench --rounds 0": "edgefed bench: argument --rounds: 0 is below 1; allowed: 1 or more",
    "bench --federation --all-stacks": "edgefed bench: choose one of --preview STACK, --deploy STACK, --federation",
    "bench --sites 10 --naive-sites 20": "edgefed bench: --naive-sites 20 is more than --sites 10",
    "watch --tenant zz --name fr": "edgefed watch: --tenant: 'zz' not a tenant of the local family; tenants: acme, civitas, nordwind",
    "watch --tenant acme": "edgefed watch: --name: name this watcher (its country: fr); allowed: a-z, 0-9 and '-'",
    "watch --tenant acme --name 'Bad Name'": "edgefed watch: --name: 'Bad Name' is not a watcher name; allowed: a-z",
    "watch --tenant acme --name fr --interval -1": "edgefed watch: argument --interval: '-1' is not 0 or more seconds",
    "watch --tenant acme --name fr --zone-endpoint bad": "edgefed watch: --zone-endpoint: 'bad' is not ZONE=URL",
    "watch --tenant acme --name fr --zone-endpoint zz=https://127.0.0.1:1": "edgefed watch: --zone-endpoint: 'zz' not "
    f"a zone of {ROOT}/stacks/catalog/local.yaml; {LOCAL_ZONES}",
    "watch --tenant acme --name fr --operator zz": f"edgefed watch: --operator: 'zz' is not an operator of {ROOT}/stacks/"
    "catalog/local.yaml; operators: deutsche-telekom, orange, telefonica, tim, vodafone",
    "bench --takeover --zone zz": f"edgefed bench: --zone: 'zz' not a zone of {ROOT}/stacks/catalog/local.yaml",
    "bench --takeover --country XX": f"edgefed bench: --country: 'XX' has no zone in {ROOT}/stacks/catalog/local.yaml",
    "bench --takeover --stabilization -1": "edgefed bench: argument --stabilization: '-1' is not 0 or more seconds",
    "policy-schema --bogus": "edgefed policy-schema: unrecognized arguments: --bogus",
    "nosuchcommand": "edgefed: argument COMMAND: invalid choice: 'nosuchcommand'",
}


def _answer(line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f".venv/bin/edgefed {line}"],
        env=CLEAN_ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def answers() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case's answer, the commands run a few at a time (each is a new process that reads nothing else)."""
    backend = ROOT / ".state" / "backend" / ".pulumi" / "stacks"
    before = sorted(backend.rglob("*")) if backend.exists() else []
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = dict(zip(CASES, pool.map(_answer, CASES), strict=True))
    assert not (ROOT / ".state" / "work" / "zz").exists(), "no workspace for a stack the repository does not define"
    assert (sorted(backend.rglob("*")) if backend.exists() else []) == before, "no stack created"
    return found


@pytest.mark.parametrize("line", sorted(CASES))
def test_bad_input_is_answered_in_one_line_with_exit_2_and_nothing_created(line, answers):
    result = answers[line]
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(CASES[line]), lines[0]
    assert "Traceback" not in result.stderr and "stderr:" not in result.stderr
