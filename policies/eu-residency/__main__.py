"""The edgefed EU residency policy pack. Policies and their rules live in the edgefed package."""

from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

from edgefed.policy import ALL_POLICIES
from edgefed.policy.analyzer import share_conversions, warm_up
from edgefed.policy.common import set_base_dir

# Catalog paths in the pack config are relative to the repository the pack lives in, never to the
# program being checked (a pull request could point those elsewhere).
set_base_dir(Path(__file__).resolve().parents[2])

# Each resource's properties converted once per analysis, not once per policy (see edgefed.policy.analyzer).
share_conversions()
warm_up()
PolicyPack(
    name="edgefed-eu-residency",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=ALL_POLICIES,
)
