"""edgefed: Pulumi components and EU residency policies for the European telco Edge Federation.

``from edgefed import EdgeZone, FederatedEdgeApp, ResidentBucket, Catalog, AppSpec``. Every public name
is imported on first use: the pure core and the policy pack load without the Kubernetes SDK, and a
command that refuses its input does so before loading the models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edgefed.components.app import FederatedEdgeApp, FederatedEdgeAppArgs
    from edgefed.components.bucket import ResidentBucket, ResidentBucketArgs
    from edgefed.components.zone import EdgeZone, EdgeZoneArgs
    from edgefed.core.inputs.appspec import AppSpec, load_app_spec
    from edgefed.core.inputs.catalog import Catalog, load_catalog
    from edgefed.core.inputs.errors import ConfigError
    from edgefed.core.placement.placer import PlacementError, Plan, place, place_all

_LAZY = {
    "AppSpec": "edgefed.core.inputs.appspec",
    "load_app_spec": "edgefed.core.inputs.appspec",
    "Catalog": "edgefed.core.inputs.catalog",
    "load_catalog": "edgefed.core.inputs.catalog",
    "ConfigError": "edgefed.core.inputs.errors",
    "PlacementError": "edgefed.core.placement.placer",
    "Plan": "edgefed.core.placement.placer",
    "place": "edgefed.core.placement.placer",
    "place_all": "edgefed.core.placement.placer",
    "EdgeZone": "edgefed.components.zone",
    "EdgeZoneArgs": "edgefed.components.zone",
    "FederatedEdgeApp": "edgefed.components.app",
    "FederatedEdgeAppArgs": "edgefed.components.app",
    "ResidentBucket": "edgefed.components.bucket",
    "ResidentBucketArgs": "edgefed.components.bucket",
}

__all__ = [
    "AppSpec",
    "Catalog",
    "ConfigError",
    "EdgeZone",
    "EdgeZoneArgs",
    "FederatedEdgeApp",
    "FederatedEdgeAppArgs",
    "PlacementError",
    "Plan",
    "ResidentBucket",
    "ResidentBucketArgs",
    "load_app_spec",
    "load_catalog",
    "place",
    "place_all",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (the package itself imports nothing)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'edgefed' has no attribute {name!r}")
    return getattr(import_module(module), name)
