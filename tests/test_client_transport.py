"""Timeouts, retries and connection errors of ApiClient, against the real server.

Faults are injected by wrapping the real HTTP transport (or by a socket that never answers);
the answers themselves always come from the real server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from avatars import (
    ApiClient,
    ApiConnectionError,
    ApiTimeoutError,
    AuthenticationError,
    ClientConfig,
    Manager,
    NoServerError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from avatars.retry import parse_retry_after
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, free_port


class FaultInjectingTransport(httpx.BaseTransport):
    """Answers the first ``failures`` requests with ``status`` itself, then passes through."""

    def __init__(self, failures: int, status: int, retry_after: str | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.failures = failures
        self.status = status
        self.retry_after = retry_after
        self.seen: list[tuple[str, float]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, time.monotonic()))
        if self.failures > 0:
            self.failures -= 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return httpx.Response(self.status, headers=headers, json={"detail": "injected"})
        return self.inner.handle_request(request)


FAST = RetryPolicy(max_attempts=4, backoff_seconds=0.05, max_backoff_seconds=0.2)


def _client(
    server: ServerProcess, transport: httpx.BaseTransport, retry: RetryPolicy = FAST
) -> ApiClient:
    return ApiClient(server.base_url, http_client=httpx.Client(transport=transport), retry=retry)


def test_idempotent_calls_retry_503_and_honour_retry_after(server: ServerProcess) -> None:
    transport = FaultInjectingTransport(failures=2, status=503, retry_after="1")
    with _client(server, transport) as client:
        assert client.health.get_health().status == "ok"
    times = [t for _, t in transport.seen]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.95  # waited what Retry-After asked


def test_429_retried_then_reported(server: ServerProcess) -> None:
    transport = FaultInjectingTransport(failures=10, status=429, retry_after="0")
    with _client(server, transport) as client, pytest.raises(RateLimitError):
        client.health.get_health()
    assert len(transport.seen) == FAST.max_attempts


def test_non_idempotent_calls_are_not_retried_on_503(server: ServerProcess) -> None:
    transport = FaultInjectingTransport(failures=1, status=503)
    with _client(server, transport) as client, pytest.raises(ServerError) as error:
        client.auth.forgotten_password("someone@example.org")
    assert error.value.status_code == 503
    assert len(transport.seen) == 1


def test_retries_cover_authenticated_calls_and_login(server: ServerProcess) -> None:
    transport = FaultInjectingTransport(failures=1, status=503, retry_after="0")
    with _client(server, transport) as client:
        client.authenticate("admin", ADMIN_PASSWORD)
        transport.failures = 2
        assert client.users.get_me().username == "admin"


def test_a_wrong_base_url_says_which_url_and_what_it_should_be(server: ServerProcess) -> None:
    """``/apx`` instead of ``/api``: the client tried ``.../apx/api`` (it adds ``/api``), no
    avatars server answered there, and one does answer at ``/api`` on that host."""
    wrong = f"{server.root_url}/apx"
    with pytest.raises(NoServerError) as error:
        Manager(base_url=wrong, api_key="avat_whatever")
    message = str(error.value)
    assert f"no avatars server answered at {wrong}/api (HTTP 404: Not Found)" in message
    assert "with or without /api (the client adds /api when it is missing)" in message
    assert f"An avatars server does answer at {server.base_url}: use that" in message
    assert "check_client" not in message
    # Without the compatibility check, the first request (signing in) says the same.
    with ApiClient(wrong) as client, pytest.raises(NoServerError, match=r"^signing in failed"):
        client.authenticate("admin", ADMIN_PASSWORD)


def test_an_unknown_object_is_not_a_wrong_url(server: ServerProcess) -> None:
    """A 404 naming an object of the API stays a NotFoundError in the user's words."""
    with ApiClient(server.base_url) as client:
        client.authenticate("admin", ADMIN_PASSWORD)
        with pytest.raises(NotFoundError) as error:
            client.jobs.get_job("no-such-job")
    assert str(error.value) == "reading a job's status failed: job no-such-job not found (HTTP 404)"


def test_errors_say_what_the_user_was_doing(server: ServerProcess) -> None:
    """No error names a generated function (``login``, ``get_me``, ``check_client``...): each
    operation of the API has words, and they are used."""
    import pkgutil

    import avatars_api.api

    from avatars._http import OPERATION_WORDS

    operations = {
        module.name
        for package in pkgutil.iter_modules(avatars_api.api.__path__)
        for module in pkgutil.iter_modules([f"{avatars_api.api.__path__[0]}/{package.name}"])
    }
    assert operations == set(OPERATION_WORDS)
    with ApiClient(server.base_url) as client, pytest.raises(AuthenticationError) as error:
        client.authenticate("admin", "not the password")
    assert str(error.value) == ("signing in failed: incorrect username or password (HTTP 401)")


def test_connection_refused_is_a_connection_error() -> None:
    client = ApiClient(f"http://127.0.0.1:{free_port()}/api", retry=FAST)
    with client, pytest.raises(ApiConnectionError, match="could not reach"):
        client.health.get_health()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_timeout_really_applies(silent_server: int) -> None:
    with ApiClient(
        f"http://127.0.0.1:{silent_server}/api", timeout=0.5, retry=RetryPolicy.none()
    ) as client:
        start = time.monotonic()
        with pytest.raises(ApiTimeoutError):
            client.health.get_health()
        assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080"),
        (" https://host/api/ ", "https://host"),
        ("https://host/prefix/api", "https://host/prefix"),
        ("http://api", "http://api"),
    ],
)
def test_one_url_rule(given: str, root: str) -> None:
    """ApiClient and ClientConfig (so Manager, AVATAR_BASE_URL and --base-url) read a URL
    the same way: the server root, with or without ``/api``."""
    with ApiClient(given) as client:
        assert client.base_url == f"{root}/api"
    assert ClientConfig(base_url=given).base_url == root
    assert ClientConfig(base_url=given).api_url == f"{root}/api"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("127.0.0.1:8080/api", "expected an http:// or https:// URL"),
        ("ftp://host/api", "expected an http:// or https:// URL"),
        ("http:///api", "no host"),
        ("http://host:port/api", "the port is not a number"),
        ("http://host/api?x=1", "a query or fragment is not allowed"),
        ('http://host/"api"', "quotes and spaces are not allowed in a URL"),
    ],
)
def test_bad_url_named_in_the_error(given: str, reason: str) -> None:
    for make in (ApiClient, lambda url: ClientConfig(base_url=url)):
        with pytest.raises(ValueError) as error:
            make(given)
        assert str(error.value) == f"base_url {given!r}: {reason}"


@pytest.mark.parametrize(
    ("value", "expected"), [("3", 3.0), ("0.5", 0.5), (None, None), ("soon", None)]
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    from email.utils import formatdate

    seconds = parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert seconds is not None and 25 < seconds <= 31


def test_one_client_version_everywhere() -> None:
    """The package version, the User-Agent the server judges compatibility from and the
    annotations of stored runs come from one helper."""
    import avatars
    from avatars.client import USER_AGENT
    from avatars.runner import Runner
    from avatars.version import client_version

    version = client_version()
    assert avatars.__version__ == version
    assert USER_AGENT.split("/") == ["avatars-python", version]
    with ApiClient("http://127.0.0.1:9/api") as client:
        runner = Runner(client, "versioned")
    assert runner.config.annotations is not None
    assert runner.config.annotations["client_version"] == version


def test_download_paths_quote_each_segment_whole() -> None:
    """Streamed downloads build their own path; a name keeps to one segment whatever it holds."""
    from avatars._http import api_path

    assert api_path("results", "job 1", "files", "a/b é?.csv") == (
        "/api/results/job%201/files/a%2Fb%20%C3%A9%3F.csv"
    )


def test_facades_use_only_the_public_generated_api() -> None:
    """No ``_get_kwargs``, ``_parse_response``... of ``avatars_api``: they change with each
    ``make codegen`` without notice."""
    import ast
    from pathlib import Path

    import avatars

    offences = []
    for path in sorted(Path(avatars.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        generated: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("avatars_api"):
                for alias in node.names:
                    generated.add(alias.asname or alias.name)
                    if alias.name.startswith("_"):
                        offences.append(f"{path.name}: imports {alias.name}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and isinstance(node.value, ast.Name)
                and node.value.id in generated
            ):
                offences.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert offences == []
