"""API replicas starting together on one empty PostgreSQL database: each makes sure the first
administrator exists, one of them creates it, none fails its start."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from avatar_server.db.models import User
from avatar_server.db.session import make_engine, make_sessionmaker, upgrade_database
from avatar_server.services.users import ensure_first_admin
from avatar_server.settings import Settings

pytestmark = pytest.mark.integration

REPLICAS = 4


def test_replicas_starting_together_create_one_administrator(
    empty_postgres_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_postgres_url)
    try:
        upgrade_database(engine)
        sessions = make_sessionmaker(engine)
        settings = Settings(home=tmp_path, admin_password=SecretStr("a-long-enough-admin-password"))
        ready = threading.Barrier(REPLICAS)
        failures: list[BaseException] = []

        def start() -> None:
            with sessions() as db:
                ready.wait()
                try:
                    ensure_first_admin(db, settings)
                except BaseException as error:
                    failures.append(error)

        threads = [threading.Thread(target=start) for _ in range(REPLICAS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        with sessions() as db:
            assert db.scalar(select(func.count()).select_from(User)) == 1
    finally:
        engine.dispose()
