"""The throwaway PostgreSQL of the integration tests leaves nothing behind, even when the code
using it fails, and says what to install when the server binaries are missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from tests.stack.postgres import PostgresMissing, postgres, server_binaries

pytestmark = pytest.mark.integration


class Boom(Exception):
    pass


def test_a_failure_inside_stops_the_cluster_and_removes_it(tmp_path: Path) -> None:
    with pytest.raises(Boom), postgres(tmp_path) as url:
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            data = Path(connection.execute(text("SHOW data_directory")).scalar_one())
        assert data.is_dir()
        raise Boom
    assert not data.parent.exists()
    with pytest.raises(OperationalError, match="Connection refused"):
        engine.connect()
    assert (
        "database system is ready to accept connections" in (tmp_path / "postgres.log").read_text()
    )


def test_missing_server_binaries_say_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(PostgresMissing, match="apt-get install postgresql"):
        server_binaries(tmp_path)
