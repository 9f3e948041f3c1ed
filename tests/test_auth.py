"""Sign-in, token refresh, credentials checks and the password reset flow, on a real server."""

from __future__ import annotations

import json
import re
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from avatars import ApiClient, AuthenticationError, AvatarError, ValidationError
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, wait_until


def test_health_needs_no_credentials(server: ServerProcess) -> None:
    with ApiClient(server.base_url) as client:
        assert client.health.get_health().status == "ok"
        assert client.health.get_health_db().status == "ok"


def test_login_and_me(admin: ApiClient) -> None:
    me = admin.users.get_me()
    assert me.username == "admin"
    assert me.is_admin is True


@pytest.mark.parametrize(("username", "password"), [("admin", "wrong"), ("nobody", "whatever")])
def test_wrong_credentials_are_refused(server: ServerProcess, username: str, password: str) -> None:
    with ApiClient(server.base_url) as client, pytest.raises(AuthenticationError) as error:
        client.authenticate(username, password)
    assert error.value.status_code == 401
    assert "incorrect username or password" in str(error.value)


def test_missing_credentials_are_refused_client_side(server: ServerProcess) -> None:
    with (
        ApiClient(server.base_url) as client,
        pytest.raises(AuthenticationError, match="not authenticated"),
    ):
        client.users.get_me()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer garbage",
        "Bearer",
        "api-key-v1 avk_not-a-key",
        "Basic YWRtaW46YWRtaW4=",
        "garbage",
    ],
)
def test_missing_or_garbage_credentials_get_401(server: ServerProcess, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = httpx.get(f"{server.base_url}/users/me", headers=headers)
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    with (
        ApiClient(server.base_url, verify_auth=False) as client,
        pytest.raises(AuthenticationError),
    ):
        client.users.get_me()


def test_token_signed_with_another_key_is_refused(server: ServerProcess) -> None:
    import jwt

    forged = jwt.encode(
        {"sub": "00000000-0000-0000-0000-000000000000", "typ": "access", "exp": 2**40}, "x" * 32
    )
    response = httpx.get(
        f"{server.base_url}/users/me", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_refresh_token_is_not_an_access_token(server: ServerProcess, admin: ApiClient) -> None:
    tokens = admin.auth.login("admin", ADMIN_PASSWORD)
    response = httpx.get(
        f"{server.base_url}/users/me", headers={"Authorization": f"Bearer {tokens.refresh_token}"}
    )
    assert response.status_code == 401


@pytest.fixture(scope="module")
def short_lived_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("short") / "home",
        admin_password=ADMIN_PASSWORD,
        access_token_seconds=2,
        refresh_token_seconds=6,
    )
    process.start()
    yield process
    process.stop()


def test_access_token_is_refreshed_lazily_before_expiry(short_lived_server: ServerProcess) -> None:
    with ApiClient(short_lived_server.base_url) as client:
        client.authenticate("admin", ADMIN_PASSWORD)
        first = client._core.credentials.access_token
        time.sleep(2.2)
        assert client.users.get_me().username == "admin"
        assert client._core.credentials.access_token != first


def test_expired_access_token_is_refreshed_after_a_401(short_lived_server: ServerProcess) -> None:
    with ApiClient(short_lived_server.base_url) as client:
        client.authenticate("admin", ADMIN_PASSWORD)
        stale = client._core.credentials.access_token
        client._core.credentials.refresh_after = float("inf")  # defeat the proactive refresh
        time.sleep(2.2)
        response = httpx.get(
            f"{short_lived_server.base_url}/users/me", headers={"Authorization": f"Bearer {stale}"}
        )
        assert response.status_code == 401
        assert client.users.get_me().username == "admin"
        assert client._core.credentials.access_token != stale


def test_expired_refresh_token_asks_to_authenticate_again(
    short_lived_server: ServerProcess,
) -> None:
    with ApiClient(short_lived_server.base_url) as client:
        client.authenticate("admin", ADMIN_PASSWORD)
        time.sleep(6.5)
        with pytest.raises(AuthenticationError, match="authenticate again"):
            client.users.get_me()


def _reset_token(home: Path, email: str) -> str:
    """The last reset token mailed to ``email``, once the mail sender has delivered it."""
    outbox = home / "outbox.jsonl"

    def mine() -> list[dict[str, str]]:
        lines = outbox.read_text().splitlines() if outbox.exists() else []
        return [m for m in map(json.loads, lines) if m["to"] == email]

    wait_until(lambda: bool(mine()), 30, f"a mail to {email} in the outbox")
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600
    match = re.search(r"Reset token: (\S+)", mine()[-1]["body"])
    assert match is not None
    return match.group(1)


def test_password_reset_through_the_outbox(
    server: ServerProcess, admin: ApiClient, make_user: Callable[[], ApiClient]
) -> None:
    client = make_user()
    me = client.users.get_me()
    old_password = f"pw-{me.username}"
    with ApiClient(server.base_url) as anonymous:
        answer = anonymous.auth.forgotten_password(me.email)
        unknown = anonymous.auth.forgotten_password("nobody@example.org")
        assert answer.message == unknown.message  # the answer does not reveal accounts
        token = _reset_token(server.home, me.email)
        assert token not in server.log()  # never logged

        with pytest.raises(ValidationError, match="differ"):
            anonymous.auth.reset_password(me.email, "new-password-1", "new-password-2", token)
        with pytest.raises(ValidationError, match="invalid or expired"):
            anonymous.auth.reset_password(me.email, "new-password-1", "new-password-1", "wrong")
        with pytest.raises(ValidationError, match="invalid or expired"):
            anonymous.auth.reset_password(
                "other@example.org", "new-password-1", "new-password-1", token
            )
        anonymous.auth.reset_password(me.email, "new-password-1", "new-password-1", token)
        with pytest.raises(ValidationError, match="invalid or expired"):  # single use
            anonymous.auth.reset_password(me.email, "new-password-2", "new-password-2", token)

        with pytest.raises(AuthenticationError):
            anonymous.authenticate(me.username, old_password)
        anonymous.authenticate(me.username, "new-password-1")
        assert anonymous.users.get_me().id == me.id
    # Tokens issued before the reset no longer work; refreshing them fails too.
    with pytest.raises(AuthenticationError):
        client.users.get_me()


def test_password_policy_applies_to_reset(server: ServerProcess, user: ApiClient) -> None:
    me = user.users.get_me()
    with ApiClient(server.base_url) as anonymous:
        anonymous.auth.forgotten_password(me.email)
        token = _reset_token(server.home, me.email)
        with pytest.raises(ValidationError, match="at least 8 characters"):
            anonymous.auth.reset_password(me.email, "short", "short", token)


def test_authenticate_is_refused_in_api_key_mode(server: ServerProcess, admin: ApiClient) -> None:
    key = admin.api_keys.create_api_key("mode-check").key
    with (
        ApiClient(server.base_url, api_key=key) as client,
        pytest.raises(AvatarError, match="API key"),
    ):
        client.authenticate("admin", ADMIN_PASSWORD)
