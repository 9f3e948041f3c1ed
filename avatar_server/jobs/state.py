"""Every change of a job's state, as conditional updates on its row.

The row is the source of truth and each transition names the state it expects, so two parties
(the API, a worker, the reaper) can never both win: a worker claims with one atomic update,
renews its lease (and learns about a cancel) while it works, and commits its results in the
same update that marks the job done — only if it still holds the job.

On PostgreSQL, which runs transactions side by side where SQLite serializes every writer, two
locks keep the same guarantees across processes and hosts: a user's job graph (which jobs wait
on which) changes one transaction at a time (:func:`lock_job_graph`), and one reaper acts at a
time (:func:`reaper_turn`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from avatar_server.db.models import FINISHED_STATUSES, Job, JobStatus
from avatar_server.db.types import utcnow


class LeaseLost(Exception):
    """The worker no longer holds the job (deleted, reaped or finished elsewhere)."""


# PostgreSQL advisory lock keys. The graph locks use the two-integer key space, the reaper's
# the one-bigint space: PostgreSQL keeps the two apart, so they never collide.
_GRAPH_LOCKS = 0x4A4F4253  # "JOBS"
REAPER_LOCK = 0x6176617461727352  # "avatarsR"


def _on_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def lock_job_graph(db: Session, user_ids: Iterable[uuid.UUID]) -> None:
    """Hold, until the transaction ends, the right to change these users' job graphs.

    A job waits on jobs of its own user. Creating a job reads its dependencies' state, and
    ending a job makes the jobs waiting on it ready (or failed): two such transactions side by
    side could each miss the other — a new job still pending on a dependency that has just
    ended, a job whose two dependencies end together left waiting. Taken first in each of them,
    this lock makes them follow one another, and each statement after it sees what the previous
    one committed (READ COMMITTED). Locks of several users are taken in one order, so they
    cannot deadlock. SQLite, which serializes writers, needs none."""
    if not _on_postgresql(db):
        return
    for user_id in sorted(set(user_ids)):
        key = int.from_bytes(user_id.bytes[:4], "big", signed=True)
        db.execute(select(func.pg_advisory_xact_lock(_GRAPH_LOCKS, key)))


def _lock_graph_of(db: Session, name: str) -> None:
    """:func:`lock_job_graph` for the user of the job ``name`` (nothing if it is gone)."""
    user_id = db.scalar(select(Job.user_id).where(Job.name == name))
    if user_id is not None:
        lock_job_graph(db, [user_id])


def reaper_turn(db: Session) -> bool:
    """Whether this process may reap now: on PostgreSQL, only the one holding the reaper lock
    (until the transaction ends) does, whichever replica or host it runs on; the others skip
    their pass rather than wait. On SQLite every caller may (one machine's processes, whose
    writes SQLite serializes)."""
    if not _on_postgresql(db):
        return True
    return bool(db.scalar(select(func.pg_try_advisory_xact_lock(REAPER_LOCK))))


def _ready_pending(*columns: Any) -> Select[Any]:
    """Pending jobs whose dependencies are done, oldest first: what may run next."""
    return (
        select(*columns)
        .where(Job.status == JobStatus.PENDING, Job.ready.is_(True))
        .order_by(Job.created_at)
    )


def claim(db: Session, worker: str, lease_seconds: float, name: str | None = None) -> Job | None:
    """Take the oldest pending job whose dependencies are done (job ``name`` only, when given:
    an executor that was handed that job), or None."""
    # On PostgreSQL a row another worker is claiming is skipped, not waited for: workers
    # claiming together get distinct jobs at once. SQLite renders no FOR UPDATE; its write
    # lock serializes the claims.
    candidate = _ready_pending(Job.name).limit(1).with_for_update(skip_locked=True)
    if name is not None:
        candidate = candidate.where(Job.name == name)
    now = utcnow()
    claimed = db.execute(
        update(Job)
        .where(Job.name == candidate.scalar_subquery(), Job.status == JobStatus.PENDING)
        .values(
            status=JobStatus.RUNNING,
            worker=worker,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
            progress=0.0,
            stage="starting",
        )
        .returning(Job.name)
    ).scalar_one_or_none()
    db.commit()
    return None if claimed is None else db.get(Job, claimed, populate_existing=True)


def ready_pending(db: Session, limit: int) -> list[tuple[str, int]]:
    """The oldest pending jobs whose dependencies are done, with their attempts so far: what
    an executor that is handed jobs (Dask) should be running."""
    rows = db.execute(_ready_pending(Job.name, Job.attempts).limit(limit)).all()
    return [(str(name), int(attempts)) for name, attempts in rows]


def renew(
    db: Session,
    name: str,
    worker: str,
    lease_seconds: float,
    progress: float | None = None,
    stage: str = "",
) -> bool:
    """Extend the lease, and record progress if given; returns whether a cancel was requested.

    Raises :class:`LeaseLost` when the worker no longer holds the job."""
    values: dict[str, Any] = {"lease_expires_at": utcnow() + timedelta(seconds=lease_seconds)}
    if progress is not None:
        values.update(progress=progress, stage=stage[:64])
    cancel = db.execute(
        update(Job)
        .where(Job.name == name, Job.worker == worker, Job.status == JobStatus.RUNNING)
        .values(**values)
        .returning(Job.cancel_requested)
    ).scalar_one_or_none()
    db.commit()
    if cancel is None:
        raise LeaseLost(name)
    return bool(cancel)


def finish(
    db: Session,
    name: str,
    worker: str,
    status: JobStatus,
    *,
    error: str = "",
    results: list[dict[str, Any]] | None = None,
) -> bool:
    """End a job the worker holds; False if it no longer held it (nothing changed)."""
    values: dict[str, Any] = {
        "status": status,
        "error": error,
        "finished_at": utcnow(),
        "lease_expires_at": None,
        "stage": "" if status != JobStatus.DONE else "done",
    }
    if status == JobStatus.DONE:
        values["progress"] = 1.0
        values["results"] = results or []
    _lock_graph_of(db, name)
    changed = db.execute(
        update(Job)
        .where(Job.name == name, Job.worker == worker, Job.status == JobStatus.RUNNING)
        .values(**values)
        .returning(Job.name)
    ).scalar_one_or_none()
    if changed is None:
        db.commit()
        return False
    job = db.get(Job, name, populate_existing=True)
    if job is not None:
        propagate(db, job)
    db.commit()
    return True


def release(db: Session, name: str, worker: str) -> None:
    """Give a job back to the queue (the worker is stopping); its attempt does not count."""
    db.execute(
        update(Job)
        .where(Job.name == name, Job.worker == worker, Job.status == JobStatus.RUNNING)
        .values(
            status=JobStatus.PENDING,
            worker=None,
            lease_expires_at=None,
            attempts=Job.attempts - 1,
            stage="",
            progress=0.0,
        )
    )
    db.commit()


def cancel_pending(db: Session, job: Job, reason: str) -> None:
    """Cancel a job no worker holds yet; its dependents fail."""
    lock_job_graph(db, [job.user_id])
    db.execute(
        update(Job)
        .where(Job.name == job.name, Job.status == JobStatus.PENDING)
        .values(status=JobStatus.CANCELLED, error=reason, finished_at=utcnow())
    )
    db.refresh(job)
    propagate(db, job)
    db.commit()


def request_cancel(db: Session, job: Job) -> None:
    db.execute(
        update(Job)
        .where(Job.name == job.name, Job.status == JobStatus.RUNNING)
        .values(cancel_requested=True, stage="cancelling")
    )
    db.commit()
    db.refresh(job)


def initial_state(dependencies: Iterable[Job]) -> tuple[JobStatus, bool, str]:
    """Status, readiness and error of a new job given its dependencies."""
    for dependency in dependencies:
        if dependency.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            return JobStatus.FAILED, False, _dependency_reason(dependency)
    ready = all(d.status == JobStatus.DONE for d in dependencies)
    return JobStatus.PENDING, ready, ""


def propagate(db: Session, finished: Job) -> None:
    """After ``finished`` ended: its dependents become ready, or fail with its reason, down
    every level, in the caller's transaction. Committed with the change that ended
    ``finished``, nobody ever sees a job failed while jobs waiting on it are still pending.
    The caller holds the user's :func:`lock_job_graph`."""
    if finished.status not in FINISHED_STATUSES:
        return
    failed: list[Job] = []
    for job in _waiting_on(db, finished):
        if finished.status == JobStatus.DONE:
            parents = db.scalars(
                select(Job)
                .where(Job.name.in_(job.depends_on))
                .execution_options(populate_existing=True)
            ).all()
            if len(parents) == len(set(job.depends_on)) and all(
                p.status == JobStatus.DONE for p in parents
            ):
                job.ready = True
        else:
            job.status = JobStatus.FAILED
            job.error = _dependency_reason(finished)
            job.finished_at = utcnow()
            failed.append(job)
    for job in failed:
        propagate(db, job)


def fail_dependents_of_deleted(db: Session, deleted: Job) -> None:
    """Pending jobs that waited on a deleted job can never run: they fail, saying why."""
    lock_job_graph(db, [deleted.user_id])
    failed = _waiting_on(db, deleted)
    for job in failed:
        job.status = JobStatus.FAILED
        job.error = deleted_reason(deleted)
        job.finished_at = utcnow()
    for job in failed:
        propagate(db, job)
    db.commit()


def _waiting_on(db: Session, parent: Job) -> list[Job]:
    """The pending jobs of ``parent``'s user that wait on it, as the database has them now
    (the session may hold older copies: it keeps objects across commits)."""
    waiting = db.scalars(
        select(Job)
        .where(Job.user_id == parent.user_id, Job.status == JobStatus.PENDING)
        .execution_options(populate_existing=True)
    ).all()
    return [job for job in waiting if parent.name in (job.depends_on or [])]


def deleted_reason(dependency: Job) -> str:
    return f"dependency {dependency.name} ({dependency.kind}) was deleted"


def _dependency_reason(dependency: Job) -> str:
    verb = "was cancelled" if dependency.status == JobStatus.CANCELLED else "failed"
    reason = f"dependency {dependency.name} ({dependency.kind}) {verb}"
    return f"{reason}: {dependency.error}" if dependency.error else reason


STOPPED_RENEWING = "its worker stopped renewing its lease"
SERVER_STOPPED = "the server stopped while it ran"


def reap(
    db: Session,
    *,
    max_attempts: int,
    now: datetime | None = None,
    alive: Collection[str] = (),
) -> list[str]:
    """Jobs whose lease ran out: re-queued, or failed after ``max_attempts``.

    A worker renews its lease from a heartbeat thread whatever the job is doing, so a lease
    runs out only when the worker is gone (or frozen, or cut off from the database). Jobs held
    by a worker in ``alive`` (prefixes of worker names whose process is known to run) are left
    alone: they are busy, not lost. Returns the names of the jobs it touched.

    Every API process runs a reaper; on PostgreSQL one acts at a time (:func:`reaper_turn`),
    the others' passes touch nothing."""
    if not reaper_turn(db):
        db.rollback()
        return []
    now = now or utcnow()
    expired = _lock_jobs(
        db, select(Job).where(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now)
    )
    lost = [job for job in expired if not any((job.worker or "").startswith(a) for a in alive)]
    return _lose(db, lost, STOPPED_RENEWING, max_attempts, now)


def reap_worker(db: Session, worker_prefix: str, how: str, *, max_attempts: int) -> list[str]:
    """Jobs held by a worker process that ended (``how``: "was killed by SIGKILL", ...)."""
    held = _lock_jobs(
        db,
        select(Job).where(
            Job.status == JobStatus.RUNNING, Job.worker.startswith(worker_prefix, autoescape=True)
        ),
    )
    return _lose(db, held, f"its worker process {how}", max_attempts, utcnow())


def reap_all_running(db: Session, *, max_attempts: int) -> list[str]:
    """Every running job: a single-machine server starting up has no worker of its own alive
    yet, so whatever was running stopped with the previous server."""
    running = _lock_jobs(db, select(Job).where(Job.status == JobStatus.RUNNING))
    return _lose(db, running, SERVER_STOPPED, max_attempts, utcnow())


def _lock_jobs(db: Session, query: Select[Job]) -> list[Job]:
    """The jobs ``query`` selects, locked until the caller commits, with their users' graphs
    (:func:`lock_job_graph`, taken first, as everywhere). A worker renewing its lease at this
    moment is waited for, and its job then no longer selected if the renewal saved it."""
    user_ids = db.scalars(query.with_only_columns(Job.user_id).distinct()).all()
    lock_job_graph(db, user_ids)
    return list(db.scalars(query.with_for_update().execution_options(populate_existing=True)).all())


def _lose(
    db: Session, lost: Sequence[Job], reason: str, max_attempts: int, now: datetime
) -> list[str]:
    """Re-queue each lost job, or fail it (with its dependents) at its last attempt, saying
    why it was lost; commits."""
    failed: list[Job] = []
    for job in lost:
        job.worker = None
        job.lease_expires_at = None
        if job.cancel_requested:
            job.status = JobStatus.CANCELLED
            job.error = f"cancelled ({reason})"
            job.finished_at = now
            failed.append(job)
        elif job.attempts >= max_attempts:
            job.status = JobStatus.FAILED
            job.error = f"lost: {reason} (attempt {job.attempts} of {max_attempts})"
            job.finished_at = now
            failed.append(job)
        else:
            job.status = JobStatus.PENDING
            job.stage = f"re-queued: {reason}"[:64]
            job.progress = 0.0
    for job in failed:
        propagate(db, job)
    db.commit()
    return [job.name for job in lost]
