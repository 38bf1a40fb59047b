"""An operator's identity issuer in the local federation: a Kubernetes API server that signs tenant tokens.

It runs etcd and kube-apiserver only (no controllers), on the catalog's ``identity_issuer`` URL, with a
TLS certificate of the federation's CA, its service-account issuer set to that URL and its signing keys
published for anyone (OIDC discovery): every zone fetches them to check a tenant's token. The home
operator onboards a tenant (a ServiceAccount in ``tenants``) and issues short-lived tokens for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import yaml

from edgefed.core.inputs.catalog import Catalog, Operator
from edgefed.core.objects.trust import AUDIENCE, MAX_TOKEN_SECONDS, TENANTS_NAMESPACE, authentication_config
from edgefed_ops.errors import OpsError
from edgefed_ops.local import controlplane, pki, ports, processes
from edgefed_ops.local.credentials import operator_binding, operator_token, operator_token_line
from edgefed_ops.local.files import write_private
from edgefed_ops.local.zone import ANOTHER_FEDERATION, PROCESSES, all_running
from edgefed_ops.local.zone_client import open_zone
from edgefed_ops.local.zone_identity import ZoneIdentity

DISCOVERY = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRoleBinding",
    "metadata": {"name": "edgefed-oidc-discovery"},
    "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "system:service-account-issuer-discovery",
    },
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}],
}
"""Zones fetch the issuer's discovery document and signing keys without credentials."""


class LocalIssuer:
    """One operator's identity issuer, in its folder of the federation."""

    def __init__(self, operator: Operator, state: Path, tool: Callable[[str], str]) -> None:
        if operator.identity_issuer is None:
            raise OpsError(f"operator {operator.id} runs no identity issuer (catalog identity_issuer)")
        self.operator, self.state, self._tool = operator, state, tool
        self.url = operator.identity_issuer
        self.folder = state / "identity" / operator.id

    @property
    def admin_kubeconfig(self) -> Path:
        """The operator's admin kubeconfig of its issuer (its TLS checked against the federation's CA)."""
        return self.folder / "operator.kubeconfig"

    def _port(self) -> int:
        url = urlparse(self.url)
        if url.hostname != "127.0.0.1" or url.port is None:
            raise OpsError(
                f"{self.operator.id}'s issuer: a local issuer serves on https://127.0.0.1:PORT, not {self.url}"
            )
        if ports.port_in_use(url.port):
            raise OpsError(
                f"federation: {self.operator.id}'s identity issuer {self.url} cannot start: 127.0.0.1:{url.port} is "
                f"already in use by another process. {ANOTHER_FEDERATION}"
            )
        return url.port

    def start(self) -> float:
        """Start the issuer (the seconds it took; 0 when it ran already) and let anyone read its public keys."""
        begin = time.monotonic()
        if all_running(self.folder):
            return 0.0
        processes.stop(processes.load(self.folder / PROCESSES))
        cert, key = pki.server_certificate(
            self.state / "ca", self.folder / "tls", f"{self.operator.id} identity issuer"
        )
        options = controlplane.Options(
            api_port=self._port(),
            apiserver_args=(
                "--tls-cert-file", str(cert), "--tls-private-key-file", str(key),
                "--service-account-jwks-uri", f"{self.url}/openid/v1/jwks",
                "--service-account-max-token-expiration", f"{MAX_TOKEN_SECONDS}s",
            ),
            operator_tokens=(operator_token_line(self.state, self.operator.id),),
            controllers=False,
            service_account_issuer=self.url,
        )  # fmt: skip
        binaries = controlplane.Binaries(self._tool("etcd"), self._tool("kube-apiserver"), "")
        plane = controlplane.start(f"{self.operator.id}-identity", self.folder, binaries, detach=True, options=options)
        ca = (self.state / "ca" / "ca.crt").read_text()
        write_private(
            self.admin_kubeconfig,
            controlplane.kubeconfig(
                plane.name, plane.url, operator_token(self.state, self.operator.id), "operator", ca
            ),
        )
        with open_zone(plane.kubeconfig) as client:
            client.ensure(DISCOVERY)
            client.ensure(operator_binding(self.operator.id))
        return time.monotonic() - begin

    def issue(self, tenant: str, seconds: int = MAX_TOKEN_SECONDS) -> str:
        """A token for ``tenant`` (its account made on first issue, as the home operator onboards it)."""
        with open_zone(self.admin_kubeconfig) as client:
            client.ensure({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": TENANTS_NAMESPACE}})
            account = {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": tenant, "namespace": TENANTS_NAMESPACE},
            }
            client.ensure(account)
            return ZoneIdentity(client).service_account_token(TENANTS_NAMESPACE, tenant, AUDIENCE, seconds)

    def accepts(self, token: str) -> bool:
        """True when this issuer (as it runs now) still vouches for ``token``."""
        with open_zone(self.admin_kubeconfig) as client:
            return ZoneIdentity(client).accepts_token(token, AUDIENCE)


class LocalIdentities:
    """The identity issuers of a local federation's operators, and the zones' trust of them."""

    def __init__(self, catalog: Catalog, state: Path, tool: Callable[[str], str]) -> None:
        self.catalog, self.state, self._tool = catalog, state, tool

    def issuers(self) -> list[LocalIssuer]:
        """The issuers of the catalog's operators that run one."""
        return [LocalIssuer(op, self.state, self._tool) for op in self.catalog.operators if op.identity_issuer]

    def issuer(self, operator: str) -> LocalIssuer:
        """One operator's issuer."""
        found = [i for i in self.issuers() if i.operator.id == operator]
        if not found:
            known = ", ".join(i.operator.id for i in self.issuers()) or "none"
            raise OpsError(f"operator {operator} runs no identity issuer in this federation; issuers: {known}")
        return found[0]

    def write_trust(self) -> Path:
        """The zones' authentication configuration: every issuer of the catalog, checked with the federation's CA."""
        ca = pki.authority(self.state / "ca").read_text()
        document = authentication_config(self.catalog, {i.operator.id: ca for i in self.issuers()})
        path = self.state / "authentication.yaml"
        write_private(path, yaml.safe_dump(document, sort_keys=False))
        return path
