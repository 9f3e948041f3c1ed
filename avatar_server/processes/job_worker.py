"""A job worker process (``python -m avatar_server.processes.job_worker``): claims jobs from the
job table and runs them, one at a time (``avatar_server.jobs.execution``).

Started by the server's worker pool (``avatar_server.processes.worker_pool``) with the server's
settings in its environment. It imports the engine once (so jobs start warm), keeps freed memory
between jobs of a similar size, stops with its parent (a killed server leaves no worker behind),
and on SIGTERM hands its current job back to the queue.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import uuid
from types import FrameType

from avatar_server.db.session import make_engine, make_sessionmaker
from avatar_server.jobs import state
from avatar_server.jobs.allocator import keep_freed_memory, release_freed_memory
from avatar_server.jobs.context import JobRef
from avatar_server.jobs.execution import execute
from avatar_server.processes.children import die_with_parent, parent_alive
from avatar_server.processes.worker_pool import worker_prefix
from avatar_server.security.files import restrict_umask
from avatar_server.settings import Settings
from avatar_server.storage import Storage

logger = logging.getLogger("avatar_server.worker")

_NICENESS = 10


def main() -> None:
    restrict_umask()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(message)s")
    logging.getLogger("avatar_server").setLevel(logging.INFO)
    if not die_with_parent():
        return  # the server died while this worker was importing: nobody to work for
    # Jobs are batch work: on a machine they share with the API, requests come first.
    with contextlib.suppress(OSError):
        os.nice(_NICENESS)
    settings = Settings()
    keep_freed_memory()
    worker = f"{worker_prefix(os.getpid())}{uuid.uuid4().hex[:8]}"
    engine = make_engine(settings.resolved_database_url)
    sessions = make_sessionmaker(engine)
    storage = Storage(settings.resolved_storage_url)
    stop = False

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger.debug("worker %s ready", worker)
    while not stop and parent_alive():
        with sessions() as db:
            job = state.claim(db, worker, settings.job_lease_seconds)
            ref = JobRef.of(job) if job is not None else None
        if ref is None:
            time.sleep(settings.job_poll_seconds)
            continue
        execute(sessions, storage, settings, ref, worker, lambda: stop)
        release_freed_memory()
    engine.dispose()


if __name__ == "__main__":
    main()
