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


def test_the_fast_path_brings_up_the_new_primary_the_plan_names_for_each_moved_site():
    """Lyon down: nordwind's FR site moves to Paris (in its country, within budget); the fast path applies there
    the objects the app needs as a primary, autoscaler first."""
    from edgefed_ops.failover.fast_path import arrivals

    moved = replan(federation(), STACKS, before=(), after=(LYON,))
    [arrival] = arrivals(moved.before, moved.after, moved.urgent)
    assert (arrival.stack, arrival.app, arrival.zone, arrival.replicas, arrival.namespace) == (
        "local-nordwind-fr", "cold-chain", "local-orange-fr-paris", 2, "nordwind-fr",
    )  # fmt: skip
    kinds = [o["kind"] for o in arrival.objects]
    assert kinds[:2] == ["HorizontalPodAutoscaler", "Deployment"]
    assert arrival.objects[0]["spec"]["minReplicas"] == 2
    assert arrival.objects[1]["metadata"]["labels"]["edgefed.io/role"] == "primary"


def test_what_the_fast_path_applies_is_what_the_stack_registers(monkeypatch, tmp_path):
    """One source of truth: the objects the fast path applies in a zone are those the stack's program registers
    there under the same outage (edgefed.core.objects.manifests.app_objects), field for field."""
    from edgefed_ops.failover.fast_path import arrivals

    from .test_stacks import run_stack, stack_config

    moved = replan(federation(), STACKS, before=(), after=(LYON,))
    [arrival] = arrivals(moved.before, moved.after, moved.urgent)
    outages = tmp_path / "outages.yaml"
    outages.write_text(f"unavailable_zones: [{LYON}]\n")
    raw, secrets = stack_config("local-nordwind-fr", **{"edgefed:outages": str(outages)})
    rec = run_stack("local-nordwind-fr", monkeypatch, raw, secrets)
    registered = [
        {key: r.inputs[key] for key in ("apiVersion", "kind", "metadata", "spec")}
        for r in rec.resources
        if r.type.startswith("kubernetes:") and r.name.startswith(f"cold-chain-{arrival.zone}-")
    ]
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(registered, key=key) == sorted(arrival.objects, key=key)


def test_every_zone_and_every_country_of_several_zones_is_an_outage_to_precheck(tmp_path):
    from types import SimpleNamespace

    from edgefed_ops.failover.prechecks import scenarios

    deploy = SimpleNamespace(settings=SimpleNamespace(local_catalog=ROOT / "stacks" / "catalog" / "local.yaml"))
    scope = SimpleNamespace(deploy=deploy, zones={z: "" for z in ("local-orange-fr-paris", LYON, "local-tim-it-milan")})
    assert [sorted(s) for s in scenarios(scope)] == [
        ["local-orange-fr-paris"], ["local-tim-it-milan"], [LYON], ["local-orange-fr-paris", LYON],
    ]  # fmt: skip


def test_a_zone_that_refuses_half_way_stops_the_fast_path_and_what_it_accepted_is_kept_for_release(monkeypatch):
    """The standby's zone refuses the scale: the fast path stops and says which zone refused what (the full
    `up` follows); the objects the zone accepted before are kept, so that their fields are released after."""
    from types import SimpleNamespace

    from lightkube import ApiError
    from lightkube.models.meta_v1 import Status

    from edgefed_ops.failover import fast_path

    moved = replan(federation(), STACKS, before=(), after=(LYON,))
    [arrival] = fast_path.arrivals(moved.before, moved.after, moved.urgent)
    applied: list[str] = []

    class RefusingScale:
        def __init__(self, kubeconfig: object, timeout: float) -> None:
            pass

        def stack_manager(self, manifest: dict[str, object]) -> str | None:
            return None  # no standby here: nothing a stack applied

        def apply(self, manifest: dict[str, object], field_manager: str) -> None:
            assert field_manager == fast_path.FIELD_MANAGER
            applied.append(manifest["kind"])  # type: ignore[arg-type]

        def scale(self, namespace: str, name: str, replicas: int) -> None:
            raise ApiError(status=Status(code=403, message="scaling is refused here", reason="Forbidden"))

        def close(self) -> None:
            pass

    monkeypatch.setattr(fast_path, "ZoneClient", RefusingScale)
    scope = SimpleNamespace(kubeconfig=lambda zone: f"{zone}.kubeconfig")
    done = fast_path.Promoter(scope, 1.0, print).bring_up([arrival])  # type: ignore[arg-type]
    assert not done.taken and not done.arrived
    assert done.why_not == "local-orange-fr-paris refused local-nordwind-fr/cold-chain: scaling is refused here"
    [written] = done.written
    assert written.objects == arrival.objects and applied == [o["kind"] for o in arrival.objects]

    class RefusingTheDeployment(RefusingScale):
        def apply(self, manifest: dict[str, object], field_manager: str) -> None:
            if manifest["kind"] == "Deployment":
                raise ApiError(status=Status(code=422, message="denied by the guard", reason="Invalid"))

    monkeypatch.setattr(fast_path, "ZoneClient", RefusingTheDeployment)
    done = fast_path.Promoter(scope, 1.0, print).bring_up([arrival])  # type: ignore[arg-type]
    [written] = done.written
    assert [o["kind"] for o in written.objects] == ["HorizontalPodAutoscaler"], "only what the zone accepted"

    managers: list[str] = []

    class WarmStandby(RefusingScale):
        """Every object there was applied by the stack: the fast path writes as the stack's own manager."""

        def stack_manager(self, manifest: dict[str, object]) -> str | None:
            return "pulumi-kubernetes-42c91270"

        def apply(self, manifest: dict[str, object], field_manager: str) -> None:
            managers.append(field_manager)

        def scale(self, namespace: str, name: str, replicas: int) -> None:
            pass

    monkeypatch.setattr(fast_path, "ZoneClient", WarmStandby)
    done = fast_path.Promoter(scope, 1.0, print).bring_up([arrival])  # type: ignore[arg-type]
    assert done.taken and not done.written, "nothing of its own to give up after `up`"
    assert set(managers) == {"pulumi-kubernetes-42c91270"}
