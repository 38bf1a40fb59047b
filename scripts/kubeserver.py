"""Start and stop a real Kubernetes control plane (etcd + kube-apiserver) on loopback.

One per zone: used by the admission tests, and the building block of the local federation. Binaries
come from scripts/bootstrap. Everything listens on 127.0.0.1 only, data lives under ``data_dir``
(mode 0700), and the admin credential is a random token written only to the zone's kubeconfig.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from s3server import free_port


@dataclass
class ControlPlane:
    """A running etcd and kube-apiserver for one zone."""

    name: str
    url: str
    kubeconfig: Path
    data_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the API server, then etcd."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _tool(name: str, given: str | None) -> str:
    path = given or shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} is not on PATH; run scripts/bootstrap")
    return path


# The API servers serve a self-signed certificate on loopback: clients here do not verify it.
_LOOPBACK_TLS = ssl.create_default_context()
_LOOPBACK_TLS.check_hostname, _LOOPBACK_TLS.verify_mode = False, ssl.CERT_NONE


def get(server: str, token: str, path: str, timeout: float = 2) -> tuple[int, bytes]:
    """GET ``path`` from a zone's API server with its bearer token: (status, body). Raises OSError."""
    request = urllib.request.Request(f"{server}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, context=_LOOPBACK_TLS, timeout=timeout) as answer:
        return int(answer.status), answer.read()


def credentials(kubeconfig: Path) -> tuple[str, str] | None:
    """(server, token) of a zone's one-cluster kubeconfig, or None if it cannot be read."""
    try:
        config = yaml.safe_load(kubeconfig.read_text())
        return config["clusters"][0]["cluster"]["server"], config["users"][0]["user"]["token"]
    except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError):
        return None


def _ready(server: str, token: str) -> bool:
    try:
        return get(server, token, "/readyz")[0] == 200
    except OSError:
        return False


def _wait_ready(url: str, token: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kube-apiserver exited with {process.returncode}; see {log}")
        if _ready(url, token):
            return
        time.sleep(0.5)
    raise TimeoutError(f"kube-apiserver at {url} not ready within {timeout:.0f} s; see {log}")


def answers(kubeconfig: Path) -> bool:
    """True when the zone of this kubeconfig (one cluster, token user) answers /readyz."""
    found = credentials(kubeconfig)
    return found is not None and _ready(*found)


def spawn(args: list[str], log: Path, *, detach: bool) -> subprocess.Popen[bytes]:
    """Start a server process logging to ``log``; ``detach`` puts it in its own session (outlives us)."""
    return subprocess.Popen(args, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=detach)


def start(
    name: str,
    data_dir: Path,
    *,
    etcd: str | None = None,
    apiserver: str | None = None,
    controller_manager: str | None = None,
    detach: bool = False,
) -> ControlPlane:
    """Start etcd, kube-apiserver and kube-controller-manager for zone ``name`` under ``data_dir``.

    Returns when the API server's /readyz answers. The controller manager computes quota usage,
    creates service accounts and collects garbage, as in a real zone. ``detach`` starts the processes
    in their own session, so that they outlive the caller (the local federation); their pids are
    written to ``data_dir/pids``.
    """
    etcd_bin, apiserver_bin = _tool("etcd", etcd), _tool("kube-apiserver", apiserver)
    manager_bin = _tool("kube-controller-manager", controller_manager)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    # A zone that restarts keeps its ports, token and service-account key, as a real cluster keeps its
    # endpoint and credentials: stacks that deployed to it find it again unchanged (failback).
    saved = data_dir / "ports.json"
    if saved.exists():
        client, peer, secure = json.loads(saved.read_text())
    else:
        client, peer, secure = free_port(), free_port(), free_port()
        saved.write_text(json.dumps([client, peer, secure]))
    plane = ControlPlane(name, f"https://127.0.0.1:{secure}", data_dir / "kubeconfig", data_dir)
    loopback = "http://127.0.0.1"
    plane.processes.append(
        spawn(
            [
                etcd_bin, "--name", name, "--data-dir", str(data_dir / "etcd"),
                "--listen-client-urls", f"{loopback}:{client}", "--advertise-client-urls", f"{loopback}:{client}",
                "--listen-peer-urls", f"{loopback}:{peer}", "--initial-advertise-peer-urls", f"{loopback}:{peer}",
                "--initial-cluster", f"{name}={loopback}:{peer}", "--listen-metrics-urls", "",
                "--unsafe-no-fsync", "--log-level", "error",
            ],
            data_dir / "etcd.log",
            detach=detach,
        )
    )  # fmt: skip
    try:
        pki = data_dir / "pki"
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
            tokens.write_text(f"{secrets.token_urlsafe(32)},edgefed-admin,edgefed-admin,system:masters\n")
            os.chmod(tokens, 0o600)
        token = tokens.read_text().split(",", 1)[0]
        log = data_dir / "kube-apiserver.log"
        plane.processes.append(
            spawn(
                [
                    apiserver_bin, "--etcd-servers", f"{loopback}:{client}",
                    "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", str(secure),
                    "--cert-dir", str(pki), "--token-auth-file", str(tokens), "--authorization-mode", "RBAC",
                    "--service-account-key-file", str(pki / "sa.pub"),
                    "--service-account-signing-key-file", str(pki / "sa.key"),
                    "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
                    "--service-cluster-ip-range", "10.96.0.0/16", "--endpoint-reconciler-type", "none",
                    "--enable-priority-and-fairness=false", "--v", "0",
                ],
                log,
                detach=detach,
            )
        )  # fmt: skip
        _wait_ready(plane.url, token, plane.processes[-1], log)
        plane.kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: {name}\n  cluster:\n    server: {plane.url}\n    insecure-skip-tls-verify: true\n"
            f"users:\n- name: {name}-admin\n  user:\n    token: {token}\n"
            f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-admin\n"
            f"current-context: {name}\n"
        )
        os.chmod(plane.kubeconfig, 0o600)
        plane.processes.append(
            spawn(
                [
                    manager_bin, "--kubeconfig", str(plane.kubeconfig), "--leader-elect=false",
                    "--bind-address", "127.0.0.1", "--secure-port", "0",
                    "--service-account-private-key-file", str(pki / "sa.key"),
                    "--root-ca-file", str(pki / "apiserver.crt"), "--use-service-account-credentials=false",
                    "--controllers", "*", "--v", "0",
                ],
                data_dir / "kube-controller-manager.log",
                detach=detach,
            )
        )  # fmt: skip
    except BaseException:
        plane.stop()
        raise
    (data_dir / "pids").write_text("".join(f"{p.pid}\n" for p in plane.processes))
    return plane
