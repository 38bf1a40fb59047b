"""The local edge federation: one real Kubernetes control plane per zone and one S3 server per country.

Per zone: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (a simulated node sized
from the catalog, pods that become Ready), all on 127.0.0.1. Per country: versitygw on the catalog's
loopback endpoint. Everything lives in the settings' federation folder (mode 0700), and one kubeconfig
has a context per zone. ``down`` stops every process it started and removes that folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

from edgefed.catalog import Catalog, Zone, load_catalog
from edgefed_ops import controlplane, proc, s3
from edgefed_ops.errors import OpsError
from edgefed_ops.files import write_private
from edgefed_ops.kube import UNREACHABLE, ZoneClient
from edgefed_ops.settings import Settings
from edgefed_ops.toolchain import tool

PROCESSES = "processes.json"
"""Per zone and per store: the records of the processes started for it (pid, start time, executable)."""


ANOTHER_FEDERATION = (
    "Another local federation (another checkout, or one started with EDGEFED_FEDERATION_STATE) may hold it: "
    "stop it with its `edgefed federation down`, or start this one from a catalog with other ports "
    "(EDGEFED_LOCAL_CATALOG)."
)
"""The way out when a port of the catalog is taken."""


@dataclass(frozen=True)
class ZoneStatus:
    """One zone as `status` sees it."""

    id: str
    country: str
    processes: int
    expected: int
    ready: bool
    ready_nodes: int


@dataclass(frozen=True)
class StoreStatus:
    """One country's object store as `status` sees it."""

    country: str
    endpoint: str
    region: str
    up: bool


def node_capacity(zone: Zone) -> tuple[dict[str, str], dict[str, str]]:
    """Labels and capacity of a zone's one simulated node (GPUs as nvidia.com/gpu with their model label)."""
    capacity = {
        "cpu": f"{int(zone.capacity.cpu * 1000)}m",
        "memory": f"{int(zone.capacity.memory_gib * 1024)}Mi",
        "pods": "250",
    }
    labels = {"kubernetes.io/hostname": f"{zone.id}-node", "type": "kwok", "topology.kubernetes.io/zone": zone.id}
    gpus = sum(zone.capacity.gpus.values())
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
        labels["nvidia.com/gpu.product"] = next(iter(zone.capacity.gpus))
    return labels, capacity


class Federation:
    """The local federation of one catalog, kept in one state folder."""

    def __init__(
        self, settings: Settings, catalog: Path | None = None, progress: Callable[[str], None] = print
    ) -> None:
        self.settings = settings
        self.state = settings.federation_state
        self.catalog: Catalog = load_catalog(catalog or settings.local_catalog)
        self.progress = progress

    def zone_dir(self, zone: str) -> Path:
        """Folder of one zone (its kubeconfig is ``kubeconfig`` there)."""
        return self.state / "zones" / zone

    def store_dir(self, country: str) -> Path:
        """Folder of one country's object store (its keys are ``credentials.json`` there)."""
        return self.state / "s3" / country.lower()

    def _tool(self, name: str) -> str:
        return tool(self.settings.root, name)

    @staticmethod
    def _running(folder: Path) -> list[proc.ProcessRecord]:
        return [r for r in proc.load(folder / PROCESSES) if proc.is_ours(r)]

    def _all_running(self, folder: Path) -> bool:
        records = proc.load(folder / PROCESSES)
        return bool(records) and all(proc.is_ours(r) for r in records)

    def start_zone(self, zone: Zone) -> float:
        """Start one zone's control plane, scheduler and kwok; return the seconds it took (0: it ran)."""
        begin = time.monotonic()
        folder = self.zone_dir(zone.id)
        if self._all_running(folder):
            return 0.0
        # A zone restarted after a drill keeps its etcd data (failback finds its objects).
        proc.stop(proc.load(folder / PROCESSES))
        (folder / PROCESSES).unlink(missing_ok=True)
        binaries = controlplane.Binaries(
            self._tool("etcd"), self._tool("kube-apiserver"), self._tool("kube-controller-manager")
        )
        api = urlparse(zone.api_endpoint)
        if api.hostname != "127.0.0.1" or api.port is None:
            raise OpsError(f"zone {zone.id}: a local zone serves on https://127.0.0.1:PORT, not {zone.api_endpoint}")
        if proc.port_in_use(api.port):
            raise OpsError(
                f"federation: zone {zone.id}'s API server {zone.api_endpoint} cannot start: 127.0.0.1:{api.port} is "
                f"already in use by another process. {ANOTHER_FEDERATION}"
            )
        plane = controlplane.start(zone.id, folder, binaries, detach=True, api_port=api.port)
        scheduler_bin, kwok_bin = self._tool("kube-scheduler"), self._tool("kwok")
        scheduler = proc.spawn(
            [scheduler_bin, "--kubeconfig", str(plane.kubeconfig), "--leader-elect=false",
             "--bind-address", "127.0.0.1", "--secure-port", "0"],
            folder / "kube-scheduler.log", detach=True,
        )  # fmt: skip
        stages = [arg for stage in sorted(self.settings.kwok_stages.glob("*.yaml")) for arg in ("--config", str(stage))]
        kwok = proc.spawn(
            [kwok_bin, "--kubeconfig", str(plane.kubeconfig), "--manage-all-nodes=true", *stages],
            folder / "kwok.log", detach=True,
        )  # fmt: skip
        proc.save(folder / PROCESSES, [proc.record(scheduler, scheduler_bin), proc.record(kwok, kwok_bin)])
        labels, capacity = node_capacity(zone)
        client = ZoneClient(plane.kubeconfig)
        try:
            client.ensure_node(f"{zone.id}-node", labels, {"kwok.x-k8s.io/node": "fake"}, capacity)
        except UNREACHABLE as error:
            raise OpsError(f"zone {zone.id}: creating its node failed: {error}") from error
        finally:
            client.close()
        return time.monotonic() - begin

    def stop_zone(self, zone: Zone) -> None:
        """A failing zone does not shut down politely: its processes are killed, its data stays."""
        proc.stop(proc.load(self.zone_dir(zone.id) / PROCESSES), crash=True)

    def start_store(self, country: str, endpoint: str, region: str) -> None:
        """Start one country's S3 server on the catalog's endpoint, with keys made once."""
        folder = self.store_dir(country)
        if self._all_running(folder):
            return
        port = urlparse(endpoint).port
        if port is None:
            raise OpsError(f"{country}'s object store {endpoint} names no port")
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        credentials = folder / "credentials.json"
        if not credentials.exists():
            keys = {"accessKey": f"edgefed{secrets.token_hex(6)}", "secretKey": secrets.token_urlsafe(24)}
            write_private(credentials, json.dumps(keys))
        keys = json.loads(credentials.read_text())
        try:
            server = s3.start(
                folder, region, port=port, binary=self._tool("versitygw"),
                keys=(keys["accessKey"], keys["secretKey"]), detach=True,
            )  # fmt: skip
        except s3.PortInUseError as error:
            raise OpsError(
                f"federation: {country}'s object store {endpoint} cannot start: {error}. {ANOTHER_FEDERATION}"
            ) from error
        (folder / PROCESSES).unlink(missing_ok=True)
        proc.save(folder / PROCESSES, [server.record])

    def storages(self) -> dict[str, tuple[str, str]]:
        """Country to (endpoint, region) of its object store."""
        return {z.country: (z.object_storage.endpoint, z.object_storage.region) for z in self.catalog.zones}

    def write_kubeconfig(self) -> None:
        """The kubeconfig with one context per zone (mode 0600)."""
        merged: dict[str, list[object]] = {"clusters": [], "users": [], "contexts": []}
        for zone in self.catalog.zones:
            path = self.zone_dir(zone.id) / "kubeconfig"
            if path.exists():
                one = yaml.safe_load(path.read_text())
                for key in merged:
                    merged[key] += one[key]
        document = {"apiVersion": "v1", "kind": "Config", **merged, "current-context": self.catalog.zones[0].id}
        self.settings.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.settings.kubeconfig, yaml.safe_dump(document, sort_keys=False))

    def up(self) -> float:
        """Start every store and zone not running yet; return the seconds it took."""
        self.state.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state, 0o700)
        # Names this federation (until `down`): stacks deployed onto an earlier one refresh before an update.
        if not (self.state / "id").exists():
            (self.state / "id").write_text(secrets.token_hex(8))
        begin = time.monotonic()
        for country, (endpoint, region) in sorted(self.storages().items()):
            self.start_store(country, endpoint, region)
            self.progress(f"object store {country}: {endpoint} ({region})")
        self.start_zones(self.catalog.zones)
        self.write_kubeconfig()
        return time.monotonic() - begin

    def start_zones(self, zones: Sequence[Zone]) -> None:
        """Start ``zones`` (those not running yet) concurrently, all at once.

        Zones share nothing (own processes, ports, folders), and most of a start is waiting for an API
        server to answer. Progress names each zone as it is up. Every zone is tried; the first failure is
        raised once all have finished.
        """
        if not zones:
            return
        # The catalog's fixed ports sit in the kernel's ephemeral range: no zone's etcd may take one.
        fixed = [urlparse(z.api_endpoint).port for z in self.catalog.zones]
        fixed += [urlparse(endpoint).port for endpoint, _ in self.storages().values()]
        proc.reserve_ports(port for port in fixed if port is not None)

        def start(zone: Zone) -> None:
            took = self.start_zone(zone)
            self.progress(f"zone {zone.id}: {'already running' if took == 0 else f'up in {took:.1f} s'}")

        with ThreadPoolExecutor(max_workers=len(zones), thread_name_prefix="zone") as pool:
            started = [pool.submit(start, zone) for zone in zones]
        for future in started:
            future.result()  # the first failure, once every zone was tried

    def down(self) -> None:
        """Stop every process this federation started and remove its folder and kubeconfig."""
        if self.state.exists():
            folders = [*(self.state / "zones").glob("*"), *(self.state / "s3").glob("*")]
            proc.stop([r for folder in folders for r in proc.load(folder / PROCESSES)])
        shutil.rmtree(self.state, ignore_errors=True)
        self.settings.kubeconfig.unlink(missing_ok=True)

    def status(self) -> tuple[list[ZoneStatus], list[StoreStatus]]:
        """Each zone's processes, API and nodes, and each store's port."""
        zones = []
        for zone in self.catalog.zones:
            folder = self.zone_dir(zone.id)
            records = proc.load(folder / PROCESSES)
            client = ZoneClient(folder / "kubeconfig", timeout=2)
            try:
                ready = (folder / "kubeconfig").exists() and client.answers()
                nodes = client.ready_nodes() if ready else 0
            except UNREACHABLE:
                ready, nodes = False, 0
            finally:
                client.close()
            zones.append(ZoneStatus(zone.id, zone.country, len(self._running(folder)), len(records) or 5, ready, nodes))
        stores = []
        for country, (endpoint, region) in sorted(self.storages().items()):
            parsed = urlparse(endpoint)
            up = proc.listening(parsed.hostname or "127.0.0.1", parsed.port or 0)
            stores.append(StoreStatus(country, endpoint, region, up))
        return zones, stores
