"""The local federation's stacks: their committed settings, their secrets and their state in their country.

Kubeconfigs and S3 keys are read from the running federation's folder and become stack *secrets*
(never a command line). Each local stack keeps its state in a bucket of its country's object store, as a
real country stack does; the backend is checked against the catalog before anything runs.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from edgefed.core.inputs.contract import Contract, load_contract
from edgefed.core.inputs.stackconfig import state_country
from edgefed.core.inputs.stacksets import family_of, load_stacksets
from edgefed.core.inputs.yamlfile import load_yaml
from edgefed_ops.errors import OpsError
from edgefed_ops.local import object_store
from edgefed_ops.local.federation import LocalFederation
from edgefed_ops.settings import LOCAL_PREFIX, Settings
from edgefed_ops.stack.backend import Backend, BackendUrl
from edgefed_ops.stack.identities import TenantIdentities, ensure_up
from edgefed_ops.stack.workspace import StackWorkspace


class LocalStacks:
    """The ``local-*`` stacks of the settings' repository, on the settings' local federation."""

    def __init__(self, settings: Settings, federation: LocalFederation | None = None) -> None:
        self.settings = settings
        self.federation = federation or LocalFederation(settings)
        self.identities = TenantIdentities(settings, self.federation)

    def committed_config(self, stack: str) -> Mapping[str, Any]:
        """The ``config`` of the committed stack file (``edgefed:zones``, ``edgefed:apps``...)."""
        return dict(load_yaml(self.settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {})

    def zones(self, stack: str) -> list[str]:
        """The zones the committed stack file lets the stack use."""
        return list(self.committed_config(stack).get("edgefed:zones", []))

    def apps(self, stack: str) -> list[str]:
        """The apps of the committed stack file."""
        return list(self.committed_config(stack).get("edgefed:apps", []))

    def committed_outages(self, stack: str) -> list[str]:
        """The zones the committed outage file of the stack's federation marks down."""
        path = self.settings.root / str(self.committed_config(stack).get("edgefed:outages", "stacks/outages.yaml"))
        return list((load_yaml(path) or {}).get("unavailable_zones") or []) if path.is_file() else []

    def write_outages(self, unavailable: Sequence[str]) -> Path:
        """The federation-wide outage file a job deploys with (the committed one is never edited)."""
        self.settings.work.mkdir(parents=True, exist_ok=True)
        path = self.settings.work / "outages.yaml"
        path.write_text(yaml.safe_dump({"unavailable_zones": sorted(set(unavailable))}))
        return path

    def is_operator(self, stack: str) -> bool:
        """True for an operator's zone stack."""
        return bool(self.committed_config(stack).get("edgefed:operator"))

    def _ensure_up(self, path: Path) -> None:
        ensure_up(self.settings, path)

    def contract(self, stack: str) -> Contract:
        """The contract of a tenant stack's tenant."""
        contract = str(self.committed_config(stack).get("edgefed:contract", ""))
        return load_contract(self.settings.root / contract, self.federation.catalog)

    def local_tenants(self) -> list[str]:
        """The tenants of the local family (stacks/stacksets.yaml)."""
        return sorted(family_of(load_stacksets(self.settings.root / "stacks" / "stacksets.yaml"), LOCAL_PREFIX).tenants)

    def contract_of(self, tenant: str) -> Contract:
        """A tenant's contract in the local family (its ``contracts`` folder, stacks/stacksets.yaml)."""
        family = family_of(load_stacksets(self.settings.root / "stacks" / "stacksets.yaml"), LOCAL_PREFIX)
        return load_contract(self.settings.root / family.contracts / f"{tenant}.yaml", self.federation.catalog)

    def secrets(self, stack: str) -> dict[str, str]:
        """The stack's credentials, as the secrets its config names: never another persona's.

        An operator's zone stack gets its operator's admin kubeconfig of each of its zones; a tenant's
        country stack gets a kubeconfig per zone with the tenant's own token (issued now by its home
        operator's issuer) and the keys of its country's object stores, for its buckets.
        """
        catalog = self.federation.catalog
        zones = [catalog.zone(z) for z in self.zones(stack)]
        out: dict[str, str] = {}
        if self.is_operator(stack):
            for zone in zones:
                kubeconfig = self.federation.zone_dir(zone.id) / "operator.kubeconfig"
                self._ensure_up(kubeconfig)
                out[f"edgefed:{zone.kubeconfig_secret}"] = kubeconfig.read_text()
            return out
        for zone in zones:
            kubeconfig = self.identities.kubeconfig(self.contract(stack), zone.id)
            out[f"edgefed:{zone.kubeconfig_secret}"] = kubeconfig.read_text()
        country = str(self.committed_config(stack).get("edgefed:country", "")).upper()
        for zone in catalog.zones_in(country):
            credentials = self.federation.store_dir(zone.country) / "credentials.json"
            self._ensure_up(credentials)
            out[f"edgefed:{zone.object_storage.credentials_secret}"] = credentials.read_text()
        return out

    def state_backend(self, stack: str) -> Backend:
        """The stack's state backend: a bucket of its country's object store in the running federation."""
        catalog = self.federation.catalog
        raw = {key: str(value) for key, value in self.committed_config(stack).items()}
        country = state_country(raw, catalog)
        zone = next((z for z in catalog.zones if z.country == country), None)
        credentials = self.federation.store_dir(country) / "credentials.json"
        if zone is None or not credentials.exists():
            raise OpsError(
                f"{stack}: no running object store in {country}; run `{self.settings.command_line('federation', 'up')}`"
            )
        storage, keys = zone.object_storage, json.loads(credentials.read_text())
        url = BackendUrl.s3(f"edgefed-state-{country.lower()}", storage.endpoint, storage.region)
        why = url.problem(country, catalog)
        if why:
            raise OpsError(f"{stack}: {why}")
        store = object_store.client(storage.endpoint, storage.region, keys["accessKey"], keys["secretKey"])
        object_store.ensure_bucket(store, url.location, storage.region)
        object_store.keep_folder(store, url.location, f".pulumi/locks/organization/{self.settings.project}/")
        return Backend(url.url, {"AWS_ACCESS_KEY_ID": keys["accessKey"], "AWS_SECRET_ACCESS_KEY": keys["secretKey"]})

    def workspace(self, stack: str) -> StackWorkspace:
        """The stack's workspace, with its state in its country's object store."""
        return StackWorkspace(self.settings, stack, backend=self.state_backend(stack))

    def catalog_settings(self) -> tuple[dict[str, str], Path]:
        """Stack settings and the pack config for the federation's catalog.

        The committed local catalog needs neither. Another one (EDGEFED_LOCAL_CATALOG) replaces it in each
        stack's config and in a copy of the pack config, so the pack trusts the object stores of the
        federation that is actually running, and nothing else. The running federation's CA is the
        ``platformCa`` of every stack: its operators' platforms serve certificates it signed.
        """
        pack_config = self.settings.pack_config(LOCAL_PREFIX)
        ca = self.federation.state / "ca" / "ca.crt"
        # The federation's CA checks its operators' platforms (tenant stacks with a zone reached through one).
        trust = {"platformCa": ca.read_text()} if ca.exists() else {}
        if self.settings.local_catalog == self.settings.committed_local_catalog:
            return trust, pack_config
        committed = str(self.settings.committed_local_catalog.relative_to(self.settings.root))
        config = json.loads(pack_config.read_text())
        for rule in config.values():
            if isinstance(rule, dict) and committed in rule.get("catalogs", []):
                rule["catalogs"] = [str(self.settings.local_catalog) if p == committed else p for p in rule["catalogs"]]
        self.settings.work.mkdir(parents=True, exist_ok=True)
        copy = self.settings.work / "policy-config.json"
        # Atomically: stacks deploying concurrently each write it (the same bytes) while engines read it.
        partial = copy.with_name(f".{copy.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_text(json.dumps(config, indent=2))
        partial.replace(copy)
        return {**trust, "catalog": str(self.settings.local_catalog)}, copy
