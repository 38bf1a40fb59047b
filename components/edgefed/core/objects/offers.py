"""The storage and priority classes an operator offers in its zones (its terms), as plain objects.

Cluster-scoped and the operator's: tenants name them (a claim's storage class, a pod's priority class)
only as their contracts grant, which the zone's tenancy guard and isolation policy check. Pure: no
Pulumi import.
"""

from __future__ import annotations

from typing import Any

from edgefed.core.inputs.operator_terms import PriorityClassOffer, StorageClassOffer


def storage_class_fields(offer: StorageClassOffer) -> dict[str, Any]:
    """The StorageClass's fields besides its metadata (it has no ``spec``)."""
    return {
        "provisioner": offer.provisioner,
        "parameters": dict(offer.parameters),
        "reclaimPolicy": offer.reclaim_policy,
        # Bound where the pod is scheduled: a claim never pins a tenant's pod to a node it chose itself.
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": False,
    }


def priority_class_fields(offer: PriorityClassOffer) -> dict[str, Any]:
    """The PriorityClass's fields besides its metadata: never the cluster's default."""
    return {
        "value": offer.value,
        "globalDefault": False,
        "preemptionPolicy": offer.preemption,
        "description": f"offered to tenants by the zone's operator ({offer.name})",
    }
