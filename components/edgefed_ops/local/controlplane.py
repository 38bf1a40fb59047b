"""A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) for one zone, on loopback.

Used by the admission tests and by the local federation. Binaries come from scripts/bootstrap. Everything
listens on 127.0.0.1 only, data lives under ``data_dir`` (mode 0700), and the admin credential is a random
token written only to the zone's kubeconfig (mode 0600).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from edgefed_ops.errors import OpsError
from edgefed_ops.local import ports, processes
from edgefed_ops.local.files import write_private
from edgefed_ops.local.zone_client import ZoneClient


@dataclass(frozen=True)
class Binaries:
    """Paths of the control plane's programs."""

    etcd: str
    apiserver: str
    controller_manager: str


@dataclass
class ControlPlane:
    """A running etcd, kube-apiserver and kube-controller-manager for one zone."""

    name: str
    url: str
    kubeconfig: Path
    data_dir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    records: list[processes.ProcessRecord] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the controller manager, the API server, then etcd."""
        for process in reversed(self.started):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_ready(client: ZoneClient, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OpsError(f"kube-apiserver exited with {process.returncode}; {processes.log_tail(log)}")
        if client.answers():
            return
        time.sleep(0.5)
    raise OpsError(
        f"kube-apiserver of {client.kubeconfig.parent.name} not ready within {timeout:.0f} s; {processes.log_tail(log)}"
    )


def _keys(pki: Path) -> str:
    """The service-account key pair and the admin token, made once: a restarted zone keeps both."""
    pki.mkdir(exist_ok=True)
    if not (pki / "sa.pub").exists():
        subprocess.run(["openssl", "genrsa", "-out", str(pki / "sa.key"), "2048"], check=True, capture_output=True)
        subprocess.run(
            ["openssl", "rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub")],
            check=True,
            capture_output=True,
        )
    tokens = pki / "tokens.csv"
    if not tokens.exists():
        write_private(tokens, f"{secrets.token_urlsafe(32)},edgefed-admin,edgefed-admin,system:masters\n")
    return tokens.read_text().split(",", 1)[0]


def _ports(data_dir: Path, api_port: int | None) -> tuple[int, int, int]:
    """Etcd client and peer ports and the API server port, kept across restarts (a zone keeps its endpoint).

    ``api_port`` is the port of the zone's catalog ``api_endpoint``: a zone serves where the catalog says.
    """
    saved = data_dir / "ports.json"
    if saved.exists():
        client, peer, secure = json.loads(saved.read_text())
    else:
        client, peer, secure = ports.free_port(), ports.free_port(), api_port or ports.free_port()
        saved.write_text(json.dumps([client, peer, secure]))
    if api_port is not None and int(secure) != api_port:
        raise OpsError(f"zone {data_dir.name} served on port {secure} before, its catalog now says {api_port}")
    return int(client), int(peer), int(secure)


def _kubeconfig(name: str, url: str, token: str) -> str:
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    server: {url}\n    insecure-skip-tls-verify: true\n"
        f"users:\n- name: {name}-admin\n  user:\n    token: {token}\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-admin\n"
        f"current-context: {name}\n"
    )


def start(
    name: str, data_dir: Path, binaries: Binaries, *, detach: bool = False, api_port: int | None = None
) -> ControlPlane:
    """Start etcd, kube-apiserver and kube-controller-manager for zone ``name`` under ``data_dir``.

    Returns when the API server answers. The controller manager computes quota usage, creates service
    accounts and collects garbage, as in a real zone. ``detach`` starts the processes in their own
    session, so that they outlive the caller (the local federation); their records go to
    ``data_dir/processes.json``. ``api_port`` fixes the API server's port (default: a free one).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    client_port, peer_port, secure = _ports(data_dir, api_port)
    plane = ControlPlane(name, f"https://127.0.0.1:{secure}", data_dir / "kubeconfig", data_dir)
    loopback = "http://127.0.0.1"

    def run(args: list[str], log: str) -> subprocess.Popen[bytes]:
        process = processes.spawn(args, data_dir / log, detach=detach)
        plane.started.append(process)
        plane.records.append(processes.record(process, args[0]))
        return process

    run(
        [
            binaries.etcd, "--name", name, "--data-dir", str(data_dir / "etcd"),
            "--listen-client-urls", f"{loopback}:{client_port}", "--advertise-client-urls", f"{loopback}:{client_port}",
            "--listen-peer-urls", f"{loopback}:{peer_port}", "--initial-advertise-peer-urls", f"{loopback}:{peer_port}",
            "--initial-cluster", f"{name}={loopback}:{peer_port}", "--listen-metrics-urls", "",
            "--unsafe-no-fsync", "--log-level", "error",
        ],
        "etcd.log",
    )  # fmt: skip
    try:
        pki = data_dir / "pki"
        token = _keys(pki)
        apiserver = run(
            [
                binaries.apiserver, "--etcd-servers", f"{loopback}:{client_port}",
                "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", str(secure),
                "--cert-dir", str(pki), "--token-auth-file", str(pki / "tokens.csv"), "--authorization-mode", "RBAC",
                "--service-account-key-file", str(pki / "sa.pub"),
                "--service-account-signing-key-file", str(pki / "sa.key"),
                "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range", "10.96.0.0/16", "--endpoint-reconciler-type", "none",
                "--enable-priority-and-fairness=false", "--v", "0",
            ],
            "kube-apiserver.log",
        )  # fmt: skip
        write_private(plane.kubeconfig, _kubeconfig(name, plane.url, token))
        client = ZoneClient(plane.kubeconfig, timeout=2)
        try:
            _wait_ready(client, apiserver, data_dir / "kube-apiserver.log")
        finally:
            client.close()
        run(
            [
                binaries.controller_manager, "--kubeconfig", str(plane.kubeconfig), "--leader-elect=false",
                "--bind-address", "127.0.0.1", "--secure-port", "0",
                "--service-account-private-key-file", str(pki / "sa.key"),
                "--root-ca-file", str(pki / "apiserver.crt"), "--use-service-account-credentials=false",
                "--controllers", "*", "--v", "0",
                # Autoscalers own the replica count (edgefed.core.objects.manifests.deployment_spec): re-check every
                # 2 s instead of 15, so that a role change reaches its new bounds in seconds.
                "--horizontal-pod-autoscaler-sync-period", "2s",
            ],
            "kube-controller-manager.log",
        )  # fmt: skip
    except BaseException:
        plane.stop()
        raise
    (data_dir / "processes.json").unlink(missing_ok=True)
    processes.save(data_dir / "processes.json", plane.records)
    return plane
