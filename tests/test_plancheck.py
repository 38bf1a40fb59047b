"""A plan handed to FederatedEdgeApp is checked against its spec: a hand-made plan cannot move data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from edgefed.components.app import FederatedEdgeApp, FederatedEdgeAppArgs
from edgefed.components.zone import EdgeZone, EdgeZoneArgs
from edgefed.core.inputs.appspec import load_app_spec
from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.placement.placer import ZoneAssignment, place
from edgefed.core.placement.plancheck import check_plan

from .conftest import APPS, CATALOG
from .pulumi_harness import run_program


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG)


def restricted_fr(catalog):
    spec = load_app_spec(APPS / "vision-restricted.yaml")
    spec = spec.model_copy(update={"sites": tuple(s for s in spec.sites if s.country == "FR")})
    return spec, place(catalog, spec)


def served_from_frankfurt(plan):
    """The FR site served only from a German zone, as someone writing the plan by hand could."""
    site = replace(plan.sites[0], primary="deutsche-telekom-de-frankfurt", serving="deutsche-telekom-de-frankfurt")
    zone = ZoneAssignment(
        "deutsche-telekom-de-frankfurt", "DE", "deutsche-telekom", "primary", 1, (plan.sites[0].site,)
    )
    return replace(plan, sites=(site,), zones=(zone,))


@pytest.mark.parametrize("app", ["robot-control", "city-flow", "gpu-inference", "vision-restricted", "line-control"])
def test_placement_plans_keep_their_spec(catalog, app):
    spec = load_app_spec(APPS / f"{app}.yaml")
    spec = spec.model_copy(update={"sites": tuple(s for s in spec.sites if s.country in ("FR", "DE", "IT"))})
    assert check_plan(spec, catalog, place(catalog, spec)) == []


def test_a_restricted_site_served_only_from_another_country_is_refused(catalog):
    spec, plan = restricted_fr(catalog)
    assert check_plan(spec, catalog, served_from_frankfurt(plan)) == [
        "site paris-inspection (FR) has primary zone deutsche-telekom-de-frankfurt in DE; a primary is in the site's "
        "country, where its data is processed and stored",
        "zone deutsche-telekom-de-frankfurt in DE holds primary replicas for site paris-inspection (FR); restricted "
        "data never crosses a border",
    ]


def test_a_failover_outside_the_residency_or_for_restricted_data_is_refused(catalog):
    spec, plan = restricted_fr(catalog)
    site = replace(plan.sites[0], failover="orange-be-brussels")
    standby = ZoneAssignment("orange-be-brussels", "BE", "orange", "standby", 1, (site.site,))
    problems = check_plan(spec, catalog, replace(plan, sites=(site,), zones=(*plan.zones, standby)))
    assert problems == [
        "site paris-inspection (FR) fails over to zone orange-be-brussels in BE; failover none of restricted data "
        "allows only no other country",
        "zone orange-be-brussels in BE is outside the app's residency (DE, FR, IT)",
        "zone orange-be-brussels in BE holds standby replicas for site paris-inspection (FR); restricted data never "
        "crosses a border",
    ]


def test_a_plan_naming_a_zone_by_another_country_or_outside_the_catalog_is_refused(catalog):
    spec, plan = restricted_fr(catalog)
    lying = replace(plan, zones=tuple(replace(z, country="DE") for z in plan.zones))
    assert check_plan(spec, catalog, lying) == [f"zone {z.zone} is in FR, the plan says DE" for z in plan.zones]
    ghost = replace(plan, zones=(ZoneAssignment("aws-us-east-1a", "FR", "aws", "primary", 1, ()),))
    assert check_plan(spec, catalog, ghost) == ["zone 'aws-us-east-1a' is not in the catalog"]


def test_federated_edge_app_refuses_a_hand_made_plan_with_every_problem(catalog, monkeypatch):
    spec, plan = restricted_fr(catalog)
    bad = served_from_frankfurt(plan)

    def program():
        zone = catalog.zone("deutsche-telekom-de-frankfurt")
        zones = {zone.id: EdgeZone(zone.id, EdgeZoneArgs(zone=zone, namespace="acme", kubeconfig="k"))}
        FederatedEdgeApp(spec.name, FederatedEdgeAppArgs(spec=spec, catalog=catalog, zones=zones, plan=bad))

    with pytest.raises(Exception, match="the plan breaks app vision-restricted's residency rules") as caught:
        run_program(program, monkeypatch=monkeypatch)
    assert "restricted data never crosses a border" in str(caught.value)
