"""The country-stack program: validate everything, plan the federation, then register the stack's slice.

``__main__.py`` calls :func:`run`. All checks (stack config, catalog, app specs, placement, credentials)
happen before the first resource is registered, so bad input never leaves anything half-deployed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path

import pulumi

from edgefed import labels
from edgefed.appspec import AppSpec
from edgefed.catalog import Catalog, Zone
from edgefed.components.app import FederatedEdgeApp, FederatedEdgeAppArgs
from edgefed.components.zone import EdgeZone, EdgeZoneArgs
from edgefed.errors import ConfigError
from edgefed.federation import load_federation, plan_federation
from edgefed.placement import PlacementError, Plan, demand_by_zone, plans_as_data
from edgefed.residency import DEFAULT_REGISTRIES
from edgefed.stackconfig import NAMESPACE, StackConfig
from edgefed.stacksets import family_of, load_stacksets


def _registry_rules(root: Path, stack: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Registry allow-list and ``requireDigestFor`` of the stack family's pack config, for zone admission.

    The zones' admission policies and the pack then agree. The pack's defaults when the project has no
    stack families (a user's own program).
    """
    families = root / "stacks" / "stacksets.yaml"
    path = root / family_of(load_stacksets(families), stack).policy_config if families.is_file() else None
    policy: dict[str, list[str]] = {}
    if path is not None and path.is_file():
        policy = json.loads(path.read_text(encoding="utf-8")).get("disallow-unlisted-registry") or {}
    registries = tuple(policy.get("allowedRegistries") or DEFAULT_REGISTRIES)
    return registries, tuple(policy.get("requireDigestFor") or ("restricted",))


def _require_secret(key: str, secret_keys: list[str], raw: dict[str, str], source: str, purpose: str) -> None:
    full = f"{NAMESPACE}:{key}"
    if full not in raw:
        raise ConfigError(source, [(full, f"is missing; set {purpose} with `pulumi config set --secret {key} ...`")])
    if full not in secret_keys:
        raise ConfigError(source, [(full, "must be a secret; set it again with `pulumi config set --secret`")])


def _require_s3_credentials(key: str, secret_keys: list[str], raw: dict[str, str], source: str) -> None:
    _require_secret(key, secret_keys, raw, source, 'its S3 keys as {"accessKey": ..., "secretKey": ...}')
    try:
        value = json.loads(raw[f"{NAMESPACE}:{key}"])
    except json.JSONDecodeError:
        value = None
    # The value itself is never echoed: it is a credential.
    if not isinstance(value, dict) or not {"accessKey", "secretKey"} <= value.keys():
        raise ConfigError(
            source, [(f"{NAMESPACE}:{key}", 'must be a JSON object {"accessKey": ..., "secretKey": ...}')]
        )


def _storage_groups(config: StackConfig, catalog: Catalog, plan: Plan) -> dict[str, Zone]:
    """Per storage endpoint in the stack's country, one zone that serves the app there (bucket home).

    ``plan`` is the plan with every zone up: data stays in its country through an outage, so a bucket
    never disappears (and is never deleted) because the zones next to it are down.
    """
    groups: dict[str, Zone] = {}
    for assignment in plan.zones:
        zone = catalog.zone(assignment.zone)
        if zone.country == config.country and assignment.role == "primary":
            groups.setdefault(zone.object_storage.endpoint, zone)
    return groups


def _require_encryption(spec: AppSpec, zone: Zone) -> None:
    """Restricted data is stored only where the endpoint encrypts by default."""
    storage = zone.object_storage
    if spec.data_classification == "restricted" and "encryption" in storage.unsupported_controls:
        raise ConfigError(
            f"stacks/apps/{spec.name}.yaml",
            [
                (
                    "object_storage",
                    f"restricted data needs default encryption, which {storage.endpoint} (zone {zone.id}) does not "
                    "implement; set object_storage: false (data stays in the zones) or use an endpoint that encrypts",
                )
            ],
        )


def run() -> None:
    """Deploy one country stack: registers :func:`deploy_stack` as the program's entry point."""
    pulumi.run(deploy_stack)


async def deploy_stack() -> None:
    """Validate, plan and register the stack's slice of the federation.

    Bad input raises :class:`pulumi.RunError` naming the file and field, before any resource is registered.
    """
    try:
        await _deploy()
    except (ConfigError, PlacementError) as exc:
        raise pulumi.RunError(str(exc)) from None


async def _let_providers_start(zones: Iterable[EdgeZone]) -> None:
    """Let the zones' registrations reach the engine before the apps are built.

    The engine starts a provider plugin only when the provider's registration reaches it, one zone at a
    time (about 0.1 s each), and a registration waits for its parent's: without this, those starts wait
    for every app object to be built too. Correctness never depends on it (a slow registration only
    starts later); the wait is for the zones' own round trip, then a moment for their providers' to go.
    """
    await asyncio.gather(*(zone.urn.future() for zone in zones))
    await asyncio.sleep(0.005)


async def _deploy() -> None:
    stack = pulumi.get_stack()
    source = f"stacks/Pulumi.{stack}.yaml"
    raw: dict[str, str] = pulumi.runtime.get_config_env()
    secret_keys: list[str] = pulumi.runtime.get_config_secret_keys_env()
    root = Path.cwd()
    # The stack deploys its slice of the federation plan: every stack of the catalog placed together,
    # sharing zone capacity, with the federation's outage state.
    federation = load_federation(root, stack, raw, secret_keys)
    member, catalog = federation.member(stack), federation.catalog
    config, specs = member.config, list(member.specs)
    whole = plan_federation(federation)
    whole.raise_for(stack)
    # Buckets follow the plan with every zone up, so an outage never moves or deletes data; unavailable
    # zones keep their objects, drained (see with_drained).
    plans, healthy = whole.slice(stack), whole.healthy_slice(stack)
    demand = demand_by_zone(plans, specs)
    used = sorted(demand)
    rendering = config.render_yaml_to is not None
    if not rendering:
        for zone_id in used:
            _require_secret(catalog.zone(zone_id).kubeconfig_secret, secret_keys, raw, source, "its kubeconfig")
    if config.buckets:
        for spec in specs:
            if not spec.object_storage:
                continue
            for zone in _storage_groups(config, catalog, healthy[spec.name]).values():
                _require_encryption(spec, zone)
                _require_s3_credentials(zone.object_storage.credentials_secret, secret_keys, raw, source)

    # Everything is validated: register resources.
    settings = pulumi.Config(NAMESPACE)
    namespace = f"{config.tenant}-{config.country.lower()}"
    render_to = str(root / config.render_yaml_to) if config.render_yaml_to else None
    down = federation.unavailable
    registries, digest_for = _registry_rules(root, stack)
    zones: dict[str, EdgeZone] = {}
    for zone_id in used:
        zone = catalog.zone(zone_id)
        zones[zone_id] = EdgeZone(
            zone_id,
            EdgeZoneArgs(
                zone=zone,
                namespace=namespace,
                demand=demand[zone_id],
                kubeconfig=None if rendering else settings.require_secret(zone.kubeconfig_secret),
                render_yaml_to=render_to,
                unavailable=zone_id in down,
                allowed_registries=registries,
                digest_required_for=digest_for,
            ),
        )
    await _let_providers_start(zones.values())
    endpoints: dict[str, object] = {}
    buckets: dict[str, object] = {}
    for spec in specs:
        plan = plans[spec.name]
        app = FederatedEdgeApp(
            spec.name,
            FederatedEdgeAppArgs(
                spec=spec,
                catalog=catalog,
                zones=zones,
                unavailable=tuple(sorted(federation.unavailable)),
                plan=plan,
                rollout_timeout_seconds=config.rollout_timeout_seconds,
            ),
        )
        endpoints[spec.name] = app.endpoints
        if config.buckets and spec.object_storage:
            buckets[spec.name] = _buckets(config, catalog, spec, healthy[spec.name], settings)
    pulumi.export("country", config.country)
    pulumi.export("plan", plans_as_data(plans))
    pulumi.export("zones", {zone_id: namespace for zone_id in used})
    pulumi.export("endpoints", endpoints)
    pulumi.export("buckets", buckets)


def _buckets(config: StackConfig, catalog: Catalog, spec: AppSpec, plan: Plan, settings: pulumi.Config) -> list[object]:
    # Imported here: botocore (its exceptions) costs a stack without buckets (render mode) 20 ms a run.
    from edgefed.components.bucket import ResidentBucket, ResidentBucketArgs

    out: list[object] = []
    for zone in _storage_groups(config, catalog, plan).values():
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
