"""Every change of a job's state, as conditional updates on its row.

The row is the source of truth and each transition names the state it expects, so two parties
(the API, a worker, the reaper) can never both win: a worker claims with one atomic update,
renews its lease (and learns about a cancel) while it works, and commits its results in the
same update that marks the job done — only if it still holds the job.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from avatar_server.db.models import FINISHED_STATUSES, Job, JobStatus
from avatar_server.db.types import utcnow


class LeaseLost(Exception):
    """The worker no longer holds the job (deleted, reaped or finished elsewhere)."""


def claim(db: Session, worker: str, lease_seconds: float, name: str | None = None) -> Job | None:
    """Take the oldest pending job whose dependencies are done (job ``name`` only, when given:
    an executor that was handed that job), or None."""
    candidate = (
        select(Job.name)
        .where(Job.status == JobStatus.PENDING, Job.ready.is_(True))
        .order_by(Job.created_at)
        .limit(1)
    )
    if name is not None:
        candidate = candidate.where(Job.name == name)
    if db.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
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
    rows = db.execute(
        select(Job.name, Job.attempts)
        .where(Job.status == JobStatus.PENDING, Job.ready.is_(True))
        .order_by(Job.created_at)
        .limit(limit)
    ).all()
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
    ``finished``, nobody ever sees a job failed while jobs waiting on it are still pending."""
    if finished.status not in FINISHED_STATUSES:
        return
    waiting = db.scalars(
        select(Job).where(Job.user_id == finished.user_id, Job.status == JobStatus.PENDING)
    ).all()
    dependents = [job for job in waiting if finished.name in (job.depends_on or [])]
    failed: list[Job] = []
    for job in dependents:
        if finished.status == JobStatus.DONE:
            parents = db.scalars(select(Job).where(Job.name.in_(job.depends_on))).all()
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
    waiting = db.scalars(
        select(Job).where(Job.user_id == deleted.user_id, Job.status == JobStatus.PENDING)
    ).all()
    failed = []
    for job in waiting:
        if deleted.name in (job.depends_on or []):
            job.status = JobStatus.FAILED
            job.error = deleted_reason(deleted)
            job.finished_at = utcnow()
            failed.append(job)
    for job in failed:
        propagate(db, job)
    db.commit()


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
    alone: they are busy, not lost. Returns the names of the jobs it touched."""
    now = now or utcnow()
    expired = db.scalars(
        select(Job).where(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now)
    ).all()
    lost = [job for job in expired if not any((job.worker or "").startswith(a) for a in alive)]
    return _lose(db, lost, STOPPED_RENEWING, max_attempts, now)


def reap_worker(db: Session, worker_prefix: str, how: str, *, max_attempts: int) -> list[str]:
    """Jobs held by a worker process that ended (``how``: "was killed by SIGKILL", ...)."""
    held = db.scalars(
        select(Job).where(
            Job.status == JobStatus.RUNNING, Job.worker.startswith(worker_prefix, autoescape=True)
        )
    ).all()
    return _lose(db, list(held), f"its worker process {how}", max_attempts, utcnow())


def reap_all_running(db: Session, *, max_attempts: int) -> list[str]:
    """Every running job: a single-machine server starting up has no worker of its own alive
    yet, so whatever was running stopped with the previous server."""
    running = db.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()
    return _lose(db, list(running), SERVER_STOPPED, max_attempts, utcnow())


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
