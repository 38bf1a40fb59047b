"""A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) for one zone, on loopback.

Used by the admission tests and by the local federation. Binaries come from scripts/bootstrap. Everything
listens on 127.0.0.1 only, data lives under ``data_dir`` (mode 0700), and the admin credential is a random
token written only to the zone's kubeconfig (mode 0600).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import time
from collections.abc import Sequence
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
        if client.answers() and client.healthy():
            return
        time.sleep(0.5)
    raise OpsError(
        f"kube-apiserver of {client.kubeconfig.parent.name} not ready within {timeout:.0f} s; {processes.log_tail(log)}"
    )


def _keys(pki: Path, operator_tokens: Sequence[str]) -> str:
    """The service-account key pair and the tokens file, made once: a restarted zone keeps its keys.

    The first token is the zone's own (its controllers, scheduler and kwok use it); each line after it is
    an operator's admin token (``token,user,uid,group``), rewritten at every start.
    """
    pki.mkdir(exist_ok=True)
    if not (pki / "sa.pub").exists():
        subprocess.run(["openssl", "genrsa", "-out", str(pki / "sa.key"), "2048"], check=True, capture_output=True)
        subprocess.run(
            ["openssl", "rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub")],
            check=True,
            capture_output=True,
        )
    tokens = pki / "tokens.csv"
    own = tokens.read_text().split("\n", 1)[0] if tokens.exists() else ""
    if not own:
        own = f"{secrets.token_urlsafe(32)},edgefed-admin,edgefed-admin,system:masters"
    write_private(tokens, "\n".join([own, *operator_tokens]) + "\n")
    return own.split(",", 1)[0]


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


def kubeconfig(name: str, url: str, token: str, user: str = "admin", ca: str | None = None) -> str:
    """A kubeconfig of one server and one token (loopback servers: TLS unchecked unless ``ca`` is given)."""
    if ca is None:
        trust = "    insecure-skip-tls-verify: true\n"
    else:
        trust = f"    certificate-authority-data: {base64.b64encode(ca.encode()).decode()}\n"
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    server: {url}\n{trust}"
        f"users:\n- name: {name}-{user}\n  user:\n    token: {token}\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-{user}\n"
        f"current-context: {name}\n"
    )


@dataclass(frozen=True)
class Options:
    """How a control plane differs from the default zone: more API server flags, operators' tokens, no controllers."""

    api_port: int | None = None
    """The API server's port (default: a free one); a zone serves where its catalog endpoint says."""
    apiserver_args: tuple[str, ...] = ()
    """More kube-apiserver flags (``--authentication-config``, an issuer's TLS and service-account flags)."""
    operator_tokens: tuple[str, ...] = ()
    """Token file lines of the operators' admin credentials (``token,user,uid,group``)."""
    controllers: bool = True
    """Run kube-controller-manager (an identity issuer needs none: it only signs tokens)."""
    service_account_issuer: str = "https://kubernetes.default.svc.cluster.local"
    """The issuer of the server's service-account tokens."""


def _etcd_args(binary: str, name: str, data_dir: Path, client_port: int, peer_port: int) -> list[str]:
    loopback = "http://127.0.0.1"
    return [
        binary, "--name", name, "--data-dir", str(data_dir / "etcd"),
        "--listen-client-urls", f"{loopback}:{client_port}", "--advertise-client-urls", f"{loopback}:{client_port}",
        "--listen-peer-urls", f"{loopback}:{peer_port}", "--initial-advertise-peer-urls", f"{loopback}:{peer_port}",
        "--initial-cluster", f"{name}={loopback}:{peer_port}", "--listen-metrics-urls", "",
        "--unsafe-no-fsync", "--log-level", "error",
    ]  # fmt: skip


def _apiserver_args(binary: str, pki: Path, client_port: int, secure: int, options: Options) -> list[str]:
    return [
        binary, "--etcd-servers", f"http://127.0.0.1:{client_port}",
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", str(secure),
        "--cert-dir", str(pki), "--token-auth-file", str(pki / "tokens.csv"), "--authorization-mode", "RBAC",
        "--service-account-key-file", str(pki / "sa.pub"), "--service-account-signing-key-file", str(pki / "sa.key"),
        "--service-account-issuer", options.service_account_issuer,
        "--service-cluster-ip-range", "10.96.0.0/16", "--endpoint-reconciler-type", "none", "--v", "0",
        # API Priority and Fairness stays on (the default): each tenant's requests queue in a share of their own
        # (edgefed.core.objects.fairness). Image volumes are on, as in Kubernetes 1.35: the zone's isolation policy
        # holds their images to the registry allow-list.
        "--feature-gates=ImageVolume=true",
        # As a real zone (kubeadm sets it): privileged containers are a matter for the zone's admission policy
        # (edgefed.core.rules.host_access), not refused by the API server before it is asked.
        "--allow-privileged=true", *options.apiserver_args,
    ]  # fmt: skip


def _controller_manager_args(binary: str, kubeconfig_path: Path, pki: Path) -> list[str]:
    return [
        binary, "--kubeconfig", str(kubeconfig_path), "--leader-elect=false",
        "--bind-address", "127.0.0.1", "--secure-port", "0",
        "--service-account-private-key-file", str(pki / "sa.key"),
        "--root-ca-file", str(pki / "apiserver.crt"), "--use-service-account-credentials=false",
        "--controllers", "*", "--v", "0",
        # Autoscalers own the replica count (edgefed.core.objects.manifests.deployment_spec): re-check every
        # 2 s instead of 15, so that a role change reaches its new bounds in seconds.
        "--horizontal-pod-autoscaler-sync-period", "2s",
    ]  # fmt: skip


def start(
    name: str, data_dir: Path, binaries: Binaries, *, detach: bool = False, options: Options | None = None
) -> ControlPlane:
    """Start etcd, kube-apiserver and (unless ``options`` say otherwise) kube-controller-manager under ``data_dir``.

    Returns when the API server answers. The controller manager computes quota usage, creates service
    accounts and collects garbage, as in a real zone. ``detach`` starts the processes in their own
    session, so that they outlive the caller (the local federation); their records go to
    ``data_dir/processes.json``.
    """
    options = options or Options()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    client_port, peer_port, secure = _ports(data_dir, options.api_port)
    plane = ControlPlane(name, f"https://127.0.0.1:{secure}", data_dir / "kubeconfig", data_dir)

    def run(args: list[str], log: str) -> subprocess.Popen[bytes]:
        process = processes.spawn(args, data_dir / log, detach=detach)
        plane.started.append(process)
        plane.records.append(processes.record(process, args[0]))
        return process

    run(_etcd_args(binaries.etcd, name, data_dir, client_port, peer_port), "etcd.log")
    try:
        pki = data_dir / "pki"
        token = _keys(pki, options.operator_tokens)
        apiserver = run(_apiserver_args(binaries.apiserver, pki, client_port, secure, options), "kube-apiserver.log")
        write_private(plane.kubeconfig, kubeconfig(name, plane.url, token))
        client = ZoneClient(plane.kubeconfig, timeout=2)
        try:
            _wait_ready(client, apiserver, data_dir / "kube-apiserver.log")
        finally:
            client.close()
        if options.controllers:
            manager = _controller_manager_args(binaries.controller_manager, plane.kubeconfig, pki)
            run(manager, "kube-controller-manager.log")
    except BaseException:
        plane.stop()
        raise
    (data_dir / "processes.json").unlink(missing_ok=True)
    processes.save(data_dir / "processes.json", plane.records)
    return plane
