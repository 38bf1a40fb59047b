"""Egress rules: personal and restricted pods send data only to their namespace, DNS and allowed places. Pure logic.

A zone's default deny lets tenant pods reach the cluster's DNS and nothing else; a NetworkPolicy with
``egress`` rules opens more. For the pods it selects whose data is ``personal`` or ``restricted``, each
destination must be one of:

- pods of the policy's own namespace (a peer with only a ``podSelector``, or a ``namespaceSelector``
  that names the namespace by ``kubernetes.io/metadata.name``);
- the cluster's DNS: ``kube-system`` by name, every port of the rule 53 (UDP or TCP);
- an ``ipBlock`` inside a CIDR that the pack config allows for a country of the pods' residency.

Which pods a policy selects is read from its ``podSelector``, never from the policy's own labels: it
counts as ``public`` or ``internal`` only when ``matchLabels`` pins that classification (pods whose
labels say otherwise are not selected), and otherwise as ``restricted``. Restricted data may reach only
the zone's own country (it never crosses a border); personal data the residency the selector pins the
same way, else the zone's own country (every pod's residency includes it). The same rule runs
in each zone as CEL (:func:`edgefed.core.objects.tenancy.guard_policy`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from edgefed.core.inputs import labels
from edgefed.core.rules.common import Finding, describe_resource, parse_residency_label, shown
from edgefed.core.rules.kinds import NETWORK_POLICY_TYPES
from edgefed.core.rules.pack_config import Destinations

RULE = "disallow-open-egress"
GUARDED = ("personal", "restricted")
"""Classifications whose egress is limited (public and internal data may go where the tenant sends it)."""
NAMESPACE_NAME = "kubernetes.io/metadata.name"
DNS_NAMESPACE = "kube-system"
DNS_PORT = 53
DNS_PROTOCOLS = ("UDP", "TCP")


def selected_classification(spec: Mapping[str, Any]) -> str:
    """The classification of the pods a NetworkPolicy spec selects: pinned by ``matchLabels``, else restricted."""
    pinned = _match_labels(spec.get("podSelector")).get(labels.CLASSIFICATION)
    return str(pinned) if pinned in labels.CLASSIFICATIONS else "restricted"


def selected_countries(spec: Mapping[str, Any], zone_country: str | None) -> frozenset[str]:
    """The countries the selected pods' data may go to.

    The zone's own for restricted data (it never crosses a border), else the residency the selector pins,
    else the zone's country. No zone (a provider that is not a catalog zone) and nothing pinned: no
    country, so no CIDR is allowed.
    """
    own = frozenset({zone_country.upper()}) if zone_country else frozenset()
    if selected_classification(spec) == "restricted":
        return own
    pinned = _match_labels(spec.get("podSelector")).get(labels.RESIDENCY)
    if isinstance(pinned, str) and pinned:
        return parse_residency_label(pinned)
    return own


def _match_labels(selector: Any) -> Mapping[str, Any]:
    found = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def is_dns_rule(rule: Mapping[str, Any]) -> bool:
    """Every port of the rule is port 53 over UDP or TCP (no port at all is every port)."""
    ports = [p for p in rule.get("ports") or [] if isinstance(p, Mapping)]
    return bool(ports) and all(
        p.get("port") == DNS_PORT and p.get("endPort") is None and p.get("protocol", "UDP") in DNS_PROTOCOLS
        for p in ports
    )


def cidr_allowed(cidr: Any, allowed: Sequence[str]) -> bool:
    """``cidr`` lies inside one of the ``allowed`` CIDRs (an unreadable one never does)."""
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    for entry in allowed:
        outer = ipaddress.ip_network(entry)
        if network.version == outer.version and network.subnet_of(outer):  # type: ignore[arg-type]
            return True
    return False


def _peer_problem(
    peer: Mapping[str, Any], rule: Mapping[str, Any], namespace: str | None, allowed: Sequence[str]
) -> str | None:
    """Why one destination of an egress rule is not allowed (``None`` when it is)."""
    block = peer.get("ipBlock")
    if block is not None:
        cidr = block.get("cidr") if isinstance(block, Mapping) else None
        return None if cidr_allowed(cidr, allowed) else f"ipBlock {shown(cidr)}"
    selector = peer.get("namespaceSelector")
    if selector is None:
        return None  # a podSelector alone: pods of the policy's own namespace
    named = _match_labels(selector).get(NAMESPACE_NAME)
    if named is not None and named == namespace:
        return None
    if named == DNS_NAMESPACE:
        return None if is_dns_rule(rule) else f"namespace {DNS_NAMESPACE} on ports other than {DNS_PORT}"
    return f"namespaces {shown(dict(_match_labels(selector)) or 'any')}"


def egress_problems(spec: Mapping[str, Any], namespace: str | None, allowed: Sequence[str]) -> list[str]:
    """Every destination of a NetworkPolicy spec's egress rules that is not allowed, in the spec's order."""
    problems = []
    for index, rule in enumerate(spec.get("egress") or []):
        if not isinstance(rule, Mapping):
            continue
        peers = [p for p in rule.get("to") or [] if isinstance(p, Mapping)]
        if not peers:
            problems.append(f"any destination (egress rule {index + 1} has no 'to')")
        for peer in peers:
            problem = _peer_problem(peer, rule, namespace, allowed)
            if problem:
                problems.append(problem)
    return problems


def egress_countries(classification: str, zone_country: str, residency: Iterable[str]) -> frozenset[str]:
    """Where pods of this classification in a zone of ``zone_country`` may send data.

    The zone's country for restricted data, the residency otherwise: what :func:`selected_countries`
    gives a selector that pins both.
    """
    return frozenset({zone_country}) if classification == "restricted" else frozenset(residency)


def check_egress(
    resource_type: str, name: str, props: Mapping[str, Any], zone_country: str | None, destinations: Destinations
) -> list[Finding]:
    """A NetworkPolicy (or patch) opens egress of personal and restricted pods only to allowed destinations."""
    if resource_type not in NETWORK_POLICY_TYPES:
        return []
    spec = props.get("spec") or {}
    if not isinstance(spec, Mapping):
        return []
    classification = selected_classification(spec)
    if classification not in GUARDED:
        return []
    countries = selected_countries(spec, zone_country)
    allowed = destinations.cidrs_in(countries)
    metadata = props.get("metadata") or {}
    problems = egress_problems(spec, metadata.get("namespace") if isinstance(metadata, Mapping) else None, allowed)
    if not problems:
        return []
    where = "/".join(sorted(countries)) or "no catalog zone"
    return [
        Finding(
            RULE,
            f"{describe_resource(resource_type, name)}: egress to {', '.join(problems)} for {classification} data "
            f"(residency {where}); rule {RULE} allows personal and restricted pods egress only to their own "
            f"namespace, the cluster DNS ({DNS_NAMESPACE}, port {DNS_PORT}) and the pack config's CIDRs of their "
            f"residency ({_listed(allowed)})",
        )
    ]


def _listed(values: Iterable[str]) -> str:
    return ", ".join(values) or "none"
