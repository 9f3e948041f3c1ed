"""Which executor runs the jobs, and the settings it refuses: Dask's workers run on other
machines, so they need a database and a storage they reach too, and a scheduler that answers.
Each refusal is one plain sentence (``avatars serve`` stopping with it on a real database and
bucket: ``tests/integration/test_dask_executor.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from avatar_server.processes.dask_executor import check_cluster
from avatar_server.processes.executor import check_executor_settings, make_executor
from avatar_server.processes.worker_pool import WorkerPool
from avatar_server.settings import Settings
from avatar_server.startup_errors import StartupError
from tests.server import free_port

POSTGRES = "postgresql+psycopg://avatars:secret@127.0.0.1:5432/avatars"


def settings(tmp_path: Path, **values: str) -> Settings:
    return Settings(home=tmp_path, **values)  # type: ignore[arg-type]


def test_without_dask_the_local_worker_processes_run_the_jobs(tmp_path: Path) -> None:
    assert isinstance(make_executor(settings(tmp_path), sessionmaker()), WorkerPool)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "SQLite is one machine's file. Set AVATAR_DATABASE_URL to a PostgreSQL server"),
        ({"database_url": POSTGRES}, "is a local folder. Set AVATAR_STORAGE_URL to an object"),
    ],
)
def test_dask_is_refused_what_its_workers_cannot_share(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    chosen = settings(tmp_path, dask_address="tcp://127.0.0.1:8786", **values)
    with pytest.raises(StartupError, match=message):
        check_executor_settings(chosen)
    with pytest.raises(StartupError, match=message):
        make_executor(chosen, sessionmaker())


def test_dask_with_shared_database_and_storage_is_accepted(tmp_path: Path) -> None:
    check_executor_settings(
        settings(
            tmp_path,
            dask_address="tcp://127.0.0.1:8786",
            database_url=POSTGRES,
            storage_url="s3://avatars/prefix",
        )
    )


def test_a_scheduler_that_does_not_answer_is_named(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    chosen = settings(
        tmp_path,
        dask_address=address,
        database_url=POSTGRES,
        storage_url="s3://avatars/prefix",
        dask_connect_seconds="1",
    )
    with pytest.raises(StartupError) as refused:
        check_cluster(chosen)
    message = str(refused.value)
    assert f"cannot reach the Dask scheduler at {address} within 1 s" in message
    assert "AVATAR_DASK_ADDRESS" in message
