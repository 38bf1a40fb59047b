"""The local federation's hosts, checked with pytest-testinfra: real processes on loopback only.

A one-zone federation (catalog written here, S3 on a free port) is brought up with `edgefed federation`,
inspected, and taken down again.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import testinfra
import yaml

from .conftest import EDGEFED, ROOT, toolchain_or_skip

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    for tool in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "versitygw"):
        toolchain_or_skip(tool)
    from edgefed_ops.local.ports import free_port

    tmp = tmp_path_factory.mktemp("federation")
    one_zone_catalog(tmp / "catalog.yaml", free_port(), free_port())
    env = {**os.environ, "EDGEFED_FEDERATION_STATE": str(tmp / "state")}
    command = [*EDGEFED, "federation"]
    up = subprocess.run(
        [*command, "up", "--catalog", str(tmp / "catalog.yaml")], env=env, capture_output=True, text=True, timeout=300
    )
    assert up.returncode == 0, up.stdout + up.stderr
    yield {"state": tmp / "state", "command": command, "env": env, "catalog": tmp / "catalog.yaml", "up": up.stdout}
    down = subprocess.run(
        [*command, "down", "--catalog", str(tmp / "catalog.yaml")], env=env, capture_output=True, text=True, timeout=120
    )
    assert down.returncode == 0, down.stderr
    assert not (tmp / "state").exists(), "down leaves nothing on disk"


def one_zone_catalog(path, s3_port: int, api_port: int) -> None:
    """The local catalog cut down to Paris, its object store, API server and the identity issuers on free ports,
    written to ``path``."""
    from edgefed_ops.local.ports import free_port

    catalog = yaml.safe_load((ROOT / "stacks" / "catalog" / "local.yaml").read_text())
    for operator in catalog["operators"]:
        if operator.get("identity_issuer"):
            operator["identity_issuer"] = f"https://127.0.0.1:{free_port()}"
        # Paris's operator serves its platform API; the others have no zone here.
        if operator["id"] == "orange":
            operator["platform_api"] = f"https://127.0.0.1:{free_port()}"
        else:
            operator.pop("platform_api", None)
    catalog["zones"] = [z for z in catalog["zones"] if z["id"] == "local-orange-fr-paris"]
    catalog["zones"][0]["object_storage"]["endpoint"] = f"http://127.0.0.1:{s3_port}"
    catalog["zones"][0]["api_endpoint"] = f"https://127.0.0.1:{api_port}"
    path.write_text(yaml.safe_dump(catalog))


def pids_of(state):
    from edgefed_ops.local import processes

    return [r.pid for folder in state.glob("*/*") for r in processes.load(folder / "processes.json")]


def test_status_reports_every_zone_ready(federation):
    result = subprocess.run(
        [*federation["command"], "status", "--catalog", str(federation["catalog"])],
        env=federation["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    assert "local-orange-fr-paris            FR      5/5        ready  1 ready" in result.stdout


def test_processes_run_and_listen_on_loopback_only(federation):
    host = testinfra.get_host("local://")
    pids = pids_of(federation["state"])
    # The zone's etcd, kube-apiserver, controller manager, scheduler and kwok, FR's versitygw, the
    # etcd and kube-apiserver of each of the two identity issuers (Orange's, Deutsche Telekom's), the
    # watchers' store's three etcd members (FR, DE, IT), and Orange's platform API.
    assert len(pids) == 14
    for pid in pids:
        assert host.file(f"/proc/{pid}").exists, f"process {pid} is not running"
    names = {host.file(f"/proc/{pid}/comm").content_string.strip() for pid in pids}
    assert {"etcd", "kube-apiserver", "versitygw"} <= names
    sockets = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout.splitlines()
    ours = [line.split()[3] for line in sockets if any(f"pid={pid}," in line for pid in pids)]
    assert len(ours) >= 4, ours
    for address in ours:
        assert address.startswith("127.0.0.1:"), f"a federation process listens beyond loopback: {address}"
        port = address.rsplit(":", 1)[1]
        assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_data_folders_are_private(federation):
    host = testinfra.get_host("local://")
    state = federation["state"]
    assert host.file(str(state)).mode == 0o700
    zone = state / "zones" / "local-orange-fr-paris"
    assert host.file(str(zone)).mode == 0o700
    assert host.file(str(zone / "kubeconfig")).mode == 0o600
    assert host.file(str(state / "s3" / "fr" / "credentials.json")).mode == 0o600


def test_a_zone_is_up_with_its_quota_controller_running_and_no_probe_left(federation):
    import time

    from edgefed_ops.local.zone import CONTROLLERS_PROBE
    from edgefed_ops.local.zone_client import open_zone

    zone_dir = federation["state"] / "zones" / "local-orange-fr-paris"
    kubectl = toolchain_or_skip("kubectl")
    quotas = subprocess.run(
        [kubectl, "--kubeconfig", str(zone_dir / "kubeconfig"), "get", "resourcequota", "-A", "-o", "name"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert CONTROLLERS_PROBE not in quotas.stdout
    quota = {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "configmaps", "namespace": "default"},
        "spec": {"hard": {"count/configmaps": "50"}},
    }  # fmt: skip
    with open_zone(zone_dir / "kubeconfig") as client:
        client.ensure(quota)
        deadline = time.monotonic() + 60
        while not client.quota_accounted("default", "configmaps") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.quota_accounted("default", "configmaps"), "the zone's quota controller runs once it is up"
        client.delete_quota("default", "configmaps")


def test_stop_zone_then_start_zone_keeps_its_data(federation):
    command, env, catalog = federation["command"], federation["env"], str(federation["catalog"])
    zone_dir = federation["state"] / "zones" / "local-orange-fr-paris"
    kubectl = toolchain_or_skip("kubectl")

    def cli(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args, "--catalog", catalog], env=env, capture_output=True, text=True, timeout=timeout
        )

    def zone_kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [kubectl, "--kubeconfig", str(zone_dir / "kubeconfig"), *args], capture_output=True, text=True
        )

    before = yaml.safe_load((zone_dir / "kubeconfig").read_text())
    created = zone_kubectl("create", "namespace", "keep-me")
    assert created.returncode == 0, created.stderr
    stopped = cli("stop-zone", "local-orange-fr-paris", timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    down = cli("status", timeout=60)
    assert down.returncode == 1 and "DOWN" in down.stdout
    started = cli("start-zone", "local-orange-fr-paris", timeout=300)
    assert started.returncode == 0, started.stderr
    # Back on the same endpoint with the same credentials, as a real cluster: stacks find it unchanged.
    assert yaml.safe_load((zone_dir / "kubeconfig").read_text()) == before
    from edgefed_ops.local.zone_client import open_zone

    with open_zone(zone_dir / "kubeconfig") as client:
        assert "keep-me" in client.namespaces()


def test_an_object_store_port_already_taken_stops_up_with_the_way_out(tmp_path):
    """Another server on the catalog's S3 port (another federation) would answer with other keys: refuse."""
    toolchain_or_skip("versitygw")
    import socket

    from edgefed_ops.local.ports import free_port

    with socket.socket() as taken:
        port = free_port()  # outside the ephemeral range, which `up` refuses before anything else
        taken.bind(("127.0.0.1", port))
        taken.listen()
        one_zone_catalog(tmp_path / "catalog.yaml", port, free_port())
        env = {**os.environ, "EDGEFED_FEDERATION_STATE": str(tmp_path / "state")}
        up = subprocess.run(
            [*EDGEFED, "federation", "up", "--catalog", str(tmp_path / "catalog.yaml")],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert up.returncode == 1
    assert up.stderr.strip() == (
        f"federation: FR's object store http://127.0.0.1:{port} cannot start: 127.0.0.1:{port} is already in use "
        "by another process. Another local federation (another checkout, or one started with "
        "EDGEFED_FEDERATION_STATE) may hold it: stop it with its `edgefed federation down`, or start this one "
        "from a catalog with other ports (EDGEFED_LOCAL_CATALOG)."
    )
    assert not list((tmp_path / "state").glob("zones/*")), "no zone was started"


def test_an_api_server_port_already_taken_stops_up_with_the_way_out(tmp_path):
    """A zone serves at its catalog api_endpoint or not at all: the pack identifies zones by that server."""
    for tool in ("versitygw", "etcd", "kube-apiserver"):
        toolchain_or_skip(tool)
    import socket

    from edgefed_ops.local.ports import free_port

    with socket.socket() as taken:
        port = free_port()  # outside the ephemeral range, which `up` refuses before anything else
        taken.bind(("127.0.0.1", port))
        taken.listen()
        one_zone_catalog(tmp_path / "catalog.yaml", free_port(), port)
        env = {**os.environ, "EDGEFED_FEDERATION_STATE": str(tmp_path / "state")}
        command = [*EDGEFED, "federation"]
        up = subprocess.run(
            [*command, "up", "--catalog", str(tmp_path / "catalog.yaml")],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        subprocess.run([*command, "down", "--catalog", str(tmp_path / "catalog.yaml")], env=env, timeout=120)
    assert up.returncode == 1
    assert up.stderr.strip().splitlines()[-1] == (
        f"federation: zone local-orange-fr-paris's API server https://127.0.0.1:{port} cannot start: "
        f"127.0.0.1:{port} is already in use by another process. Another local federation (another checkout, or "
        "one started with EDGEFED_FEDERATION_STATE) may hold it: stop it with its `edgefed federation down`, or "
        "start this one from a catalog with other ports (EDGEFED_LOCAL_CATALOG)."
    )
