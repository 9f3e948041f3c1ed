"""An upload the client cuts off is one INFO line in the server's log, and leaves nothing.

A client that hangs up mid-upload is ordinary (a closed laptop, a killed script); it was logged
as an ERROR with two full tracebacks (489 lines for four cut uploads), which buries real errors.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.raw_http import repeated
from tests.server import ServerProcess, wait_until

PASSWORD = "admin-password-cut-upload"
MiB = 1024 * 1024
CUT_LINE = re.compile(r"^INFO: .*upload .*cut off by the client after (\d+) bytes", re.M)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("cut-upload") / "home", admin_password=PASSWORD, workers=0
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def token(server: ServerProcess) -> str:
    answer = httpx.post(
        f"{server.base_url}/login", data={"username": "admin", "password": PASSWORD}
    )
    return str(answer.json()["access_token"])


def cut_upload(server: ServerProcess, token: str, *, chunked: bool) -> None:
    """Start uploading 64 MiB, send 2 MiB of it, and hang up."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {64 * MiB}"
        head = (
            "POST /api/datasets?name=cut HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"{framing}\r\n\r\n"
        )
        sock.sendall(head.encode())
        for chunk in [b"a,b\n", *repeated(b"1,2\n", 2 * MiB)]:
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)


def test_cut_uploads_are_one_info_line_each_and_leave_nothing(
    server: ServerProcess, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    start = len(server.log())
    for chunked in (False, True, False, True):
        cut_upload(server, token, chunked=chunked)

    def log() -> str:
        return server.log()[start:]

    wait_until(lambda: len(CUT_LINE.findall(log())) == 4, timeout=60, what="4 cut-upload lines")
    assert "Traceback" not in log() and "ERROR" not in log() and "WARNING" not in log(), log()
    assert all(int(received) > 0 for received in CUT_LINE.findall(log()))
    user_id = httpx.get(f"{server.base_url}/users/me", headers=headers).json()["id"]
    assert all(user_id in line for line in log().splitlines() if "cut off" in line), log()

    uploads = server.home / "storage" / "datasets" / user_id
    wait_until(
        lambda: not uploads.exists() or not any(uploads.rglob("*")),
        timeout=30,
        what="the cut uploads' partial objects and folders to be removed",
    )
    assert httpx.get(f"{server.base_url}/datasets", headers=headers).json() == []
    kept = httpx.post(
        f"{server.base_url}/datasets",
        params={"name": "whole"},
        content=b"a,b\n" + b"1,2\n" * 100,
        headers=headers,
    )
    assert kept.status_code == 201, kept.text
