"""The local federation's state stores keep Pulumi's lock folder: a real versitygw on loopback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from edgefed_ops.local import object_store

from .conftest import toolchain_or_skip

pytestmark = pytest.mark.s3

LOCKS = ".pulumi/locks/organization/edgefed/"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    binary = toolchain_or_skip("versitygw")
    running = object_store.start(tmp_path_factory.mktemp("state"), "fr-par", binary=binary)
    yield running
    running.stop()


@pytest.fixture
def store(server, request):
    client = object_store.client(server.endpoint, server.region, server.access_key, server.secret_key)
    bucket = "edgefed-" + request.node.name.replace("_", "-")[:40].strip("-").lower()
    object_store.ensure_bucket(client, bucket, server.region)
    return client, bucket


def _folder_listed(client, bucket: str, folder: str) -> bool:
    parent = folder.rstrip("/").rsplit("/", 1)[0] + "/"
    listed = client.list_objects_v2(Bucket=bucket, Prefix=parent, Delimiter="/")
    return folder in {p["Prefix"] for p in listed.get("CommonPrefixes", [])} | {
        o["Key"] for o in listed.get("Contents", [])
    }


def test_a_lock_deleted_takes_its_unkept_folders_with_it(store):
    # The server's behaviour the kept folder answers: without it, the last lock's delete removes the
    # project's lock folder, which a concurrent put of another stack's lock had just found present.
    client, bucket = store
    client.put_object(Bucket=bucket, Key=f"{LOCKS}local-zones-orange/1.json", Body=b"{}")
    client.delete_object(Bucket=bucket, Key=f"{LOCKS}local-zones-orange/1.json")
    assert not _folder_listed(client, bucket, LOCKS)


def test_a_kept_folder_outlives_the_locks_below_it_and_is_not_a_stacks_lock(store):
    client, bucket = store
    object_store.keep_folder(client, bucket, LOCKS)
    object_store.keep_folder(client, bucket, LOCKS)  # again: the next stack's workspace does the same
    client.put_object(Bucket=bucket, Key=f"{LOCKS}local-zones-orange/1.json", Body=b"{}")
    client.delete_object(Bucket=bucket, Key=f"{LOCKS}local-zones-orange/1.json")
    assert _folder_listed(client, bucket, LOCKS)
    # Pulumi lists a stack's locks under its own folder: the kept folder is never one of them.
    below = client.list_objects_v2(Bucket=bucket, Prefix=f"{LOCKS}local-zones-orange/")
    assert below.get("KeyCount", 0) == 0


def test_stacks_lock_and_unlock_concurrently_without_a_failed_put(store):
    client, bucket = store
    object_store.keep_folder(client, bucket, LOCKS)

    def cycle(stack: str) -> int:
        for round_ in range(60):
            key = f"{LOCKS}{stack}/{round_}.json"
            client.put_object(Bucket=bucket, Key=key, Body=b"{}")
            client.delete_object(Bucket=bucket, Key=key)
        return 60

    stacks = [f"local-zones-{name}" for name in ("orange", "dt", "telefonica", "tim", "vodafone")]
    with ThreadPoolExecutor(len(stacks)) as pool:
        assert sum(pool.map(cycle, stacks)) == 300


def test_a_folder_key_must_end_in_a_slash(store):
    client, bucket = store
    with pytest.raises(ValueError, match="a folder object's key ends in '/'"):
        object_store.keep_folder(client, bucket, LOCKS.rstrip("/"))
