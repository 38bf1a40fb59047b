"""An operator's CAMARA Edge Application Management API on the local federation: HTTPS on its catalog URL.

``python -m edgefed_ops.local.platform_server --catalog FILE --operator ID --state DIR`` serves
:class:`~edgefed_ops.local.platform.OperatorPlatform` under the document's base path, with a certificate of
the federation's CA, on loopback only. :class:`LocalPlatform` starts and stops it with the federation.
Every answer of an error is a CAMARA ``ErrorInfo``; a request the server cannot map is a 404 or 405 one.
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
import sys
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import httpx2

from edgefed.core.inputs.catalog import Catalog, Operator, load_catalog
from edgefed.core.inputs.eam import BASE_PATH
from edgefed_ops.errors import OpsError
from edgefed_ops.local import pki, ports, processes
from edgefed_ops.local.platform import Caller, OperatorPlatform, PlatformRefusalError
from edgefed_ops.local.zone import ANOTHER_FEDERATION, PROCESSES

ID = r"([0-9a-f-]{36})"
Route = tuple[str, re.Pattern[str], Callable[..., tuple[int, Any, dict[str, str]]]]


def _routes(platform: OperatorPlatform) -> list[Route]:
    def no_content() -> tuple[int, Any, dict[str, str]]:
        return 204, None, {}

    def created_instance(caller: Caller, body: object) -> tuple[int, Any, dict[str, str]]:
        info = platform.create_instance(caller, body)
        return 202, info, {"Location": f"{BASE_PATH}/app-instances/{info['appInstanceId']}"}

    def deleted(action: Callable[[], None]) -> tuple[int, Any, dict[str, str]]:
        action()
        return no_content()

    return [
        ("GET", re.compile(r"/edge-cloud-zones"), lambda c, q, b: (200, *platform.list_zones(q))),
        ("POST", re.compile(r"/apps"), lambda c, q, b: (201, platform.submit_app(c, b), {})),
        ("GET", re.compile(r"/apps"), lambda c, q, b: (200, platform.list_apps(c), {})),
        ("GET", re.compile(rf"/apps/{ID}"), lambda c, q, b, i: (200, platform.get_app(c, i), {})),
        ("DELETE", re.compile(rf"/apps/{ID}"), lambda c, q, b, i: deleted(lambda: platform.delete_app(c, i))),
        ("POST", re.compile(r"/app-instances"), lambda c, q, b: created_instance(c, b)),
        ("GET", re.compile(r"/app-instances"), lambda c, q, b: (200, platform.list_instances(c, q), {})),
        ("GET", re.compile(rf"/app-instances/{ID}"), lambda c, q, b, i: (200, platform.get_instance(c, i), {})),
        ("DELETE", re.compile(rf"/app-instances/{ID}"),
         lambda c, q, b, i: deleted(lambda: platform.delete_instance(c, i))),
    ]  # fmt: skip


def handler(platform: OperatorPlatform) -> type[BaseHTTPRequestHandler]:
    """The request handler of one platform."""
    routes = _routes(platform)

    class Handler(BaseHTTPRequestHandler):
        server_version = f"edgefed-eam/{platform.operator.id}"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.command} {urlparse(self.path).path} {args[1] if len(args) > 1 else ''}\n")

        def _answer(self, status: int, body: object, headers: Mapping[str, str]) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            correlator = self.headers.get("x-correlator")
            if correlator:
                self.send_header("x-correlator", correlator)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _refuse(self, refusal: PlatformRefusalError) -> None:
            self._answer(
                refusal.status, {"status": refusal.status, "code": refusal.code, "message": refusal.message[:512]}, {}
            )

        def _serve(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                if not url.path.startswith(BASE_PATH + "/"):
                    raise PlatformRefusalError(404, "NOT_FOUND", f"{url.path} is not under {BASE_PATH}")
                path = url.path[len(BASE_PATH) :]
                matches = [(m, r) for r in routes if (m := r[1].fullmatch(path))]
                if not matches:
                    raise PlatformRefusalError(404, "NOT_FOUND", f"{url.path} is not a resource of this API")
                chosen = [(m, r) for m, r in matches if r[0] == self.command]
                if not chosen:
                    raise PlatformRefusalError(
                        405, "METHOD_NOT_ALLOWED", f"{self.command} is not allowed on {url.path}"
                    )
                match, route = chosen[0]
                caller = platform.authenticate(self.headers.get("Authorization"))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    raise PlatformRefusalError(400, "INVALID_ARGUMENT", "the body is not JSON") from None
                query = dict(parse_qsl(url.query))
                status, answer, headers = route[2](caller, query, body, *match.groups())
            except PlatformRefusalError as refusal:
                self._refuse(refusal)
                return
            except Exception as error:
                self._refuse(PlatformRefusalError(500, "INTERNAL", f"{type(error).__name__}: {error}"))
                return
            self._answer(status, answer, headers)

        do_GET = do_POST = do_DELETE = do_PATCH = _serve  # noqa: N815 - http.server's names

    return Handler


def serve(platform: OperatorPlatform, port: int, cert: Path, key: Path) -> None:
    """Serve until killed, on 127.0.0.1 only."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler(platform))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.serve_forever()


class LocalPlatform:
    """One operator's platform process in the local federation's folder."""

    def __init__(self, catalog: Catalog, catalog_path: Path, operator: Operator, state: Path, contracts: Path) -> None:
        if operator.platform_api is None:
            raise OpsError(f"operator {operator.id} offers no platform API (catalog platform_api)")
        self.catalog, self.catalog_path, self.operator, self.state = catalog, catalog_path, operator, state
        self.contracts = contracts
        self.url = operator.platform_api
        self.folder = state / "platform" / operator.id

    def port(self) -> int:
        """The catalog's loopback port of the platform."""
        url = urlparse(self.url)
        if url.hostname != "127.0.0.1" or url.port is None:
            raise OpsError(
                f"{self.operator.id}'s platform: a local platform serves on https://127.0.0.1:PORT, not {self.url}"
            )
        return url.port

    def running(self) -> bool:
        """Whether its process runs."""
        found = processes.load(self.folder / PROCESSES)
        return bool(found) and all(processes.is_ours(item) for item in found)

    def start(self) -> float:
        """Start it unless it runs; the seconds it took (0 when it ran)."""
        begin = time.monotonic()
        if self.running():
            return 0.0
        processes.stop(processes.load(self.folder / PROCESSES))
        (self.folder / PROCESSES).unlink(missing_ok=True)
        port = self.port()
        if ports.port_in_use(port):
            raise OpsError(
                f"federation: {self.operator.id}'s platform API {self.url} cannot start: 127.0.0.1:{port} is already "
                f"in use by another process. {ANOTHER_FEDERATION}"
            )
        pki.server_certificate(self.state / "ca", self.folder / "tls", f"{self.operator.id} platform API")
        args = [sys.executable, "-m", "edgefed_ops.local.platform_server", "--catalog", str(self.catalog_path),
                "--operator", self.operator.id, "--state", str(self.state),
                "--contracts", str(self.contracts)]  # fmt: skip
        log = self.folder / "platform.log"
        process = processes.spawn(args, log, detach=True)
        processes.save(self.folder / PROCESSES, [processes.record(process, sys.executable)])
        deadline = time.monotonic() + 30
        ca = str(self.state / "ca" / "ca.crt")
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise OpsError(f"{self.operator.id}'s platform API stopped at start; {processes.log_tail(log)}")
            try:
                httpx2.get(
                    self.url + BASE_PATH + "/edge-cloud-zones", verify=ssl.create_default_context(cafile=ca), timeout=2
                )
                return time.monotonic() - begin
            except httpx2.HTTPError:
                time.sleep(0.1)
        raise OpsError(f"{self.operator.id}'s platform API did not answer in 30 s; {processes.log_tail(log)}")

    def stop(self) -> None:
        """Stop its process."""
        processes.stop(processes.load(self.folder / PROCESSES))


def main(argv: list[str] | None = None) -> None:
    """Run one operator's platform (the federation starts it as a process of its own)."""
    parser = argparse.ArgumentParser(prog="edgefed_ops.local.platform_server")
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--operator", required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--contracts", type=Path, required=True, help="the operator's tenants' contracts")
    args = parser.parse_args(argv)
    catalog = load_catalog(args.catalog)
    operator = catalog.operator_by_id[args.operator]
    local = LocalPlatform(catalog, args.catalog, operator, args.state, args.contracts)
    zones = {
        z.id: args.state / "zones" / z.id / "operator.kubeconfig" for z in catalog.zones if z.operator == operator.id
    }
    platform = OperatorPlatform(catalog, operator, local.folder, zones, args.contracts)
    cert, key = local.folder / "tls" / "tls.crt", local.folder / "tls" / "tls.key"
    serve(platform, local.port(), cert, key)


if __name__ == "__main__":
    main()
