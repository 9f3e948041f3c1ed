"""The same Alembic migrations build the models' exact schema on SQLite and on PostgreSQL
(``alembic upgrade head`` then ``alembic check``), and the check fails when they do not."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from avatar_server.db.check_migrations import SchemaDrift, check_migrations
from avatar_server.db.session import MIGRATIONS_DIR
from tests.integration.in_child import migrate_at

pytestmark = pytest.mark.integration

HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def test_upgrade_then_check_is_clean(empty_database: str) -> None:
    assert check_migrations(empty_database) == HEAD
    # Again on the migrated database: nothing to do, still no difference.
    assert check_migrations(empty_database) == HEAD


def test_a_schema_that_drifted_from_the_models_is_reported(empty_database: str) -> None:
    check_migrations(empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE jobs DROP COLUMN stage"))
    finally:
        engine.dispose()
    with pytest.raises(SchemaDrift, match="stage"):
        check_migrations(empty_database)


def test_the_command_line_checks_postgresql(empty_postgres_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "avatar_server.db.check_migrations", empty_postgres_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"at revision {HEAD}, schema matches the models" in done.stdout


def test_replicas_starting_together_migrate_once(empty_postgres_url: str) -> None:
    """Each server process migrates as it starts; on one database, they take turns."""
    replicas = 3
    start = time.time() + 0.5
    with ProcessPoolExecutor(replicas, mp_context=get_context("fork")) as processes:
        for done in [
            processes.submit(migrate_at, empty_postgres_url, start) for _ in range(replicas)
        ]:
            done.result()
    assert check_migrations(empty_postgres_url) == HEAD
