"""Who runs the jobs: local worker processes (the default) or a Dask cluster
(``AVATAR_DASK_ADDRESS``), chosen by settings; the rest of the server does not know which.

Both read the job table, which is the source of truth: an executor only decides where a job
runs, and each keeps a reaper that re-queues the jobs whose worker stopped renewing its lease.
"""

from __future__ import annotations

from typing import Protocol

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem
from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from avatar_server.processes.worker_pool import WorkerPool
from avatar_server.settings import Settings
from avatar_server.startup_errors import StartupError


class Executor(Protocol):
    """Runs the job table's jobs from ``start`` to ``stop``."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def check_executor_settings(settings: Settings) -> None:
    """Dask workers run on other machines: they must reach the same database and storage."""
    if settings.dask_address is None:
        return
    if make_url(settings.resolved_database_url).get_backend_name() == "sqlite":
        raise StartupError(
            "AVATAR_DASK_ADDRESS needs a database the Dask workers reach too: SQLite is one "
            "machine's file. Set AVATAR_DATABASE_URL to a PostgreSQL server "
            "(postgresql+psycopg://user:password@host:5432/avatars), or unset "
            "AVATAR_DASK_ADDRESS to run jobs in local worker processes"
        )
    filesystem, _ = url_to_fs(settings.resolved_storage_url)
    if isinstance(filesystem, LocalFileSystem):
        raise StartupError(
            "AVATAR_DASK_ADDRESS needs a storage the Dask workers share: "
            f"{settings.resolved_storage_url} is a local folder. Set AVATAR_STORAGE_URL to "
            "an object store (s3://bucket/prefix, with the AWS_* variables), or unset "
            "AVATAR_DASK_ADDRESS to run jobs in local worker processes"
        )


def make_executor(settings: Settings, sessions: sessionmaker[Session]) -> Executor:
    check_executor_settings(settings)
    if settings.dask_address is None:
        return WorkerPool(settings, sessions)
    try:
        from avatar_server.processes.dask_executor import DaskExecutor
    except ImportError:
        raise StartupError(
            "AVATAR_DASK_ADDRESS needs Dask installed: pip install 'open-avatars[dask]'"
        ) from None
    return DaskExecutor(settings, sessions)


__all__ = ["Executor", "check_executor_settings", "make_executor"]
