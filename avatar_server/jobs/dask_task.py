"""What a Dask worker runs for one job: claim it by name, then run it exactly as a local worker
process would (``avatar_server.jobs.execution``), lease, heartbeat, cancel and fenced commit
included.

The worker needs nothing but this package and the server's settings, which the server pushes to
every worker (:class:`ServerEnvironment`) when it connects: the job row, its inputs and its
results live in the shared database and storage, never in Dask. Dask only decides where the
function runs; if the worker dies, the lease runs out and the server hands the job out again.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from avatar_server.db.session import make_engine, make_sessionmaker
from avatar_server.jobs import state
from avatar_server.jobs.allocator import release_freed_memory
from avatar_server.jobs.batches import batches_on_dask
from avatar_server.jobs.context import JobRef
from avatar_server.jobs.execution import execute
from avatar_server.security.files import restrict_umask
from avatar_server.settings import Settings
from avatar_server.storage import Storage

PLUGIN_NAME = "avatars-server-environment"
NOT_CLAIMED = "not claimed"


@dataclass(frozen=True)
class _Resources:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage


_resources: _Resources | None = None
_lock = threading.Lock()


def _open() -> _Resources:
    """This worker process's database sessions and storage, opened once from its settings."""
    global _resources
    with _lock:
        if _resources is None:
            settings = Settings()
            engine = make_engine(settings.resolved_database_url)
            storage = Storage(settings.resolved_storage_url)
            _resources = _Resources(settings, engine, make_sessionmaker(engine), storage)
        return _resources


def _forget() -> None:
    """Settings changed (a server pushed new ones): reopen on the next job."""
    global _resources
    with _lock:
        if _resources is not None:
            _resources.engine.dispose()
        _resources = None


class ServerEnvironment(WorkerPlugin):
    """The server's ``AVATAR_*`` settings (and the storage's ``AWS_*`` credentials) in every
    worker's environment, pushed by the server rather than repeated in each worker's
    deployment, so the two cannot drift; applied to workers that join later too."""

    name = PLUGIN_NAME

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment

    def setup(self, worker: Any) -> None:
        restrict_umask()
        os.environ.update(self.environment)
        _forget()


def run_job(name: str) -> str:
    """Claim job ``name`` and run it to its end state; returns that state, or ``NOT_CLAIMED``
    when the job was not pending (another attempt holds it, it was cancelled or deleted)."""
    resources = _open()
    worker = f"dask:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with resources.sessions() as db:
        job = state.claim(db, worker, resources.settings.job_lease_seconds, name=name)
        ref = JobRef.of(job) if job is not None else None
    if ref is None:
        return NOT_CLAIMED
    try:
        with batches_on_dask():
            status = execute(resources.sessions, resources.storage, resources.settings, ref, worker)
    finally:
        release_freed_memory()
    return "lost" if status is None else str(status)


__all__ = ["NOT_CLAIMED", "PLUGIN_NAME", "ServerEnvironment", "run_job"]
