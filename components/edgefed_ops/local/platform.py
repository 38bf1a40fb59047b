"""What an operator's CAMARA Edge Application Management platform does, on the local federation's real zones.

The platform lists the operator's zones with their live status, keeps the apps tenants submit, and turns an
app instance into objects in the tenant's namespace of the zone, written **with the caller's own token**:
the zone authenticates the caller (the platform never takes a caller's word for who it is) and every guard
of the zone judges the write exactly as it judges the tenant's kubectl. An instance's status is read back
from its Deployment. Apps and instances are kept in the platform's folder (owner only), so a restarted
platform knows them. Errors are :class:`PlatformRefusalError` with the CAMARA status, code and message.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightkube import ApiError
from pydantic import ValidationError

from edgefed.core.inputs.catalog import Catalog, Operator, Zone
from edgefed.core.inputs.contract import load_contract
from edgefed.core.inputs.eam import MAX_PER_PAGE, AppManifest, AppManifestInfo, InstanceStatus
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.labels import CLASSIFICATION as CLASS_LABEL
from edgefed.core.objects.platform_instance import InstanceRefusedError, instance_objects, object_name, strictest
from edgefed_ops.local import controlplane
from edgefed_ops.local.files import write_private
from edgefed_ops.local.zone_client import UNREACHABLE, ZoneClient, open_zone
from edgefed_ops.local.zone_identity import ZoneIdentity
from edgefed_ops.local.zone_writes import ZoneWrites


class PlatformRefusalError(Exception):
    """A CAMARA error answer: HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{status} {code}: {message}")


@dataclass(frozen=True)
class Caller:
    """Who a zone of the operator takes the caller's token for."""

    token: str
    home_operator: str
    tenant: str

    @property
    def provider(self) -> str:
        """The CAMARA ``appProvider`` of the caller's apps (``<home>_<tenant>``, the document's character set)."""
        return f"{self.home_operator}_{self.tenant}".replace("-", "_")


def _invalid(message: str) -> PlatformRefusalError:
    return PlatformRefusalError(400, "INVALID_ARGUMENT", message)


def _page_argument(query: Mapping[str, str], name: str, default: int, highest: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise _invalid(f"{name}: {raw!r} is not an integer from 1 to {highest}")
    return int(raw)


class OperatorPlatform:
    """One operator's EAM platform over its zones of the catalog."""

    def __init__(
        self, catalog: Catalog, operator: Operator, folder: Path, zone_kubeconfig: Mapping[str, Path], contracts: Path
    ) -> None:
        self.catalog, self.operator, self.folder, self.contracts = catalog, operator, folder, contracts
        self.zones = [z for z in catalog.zones if z.operator == operator.id and z.platform_id]
        self._admin = dict(zone_kubeconfig)  # zone id -> the operator's own kubeconfig of it
        self._lock = threading.Lock()
        self._records = folder / "records.json"
        self._callers = folder / "callers"

    # -- records ------------------------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self._records.exists():
            return {"apps": {}, "instances": {}}
        data: dict[str, dict[str, Any]] = json.loads(self._records.read_text())
        return data

    def _save(self, data: Mapping[str, Any]) -> None:
        write_private(self._records, json.dumps(data, indent=1, sort_keys=True))

    # -- who calls ------------------------------------------------------------------------------------------

    def _caller_kubeconfig(self, zone: Zone, token: str) -> Path:
        """A kubeconfig of ``zone`` with the caller's token (owner only; named by the token's digest)."""
        self._callers.mkdir(parents=True, exist_ok=True)
        self._callers.chmod(0o700)
        digest = hashlib.sha256(token.encode()).hexdigest()[:24]
        path = self._callers / f"{zone.id}-{digest}.kubeconfig"
        if not path.exists():
            write_private(path, controlplane.kubeconfig(zone.id, zone.api_endpoint, token, "caller"))
        return path

    @contextmanager
    def _as_caller(self, zone: Zone, caller: Caller) -> Iterator[ZoneClient]:
        with open_zone(self._caller_kubeconfig(zone, caller.token), timeout=10.0) as client:
            yield client

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller, as the first answering zone of the operator authenticates its bearer token."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise PlatformRefusalError(401, "UNAUTHENTICATED", "a bearer token is required (the tenant's identity)")
        token = token.strip()
        for zone in self.zones:
            try:
                with open_zone(self._caller_kubeconfig(zone, token), timeout=5.0) as client:
                    user = ZoneIdentity(client).whoami()
            except UNREACHABLE:
                continue
            if user is None:
                raise PlatformRefusalError(401, "UNAUTHENTICATED", "the token is not accepted by the operator's zones")
            home, colon, tenant = user.partition(":")
            if not colon or not tenant or home not in self.catalog.operator_by_id:
                raise PlatformRefusalError(403, "PERMISSION_DENIED", f"{user!r} is not a tenant of the federation")
            return Caller(token, home, tenant)
        raise PlatformRefusalError(503, "UNAVAILABLE", f"none of {self.operator.id}'s zones answers to check the token")

    def classification(self, caller: Caller) -> str:
        """The data class of the caller's instances: the strictest its contract allows (the manifest cannot say)."""
        try:
            contract = load_contract(self.contracts / f"{caller.tenant}.yaml", self.catalog)
        except (ConfigError, OSError):
            raise PlatformRefusalError(
                403, "PERMISSION_DENIED", f"{caller.tenant} has no contract this operator can read"
            ) from None
        if contract.home_operator != caller.home_operator:
            raise PlatformRefusalError(
                403,
                "PERMISSION_DENIED",
                f"{caller.tenant}'s contract is with {contract.home_operator}, not {caller.home_operator}",
            )
        return strictest(contract.data_classes)

    # -- zones ----------------------------------------------------------------------------------------------

    def zone_status(self, zone: Zone) -> str:
        """``active`` when the zone's API server is healthy, ``inactive`` when it does not answer."""
        with open_zone(self._admin[zone.id], timeout=1.5) as client:
            return "active" if client.healthy() else "inactive"

    def list_zones(self, query: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """One page of ``GET /edge-cloud-zones`` and its headers."""
        known = {"page", "perPage", "countryCode", "edgeCloudProvider", "edgeCloudRegion", "status"}
        unknown = sorted(set(query) - known)
        if unknown:
            raise _invalid(f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
        page = _page_argument(query, "page", 1, 2**31 - 1)
        per_page = _page_argument(query, "perPage", 20, MAX_PER_PAGE)
        status_filter = query.get("status")
        if status_filter is not None and status_filter not in ("active", "inactive", "unknown"):
            raise _invalid(f"status: {status_filter!r} is not one of active, inactive, unknown")
        found = []
        for zone in self.zones:
            if query.get("countryCode", zone.country).upper() != zone.country:
                continue
            if query.get("edgeCloudProvider", self.operator.name) not in (self.operator.name, self.operator.id):
                continue
            if query.get("edgeCloudRegion", zone.region) != zone.region:
                continue
            status = self.zone_status(zone)
            if status_filter is not None and status != status_filter:
                continue
            assert zone.platform_id is not None
            found.append(
                {
                    "edgeCloudZoneId": zone.platform_id,
                    "edgeCloudZoneName": zone.name,
                    "edgeCloudZoneStatus": status,
                    "edgeCloudProvider": self.operator.name,
                    "edgeCloudRegion": zone.region,
                    "countryCode": zone.country,
                }
            )
        total_pages = -(-len(found) // per_page)
        items = found[(page - 1) * per_page : page * per_page]
        body = {
            "edgeCloudZones": items,
            "pagination": {"page": page, "perPage": per_page, "totalCount": len(found), "totalPages": total_pages},
        }
        headers = {"x-total-count": str(len(found)), "x-total-pages": str(total_pages)}
        return body, headers

    def _zone(self, platform_id: str) -> Zone:
        zone = next((z for z in self.zones if z.platform_id == platform_id), None)
        if zone is None:
            raise PlatformRefusalError(
                404, "NOT_FOUND", f"edgeCloudZoneId {platform_id} is not a zone of {self.operator.name}"
            )
        return zone

    # -- apps -----------------------------------------------------------------------------------------------

    def submit_app(self, caller: Caller, body: object) -> dict[str, Any]:
        """Keep a tenant's app; its new id."""
        try:
            manifest = AppManifest.model_validate(body)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise _invalid(f"{where}: {first['msg']}") from None
        if manifest.app_provider != caller.provider:
            raise PlatformRefusalError(
                403, "PERMISSION_DENIED", f"appProvider {manifest.app_provider!r} is not the caller ({caller.provider})"
            )
        with self._lock:
            data = self._load()
            for record in data["apps"].values():
                if record["owner"] == caller.provider and record["manifest"]["name"] == manifest.name:
                    raise PlatformRefusalError(409, "ALREADY_EXISTS", f"app {manifest.name} already exists")
            app_id = str(uuid.uuid4())
            data["apps"][app_id] = {
                "owner": caller.provider,
                "manifest": manifest.model_dump(mode="json", by_alias=True),
            }
            self._save(data)
        return {"appId": app_id}

    def _app(self, data: Mapping[str, Any], caller: Caller, app_id: str) -> AppManifestInfo:
        record = data["apps"].get(app_id)
        if record is None or record["owner"] != caller.provider:  # another tenant's app does not exist for the caller
            raise PlatformRefusalError(404, "NOT_FOUND", f"app {app_id} does not exist")
        return AppManifestInfo.model_validate({**record["manifest"], "appId": app_id})

    def get_app(self, caller: Caller, app_id: str) -> dict[str, Any]:
        """``GET /apps/{appId}``."""
        with self._lock:
            app = self._app(self._load(), caller, app_id)
        return app.model_dump(mode="json", by_alias=True)

    def list_apps(self, caller: Caller) -> list[dict[str, Any]]:
        """``GET /apps``: the caller's apps."""
        with self._lock:
            data = self._load()
            ids = [app_id for app_id, record in data["apps"].items() if record["owner"] == caller.provider]
            return [self._app(data, caller, app_id).model_dump(mode="json", by_alias=True) for app_id in ids]

    def delete_app(self, caller: Caller, app_id: str) -> None:
        """``DELETE /apps/{appId}``: refused while an instance of it runs."""
        with self._lock:
            data = self._load()
            self._app(data, caller, app_id)
            if any(i["appId"] == app_id for i in data["instances"].values()):
                raise PlatformRefusalError(409, "ABORTED", f"app {app_id} has instances; delete them first")
            del data["apps"][app_id]
            self._save(data)

    # -- instances ------------------------------------------------------------------------------------------

    def create_instance(self, caller: Caller, body: object) -> dict[str, Any]:
        """Make the instance's objects in the zone with the caller's identity; its record (``instantiating``)."""
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) for k in ("name", "appId", "edgeCloudZoneId")
        ):
            raise _invalid("the body needs name, appId and edgeCloudZoneId (strings)")
        name, app_id, zone_id = body["name"], body["appId"], body["edgeCloudZoneId"]
        zone = self._zone(zone_id)
        with self._lock:
            data = self._load()
            app = self._app(data, caller, app_id)
            for record in data["instances"].values():
                if record["owner"] == caller.provider and record["zone"] == zone_id and record["appId"] == app_id:
                    raise PlatformRefusalError(
                        409, "ALREADY_EXISTS", f"app {app.name} already has an instance in {zone.name}"
                    )
            instance_id = str(uuid.uuid4())
            try:
                objects = instance_objects(app, name, instance_id, zone, caller.tenant, self.classification(caller))
            except InstanceRefusedError as error:
                raise _invalid(str(error)) from None
            with self._as_caller(zone, caller) as client:
                writes = ZoneWrites(client)
                for index, manifest in enumerate(objects):
                    refusal = writes.create(manifest)
                    if refusal is not None:
                        for made in reversed(objects[:index]):  # nothing half-made stays behind
                            writes.delete(made)
                        raise PlatformRefusalError(403, "PERMISSION_DENIED", f"zone {zone.name} refused: {refusal}")
            record = {"owner": caller.provider, "appId": app_id, "zone": zone_id, "name": name,
                      "namespace": objects[0]["metadata"]["namespace"], "object": object_name(name),
                      "class": objects[0]["metadata"]["labels"][CLASS_LABEL]}  # fmt: skip
            data["instances"][instance_id] = record
            self._save(data)
        return self._info(caller, instance_id, record, "instantiating")

    def _info(self, caller: Caller, instance_id: str, record: Mapping[str, Any], status: str) -> dict[str, Any]:
        zone = self._zone(record["zone"])
        with self._lock:
            app = self._app(self._load(), caller, record["appId"])
        interfaces = [port for component in app.component_spec for port in component.network_interfaces]
        endpoints = [
            {"interfaceId": port.interface_id,
             "accessPoints": {"port": port.port, "fqdn": f"{record['object']}.{record['namespace']}.svc.cluster.local"}}
            for port in interfaces
        ]  # fmt: skip
        info: dict[str, Any] = {
            "name": record["name"],
            "appId": record["appId"],
            "appInstanceId": instance_id,
            "appProvider": app.app_provider,
            "edgeCloudZoneId": zone.platform_id,
            "status": status,
        }
        if endpoints:
            info["componentEndpointInfo"] = endpoints
        return info

    def _record(self, caller: Caller, instance_id: str) -> dict[str, Any]:
        with self._lock:
            record = self._load()["instances"].get(instance_id)
        if record is None or record["owner"] != caller.provider:
            raise PlatformRefusalError(404, "NOT_FOUND", f"app instance {instance_id} does not exist")
        found: dict[str, Any] = record
        return found

    def instance_status(self, caller: Caller, record: Mapping[str, Any]) -> InstanceStatus:
        """``ready`` when every replica is, ``failed`` when the rollout gave up, ``unknown`` when the zone is down."""
        zone = self._zone(record["zone"])
        try:
            with self._as_caller(zone, caller) as client:
                view = client.deployment(record["namespace"], record["object"])
                failed = client.deployment_failed(record["namespace"], record["object"])
        except ApiError as error:
            return "failed" if error.status.code == 404 else "unknown"
        except UNREACHABLE:
            return "unknown"
        if failed:
            return "failed"
        return "ready" if view.replicas and view.ready >= view.replicas else "instantiating"

    def get_instance(self, caller: Caller, instance_id: str) -> dict[str, Any]:
        """``GET /app-instances/{id}`` with the status read from the zone now."""
        record = self._record(caller, instance_id)
        return self._info(caller, instance_id, record, self.instance_status(caller, record))

    def list_instances(self, caller: Caller, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /app-instances``: the caller's, of one app when ``appId`` is given."""
        with self._lock:
            instances = self._load()["instances"]
        return [
            self._info(caller, instance_id, record, self.instance_status(caller, record))
            for instance_id, record in instances.items()
            if record["owner"] == caller.provider and query.get("appId", record["appId"]) == record["appId"]
        ]

    def delete_instance(self, caller: Caller, instance_id: str) -> None:
        """Remove the instance's objects from the zone with the caller's identity, then its record."""
        record = self._record(caller, instance_id)
        zone = self._zone(record["zone"])
        with self._lock:
            app = self._app(self._load(), caller, record["appId"])
            objects = instance_objects(app, record["name"], instance_id, zone, caller.tenant, record["class"])
            with self._as_caller(zone, caller) as client:
                writes = ZoneWrites(client)
                for manifest in reversed(objects):
                    writes.delete(manifest)
            data = self._load()
            data["instances"].pop(instance_id, None)
            self._save(data)
