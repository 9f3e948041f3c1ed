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
    NoServerError,
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


OPERATION_WORDS: dict[str, str] = {
    "check_client": "checking that the server works with this client",
    "login": "signing in",
    "refresh": "renewing the session",
    "forgotten_password": "asking for a password reset",
    "reset_password": "resetting the password",
    "get_me": "reading your account",
    "list_users": "listing the users",
    "create_user": "creating a user",
    "get_user": "reading a user",
    "create_api_key": "creating an API key",
    "list_api_keys": "listing your API keys",
    "delete_api_key": "revoking an API key",
    "upload_dataset": "uploading the table",
    "list_datasets": "listing your datasets",
    "get_dataset": "reading a dataset",
    "download_dataset": "downloading a dataset",
    "delete_dataset": "deleting a dataset",
    "get_health": "checking the server's health",
    "get_health_db": "checking the server's database",
    "put_resources": "storing the run's configuration",
    "get_resources": "reading a run's configuration",
    "list_resources": "listing your runs",
    "create_job": "starting a job",
    "list_jobs": "listing your jobs",
    "get_job": "reading a job's status",
    "cancel_job": "cancelling a job",
    "delete_job": "deleting a job",
    "bulk_delete_jobs": "deleting jobs",
    "get_results": "listing a job's results",
    "download_result": "downloading a result file",
}
"""What each API operation (a generated endpoint module) does, in the words of the person
using the client: errors say "signing in failed", not the name of the function that was
called. Every operation of the API has an entry (``tests/test_client_transport.py``)."""


def describe_operation(operation: str) -> str:
    """The user's words for ``operation``; an operation without any (a newer server's) reads
    as its name with spaces."""
    return OPERATION_WORDS.get(operation, operation.replace("_", " "))


def _operation(endpoint: Callable[..., Any]) -> str:
    return str(getattr(endpoint, "__module__", "request")).rsplit(".", 1)[-1]


def _is_missing_route(status_code: int, content: bytes) -> bool:
    """A 404 that is not the API's "no such object": the server's own 404s always explain
    which object (``job ... not found``), while a path the server has no route for gets the
    web framework's bare ``Not Found`` (or another server's HTML page)."""
    if status_code != 404:
        return False
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return True
    return not isinstance(body, dict) or body.get("detail") in (None, "Not Found")


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
    """Raise the error class of ``status_code`` with the server's explanation, worded as what
    the user was doing (``signing in failed: incorrect username or password (HTTP 401)``)."""
    if status_code < 400:
        return
    detail = _detail(content)
    cls = error_class_for(status_code)
    raise cls(
        f"{describe_operation(operation)} failed: {detail} (HTTP {status_code})",
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
                f"{describe_operation(_operation(endpoint))}: unexpected answer from the server",
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

        operation = _operation(endpoint)

        def attempt() -> tuple[int, bytes, httpx.Headers, Response[Any]]:
            if rewind is not None:
                rewind()
            try:
                result = endpoint(client=self.generated, **kwargs)
            except json.JSONDecodeError:  # the generated parser met a body that is not JSON
                raise self.no_server(operation, "its answer is not JSON") from None
            return int(result.status_code), result.content, httpx.Headers(result.headers), result

        status, content, headers, response = self._with_retries(attempt, idempotent, operation)
        if status == 401 and authenticated and self._can_refresh():
            self.refresh()
            status, content, headers, response = self._with_retries(attempt, idempotent, operation)
        self.raise_for_status(status, content, headers, operation)
        return response

    def raise_for_status(
        self, status_code: int, content: bytes, headers: httpx.Headers, operation: str
    ) -> None:
        """:func:`raise_for_status`, except that a 404 for a missing route, where no avatars
        server answers its health check either, means the base URL is wrong, which is said as
        such (:meth:`no_server`)."""
        if _is_missing_route(status_code, content) and not self._answers_as_avatars(
            f"{self.root_url}/api/health"
        ):
            raise self.no_server(operation, f"HTTP {status_code}: {_detail(content)}")
        raise_for_status(status_code, content, headers, operation)

    def no_server(self, operation: str, answer: str) -> NoServerError:
        """The error for a base URL where no avatars API answers: which URL was tried, what a
        base URL looks like, and where an avatars server does answer on the same host, if one
        does (asked only now, on this error path)."""
        api_url = f"{self.root_url}/api"
        parts = httpx.URL(self.root_url)
        host_api = f"{parts.scheme}://{parts.netloc.decode('ascii')}/api"
        found = ""
        if host_api != api_url and self._answers_as_avatars(f"{host_api}/health"):
            found = f" An avatars server does answer at {host_api}: use that as the base URL."
        return NoServerError(
            f"{describe_operation(operation)} failed: no avatars server answered at {api_url} "
            f"({answer}). A base URL is the server's address, with or without /api (the "
            "client adds /api when it is missing): http://127.0.0.1:8080/api, "
            f"https://avatars.example.org, or https://host/prefix/api behind a proxy.{found}"
        )

    def _answers_as_avatars(self, health_url: str) -> bool:
        try:
            answer = self.http.get(health_url, timeout=5.0, auth=None)  # no credentials
            body = answer.json()
        except (httpx.HTTPError, ValueError):
            return False
        return answer.status_code == 200 and isinstance(body, dict) and "status" in body

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
        self.raise_for_status(status, content, headers, operation)
        words = describe_operation(operation)
        try:
            yield response
        except httpx.TimeoutException as exc:
            raise ApiTimeoutError(f"{words}: the server stopped sending ({exc})") from exc
        except httpx.TransportError as exc:
            raise ApiConnectionError(f"{words}: the transfer broke off ({exc})") from exc
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
        words = describe_operation(operation)
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeoutError(
                f"{words}: no answer from {self.root_url} within the timeout ({exc!r})"
            )
        return ApiConnectionError(f"{words}: could not reach {self.root_url} ({exc!r})")
