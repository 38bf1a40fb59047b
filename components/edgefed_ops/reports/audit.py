"""The report and audit jobs: a stack's evidence from a preview or from its deployed state.

``report`` previews (manifests rendered, no credentials) or reads the exported state; ``audit`` refreshes
each stack from its zones first, then runs the pack's rules over the state: drift toward a violation
made outside Pulumi (a kubectl edit) shows without running the program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from edgefed.core.inputs.catalog import Catalog, load_catalog
from edgefed.core.inputs.stacksets import family_pack_config
from edgefed.core.inputs.yamlfile import load_yaml
from edgefed.core.rules.pack_config import Destinations
from edgefed_ops.errors import OpsError
from edgefed_ops.reports import evidence, sovereignty
from edgefed_ops.reports.access import zone_access
from edgefed_ops.reports.flows import flows
from edgefed_ops.reports.plan import load_federations, plan_stacks
from edgefed_ops.reports.sarif import PACK_NAME, pack_version
from edgefed_ops.settings import Settings
from edgefed_ops.stack import operations
from edgefed_ops.stack.events import StateResource, Violation
from edgefed_ops.stack.local_stacks import LocalStacks
from edgefed_ops.stack.workspace import StackWorkspace

Source = Literal["preview", "state"]


@dataclass
class StackEvidence:
    """One stack's report, the catalog it was judged against, and the violations found."""

    report: sovereignty.StackReport
    catalog: Catalog
    violations: list[Violation]


def _plans(settings: Settings, stack: str) -> tuple[dict[str, dict[str, Any]], dict[str, str], Catalog]:
    """The stack's plans as data, its apps' classifications, and its catalog (edgefed's own planning)."""
    [federation] = load_federations(settings.root, [stack])
    whole = plan_stacks([federation], [stack]).plans[0]
    member = federation.member(stack)
    plans = {name: plan.to_dict() for name, plan in whole.slice(stack).items()}
    return plans, {spec.name: spec.data_classification for spec in member.specs}, federation.catalog


def _workspace(settings: Settings, stack: str, source: Source) -> StackWorkspace:
    """The stack's workspace; a local stack's state lives in its country's object store."""
    if source == "state" and stack in settings.local_stack_names():
        return LocalStacks(settings).workspace(stack)
    return StackWorkspace(settings, stack)


def _pack_config(settings: Settings, stack: str) -> Path:
    """The pack config that judges the stack (a running local federation's catalog, as deploy uses it)."""
    if stack in settings.local_stack_names():
        return LocalStacks(settings).catalog_settings()[1]
    return settings.pack_config(stack)


def _from_state(
    settings: Settings, workspace: StackWorkspace, refresh: bool, progress: Callable[[str], None]
) -> tuple[list[StateResource], list[Violation], dict[str, Any]]:
    """The state's resources, the pack's verdicts over them, and the plan the stack deployed."""
    if refresh:
        progress(f"{workspace.stack}: refresh from the zones")
        refreshed = operations.refresh(workspace)
        if not refreshed.ok:
            why = "; ".join(refreshed.errors) or refreshed.output[-500:]
            raise OpsError(f"{workspace.stack}: refresh failed: {why}")
    deployment = operations.export_revealed(workspace)
    resources = evidence.resources_from_state(deployment)
    progress(f"{workspace.stack}: the pack's rules over {len(resources)} resources of the state")
    violations = evidence.run_rules(resources, _pack_config(settings, workspace.stack), settings.rules_root)
    return resources, violations, evidence.stack_outputs(deployment).get("plan") or {}


def collect(
    settings: Settings, stack: str, source: Source, *, refresh: bool = False, progress: Callable[[str], None] = print
) -> StackEvidence:
    """The evidence of one stack: from a preview with the pack, or from its state (refreshed first if asked)."""
    plans, classifications, catalog = _plans(settings, stack)
    workspace = _workspace(settings, stack, source)
    if source == "preview":
        workspace.prepare({"renderYamlTo": str(settings.root / ".state" / "render" / stack), "buckets": False})
        progress(f"{stack}: preview with the policy pack")
        outcome = operations.preview(workspace)
        if not outcome.ok and not outcome.violations:
            # The preview failed before the pack judged anything: no policy ran, so none may be reported.
            why = "; ".join(outcome.errors) or outcome.output[-800:]
            raise OpsError(
                f"{stack}: the preview with the policy pack failed, no policy ran, nothing is reported: {why}"
            )
        resources, violations = outcome.planned, outcome.violations
    else:
        resources, violations, deployed = _from_state(settings, workspace, refresh, progress)
        plans = deployed or plans
        if stack in settings.local_stack_names():  # the running federation's catalog, as its pack judged it
            catalog = load_catalog(settings.local_catalog)
    explanations = [placed["explanation"] for plan in plans.values() for placed in (plan.get("sites") or {}).values()]
    config = load_yaml(settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {}
    stack_report = sovereignty.StackReport(
        stack=stack,
        country=str(config.get("edgefed:country", "")).upper(),
        source=source,
        state_backend=workspace.backend_url(workspace.env()).describe(),
        workloads=sovereignty.workloads(resources, catalog),
        buckets=sovereignty.buckets(resources, catalog),
        transfers=sovereignty.transfers(plans, classifications),
        flows=flows(resources, catalog, Destinations.of(family_pack_config(settings.root, stack)[1])),
        policies=sovereignty.policy_results(violations),
        placement=sorted(explanations),
        access=zone_access(LocalStacks(settings), stack)
        if source == "state" and stack in settings.local_stack_names()
        else [],
    )
    return StackEvidence(stack_report, catalog, list(violations))


def build_report(settings: Settings, found: Sequence[StackEvidence]) -> sovereignty.Report:
    """The report over every stack collected."""
    pack = sovereignty.pack_identity(settings.rules_root, PACK_NAME, pack_version(settings.pack))
    return sovereignty.build([e.report for e in found], pack, {e.report.stack: e.catalog for e in found})
