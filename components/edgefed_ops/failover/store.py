"""The watchers' store: etcd's v3 JSON API (its gRPC gateway), typed, over every member of the cluster.

The runtime outage state and the watchers' leader election live in a three-member etcd across FR, DE
and IT, which survives the loss of any one country: each call goes to the first member that answers.
Keys and values travel base64-encoded, as the API wants them; nothing here parses a tool's output.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from edgefed_ops.errors import OpsError


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _text(value: str) -> str:
    return base64.b64decode(value).decode()


@dataclass(frozen=True)
class Leader:
    """Who leads an election: the leader's value (a watcher's name) and its key (to resign with)."""

    value: str
    key: str
    lease: int


class StoreError(OpsError):
    """No member of the store did what was asked; ``problems`` says, per member, why."""

    def __init__(self, message: str, problems: Sequence[str]) -> None:
        super().__init__(message)
        self.problems = list(problems)


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read() or b"{}").get("message") or error.reason)
    except ValueError:
        return str(error.reason)


class StoreClient:
    """etcd's JSON API on a cluster's members (``http://127.0.0.1:PORT`` each)."""

    def __init__(self, endpoints: Sequence[str], timeout: float = 5.0) -> None:
        if not endpoints:
            raise OpsError("the watchers' store has no member to talk to")
        self.endpoints, self.timeout = list(endpoints), timeout

    def _call(self, path: str, body: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """POST to the first member that answers; an error naming every member when none does."""
        problems = []
        for endpoint in self.endpoints:
            request = urllib.request.Request(
                f"{endpoint}/v3/{path}", data=json.dumps(body).encode(), method="POST",
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                    answer: dict[str, Any] = json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as error:  # the member answered: its message says why not
                problems.append(f"{endpoint}: {_message(error)}")
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                problems.append(f"{endpoint}: {getattr(error, 'reason', error)}")
                continue
            result: dict[str, Any] = answer.get("result", answer)
            return result
        raise StoreError(f"the watchers' store did not answer ({'; '.join(problems)})", problems)

    def put(self, key: str, value: str, lease: int | None = None) -> None:
        """Store ``value`` under ``key`` (bound to ``lease`` when given: gone when the lease ends)."""
        body: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease is not None:
            body["lease"] = str(lease)
        self._call("kv/put", body)

    def get(self, key: str) -> str | None:
        """The value under ``key`` (``None`` when there is none)."""
        found = self._call("kv/range", {"key": _b64(key)}).get("kvs") or []
        return _text(found[0].get("value", "")) if found else None

    def range(self, prefix: str) -> dict[str, str]:
        """Every key under ``prefix`` with its value, in key order."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        found = self._call("kv/range", {"key": _b64(prefix), "range_end": _b64(end)}).get("kvs") or []
        return {_text(kv["key"]): _text(kv.get("value", "")) for kv in found}

    def delete(self, key: str) -> None:
        """Remove ``key`` (nothing when it is absent)."""
        self._call("kv/deleterange", {"key": _b64(key)})

    def put_as_leader(self, leader: Leader, writes: dict[str, str | None]) -> bool:
        """Apply ``writes`` (``None`` deletes) at once, only while ``leader`` still leads; whether it did.

        The compare is the leader's own election key, bound to its lease: a watcher whose lease ended
        (it paused, or lost the store) cannot write the outage state its successor now owns.
        """
        operations = [
            {"requestDeleteRange": {"key": _b64(key)}} if value is None
            else {"requestPut": {"key": _b64(key), "value": _b64(value)}}
            for key, value in writes.items()
        ]  # fmt: skip
        compare = [{"key": leader.key, "target": "LEASE", "result": "EQUAL", "lease": str(leader.lease)}]
        return bool(self._call("kv/txn", {"compare": compare, "success": operations}).get("succeeded"))

    def grant(self, ttl: int) -> int:
        """A new lease of ``ttl`` seconds."""
        return int(self._call("lease/grant", {"TTL": ttl})["ID"])

    def keep_alive(self, lease: int) -> int:
        """Renew a lease; its remaining seconds (0: it had already expired)."""
        return int(self._call("lease/keepalive", {"ID": str(lease)}).get("TTL", 0))

    def revoke(self, lease: int) -> None:
        """End a lease now (every key bound to it goes)."""
        self._call("lease/revoke", {"ID": str(lease)})

    def campaign(self, election: str, lease: int, value: str, timeout: float) -> Leader:
        """Wait (up to ``timeout`` s) to lead ``election``; leadership lasts as long as ``lease``."""
        answer = self._call("election/campaign", {"name": _b64(election), "lease": str(lease), "value": _b64(value)},
                            timeout=timeout)  # fmt: skip
        leader = answer["leader"]
        return Leader(value, leader["key"], int(leader["lease"]))

    def leader(self, election: str) -> Leader | None:
        """Who leads ``election`` now (``None``: nobody)."""
        try:
            kv = self._call("election/leader", {"name": _b64(election)}).get("kv")
        except StoreError as error:
            if error.problems and all("no leader" in problem for problem in error.problems):
                return None
            raise
        if not kv:
            return None
        return Leader(_text(kv.get("value", "")), kv["key"], int(kv.get("lease", 0)))

    def resign(self, leader: Leader) -> None:
        """Give up leading (the next campaigner is elected at once)."""
        self._call("election/resign", {"leader": {"name": "", "key": leader.key, "lease": str(leader.lease)}})
