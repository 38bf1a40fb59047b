"""The watchers' store: a real three-member etcd (FR, DE, IT) on loopback, leader election, the loss of a country."""

from __future__ import annotations

import threading
import time

import pytest

from .conftest import SUMMARY, toolchain_or_skip

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from edgefed_ops.local.watch_store import WatchStore

    etcd = toolchain_or_skip("etcd")
    cluster = WatchStore(tmp_path_factory.mktemp("watch-store"))
    started = time.monotonic()
    cluster.start(etcd)
    SUMMARY.append(f"watchers' store: three etcd members healthy in {time.monotonic() - started:.1f} s")
    yield cluster
    cluster.stop(crash=True)


def test_one_watcher_leads_and_the_next_takes_over_when_its_lease_ends(store):
    from edgefed_ops.failover.leadership import Leadership
    from edgefed_ops.failover.store import StoreClient

    client = StoreClient(store.endpoints())
    fr, de = Leadership(client, "watcher-fr", ttl=3), Leadership(client, "watcher-de", ttl=3)
    assert fr.campaign(timeout=10).value == "watcher-fr"
    elected: dict[str, object] = {}
    waiting = threading.Thread(target=lambda: elected.setdefault("de", de.campaign(timeout=30)), daemon=True)
    waiting.start()
    time.sleep(4)  # longer than the lease: renewed, fr still leads, de still waits
    assert fr.leads() and client.leader("edgefed/watch/leader").value == "watcher-fr" and "de" not in elected
    client.put("edgefed/watch/outage", '{"unavailable_zones": ["local-orange-fr-paris"]}')
    died = time.monotonic()
    fr.stop_renewing()  # the FR watcher dies: nobody renews its lease
    waiting.join(timeout=20)
    took = time.monotonic() - died
    assert de.leads() and client.leader("edgefed/watch/leader").value == "watcher-de"
    assert took <= 3 + 2, f"the next watcher led {took:.1f} s after the leader died (lease 3 s)"
    assert client.get("edgefed/watch/outage") == '{"unavailable_zones": ["local-orange-fr-paris"]}'
    de.resign()
    assert client.leader("edgefed/watch/leader") is None
    SUMMARY.append(f"watchers' election: the next watcher led {took:.1f} s after the leader stopped (lease 3 s)")


def test_the_store_and_its_election_survive_the_loss_of_a_country(store):
    from edgefed_ops.failover.leadership import Leadership
    from edgefed_ops.failover.store import StoreClient

    client = StoreClient(store.endpoints(), timeout=3)  # FR's member first: it is the one lost
    store.stop("FR", crash=True)
    assert not store.running("FR")
    client.put("edgefed/watch/outage", '{"unavailable_zones": ["local-orange-fr-paris", "local-vodafone-fr-lyon"]}')
    assert "local-vodafone-fr-lyon" in (client.get("edgefed/watch/outage") or "")
    it = Leadership(client, "watcher-it", ttl=3)
    assert it.campaign(timeout=10).value == "watcher-it" and it.leads()
    it.resign()


def test_only_the_leader_writes_and_keys_are_read_by_prefix(store):
    from edgefed_ops.failover.leadership import Leadership
    from edgefed_ops.failover.store import StoreClient

    store.start(toolchain_or_skip("etcd"))  # the member an earlier test lost comes back
    client = StoreClient(store.endpoints(), timeout=3)
    fr = Leadership(client, "watcher-fr", ttl=3, election="edgefed/watch/test/leader")
    leader = fr.campaign(timeout=10)
    assert client.put_as_leader(leader, {"edgefed/watch/test/zones": "{}", "edgefed/watch/test/log/1": "a"})
    client.put("edgefed/watch/test/log/2", "b")
    client.put("edgefed/watch/tesu", "not under the prefix")
    assert client.range("edgefed/watch/test/log/") == {"edgefed/watch/test/log/1": "a", "edgefed/watch/test/log/2": "b"}
    assert client.put_as_leader(leader, {"edgefed/watch/test/log/1": None})
    assert list(client.range("edgefed/watch/test/log/")) == ["edgefed/watch/test/log/2"]
    fr.resign()
    assert not client.put_as_leader(leader, {"edgefed/watch/test/zones": '{"paris": "down"}'}), "no longer leads"
    assert client.get("edgefed/watch/test/zones") == "{}"
    client.delete("edgefed/watch/test/zones")
    assert client.get("edgefed/watch/test/zones") is None


def test_the_takeover_state_round_trips_and_only_its_leader_moves_it(store):
    from edgefed_ops.failover.health import Action, ZoneState
    from edgefed_ops.failover.leadership import Leadership
    from edgefed_ops.failover.store import StoreClient
    from edgefed_ops.failover.takeover_state import Pending, Seen, TakeoverState

    client = StoreClient(store.endpoints(), timeout=3)
    state = TakeoverState(client, "nordwind")
    fr = Leadership(client, "fr", ttl=3, election=state.election)
    leader = fr.campaign(timeout=10)
    state.publish(Seen("fr", "lyon", False, 3, 100.0, "its API server does not answer"), fr.lease)
    state.publish(Seen("de", "lyon", True, 7, 100.5), None)
    assert sorted((s.watcher, s.ok, s.count) for s in state.seen()) == [("de", True, 7), ("fr", False, 3)]
    fail_over = Action("lyon", "fail over", "2 of 2 watchers saw 3 failed probes")
    pending = Pending(("lyon",), ("local-nordwind-de", "local-nordwind-fr"), (fail_over,), "fr", 101.0,
                      ("local-nordwind-fr",))  # fmt: skip
    assert state.begin(leader, {"lyon": ZoneState.DOWN, "paris": ZoneState.UP}, pending)
    assert state.zones() == {"lyon": ZoneState.DOWN}, "zones up are not in the outage state"
    assert state.pending() == pending, "a successor finds the deploy as it was decided"
    assert state.finish(leader, [{"kind": "fail over", "zone": "lyon"}])
    assert state.pending() is None and state.log() == [{"kind": "fail over", "zone": "lyon"}]
    fr.resign()
    assert not state.finish(leader, [{"kind": "fail back", "zone": "lyon"}]), "a former leader writes nothing"
    assert len(state.log()) == 1
    assert [s.watcher for s in state.seen()] == ["de"], "a watcher's streaks end with its lease"
