"""KubernetesObject: one Kubernetes object, registered with the Kubernetes provider's own resource type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from edgefed.core.objects.manifests import type_token

__all__ = ["KubernetesObject", "KubernetesObjectArgs", "type_token"]


@dataclass(frozen=True)
class KubernetesObjectArgs:
    """Inputs of :class:`KubernetesObject`: the object as the API server takes it (camelCase keys)."""

    api_version: str
    """``apiVersion`` of the object, such as ``apps/v1``; with ``kind``, it chooses the resource type."""
    kind: str
    """``kind`` of the object, such as ``Deployment``."""
    metadata: pulumi.Input[Mapping[str, Any]]
    """The object's ``metadata`` (name, namespace, labels, annotations)."""
    spec: pulumi.Input[Mapping[str, Any]] | None = None
    """The object's ``spec``. Default none (a Namespace needs none)."""
    fields: Mapping[str, Any] | None = None
    """Other top-level fields of kinds without a spec (a ConfigMap's ``data``, a Role's ``rules``, a
    RoleBinding's ``roleRef`` and ``subjects``). Default none."""


class KubernetesObject(pulumi.CustomResource):
    """A Kubernetes object under the zone's provider, as ``kubernetes:<group>/<version>:<Kind>``.

    The same resource type, inputs and state as pulumi-kubernetes' typed classes (``apps.v1.Deployment``
    ...), so stacks deployed with those keep every resource. Why not those classes: every object here
    is built by edgefed's pure manifest functions, already in the API's own form, and importing the
    typed modules costs a third of a second per program run (``core/v1`` alone defines hundreds of
    input classes), which every preview and update of every stack paid.
    """

    if TYPE_CHECKING:
        # For type checkers only: the Pulumi SDK evaluates a resource class's annotations each time one of
        # its resources is registered (pulumi._types.resource_types), about 0.4 ms per object.
        metadata: pulumi.Output[dict[str, Any]]
        """The object's metadata, as the provider reports it."""
        spec: pulumi.Output[dict[str, Any]]
        """The object's spec, as the provider reports it."""
        status: pulumi.Output[dict[str, Any]]
        """The object's status (unknown in a preview)."""

    def __init__(
        self, resource_name: str, args: KubernetesObjectArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Register the object under ``resource_name``; give the zone's provider in ``opts``."""
        props: dict[str, Any] = {"apiVersion": args.api_version, "kind": args.kind, "metadata": args.metadata}
        if args.spec is not None:
            props["spec"] = args.spec
        props.update(args.fields or {})
        # Declared so that the provider's status comes back as an output, as with the typed classes.
        props["status"] = None
        super().__init__(type_token(args.api_version, args.kind), resource_name, props, opts)
