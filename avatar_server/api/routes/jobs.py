"""Jobs: submit, watch (with long-poll), cancel, delete."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query

from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.deps import Credentials, CredentialsDep, CurrentUser, DbDep, RuntimeDep
from avatar_server.api.errors import AUTHENTICATED, error_responses
from avatar_server.api.schemas import (
    JOB_KIND_DESCRIPTION,
    BulkDeleteRequest,
    BulkDeleteResponse,
    JobCreate,
    JobList,
    JobOut,
)
from avatar_server.db.models import FINISHED_STATUSES, Job, JobStatus
from avatar_server.runtime import Runtime
from avatar_server.services import jobs
from avatar_server.services.errors import UnprocessableError
from avatar_yaml import JobKind
from avatar_yaml.vocabulary import described

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=AUTHENTICATED, route_class=BoundedRoute)

_POLL_S = 0.05
MAX_WAIT_S = 60.0


def job_out(job: Job | Mapping[Any, Any]) -> JobOut:
    """The API's view of a job, from the ORM object or a row of ``jobs.JOB_VIEW``."""
    if isinstance(job, Job):
        return job_out({column.key: getattr(job, column.key) for column in jobs.JOB_VIEW})
    status = job["status"]
    return JobOut(
        name=job["name"],
        set_name=job["set_name"],
        display_name=job["display_name"],
        parameters_name=job["parameters_name"],
        kind=job["kind"],
        status=status,
        done=status in FINISHED_STATUSES,
        progress=job["progress"],
        stage=job["stage"],
        error=job["error"],
        depends_on=list(job["depends_on"] or []),
        attempts=job["attempts"],
        created_at=job["created_at"],
        started_at=job["started_at"],
        finished_at=job["finished_at"],
    )


@router.post("", status_code=201, responses=error_responses(400, 404, 413, 422))
def create_job(body: JobCreate, user: CurrentUser, db: DbDep) -> JobOut:
    """Queue the job described by document ``parameters_name`` of the set ``set_name``.

    It starts once every job in ``depends_on`` is done, and fails with their reason if one of
    them fails or is cancelled.
    """
    job = jobs.create_job(db, user, body.set_name, body.parameters_name, body.depends_on)
    return job_out(job)


# The two routes clients poll are ``async`` and check the credential and read in one thread
# hand-off, on a connection of their own given back there, with plain rows rather than the
# ORM: a plain ``def`` route with the usual dependencies costs three more hand-offs (the user,
# the call, the response's validation). A long-poll holds no connection while it waits.


@router.get("", responses=error_responses(422))
async def list_jobs(
    credentials: CredentialsDep,
    runtime: RuntimeDep,
    display_name: str | None = None,
    set_name: uuid.UUID | None = None,
    kind: Annotated[str | None, Query(description=JOB_KIND_DESCRIPTION, max_length=64)] = None,
    status: JobStatus | None = None,
    names: Annotated[list[str] | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JobList:
    """Your jobs, newest first; filters combine."""
    if kind is not None and kind not in set(JobKind):
        raise UnprocessableError(f"kind {kind!r}: unknown job kind; one of {described(JobKind)}")

    def read() -> JobList:
        with runtime.engine.connect() as db:
            found = jobs.read_jobs(
                db,
                credentials.principal(db).user_id,
                display_name=display_name,
                set_name=set_name,
                kind=kind,
                status=status,
                names=names,
                limit=limit,
            )
            return JobList(jobs=[job_out(job) for job in found])

    return await to_thread.run_sync(read, limiter=runtime.read_threads)


def _read(runtime: Runtime, credentials: Credentials, name: str) -> JobOut:
    """One read on a connection of its own; each poll of a long-poll checks the credential
    again, so a revoked key stops being answered at once."""
    with runtime.engine.connect() as db:
        return job_out(jobs.read_job(db, credentials.principal(db).user_id, name))


@router.get("/{job_name}", responses=error_responses(404, 422))
async def get_job(
    job_name: str,
    credentials: CredentialsDep,
    runtime: RuntimeDep,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_S,
            description="Seconds to wait for a change (status, stage or progress) before "
            "answering; 0 answers at once.",
        ),
    ] = 0,
) -> JobOut:
    """The job's status, progress, stage and error."""
    first = await to_thread.run_sync(
        _read, runtime, credentials, job_name, limiter=runtime.read_threads
    )
    if wait <= 0 or first.done:
        return first
    seen = (first.status, first.stage, round(first.progress, 2))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        await asyncio.sleep(_POLL_S)
        current = await to_thread.run_sync(
            _read, runtime, credentials, job_name, limiter=runtime.read_threads
        )
        if (current.status, current.stage, round(current.progress, 2)) != seen:
            return current
    return current if wait > 0 else first


@router.post("/{job_name}/cancel", responses=error_responses(404, 409))
def cancel_job(job_name: str, user: CurrentUser, db: DbDep) -> JobOut:
    """Cancel a pending job at once, or ask a running one to stop (within seconds).

    Jobs that depend on it fail, saying so.
    """
    return job_out(jobs.cancel_job(db, user, job_name))


@router.delete("/{job_name}", responses=error_responses(404))
def delete_job(job_name: str, user: CurrentUser, db: DbDep, runtime: RuntimeDep) -> JobOut:
    """Delete the job and erase its result files (a running job stops)."""
    return job_out(jobs.delete_job(db, runtime.storage, user, job_name))


@router.post("/bulk-delete", responses=error_responses(400, 413, 422))
def bulk_delete_jobs(
    body: BulkDeleteRequest, user: CurrentUser, db: DbDep, runtime: RuntimeDep
) -> BulkDeleteResponse:
    """Delete up to 100 jobs and their results; unknown names are listed as failed."""
    deleted, failed = jobs.bulk_delete(db, runtime.storage, user, body.job_names)
    return BulkDeleteResponse(deleted_jobs=[job_out(j) for j in deleted], failed_jobs=failed)
