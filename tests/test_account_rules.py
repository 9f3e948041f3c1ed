"""The first administrator's password follows the policy, usernames ignore letter case, and
``/api/health/db`` says whether the database answers and nothing about it."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from avatar_server.db.session import alembic_config, make_engine, upgrade_database
from avatars import ApiClient, AuthenticationError, ConflictError
from tests.server import ServerProcess

# -- the first administrator's password ---------------------------------------------------------


def test_a_first_administrator_password_below_the_policy_stops_the_start(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", admin_password="a")
    with pytest.raises(RuntimeError, match="exited at start-up"):
        server.start(timeout=60)
    log = server.log()
    assert "AVATAR_ADMIN_PASSWORD" in log
    assert "at least 8 characters" in log
    assert "Traceback" not in log
    assert not (tmp_path / "home" / "avatars.db").exists() or _no_users(tmp_path / "home")


def _no_users(home: Path) -> bool:
    engine = make_engine(f"sqlite:///{home / 'avatars.db'}")
    try:
        with engine.connect() as db:
            count: int = db.execute(text("SELECT count(*) FROM users")).scalar_one()
            return count == 0
    finally:
        engine.dispose()


def test_the_policy_length_setting_decides(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", admin_password="abcd", min_password_length=4)
    server.start()
    try:
        with ApiClient(server.base_url) as client:
            client.authenticate("admin", "abcd")
    finally:
        server.stop()


# -- usernames ignore letter case -----------------------------------------------------------------


def test_usernames_differing_only_in_case_cannot_both_exist(
    server: ServerProcess, admin: ApiClient
) -> None:
    name = f"Case-{uuid.uuid4().hex[:8]}"
    admin.users.create_user(name, f"{name}@example.org", "password-1")
    with pytest.raises(ConflictError, match="username already exists"):
        admin.users.create_user(name.lower(), f"other-{name}@example.org", "password-2")
    with ApiClient(server.base_url) as client:
        client.authenticate(name.upper(), "password-1")
        assert client.users.get_me().username == name


def test_local_mode_sign_in_respects_case_insensitive_names(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", local_mode="true", workers=0)
    server.start()
    try:
        with ApiClient(server.base_url) as first:
            first.authenticate("Bob", "bob-password")
            bob_id = first.users.get_me().id
        with ApiClient(server.base_url) as same:  # the same person, other letter case
            same.authenticate("bob", "bob-password")
            assert same.users.get_me().id == bob_id
        with ApiClient(server.base_url) as intruder, pytest.raises(AuthenticationError):
            intruder.authenticate("BOB", "another-password")  # not a new user "BOB"
    finally:
        server.stop()


def test_the_migration_refuses_existing_case_duplicates(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        with engine.begin() as db:
            for name in ("Alice", "alice", "carol"):
                db.execute(
                    text(
                        "INSERT INTO users (id, username, email, password_hash, is_admin, "
                        "is_active, token_generation, created_at) VALUES "
                        "(:id, :name, :email, 'x', 0, 1, 0, '2024-01-01 00:00:00')"
                    ),
                    {"id": uuid.uuid4().hex, "name": name, "email": f"{name}-{len(name)}@x.org"},
                )
        with pytest.raises(RuntimeError) as refused:
            upgrade_database(engine)
        message = str(refused.value)
        assert "'Alice'" in message and "'alice'" in message and "carol" not in message
        assert "Rename all but one" in message
        with engine.connect() as db:  # nothing changed
            names = db.execute(text("SELECT username FROM users ORDER BY username")).scalars()
            assert list(names) == ["Alice", "alice", "carol"]
    finally:
        engine.dispose()


# -- the database check ---------------------------------------------------------------------------


def test_the_database_check_does_not_name_the_database(server: ServerProcess) -> None:
    response = httpx.get(f"{server.base_url}/health/db")  # public: monitoring calls it
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sqlite" not in response.text.lower()
