"""A tenant's country stack: its slice of the tenant's federation plan, deployed with the tenant's identity.

:func:`edgefed.core.stackslice.stack_slice` checks everything (stack config, catalog, contract, app
specs, the federation plan and its fit to the contract, credentials) before the first resource is
registered; :func:`register` then registers the zones' providers, the apps and their buckets. No
namespace, quota, RBAC or admission object: those are the operators' (:mod:`edgefed.program.operator`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import pulumi
import yaml

from edgefed.components.app import FederatedEdgeApp, FederatedEdgeAppArgs, PlatformZone
from edgefed.components.zone import EdgeZone, EdgeZoneArgs
from edgefed.core.inputs import labels
from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.stackconfig import NAMESPACE
from edgefed.core.placement.placer import plans_as_data
from edgefed.core.stackslice import StackSlice


async def _let_providers_start(zones: Iterable[EdgeZone]) -> None:
    """Let the zones' registrations reach the engine before the apps are built.

    The engine starts a provider plugin only when the provider's registration reaches it, one zone at a
    time (about 0.1 s each), and a registration waits for its parent's: without this, those starts wait
    for every app object to be built too. Correctness never depends on it (a slow registration only
    starts later); the wait is for the zones' own round trip, then a moment for their providers' to go.
    """
    await asyncio.gather(*(zone.urn.future() for zone in zones))
    await asyncio.sleep(0.005)


def _token(kubeconfig: str) -> str:
    """The tenant's token in its kubeconfig of a zone: the one identity every zone and platform takes."""
    document = yaml.safe_load(kubeconfig) or {}
    users = document.get("users") or [{}]
    return str((users[0].get("user") or {}).get("token") or "")


def _platform_zones(piece: StackSlice, settings: pulumi.Config) -> dict[str, PlatformZone]:
    """The stack's zones reached through their operator's platform, with the tenant's identity for them."""
    found: dict[str, PlatformZone] = {}
    for zone_id in piece.demand:
        zone = piece.catalog.zone(zone_id)
        if zone.reached_through != "platform":
            continue
        token = (
            pulumi.Output.secret("")
            if piece.rendering
            else settings.require_secret(zone.kubeconfig_secret).apply(_token)
        )
        found[zone_id] = PlatformZone(
            zone=zone,
            operator=piece.catalog.operator_by_id[zone.operator],
            tenant=piece.config.tenant,
            home_operator=piece.home_operator,
            country=piece.config.country,
            token=token,
            ca_pem=piece.config.platform_ca,
        )
    return found


def _zones(piece: StackSlice, settings: pulumi.Config) -> dict[str, EdgeZone]:
    render_to = str(Path.cwd() / piece.config.render_yaml_to) if piece.config.render_yaml_to else None
    zones: dict[str, EdgeZone] = {}
    for zone_id in piece.demand:
        zone = piece.catalog.zone(zone_id)
        if zone.reached_through == "platform":
            continue
        zones[zone_id] = EdgeZone(
            zone_id,
            EdgeZoneArgs(
                zone=zone,
                namespace=piece.namespace,
                kubeconfig=None if piece.rendering else settings.require_secret(zone.kubeconfig_secret),
                render_yaml_to=render_to,
                unavailable=zone_id in piece.unavailable,
            ),
        )
    return zones


async def register(piece: StackSlice) -> None:
    """Register the slice: its zones, then its apps and their buckets, then the stack's outputs."""
    settings = pulumi.Config(NAMESPACE)
    zones = _zones(piece, settings)
    platform_zones = _platform_zones(piece, settings)
    await _let_providers_start(zones.values())
    endpoints: dict[str, object] = {}
    buckets: dict[str, object] = {}
    for spec in piece.specs:
        app = FederatedEdgeApp(
            spec.name,
            FederatedEdgeAppArgs(
                spec=spec,
                catalog=piece.catalog,
                zones=zones,
                platform_zones=platform_zones,
                unavailable=tuple(sorted(piece.unavailable)),
                plan=piece.plans[spec.name],
                rollout_timeout_seconds=piece.config.rollout_timeout_seconds,
            ),
        )
        endpoints[spec.name] = app.endpoints
        if spec.name in piece.bucket_homes:
            buckets[spec.name] = _buckets(piece, spec, settings)
    pulumi.export("country", piece.config.country)
    pulumi.export("plan", plans_as_data(piece.plans))
    pulumi.export("zones", {zone_id: piece.namespace for zone_id in piece.demand})
    pulumi.export("platform_zones", sorted(platform_zones))
    pulumi.export("endpoints", endpoints)
    pulumi.export("buckets", buckets)


def _buckets(piece: StackSlice, spec: AppSpec, settings: pulumi.Config) -> list[object]:
    # Imported here: botocore (its exceptions) costs a stack without buckets (render mode) 20 ms a run.
    from edgefed.components.bucket import ResidentBucket, ResidentBucketArgs

    config, out = piece.config, list[object]()
    for zone in piece.bucket_homes[spec.name]:
        storage = zone.object_storage
        credentials = settings.require_secret_object(storage.credentials_secret)
        name = f"{config.tenant}-{spec.name}-{config.country.lower()}-{zone.operator}"
        bucket = ResidentBucket(
            name,
            ResidentBucketArgs(
                bucket=name,
                country=config.country,
                endpoint=storage.endpoint,
                region=storage.region,
                access_key=credentials.apply(lambda c: str(c["accessKey"])),
                secret_key=credentials.apply(lambda c: str(c["secretKey"])),
                unsupported_controls=storage.unsupported_controls,
                data_classification=spec.data_classification,
                tags={labels.APP: spec.name, labels.CLASSIFICATION: spec.data_classification},
            ),
        )
        out.append({"bucket": bucket.bucket, "endpoint": storage.endpoint, "region": storage.region})
    return out
