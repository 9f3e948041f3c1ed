"""``POST /api/login/forgotten_password``: limited like sign-in, the same work whether or not
an account uses the address, and the mail sent off the request path.

The same work is checked statement by statement: a server runs in this process (uvicorn on a
loopback port, as the embedded server does) so that a SQLAlchemy listener sees every statement
its requests send to the database. The limits, the identical answers and the queue are checked
on subprocess servers like every other test's.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import event, text

from avatar_server.processes.app import create_app
from avatar_server.runtime import Runtime
from avatar_server.settings import Settings
from avatars import ApiClient
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, wait_until

PER_EMAIL = 2
PER_ADDRESS = 4
WINDOW_S = 3


def _ask(server_url: str, email: str, address: str = "127.0.0.1") -> httpx.Response:
    """One reset request from ``address`` (any 127.x.y.z is this machine's loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport, timeout=20) as client:
        return client.post(f"{server_url}/login/forgotten_password", json={"email": email})


def _outbox(home: Path) -> list[dict[str, Any]]:
    path = home / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- the same statements for known and unknown addresses, in-process ----------------------------


class InProcessServer:
    """The server's app under uvicorn in a thread of this process, on a loopback port."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.runtime: Runtime = self.app.state.runtime
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/api"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._sock])), daemon=True
        )

    def __enter__(self) -> InProcessServer:
        self._thread.start()
        wait_until(lambda: self._server.started, 60, "the in-process server to start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[InProcessServer]:
    settings = Settings(
        home=tmp_path / "home",
        admin_password=ADMIN_PASSWORD,
        admin_email="root@example.org",
        workers=0,
        mail_poll_seconds=3600,  # nothing is delivered while the test looks
    )
    with InProcessServer(settings) as server:
        yield server


def test_known_and_unknown_addresses_run_the_same_statements(in_process: InProcessServer) -> None:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    def statements_of(email: str, address: str) -> tuple[list[str], httpx.Response]:
        statements.clear()
        response = _ask(in_process.base_url, email, address)
        return list(statements), response

    event.listen(in_process.runtime.engine, "before_cursor_execute", record)
    try:
        statements_of("warm-up@example.org", "127.0.0.9")  # first use: the limiter is made
        known, known_answer = statements_of("root@example.org", "127.0.0.2")
        unknown, unknown_answer = statements_of("nobody@example.org", "127.0.0.3")
        known_again, _ = statements_of("ROOT@example.org", "127.0.0.4")
    finally:
        event.remove(in_process.runtime.engine, "before_cursor_execute", record)

    assert known_answer.status_code == unknown_answer.status_code == 200
    assert known_answer.json() == unknown_answer.json()
    assert known, "no statement recorded: the listener saw nothing"
    assert known == unknown == known_again
    assert not any("users" in statement for statement in known), "the request looked up users"
    # Only queued: nothing sent, no reset token made, until the queue is delivered.
    assert _outbox(in_process.runtime.settings.home) == []
    with in_process.runtime.engine.connect() as db:
        queued = db.execute(text("SELECT count(*) FROM password_reset_requests")).scalar_one()
        tokens = db.execute(text("SELECT count(*) FROM password_reset_tokens")).scalar_one()
    assert (queued, tokens) == (4, 0)


# -- limits, answers and delivery on a subprocess server ----------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path_factory.mktemp("reset-limits") / "home",
        admin_password=ADMIN_PASSWORD,
        admin_email="root@example.org",
        password_reset_requests_per_email=PER_EMAIL,
        password_reset_requests_per_address=PER_ADDRESS,
        password_reset_window_seconds=WINDOW_S,
        mail_poll_seconds=0.2,
        workers=0,
    )
    server.start()
    yield server
    server.stop()


def _assert_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert set(response.json()) == {"detail"}
    assert "too many password reset requests" in response.json()["detail"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW_S
    return retry_after


def test_requests_are_limited_per_address_of_mail(limited: ServerProcess) -> None:
    url = limited.base_url
    for address in ("127.0.1.1", "127.0.1.2")[:PER_EMAIL]:
        assert _ask(url, "target@example.org", address).status_code == 200
    # Over the limit from a third machine, and in other letter case.
    retry_after = _assert_limited(_ask(url, "target@example.org", "127.0.1.3"))
    _assert_limited(_ask(url, "TARGET@example.org", "127.0.1.4"))
    assert _ask(url, "other@example.org", "127.0.1.3").status_code == 200
    time.sleep(retry_after + 0.2)
    assert _ask(url, "target@example.org", "127.0.1.3").status_code == 200


def test_requests_are_limited_per_client_address(limited: ServerProcess) -> None:
    url = limited.base_url
    for number in range(PER_ADDRESS):
        assert _ask(url, f"sweep-{number}@example.org", "127.0.2.1").status_code == 200
    retry_after = _assert_limited(_ask(url, "sweep-last@example.org", "127.0.2.1"))
    assert _ask(url, "sweep-last@example.org", "127.0.2.2").status_code == 200
    time.sleep(retry_after + 0.2)
    assert _ask(url, "sweep-again@example.org", "127.0.2.1").status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer_and_only_known_get_mail(
    limited: ServerProcess,
) -> None:
    known = _ask(limited.base_url, "root@example.org", "127.0.3.1")
    unknown = _ask(limited.base_url, "nobody-at-all@example.org", "127.0.3.2")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert set(known.headers) - {"date"} == set(unknown.headers) - {"date"}
    wait_until(
        lambda: any(m["to"] == "root@example.org" for m in _outbox(limited.home)),
        30,
        "the reset mail to be delivered to the outbox",
    )
    assert all(m["to"] != "nobody-at-all@example.org" for m in _outbox(limited.home))
    with ApiClient(limited.base_url) as client:  # the mailed token works
        mail = [m for m in _outbox(limited.home) if m["to"] == "root@example.org"][-1]
        token = mail["body"].split("Reset token: ", 1)[1].split()[0]
        client.auth.reset_password("root@example.org", "new-root-pw", "new-root-pw", token)
        client.authenticate("admin", "new-root-pw")


def test_the_limit_is_documented() -> None:
    spec = json.loads((Path(__file__).parents[1] / "openapi.json").read_text())
    responses = spec["paths"]["/api/login/forgotten_password"]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]


class SilentSmtp:
    """An SMTP server that accepts connections and never says a word: a mail sent inline would
    hold the request until the client's timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port: int = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.sock.close()


def test_a_silent_mail_server_does_not_hold_the_request(tmp_path: Path) -> None:
    smtp = SilentSmtp()
    server = ServerProcess(
        tmp_path / "home",
        admin_password=ADMIN_PASSWORD,
        admin_email="root@example.org",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls="false",
        mail_poll_seconds=0.2,
        workers=0,
    )
    server.start()
    try:
        # Inline, the send would wait for the SMTP greeting (30 s) before answering.
        response = httpx.post(
            f"{server.base_url}/login/forgotten_password",
            json={"email": "root@example.org"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        wait_until(lambda: bool(smtp.connections), 30, "the sender to connect to the SMTP server")
        assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200
    finally:
        smtp.close()
        server.stop()


def test_a_multi_process_server_delivers_the_queue(tmp_path: Path) -> None:
    """The supervisor runs the mail sender; its HTTP processes only queue."""
    server = ServerProcess(
        tmp_path / "home",
        admin_password=ADMIN_PASSWORD,
        admin_email="root@example.org",
        api_processes=2,
        mail_poll_seconds=0.2,
        workers=0,
    )
    server.start()
    try:
        for _ in range(2):
            assert _ask(server.base_url, "root@example.org").status_code == 200
        wait_until(lambda: len(_outbox(server.home)) == 2, 30, "two reset mails in the outbox")
    finally:
        server.stop()
