"""The sovereignty report: where each stack's data and infrastructure (and its state) live, and the verdicts.

Built from the resources the engine planned (a preview) or recorded (an exported state), never from
what a resource says about itself when the target can be read: a workload's country and operator are
those of the catalog zone its provider targets. JSON (schema: :data:`SCHEMA_PATH`) and Markdown;
the HTML page is :mod:`edgefed_ops.reports.page`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from edgefed.core.inputs.catalog import Catalog
from edgefed.core.inputs.geography import geography
from edgefed.core.inputs.images import parse_image
from edgefed.core.rules.common import (
    BUCKET_TYPE,
    classification_of,
    containers_of,
    parse_residency_label,
    zone_of_provider,
)
from edgefed.core.rules.kinds import WORKLOAD_KINDS
from edgefed.core.rules.platform_instances import INSTANCE_TYPE, target_zone
from edgefed.policy import ALL_POLICIES
from edgefed.policy.common import COMPLIANCE, SOVEREIGNTY_OBJECTIVES
from edgefed_ops.reports.flows import Flow, flows_markdown
from edgefed_ops.stack.events import StateResource, Violation

SCHEMA_PATH = Path(__file__).parents[1] / "schemas" / "report.schema.json"
"""The published JSON schema of ``edgefed report --json`` (checked fresh by the tests)."""
INTRA_EEA = "intra-EU/EEA: no transfer to a third country (GDPR Chapter V, Art. 44)"
NEVER = "never moves: restricted data never crosses a border (no failover)"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Image(_Model):
    """One container image: its reference, registry host and digest."""

    reference: str
    registry: str
    digest: str | None


class Workload(_Model):
    """One workload, placed where its provider really connects (catalog zone, country, operator)."""

    kind: str
    name: str
    namespace: str
    zone: str
    country: str
    operator: str
    operator_jurisdiction: str | None
    """Country whose law governs the operator's parent company; null when the catalog does not say."""
    data_classification: str
    residency: list[str]
    images: list[Image]


class Bucket(_Model):
    """One ResidentBucket and whether its endpoint encrypts by default."""

    name: str
    bucket: str
    country: str
    endpoint: str
    region: str
    data_classification: str
    default_encryption: bool


class Transfer(_Model):
    """Where one site's data lives and where it may move on failover, under which rule."""

    app: str
    site: str
    data_classification: str
    country: str
    """Where the site's data is processed and stored."""
    primary_zone: str | None
    failover_zone: str | None
    failover_country: str | None
    moves: bool
    rule: str


class PolicyResult(_Model):
    """One policy's verdict on a stack, with what it serves."""

    policy: str
    gdpr_chapter_v: list[str]
    sovereignty_objective: str
    status: Literal["pass", "fail"]
    violations: list[str]


class AccessRule(_Model):
    """One rule of what the stack's tenant may do in its namespace of a zone."""

    api_groups: list[str]
    resources: list[str]
    verbs: list[str]


class RefusedAction(_Model):
    """One thing a tenant must never do in a zone, and whether the zone's API server lets it."""

    verb: str
    resource: str
    """``resource`` or ``resource.group``."""
    namespace: str
    """The namespace asked about (empty: cluster-wide)."""
    allowed: bool
    """What the zone answered (a SelfSubjectAccessReview with the tenant's own credential): must be false."""


class ZoneAccess(_Model):
    """``kubectl auth can-i --list`` in the tenant's namespace of one zone.

    Answered by that zone's API server to the tenant's own credential (a SelfSubjectRulesReview).
    """

    zone: str
    namespace: str
    user: str
    """Who the zone takes the tenant's credential for (``<home operator>:<tenant>``)."""
    rules: list[AccessRule]
    incomplete: bool
    """The server could not list every rule (its authorizer said so): read the list as a floor."""
    refused: list[RefusedAction] = []
    """What the tenant must never do there (its namespace, quota, rules, RBAC, admission, cluster objects,
    its neighbours' namespaces), each as the zone answered it."""


class TakeoverAction(_Model):
    """One action of the tenant's watchers that deployed this stack (``edgefed watch``)."""

    at: str
    """When its deploy began (UTC, ISO 8601)."""
    kind: Literal["fail over", "fence", "fail back"]
    zone: str
    watcher: str
    """The watcher that led and deployed it."""
    why: str
    """The decision's reason (the watchers' votes, or the stabilization window)."""
    unavailable: list[str]
    """The outage state it deployed."""
    sites: list[str]
    """This stack's sites after it, each as the plan explains it: ``app site: serving ZONE`` or unserved, why."""


class StackReport(_Model):
    """Everything the report says about one stack."""

    stack: str
    country: str
    source: Literal["preview", "state"]
    state_backend: str
    workloads: list[Workload]
    buckets: list[Bucket]
    transfers: list[Transfer]
    flows: list[Flow]
    """Per app and zone, every destination its pods may send data to (the flow map)."""
    policies: list[PolicyResult]
    placement: list[str]
    access: list[ZoneAccess] = []
    """Per zone of a tenant stack, what its tenant may do there; read from the zones (``--state`` on a
    running local federation), empty otherwise."""
    takeover: list[TakeoverAction] = []
    """The watchers' actions that deployed this stack, oldest first (``--state`` on a running local
    federation, from the watchers' store); empty otherwise."""


class MapZone(_Model):
    """A zone on the map."""

    id: str
    country: str
    operator: str
    operator_jurisdiction: str | None
    """Country whose law governs the operator's parent company; null when the catalog does not say."""
    latitude: float
    longitude: float


class Edge(_Model):
    """A failover edge on the map: a site's primary zone to its failover zone."""

    app: str
    site: str
    primary: str
    failover: str


class Pack(_Model):
    """The policy pack that decided the verdicts."""

    name: str
    version: str
    sha256: str
    """Hash of the pack, its configs and the rule code it imports (what decided the verdicts)."""


class Report(_Model):
    """The sovereignty report over one or more stacks (``edgefed report --json``)."""

    report_version: Literal["1"] = "1"
    generated_at: str
    pack: Pack
    stacks: list[StackReport]
    zones: list[MapZone]
    failover_edges: list[Edge]


def pack_identity(root: Path, name: str, version: str) -> Pack:
    """The pack's name, version and the hash of every file that decides its verdicts."""
    digest = hashlib.sha256()
    for top in ("policies/eu-residency", "components/edgefed"):
        for path in sorted((root / top).rglob("*")):
            parts = path.relative_to(root).parts
            if path.is_file() and not {".venv", "__pycache__"} & set(parts) and not path.name.endswith(".pyc"):
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return Pack(name=name, version=version, sha256=digest.hexdigest())


def workloads(resources: Sequence[StateResource], catalog: Catalog) -> list[Workload]:
    """Every workload with the country and operator of the zone its provider really targets."""
    by_urn = {r.urn: r for r in resources}
    out = [platform_workload(r, catalog) for r in resources if r.type == INSTANCE_TYPE]
    for resource in resources:
        if resource.type not in WORKLOAD_KINDS:
            continue
        provider = by_urn.get(resource.provider)
        zone_id = zone_of_provider(provider.inputs) if provider else None
        zone = catalog.zone_by_id.get(zone_id or "")
        operator = catalog.operator_by_id.get(zone.operator) if zone else None
        metadata = resource.inputs.get("metadata") or {}
        found = metadata.get("labels") or {}
        images = [_image(str(c.get("image", ""))) for c in containers_of(resource.type, resource.inputs)]
        out.append(
            Workload(
                kind=resource.type.rsplit(":", 1)[-1],
                name=str(metadata.get("name") or resource.name),
                namespace=str(metadata.get("namespace") or "default"),
                zone=zone.id if zone else f"(not a catalog zone: {zone_id})",
                country=zone.country if zone else "(unknown)",
                operator=zone.operator if zone else "(unknown)",
                operator_jurisdiction=operator.jurisdiction if operator else None,
                data_classification=classification_of(resource.type, resource.inputs),
                residency=sorted(parse_residency_label(str(found.get("edgefed.io/residency") or ""))),
                images=images,
            )
        )
    return sorted(out, key=lambda w: (w.zone, w.name))


def _image(reference: str) -> Image:
    try:
        ref = parse_image(reference)
    except ValueError:
        return Image(reference=reference, registry="(unreadable)", digest=None)
    return Image(reference=reference, registry=ref.registry, digest=ref.digest)


def platform_workload(resource: StateResource, catalog: Catalog) -> Workload:
    """An app instance made through an operator's platform, in the zone its platform and platform id name."""
    inputs = resource.inputs
    zone = target_zone(catalog, str(inputs.get("platform_api") or ""), str(inputs.get("edge_cloud_zone_id") or ""))
    operator = catalog.operator_by_id.get(zone.operator) if zone else None
    residency = inputs.get("residency") or []
    return Workload(
        kind="PlatformAppInstance",
        name=str(inputs.get("app") or resource.name),
        namespace=f"(through {operator.name}'s platform)" if operator else "(through an unknown platform)",
        zone=zone.id if zone else f"(not a catalog zone: {inputs.get('edge_cloud_zone_id')})",
        country=zone.country if zone else "(unknown)",
        operator=zone.operator if zone else "(unknown)",
        operator_jurisdiction=operator.jurisdiction if operator else None,
        data_classification=str(inputs.get("data_classification") or "restricted"),
        residency=sorted(str(c).lower() for c in residency) if isinstance(residency, list) else ["eu"],
        images=[_image(str(inputs.get("image") or ""))],
    )


def buckets(resources: Sequence[StateResource], catalog: Catalog) -> list[Bucket]:
    """Every ResidentBucket, with whether its endpoint encrypts by default (per the catalog)."""
    out = []
    for resource in resources:
        if resource.type != BUCKET_TYPE:
            continue
        props = resource.inputs
        endpoint = str(props.get("endpoint", ""))
        unsupported = {c for z in catalog.zones if z.object_storage.endpoint == endpoint
                       for c in z.object_storage.unsupported_controls}  # fmt: skip
        out.append(
            Bucket(
                name=resource.name, bucket=str(props.get("bucket", "")), country=str(props.get("country", "")),
                endpoint=endpoint, region=str(props.get("region", "")),
                data_classification=str(props.get("data_classification") or "(unclassified)"),
                default_encryption="encryption" not in unsupported | set(props.get("unsupported_controls") or []),
            )
        )  # fmt: skip
    return out


def transfers(plans: Mapping[str, Mapping[str, Any]], classifications: Mapping[str, str]) -> list[Transfer]:
    """Per site: where its data lives, and where it may move on failover, under which rule."""
    geo, out = geography(), []
    for app, plan in sorted(plans.items()):
        for site, placed in sorted((plan.get("sites") or {}).items()):
            failover = placed.get("failover")
            country = str(placed.get("country", ""))
            target = str((plan.get("zones") or {}).get(failover, {}).get("country", "")) if failover else None
            if failover is None:
                rule = NEVER if classifications.get(app) == "restricted" else "does not move: no failover zone"
            elif target and geo.is_eea(target):
                rule = INTRA_EEA
            else:
                rule = f"OUTSIDE the EU/EEA ({target}): refused by the policy pack"
            out.append(
                Transfer(
                    app=app, site=site, data_classification=classifications.get(app, "(unknown)"), country=country,
                    primary_zone=placed.get("primary"), failover_zone=failover, failover_country=target,
                    moves=failover is not None, rule=rule,
                )
            )  # fmt: skip
    return out


def policy_results(violations: Sequence[Violation]) -> list[PolicyResult]:
    """Every policy of the pack, passed or failed with its messages."""
    out = []
    for policy in ALL_POLICIES:
        mine = [v.message for v in violations if v.policy == policy.name]
        compliance = COMPLIANCE[policy.name]
        out.append(
            PolicyResult(
                policy=policy.name, gdpr_chapter_v=list(compliance.articles),
                sovereignty_objective=f"{compliance.sovereignty} {SOVEREIGNTY_OBJECTIVES[compliance.sovereignty]}",
                status="fail" if mine else "pass", violations=mine,
            )
        )  # fmt: skip
    return out


def federation_map(
    reports: Sequence[StackReport], catalog_of: Mapping[str, Catalog]
) -> tuple[list[MapZone], list[Edge]]:
    """The zones the stacks use and the failover edges between them, for the map."""
    zones: dict[str, MapZone] = {}
    edges: list[Edge] = []
    for report in reports:
        catalog = catalog_of[report.stack]
        used = {w.zone for w in report.workloads}
        used |= {z for t in report.transfers for z in (t.primary_zone, t.failover_zone) if z}
        for zone_id in sorted(used):
            zone = catalog.zone_by_id.get(zone_id)
            if zone:
                operator = catalog.operator_by_id.get(zone.operator)
                zones[zone.id] = MapZone(
                    id=zone.id, country=zone.country, operator=zone.operator,
                    operator_jurisdiction=operator.jurisdiction if operator else None,
                    latitude=zone.location.latitude, longitude=zone.location.longitude,
                )  # fmt: skip
        edges += [
            Edge(app=t.app, site=t.site, primary=t.primary_zone, failover=t.failover_zone)
            for t in report.transfers
            if t.primary_zone and t.failover_zone
        ]
    return sorted(zones.values(), key=lambda z: z.id), edges


def build(stacks: Sequence[StackReport], pack: Pack, catalog_of: Mapping[str, Catalog]) -> Report:
    """The whole report over ``stacks``."""
    zones, edges = federation_map(stacks, catalog_of)
    return Report(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"), pack=pack, stacks=list(stacks),
        zones=zones, failover_edges=edges,
    )  # fmt: skip


def markdown(report: Report) -> str:
    """The report for a pull request or an auditor's file."""
    lines = [
        "# edgefed sovereignty report",
        "",
        f"Pack `{report.pack.name}` {report.pack.version}, sha256 `{report.pack.sha256}`; "
        f"generated {report.generated_at}.",
    ]
    for stack in report.stacks:
        lines += ["", f"## Stack `{stack.stack}` ({stack.country}, from {stack.source})", "",
                  f"State: {stack.state_backend}", "", "| workload | zone | country | operator (jurisdiction) | "
                  "data | residency | images |", "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for w in stack.workloads:
            images = ", ".join(f"{i.registry}{' @' + i.digest[:19] if i.digest else ''}" for i in w.images)
            lines.append(
                f"| {w.kind} {w.name} | {w.zone} | {w.country} | {w.operator} ({w.operator_jurisdiction or 'unknown'}) "
                f"| {w.data_classification} | {', '.join(w.residency) or '-'} | {images} |"
            )
        if stack.buckets:
            lines += ["", "| bucket | country | endpoint | region | data | default encryption |"]
            lines += ["| --- | --- | --- | --- | --- | --- |"]
            lines += [f"| {b.bucket} | {b.country} | {b.endpoint} | {b.region} | {b.data_classification} | "
                      f"{'yes' if b.default_encryption else 'NO'} |" for b in stack.buckets]  # fmt: skip
        lines += ["", "| app | site | data | in | may move to | rule |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {t.app} | {t.site} | {t.data_classification} | {t.country} | "
                  f"{t.failover_zone + ' (' + str(t.failover_country) + ')' if t.failover_zone else '-'} | {t.rule} |"
                  for t in stack.transfers]  # fmt: skip
        lines += ["", "Flows (where each app's pods may send data):", *flows_markdown(stack.flows)]
        lines += ["", "| policy | GDPR Chapter V | sovereignty | result |", "| --- | --- | --- | --- |"]
        for result in stack.policies:
            verdict = result.status + (": " + "; ".join(result.violations) if result.violations else "")
            articles = ", ".join(result.gdpr_chapter_v)
            lines.append(f"| {result.policy} | Art. {articles} | {result.sovereignty_objective} | {verdict} |")
        lines += ["", "Placement:", "", *(f"- {line}" for line in stack.placement)]
        lines += access_markdown(stack.access)
        lines += takeover_markdown(stack.takeover)
    return "\n".join(lines) + "\n"


def takeover_markdown(actions: Sequence[TakeoverAction]) -> list[str]:
    """The watchers' actions on a stack, oldest first (none: no lines)."""
    if not actions:
        return []
    lines = ["", "Takeover (the watchers' actions, oldest first):", ""]
    for action in actions:
        lines.append(f"- {action.at} {action.kind} {action.zone} by watcher {action.watcher}: {action.why}")
        lines += [f"  - {site}" for site in action.sites]
    return lines


def access_markdown(access: Sequence[ZoneAccess]) -> list[str]:
    """The tenant's rights per zone, as each zone's API server listed them."""
    if not access:
        return []
    lines = ["", "Access (`kubectl auth can-i --list` as the tenant, answered by each zone):", "",
             "| zone | namespace | user | resources | verbs |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for zone in access:
        for rule in zone.rules:
            groups = [g or "core" for g in rule.api_groups]
            resources = ", ".join(f"{r} ({'/'.join(groups)})" for r in rule.resources)
            lines.append(f"| {zone.zone} | {zone.namespace} | {zone.user} | {resources} | {', '.join(rule.verbs)} |")
        if zone.incomplete:
            lines.append(f"| {zone.zone} | {zone.namespace} | {zone.user} | (the list is incomplete) | |")
    lines += ["", "May not (`kubectl auth can-i` as the tenant, answered by each zone):", "",
              "| zone | verb | resource | namespace | answer |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for zone in access:
        for action in zone.refused:
            answer = "ALLOWED" if action.allowed else "refused"
            lines.append(
                f"| {zone.zone} | {action.verb} | {action.resource} | {action.namespace or '(cluster)'} | {answer} |"
            )
    return lines
