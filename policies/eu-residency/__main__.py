"""The edgefed EU residency policy pack. Policies and their rules live in the edgefed package."""

from pulumi_policy import EnforcementLevel, PolicyPack

from edgefed.policy import ALL_POLICIES

PolicyPack(
    name="edgefed-eu-residency",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=ALL_POLICIES,
)
