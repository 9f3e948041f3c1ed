"""API keys: created once in clear, used as ``api-key-v1``, listed without secret, revoked."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from avatars import ApiClient, AuthenticationError, NotFoundError
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess


def test_api_key_lifecycle(server: ServerProcess, user: ApiClient) -> None:
    me = user.users.get_me()
    created = user.api_keys.create_api_key("laptop")
    assert created.key.startswith(created.prefix)
    assert len(created.key) > 40

    with ApiClient(server.base_url, api_key=created.key) as keyed:
        assert keyed.is_using_api_key()
        assert keyed.users.get_me().id == me.id
    raw = httpx.get(
        f"{server.base_url}/users/me", headers={"Authorization": f"api-key-v1 {created.key}"}
    )
    assert raw.status_code == 200

    listed = user.api_keys.list_api_keys()
    assert [k.id for k in listed] == [created.id]
    assert "key" not in listed[0].to_dict()
    assert (
        created.key
        not in httpx.get(
            f"{server.base_url}/api-keys", headers={"Authorization": f"api-key-v1 {created.key}"}
        ).text
    )

    user.api_keys.delete_api_key(created.id)
    with (
        ApiClient(server.base_url, api_key=created.key) as keyed,
        pytest.raises(AuthenticationError),
    ):
        keyed.users.get_me()
    assert user.api_keys.list_api_keys() == []


def test_keys_are_stored_as_sha256_digests(server: ServerProcess, user: ApiClient) -> None:
    created = user.api_keys.create_api_key("stored")
    with sqlite3.connect(server.home / "avatars.db") as db:
        hashes = [row[0] for row in db.execute("SELECT key_hash FROM api_keys")]
        passwords = [row[0] for row in db.execute("SELECT password_hash FROM users")]
    import hashlib

    assert hashlib.sha256(created.key.encode()).hexdigest() in hashes
    assert all(created.key not in h for h in hashes)
    assert all(p.startswith("$argon2id$") for p in passwords)


def test_users_cannot_revoke_each_others_keys(
    server: ServerProcess, user: ApiClient, admin: ApiClient
) -> None:
    created = user.api_keys.create_api_key("mine")
    with pytest.raises(NotFoundError):
        admin.api_keys.delete_api_key(created.id)
    assert all(k.id != created.id for k in admin.api_keys.list_api_keys())
    with ApiClient(server.base_url, api_key=created.key) as keyed:
        assert keyed.users.get_me().username != "admin"


def test_expiring_key_records_its_expiry(user: ApiClient) -> None:
    created = user.api_keys.create_api_key("short", expiration_days=30)
    assert created.expires_at is not None
    assert (created.expires_at - created.created_at).days == 30


def _last_use(owner: ApiClient, key_id: object) -> datetime | None:
    (key,) = [k for k in owner.api_keys.list_api_keys() if k.id == key_id]
    return key.last_used_at


def test_last_use_is_written_at_most_once_a_minute(server: ServerProcess, user: ApiClient) -> None:
    """Polling with a key writes its last use once, not per request: within the minute the
    recorded time stays the first request's."""
    created = user.api_keys.create_api_key("polling")
    assert created.last_used_at is None and _last_use(user, created.id) is None
    with ApiClient(server.base_url, api_key=created.key) as keyed:
        before = datetime.now(UTC)
        keyed.users.get_me()
        first = _last_use(user, created.id)
        assert first is not None and before - timedelta(seconds=1) <= first <= datetime.now(UTC)
        for _ in range(20):
            keyed.jobs.get_jobs(limit=1)
        assert _last_use(user, created.id) == first


@pytest.fixture(scope="module")
def quick_use_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that records a key's use at most once a second instead of once a minute."""
    process = ServerProcess(
        tmp_path_factory.mktemp("key-use") / "home",
        admin_password=ADMIN_PASSWORD,
        api_key_last_use_seconds=1,
    )
    process.start()
    yield process
    process.stop()


def test_last_use_moves_on_once_the_period_has_passed(quick_use_server: ServerProcess) -> None:
    with ApiClient(quick_use_server.base_url) as admin:
        admin.authenticate("admin", ADMIN_PASSWORD)
        created = admin.api_keys.create_api_key("hourly job")
        with ApiClient(quick_use_server.base_url, api_key=created.key) as keyed:
            keyed.users.get_me()
            first = _last_use(admin, created.id)
            time.sleep(1.1)
            keyed.jobs.get_jobs(limit=1)  # the polling path (a plain connection, no session)
            second = _last_use(admin, created.id)
    assert first is not None and second is not None
    assert second - first >= timedelta(seconds=1)
