"""A local federation for the tests that deploy onto it: started on free ports, stacks deployed, stopped.

Shared by the modules that each run their own federation (tests/test_local_federation*.py): under
pytest-xdist they run on different workers at once, each with its own API servers, object stores,
state and work folders, so neither sees the other's outages or kills.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config

from .conftest import EDGEFED, ROOT, ops_settings, toolchain_or_skip

OPERATOR_STACKS = [f"local-zones-{op}" for op in ("orange", "deutsche-telekom", "telefonica", "tim", "vodafone")]
"""Each operator's zone stack: the tenants' namespaces, quotas, RBAC and the zones' guards."""
TENANT_STACKS = [f"local-{tenant}-{cc}" for tenant in ("acme", "nordwind") for cc in ("fr", "de", "it")]
"""Two enterprises' country stacks, on the same six zones."""
MAIN_STACKS = [f"local-acme-{cc}" for cc in ("fr", "de", "it")] + ["local-nordwind-fr"]
PLATFORM_STACKS = ["local-civitas-it"]
"""Tenant stacks whose zones are reached through their operators' CAMARA platforms (deployed by the main module)."""
"""The tenant stacks tests/test_local_federation.py deploys (with every operator stack): two tenants on the
same zones."""
FAULTS_STACKS = ["local-nordwind-it", "local-nordwind-de"]
"""The tenant stacks whose first `up` tests/test_local_federation_faults.py breaks (`make demo` deploys all)."""
STATE_BUCKET = "edgefed-state-%s"
"""The bucket of a country's object store that keeps the Pulumi state of the stacks kept in that country."""


def namespace(stack: str) -> str:
    """A tenant stack's namespace in every zone it uses (``local-acme-fr``: ``acme-fr``)."""
    return stack.removeprefix("local-")


def country(stack: str) -> str:
    """A tenant stack's country, lower case (``local-acme-fr``: ``fr``)."""
    return stack.rsplit("-", 1)[1]


def tenant(stack: str) -> str:
    """A tenant stack's tenant (``local-acme-fr``: ``acme``)."""
    return namespace(stack).rsplit("-", 1)[0]


PREVIOUS_RELEASE = "9cc9966c812b216d6f8c83bdb2d2186eaba1d7c5"
"""The last commit before the zones' Pod Security level, isolation policy, object quotas and flow schemas: a
federation can start from its operator stacks, to test the upgrade of deployed zones."""


def previous_release(tmp: Path) -> Path:
    """The previous release, checked out from git history beside this one, sharing its virtualenvs and toolchain.

    Its own ``components`` come first on ``PYTHONPATH`` when it runs (:func:`run_previous`), so its program,
    pack and commands are its own code.
    """
    folder = tmp / "previous"
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    for link in (".venv", ".tools", "policies/eu-residency/.venv"):
        (folder / link).symlink_to(ROOT / link)
    return folder


def catalog_as_before(path: Path) -> Path:
    """The running federation's catalog as the previous release reads it: without the operators' platforms.

    Platform APIs, platform ids and zones reached only through a platform came after it; its strict models
    refuse fields they do not know. Everything it deploys (zones reached through Kubernetes) is the same.
    """
    catalog = yaml.safe_load(path.read_text())
    for operator in catalog["operators"]:
        operator.pop("platform_api", None)
    catalog["zones"] = [z for z in catalog["zones"] if z.get("reached_through", "kubernetes") == "kubernetes"]
    for zone in catalog["zones"]:
        zone.pop("platform_id", None)
        zone.pop("reached_through", None)
    before = path.with_name(f"before-{path.name}")
    before.write_text(yaml.safe_dump(catalog, sort_keys=False))
    return before


def start_previous(checkout: Path | None, env: dict[str, str], *args: str) -> subprocess.Popen[str] | None:
    """`edgefed ARGS` of the previous release, started in its checkout, on the same federation and state."""
    from edgefed_ops.local.toolchain import engine_env

    if checkout is None:
        return None
    env = {
        **env,
        "PYTHONPATH": str(checkout / "components"),
        "PULUMI_HOME": engine_env(ROOT)["PULUMI_HOME"],
        "EDGEFED_LOCAL_CATALOG": str(catalog_as_before(Path(env["EDGEFED_LOCAL_CATALOG"]))),
    }
    return subprocess.Popen(
        [*EDGEFED, *args], cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def running_federation(
    tmp_path_factory: pytest.TempPathFactory, stacks: Sequence[str], previous: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """A federation of its own with ``stacks`` deployed (`edgefed federation up`, `edgefed deploy`); down after.

    ``stacks`` may be empty: the module's tests then deploy what they need themselves. ``previous`` stacks
    are deployed by the previous release (:data:`PREVIOUS_RELEASE`), beside ``stacks``, as a federation
    deployed before this one would have them.
    """
    for tool in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "versitygw", "pulumi"):
        toolchain_or_skip(tool)
    tmp = tmp_path_factory.mktemp("local")
    env = {
        **os.environ,
        "EDGEFED_FEDERATION_STATE": str(tmp / "federation"),
        "EDGEFED_LOCAL_CATALOG": str(catalog_on_free_ports(tmp / "catalog.yaml")),
        "PULUMI_BACKEND_URL": f"file://{tmp / 'backend'}",
    }
    (tmp / "backend").mkdir()
    run = lambda *args, timeout=900: subprocess.run(  # noqa: E731
        [*EDGEFED, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    up = run("federation", "up", timeout=300)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        deployed = ""
        checkout = previous_release(tmp) if previous else None
        # Its own workspaces: its pack config is not this release's.
        before = start_previous(checkout, env, "deploy", "--work", str(tmp / "work-previous"), *previous)
        if stacks:  # (`edgefed deploy` with no stack named deploys them all), beside the previous release's
            deploy = run("deploy", "--work", str(tmp / "work"), *stacks)
            assert deploy.returncode == 0, deploy.stdout + deploy.stderr
            deployed = deploy.stdout
        if before is not None:
            out, err = before.communicate(timeout=900)
            assert before.returncode == 0, out + err
        settings = ops_settings(tmp, federation=tmp / "federation", catalog=tmp / "catalog.yaml")
        yield {
            "tmp": tmp,
            "env": env,
            "run": run,
            "deploy": deployed,
            "catalog": tmp / "catalog.yaml",
            "settings": settings,
        }
    finally:
        run("federation", "down", timeout=120)


def catalog_on_free_ports(path):
    """The local catalog with its object stores and API servers moved to free ports, written to ``path``.

    The committed catalog's ports (24101-24103, 24111-24116, 24121-24122, 24131-24135) belong to the user's own
    federation, which `make demo` leaves running; this one runs beside it. Everything else (operators,
    zones, countries, regions) is the same.
    """
    from edgefed_ops.local.ports import free_port

    catalog = yaml.safe_load((ROOT / "stacks" / "catalog" / "local.yaml").read_text())
    for operator in catalog["operators"]:
        for key in ("identity_issuer", "platform_api"):
            if operator.get(key):
                operator[key] = f"https://127.0.0.1:{free_port()}"
    moved: dict[str, str] = {}
    for zone in catalog["zones"]:
        storage = zone["object_storage"]
        endpoint = moved.setdefault(storage["endpoint"], f"http://127.0.0.1:{free_port()}")
        storage["endpoint"] = endpoint
        zone["api_endpoint"] = f"https://127.0.0.1:{free_port()}"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    return path


def local_zones(deployed):
    from edgefed.core.inputs.catalog import load_catalog

    return load_catalog(deployed["catalog"]).zones


def object_store(deployed, country: str):
    """The object store of ``country`` (``it``) in the catalog this federation runs."""
    return next(z.object_storage for z in local_zones(deployed) if z.country.lower() == country)


def client(deployed, zone: str):
    """The zone's own view (edgefed_ops.local.zone_client, the one client for reads), as the zone's admin."""
    from edgefed_ops.local.zone_client import open_zone

    return open_zone(deployed["tmp"] / "federation" / "zones" / zone / "kubeconfig")


def tenant_kubeconfig(deployed, tenant: str, zone: str) -> Path:
    """The kubeconfig a tenant's stacks use on a zone: its home operator's token, as `edgefed deploy` wrote it."""
    path = deployed["tmp"] / "work" / "identities" / tenant / f"{zone}.kubeconfig"
    assert path.is_file(), f"{tenant} has no kubeconfig of {zone}: deploy one of its stacks first"
    return path


def operator_kubeconfig(deployed, zone: str) -> Path:
    """The zone's operator's admin kubeconfig (its operator group is cluster-admin on its own zones only)."""
    return deployed["tmp"] / "federation" / "zones" / zone / "operator.kubeconfig"


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """kubectl with one kubeconfig (one persona), its answer captured."""
    tool = toolchain_or_skip("kubectl")
    return subprocess.run([tool, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60)


def deployment(deployed, zone: str, namespace: str, name: str):
    with client(deployed, zone) as api:
        return api.deployment(namespace, name)


def s3_client(deployed, country: str, endpoint: str, region: str):
    """A client of a country's S3 server with the keys the federation generated for it."""
    keys = json.loads((deployed["tmp"] / "federation" / "s3" / country / "credentials.json").read_text())
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=keys["accessKey"], aws_secret_access_key=keys["secretKey"],
        config=Config(s3={"addressing_style": "path"}),
    )  # fmt: skip


def workspace_of(deployed, stack: str):
    """The stack's workspace as `edgefed deploy` uses it: its state in its country's object store."""
    from edgefed_ops.stack.local_stacks import LocalStacks

    return LocalStacks(deployed["settings"]).workspace(stack)


def converged(deployed, zone: str, namespace: str, app: str, replicas: int, timeout: float = 60) -> bool:
    """Wait until the Deployment has exactly ``replicas`` ready (its autoscaler sets the count)."""
    deadline = time.monotonic() + timeout
    while True:
        found = deployment(deployed, zone, namespace, app)
        if found.ready == replicas == found.replicas or time.monotonic() > deadline:
            return found.ready == replicas == found.replicas
        time.sleep(0.5)


def outputs(deployed, stack: str) -> dict:
    from edgefed_ops.stack import operations

    return operations.outputs(workspace_of(deployed, stack))


def deployments_in(deployed, zone: str) -> dict[tuple[str, str], str]:
    """(namespace, name) -> uid of every Deployment in the zone (a uid changes if it is recreated)."""
    with client(deployed, zone) as api:
        return {(d.namespace, d.name): d.uid for d in api.deployments()}


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    table = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def start_deploy(deployed, stack: str) -> subprocess.Popen[str]:
    """`edgefed deploy` in its own session, so that a test can kill what it leaves behind."""
    return subprocess.Popen(
        [*EDGEFED, "deploy", "--work", str(deployed["tmp"] / "work"), stack],
        env=deployed["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def wait_for_pulumi(started: subprocess.Popen[str], command: str, stack: str) -> int:
    """The pid of `pulumi <command>` on ``stack`` once it runs, among the processes this test started."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for pid in descendants(started.pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            words = [a.decode() for a in argv if a]
            if words and Path(words[0]).name == "pulumi" and command in words and stack in words:
                return pid
        time.sleep(0.05)
    raise AssertionError(f"pulumi {command} of {stack} did not start")


class TcpProxy:
    """A TCP relay on loopback to one server, which a test can cut (a partition) and heal."""

    def __init__(self, target_port: int) -> None:
        import socket
        import threading

        self.target = target_port
        self.cut = threading.Event()
        self.cut.set()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                inbound, _ = self._server.accept()
            except OSError:
                return
            if self.cut.is_set():
                inbound.close()  # partitioned: the connection is dropped at once
                continue
            try:
                outbound = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                inbound.close()
                continue
            with self._lock:
                self._open += [inbound, outbound]
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()

    def partition(self) -> None:
        """Drop every connection, and every new one."""
        self.cut.set()
        import socket

        with self._lock:
            for end in self._open:
                try:
                    end.shutdown(socket.SHUT_RDWR)  # unblocks the relay threads reading it
                    end.close()
                except OSError:
                    pass
            self._open.clear()

    def heal(self) -> None:
        self.cut.clear()

    def close(self) -> None:
        self.partition()
        self._server.close()
