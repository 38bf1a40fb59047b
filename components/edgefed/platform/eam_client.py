"""The one client edgefed reaches an operator's CAMARA Edge Application Management API with.

Over HTTPS (the federation's CA or the system's), with the caller's bearer token, a timeout on every call.
Each answer is checked against the pinned document's shapes (:mod:`edgefed.core.inputs.eam`) before
anything uses it; whatever goes wrong is one :class:`PlatformError` naming the endpoint, and the field or
the platform's own ``code`` and ``message``, never a traceback. The token never appears in an error.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from edgefed.core.inputs.eam import (
    BASE_PATH,
    MAX_PER_PAGE,
    AppInstanceInfo,
    AppManifest,
    AppManifestInfo,
    EdgeCloudZone,
    EdgeCloudZoneList,
    ErrorInfo,
    SubmittedApp,
)
from edgefed.core.inputs.errors import join_path

WireT = TypeVar("WireT", bound=BaseModel)

DEFAULT_TIMEOUT = 10.0
"""Seconds a platform has to answer one call: long enough for a loaded platform, short enough for a deploy."""


class PlatformError(RuntimeError):
    """A platform call that failed: the message names the endpoint and what was wrong."""

    def __init__(self, endpoint: str, problem: str, *, status: int | None = None, code: str | None = None) -> None:
        self.endpoint, self.problem, self.status, self.code = endpoint, problem, status, code
        super().__init__(f"{endpoint}: {problem}")


def _first_problem(error: ValidationError, prefix: str) -> str:
    first = error.errors()[0]
    where = join_path([prefix, *first["loc"]] if prefix else first["loc"])
    found = first.get("input")
    shown = "" if isinstance(found, dict | list) else f" (found {json.dumps(found, default=str)[:80]})"
    more = len(error.errors()) - 1
    return f"{where}: {str(first['msg']).removeprefix('Value error, ')}{shown}" + (
        f"; and {more} more problem(s)" if more else ""
    )


class EamClient:
    """Calls to one operator's EAM API root (``https://HOST[:PORT]``; the document's base path is added)."""

    def __init__(
        self,
        root: str,
        token: str,
        *,
        ca_file: Path | None = None,
        ca_pem: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.root = root.rstrip("/")
        self.base = self.root if self.root.endswith(BASE_PATH) else self.root + BASE_PATH
        if not self.base.startswith("https://"):
            raise PlatformError(root, "a platform is reached over HTTPS only (its token is a credential)")
        # The platform's certificate is checked against the CA given (file or PEM), else the system's.
        verify = ssl.create_default_context(cafile=str(ca_file) if ca_file else None, cadata=ca_pem or None)
        self._http = httpx2.Client(
            base_url=self.base,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            verify=verify,
            follow_redirects=False,
        )

    def __enter__(self) -> EamClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._http.close()

    # -- one call -------------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: object = None
    ) -> httpx2.Response:
        request = self._http.build_request(method, path, params=dict(params or {}), json=body)
        endpoint = f"{method} {request.url}"
        try:
            answer = self._http.send(request)
        except httpx2.TimeoutException:
            raise PlatformError(endpoint, f"no answer within {self._http.timeout.read} s (timed out)") from None
        except httpx2.HTTPError as error:
            raise PlatformError(endpoint, f"cannot be reached: {error}") from None
        if answer.status_code >= 400:
            raise self._refusal(endpoint, answer)
        return answer

    @staticmethod
    def _refusal(endpoint: str, answer: httpx2.Response) -> PlatformError:
        try:
            info = ErrorInfo.model_validate_json(answer.content)
        except ValidationError:
            text = answer.text.strip().replace("\n", " ")[:200] or "no body"
            return PlatformError(endpoint, f"HTTP {answer.status_code} without a CAMARA ErrorInfo body: {text}",
                                 status=answer.status_code)  # fmt: skip
        return PlatformError(
            endpoint,
            f"HTTP {answer.status_code} {info.code}: {info.message}",
            status=answer.status_code,
            code=info.code,
        )

    @staticmethod
    def _read(endpoint: str, answer: httpx2.Response, model: type[WireT], prefix: str = "") -> WireT:
        try:
            return model.model_validate_json(answer.content)
        except ValidationError as error:
            if error.errors()[0]["type"] == "json_invalid":
                return_problem = f"the answer is not JSON ({answer.content[:60]!r}...)"
                raise PlatformError(endpoint, return_problem) from None
            raise PlatformError(endpoint, _first_problem(error, prefix)) from None

    @staticmethod
    def _read_list(endpoint: str, answer: httpx2.Response, model: type[WireT]) -> list[WireT]:
        try:
            items = json.loads(answer.content)
        except ValueError:
            raise PlatformError(endpoint, f"the answer is not JSON ({answer.content[:60]!r}...)") from None
        if not isinstance(items, list):
            raise PlatformError(endpoint, f"<root>: is a {type(items).__name__}, the document says an array")
        found = []
        for index, item in enumerate(items):
            try:
                found.append(model.model_validate(item))
            except ValidationError as error:
                raise PlatformError(endpoint, _first_problem(error, f"[{index}]")) from None
        return found

    # -- zones ----------------------------------------------------------------------------------------------

    def zones(
        self, *, country: str | None = None, status: str | None = None, per_page: int = MAX_PER_PAGE
    ) -> list[EdgeCloudZone]:
        """Every zone the platform lists (every page), optionally filtered by the platform.

        The pages must agree with each other: the same total, the page asked for, every page full but the
        last, no zone twice. A platform whose answer stops short of its own total is refused, naming the
        page: an import must never take part of an operator's zones for all of them.
        """
        filters = {key: value for key, value in (("countryCode", country), ("status", status)) if value}
        zones: list[EdgeCloudZone] = []
        seen: dict[str, int] = {}
        page, total_pages, total_count = 1, 1, None
        while page <= total_pages:
            answer = self._call("GET", "/edge-cloud-zones", params={**filters, "page": page, "perPage": per_page})
            endpoint = f"GET {answer.request.url}"
            found = self._read(endpoint, answer, EdgeCloudZoneList)
            paging = found.pagination
            if paging.page != page:
                raise PlatformError(endpoint, f"pagination.page: {paging.page}, but page {page} was asked for")
            if page == 1:
                total_count = paging.total_count
                total_pages = self._total_pages(endpoint, paging.total_pages, total_count, paging.per_page)
            elif paging.total_count != total_count:
                raise PlatformError(
                    endpoint,
                    f"pagination.totalCount: {paging.total_count} on page {page}, {total_count} on page 1: "
                    "the zones changed while paging; import again",
                )
            self._check_headers(endpoint, answer, total_count)
            for index, zone in enumerate(found.edge_cloud_zones):
                where = f"page {page}, edgeCloudZones[{index}].edgeCloudZoneId"
                if zone.edge_cloud_zone_id in seen:
                    raise PlatformError(
                        endpoint,
                        f"{where}: zone {zone.edge_cloud_zone_id} ({zone.edge_cloud_zone_name}) is listed twice "
                        f"(first as zone {seen[zone.edge_cloud_zone_id] + 1} of the answer)",
                    )
                seen[zone.edge_cloud_zone_id] = len(zones)
                zones.append(zone)
            last = page == total_pages
            if not last and len(found.edge_cloud_zones) != paging.per_page:
                raise PlatformError(
                    endpoint,
                    f"edgeCloudZones: {len(found.edge_cloud_zones)} zones on page {page} of {total_pages}, "
                    f"every page but the last carries perPage={paging.per_page}: the answer is truncated",
                )
            page += 1
        if total_count is not None and len(zones) != total_count:
            raise PlatformError(
                f"GET {self.base}/edge-cloud-zones",
                f"pagination.totalCount: {total_count} zones announced, {len(zones)} received over "
                f"{total_pages} page(s): the answer is truncated",
            )
        return zones

    @staticmethod
    def _total_pages(endpoint: str, pages: int | None, count: int | None, per_page: int) -> int:
        if count is None or pages is None:
            # The document lets a platform omit both; then nothing tells a short answer from a truncated one.
            raise PlatformError(
                endpoint,
                "pagination.totalCount and totalPages: missing; edgefed imports only an answer that says how "
                "many zones there are, so that a truncated one is never taken for all of them",
            )
        expected = -(-count // per_page)
        if pages != expected:
            raise PlatformError(
                endpoint, f"pagination.totalPages: {pages}, but totalCount {count} at perPage {per_page} is {expected}"
            )
        return pages

    @staticmethod
    def _check_headers(endpoint: str, answer: httpx2.Response, total_count: int | None) -> None:
        header = answer.headers.get("x-total-count")
        if header is not None and total_count is not None and header.strip() != str(total_count):
            raise PlatformError(endpoint, f"x-total-count: {header!r}, but pagination.totalCount is {total_count}")

    # -- apps and instances ---------------------------------------------------------------------------------

    def submit_app(self, manifest: AppManifest) -> str:
        """Submit an app; its platform id."""
        body = manifest.model_dump(mode="json", by_alias=True)
        answer = self._call("POST", "/apps", body=body)
        return self._read(f"POST {self.base}/apps", answer, SubmittedApp).app_id

    def app(self, app_id: str) -> AppManifestInfo | None:
        """The app as the platform has it; None when it has none with this id."""
        endpoint = f"GET {self.base}/apps/{app_id}"
        try:
            answer = self._call("GET", f"/apps/{app_id}")
        except PlatformError as error:
            if error.status == 404:
                return None
            raise
        try:
            document = json.loads(answer.content)
        except ValueError:
            raise PlatformError(endpoint, "the answer is not JSON") from None
        if not isinstance(document, dict):
            raise PlatformError(endpoint, f"<root>: is a {type(document).__name__}, the document says an object")
        # The pinned document answers the AppManifestInfo itself; r1.1 wrapped it in appManifest.
        wrapped = "appManifest" in document and "appId" not in document
        try:
            return AppManifestInfo.model_validate({**document["appManifest"], "appId": app_id} if wrapped else document)
        except ValidationError as error:
            raise PlatformError(endpoint, _first_problem(error, "appManifest" if wrapped else "")) from None

    def apps(self) -> list[AppManifestInfo]:
        """The caller's apps."""
        answer = self._call("GET", "/apps")
        return self._read_list(f"GET {self.base}/apps", answer, AppManifestInfo)

    def delete_app(self, app_id: str) -> None:
        """Delete an app (gone already: done)."""
        try:
            self._call("DELETE", f"/apps/{app_id}")
        except PlatformError as error:
            if error.status != 404:
                raise

    def create_instance(self, name: str, app_id: str, zone_id: str) -> AppInstanceInfo:
        """Ask for an instance of ``app_id`` in the zone ``zone_id``; the platform's answer (accepted, not ready)."""
        body = {"name": name, "appId": app_id, "edgeCloudZoneId": zone_id}
        answer = self._call("POST", "/app-instances", body=body)
        return self._read(f"POST {self.base}/app-instances", answer, AppInstanceInfo)

    def instance(self, instance_id: str) -> AppInstanceInfo | None:
        """An instance as the platform has it now; None when it has none with this id."""
        try:
            answer = self._call("GET", f"/app-instances/{instance_id}")
        except PlatformError as error:
            if error.status == 404:
                return None
            raise
        return self._read(f"GET {self.base}/app-instances/{instance_id}", answer, AppInstanceInfo)

    def instances(self, app_id: str | None = None) -> list[AppInstanceInfo]:
        """The caller's instances, of one app or all."""
        answer = self._call("GET", "/app-instances", params={"appId": app_id} if app_id else None)
        return self._read_list(f"GET {self.base}/app-instances", answer, AppInstanceInfo)

    def delete_instance(self, instance_id: str) -> None:
        """Terminate an instance (gone already: done)."""
        try:
            self._call("DELETE", f"/app-instances/{instance_id}")
        except PlatformError as error:
            if error.status != 404:
                raise
