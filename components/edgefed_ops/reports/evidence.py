"""What is deployed, as evidence: a stack's resources from its exported state, and the pack's rules over them.

The audit runs the policy pack's own rules (the same :mod:`edgefed.policy` objects the engine loads) in
this process over the state, so it needs neither the program nor the zones' credentials; the
verdicts come back as data (``pulumi policy analyze`` reports them only as text). A refresh first
brings the state in line with the zones, so a change made there with kubectl shows up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from edgefed.policy import ALL_POLICIES
from edgefed.policy.common import set_base_dir
from edgefed_ops.stack.events import StateResource, Violation
from edgefed_ops.stack.operations import revealed

_SKIPPED = ("pulumi:pulumi:Stack",)


def resources_from_state(deployment: Mapping[str, Any]) -> list[StateResource]:
    """The resources of a ``pulumi stack export`` deployment; Kubernetes objects as last read (outputs)."""
    out = []
    for item in deployment.get("resources") or []:
        kind = str(item.get("type", ""))
        if kind in _SKIPPED:
            continue
        live = item.get("outputs") if kind.startswith("kubernetes:") else None
        props = live if isinstance(live, dict) and live else item.get("inputs") or {}
        provider = str(item.get("provider") or "").rsplit("::", 1)[0]
        out.append(StateResource(str(item["urn"]), kind, revealed(dict(props)), provider))
    return out


def stack_outputs(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of the stack resource (``plan``, ``zones``...)."""
    for item in deployment.get("resources") or []:
        if item.get("type") == "pulumi:pulumi:Stack":
            return dict(item.get("outputs") or {})
    return {}


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def run_rules(resources: Sequence[StateResource], pack_config: Path, rules_root: Path) -> list[Violation]:
    """Every violation of the pack's policies (configured by ``pack_config``) over ``resources``."""
    set_base_dir(rules_root)
    config: dict[str, Any] = json.loads(pack_config.read_text(encoding="utf-8"))
    by_urn = {r.urn: r for r in resources}

    def provider_of(resource: StateResource) -> PolicyProviderResource | None:
        found = by_urn.get(resource.provider)
        if found is None:
            return None
        return PolicyProviderResource(found.type, unknown_checking_proxy(found.inputs), found.urn, found.name)

    violations: list[Violation] = []
    policy_resources = []
    for resource in resources:
        provider = provider_of(resource)
        policy_resources.append(
            PolicyResource(
                resource.type, unknown_checking_proxy(resource.inputs), resource.urn, resource.name, _options(),
                provider, None, [], {},
            )
        )  # fmt: skip
    for policy in ALL_POLICIES:
        settings = config.get(policy.name)
        policy_config = dict(settings) if isinstance(settings, dict) else {}
        if isinstance(policy, ResourceValidationPolicy):
            for resource, item in zip(resources, policy_resources, strict=True):
                args = ResourceValidationArgs(
                    resource.type, item.props, resource.urn, resource.name, _options(), item.provider, policy_config
                )
                policy.validate(args, _collect(violations, policy.name, resource.name))
        else:
            policy.validate(StackValidationArgs(policy_resources, policy_config), _collect(violations, policy.name, ""))
    return violations


def _collect(into: list[Violation], policy: str, resource: str) -> Any:
    def report(message: str, urn: str | None = None) -> None:
        into.append(Violation(policy, "mandatory", urn.rsplit("::", 1)[-1] if urn else resource, message))

    return report
