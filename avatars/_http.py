"""The client's HTTP core: credentials, retries, error mapping and streamed transfers.

Every call goes through a generated endpoint's public ``sync_detailed``; this module only
decides what header to send, when to send again, and what to raise. Downloads are the
exception: the generated functions read a body whole into memory, so :meth:`HttpCore.stream`
sends the GET itself on the same ``httpx.Client`` (same credentials, retries and errors).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from avatars_api.client import AuthenticatedClient
from avatars_api.types import Response

from avatars.errors import (
    ApiConnectionError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    error_class_for,
)
from avatars.retry import RetryPolicy

T = TypeVar("T")
API_KEY_SCHEME = "api-key-v1"
# Refresh this long before the access token expires (capped at a fifth of its lifetime).
_REFRESH_MARGIN_SECONDS = 30.0


class Credentials:
    """What goes into ``Authorization``: an API key, or tokens refreshed before they expire."""

    def __init__(self, api_key: str | None) -> None:
        self.api_key = api_key
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.refresh_after: float = float("inf")
        self.lock = threading.RLock()

    @property
    def present(self) -> bool:
        return self.api_key is not None or self.access_token is not None

    def header(self) -> str | None:
        if self.api_key is not None:
            return f"{API_KEY_SCHEME} {self.api_key}"
        if self.access_token is not None:
            return f"Bearer {self.access_token}"
        return None

    def set_tokens(self, access_token: str, refresh_token: str, expires_in: float) -> None:
        with self.lock:
            self.access_token = access_token
            self.refresh_token = refresh_token
            margin = min(_REFRESH_MARGIN_SECONDS, expires_in / 5)
            self.refresh_after = time.monotonic() + expires_in - margin

    def needs_refresh(self) -> bool:
        return self.refresh_token is not None and time.monotonic() >= self.refresh_after


class _HeaderAuth(httpx.Auth):
    """Adds the current credentials to each request, read at send time so refreshes apply."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        header = self.credentials.header()
        if header is not None and "authorization" not in request.headers:
            request.headers["Authorization"] = header
        yield request


def api_path(*segments: object) -> str:
    """``/api/a/b``, each segment percent-encoded whole (``/`` included): job, table and file
    names may hold any character, and must stay one path segment each."""
    return "/api/" + "/".join(quote(str(segment), safe="") for segment in segments)


def _operation(endpoint: Callable[..., Any]) -> str:
    return str(getattr(endpoint, "__module__", "request")).rsplit(".", 1)[-1]


def _detail(content: bytes) -> str:
    """The server's explanation from an error body: ``{"detail": str | [validation errors]}``."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        text = content.decode("utf-8", "replace").strip()
        return text[:500] or "no explanation given"
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                location = ".".join(str(p) for p in item.get("loc", [])[1:])
                parts.append(
                    f"{location}: {item.get('msg', '')}" if location else item.get("msg", "")
                )
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


def raise_for_status(
    status_code: int, content: bytes, headers: httpx.Headers, operation: str
) -> None:
    if status_code < 400:
        return
    detail = _detail(content)
    cls = error_class_for(status_code)
    raise cls(
        f"{operation} failed with HTTP {status_code}: {detail}",
        status_code=status_code,
        detail=detail,
        request_id=headers.get("x-request-id"),
    )


class HttpCore:
    """Sends generated-endpoint calls with credentials, retries and one error mapping."""

    def __init__(
        self,
        root_url: str,
        http: httpx.Client,
        *,
        retry: RetryPolicy,
        verify_auth: bool,
        api_key: str | None,
    ) -> None:
        self.root_url = root_url
        self.http = http
        self.retry = retry
        self.verify_auth = verify_auth
        self.credentials = Credentials(api_key)
        http.auth = _HeaderAuth(self.credentials)
        self.generated = AuthenticatedClient(base_url=root_url, token="")
        self.generated.set_httpx_client(http)
        self._refresher: Callable[[str], tuple[str, str, float]] | None = None

    def set_refresher(self, refresher: Callable[[str], tuple[str, str, float]]) -> None:
        """How to turn a refresh token into new tokens (the auth facade provides it)."""
        self._refresher = refresher

    # -- calls ---------------------------------------------------------------------------------

    def call(
        self,
        endpoint: Callable[..., Response[Any]],
        expected: type[T],
        *,
        idempotent: bool,
        authenticated: bool = True,
        rewind: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """Call ``endpoint`` (a generated ``sync_detailed``) and return its parsed body."""
        response = self.send(
            endpoint, idempotent=idempotent, authenticated=authenticated, rewind=rewind, **kwargs
        )
        parsed = response.parsed
        if not isinstance(parsed, expected):
            raise ApiStatusError(
                f"{_operation(endpoint)}: unexpected response body from the server",
                status_code=int(response.status_code),
                detail=response.content.decode("utf-8", "replace")[:500],
            )
        return parsed

    def send(
        self,
        endpoint: Callable[..., Response[Any]],
        *,
        idempotent: bool,
        authenticated: bool = True,
        rewind: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> Response[Any]:
        if authenticated:
            self.ensure_credentials()

        def attempt() -> tuple[int, bytes, httpx.Headers, Response[Any]]:
            if rewind is not None:
                rewind()
            result = endpoint(client=self.generated, **kwargs)
            return int(result.status_code), result.content, httpx.Headers(result.headers), result

        operation = _operation(endpoint)
        status, content, headers, response = self._with_retries(attempt, idempotent, operation)
        if status == 401 and authenticated and self._can_refresh():
            self.refresh()
            status, content, headers, response = self._with_retries(attempt, idempotent, operation)
        raise_for_status(status, content, headers, operation)
        return response

    @contextmanager
    def stream(self, path: str, *, operation: str) -> Iterator[httpx.Response]:
        """Open a streamed GET of ``path`` (from :func:`api_path`), retried like any call."""
        self.ensure_credentials()

        def open_stream() -> tuple[int, bytes, httpx.Headers, httpx.Response]:
            http_request = self.http.build_request("GET", path)
            response = self.http.send(http_request, stream=True)
            if response.status_code >= 400 or response.status_code in self.retry.retry_statuses:
                content = response.read()
                response.close()
                return response.status_code, content, response.headers, response
            return response.status_code, b"", response.headers, response

        status, content, headers, response = self._with_retries(open_stream, True, operation)
        if status == 401 and self._can_refresh():
            self.refresh()
            status, content, headers, response = self._with_retries(open_stream, True, operation)
        raise_for_status(status, content, headers, operation)
        try:
            yield response
        except httpx.TimeoutException as exc:
            raise ApiTimeoutError(f"{operation}: the server stopped sending ({exc})") from exc
        except httpx.TransportError as exc:
            raise ApiConnectionError(f"{operation}: the transfer broke off ({exc})") from exc
        finally:
            response.close()

    def download_to(self, path: str, destination: Path, *, operation: str) -> Path:
        """Stream a response body into ``destination``, which appears only when complete."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        try:
            with self.stream(path, operation=operation) as response, partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
            partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
        return destination

    # -- credentials ---------------------------------------------------------------------------

    def ensure_credentials(self) -> None:
        if self.verify_auth and not self.credentials.present:
            raise AuthenticationError(
                "You are not authenticated: call authenticate(username, password) "
                "or pass api_key=...",
                status_code=401,
                detail="no credentials set on the client",
            )
        if self.credentials.needs_refresh() and self._refresher is not None:
            self.refresh()

    def _can_refresh(self) -> bool:
        return self.credentials.refresh_token is not None and self._refresher is not None

    def refresh(self) -> None:
        with self.credentials.lock:
            token = self.credentials.refresh_token
            if token is None or self._refresher is None:
                raise AuthenticationError(
                    "the session expired: authenticate again",
                    status_code=401,
                    detail="no refresh token",
                )
            try:
                access, refresh, expires_in = self._refresher(token)
            except AuthenticationError as exc:
                self.credentials.access_token = None
                self.credentials.refresh_token = None
                raise AuthenticationError(
                    "the session expired and could not be refreshed: authenticate again",
                    status_code=401,
                    detail=exc.detail,
                ) from exc
            self.credentials.set_tokens(access, refresh, expires_in)

    # -- retries -------------------------------------------------------------------------------

    def _with_retries(
        self,
        attempt: Callable[[], tuple[int, bytes, httpx.Headers, T]],
        idempotent: bool,
        operation: str,
    ) -> tuple[int, bytes, httpx.Headers, T]:
        policy = self.retry
        for number in range(policy.max_attempts):
            last = number == policy.max_attempts - 1
            try:
                result = attempt()
            except httpx.TransportError as exc:
                if last or not policy.should_retry_exception(exc, idempotent=idempotent):
                    raise self._connection_error(exc, operation) from exc
                time.sleep(policy.backoff(number))
                continue
            status, _content, headers, _response = result
            if idempotent and status in policy.retry_statuses and not last:
                time.sleep(policy.wait_for(headers, number))
                continue
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _connection_error(self, exc: httpx.TransportError, operation: str) -> ApiConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeoutError(
                f"{operation}: no answer from {self.root_url} within the timeout ({exc!r})"
            )
        return ApiConnectionError(f"{operation}: could not reach {self.root_url} ({exc!r})")
