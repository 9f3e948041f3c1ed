"""Password reset mail over real SMTP, and the ``avatars serve`` entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from avatars import ApiClient
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, free_port, wait_until


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_reset_token_is_sent_by_smtp_when_configured(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    server = ServerProcess(
        tmp_path / "home",
        admin_password=ADMIN_PASSWORD,
        admin_email="root@example.org",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls="false",
        smtp_sender="avatars@example.org",
    )
    server.start()
    try:
        with ApiClient(server.base_url) as client:
            client.auth.forgotten_password("root@example.org")
            wait_until(lambda: bool(inbox.messages), 30, "the mail sender to send the mail")
            assert len(inbox.messages) == 1
            message = inbox.messages[0]
            assert message["To"] == "root@example.org"
            assert message["From"] == "avatars@example.org"
            match = re.search(r"Reset token: (\S+)", message.get_payload())
            assert match is not None
            token = match.group(1)
            client.auth.reset_password("root@example.org", "brand-new-pw", "brand-new-pw", token)
            client.authenticate("admin", "brand-new-pw")
        assert not (server.home / "outbox.jsonl").exists()
        assert match.group(1) not in server.log()
    finally:
        server.stop()


def test_avatars_serve_starts_a_server(tmp_path: Path) -> None:
    port = free_port()
    env = {"AVATAR_HOME": str(tmp_path / "home"), "PATH": str(Path(sys.executable).parent)}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "avatars"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    health: list[httpx.Response] = []

    def answered() -> bool:
        try:
            health.append(httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1))
        except httpx.TransportError:
            assert process.poll() is None, f"avatars serve exited with {process.returncode}"
            return False
        return True

    try:
        wait_until(answered, timeout=60, what=f"avatars serve to answer on port {port}")
        assert health[-1].json()["status"] == "ok", health[-1].text
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0].decode()
    password_file = tmp_path / "home" / "admin_password"
    assert str(password_file) in output
    assert password_file.read_text().strip() not in output
