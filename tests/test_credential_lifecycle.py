"""What a password reset revokes, reset tokens dying together, refresh token rotation with
reuse detection, and the client keeping the rotated token; on real servers."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from avatars import ApiClient, AuthenticationError, ValidationError
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, wait_until


def _new_user(server: ServerProcess) -> tuple[str, str, str]:
    """A new user: ``(username, email, password)``."""
    name = f"cl-{uuid.uuid4().hex[:10]}"
    email, password = f"{name}@example.org", f"pw-{uuid.uuid4().hex}"
    with ApiClient(server.base_url) as admin:
        admin.authenticate("admin", ADMIN_PASSWORD)
        admin.users.create_user(name, email, password)
    return name, email, password


def _reset_tokens(home: Path, email: str, count: int) -> list[str]:
    """The last ``count`` reset tokens mailed to ``email`` (waiting for them), oldest first."""

    def mailed() -> list[str]:
        outbox = home / "outbox.jsonl"
        lines = outbox.read_text().splitlines() if outbox.exists() else []
        bodies = [json.loads(line)["body"] for line in lines if json.loads(line)["to"] == email]
        return [re.findall(r"Reset token: (\S+)", body)[0] for body in bodies]

    wait_until(lambda: len(mailed()) >= count, 30, f"{count} reset mail(s) to {email}")
    return mailed()[-count:]


def _login(server: ServerProcess, username: str, password: str) -> dict[str, str]:
    response = httpx.post(
        f"{server.base_url}/login", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def _refresh(server: ServerProcess, refresh_token: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/refresh", json={"refresh_token": refresh_token})


def test_a_password_reset_revokes_the_api_keys(server: ServerProcess) -> None:
    name, email, password = _new_user(server)
    with ApiClient(server.base_url) as user:
        user.authenticate(name, password)
        key = user.api_keys.create_api_key("before the reset").key
    with ApiClient(server.base_url, api_key=key) as keyed:
        assert keyed.users.get_me().username == name
    with ApiClient(server.base_url) as anonymous:
        anonymous.auth.forgotten_password(email)
        (token,) = _reset_tokens(server.home, email, 1)
        answer = anonymous.auth.reset_password(email, "new-password-1", "new-password-1", token)
    assert "API keys" in answer.message and "revoked" in answer.message
    with ApiClient(server.base_url, api_key=key) as keyed, pytest.raises(AuthenticationError):
        keyed.users.get_me()
    with ApiClient(server.base_url) as user:
        user.authenticate(name, "new-password-1")
        assert user.api_keys.list_api_keys() == []


def test_using_a_reset_token_kills_every_other_one(server: ServerProcess) -> None:
    name, email, _ = _new_user(server)
    with ApiClient(server.base_url) as anonymous:
        anonymous.auth.forgotten_password(email)
        _reset_tokens(server.home, email, 1)
        anonymous.auth.forgotten_password(email)
        older, newer = _reset_tokens(server.home, email, 2)
        anonymous.auth.reset_password(email, "new-password-1", "new-password-1", newer)
        with pytest.raises(ValidationError, match="invalid or expired"):
            anonymous.auth.reset_password(email, "new-password-2", "new-password-2", older)
        anonymous.authenticate(name, "new-password-1")


def test_a_refresh_token_works_once_and_its_reuse_revokes_the_family(
    server: ServerProcess,
) -> None:
    name, _, password = _new_user(server)
    first = _login(server, name, password)
    second = _refresh(server, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]

    replayed = _refresh(server, first["refresh_token"])
    assert replayed.status_code == 401
    assert "already used" in replayed.json()["detail"]
    # The reuse revoked the tokens that descend from the first sign-in...
    assert _refresh(server, rotated["refresh_token"]).status_code == 401
    # ...and only those: another sign-in of the same user keeps working.
    other = _login(server, name, password)
    assert _refresh(server, other["refresh_token"]).status_code == 200


def test_a_refresh_chain_rotates_at_every_step(server: ServerProcess) -> None:
    name, _, password = _new_user(server)
    token = _login(server, name, password)["refresh_token"]
    seen = {token}
    for _ in range(3):
        response = _refresh(server, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
        assert token not in seen
        seen.add(token)
        me = httpx.get(
            f"{server.base_url}/users/me",
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
        )
        assert me.json()["username"] == name


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path_factory.mktemp("rotation") / "home",
        admin_password=ADMIN_PASSWORD,
        access_token_seconds=2,
        workers=0,
    )
    server.start()
    yield server
    server.stop()


def test_the_client_keeps_the_rotated_refresh_token(short_lived: ServerProcess) -> None:
    """Three lazy refreshes in a row: each needs the token the previous one returned."""
    with ApiClient(short_lived.base_url) as client:
        client.authenticate("admin", ADMIN_PASSWORD)
        seen = {client._core.credentials.refresh_token}
        for _ in range(3):
            time.sleep(2.1)
            assert client.users.get_me().username == "admin"
            seen.add(client._core.credentials.refresh_token)
        assert len(seen) == 4
