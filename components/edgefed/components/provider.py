"""The explicit Kubernetes provider of one zone: its kubeconfig kept secret, or a render folder."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from edgefed.components.errors import InputError
from edgefed.core.inputs.catalog import Zone


def zone_provider(
    name: str,
    zone: Zone,
    kubeconfig: pulumi.Input[str] | None,
    render_yaml_to: str | None,
    opts: pulumi.ResourceOptions,
    *,
    unavailable: bool = False,
) -> k8s.Provider:
    """A provider for ``zone`` (``cluster_identifier`` = zone id), or one that renders to ``<dir>/<zone id>``.

    Whoever's credential the kubeconfig holds (an operator's, a tenant's), the policy pack checks that it
    connects to the zone's catalog API server.
    """
    if render_yaml_to is not None:
        return k8s.Provider(f"{name}-provider", render_yaml_to_directory=f"{render_yaml_to}/{zone.id}", opts=opts)
    if kubeconfig is None:
        raise InputError(f"{name}: zone {zone.id} needs a kubeconfig (or render_yaml_to)")
    return k8s.Provider(
        f"{name}-provider",
        kubeconfig=pulumi.Output.secret(kubeconfig),
        cluster_identifier=zone.id,
        enable_server_side_apply=True,
        delete_unreachable=False,
        skip_update_unreachable=unavailable,
        opts=opts,
    )
