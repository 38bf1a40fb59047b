"""Placement rules, by hand-made cases and by properties over generated federations."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgefed.core.inputs.appspec import AppSpec, load_app_spec
from edgefed.core.inputs.catalog import Catalog, load_catalog
from edgefed.core.inputs.geography import geography
from edgefed.core.placement.placer import PlacementError, Placer, place, place_all

from .conftest import APPS, CATALOG


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def robot() -> AppSpec:
    return load_app_spec(APPS / "robot-control.yaml")


@pytest.fixture(scope="module")
def inference() -> AppSpec:
    return load_app_spec(APPS / "gpu-inference.yaml")


def site_of(plan, name):
    return next(s for s in plan.sites if s.site == name)


def test_primary_is_nearest_in_country_and_failover_a_neighbour(catalog, robot):
    plan = place(catalog, robot)
    lyon = site_of(plan, "lyon-plant")
    assert lyon.primary == "orange-fr-lyon"
    assert lyon.failover == "vodafone-it-turin"
    assert lyon.serving == "orange-fr-lyon"
    assert lyon.explanation == (
        "site lyon-plant (FR): primary orange-fr-lyon at 2.0 ms; "
        "failover vodafone-it-turin (IT) at 8.0 ms, a neighbour inside residency"
    )


def test_down_primary_moves_to_next_zone_in_country_first(catalog, robot):
    plan = place(catalog, robot, unavailable=["orange-fr-lyon"])
    lyon = site_of(plan, "lyon-plant")
    # Marseille is in budget (10 ms) from Lyon? 280 km -> 4.2 ms + 2.0 access: yes, and stays in FR.
    assert lyon.primary == "orange-fr-marseille"
    assert not lyon.failed_over


def test_country_outage_fails_over_across_the_border_and_back(catalog, robot):
    down = ["orange-fr-lyon", "orange-fr-marseille", "orange-fr-paris"]
    during = site_of(place(catalog, robot, unavailable=down), "lyon-plant")
    assert during.failed_over
    assert during.serving == "vodafone-it-turin"
    assert "FAILED OVER to vodafone-it-turin (IT)" in during.explanation
    after = site_of(place(catalog, robot, unavailable=[]), "lyon-plant")
    assert after.serving == "orange-fr-lyon"  # failback: a pure function of its inputs


def test_restricted_data_never_crosses_a_border(catalog, inference):
    plan = place(catalog, inference)
    assert all(s.failover is None for s in plan.sites)
    assert "restricted data never crosses a border" in site_of(plan, "toulouse-assembly").explanation
    down = [z.id for z in catalog.zones_in("FR")]
    toulouse = site_of(place(catalog, inference, unavailable=down), "toulouse-assembly")
    assert toulouse.serving is None
    assert toulouse.cause == "outage"
    assert toulouse.problem == (
        "every FR zone within 15 ms is unavailable (orange-fr-lyon, orange-fr-marseille, orange-fr-paris); "
        "no cross-border failover: restricted data never crosses a border"
    )


def test_losing_the_only_zone_that_fits_is_an_outage_not_a_configuration_error(catalog, inference):
    # Paris is FR's only GPU zone: Lyon and Marseille stay up but cannot run the app.
    paris = site_of(place(catalog, inference, unavailable=["orange-fr-paris"]), "toulouse-assembly")
    assert paris.serving is None
    assert paris.cause == "outage"  # the stack still deploys the rest; the site returns on failback
    assert paris.problem == (
        "orange-fr-paris unavailable and no other FR zone within 15 ms has capacity left for gpu-inference; "
        "no cross-border failover: restricted data never crosses a border"
    )


def test_no_zone_within_budget_is_a_configuration_error(catalog, robot):
    tight = robot.model_copy(update={"sites": (robot.sites[0].model_copy(update={"latency_budget_ms": 1.0}),)})
    plan = place(catalog, tight)
    with pytest.raises(
        PlacementError, match=r"no FR zone within the 1 ms budget \(nearest: orange-fr-lyon at 2.0 ms\)"
    ):
        plan.raise_for_problems()


def test_residency_forbidding_every_neighbour_is_a_configuration_error(catalog, robot):
    fr_sites = [s.model_dump() for s in robot.sites if s.country == "FR"]
    national = AppSpec.model_validate({**robot.model_dump(), "residency": ["FR"], "sites": fr_sites})
    plan = place(catalog, national)
    with pytest.raises(PlacementError, match=r"residency \['FR'\] forbids every country it could fail over to"):
        plan.raise_for_problems()


def test_no_capacity_is_a_configuration_error(catalog, inference):
    greedy = inference.model_copy(update={"replicas_per_zone": 5})  # Paris has 4 L4 GPUs
    plan = place(catalog, greedy)
    with pytest.raises(PlacementError, match="no FR zone within 15 ms has capacity left for gpu-inference"):
        plan.raise_for_problems()


def test_gpu_apps_only_land_on_zones_with_that_model(catalog, inference):
    plan = place(catalog, inference)
    for assignment in plan.zones:
        assert catalog.zone(assignment.zone).capacity.gpus.get("nvidia-l4", 0) >= 1


def test_apps_share_capacity_in_order(catalog, inference):
    second = inference.model_copy(update={"name": "gpu-inference-2"})
    third = inference.model_copy(update={"name": "gpu-inference-3", "replicas_per_zone": 3})
    plans = place_all(catalog, [inference, second, third])
    # Paris has 4 L4s: 1 + 1 used, 3 more do not fit.
    assert site_of(plans["gpu-inference-3"], "toulouse-assembly").problem is not None


def test_home_operator_pays_no_interconnect(catalog, robot):
    engine = Placer(catalog)
    site = robot.sites[0]
    zone = catalog.zone("orange-fr-lyon")
    assert engine.latency_ms(site, zone, "vodafone") - engine.latency_ms(site, zone, "orange") == pytest.approx(2.0)


def test_zones_outside_the_stack_are_never_used(catalog, robot):
    allowed = [z.id for z in catalog.zones if z.country in {"FR", "IT", "DE", "ES", "BE"}]
    plan = place(catalog, robot, zones=allowed)
    assert {a.zone for a in plan.zones} <= set(allowed)


# --- properties ------------------------------------------------------------------------------------------

COUNTRIES = ["FR", "DE", "IT", "ES", "BE", "NL", "AT", "PT", "CH"]
EEA_COUNTRIES = [c for c in COUNTRIES if c != "CH"]


@st.composite
def federations(draw):
    n_zones = draw(st.integers(min_value=1, max_value=14))
    zones = []
    for i in range(n_zones):
        zones.append(
            {
                "id": f"z{i}",
                "name": f"zone {i}",
                "operator": draw(st.sampled_from(["op-a", "op-b"])),
                "country": draw(st.sampled_from(EEA_COUNTRIES)),
                "region": "r",
                "city": "c",
                "location": {"latitude": draw(st.floats(36, 55)), "longitude": draw(st.floats(-9, 20))},
                "status": draw(st.sampled_from(["active", "active", "active", "inactive"])),
                "capacity": {"cpu": draw(st.sampled_from([0, 2, 4, 8, 64])), "memory_gib": 64, "gpus": {}},
                "access_latency_ms": draw(st.floats(0.5, 4)),
                "api_endpoint": f"https://api.z{i}.example:6443",
                "kubeconfig_secret": f"kc-{i}",
                "object_storage": {"endpoint": "https://s3.example", "region": "eu", "credentials_secret": "s3"},
            }
        )
    catalog = Catalog.model_validate(
        {
            "operators": [
                {"id": "op-a", "name": "A", "home_countries": ["FR"]},
                {"id": "op-b", "name": "B", "home_countries": ["DE"]},
            ],
            "countries": [{"code": c, "name": c} for c in EEA_COUNTRIES],
            "zones": zones,
        }
    )
    residency = draw(st.one_of(st.just("eu"), st.lists(st.sampled_from(EEA_COUNTRIES), min_size=1, unique=True)))
    allowed = EEA_COUNTRIES if residency == "eu" else residency
    n_sites = draw(st.integers(min_value=1, max_value=8))
    sites = [
        {
            "name": f"s{i}",
            "country": draw(st.sampled_from(allowed)),
            "location": {"latitude": draw(st.floats(36, 55)), "longitude": draw(st.floats(-9, 20))},
            "latency_budget_ms": draw(st.sampled_from([5, 10, 20, 60])),
        }
        for i in range(n_sites)
    ]
    spec = AppSpec.model_validate(
        {
            "name": "app",
            "image": "registry.example.eu/a/b:1",
            "resources": {"cpu": draw(st.sampled_from([0.5, 1, 2])), "memory_mib": 512},
            "replicas_per_zone": draw(st.integers(1, 3)),
            "standby_replicas": draw(st.integers(0, 2)),
            "residency": residency,
            "data_classification": (
                classification := draw(st.sampled_from(["public", "internal", "personal", "restricted"]))
            ),
            # Restricted data never fails over across a border: the spec refuses any other mode.
            "failover": "none"
            if classification == "restricted"
            else draw(st.sampled_from(["none", "neighbour", "any-in-residency"])),
            "home_operator": draw(st.sampled_from([None, "op-a"])),
            "sites": sites,
        }
    )
    unavailable = draw(st.lists(st.sampled_from([z["id"] for z in zones]), unique=True))
    return catalog, spec, unavailable


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(federations())
def test_plan_properties(case):
    catalog, spec, unavailable = case
    plan = place(catalog, spec, unavailable)
    geo = geography()
    for s in plan.sites:
        site = next(x for x in spec.sites if x.name == s.site)
        if s.primary is not None:
            zone = catalog.zone(s.primary)
            assert zone.country == site.country, "primary zone is in the site's country"
            assert zone.id not in unavailable and zone.status == "active"
        if s.failover is not None:
            fzone = catalog.zone(s.failover)
            assert spec.data_classification != "restricted", "restricted data never crosses a border"
            assert fzone.country != site.country
            assert fzone.country in spec.residency_countries
            if spec.failover == "neighbour":
                assert geo.are_neighbours(site.country, fzone.country)
            assert s.failover_latency_ms is not None and s.failover_latency_ms <= site.latency_budget_ms + 1e-9
        if s.serving is not None:
            assert s.serving in (s.primary, s.failover)
        if s.primary_latency_ms is not None and s.primary is not None:
            assert s.primary_latency_ms <= site.latency_budget_ms + 1e-9
    # capacity is never exceeded
    for assignment in plan.zones:
        zone = catalog.zone(assignment.zone)
        assert assignment.replicas * spec.resources.cpu <= zone.capacity.cpu + 1e-9
    # Exactly one primary zone per served site, its serving zone, and none for an unserved one (no duplicates).
    for s in plan.sites:
        primaries = {a.zone for a in plan.zones if a.role == "primary" and s.site in a.sites}
        assert primaries == ({s.serving} if s.serving else set()), (s, primaries)


@PROPERTY_SETTINGS
@given(federations())
def test_same_input_same_plan_and_indexed_equals_naive(case):
    catalog, spec, unavailable = case
    first = place(catalog, spec, unavailable)
    assert place(catalog, spec, list(reversed(unavailable))) == first
    naive = Placer(catalog, search="naive").place(spec, unavailable=unavailable)
    assert naive == first


@PROPERTY_SETTINGS
@given(federations())
def test_failback_returns_to_the_plan_without_outage(case):
    catalog, spec, unavailable = case
    healthy = place(catalog, spec)
    place(catalog, spec, unavailable)  # an outage in between leaves no trace
    assert place(catalog, spec) == healthy


def test_unavailable_zones_are_drained_not_dropped_and_failback_restores(catalog, robot):
    from edgefed.core.placement.placer import with_drained

    down = ["orange-fr-lyon", "orange-fr-marseille", "orange-fr-paris"]
    healthy = place(catalog, robot)
    outage = with_drained(place(catalog, robot, down), healthy, down)
    by_zone = {a.zone: a for a in outage.zones}
    for zone in {a.zone for a in healthy.zones} & set(down):
        assert by_zone[zone].role == "drained" and by_zone[zone].replicas == 0
        assert by_zone[zone].drained_from == next(a.role for a in healthy.zones if a.zone == zone)
    # Exactly one serving zone per site during the outage: no duplicate primaries.
    assert all(a.role != "primary" for a in outage.zones if a.zone in down)
    assert with_drained(place(catalog, robot, []), healthy, []) == healthy


def test_an_unknown_gpu_model_is_named_not_reported_as_no_capacity(catalog, inference):
    h100 = inference.model_copy(
        update={
            "resources": inference.resources.model_copy(
                update={"gpu": inference.resources.gpu.model_copy(update={"model": "nvidia-h100"})}
            )
        }
    )
    plan = place(catalog, h100)
    toulouse = site_of(plan, "toulouse-assembly")
    assert toulouse.reason == "gpu-model"
    assert toulouse.problem == "no zone in FR within 15 ms has GPU model 'nvidia-h100', which gpu-inference needs"
