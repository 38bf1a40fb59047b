"""The local edge federation: one real Kubernetes control plane per zone and one S3 server per country.

Per zone (:mod:`edgefed_ops.local.zone`): etcd, kube-apiserver, kube-controller-manager, kube-scheduler
and kwok, all on 127.0.0.1. Per country: versitygw on the catalog's loopback endpoint. The watchers' store
(:mod:`edgefed_ops.local.watch_store`: etcd members in FR, DE and IT) keeps the takeover's outage state
and election. Everything lives in the settings' federation folder (mode 0700), and one kubeconfig has a
context per zone. ``down`` stops every process it started and removes that folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import yaml

from edgefed.core.inputs.catalog import Catalog, Zone, load_catalog
from edgefed.core.inputs.stacksets import family_of, load_stacksets
from edgefed_ops.local import ports, processes
from edgefed_ops.local.credentials import operator_token, operator_token_line
from edgefed_ops.local.files import write_private
from edgefed_ops.local.issuer import LocalIdentities
from edgefed_ops.local.platform_server import LocalPlatform
from edgefed_ops.local.status import StoreRow, ZoneRow, store_row, zone_row
from edgefed_ops.local.store import LocalStore
from edgefed_ops.local.toolchain import tool
from edgefed_ops.local.watch_store import WatchStore
from edgefed_ops.local.zone import PROCESSES, LocalZone, ZoneTrust
from edgefed_ops.settings import LOCAL_PREFIX, Settings


class LocalFederation:
    """The local federation of one catalog, kept in one state folder."""

    def __init__(
        self, settings: Settings, catalog: Path | None = None, progress: Callable[[str], None] = print
    ) -> None:
        self.settings = settings
        self.state = settings.federation_state
        self.catalog_path = catalog or settings.local_catalog
        self.catalog: Catalog = load_catalog(self.catalog_path)
        self.progress = progress
        self.identities = LocalIdentities(self.catalog, self.state, self._tool)
        self.watch_store = WatchStore(self.state / "watch-store")
        """The watchers' store: the runtime outage state and the watchers' election (``edgefed watch``)."""

    def zone_dir(self, zone: str) -> Path:
        """Folder of one zone (its kubeconfig is ``kubeconfig`` there)."""
        return self.state / "zones" / zone

    def store_dir(self, country: str) -> Path:
        """Folder of one country's object store (its keys are ``credentials.json`` there)."""
        return self.state / "s3" / country.lower()

    def zone(self, zone: Zone) -> LocalZone:
        """One zone's processes."""
        trust = ZoneTrust(
            operator_token_line(self.state, zone.operator),
            operator_token(self.state, zone.operator),
            self.state / "authentication.yaml",
        )
        return LocalZone(zone, self.zone_dir(zone.id), self._tool, self.settings.kwok_stages, trust)

    def _tool(self, name: str) -> str:
        return tool(self.settings.root, name)

    def storages(self) -> dict[str, tuple[str, str]]:
        """Country to (endpoint, region) of its object store."""
        return {z.country: (z.object_storage.endpoint, z.object_storage.region) for z in self.catalog.zones}

    def fixed_ports(self) -> list[tuple[str, int]]:
        """The catalog's fixed loopback ports: each zone's API server and each country's object store."""
        found = [(f"zone {z.id}'s API server", urlparse(z.api_endpoint).port) for z in self.catalog.zones]
        found += [(f"{i.operator.id}'s identity issuer", urlparse(i.url).port) for i in self.identities.issuers()]
        found += [
            (f"{o.id}'s platform API", urlparse(o.platform_api).port) for o in self.catalog.operators if o.platform_api
        ]
        found += [(f"{cc}'s object store", urlparse(e).port) for cc, (e, _) in sorted(self.storages().items())]
        return [(what, port) for what, port in found if port is not None]

    def start_store(self, country: str, endpoint: str, region: str) -> None:
        """Start one country's S3 server on the catalog's endpoint, with keys made once."""
        LocalStore(country, endpoint, region, self.store_dir(country)).start(self._tool("versitygw"))

    def write_kubeconfig(self) -> None:
        """The kubeconfig with one context per zone (mode 0600)."""
        merged: dict[str, list[object]] = {"clusters": [], "users": [], "contexts": []}
        for zone in self.catalog.zones:
            path = self.zone_dir(zone.id) / "operator.kubeconfig"
            if path.exists():
                one = yaml.safe_load(path.read_text())
                for key in merged:
                    merged[key] += one[key]
        document = {"apiVersion": "v1", "kind": "Config", **merged, "current-context": self.catalog.zones[0].id}
        self.settings.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.settings.kubeconfig, yaml.safe_dump(document, sort_keys=False))

    def up(self) -> float:
        """Start every store and zone not running yet; return the seconds it took."""
        ports.check_fixed(self.fixed_ports())
        self.state.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state, 0o700)
        # Names this federation (until `down`): stacks deployed onto an earlier one refresh before an update.
        if not (self.state / "id").exists():
            (self.state / "id").write_text(secrets.token_hex(8))
        begin = time.monotonic()
        for country, (endpoint, region) in sorted(self.storages().items()):
            self.start_store(country, endpoint, region)
            self.progress(f"object store {country}: {endpoint} ({region})")
        self.watch_store.start(self._tool("etcd"), detach=True)
        self.progress(f"watchers' store: {', '.join(self.watch_store.endpoints())}")
        # The issuers first: a zone's API server fetches their signing keys to accept tenants' tokens.
        self.identities.write_trust()
        for issuer in self.identities.issuers():
            took = issuer.start()
            self.progress(
                f"identity issuer of {issuer.operator.id}: {issuer.url} ({f'{took:.1f} s' if took else 'ran'})"
            )
        self.start_zones(self.catalog.zones)
        self.write_kubeconfig()
        # The platforms last: they list their zones' live status and write into them.
        for platform in self.platforms():
            took = platform.start()
            self.progress(
                f"platform API of {platform.operator.id}: {platform.url} ({f'{took:.1f} s' if took else 'ran'})"
            )
        return time.monotonic() - begin

    def platforms(self) -> list[LocalPlatform]:
        """The CAMARA EAM platforms of the catalog's operators that offer one."""
        path, contracts = self.catalog_path, self.contracts()
        return [
            LocalPlatform(self.catalog, path, op, self.state, contracts)
            for op in self.catalog.operators
            if op.platform_api
        ]

    def contracts(self) -> Path:
        """The local family's contracts: what the operators' platforms know of their tenants."""
        family = family_of(load_stacksets(self.settings.root / "stacks" / "stacksets.yaml"), LOCAL_PREFIX)
        return self.settings.root / family.contracts

    def start_zones(self, zones: Sequence[Zone]) -> None:
        """Start ``zones`` (those not running yet) concurrently, all at once.

        Zones share nothing (own processes, ports, folders), and most of a start is waiting for an API
        server to answer. Progress names each zone as it is up. Every zone is tried; the first failure is
        raised once all have finished.
        """
        if not zones:
            return
        ports.reserve(port for _, port in self.fixed_ports())

        def start(zone: Zone) -> None:
            took = self.zone(zone).start()
            self.progress(f"zone {zone.id}: {'already running' if took == 0 else f'up in {took:.1f} s'}")

        with ThreadPoolExecutor(max_workers=len(zones), thread_name_prefix="zone") as pool:
            started = [pool.submit(start, zone) for zone in zones]
        for future in started:
            future.result()  # the first failure, once every zone was tried

    def stop_zone(self, zone: Zone) -> None:
        """Kill one zone's processes (a failure); its data stays."""
        self.zone(zone).stop()

    def down(self) -> None:
        """Stop every process this federation started and remove its folder and kubeconfig."""
        if self.state.exists():
            kinds = ("zones", "s3", "identity", "watch-store", "platform")
            folders = [folder for kind in kinds for folder in (self.state / kind).glob("*")]
            processes.stop([r for folder in folders for r in processes.load(folder / PROCESSES)])
        shutil.rmtree(self.state, ignore_errors=True)
        self.settings.kubeconfig.unlink(missing_ok=True)

    def status(self) -> tuple[list[ZoneRow], list[StoreRow]]:
        """Each zone's processes, API and nodes, and each store's port."""
        zones = [zone_row(zone, self.zone_dir(zone.id)) for zone in self.catalog.zones]
        stores = [store_row(country, e, r) for country, (e, r) in sorted(self.storages().items())]
        return zones, stores
