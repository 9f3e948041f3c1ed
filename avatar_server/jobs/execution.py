"""Run one claimed job to its end state: the handler of its kind, its result files, and the
state it ends in (done, failed with a message for the user, cancelled, or handed back).

The worker process that claims jobs and calls :func:`execute` one at a time is
``avatar_server.processes.job_worker``: starting, prioritizing and stopping processes is
``processes``'s business, running a job is this package's.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from avatar_server.db.models import JobStatus
from avatar_server.engine.progress import Cancelled
from avatar_server.jobs import state
from avatar_server.jobs.context import Interrupted, JobContext, JobInputError, JobRef
from avatar_server.jobs.handlers import HANDLERS
from avatar_server.jobs.heartbeat import Heartbeat
from avatar_server.jobs.results import ResultWriter
from avatar_server.settings import Settings
from avatar_server.storage import Storage
from avatar_yaml import ConfigError, JobKind

logger = logging.getLogger("avatar_server.worker")


def failure_message(error: BaseException) -> str:
    """What the user reads: the reason for input errors, never a stack trace."""
    if isinstance(error, ValueError | KeyError | ConfigError | JobInputError):
        return str(error) if not isinstance(error, KeyError) else f"missing {error}"
    if isinstance(error, MemoryError):
        return "the job ran out of memory"
    return f"internal error ({type(error).__name__}); the server log has the details"


def _silent_step(seconds: float) -> None:
    """Settings.test_hook_silent_step_seconds: compute that long without a progress call, as
    a long engine step would (the lease tests run it under a lease far shorter)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(10_000))


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
        with Heartbeat(sessions, ref.name, worker, settings.job_lease_seconds):
            _silent_step(settings.test_hook_silent_step_seconds)
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
