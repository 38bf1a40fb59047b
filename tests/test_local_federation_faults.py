"""Faults during `pulumi up` on a local federation of their own: a killed `up`, a zone that dies mid-rollout.

They run beside tests/test_local_federation.py (another pytest-xdist worker, another federation), which
starts with the zone stacks of Telefónica and Deutsche Telekom deployed, and Vodafone's (Lyon and Turin, which
every nordwind stack uses) deployed by the *previous release* (tests/local_federation.PREVIOUS_RELEASE: before
the zones' Pod Security level, isolation policy, object quotas and flow schemas), and no tenant's. In order: `pulumi up` of local-nordwind-it killed with SIGKILL
is recovered as a user would, without lost or duplicated objects; then a zone stopped during the first
`up` of local-nordwind-de fails only its own resources and a rerun converges, while local-nordwind-it's
objects stay untouched; last, the operators upgrade their zone stacks to this release, turning the new
guards on under the running apps, and nothing is lost: every app stays ready, no pod is replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time

import pytest

from edgefed_ops.stack import operations

from .conftest import pasted, printed_commands
from .local_federation import (
    STATE_BUCKET,
    converged,
    deployments_in,
    descendants,
    kubectl,
    namespace,
    object_store,
    operator_kubeconfig,
    outputs,
    running_federation,
    s3_client,
    start_deploy,
    wait_for_pulumi,
    workspace_of,
)

pytestmark = pytest.mark.engine


OPERATORS = ["local-zones-vodafone", "local-zones-telefonica", "local-zones-deutsche-telekom"]
PREVIOUS = ["local-zones-vodafone"]
"""Deployed by the previous release: Vodafone's zones (Lyon, Turin), which every nordwind stack uses."""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    current = [stack for stack in OPERATORS if stack not in PREVIOUS]
    yield from running_federation(tmp_path_factory, current, previous=PREVIOUS)


def test_pulumi_up_killed_mid_run_recovers_without_lost_or_duplicated_objects(deployed):
    workspace = workspace_of(deployed, "local-nordwind-it")
    turin = "local-vodafone-it-turin"
    assert not deployments_in(deployed, turin), (
        "local-nordwind-it is not deployed yet: its first `up` creates everything"
    )
    deploy = start_deploy(deployed, "local-nordwind-it")
    pid = wait_for_pulumi(deploy, "up", "local-nordwind-it")
    deadline = time.monotonic() + 120
    while not deployments_in(deployed, turin) and time.monotonic() < deadline:
        time.sleep(0.2)  # kill once the update is writing workloads, not before
    plugins = descendants(pid)  # the engine's plugins run in their own process groups and outlive it
    os.kill(pid, signal.SIGKILL)
    deploy.communicate(timeout=120)
    for plugin in plugins:
        with contextlib.suppress(ProcessLookupError):
            os.kill(plugin, signal.SIGKILL)
    locked = deployed["run"]("deploy", "--work", str(workspace.folder.parent), "local-nordwind-it")
    assert locked.returncode == 1
    assert f"the stack is locked by pulumi pid {pid}, which no longer runs (killed?)" in locked.stderr, locked.stderr
    # What a user does: paste the two commands the error prints into a new shell (remove the dead update's
    # lock, refresh dropping the creates it left pending), and run again. The re-run's server-side apply
    # adopts the objects that did get created.
    recovery = printed_commands(locked.stderr)
    assert [line.split(" -- ")[1] for line in recovery] == [
        "cancel --yes",
        "refresh --yes --skip-preview --clear-pending-creates",
    ], locked.stderr
    for line in recovery:
        done = pasted(line)
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
    cleared = operations.export(workspace)
    assert not cleared.get("pending_operations"), recovery
    again = deployed["run"]("deploy", "--work", str(workspace.folder.parent), "local-nordwind-it")
    assert again.returncode == 0, again.stdout + again.stderr
    state = operations.export(workspace)
    assert not state.get("pending_operations"), "no operation left pending"
    waits = {r["urn"].rsplit("::", 1)[1]: r.get("customTimeouts") for r in state["resources"]}
    assert waits["cold-chain-local-vodafone-it-turin-deployment"] == {"create": 30, "update": 30}, waits
    urns = [r["urn"] for r in state["resources"]]
    assert len(urns) == len(set(urns)), "no resource twice in the state"
    plan = outputs(deployed, "local-nordwind-it")["plan"]
    for app, app_plan in plan.items():
        for zone, where in app_plan["zones"].items():
            assert converged(deployed, zone, "nordwind-it", app, where["replicas"])
    buckets = [b for app in outputs(deployed, "local-nordwind-it")["buckets"].values() for b in app]
    store = object_store(deployed, "it")
    s3 = s3_client(deployed, "it", store.endpoint, store.region)
    apps = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"] != STATE_BUCKET % "it"]
    assert sorted(apps) == sorted(b["bucket"] for b in buckets)


def test_zone_down_during_up_fails_only_that_zone_and_a_rerun_converges(deployed):
    run, work = deployed["run"], str(deployed["tmp"] / "work")
    munich, lyon = "local-telefonica-de-munich", "local-vodafone-fr-lyon"
    # local-nordwind-de was never deployed here: its first `up` creates everything, and local-nordwind-it's
    # objects (the test above deployed them, in Turin and Lyon) are what must stay untouched.
    assert not deployments_in(deployed, munich)

    def italian() -> dict[str, dict[tuple[str, str], str]]:
        found = {zone: deployments_in(deployed, zone) for zone in ("local-vodafone-it-turin", lyon)}
        return {zone: {k: uid for k, uid in by.items() if k[0] == "nordwind-it"} for zone, by in found.items()}

    elsewhere = italian()
    assert all(elsewhere.values()), elsewhere
    # Munich's node agent (kwok) dies first, so that its pods never become Ready: the update is then
    # surely in the middle of cold-chain's rollout there when the rest of the zone dies.
    from edgefed_ops.local import processes

    records = processes.load(deployed["tmp"] / "federation" / "zones" / munich / "processes.json")
    kwok = next(r for r in records if r.executable == "kwok")
    assert processes.is_ours(kwok)
    os.kill(kwok.pid, signal.SIGKILL)
    deploy = start_deploy(deployed, "local-nordwind-de")
    deadline = time.monotonic() + 300
    while ("nordwind-de", "cold-chain") not in deployments_in(deployed, munich) and time.monotonic() < deadline:
        time.sleep(0.2)
    # The provider waits for that rollout until the stack's rolloutTimeoutSeconds (30 s in the local
    # stacks), not the provider's default 10 minutes, then fails it and names the zone.
    began = time.monotonic()
    stopped = run("federation", "stop-zone", munich, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    out, err = deploy.communicate(timeout=300)
    assert deploy.returncode == 1, out + err
    assert time.monotonic() - began < 120, "bounded by the rollout timeout, not the provider's 10 minutes"
    assert (
        "== local-nordwind-de: pulumi up FAILED after" in err
        and f"zone {munich} (stopped answering during the update)" in err
        and f"the other zones' changes were applied. Re-run once {munich} is back, or mark it unavailable: " in err
    ), err
    [mark] = printed_commands(err)
    assert mark.endswith(f".venv/bin/edgefed deploy local-nordwind-de --unavailable {munich} --work {work}"), mark
    assert ("nordwind-de", "cold-chain") in deployments_in(deployed, lyon), "Lyon (its standby) was deployed"
    assert italian() == elsewhere, "no object of the other stack touched"
    # While it is down, nothing more is attempted for the stack: one clear error, nothing touched.
    refused = run("deploy", "--work", work, "local-nordwind-de")
    assert refused.returncode == 1
    assert f"== local-nordwind-de: NOT deployed, nothing touched: zone(s) {munich} do not answer" in refused.stderr
    # The way out it prints, pasted into a new shell: deploy with the zone marked unavailable (drained).
    assert printed_commands(refused.stderr) == [mark]
    marked = pasted(mark)
    assert marked.returncode == 0, marked.stdout + marked.stderr
    assert "== local-nordwind-de: pulumi up with the policy pack" in marked.stdout, marked.stdout
    assert run("federation", "start-zone", munich, timeout=120).returncode == 0
    again = run("deploy", "--work", work, "local-nordwind-de")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "zone local-telefonica-de-munich             ready: cold-chain 2/2" in again.stdout
    converged = run("deploy", "--work", work, "local-nordwind-de")
    assert converged.returncode == 0 and " unchanged)" in converged.stdout, converged.stdout + converged.stderr
    assert " created" not in converged.stdout and " updated" not in converged.stdout


def _pods(deployed, zone: str) -> dict[tuple[str, str], str]:
    """(namespace, name) -> uid of every pod of the tenants' namespaces in a zone, read as its operator."""
    found = kubectl(operator_kubeconfig(deployed, zone), "get", "pods", "-A", "-o", "json")
    assert found.returncode == 0, found.stderr
    items = json.loads(found.stdout)["items"]
    return {(p["metadata"]["namespace"], p["metadata"]["name"]): p["metadata"]["uid"] for p in items
            if p["metadata"]["namespace"].startswith("nordwind-")}  # fmt: skip


def test_turning_the_new_guards_on_under_running_apps_loses_nothing(deployed):
    """The operators upgrade their zone stacks from the previous release: restricted Pod Security, the isolation
    policy, object and storage quotas, flow schemas and the widened tenancy guard arrive under nordwind's running
    apps. Every app stays ready with the same Deployment and the same pods, and a redeploy of the tenant changes
    nothing."""
    run, work = deployed["run"], str(deployed["tmp"] / "work")
    zones = ["local-vodafone-it-turin", "local-vodafone-fr-lyon"]
    turin = operator_kubeconfig(deployed, zones[0])
    assert kubectl(turin, "get", "validatingadmissionpolicy", "edgefed-isolation").returncode != 0, (
        "the previous release's zones had no isolation policy"
    )
    labels_before = json.loads(kubectl(turin, "get", "namespace", "nordwind-it", "-o", "json").stdout)["metadata"]
    assert "pod-security.kubernetes.io/enforce" not in labels_before["labels"]
    workloads = {zone: deployments_in(deployed, zone) for zone in zones}
    pods = {zone: _pods(deployed, zone) for zone in zones}
    assert all(pods.values()), pods
    upgrade = run("deploy", "--work", work, *PREVIOUS)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert kubectl(turin, "get", "validatingadmissionpolicy", "edgefed-isolation").returncode == 0
    space = json.loads(kubectl(turin, "get", "namespace", "nordwind-it", "-o", "json").stdout)["metadata"]
    assert space["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    quota = json.loads(
        kubectl(turin, "-n", "nordwind-it", "get", "resourcequota", "edgefed-tenant", "-o", "json").stdout
    )
    assert {"pods", "limits.ephemeral-storage", "count/poddisruptionbudgets.policy"} <= set(quota["spec"]["hard"])
    assert {zone: deployments_in(deployed, zone) for zone in zones} == workloads, "no Deployment recreated"
    assert {zone: _pods(deployed, zone) for zone in zones} == pods, "no pod replaced or lost"
    for stack in ("local-nordwind-it", "local-nordwind-de"):
        for app, app_plan in outputs(deployed, stack)["plan"].items():
            for zone, where in app_plan["zones"].items():
                if zone in zones:
                    assert converged(deployed, zone, namespace(stack), app, where["replicas"]), (stack, app, zone)
    again = run("deploy", "--work", work, "local-nordwind-it")
    assert again.returncode == 0 and " unchanged)" in again.stdout, again.stdout + again.stderr
    assert " created" not in again.stdout and " updated" not in again.stdout and " deleted" not in again.stdout
