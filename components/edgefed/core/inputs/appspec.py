"""The app spec: one definition of a federated edge app, the same in every country."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, IPvAnyNetwork, model_validator

from edgefed.core.inputs.errors import field_error, validate
from edgefed.core.inputs.fields import EEACountry, FailoverCapacity, Location, Name, StrictModel
from edgefed.core.inputs.geography import geography
from edgefed.core.inputs.images import ImageRef, parse_image
from edgefed.core.inputs.yamlfile import load_yaml

DataClassification = Literal["public", "internal", "personal", "restricted"]
FailoverMode = Literal["none", "neighbour", "any-in-residency"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_image(value: str) -> str:
    parse_image(value)
    return value


class Port(StrictModel):
    """A port the app listens on, exposed by its Service inside the zone."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$")]
    """IANA-style port name (at most 15 characters). No default."""
    port: Annotated[int, Field(ge=1, le=65535)]
    """Container and Service port. No default."""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """Transport protocol. Default TCP, what almost every edge API speaks."""


class EgressRule(StrictModel):
    """A destination outside the zone the app's pods send data to (the zone's default deny closes the rest)."""

    cidr: IPvAnyNetwork
    """The destination network (``10.33.8.0/24``). No default. For personal and restricted data it must lie
    inside a CIDR the federation's pack config allows (``disallow-open-egress``) for the zone's country
    (restricted) or a country of the app's residency (personal); the stack refuses it before anything
    deploys otherwise."""
    port: Annotated[int, Field(ge=1, le=65535)]
    """Destination port. No default: an open port range is a path nobody reviewed."""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """Transport protocol. Default TCP."""


class GpuRequest(StrictModel):
    """GPUs one replica needs."""

    model: Name
    """GPU model as named in zone capacity (``nvidia-l4``). No default."""
    count: Annotated[int, Field(ge=1)] = 1
    """GPUs per replica. Default 1, the common inference case."""


class Resources(StrictModel):
    """What one replica needs (requests; limits are set equal for guaranteed QoS)."""

    cpu: Annotated[float, Field(gt=0)]
    """CPU cores per replica. No default: a critical app states its needs."""
    memory_mib: Annotated[int, Field(gt=0)]
    """Memory per replica in MiB. No default, for the same reason."""
    gpu: GpuRequest | None = None
    """GPUs per replica. Default none."""


class Site(StrictModel):
    """A customer site the app serves, with its latency budget."""

    name: Name
    """Site name, unique in the spec. No default."""
    country: EEACountry
    """Country of the site; its data is processed and stored here. No default."""
    location: Location
    """Where the site is. No default: placement measures latency from here."""
    latency_budget_ms: Annotated[float, Field(gt=0)] = 20.0
    """Highest acceptable round-trip latency to the serving zone. Default 20 ms, the usual bound for
    interactive edge control loops; robot control typically asks for 10."""


class AppSpec(StrictModel):
    """A federated edge app: the same definition deployed in every country where it has sites."""

    name: Name
    """App name, used for every derived Kubernetes name. No default."""
    image: Annotated[str, AfterValidator(_check_image)]
    """Container image reference. No default. The policy pack checks its registry against the allow-list
    and, for ``restricted`` data, that it is pinned by digest."""
    ports: tuple[Port, ...] = ()
    """Ports to expose with a ClusterIP Service. Default none (a worker with no inbound traffic)."""
    env: dict[str, str] = Field(default_factory=dict)
    """Environment variables. Default none. Never put secrets here: they would be plain in state."""
    resources: Resources
    """Per-replica resources. No default."""
    replicas_per_zone: Annotated[int, Field(ge=1)] = 2
    """Replicas in each serving zone. Default 2, so a PodDisruptionBudget can keep one during drains."""
    max_replicas_per_zone: Annotated[int, Field(ge=1)] | None = None
    """Autoscaling ceiling per serving zone. Default twice ``replicas_per_zone``."""
    residency: Literal["eu"] | Annotated[tuple[EEACountry, ...], Field(min_length=1)] = "eu"
    """Countries where the app's data may be processed and stored, or ``eu`` for the whole EU/EEA.
    Default ``eu``: the federation's floor; narrow it for national-only data."""
    data_classification: DataClassification = "internal"
    """public, internal, personal or restricted. Default internal. ``restricted`` data never crosses a
    border, not even on failover, and needs images pinned by digest."""
    object_storage: bool = True
    """Whether the app keeps data in its country's object storage (one ResidentBucket per endpoint).
    Default true. Restricted data needs an endpoint with default encryption: an app whose endpoints cannot
    encrypt sets ``false`` and keeps its data in its zones."""
    sites: Annotated[tuple[Site, ...], Field(min_length=1)]
    """Customer sites. No default: an app with no site has nowhere to run."""
    egress: tuple[EgressRule, ...] = ()
    """Destinations outside the zone the pods may reach, besides their namespace and the cluster DNS (a
    NetworkPolicy per zone, pinned to the app's classification and residency). Default none."""
    reachable_from: tuple[IPvAnyNetwork, ...] = ()
    """Networks outside the zone (a site's robots, a city's sensors) whose clients may reach the app's ports.
    Default none: only pods of the app's own namespace (its stack's other apps) reach it, other tenants never."""
    failover: FailoverMode = "neighbour"
    """Where a site goes when its country's zones fail: ``none``, a zone in a ``neighbour`` country, or
    ``any-in-residency``. Default neighbour: the closest country that is still short network hops away."""
    standby_replicas: Annotated[int, Field(ge=0)] = 1
    """Warm replicas kept in each failover zone. Default 1, so failover starts from a running pod."""
    failover_capacity: FailoverCapacity | None = None
    """What the failover zone reserves for a site: ``standby`` (only the warm replicas: the takeover
    fits only if the zone happens to have room then) or ``full`` (the full ``replicas_per_zone``, so the
    takeover is guaranteed to fit). Default unset: the catalog's ``failover_capacity``."""
    home_operator: Name | None = None
    """The operator the enterprise signed with; zones of other operators cost the catalog's interconnect
    latency. Default none (every operator is treated alike)."""

    @model_validator(mode="after")
    def _check_consistency(self) -> AppSpec:
        allowed = self.residency_countries
        seen: set[str] = set()
        for i, site in enumerate(self.sites):
            if site.name in seen:
                raise field_error(f"sites[{i}].name", f"duplicate site name {site.name!r}; each must be unique")
            seen.add(site.name)
            if site.country not in allowed:
                raise field_error(
                    f"sites[{i}].country",
                    f"{site.country!r} is outside the app's residency; allowed: {', '.join(sorted(allowed))}",
                )
        for name in self.env:
            if not _ENV_NAME.match(name):
                raise field_error(f"env.{name}", "is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
        if self.data_classification == "restricted" and self.failover != "none":
            raise field_error(
                "failover",
                f"{self.failover!r} would move restricted data across a border, which restricted data never "
                "crosses (not even on failover); allowed for restricted: none",
            )
        ceiling = self.max_replicas_per_zone
        if ceiling is not None and ceiling < self.replicas_per_zone:
            raise field_error(
                "max_replicas_per_zone",
                f"{ceiling} is below replicas_per_zone ({self.replicas_per_zone}); use at least that",
            )
        return self

    @property
    def residency_countries(self) -> frozenset[str]:
        """The residency as a set of country codes (``eu`` expands to every EU/EEA country)."""
        if self.residency == "eu":
            return frozenset(geography().eea)
        return frozenset(self.residency)

    @property
    def autoscaling_ceiling(self) -> int:
        """``max_replicas_per_zone`` or its default, twice ``replicas_per_zone``."""
        return self.max_replicas_per_zone or 2 * self.replicas_per_zone

    @property
    def image_ref(self) -> ImageRef:
        """The parsed image reference."""
        return parse_image(self.image)


def load_app_spec(path: Path | str) -> AppSpec:
    """Load and validate an app spec YAML file; raises :class:`edgefed.core.inputs.errors.ConfigError` on bad input."""
    path = Path(path)
    return validate(AppSpec, load_yaml(path), str(path))
