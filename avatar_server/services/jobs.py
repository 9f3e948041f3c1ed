"""Jobs as the API sees them: creation against a stored run, listing, cancel, delete, results."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select
from sqlalchemy.orm import Session

from avatar_server.db.models import FINISHED_STATUSES, Job, JobStatus, User
from avatar_server.jobs import state
from avatar_server.jobs.results import file_key, job_prefix
from avatar_server.services.errors import ConflictError, NotFoundError, UnprocessableError
from avatar_server.services.resources import get_set
from avatar_server.storage import Storage
from avatar_yaml import JOB_KIND_OF_DOCUMENT, Config

MAX_BULK = 100


def get_job(db: Session, user: User, name: str) -> Job:
    job = db.get(Job, name, populate_existing=True)
    if job is None or job.user_id != user.id:
        raise NotFoundError(f"job {name} not found")
    return job


_JOBS = Job.__table__
# What a client watching jobs sees (``JobOut``): read as plain rows, without the ORM.
JOB_VIEW = (
    _JOBS.c.name,
    _JOBS.c.set_name,
    _JOBS.c.display_name,
    _JOBS.c.parameters_name,
    _JOBS.c.kind,
    _JOBS.c.status,
    _JOBS.c.progress,
    _JOBS.c.stage,
    _JOBS.c.error,
    _JOBS.c.depends_on,
    _JOBS.c.attempts,
    _JOBS.c.created_at,
    _JOBS.c.started_at,
    _JOBS.c.finished_at,
)
_JOB_BY_NAME = select(*JOB_VIEW).where(
    _JOBS.c.name == bindparam("name"), _JOBS.c.user_id == bindparam("user_id")
)


def read_job(db: Connection, user_id: uuid.UUID, name: str) -> RowMapping:
    """The job as clients poll it; someone else's job is as unknown as a missing one."""
    row = db.execute(_JOB_BY_NAME, {"name": name, "user_id": user_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"job {name} not found")
    return row


def read_jobs(
    db: Connection,
    user_id: uuid.UUID,
    *,
    display_name: str | None = None,
    set_name: uuid.UUID | None = None,
    kind: str | None = None,
    status: JobStatus | None = None,
    names: list[str] | None = None,
    limit: int = 100,
) -> list[RowMapping]:
    """The user's jobs, newest first; the filters combine."""
    query = select(*JOB_VIEW).where(_JOBS.c.user_id == user_id)
    if display_name is not None:
        query = query.where(_JOBS.c.display_name == display_name)
    if set_name is not None:
        query = query.where(_JOBS.c.set_name == set_name)
    if kind is not None:
        query = query.where(_JOBS.c.kind == kind)
    if status is not None:
        query = query.where(_JOBS.c.status == status)
    if names:
        query = query.where(_JOBS.c.name.in_(names))
    query = query.order_by(_JOBS.c.created_at.desc(), _JOBS.c.name).limit(limit)
    return list(db.execute(query).mappings())


def create_job(
    db: Session, user: User, set_name: uuid.UUID, parameters_name: str, depends_on: list[str]
) -> Job:
    resource = get_set(db, user, set_name)
    config = Config.from_yaml(resource.yaml)
    if parameters_name not in config.document_names():
        raise UnprocessableError(
            f"the run has no document named {parameters_name!r} "
            f"(it has {', '.join(config.document_names())})"
        )
    kind = JOB_KIND_OF_DOCUMENT.get(config.document_kind(parameters_name))
    if kind is None:
        raise UnprocessableError(f"document {parameters_name!r} does not describe a job")
    parents = [get_job(db, user, parent_name) for parent_name in dict.fromkeys(depends_on)]
    job = Job(
        name=uuid.uuid4().hex,
        user_id=user.id,
        set_name=resource.id,
        display_name=resource.display_name,
        parameters_name=parameters_name,
        kind=str(kind),
        status=JobStatus.PENDING,
        ready=False,
        depends_on=[p.name for p in parents],
        progress=0.0,
        stage="",
        error="",
        cancel_requested=False,
        attempts=0,
    )
    if not parents:
        job.status, job.ready, job.error = state.initial_state([])
        db.add(job)
        db.commit()
        return job
    # A dependency that ends or is deleted at this moment either committed before the state
    # read below or will find this job waiting on it. On SQLite, the insert takes the write
    # lock. On PostgreSQL, the user's job graph lock orders this creation with the endings,
    # and the dependencies' rows are locked as they are read: a deletion waits for this
    # commit, or this read waits for the deletion's (and then misses the row).
    state.lock_job_graph(db, [user.id])
    db.add(job)
    db.flush()
    current = {
        dependency.name: dependency
        for dependency in db.scalars(
            select(Job)
            .where(Job.name.in_([p.name for p in parents]))
            .order_by(Job.name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    deleted = [p for p in parents if p.name not in current]
    if deleted:
        job.status, job.error = JobStatus.FAILED, state.deleted_reason(deleted[0])
    else:
        job.status, job.ready, job.error = state.initial_state(current.values())
    db.commit()
    return job


def cancel_job(db: Session, user: User, name: str) -> Job:
    job = get_job(db, user, name)
    if job.status in FINISHED_STATUSES:
        raise ConflictError(f"job {name} is already {job.status.value}")
    # Each transition refreshes the row, so a worker claiming the job (or handing it back)
    # in between is caught by the next step.
    if job.status == JobStatus.PENDING:
        state.cancel_pending(db, job, "cancelled by the user")
    if job.status == JobStatus.RUNNING:
        state.request_cancel(db, job)
    if job.status == JobStatus.PENDING:
        state.cancel_pending(db, job, "cancelled by the user")
    return job


def delete_job(db: Session, storage: Storage, user: User, name: str) -> Job:
    """Delete the job and erase its results; a running job's worker notices and stops."""
    job = get_job(db, user, name)
    snapshot = Job(**{c.key: getattr(job, c.key) for c in Job.__table__.columns})
    db.delete(job)
    db.commit()
    storage.delete_tree(job_prefix(snapshot.user_id, snapshot.name))
    state.fail_dependents_of_deleted(db, snapshot)
    return snapshot


def bulk_delete(
    db: Session, storage: Storage, user: User, names: list[str]
) -> tuple[list[Job], list[str]]:
    if len(names) > MAX_BULK:
        raise UnprocessableError(f"at most {MAX_BULK} jobs per request, got {len(names)}")
    deleted: list[Job] = []
    failed: list[str] = []
    for name in dict.fromkeys(names):
        try:
            deleted.append(delete_job(db, storage, user, name))
        except NotFoundError:
            failed.append(name)
    return deleted, failed


def listed_results(db: Session, user: User, name: str) -> tuple[Job, list[dict[str, Any]]]:
    """The job and the files of its committed attempt: none until it is done, so that a
    listing never shows a file of an attempt that is still being written."""
    job = get_job(db, user, name)
    return job, list(job.results or []) if job.status == JobStatus.DONE else []


def result_files(db: Session, user: User, name: str) -> tuple[Job, list[dict[str, Any]]]:
    """The files of a done job; a conflict for any other status (its files cannot be read)."""
    job = get_job(db, user, name)
    if job.status != JobStatus.DONE:
        detail = f": {job.error}" if job.error else ""
        raise ConflictError(f"job {name} is {job.status.value}, it has no results{detail}")
    return job, list(job.results or [])


def open_result(
    db: Session, storage: Storage, user: User, name: str, file_name: str
) -> tuple[dict[str, Any], Iterator[bytes]]:
    job, files = result_files(db, user, name)
    for entry in files:
        if entry["name"] == file_name:
            return entry, storage.iter_bytes(file_key(job.user_id, job.name, entry))
    raise NotFoundError(f"job {name} has no result file {file_name!r}")
