"""The checks ``avatars serve`` makes before it starts anything, so that a wrong setting stops
it with one plain sentence instead of a traceback from deep inside the server's start."""

from __future__ import annotations

from avatar_server.db.check import check_database
from avatar_server.processes.executor import check_executor_settings
from avatar_server.settings import Settings
from avatar_server.storage_check import check_storage


def preflight(settings: Settings) -> None:
    """Raise ``StartupError`` for the first setting the server cannot start with."""
    check_database(settings.resolved_database_url)
    check_executor_settings(settings)
    check_storage(settings.resolved_storage_url)
    if settings.dask_address is not None:
        from avatar_server.processes.dask_executor import check_cluster

        check_cluster(settings)


__all__ = ["preflight"]
