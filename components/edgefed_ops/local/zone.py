"""One zone of the local federation: a real control plane, a scheduler and kwok's simulated node, on loopback.

Its folder holds etcd's data, the API server's keys and token, its kubeconfig, logs and the records of
its processes. A zone that is stopped is killed (a failure, not a shutdown) and keeps its data; started
again it serves on the same port with the same token and keys, as a real cluster keeps its endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from edgefed.core.inputs.catalog import Zone
from edgefed_ops.errors import OpsError
from edgefed_ops.local import controlplane, ports, processes
from edgefed_ops.local.credentials import operator_binding
from edgefed_ops.local.files import write_private
from edgefed_ops.local.zone_client import UNREACHABLE, open_zone

PROCESSES = "processes.json"
"""Per zone and per store: the records of the processes started for it (pid, start time, executable)."""
CONTROLLERS_PROBE = "edgefed-controllers-probe"
"""A ResourceQuota made in kube-system at start, until the zone's quota controller accounts for it."""
CONTROLLERS_TIMEOUT = 180.0
"""Seconds a starting zone's controllers may take to run (a busy machine starts them slowly)."""
ANOTHER_FEDERATION = (
    "Another local federation (another checkout, or one started with EDGEFED_FEDERATION_STATE) may hold it: "
    "stop it with its `edgefed federation down`, or start this one from a catalog with other ports "
    "(EDGEFED_LOCAL_CATALOG)."
)
"""The way out when a port of the catalog is taken."""


def node_capacity(zone: Zone) -> tuple[dict[str, str], dict[str, str]]:
    """Labels and capacity of a zone's one simulated node (GPUs as nvidia.com/gpu with their model label)."""
    capacity = {
        "cpu": f"{int(zone.capacity.cpu * 1000)}m",
        "memory": f"{int(zone.capacity.memory_gib * 1024)}Mi",
        "pods": "250",
        # Every tenant pod requests ephemeral storage (its namespace's defaults): the node offers it.
        "ephemeral-storage": "200Gi",
    }
    labels = {"kubernetes.io/hostname": f"{zone.id}-node", "type": "kwok", "topology.kubernetes.io/zone": zone.id}
    gpus = sum(zone.capacity.gpus.values())
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
        labels["nvidia.com/gpu.product"] = next(iter(zone.capacity.gpus))
    return labels, capacity


def running(folder: Path) -> list[processes.ProcessRecord]:
    """The recorded processes of a zone's or store's folder that still run."""
    return [r for r in processes.load(folder / PROCESSES) if processes.is_ours(r)]


def all_running(folder: Path) -> bool:
    """Every recorded process of the folder runs (and there is one)."""
    records = processes.load(folder / PROCESSES)
    return bool(records) and all(processes.is_ours(r) for r in records)


@dataclass(frozen=True)
class ZoneTrust:
    """What a zone trusts: its operator's admin token, and the federation's tenant identities."""

    operator_token_line: str
    """The token file line of the zone's operator's admin (``token,user,uid,group``)."""
    operator_token: str
    """That token, for the operator's kubeconfig of the zone."""
    authentication_config: Path
    """The zone's ``--authentication-config``: every operator's issuer, for the tenants' tokens."""


class LocalZone:
    """One catalog zone of the local federation, in its folder."""

    def __init__(
        self, zone: Zone, folder: Path, tool: Callable[[str], str], kwok_stages: Path, trust: ZoneTrust
    ) -> None:
        self.zone, self.folder, self._tool, self._stages, self.trust = zone, folder, tool, kwok_stages, trust

    @property
    def kubeconfig(self) -> Path:
        """The zone's own kubeconfig (its controllers, scheduler and kwok; the federation's reads)."""
        return self.folder / "kubeconfig"

    @property
    def operator_kubeconfig(self) -> Path:
        """The zone's operator's admin kubeconfig (the operator's zone stack deploys with it)."""
        return self.folder / "operator.kubeconfig"

    def _api_port(self) -> int:
        api = urlparse(self.zone.api_endpoint)
        if api.hostname != "127.0.0.1" or api.port is None:
            raise OpsError(
                f"zone {self.zone.id}: a local zone serves on https://127.0.0.1:PORT, not {self.zone.api_endpoint}"
            )
        if ports.port_in_use(api.port):
            raise OpsError(
                f"federation: zone {self.zone.id}'s API server {self.zone.api_endpoint} cannot start: 127.0.0.1:"
                f"{api.port} is already in use by another process. {ANOTHER_FEDERATION}"
            )
        return api.port

    def start(self) -> float:
        """Start the control plane, scheduler and kwok; the seconds it took (0: it ran already)."""
        begin = time.monotonic()
        if all_running(self.folder):
            return 0.0
        # A zone restarted after a drill keeps its etcd data (failback finds its objects).
        processes.stop(processes.load(self.folder / PROCESSES))
        (self.folder / PROCESSES).unlink(missing_ok=True)
        binaries = controlplane.Binaries(
            self._tool("etcd"), self._tool("kube-apiserver"), self._tool("kube-controller-manager")
        )
        options = controlplane.Options(
            api_port=self._api_port(),
            apiserver_args=("--authentication-config", str(self.trust.authentication_config)),
            operator_tokens=(self.trust.operator_token_line,),
        )
        plane = controlplane.start(self.zone.id, self.folder, binaries, detach=True, options=options)
        operator = controlplane.kubeconfig(self.zone.id, plane.url, self.trust.operator_token, "operator")
        write_private(self.operator_kubeconfig, operator)
        with open_zone(plane.kubeconfig) as client:
            client.ensure(operator_binding(self.zone.operator))
        scheduler_bin, kwok_bin = self._tool("kube-scheduler"), self._tool("kwok")
        scheduler = processes.spawn(
            [scheduler_bin, "--kubeconfig", str(plane.kubeconfig), "--leader-elect=false",
             "--bind-address", "127.0.0.1", "--secure-port", "0"],
            self.folder / "kube-scheduler.log", detach=True,
        )  # fmt: skip
        stages = [arg for stage in sorted(self._stages.glob("*.yaml")) for arg in ("--config", str(stage))]
        kwok = processes.spawn(
            [kwok_bin, "--kubeconfig", str(plane.kubeconfig), "--manage-all-nodes=true", *stages],
            self.folder / "kwok.log", detach=True,
        )  # fmt: skip
        processes.save(
            self.folder / PROCESSES, [processes.record(scheduler, scheduler_bin), processes.record(kwok, kwok_bin)]
        )
        self._ensure_node(plane.kubeconfig)
        self._wait_controllers(plane.kubeconfig)
        return time.monotonic() - begin

    def _wait_controllers(self, kubeconfig: Path) -> None:
        """Return once the zone's quota controller accounts for a new quota.

        An API server answers seconds before its controller manager runs; an operator's stack deployed in
        between waits for its tenants' quotas to be accounted for, and the provider gives up after a
        minute. A zone is up when a probe quota is accounted for, like any quota an operator makes.
        """
        probe = {
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": CONTROLLERS_PROBE, "namespace": "kube-system"},
            "spec": {"hard": {"count/edgefed.io-probes": "1"}},
        }  # fmt: skip
        deadline = time.monotonic() + CONTROLLERS_TIMEOUT
        try:
            with open_zone(kubeconfig) as client:
                client.ensure(probe)
                while not client.quota_accounted("kube-system", CONTROLLERS_PROBE):
                    if time.monotonic() > deadline:
                        log = processes.log_tail(self.folder / "kube-controller-manager.log")
                        raise OpsError(
                            f"zone {self.zone.id}: its quota controller did not account for a quota within "
                            f"{CONTROLLERS_TIMEOUT:.0f} s; {log}"
                        )
                    time.sleep(0.5)
                client.delete_quota("kube-system", CONTROLLERS_PROBE)
        except UNREACHABLE as error:
            raise OpsError(f"zone {self.zone.id}: waiting for its controllers failed: {error}") from error

    def _ensure_node(self, kubeconfig: Path) -> None:
        """The simulated node (capacity as allocatable too), made unless it exists, its capacity kept up to date."""
        labels, capacity = node_capacity(self.zone)
        kwok = {"kwok.x-k8s.io/node": "fake"}
        node = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": f"{self.zone.id}-node", "labels": labels, "annotations": kwok},
            "status": {"capacity": capacity, "allocatable": capacity},
        }  # fmt: skip
        try:
            with open_zone(kubeconfig) as client:
                client.ensure(node)
                # A node made by an earlier edgefed keeps its capacity in etcd: bring it to today's.
                client.set_node_capacity(f"{self.zone.id}-node", capacity)
        except UNREACHABLE as error:
            raise OpsError(f"zone {self.zone.id}: creating its node failed: {error}") from error

    def stop(self) -> None:
        """A failing zone does not shut down politely: its processes are killed, its data stays."""
        processes.stop(processes.load(self.folder / PROCESSES), crash=True)
