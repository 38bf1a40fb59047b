"""The watchers' store of the local federation: a three-member etcd cluster, one member per country, on loopback.

A member per country (FR, DE, IT, as the issue's operators would run them) so that the store, and with
it the outage state and the watchers' election, survives the loss of any one country. Each member keeps
its ports across restarts (a restarted member rejoins as itself).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from edgefed_ops.errors import OpsError
from edgefed_ops.local import ports, processes

COUNTRIES = ("FR", "DE", "IT")
"""The members' countries: any two keep a quorum."""


class WatchStore:
    """The cluster's members under ``folder`` (``<cc>/`` each, with its data, log and process record)."""

    def __init__(self, folder: Path, countries: tuple[str, ...] = COUNTRIES) -> None:
        self.folder, self.countries = folder, countries

    def _ports(self) -> dict[str, tuple[int, int]]:
        saved = self.folder / "ports.json"
        if saved.exists():
            return {cc: (int(c), int(p)) for cc, (c, p) in json.loads(saved.read_text()).items()}
        found = {cc: (ports.free_port(), ports.free_port()) for cc in self.countries}
        self.folder.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(found))
        return found

    def endpoints(self) -> list[str]:
        """Every member's client URL, in the countries' order."""
        return [f"http://127.0.0.1:{client}" for client, _ in self._ports().values()]

    def start(self, binary: str, *, detach: bool = False, timeout: float = 60.0) -> None:
        """Start every member that does not run; return when each answers healthy (the cluster has a quorum)."""
        found = self._ports()
        cluster = ",".join(f"{cc.lower()}=http://127.0.0.1:{peer}" for cc, (_, peer) in found.items())
        for cc, (client, peer) in found.items():
            home = self.folder / cc
            if processes.load(home / "processes.json") and all(
                processes.is_ours(r) for r in processes.load(home / "processes.json")
            ):
                continue
            home.mkdir(parents=True, exist_ok=True)
            loopback = "http://127.0.0.1"
            args = [
                binary, "--name", cc.lower(), "--data-dir", str(home / "data"),
                "--listen-client-urls", f"{loopback}:{client}", "--advertise-client-urls", f"{loopback}:{client}",
                "--listen-peer-urls", f"{loopback}:{peer}", "--initial-advertise-peer-urls", f"{loopback}:{peer}",
                "--initial-cluster", cluster, "--initial-cluster-state", "new", "--listen-metrics-urls", "",
                "--unsafe-no-fsync", "--log-level", "error",
            ]  # fmt: skip
            process = processes.spawn(args, home / "etcd.log", detach=detach)
            (home / "processes.json").unlink(missing_ok=True)
            processes.save(home / "processes.json", [processes.record(process, binary)])
        self.wait_healthy([cc for cc in self.countries if self.running(cc)], timeout)

    def running(self, country: str) -> bool:
        """The member of ``country`` runs."""
        records = processes.load(self.folder / country / "processes.json")
        return bool(records) and all(processes.is_ours(r) for r in records)

    def wait_healthy(self, countries: list[str], timeout: float) -> None:
        """Wait until each named member reports the cluster healthy (a leader and a quorum)."""
        found = self._ports()
        deadline = time.monotonic() + timeout
        for cc in countries:
            url = f"http://127.0.0.1:{found[cc][0]}/health"
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if json.loads(response.read()).get("health") == "true":
                            break
                except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    tail = processes.log_tail(self.folder / cc / "etcd.log")
                    raise OpsError(f"the watchers' store member {cc} is not healthy after {timeout:g} s: {tail}")
                time.sleep(0.2)

    def stop(self, country: str | None = None, *, crash: bool = False) -> None:
        """Stop one member (``crash``: kill it, as when its country is lost) or all of them."""
        for cc in [country] if country else self.countries:
            processes.stop(processes.load(self.folder / cc / "processes.json"), crash=crash)
