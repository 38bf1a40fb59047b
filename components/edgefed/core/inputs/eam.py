"""The CAMARA Edge Application Management (EAM) objects edgefed reads from and sends to operators' platforms.

Written from the published OpenAPI document, pinned by :data:`EAM_SPEC` (the version with paged
``GET /edge-cloud-zones``). Only what edgefed uses is modelled; a platform may send more (the document
leaves objects open), so unknown properties are ignored, while every property edgefed reads is checked
against the document's own constraints (UUID ids, enumerations, lengths, page bounds). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


@dataclass(frozen=True)
class SpecPin:
    """Where a published API document is, exactly."""

    repository: str
    path: str
    commit: str
    version: str
    licence: str


EAM_SPEC = SpecPin(
    repository="https://github.com/camaraproject/EdgeApplicationManagement",
    path="code/API_definitions/edge-application-management.yaml",
    commit="037ca2d5f6573a57cd14c012fba5332f3a83b10a",
    version="wip (main, 2026-08-14: paged edge-cloud-zones, countryCode; r1.1 still lists an unpaged array)",
    licence="Apache-2.0",
)
"""The EAM document these models follow."""

BASE_PATH = "/edge-application-management/vwip"
"""The path under an operator's API root where EAM is served (the document's server URL)."""

PLATFORM_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
"""The document's pattern of every id a platform makes (zones, apps, instances): a lower-case UUID."""
INSTANCE_NAME = r"^[A-Za-z][A-Za-z0-9_]{1,63}$"
"""The document's pattern of app and instance names: no '-', unlike Kubernetes names."""
MAX_PER_PAGE = 100
"""The most items the document lets a page carry."""


def _check_platform_id(value: str) -> str:
    if not re.fullmatch(PLATFORM_ID, value):
        raise ValueError(
            f"{value[:60]!r} is not a platform id: the document's lower-case UUID (RFC 4122, versions 1-5)"
        )
    return value


PlatformId = Annotated[str, AfterValidator(_check_platform_id)]
"""A platform's id of a zone, app or instance."""
ZoneStatus = Literal["active", "inactive", "unknown"]
InstanceStatus = Literal["ready", "instantiating", "failed", "terminating", "unknown"]


class Wire(BaseModel):
    """Base of the platforms' objects: camelCase on the wire, frozen, unknown properties ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True)


class EdgeCloudZone(Wire):
    """A zone as a platform lists it (``EdgeCloudZone``)."""

    edge_cloud_zone_id: PlatformId
    """The platform's UUID of the zone. Required by the document."""
    edge_cloud_zone_name: Annotated[str, Field(min_length=1, max_length=64)]
    """The zone's human name. Required."""
    edge_cloud_provider: Annotated[str, Field(min_length=1, max_length=64)]
    """The operator's name. Required."""
    edge_cloud_zone_status: ZoneStatus = "unknown"
    """``active``, ``inactive`` or ``unknown``; the document's default is ``unknown``."""
    edge_cloud_region: Annotated[str, Field(max_length=64)] | None = None
    """The operator's region name. Optional."""
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    """Where the platform says the zone is. Never trusted for residency: the reviewed catalog says."""


class Pagination(Wire):
    """Where a page sits in a paged answer (CAMARA ``Pagination``)."""

    page: Annotated[int, Field(ge=1)]
    """The page's number, from 1."""
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)]
    """Items per page, 1-100."""
    total_count: Annotated[int, Field(ge=0)] | None = None
    """Items in all pages; the document lets a platform omit it."""
    total_pages: Annotated[int, Field(ge=0)] | None = None
    """Pages in all; omitted when ``total_count`` is."""


class EdgeCloudZoneList(Wire):
    """One page of ``GET /edge-cloud-zones`` (``EdgeCloudZoneList``)."""

    edge_cloud_zones: Annotated[tuple[EdgeCloudZone, ...], Field(max_length=MAX_PER_PAGE)]
    """The page's zones."""
    pagination: Pagination
    """Where the page sits."""


class ErrorInfo(Wire):
    """A platform's error answer."""

    status: Annotated[int, Field(ge=100, le=599)]
    """The HTTP status again."""
    code: Annotated[str, Field(max_length=96)]
    """A code such as ``INVALID_ARGUMENT`` or ``NOT_FOUND``."""
    message: Annotated[str, Field(max_length=512)]
    """What went wrong, for a person."""


class AppRepo(Wire):
    """Where the app's image is (``appRepo``)."""

    type: Literal["PRIVATEREPO", "PUBLICREPO"]
    """Public or private repository."""
    image_path: Annotated[str, Field(min_length=1, max_length=2048)]
    """The image reference."""


class NetworkInterface(Wire):
    """A port a component exposes."""

    interface_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_]{2,30}[A-Za-z0-9]$")]
    """The interface's name."""
    protocol: Literal["TCP", "UDP", "ANY"]
    """Transport."""
    port: Annotated[int, Field(ge=1, le=65535)]
    """The container port."""
    visibility_type: Literal["VISIBILITY_EXTERNAL", "VISIBILITY_INTERNAL"]
    """Exposed outside the zone or not."""


class ComponentSpec(Wire):
    """One component of the app and its ports."""

    component_name: Annotated[str, Field(min_length=1, max_length=64)]
    """Unique in the app."""
    network_interfaces: Annotated[tuple[NetworkInterface, ...], Field(min_length=1, max_length=100)]
    """Its ports."""


class Topology(Wire):
    """How the CPU pool is spread over nodes."""

    min_number_of_nodes: Annotated[int, Field(ge=1, le=1000)]
    """Nodes the app needs at least."""
    min_node_cpu: Annotated[int, Field(ge=1, le=256)]
    """Whole cores per node."""
    min_node_memory: Annotated[int, Field(ge=1, le=16384)]
    """MiB per node."""


class CpuPool(Wire):
    """The CPU and memory of the app (``KubernetesResources.applicationResources.cpuPool``)."""

    num_cpu: Annotated[int, Field(ge=1, le=256, alias="numCPU")]
    """Whole cores (the document counts no fraction)."""
    memory: Annotated[int, Field(ge=1, le=16384)]
    """MiB."""
    topology: Topology
    """Its spread over nodes."""


class ApplicationResources(Wire):
    """The resources of ``requiredResources`` edgefed asks for."""

    cpu_pool: CpuPool
    """CPU and memory."""


class RequiredResources(Wire):
    """``requiredResources`` of kind ``kubernetesResources``."""

    infra_kind: Literal["kubernetes"]
    """edgefed deploys containers onto Kubernetes zones."""
    application_resources: ApplicationResources
    """What each instance needs."""
    is_standalone: bool
    """A dedicated cluster (edgefed asks for none: zones are shared). Required by the document."""


class AppManifest(Wire):
    """An app submitted with ``submitApp``."""

    name: Annotated[str, Field(pattern=INSTANCE_NAME)]
    """The app's name, scoped to its provider."""
    app_provider: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{7,63}$")]
    """Who provides the app (the tenant)."""
    version: Annotated[str, Field(min_length=1, max_length=64)]
    """The app's version."""
    package_type: Literal["CONTAINER"]
    """edgefed submits container images only."""
    app_repo: AppRepo
    """The image."""
    required_resources: RequiredResources
    """What an instance needs."""
    component_spec: Annotated[tuple[ComponentSpec, ...], Field(min_length=1, max_length=100)]
    """Its components and their ports."""


class SubmittedApp(Wire):
    """The answer to ``submitApp``."""

    app_id: PlatformId
    """The platform's id of the app."""


class AppManifestInfo(AppManifest):
    """An app as ``getApp`` returns it."""

    app_id: PlatformId
    """The platform's id of the app."""


class AccessEndpoint(Wire):
    """Where a component of an instance answers."""

    port: Annotated[int, Field(ge=0, le=65535)]
    """Its port."""
    fqdn: Annotated[str, Field(min_length=1, max_length=253)]
    """Its name (the document wants an FQDN or addresses; edgefed's zones give names)."""


class ComponentEndpoint(Wire):
    """An interface of an instance and its access point."""

    interface_id: str
    """The manifest's interface."""
    access_points: AccessEndpoint
    """Where it answers."""


class AppInstanceInfo(Wire):
    """An instance of an app in one zone (``AppInstanceInfo``)."""

    name: Annotated[str, Field(pattern=INSTANCE_NAME)]
    """The instance's name."""
    app_id: PlatformId
    """Its app."""
    app_instance_id: PlatformId
    """The platform's id of the instance."""
    app_provider: str
    """Who provides the app."""
    edge_cloud_zone_id: PlatformId
    """Where it runs."""
    status: InstanceStatus = "unknown"
    """``ready``, ``instantiating``, ``failed``, ``terminating`` or ``unknown`` (the document's default)."""
    component_endpoint_info: tuple[ComponentEndpoint, ...] = ()
    """Where its components answer."""
