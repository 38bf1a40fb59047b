"""The attack suite's catalog: what a tenant tries against a shared zone with its own token, and a compliant twin.

Four classes, as a tenant (or a compromised CI job of its) would try them with kubectl, skipping
``pulumi preview`` and the pack: **pod security** (reach the node from a pod), **network** (claim an
address, reach or be reached by a neighbour, alias data out of the zone), **fair share** (exhaust what
the zone's other tenants and the operator need) and **residency** (put data where the pack refuses it).
Each attack names the rule whose refusal it expects, in the words the zone answers with; each has a
compliant *twin*, the same write with the one field that makes it an attack put right, which the zone
must admit: a zone that refuses everything fails the suite.

The attacks are derived from the tenant's contract, its zones' operators' terms and the catalog (which
zone of its home country, which zone of a non-EU/EEA-law operator, where it holds a namespace of another
country's stack, where node ports are granted), so the suite runs against any tenant of any family.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from edgefed.core.inputs import labels
from edgefed.core.inputs.catalog import Catalog, Zone
from edgefed.core.inputs.contract import Contract, tenant_namespace
from edgefed.core.inputs.jurisdiction import jurisdiction_problem
from edgefed.core.inputs.operator_terms import OperatorTerms

CLASSES = ("pod security", "network", "fair share", "residency")
Manifest = dict[str, Any]
How = Literal["create", "patch", "delete", "pods", "fill"]
DIGEST = "@sha256:" + "0" * 64
PSS = 'violates PodSecurity "restricted:latest": '


@dataclass(frozen=True)
class Probe:
    """One write to a zone and how its verdict is read.

    ``create``, ``patch`` and ``delete`` are server-side dry runs (admission runs, nothing is stored); ``pods``
    creates a Deployment for real and reads whether its pods were made (Pod Security and limits judge pods,
    not the Deployment); ``fill`` creates copies of the object for real until the zone refuses one (a quota
    on object counts), then deletes them.
    """

    how: How
    manifest: Manifest
    patch: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Target:
    """Where an attack is made: a tenant's namespace in one zone."""

    tenant: str
    zone: Zone
    namespace: str
    registry: str
    classification: str
    """A data class the tenant's contract allows (its twins declare it)."""
    residency: str = "eu"

    def name(self, suffix: str) -> str:
        """A name for a probe's object, unique per attack."""
        return f"edgefed-probe-{suffix}"[:63]


@dataclass(frozen=True)
class Attack:
    """One attack and its compliant twin."""

    name: str
    klass: str
    target: Target
    tries: str
    """What the attacker tries, in one line."""
    expect: str
    """Words the zone's refusal must contain: they name the rule that refused it."""
    attack: Probe
    twin: Probe
    also: tuple[str, ...] = field(default=())
    """Words of other rules that refuse the same attack: when several of the zone's policies refuse a write, its
    API server answers with one of them, in no fixed order."""

    def named_in(self, refusal: str) -> bool:
        """Whether ``refusal`` is in the words of a rule this attack expects."""
        return any(words in refusal for words in (self.expect, *self.also))


def workload(
    target: Target, suffix: str, *, classification: str | None = None, residency: str | None = None
) -> Manifest:
    """A compliant Deployment of the target (restricted Pod Security, its registry, its zone's labels, tiny)."""
    name = target.name(suffix)
    data = classification or target.classification
    image = f"{target.registry}/probe:1" + (DIGEST if data == "restricted" else "")
    marks = {
        labels.COUNTRY: target.zone.country.lower(),
        labels.OPERATOR: target.zone.operator,
        labels.ZONE: target.zone.id,
        labels.RESIDENCY: residency or target.residency,
        labels.CLASSIFICATION: data,
        labels.APP: name,
    }
    amounts = {"cpu": "10m", "memory": "16Mi", "ephemeral-storage": "16Mi"}
    container = {
        "name": "app",
        "image": image,
        "resources": {"requests": amounts, "limits": amounts},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": target.namespace, "labels": dict(marks)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {labels.APP: name}},
            "template": {
                "metadata": {"labels": dict(marks)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                },
            },
        },
    }


def service(target: Target, suffix: str, spec: Mapping[str, Any] | None = None) -> Manifest:
    """A ClusterIP Service of the target, or one with ``spec``."""
    body = {"type": "ClusterIP", "selector": {labels.APP: target.name(suffix)}, "ports": [{"port": 8443}]}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": target.name(suffix), "namespace": target.namespace},
        "spec": {**body, **(spec or {})},
    }


def network_policy(target: Target, suffix: str, spec: Mapping[str, Any]) -> Manifest:
    """A NetworkPolicy of the target."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": target.name(suffix), "namespace": target.namespace},
        "spec": dict(spec),
    }


def claim(target: Target, suffix: str, storage_class: str | None, size: str = "1Gi", **extra: Any) -> Manifest:
    """A PersistentVolumeClaim of the target."""
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}, **extra}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": target.name(suffix), "namespace": target.namespace},
        "spec": spec,
    }


def budget(target: Target, suffix: str, **spec: Any) -> Manifest:
    """A PodDisruptionBudget of the target."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": target.name(suffix), "namespace": target.namespace},
        "spec": {"selector": {"matchLabels": {labels.APP: target.name(suffix)}}, **spec},
    }


def pod_changed(manifest: Manifest, change: Callable[[dict[str, Any]], None]) -> Manifest:
    """A copy of a Deployment whose pod spec ``change`` edits."""
    out = copy.deepcopy(manifest)
    change(out["spec"]["template"]["spec"])
    return out


def container_changed(manifest: Manifest, change: Callable[[dict[str, Any]], None]) -> Manifest:
    """A copy of a Deployment whose first container ``change`` edits."""
    return pod_changed(manifest, lambda pod: change(pod["containers"][0]))


def labels_changed(manifest: Manifest, workload_labels: Mapping[str, str], template: Mapping[str, str]) -> Manifest:
    """A copy of a Deployment with labels set on the workload and on its pod template."""
    out = copy.deepcopy(manifest)
    out["metadata"]["labels"].update(workload_labels)
    out["spec"]["template"]["metadata"]["labels"].update(template)
    return out


@dataclass(frozen=True)
class Situation:
    """A tenant's zones as the attacks need them (``None`` where its contract has no such zone)."""

    home: Target
    """A namespace of a stack in a zone of the stack's own country, under EU/EEA law where there is one."""
    abroad: Target | None
    """A namespace of a stack in a zone of another country (its standbys' zone)."""
    foreign_law: Target | None
    """A namespace of a stack in a zone of its own country whose operator is not under EU/EEA law."""
    node_ports: tuple[Target, int, int] | None
    """A namespace in a zone whose operator grants the tenant node ports, with the range."""
    neighbour: str
    """Another tenant's namespace in the home zone (or ``default``)."""
    storage_class: str | None
    """A storage class the home zone's operator offers and the contract grants."""
    priority_class: str | None
    """A priority class the home zone's operator offers and the contract grants."""
    toleration: Mapping[str, str] | None
    """A toleration the home zone's operator offers and the contract grants, as a pod carries it."""


def situation(
    contract: Contract, catalog: Catalog, terms: Mapping[str, OperatorTerms], others: Sequence[Contract]
) -> Situation:
    """Where to attack from, for one tenant."""
    registry = contract.registries[0]
    data = next(c for c in ("internal", "personal", "public", "restricted") if c in contract.data_classes)
    residency = "eu" if data != "personal" else ".".join(sorted(c.lower() for c in contract.countries))

    def target(zone_id: str, country: str) -> Target:
        zone = catalog.zone(zone_id)
        space = tenant_namespace(contract.tenant, country)
        return Target(contract.tenant, zone, space, registry, data, residency)

    placed = [(zone, country) for country, zones in sorted(contract.allocations.items()) for zone in sorted(zones)]
    eu_law = [
        (z, c) for z, c in placed if jurisdiction_problem(catalog.operator_by_id.get(catalog.zone(z).operator)) is None
    ]
    own = [(z, c) for z, c in eu_law if catalog.zone(z).country == c]
    home = target(*(own or eu_law or placed)[0])
    abroad = next((target(z, c) for z, c in eu_law if catalog.zone(z).country != c), None)
    foreign = next((target(z, c) for z, c in placed if (z, c) not in eu_law and catalog.zone(z).country == c), None)
    ports = next(
        (
            (target(z, c), r.first, r.last)
            for z, c in placed
            if (r := _offers(terms, catalog.zone(z).operator).node_ports.get(contract.tenant)) is not None
        ),
        None,
    )
    neighbour = next(
        (
            tenant_namespace(other.tenant, country)
            for other in others
            if other.tenant != contract.tenant
            for country, zones in sorted(other.allocations.items())
            if home.zone.id in zones
        ),
        "default",
    )
    offer = _offers(terms, home.zone.operator)
    grants = contract.grants
    storage = next((n for n in grants.storage_classes if n in offer.offered("storage_classes")), None)
    priority = next((n for n in grants.priority_classes if n in offer.offered("priority_classes")), None)
    toleration = next(
        (
            {"key": t.key, "operator": t.operator, **({"value": t.value} if t.value else {}), "effect": t.effect}
            for t in offer.tolerations
            if t.name in grants.tolerations
        ),
        None,
    )
    return Situation(home, abroad, foreign, ports, neighbour, storage, priority, toleration)


def _offers(terms: Mapping[str, OperatorTerms], operator: str) -> OperatorTerms:
    """An operator's terms; one without terms offers nothing (its zone stack refuses tenants anyway)."""
    found = terms.get(operator)
    if found is not None:
        return found
    nothing = {
        "pods": 1,
        **dict.fromkeys(
            (
                "services",
                "config_maps",
                "secrets",
                "network_policies",
                "pod_disruption_budgets",
                "persistent_volume_claims",
                "storage_gib",
            ),
            0,
        ),
        "ephemeral_storage_gib": 1,
    }
    return OperatorTerms.model_validate({"operator": operator, "namespace_quota": nothing})
