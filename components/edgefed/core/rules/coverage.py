"""disallow-unchecked-workload: a resource whose containers the other rules cannot read is refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from edgefed.core.rules.common import BUCKET_TYPE, Finding, allowed_list, describe_resource, shown
from edgefed.core.rules.kinds import HELM_RELEASE_TYPE, LIST_KINDS, MANIFEST_GROUP_TYPES, is_known, pod_specs
from edgefed.core.rules.platform_instances import APP_TYPE, INSTANCE_TYPE

DYNAMIC_PREFIX = "pulumi-python:dynamic"
JUDGED_DYNAMIC_TYPES = (BUCKET_TYPE, APP_TYPE, INSTANCE_TYPE)
"""The dynamic resources the pack knows: ResidentBucket, and PlatformEdgeApp's app and instance (the app deploys
nothing: its instances are judged)."""


def check_unchecked_workload(
    resource_type: str, name: str, props: Mapping[str, Any], allowed_releases: Sequence[Mapping[str, str]]
) -> list[Finding]:
    """A resource whose containers the other rules cannot read is refused (fail closed).

    That is a Helm release (its chart's objects are installed by the provider, never seen one by one)
    unless its repository and chart are allow-listed, any type outside :mod:`edgefed.core.rules.kinds` that
    carries a pod spec (a custom resource such as a rollout or a serverless service), and any dynamic resource
    but edgefed's own (:data:`JUDGED_DYNAMIC_TYPES`), whose provider's code the pack cannot see.
    """
    rule = "disallow-unchecked-workload"
    what = describe_resource(resource_type, name)
    if resource_type == HELM_RELEASE_TYPE:
        chart = str(props.get("chart") or "")
        repo = str((props.get("repositoryOpts") or {}).get("repo") or "")
        if any(entry.get("chart") == chart and entry.get("repo") == repo for entry in allowed_releases):
            return []
        listed = ", ".join(f"{e.get('repo')} {e.get('chart')}" for e in allowed_releases) or "none"
        return [
            Finding(
                rule,
                f"{what}: installs chart {shown(chart)} from {shown(repo or '(no repository)')}, whose objects the "
                f"pack cannot inspect; rule {rule} allows only allow-listed releases ({listed}); use a helm.sh/v4 "
                "Chart, whose objects are checked one by one",
            )
        ]
    if resource_type in LIST_KINDS:
        items = props.get("items") or []
        if not items:
            return []
        return [
            Finding(
                rule,
                f"{what}: registers {len(items)} workload(s) in one resource; rule {rule} refuses workload lists: "
                f"declare each {resource_type.rsplit(':', 1)[-1].removesuffix('List')} as its own resource, so that "
                "every rule checks it",
            )
        ]
    if is_known(resource_type) or resource_type in MANIFEST_GROUP_TYPES:
        return []
    if resource_type.startswith(DYNAMIC_PREFIX) and resource_type not in JUDGED_DYNAMIC_TYPES:
        return [
            Finding(
                rule,
                f"{what}: dynamic resource type {resource_type} is not one the pack judges, and a dynamic provider "
                f"can deploy anything anywhere; rule {rule} allows only {allowed_list(JUDGED_DYNAMIC_TYPES)}",
            )
        ]
    if not resource_type.startswith("kubernetes:"):
        return []
    found = next(pod_specs(props), None)
    if found is None:
        return []
    return [
        Finding(
            rule,
            f"{what}: kind {resource_type} is not one the pack checks, yet it carries a pod spec at "
            f"{'.'.join(found) or '(top level)'}; rule {rule} refuses unknown kinds that run containers "
            "(use a Deployment, StatefulSet, DaemonSet, Job or CronJob)",
        )
    ]
