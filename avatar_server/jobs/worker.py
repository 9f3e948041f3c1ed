"""A job worker process: claims jobs from the job table and runs them, one at a time.

Started by the server (``python -m avatar_server.jobs.worker``) with the server's settings in
its environment. It imports the engine once (so jobs start warm), keeps freed memory between
jobs of a similar size, stops with its parent (a killed server leaves no worker behind), and on
SIGTERM hands its current job back to the queue.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from types import FrameType

from sqlalchemy.orm import Session, sessionmaker

from avatar_server.children import die_with_parent, parent_alive
from avatar_server.db.models import JobStatus
from avatar_server.db.session import make_engine, make_sessionmaker
from avatar_server.engine.progress import Cancelled
from avatar_server.jobs import state
from avatar_server.jobs.allocator import keep_freed_memory, release_freed_memory
from avatar_server.jobs.context import Interrupted, JobContext, JobInputError, JobRef
from avatar_server.jobs.handlers import HANDLERS
from avatar_server.jobs.results import ResultWriter
from avatar_server.settings import Settings
from avatar_server.storage import Storage
from avatar_yaml import ConfigError, JobKind

logger = logging.getLogger("avatar_server.worker")

_NICENESS = 10


def failure_message(error: BaseException) -> str:
    """What the user reads: the reason for input errors, never a stack trace."""
    if isinstance(error, ValueError | KeyError | ConfigError | JobInputError):
        return str(error) if not isinstance(error, KeyError) else f"missing {error}"
    if isinstance(error, MemoryError):
        return "the job ran out of memory"
    return f"internal error ({type(error).__name__}); the server log has the details"


def execute(
    sessions: sessionmaker[Session],
    storage: Storage,
    settings: Settings,
    ref: JobRef,
    worker: str,
    stopping: Callable[[], bool] = lambda: False,
) -> JobStatus | None:
    """Run one claimed job to its end state; returns it (None when the job was lost)."""
    context = JobContext(sessions, storage, settings, ref, worker, stopping)
    writer = ResultWriter(
        storage,
        ref.user_id,
        ref.name,
        ref.attempt,
        test_pause_s=settings.test_hook_result_pause_seconds,
    )
    try:
        if ref.kind not in set(JobKind):
            raise JobInputError(f"unknown job kind {ref.kind!r}")
        handler = HANDLERS[JobKind(ref.kind)]
        context.progress("starting", 0.0)
        writer.discard_earlier_attempts()
        handler(context, writer)
    except Cancelled:
        writer.discard()
        with sessions() as db:
            state.finish(db, ref.name, worker, JobStatus.CANCELLED, error="cancelled by the user")
        return JobStatus.CANCELLED
    except state.LeaseLost:
        writer.discard()
        return None
    except Interrupted:
        writer.discard()
        with sessions() as db:
            state.release(db, ref.name, worker)
        return None
    except Exception as error:
        writer.discard()
        if not isinstance(error, ValueError | KeyError | ConfigError):
            logger.error("job %s failed:\n%s", ref.name, traceback.format_exc())
        with sessions() as db:
            state.finish(db, ref.name, worker, JobStatus.FAILED, error=failure_message(error))
        return JobStatus.FAILED
    with sessions() as db:
        committed = state.finish(db, ref.name, worker, JobStatus.DONE, results=writer.files)
    if not committed:
        writer.discard()
        return None
    return JobStatus.DONE


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(message)s")
    logging.getLogger("avatar_server").setLevel(logging.INFO)
    if not die_with_parent():
        return  # the server died while this worker was importing: nobody to work for
    # Jobs are batch work: on a machine they share with the API, requests come first.
    with contextlib.suppress(OSError):
        os.nice(_NICENESS)
    settings = Settings()
    keep_freed_memory()
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
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
