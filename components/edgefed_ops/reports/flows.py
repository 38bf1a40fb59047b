"""The flow map: per app and zone, every destination its pods may send data to, and whether all stay in residency.

Read from the stack's resources (a preview or the deployed state): each workload's zone is its
provider's catalog zone; what its pods may reach is the zone's baseline (the operator's default deny
with DNS: its own namespace and the cluster DNS), widened by every NetworkPolicy of the stack in the same
zone and namespace whose ``podSelector`` may select them, and every ExternalName Service there (any pod
of the namespace can call the alias). Each CIDR or name is placed in the country whose pack-config
allow-list holds it; one that no list holds has no known country. "no path outside ..." is stated only
when every destination is the namespace, DNS, or in a country of the app's residency.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from edgefed.core.inputs import labels
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.inputs.geography import geography
from edgefed.core.rules.common import classification_of, parse_residency_label, zone_of_provider
from edgefed.core.rules.egress import DNS_NAMESPACE, NAMESPACE_NAME, is_dns_rule
from edgefed.core.rules.kinds import SERVICE_TYPES, WORKLOAD_KINDS, labels_at, pod_template_path
from edgefed.core.rules.outbound import normalized_name
from edgefed.core.rules.pack_config import Destinations
from edgefed_ops.stack.events import StateResource

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
BASELINE = "the zone's baseline (default deny, DNS)"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Destination(_Model):
    """One place a pod may send data to."""

    kind: Literal["namespace", "dns", "cidr", "name", "namespaces", "anywhere"]
    target: str
    country: str | None
    """Where it is: the zone's country (namespace, DNS), the pack-config country that lists the CIDR or name,
    or null when nothing says where it is."""
    via: str
    """What opens it: the zone's baseline, a NetworkPolicy, or an ExternalName Service."""


class Flow(_Model):
    """Where one app's pods in one zone may send data."""

    app: str
    zone: str
    country: str
    namespace: str
    data_classification: str
    residency: list[str]
    destinations: list[Destination]
    contained: bool
    """Every destination is in a country of the residency (namespace and DNS are the zone's)."""
    statement: str


def _where(countries: Iterable[str]) -> str:
    found = sorted(countries)
    return "the EU/EEA" if set(found) == set(geography().eea) else "/".join(found) or "no country"


def _country_of_cidr(cidr: str, destinations: Destinations) -> str | None:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    for country, allowed in sorted(destinations.cidrs.items()):
        for entry in allowed:
            outer = ipaddress.ip_network(entry)
            if network.version == outer.version and network.subnet_of(outer):  # type: ignore[arg-type]
                return country
    return None


def _selects(selector: Any, pod_labels: Mapping[str, Any]) -> bool:
    """Whether a podSelector may select pods with these labels.

    Expressions count as a match: a map of what *may* flow errs on the side of more.
    """
    if not isinstance(selector, Mapping):
        return True
    wanted = selector.get("matchLabels") or {}
    return all(pod_labels.get(key) == value for key, value in wanted.items())


def _peers(policy: StateResource, namespace: str, country: str, destinations: Destinations) -> list[Destination]:
    via = f"NetworkPolicy {policy.inputs.get('metadata', {}).get('name') or policy.name}"
    out = []
    for rule in (policy.inputs.get("spec") or {}).get("egress") or []:
        peers = [p for p in rule.get("to") or [] if isinstance(p, Mapping)]
        if not peers:
            out.append(Destination(kind="anywhere", target="any address", country=None, via=via))
        for peer in peers:
            block = peer.get("ipBlock")
            if isinstance(block, Mapping):
                cidr = str(block.get("cidr", ""))
                found = _country_of_cidr(cidr, destinations)
                out.append(Destination(kind="cidr", target=cidr, country=found, via=via))
                continue
            selector = peer.get("namespaceSelector")
            named = (selector.get("matchLabels") or {}).get(NAMESPACE_NAME) if isinstance(selector, Mapping) else None
            if selector is None or named == namespace:
                out.append(Destination(kind="namespace", target=namespace, country=country, via=via))
            elif named == DNS_NAMESPACE and is_dns_rule(rule):
                out.append(Destination(kind="dns", target=f"{DNS_NAMESPACE}:53", country=country, via=via))
            else:
                out.append(Destination(kind="namespaces", target=str(named or "any namespace"), country=None, via=via))
    return out


def flows(resources: Sequence[StateResource], catalog: Catalog, destinations: Destinations) -> list[Flow]:
    """The flow map of a stack's resources."""
    by_urn = {r.urn: r for r in resources}

    def zone_of(resource: StateResource) -> str | None:
        provider = by_urn.get(resource.provider)
        return zone_of_provider(provider.inputs) if provider else None

    def namespace_of(resource: StateResource) -> str:
        return str((resource.inputs.get("metadata") or {}).get("namespace") or "default")

    found: dict[tuple[str, str, str], Flow] = {}
    for workload in resources:
        template = pod_template_path(workload.type)
        if workload.type not in WORKLOAD_KINDS or template is None:
            continue
        zone = catalog.zone_by_id.get(zone_of(workload) or "")
        own = labels_at(workload.inputs)
        app = str(own.get(labels.APP) or workload.name)
        namespace = namespace_of(workload)
        if zone is None or (app, zone.id, namespace) in found:
            continue
        pod_labels = labels_at(workload.inputs, template) if workload.type.split(":")[-1] != "Pod" else own
        residency = sorted(parse_residency_label(str(own.get(labels.RESIDENCY) or "")))
        reach = [
            Destination(kind="namespace", target=namespace, country=zone.country, via=BASELINE),
            Destination(kind="dns", target=f"{DNS_NAMESPACE}:53", country=zone.country, via=BASELINE),
        ]
        for other in resources:
            if zone_of(other) != zone.id or namespace_of(other) != namespace:
                continue
            spec = other.inputs.get("spec") or {}
            if other.type == NETWORK_POLICY and _selects(spec.get("podSelector"), pod_labels):
                reach += _peers(other, namespace, zone.country, destinations)
            elif other.type in SERVICE_TYPES and spec.get("type") == "ExternalName":
                name = normalized_name(spec.get("externalName"))
                via = f"Service {(other.inputs.get('metadata') or {}).get('name') or other.name} (ExternalName)"
                reach.append(Destination(kind="name", target=name, country=destinations.country_of_name(name), via=via))
        unique = list({(d.kind, d.target, d.via): d for d in reach}.values())
        outside = [d for d in unique if d.country is None or d.country not in residency]
        where = _where(residency)
        statement = (
            f"no path outside {where}"
            if not outside
            else f"paths outside {where}: "
            + ", ".join(f"{d.target} ({d.country or 'unknown country'})" for d in outside)
        )
        found[(app, zone.id, namespace)] = Flow(
            app=app, zone=zone.id, country=zone.country, namespace=namespace,
            data_classification=classification_of(workload.type, workload.inputs), residency=residency,
            destinations=unique, contained=not outside, statement=statement,
        )  # fmt: skip
    return sorted(found.values(), key=lambda f: (f.app, f.zone))


def flows_markdown(found: Sequence[Flow]) -> list[str]:
    """The flow map as a Markdown table."""
    lines = ["", "| app | zone | data | may send to | verdict |", "| --- | --- | --- | --- | --- |"]
    for flow in found:
        reach = ", ".join(f"{d.target} ({d.country or '?'})" for d in flow.destinations)
        lines.append(f"| {flow.app} | {flow.zone} | {flow.data_classification} | {reach} | {flow.statement} |")
    return lines
