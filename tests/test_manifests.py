"""Snapshot tests of the Kubernetes objects each example app gets in a zone, per role.

A change to what lands in a zone is a reviewed diff of tests/snapshots/manifests/. To accept one:
EDGEFED_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_manifests.py
"""

from __future__ import annotations

import json
import os

import pytest

from edgefed import labels, manifests
from edgefed.appspec import load_app_spec
from edgefed.placement import ZoneAssignment

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


@pytest.mark.parametrize("role", ["primary", "standby"])
@pytest.mark.parametrize("app", sorted(p.stem for p in APPS.glob("*.yaml")))
def test_objects_match_their_snapshot(app, role):
    found = json.dumps(objects(app, role), indent=2, sort_keys=True) + "\n"
    path = SNAPSHOTS / f"{app}-{role}.json"
    if os.environ.get("EDGEFED_UPDATE_SNAPSHOTS") == "1":
        path.write_text(found)
    assert path.exists(), f"no snapshot {path.name}: run with EDGEFED_UPDATE_SNAPSHOTS=1 and review it"
    assert found == path.read_text(), f"{path.name} changed: review, then EDGEFED_UPDATE_SNAPSHOTS=1"


def test_the_role_is_on_the_objects_and_never_on_the_pod_template():
    primary, standby = objects("robot-control", "primary"), objects("robot-control", "standby")
    assert primary["labels"][labels.ROLE] == "primary" and standby["labels"][labels.ROLE] == "standby"
    assert primary["deployment"]["template"] == standby["deployment"]["template"], "promotion only scales"
