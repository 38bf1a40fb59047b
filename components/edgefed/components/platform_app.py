"""PlatformEdgeApp: one app in one zone reached through its operator's CAMARA Edge Application Management API.

Two dynamic resources with their own types, so that the policy pack recognises them (never by the shape
of an arbitrary dynamic resource): ``PlatformApp`` submits the app (``POST /apps``) and
``PlatformAppInstance`` instantiates it in the zone (``POST /app-instances``), waits until the platform
reports it ``ready``, and reads it back on refresh. CAMARA lets neither be updated: a change replaces them.
An instance the platform reports ``failed``, or one not ready in time, is deleted again and fails the
deploy naming zone and app: nothing half-created stays in the state. The tenant's token is a secret in
inputs and outputs; its CA is public.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, ResourceProvider

from edgefed.components.errors import InputError
from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Operator, Zone
from edgefed.core.inputs.eam import AppManifest
from edgefed.core.objects.platform_instance import InstanceRefusedError, app_manifest, app_provider, platform_name
from edgefed.platform.eam_client import EamClient, PlatformError

TYPE_TOKEN = "edgefed:index:PlatformEdgeApp"
MODULE = "edgefed"
APP_NAME, INSTANCE_NAME = "PlatformApp", "PlatformAppInstance"
APP_TYPE = f"pulumi-python:dynamic/{MODULE}:{APP_NAME}"
INSTANCE_TYPE = f"pulumi-python:dynamic/{MODULE}:{INSTANCE_NAME}"
"""The types the policy pack judges (:mod:`edgefed.core.rules.platform_instances`)."""
SECRET_OUTPUTS = ["token"]
DEFAULT_READY_SECONDS = 120
_REPLACE_APP = ("platform_api", "manifest")
_REPLACE_INSTANCE = ("platform_api", "app_id", "edge_cloud_zone_id", "name", "zone", "country", "data_classification")


class PlatformDeployError(RuntimeError):
    """A platform refused or failed an app or instance; the message names zone, app and the platform's words."""


def _client(props: dict[str, Any]) -> EamClient:
    return EamClient(str(props["platform_api"]), str(props["token"]), ca_pem=props.get("ca_pem") or None)


class PlatformAppProvider(ResourceProvider):
    """``submitApp``, ``getApp``, ``deleteApp``."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The manifest as the document wants it, before any call."""
        try:
            AppManifest.model_validate(news.get("manifest"))
        except ValueError as error:
            return CheckResult(news, [CheckFailure("manifest", str(error).splitlines()[0])])
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Submit the app; adopt the same app an interrupted create left on the platform."""
        manifest = AppManifest.model_validate(props["manifest"])
        with _client(props) as client:
            try:
                app_id = client.submit_app(manifest)
            except PlatformError as error:
                if error.code != "ALREADY_EXISTS":
                    raise PlatformDeployError(f"app {manifest.name}: {error}") from None
                same = [a for a in client.apps() if a.name == manifest.name]
                if not same or AppManifest.model_validate(same[0].model_dump(by_alias=True)) != manifest:
                    raise PlatformDeployError(
                        f"app {manifest.name}: the platform already has a different app of that name; delete it "
                        "there or rename the app"
                    ) from None
                app_id = same[0].app_id
        return CreateResult(id_=app_id, outs={**props, "app_id": app_id})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The app as the platform has it; gone: an empty result."""
        with _client(props) as client:
            found = client.app(id_)
        return ReadResult(id_, {**props, "app_id": id_}) if found else ReadResult(None, {})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """CAMARA updates no app: a changed manifest or platform replaces it."""
        replaces = [key for key in _REPLACE_APP if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the app (its instances were deleted first: they depend on it)."""
        with _client(props) as client:
            try:
                client.delete_app(id_)
            except PlatformError as error:
                raise PlatformDeployError(f"app {props['manifest']['name']}: {error}") from None


class PlatformAppInstanceProvider(ResourceProvider):
    """``createAppInstance`` (until ready), ``getAppInstance``, ``deleteAppInstance``."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Instantiate; wait until ready; on ``failed``, a timeout or no answer, delete it again and fail."""
        what = f"app {props['app']} in zone {props['zone']}"
        wait = float(props.get("ready_seconds") or DEFAULT_READY_SECONDS)
        with _client(props) as client:
            try:
                made = client.create_instance(
                    str(props["name"]), str(props["app_id"]), str(props["edge_cloud_zone_id"])
                )
            except PlatformError as error:
                if error.status is None:  # no answer: the platform may have made it all the same
                    self._remove_named(client, props)
                raise PlatformDeployError(f"{what}: {error}") from None
            deadline = time.monotonic() + wait
            latest, status = made, made.status
            try:
                while status != "ready":
                    if status == "failed":
                        raise PlatformDeployError(
                            f"{what}: the platform reports instance {made.app_instance_id} failed; it was deleted "
                            "again, nothing was deployed there"
                        )
                    if time.monotonic() > deadline:
                        raise PlatformDeployError(
                            f"{what}: instance {made.app_instance_id} not ready within {wait:.0f} s (status {status}); "
                            "it was deleted again, nothing was deployed there"
                        )
                    time.sleep(0.5)
                    found = client.instance(made.app_instance_id)
                    latest, status = (found, found.status) if found else (latest, "failed")
            except (PlatformDeployError, PlatformError) as error:
                try:
                    client.delete_instance(made.app_instance_id)
                except PlatformError as cleanup:
                    raise PlatformDeployError(f"{error}; and deleting it failed: {cleanup}") from None
                if isinstance(error, PlatformDeployError):
                    raise
                raise PlatformDeployError(f"{what}: {error}") from None
            return CreateResult(id_=made.app_instance_id, outs={**props, **self._outputs(latest)})

    @staticmethod
    def _remove_named(client: EamClient, props: dict[str, Any]) -> None:
        try:
            for instance in client.instances(str(props["app_id"])):
                if instance.name == props["name"] and instance.edge_cloud_zone_id == props["edge_cloud_zone_id"]:
                    client.delete_instance(instance.app_instance_id)
        except PlatformError:
            pass  # still no answer: the next deploy's create adopts nothing and finds the conflict, by name

    @staticmethod
    def _outputs(found: Any) -> dict[str, Any]:
        endpoints = [f"{e.access_points.fqdn}:{e.access_points.port}" for e in found.component_endpoint_info]
        return {"status": found.status, "endpoints": endpoints, "app_instance_id": found.app_instance_id}

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The instance and its status now; gone: an empty result."""
        with _client(props) as client:
            found = client.instance(id_)
        return ReadResult(id_, {**props, **self._outputs(found)}) if found else ReadResult(None, {})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """CAMARA updates no instance: a changed zone, app or name replaces it (a new token changes nothing)."""
        replaces = [key for key in _REPLACE_INSTANCE if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=True)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Terminate the instance and wait until the platform no longer has it."""
        with _client(props) as client:
            try:
                client.delete_instance(id_)
                deadline = time.monotonic() + 60
                while client.instance(id_) is not None and time.monotonic() < deadline:
                    time.sleep(0.5)
            except PlatformError as error:
                raise PlatformDeployError(f"app {props['app']} in zone {props['zone']}: {error}") from None


class _PlatformApp(Resource, module=MODULE, name=APP_NAME):
    app_id: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        super().__init__(PlatformAppProvider(), name, {**props, "app_id": None}, opts)


class _PlatformAppInstance(Resource, module=MODULE, name=INSTANCE_NAME):
    status: pulumi.Output[str]
    endpoints: pulumi.Output[list[str]]
    app_instance_id: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        outputs = dict.fromkeys(("status", "endpoints", "app_instance_id"))
        super().__init__(PlatformAppInstanceProvider(), name, {**props, **outputs}, opts)


@dataclass(frozen=True)
class PlatformEdgeAppArgs:
    """Inputs of :class:`PlatformEdgeApp`."""

    spec: AppSpec
    """The app, as everywhere else."""
    zone: Zone
    """The catalog zone (``reached_through: platform``); its ``platform_id`` names it to the platform."""
    operator: Operator
    """The zone's operator, whose ``platform_api`` is called."""
    tenant: str
    """The tenant; with ``home_operator``, the ``appProvider`` of its apps."""
    home_operator: str
    """The tenant's home operator (whose issuer signed ``token``)."""
    country: str
    """The country stack's country (the pack judges restricted data against it)."""
    token: pulumi.Input[str]
    """The tenant's bearer token (its one identity); kept secret."""
    ca_pem: str | None = None
    """The CA the platform's certificate is checked with. Default: the system's."""
    ready_seconds: int = DEFAULT_READY_SECONDS
    """How long an instance may take to become ready. Default 120 s."""


class PlatformEdgeApp(pulumi.ComponentResource):
    """Submit ``spec`` to the zone's operator's platform and run one instance of it in the zone."""

    def __init__(self, name: str, args: PlatformEdgeAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Register the app and its instance; bad input raises :class:`InputError` before anything is registered."""
        zone, operator, spec = args.zone, args.operator, args.spec
        if zone.platform_id is None or operator.platform_api is None or operator.id != zone.operator:
            raise InputError(
                f"PlatformEdgeApp {name}: zone {zone.id} is reached through a platform only with its platform_id and "
                f"its operator's platform_api in the catalog"
            )
        provider = app_provider(args.home_operator, args.tenant)
        try:
            manifest = app_manifest(spec, provider, platform_name(spec.name, args.country.lower()))
        except InstanceRefusedError as error:
            raise InputError(f"PlatformEdgeApp {name}: {error}") from None
        super().__init__(TYPE_TOKEN, name, None, opts)
        common = {
            "platform_api": operator.platform_api,
            "token": pulumi.Output.secret(args.token),
            "ca_pem": args.ca_pem,
        }
        secret = pulumi.ResourceOptions(parent=self, additional_secret_outputs=SECRET_OUTPUTS)
        app = _PlatformApp(
            f"{name}-app", {**common, "manifest": manifest.model_dump(mode="json", by_alias=True)}, secret
        )
        instance_props = {
            **common,
            "app_id": app.app_id,
            "name": platform_name(spec.name, args.country.lower(), zone.id.rsplit("-", 1)[-1]),
            "edge_cloud_zone_id": zone.platform_id,
            "zone": zone.id,
            "app": spec.name,
            "country": args.country.upper(),
            "image": spec.image,
            "data_classification": spec.data_classification,
            "residency": list(spec.residency) if not isinstance(spec.residency, str) else spec.residency,
            "ready_seconds": args.ready_seconds,
        }
        self.instance = _PlatformAppInstance(f"{name}-instance", instance_props, secret)
        self.endpoints = self.instance.endpoints
        self.register_outputs({"zone": zone.id, "status": self.instance.status, "endpoints": self.instance.endpoints})
