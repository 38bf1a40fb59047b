"""The EU residency policy pack's policies, one per module, named ``<verb>-<noun>``.

Rule logic lives in :mod:`edgefed.residency` (pure, shared with placement); these modules only adapt
Pulumi's policy arguments to it. ``PolicyPack`` itself is created only in ``policies/eu-residency``.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from edgefed.policy.disallow_cross_border_restricted import POLICY as DISALLOW_CROSS_BORDER_RESTRICTED
from edgefed.policy.disallow_external_exposure import POLICY as DISALLOW_EXTERNAL_EXPOSURE
from edgefed.policy.disallow_external_name import POLICY as DISALLOW_EXTERNAL_NAME
from edgefed.policy.disallow_host_access import POLICY as DISALLOW_HOST_ACCESS
from edgefed.policy.disallow_kubeconfig_detour import POLICY as DISALLOW_KUBECONFIG_DETOUR
from edgefed.policy.disallow_non_eu_zone import POLICY as DISALLOW_NON_EU_ZONE
from edgefed.policy.disallow_offzone_webhook import POLICY as DISALLOW_OFFZONE_WEBHOOK
from edgefed.policy.disallow_open_egress import POLICY as DISALLOW_OPEN_EGRESS
from edgefed.policy.disallow_restricted_exposure_path import POLICY as DISALLOW_RESTRICTED_EXPOSURE_PATH
from edgefed.policy.disallow_tenant_overreach import POLICY as DISALLOW_TENANT_OVERREACH
from edgefed.policy.disallow_unchecked_workload import POLICY as DISALLOW_UNCHECKED_WORKLOAD
from edgefed.policy.disallow_unlisted_registry import POLICY as DISALLOW_UNLISTED_REGISTRY
from edgefed.policy.enforce_bucket_residency import POLICY as ENFORCE_BUCKET_RESIDENCY
from edgefed.policy.enforce_platform_instance_residency import POLICY as ENFORCE_PLATFORM_INSTANCE_RESIDENCY
from edgefed.policy.enforce_residency_labels import POLICY as ENFORCE_RESIDENCY_LABELS
from edgefed.policy.require_eu_jurisdiction import POLICY as REQUIRE_EU_JURISDICTION

ALL_POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    DISALLOW_NON_EU_ZONE,
    DISALLOW_KUBECONFIG_DETOUR,
    ENFORCE_RESIDENCY_LABELS,
    DISALLOW_UNLISTED_REGISTRY,
    ENFORCE_BUCKET_RESIDENCY,
    ENFORCE_PLATFORM_INSTANCE_RESIDENCY,
    DISALLOW_CROSS_BORDER_RESTRICTED,
    DISALLOW_EXTERNAL_EXPOSURE,
    DISALLOW_RESTRICTED_EXPOSURE_PATH,
    DISALLOW_HOST_ACCESS,
    DISALLOW_EXTERNAL_NAME,
    DISALLOW_OFFZONE_WEBHOOK,
    DISALLOW_OPEN_EGRESS,
    DISALLOW_UNCHECKED_WORKLOAD,
    REQUIRE_EU_JURISDICTION,
    DISALLOW_TENANT_OVERREACH,
]
"""Every policy of the pack, all mandatory."""
