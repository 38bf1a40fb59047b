"""Which stacks a takeover decision updates: the federation plan of nordwind's local stacks before and after."""

from __future__ import annotations

from edgefed.core.inputs.stackconfig import raw_from_stack_file
from edgefed.core.placement.federation import load_federation
from edgefed_ops.failover.replan import replan

from .conftest import ROOT

STACKS = ("local-nordwind-de", "local-nordwind-fr", "local-nordwind-it")
LYON = "local-vodafone-fr-lyon"


def federation():
    raw = raw_from_stack_file(ROOT / "stacks" / "Pulumi.local-nordwind-fr.yaml")
    return load_federation(ROOT, "local-nordwind-fr", raw, [])


def test_lyon_down_moves_the_fr_site_first_and_the_standbys_of_the_others_after():
    # Lyon serves nordwind's FR site and is the failover zone of its DE and IT sites.
    moved = replan(federation(), STACKS, before=(), after=(LYON,))
    assert moved.changed == STACKS
    assert moved.urgent == ("local-nordwind-fr",)


def test_the_same_outage_state_updates_nothing_and_failback_is_urgent_where_the_site_returns():
    plan = federation()
    assert replan(plan, STACKS, before=(LYON,), after=(LYON,)).changed == ()
    back = replan(plan, STACKS, before=(LYON,), after=())
    assert back.changed == STACKS and back.urgent == ("local-nordwind-fr",)


def test_a_zone_the_plan_places_nothing_of_the_tenant_in_updates_nothing():
    assert replan(federation(), STACKS, before=(), after=("local-tim-it-milan",)).changed == ()


def test_a_failback_hands_over_from_the_zone_that_served_meanwhile_which_the_plan_drops():
    from edgefed_ops.failover.replan import Handover

    plan = federation()
    back = replan(plan, STACKS, before=(LYON,), after=())
    assert back.handovers == (Handover("local-nordwind-fr", "cold-chain", ("local-orange-fr-paris",), (LYON,)),)
    # Lyon down stays in the plan, drained: the engine scales it to zero in order (it is dead anyway).
    assert replan(plan, STACKS, before=(), after=(LYON,)).handovers == ()


def test_a_zone_demoted_to_standby_is_left_to_the_engine_which_demotes_before_it_promotes():
    from edgefed_ops.failover.replan import Handover

    raw = raw_from_stack_file(ROOT / "stacks" / "Pulumi.local-acme-fr.yaml")
    acme = load_federation(ROOT, "local-acme-fr", raw, [])
    stacks = ("local-acme-de", "local-acme-fr", "local-acme-it")
    paris = "local-orange-fr-paris"
    # Paris back first: Lyon's site moves from Turin (primary during the outage, standby after) to Paris.
    assert replan(acme, stacks, before=(paris, LYON), after=(LYON,)).handovers == ()
    # Then Lyon: Paris served Lyon's site meanwhile and the plan drops it there.
    assert replan(acme, stacks, before=(LYON,), after=()).handovers == (
        Handover("local-acme-fr", "line-control", (paris,), (LYON,)),
    )
