"""The takeover's decisions from several watchers' probes: down by majority, fenced first, failback after a window."""

from __future__ import annotations

import pytest

from edgefed_ops.failover.health import HealthRules, Probe, ZoneHealth, ZoneState, resumed

RULES = HealthRules(failures=3, successes=2, stabilization=60.0, horizon=30.0)


def probes(watchers: list[str], zone: str, start: float, results: list[bool], every: float = 2.0) -> list[Probe]:
    """Each watcher probes ``zone`` every ``every`` seconds with the same results, interleaved."""
    return [Probe(w, zone, start + i * every, ok) for i, ok in enumerate(results) for w in watchers]


def kinds(actions) -> list[tuple[str, str]]:
    return [(a.zone, a.kind) for a in actions]


def test_a_dead_zone_fails_over_after_the_threshold_is_fenced_when_it_returns_and_fails_back_after_the_window():
    health = ZoneHealth(RULES)
    assert health.observe(probes(["fr"], "paris", 0, [True, False, False])) == []
    [down] = health.observe(probes(["fr"], "paris", 6, [False]))
    assert (down.kind, down.why) == ("fail over", "1 of 1 watchers saw 3 failed probes")
    assert health.unavailable() == {"paris"}
    assert health.observe(probes(["fr"], "paris", 8, [True])) == [], "one answer is not a return"
    assert kinds(health.observe(probes(["fr"], "paris", 10, [True]))) == [("paris", "fence")]
    assert health.unavailable() == {"paris"}, "a fenced zone is still out: its primaries are drained first"
    assert health.tick(69.9) == []
    assert kinds(health.tick(70.0)) == [("paris", "fail back")]
    assert health.unavailable() == frozenset() and health.states["paris"] is ZoneState.UP


def test_a_zone_one_watcher_cannot_reach_is_not_down_on_its_word_alone():
    health = ZoneHealth(RULES)
    partitioned = probes(["de"], "paris", 0, [False] * 10)
    others = probes(["fr", "it"], "paris", 0, [True] * 10)
    assert health.observe(sorted(partitioned + others, key=lambda p: p.at)) == []
    assert health.unavailable() == frozenset()


def test_a_majority_of_the_watchers_decides_and_a_dead_watcher_has_no_vote():
    health = ZoneHealth(RULES)
    seen = probes(["fr", "de"], "lyon", 0, [False] * 3) + probes(["it"], "lyon", 0, [True] * 3)
    assert kinds(health.observe(sorted(seen, key=lambda p: p.at))) == [("lyon", "fail over")], "2 of 3"
    health = ZoneHealth(RULES)
    # "it" saw the zone answer long ago and has said nothing since: beyond the horizon it is not counted.
    health.observe([Probe("it", "lyon", 0, True)])
    assert kinds(health.observe(probes(["fr"], "lyon", 40, [False] * 3))) == [("lyon", "fail over")]


def test_a_flapping_zone_fails_over_once_and_back_once_per_window():
    health = ZoneHealth(RULES)
    pattern = [False] * 3 + [True, True, False, True, True, True, False] + [True] * 40
    actions = health.observe(probes(["fr", "de"], "turin", 0, pattern))
    actions += health.tick(200.0)
    assert [a.kind for a in actions] == ["fail over", "fence", "fail back"]
    failback = [a for a in actions if a.kind == "fail back"]
    assert failback and health.states["turin"] is ZoneState.UP


def test_the_window_starts_again_after_a_failure_while_fenced():
    health = ZoneHealth(RULES)
    health.observe(probes(["fr"], "paris", 0, [False] * 3 + [True, True]))
    assert health.stable_since["paris"] == 8.0
    health.observe(probes(["fr"], "paris", 50, [False]))
    health.observe(probes(["fr"], "paris", 52, [True, True]))
    assert health.tick(100.0) == [] and kinds(health.tick(114.0)) == [("paris", "fail back")]


def test_a_new_leader_goes_on_from_the_outage_state_it_finds():
    health = resumed({"paris": ZoneState.FENCED, "lyon": ZoneState.DOWN}, RULES, now=100.0)
    assert health.unavailable() == {"paris", "lyon"}
    assert health.tick(159.0) == [] and kinds(health.tick(160.0)) == [("paris", "fail back")]


def test_streaks_reported_by_watchers_in_other_processes_decide_on_the_leaders_tick():
    health = ZoneHealth(RULES)
    health.report("fr", "paris", ok=False, count=3, at=10.0)
    health.report("it", "paris", ok=True, count=5, at=10.5)
    assert health.tick(11.0) == [], "1 of 2 is no majority"
    health.report("de", "paris", ok=False, count=4, at=10.8)
    assert kinds(health.tick(11.0)) == [("paris", "fail over")]
    assert health.tick(12.0) == [], "an outage is declared once"


def test_a_returning_country_fails_back_zone_by_zone():
    health = resumed({"paris": ZoneState.FENCED, "lyon": ZoneState.FENCED}, RULES, now=0.0)
    assert kinds(health.tick(60.0)) == [("lyon", "fail back")]
    assert health.unavailable() == {"paris"}
    assert kinds(health.tick(61.0)) == [("paris", "fail back")]
    both = resumed({"paris": ZoneState.FENCED, "lyon": ZoneState.FENCED}, HealthRules(max_failbacks=2), now=0.0)
    assert kinds(both.tick(60.0)) == [("lyon", "fail back"), ("paris", "fail back")]


@pytest.mark.parametrize(
    "change", [{"failures": 0}, {"successes": 0}, {"stabilization": -1}, {"horizon": 0}, {"max_failbacks": 0}]
)
def test_rules_out_of_range_are_refused(change):
    with pytest.raises(ValueError, match="health rules out of range"):
        HealthRules(**change)
