"""Request bodies are bounded before they are read, and credentials checked before the body.

A body the server reads whole costs its memory before anything can refuse it: 200 MiB of JSON
to ``/api/refresh`` raised a server by a gigabyte. Every route but the uploads now refuses a
body over ``AVATAR_MAX_REQUEST_BODY_BYTES`` with 413 as soon as the bound is passed (at once
when a declared ``Content-Length`` is over it), and authenticated routes answer 401 before
reading a byte of it. Memory is measured as the server process's peak resident size.

The server here has a smaller bound than the default, to show the setting takes effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.routes import (
    api_keys,
    auth,
    compatibility,
    datasets,
    health,
    jobs,
    resources,
    results,
    users,
)
from avatar_server.spec import openapi_document
from tests.raw_http import RawResponse, json_string_body, repeated, request
from tests.server import ServerProcess

PASSWORD = "admin-password-bounds"
BODY_LIMIT = 256 * 1024
MiB = 1024 * 1024
HUGE = 200 * MiB
RSS_GROWTH_LIMIT = 50 * MiB
SHORT_ANSWER = 4096
# What the client can write before a server that stopped reading blocks it: the kernel's
# socket buffers of both ends (a few MiB each on loopback), far below the bodies sent.
SOCKET_BUFFERS = 16 * MiB
ROUTE_MODULES = (api_keys, auth, compatibility, datasets, health, jobs, resources, results, users)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("bounds") / "home",
        admin_password=PASSWORD,
        workers=0,
        max_request_body_bytes=BODY_LIMIT,
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def admin_token(server: ServerProcess) -> str:
    answer = httpx.post(
        f"{server.base_url}/login", data={"username": "admin", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def peak_rss(pid: int) -> int:
    """The process's peak resident set size so far (``VmHWM``), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def send_measured(server: ServerProcess, path: str, mode: str) -> tuple[RawResponse, int]:
    """200 MiB of JSON to ``path`` without credentials, sent as ``mode`` says; the answer and
    how much the server's peak memory grew meanwhile."""
    assert server.process is not None
    json_headers = {"Content-Type": "application/json"}
    before = peak_rss(server.process.pid)
    body = json_string_body("refresh_token", HUGE)
    if mode == "chunked":  # no Content-Length: only counting the bytes can stop it
        answer = request(server.port, "POST", path, body, headers=json_headers)
    elif mode == "honest length":
        answer = request(
            server.port, "POST", path, body, headers=json_headers, content_length=HUGE + 19
        )
    else:  # "declared length only": the server must answer without waiting for the body
        answer = request(
            server.port, "POST", path, [b'{"r'], headers=json_headers, content_length=HUGE
        )
    return answer, peak_rss(server.process.pid) - before


@pytest.mark.parametrize("mode", ["chunked", "honest length", "declared length only"])
@pytest.mark.parametrize("path", ["/api/refresh", "/api/users", "/api/login/reset_password"])
def test_200_mib_without_credentials_is_refused_before_it_is_read(
    server: ServerProcess, path: str, mode: str
) -> None:
    answer, growth = send_measured(server, path, mode)
    assert answer.status in (401, 413), answer
    assert growth < RSS_GROWTH_LIMIT, f"server peak memory grew by {growth / MiB:.0f} MiB"
    assert answer.bytes_sent < BODY_LIMIT + SOCKET_BUFFERS, f"{answer.bytes_sent} bytes sent"
    detail = answer.json()["detail"]
    if answer.status == 413:
        assert f"{BODY_LIMIT} bytes" in detail and "AVATAR_MAX_REQUEST_BODY_BYTES" in detail
    else:
        assert path == "/api/users"


def test_credentials_are_checked_before_the_body(server: ServerProcess) -> None:
    """An authenticated route answers 401 before it reads a byte of the body: the length of a
    body under the bound is declared and nothing sent, so a server waiting for the body to
    check the credentials would never answer."""
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = request(
            server.port,
            "POST",
            "/api/users",
            headers={"Content-Type": "application/json", **headers},
            content_length=BODY_LIMIT // 2,
        )
        assert answer.status == 401, answer
        assert answer.headers["www-authenticate"] == "Bearer"


def test_the_bound_counts_bytes_not_declared_lengths(
    server: ServerProcess, admin_token: str
) -> None:
    """Under the bound, a body is read and handled as before; over it, chunked, it is 413."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    name = f"u-{uuid.uuid4().hex[:8]}"
    created = httpx.post(
        f"{server.base_url}/users",
        json={"username": name, "email": f"{name}@example.org", "password": "long-enough-pw"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    answer = request(
        server.port,
        "POST",
        "/api/api-keys",
        json_string_body("name", BODY_LIMIT + 1),
        headers={"Content-Type": "application/json", **headers},
    )
    assert answer.status == 413, answer
    assert answer.bytes_sent < BODY_LIMIT + SOCKET_BUFFERS


def test_a_20_mib_refresh_token_gets_a_short_answer(server: ServerProcess) -> None:
    answer = httpx.post(f"{server.base_url}/refresh", json={"refresh_token": "x" * (20 * MiB)})
    assert answer.status_code == 413
    assert len(answer.content) < SHORT_ANSWER, len(answer.content)


def test_validation_errors_quote_a_short_excerpt(server: ServerProcess, admin_token: str) -> None:
    """FastAPI's 422 echoes each rejected input; a long one is cut, saying how long it was."""
    token = "y" * (BODY_LIMIT - 100)
    answer = httpx.post(f"{server.base_url}/refresh", json={"refresh_token": token})
    assert answer.status_code == 422
    assert len(answer.content) < SHORT_ANSWER, len(answer.content)
    (error,) = answer.json()["detail"]
    assert error["input"].startswith("yyyy") and f"{len(token)} characters" in error["input"]

    long_list = ["z" * 1000] * 200  # many long inputs in one body: each is cut
    answer = httpx.post(
        f"{server.base_url}/jobs/bulk-delete",
        json={"job_names": long_list},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert answer.status_code == 422
    assert len(answer.content) < 4 * SHORT_ANSWER, len(answer.content)


def test_sign_in_forms_are_bounded(server: ServerProcess) -> None:
    answer = request(
        server.port,
        "POST",
        "/api/login",
        [b"username=admin&password=", *repeated(b"p", HUGE)],
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 413, answer
    assert answer.bytes_sent < BODY_LIMIT + SOCKET_BUFFERS
    assert server.log().count("Traceback") == 0


def test_every_route_with_a_body_is_bounded_and_says_413() -> None:
    """A route FastAPI reads a body for is a :class:`BoundedRoute` (its routers are made with
    it), and the contract documents its 413, so clients and the fuzzer expect it."""
    document = openapi_document()
    with_body = 0
    for module in ROUTE_MODULES:
        for route in module.router.routes:
            if isinstance(route, APIRoute) and route.body_field is not None:
                with_body += 1
                assert isinstance(route, BoundedRoute), route.path
                for method in route.methods or ():
                    operation = document["paths"]["/api" + route.path][method.lower()]
                    assert "413" in operation["responses"], f"{method} {route.path}"
    assert with_body >= 9
