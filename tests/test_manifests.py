"""Snapshot tests of the Kubernetes objects a zone gets, and each example app in it, per role.

A change to what lands in a zone is a reviewed diff of tests/snapshots/manifests/. To accept one:
EDGEFED_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_manifests.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from edgefed.core.inputs import labels
from edgefed.core.inputs.appspec import load_app_spec
from edgefed.core.objects import manifests
from edgefed.core.placement.placer import ZoneAssignment
from edgefed.core.rules.pack_config import Destinations

from .conftest import APPS, ROOT

SNAPSHOTS = ROOT / "tests" / "snapshots" / "manifests"
ZONE_LABELS = labels.zone_labels(zone="orange-fr-paris", country="FR", operator="orange", residency="eu")


def objects(app: str, role: str) -> dict[str, object]:
    spec = load_app_spec(APPS / f"{app}.yaml")
    replicas = spec.replicas_per_zone if role == "primary" else spec.standby_replicas
    assignment = ZoneAssignment(
        zone="orange-fr-paris", country="FR", operator="orange", role=role, replicas=replicas, sites=("site",)
    )  # type: ignore[arg-type]
    meta = manifests.object_labels(spec, assignment, ZONE_LABELS, {})
    return {
        "labels": meta,
        "deployment": manifests.deployment_spec(spec, assignment, manifests.pod_labels(meta)),
        "autoscaler": manifests.autoscaler_spec(spec, assignment),
        "disruptionBudget": manifests.disruption_budget_spec(spec),
        "service": manifests.service_spec(spec),
        "ingressPolicy": manifests.ingress_policy_spec(spec),
    }


def zone_objects() -> dict[str, object]:
    """A tenant namespace's objects the operator makes, for an allocation with a GPU (every quota line shows)."""
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed.core.inputs.contract import Allocation, load_contracts
    from edgefed.core.inputs.operator_terms import load_operator_terms
    from edgefed.core.objects import fairness, guard, isolation, offers, tenancy

    root = Path(__file__).resolve().parent.parent
    folder = root / "stacks/tenants/local"
    catalog = load_catalog(root / "stacks/catalog/local.yaml")
    contracts = load_contracts(folder, catalog)
    contract, terms = contracts["acme"], load_operator_terms(folder, catalog, contracts)["vodafone"]
    allocation = Allocation(cpu=6.5, memory_gib=12, gpus={"nvidia-l4": 2})
    destinations = Destinations(
        cidrs={"FR": ("10.33.0.0/16",), "DE": ("10.49.0.0/16",)}, names={"FR": ("telemetry.fr.edgefed.example",)}
    )
    return {
        "namespaceLabels": tenancy.namespace_labels(ZONE_LABELS, "acme"),
        "quota": tenancy.quota_spec(allocation, terms.namespace_quota, node_ports=5),
        "containerDefaults": tenancy.container_defaults_spec(),
        "defaultDeny": manifests.default_deny_spec(),
        "dnsEgress": manifests.dns_egress_spec(),
        "tenantRules": tenancy.params_data(contract, "FR", allocation, terms, "FR", destinations),
        "role": tenancy.role_rules(),
        "roleSubjects": tenancy.role_binding_subjects(contract),
        "tenancyGuard": guard.guard_policy("FR", destinations),
        "grants": guard.grants_policy(),
        "isolation": isolation.isolation_policy(("registry.edgefed.eu",)),
        "storageClasses": [offers.storage_class_fields(offer) for offer in terms.storage_classes],
        "priorityClasses": [offers.priority_class_fields(offer) for offer in terms.priority_classes],
        "flows": [fairness.operator_flow("vodafone"), fairness.tenant_flow("orange", "acme")],
    }


def matches_snapshot(name: str, found: dict[str, object]) -> None:
    text = json.dumps(found, indent=2, sort_keys=True) + "\n"
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("EDGEFED_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run with EDGEFED_UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(), f"{path.name} changed: review, then EDGEFED_UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize("role", ["primary", "standby"])
@pytest.mark.parametrize("app", sorted(p.stem for p in APPS.glob("*.yaml")))
def test_objects_match_their_snapshot(app, role):
    matches_snapshot(f"{app}-{role}", objects(app, role))


def test_zone_objects_match_their_snapshot():
    matches_snapshot("zone", zone_objects())


def test_the_role_is_on_the_objects_and_never_on_the_pod_template():
    primary, standby = objects("robot-control", "primary"), objects("robot-control", "standby")
    assert primary["labels"][labels.ROLE] == "primary" and standby["labels"][labels.ROLE] == "standby"
    assert primary["deployment"]["template"] == standby["deployment"]["template"], "promotion only scales"
