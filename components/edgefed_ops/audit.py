"""The report and audit jobs: a stack's evidence from a preview or from its deployed state.

``report`` previews (manifests rendered, no credentials) or reads the exported state; ``audit`` refreshes
each stack from its zones first, then runs the pack's rules over the state: drift toward a violation
made outside Pulumi (a kubectl edit) shows without running the program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from edgefed.catalog import Catalog
from edgefed.errors import load_yaml
from edgefed_ops import evidence, report, statebackend
from edgefed_ops.deploy import LocalDeploy
from edgefed_ops.engine import StackWorkspace, Violation
from edgefed_ops.planning import load_federations, plan_stacks
from edgefed_ops.sarif import PACK_NAME, pack_version
from edgefed_ops.settings import Settings


@dataclass
class StackEvidence:
    """One stack's report, the catalog it was judged against, and the violations found."""

    report: report.StackReport
    catalog: Catalog
    violations: list[Violation]


def _plans(settings: Settings, stack: str) -> tuple[dict[str, dict[str, Any]], dict[str, str], Catalog]:
    """The stack's plans as data, its apps' classifications, and its catalog (edgefed's own planning)."""
    federations, errors = load_federations(settings.root, [stack])
    if errors or not federations:
        raise ValueError("; ".join(errors) or f"{stack}: no federation")
    federation = federations[0]
    whole = plan_stacks(settings, [stack]).plans[0]
    member = federation.member(stack)
    plans = {name: plan.to_dict() for name, plan in whole.slice(stack).items()}
    return plans, {spec.name: spec.data_classification for spec in member.specs}, federation.catalog


def collect(
    settings: Settings,
    stack: str,
    source: Literal["preview", "state"],
    *,
    refresh: bool = False,
    progress: Callable[[str], None] = print,
) -> StackEvidence:
    """The evidence of one stack: from a preview with the pack, or from its state (refreshed first if asked)."""
    plans, classifications, catalog = _plans(settings, stack)
    local = stack in settings.local_stack_names() and source == "state"
    # A local stack's state lives in its country's object store of the running federation.
    workspace = LocalDeploy(settings, progress).workspace(stack) if local else StackWorkspace(settings, stack)
    if source == "preview":
        workspace.prepare({"renderYamlTo": str(settings.root / ".state" / "render" / stack), "buckets": False})
        progress(f"{stack}: preview with the policy pack")
        outcome = workspace.preview()
        resources, violations = outcome.planned, outcome.violations
    else:
        if refresh:
            progress(f"{stack}: refresh from the zones")
            refreshed = workspace.refresh()
            if not refreshed.ok:
                raise ValueError(f"{stack}: refresh failed: {'; '.join(refreshed.errors) or refreshed.output[-500:]}")
        deployment = workspace.export_revealed()
        resources = evidence.resources_from_state(deployment)
        progress(f"{stack}: the pack's rules over {len(resources)} resources of the state")
        pack_config = settings.pack_config(stack)
        if stack in settings.local_stack_names():
            # The running local federation's catalog (EDGEFED_LOCAL_CATALOG moves its ports), as deploy uses.
            _, pack_config = LocalDeploy(settings, progress).catalog_settings()
        violations = evidence.run_rules(resources, pack_config, settings.rules_root)
        plans = evidence.stack_outputs(deployment).get("plan") or plans
    explanations = [placed["explanation"] for plan in plans.values() for placed in (plan.get("sites") or {}).values()]
    backend = workspace.env()["PULUMI_BACKEND_URL"]
    config = load_yaml(settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {}
    stack_report = report.StackReport(
        stack=stack,
        country=str(config.get("edgefed:country", "")).upper(),
        source=source,
        state_backend=statebackend.describe(backend),
        workloads=report.workloads(resources, catalog),
        buckets=report.buckets(resources, catalog),
        transfers=report.transfers(plans, classifications),
        policies=report.policy_results(violations),
        placement=sorted(explanations),
    )
    return StackEvidence(stack_report, catalog, list(violations))


def build_report(settings: Settings, found: Sequence[StackEvidence]) -> report.Report:
    """The report over every stack collected."""
    pack = report.pack_identity(settings.rules_root, PACK_NAME, pack_version(settings.pack))
    return report.build([e.report for e in found], pack, {e.report.stack: e.catalog for e in found})
