"""The federation catalog: operators, countries and edge zones, validated at load.

Zone fields map one-to-one onto the CAMARA Edge Application Management zone model and the GSMA
federation (EWBI) zone attributes; the mapping is in :data:`CAMARA_FIELDS` and :data:`GSMA_FIELDS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from edgefed.core.inputs.eam import PlatformId
from edgefed.core.inputs.endpoints import api_endpoint_key
from edgefed.core.inputs.errors import field_error, validate
from edgefed.core.inputs.fields import EEACountry, FailoverCapacity, ISOCountry, Location, Name, StrictModel
from edgefed.core.inputs.text import shown
from edgefed.core.inputs.yamlfile import file_key, load_yaml

CONFIG_KEY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]*$")

BucketControl = Literal["encryption", "public-access-block"]
ZoneStatus = Literal["active", "inactive", "unknown"]
ReachedThrough = Literal["kubernetes", "platform"]

CAMARA_FIELDS = {
    "platform_id": "edgeCloudZoneId",
    "name": "edgeCloudZoneName",
    "operator": "edgeCloudProvider",
    "region": "edgeCloudRegion",
    "country": "countryCode",
    "status": "edgeCloudZoneStatus",
    "capacity.gpus": "gpuInfo",
}
"""Catalog zone field to the CAMARA ``EdgeCloudZone`` property it carries."""

GSMA_FIELDS = {
    "id": "zoneId",
    "location": "geolocation",
    "city": "geographyDetails",
    "capacity": "computeResourceQuotaLimits",
}
"""Catalog zone field to the GSMA OPG EWBI zone attribute it carries."""


def _check_config_key(value: str) -> str:
    if not CONFIG_KEY.match(value):
        raise ValueError(
            f"{shown(value)} is not a Pulumi config key; use letters, digits, '-' and '_', starting with a letter"
        )
    return value


ConfigKey = Annotated[str, AfterValidator(_check_config_key)]


def _check_api_endpoint(value: str) -> str:
    key = api_endpoint_key(value)
    if key is None or key[0] != "https":
        raise ValueError(
            f"{shown(value)} is not a Kubernetes API endpoint; use https://HOST[:PORT] with no path, "
            "as the zone's kubeconfig names its server"
        )
    return value.strip().rstrip("/")


ApiEndpoint = Annotated[str, AfterValidator(_check_api_endpoint)]


def _check_endpoint(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+(:\d+)?/?$", value):
        raise ValueError(f"{shown(value)} is not an http(s) endpoint such as 'https://s3.fr-par.example.eu'")
    return value.rstrip("/")


def _check_platform_root(value: str) -> str:
    key = api_endpoint_key(value)
    if key is None or key[0] != "https":
        raise ValueError(
            f"{shown(value)} is not a platform API root; use https://HOST[:PORT] with no path "
            "(tokens are credentials: never over plain HTTP)"
        )
    return value.strip().rstrip("/")


PlatformRoot = Annotated[str, AfterValidator(_check_platform_root)]


class LatencyModel(StrictModel):
    """How the catalog estimates round-trip latency from a customer site to a zone.

    ``latency = zone.access_latency_ms + distance_km / 100 * ms_per_100km`` plus ``interconnect_ms``
    when the zone's operator is not the app's home operator.
    """

    ms_per_100km: Annotated[float, Field(ge=0)] = 1.5
    """Round-trip milliseconds per 100 km of great-circle distance. Default 1.5: light in fibre does
    1 ms per 100 km round trip, times 1.5 for the detours of real fibre routes."""
    interconnect_ms: Annotated[float, Field(ge=0)] = 2.0
    """Extra round-trip milliseconds when traffic crosses from the home operator's network into another
    operator's. Default 2.0, a typical peering hop inside one country."""


class Operator(StrictModel):
    """A federation member operator."""

    id: Name
    """Short identifier used by zones (``orange``, ``deutsche-telekom``...). No default."""
    name: str
    """Display name. No default."""
    home_countries: Annotated[tuple[EEACountry, ...], Field(min_length=1)]
    """Countries where the operator has its own network. No default: every member has at least one."""
    jurisdiction: ISOCountry | None = None
    """Country whose law governs the operator's parent company (any country: a group headquartered
    outside the EU/EEA is exactly what sovereignty reports must show). Default unknown, and reports say so."""
    platform_api: PlatformRoot | None = None
    """Root URL of the operator's CAMARA Edge Application Management API (``https://HOST[:PORT]``, the
    document's base path ``/edge-application-management/vwip`` under it), where enterprises list its zones
    and run apps on them. Default none: the operator offers its zones through Kubernetes only."""
    identity_issuer: ApiEndpoint | None = None
    """URL of the operator's tenant identity issuer (``https://HOST[:PORT]``, OIDC discovery under it): the
    short-lived tokens it signs for the tenants whose home operator it is are accepted by every zone of
    the federation, under names prefixed with this operator's id. Default none: an operator without an
    issuer cannot be a tenant's home operator."""


class Country(StrictModel):
    """A country of the federation."""

    code: EEACountry
    """ISO 3166-1 alpha-2 code; must be EU/EEA. No default."""
    name: str
    """Display name. No default."""


class Capacity(StrictModel):
    """Resources a zone offers to federation tenants (GSMA ``computeResourceQuotaLimits``)."""

    cpu: Annotated[float, Field(ge=0)]
    """Allocatable CPU cores. No default: capacity must be stated, never guessed."""
    memory_gib: Annotated[float, Field(ge=0)]
    """Allocatable memory in GiB. No default, for the same reason."""
    gpus: dict[Name, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    """GPU model (``nvidia-l4``) to count. Default empty: most edge zones have no accelerator."""


class ObjectStorage(StrictModel):
    """The S3-compatible object storage next to a zone, in the zone's country."""

    endpoint: Annotated[str, AfterValidator(_check_endpoint)]
    """Base URL of the S3 API. No default."""
    region: Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9-]+$")]
    """S3 region, sent as the bucket's location constraint. No default."""
    credentials_secret: ConfigKey
    """Name of the stack config *secret* holding ``{"accessKey": ..., "secretKey": ...}`` for this
    endpoint. No default: credentials are never shared implicitly."""
    unsupported_controls: tuple[BucketControl, ...] = ()
    """Bucket controls this endpoint is known not to implement (it answers ``NotImplemented``).
    Default empty: ResidentBucket requires every control and fails the create otherwise; an entry here
    makes it record the control as unsupported instead, visible to reviewers and to the policy pack."""


class Zone(StrictModel):
    """One operator edge zone: a Kubernetes cluster inside the operator's network."""

    id: Name
    """Unique zone id in the federation (GSMA ``zoneId``). No default."""
    platform_id: PlatformId | None = None
    """The zone's id on its operator's platform (CAMARA ``edgeCloudZoneId``, a lower-case UUID): how an
    import matches what a platform lists to this reviewed entry, and how a platform deployment names the
    zone. Default none: the operator's platform does not list the zone."""
    name: str
    """Human name (CAMARA ``edgeCloudZoneName``). No default."""
    operator: Name
    """Id of the operator running the zone (CAMARA ``edgeCloudProvider``); must be in the catalog."""
    country: EEACountry
    """Country of the zone (CAMARA ``countryCode``); must be EU/EEA and in the catalog's countries."""
    region: str
    """Operator region name (CAMARA ``edgeCloudRegion``). No default."""
    city: str
    """City served (GSMA ``geographyDetails``). No default."""
    location: Location
    """Where the zone is (GSMA ``geolocation``); used by the latency model. No default."""
    status: ZoneStatus = "active"
    """CAMARA ``edgeCloudZoneStatus``. Default ``active``; placement uses only active zones."""
    capacity: Capacity
    """What tenants may use (GSMA ``computeResourceQuotaLimits``, CAMARA GPU info). No default."""
    access_latency_ms: Annotated[float, Field(ge=0)] = 2.0
    """Round-trip latency from the operator's radio access network into the zone, as the operator
    measures it. Default 2.0 ms, typical for a metro edge site."""
    api_endpoint: ApiEndpoint
    """URL of the zone's Kubernetes API server (``https://HOST[:PORT]``), as its kubeconfig names it. No
    default: the policy pack identifies a zone by the server its provider really connects to, never by
    the id a provider declares about itself."""
    kubeconfig_secret: ConfigKey
    """Name of the stack config *secret* holding this zone's kubeconfig (never the kubeconfig itself).
    No default: each zone has its own credentials."""
    object_storage: ObjectStorage
    """The S3-compatible storage next to the zone, where its apps keep their data. No default."""
    reached_through: ReachedThrough = "kubernetes"
    """How tenants' apps are deployed there: ``kubernetes`` (their objects, through the zone's API server with the
    tenant's identity) or ``platform`` (an app and its instance through the operator's CAMARA platform,
    ``platform_api``, with the same identity; the platform writes the objects). Default ``kubernetes``: what every
    zone offers. ``platform`` needs the zone's ``platform_id`` and its operator's ``platform_api``."""


def _first_repeat(values: Iterable[str]) -> tuple[int, str] | None:
    """Index and value of the first element that repeats an earlier one."""
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            return index, value
        seen.add(value)
    return None


class Catalog(StrictModel):
    """Operators, countries and zones of the federation, checked against each other."""

    latency: LatencyModel = LatencyModel()
    """Latency model; defaults as documented on :class:`LatencyModel`."""
    failover_capacity: FailoverCapacity = "full"
    """The federation default of an app's ``failover_capacity``. Default ``full``: the federation
    promises that a neighbour takes over a failed country's load, so failover zones reserve room for it
    unless an app asks for less."""
    operators: Annotated[tuple[Operator, ...], Field(min_length=1)]
    """Member operators. No default."""
    countries: Annotated[tuple[Country, ...], Field(min_length=1)]
    """Countries of the federation. No default."""
    zones: Annotated[tuple[Zone, ...], Field(min_length=1)]
    """Edge zones. No default."""

    @model_validator(mode="after")
    def _check_references(self) -> Catalog:
        for section, ids in (
            ("operators", [o.id for o in self.operators]),
            ("countries", [c.code for c in self.countries]),
            ("zones", [z.id for z in self.zones]),
        ):
            key = "code" if section == "countries" else "id"
            repeat = _first_repeat(ids)
            if repeat is not None:
                index, value = repeat
                raise field_error(f"{section}[{index}].{key}", f"duplicate {key} {value!r}; each must be unique")
        operator_ids = sorted(o.id for o in self.operators)
        country_codes = sorted(c.code for c in self.countries)
        for i, op in enumerate(self.operators):
            for j, cc in enumerate(op.home_countries):
                if cc not in country_codes:
                    raise field_error(
                        f"operators[{i}].home_countries[{j}]",
                        f"{cc!r} is not a country of this catalog; allowed: {', '.join(country_codes)}",
                    )
        repeat = _first_repeat(str(api_endpoint_key(z.api_endpoint)) for z in self.zones)
        if repeat is not None:
            index, value = repeat
            raise field_error(
                f"zones[{index}].api_endpoint",
                f"{self.zones[index].api_endpoint!r} is already another zone's API server; each is its own cluster",
            )
        servers = [str(api_endpoint_key(z.api_endpoint)) for z in self.zones]
        for i, op in enumerate(self.operators):
            if op.identity_issuer is not None and str(api_endpoint_key(op.identity_issuer)) in servers:
                raise field_error(
                    f"operators[{i}].identity_issuer",
                    f"{op.identity_issuer!r} is a zone's API server; an operator's issuer is a server of its own",
                )
        with_ids = [(i, z.platform_id) for i, z in enumerate(self.zones) if z.platform_id]
        repeat = _first_repeat(platform_id for _, platform_id in with_ids)
        if repeat is not None:
            index, value = repeat
            raise field_error(
                f"zones[{with_ids[index][0]}].platform_id", f"{value!r} is another zone's too; each zone has its own"
            )
        repeat = _first_repeat(z.kubeconfig_secret for z in self.zones)
        if repeat is not None:
            index, value = repeat
            raise field_error(
                f"zones[{index}].kubeconfig_secret", f"{value!r} is already used by another zone; each has its own"
            )
        for i, zone in enumerate(self.zones):
            if zone.reached_through == "platform":
                operator = next((o for o in self.operators if o.id == zone.operator), None)
                if zone.platform_id is None or operator is None or operator.platform_api is None:
                    raise field_error(
                        f"zones[{i}].reached_through",
                        "'platform' needs the zone's platform_id and its operator's platform_api; "
                        "allowed without them: kubernetes",
                    )
            if zone.operator not in operator_ids:
                raise field_error(
                    f"zones[{i}].operator",
                    f"{zone.operator!r} is not an operator of this catalog; allowed: {', '.join(operator_ids)}",
                )
            if zone.country not in country_codes:
                raise field_error(
                    f"zones[{i}].country",
                    f"{zone.country!r} is not a country of this catalog; allowed: {', '.join(country_codes)}",
                )
        return self

    @cached_property
    def zone_by_id(self) -> dict[str, Zone]:
        """Zones keyed by id."""
        return {zone.id: zone for zone in self.zones}

    @cached_property
    def operator_by_id(self) -> dict[str, Operator]:
        """Operators keyed by id."""
        return {op.id: op for op in self.operators}

    def zone(self, zone_id: str) -> Zone:
        """The zone with this id; ``KeyError`` naming the known ids otherwise."""
        try:
            return self.zone_by_id[zone_id]
        except KeyError:
            known = ", ".join(sorted(self.zone_by_id))
            raise KeyError(f"zone {zone_id!r} is not in the catalog; known: {known}") from None

    def zone_at(self, server: str) -> Zone | None:
        """The zone whose API server is ``server`` (any spelling of the same URL), if any."""
        key = api_endpoint_key(server)
        return next((z for z in self.zones if key is not None and api_endpoint_key(z.api_endpoint) == key), None)

    def zone_listed_as(self, platform_id: str) -> Zone | None:
        """The zone whose platform id is ``platform_id``, if the catalog has one."""
        return next((z for z in self.zones if z.platform_id == platform_id), None)

    def zones_in(self, country: str) -> tuple[Zone, ...]:
        """Zones located in ``country``, in catalog order."""
        return tuple(zone for zone in self.zones if zone.country == country)


_CATALOGS: dict[tuple[tuple[str, int, int, int], str], Catalog] = {}


def load_catalog(path: Path | str) -> Catalog:
    """Load and validate a catalog YAML file; raises :class:`edgefed.core.inputs.errors.ConfigError` on bad input.

    Validated once per process while the file stays the same (the model is frozen: every caller shares it).
    """
    path = Path(path)
    key = file_key(path)
    if key is not None and (key, str(path)) in _CATALOGS:
        return _CATALOGS[(key, str(path))]
    found = validate(Catalog, load_yaml(path), str(path))
    if key is not None:
        _CATALOGS[(key, str(path))] = found
    return found
