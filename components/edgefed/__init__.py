"""edgefed: Pulumi components and EU residency policies for the European telco Edge Federation.

``from edgefed import EdgeZone, FederatedEdgeApp, ResidentBucket, Catalog, AppSpec``. The Pulumi
components are imported lazily, so that the pure modules (catalog, placement, residency) and the policy
pack load without pulling in the Kubernetes SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from edgefed.core.inputs.appspec import AppSpec, load_app_spec
from edgefed.core.inputs.catalog import Catalog, load_catalog
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.placement.placer import PlacementError, Plan, place, place_all

if TYPE_CHECKING:
    from edgefed.components.app import FederatedEdgeApp, FederatedEdgeAppArgs
    from edgefed.components.bucket import ResidentBucket, ResidentBucketArgs
    from edgefed.components.zone import EdgeZone, EdgeZoneArgs

_LAZY = {
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
    """Import a Pulumi component class on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'edgefed' has no attribute {name!r}")
    return getattr(import_module(module), name)
