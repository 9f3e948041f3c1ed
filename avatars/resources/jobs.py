"""``client.jobs``: submit jobs, watch them (long-poll), cancel and delete them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from avatars_api.api.jobs import (
    bulk_delete_jobs,
    cancel_job,
    create_job,
    delete_job,
    get_job,
    list_jobs,
)
from avatars_api.models import (
    BulkDeleteRequest,
    BulkDeleteResponse,
    JobCreate,
    JobList,
    JobOut,
)
from avatars_api.models import JobStatus as WireJobStatus
from avatars_api.types import UNSET

from avatars._http import HttpCore

# A long-poll never waits longer than this, so it stays well inside the HTTP timeout.
MAX_WAIT_S = 20.0


class Jobs:
    def __init__(self, core: HttpCore) -> None:
        self._core = core

    def create_job(
        self,
        set_name: uuid.UUID | str,
        parameters_name: str,
        depends_on: Sequence[str] = (),
    ) -> JobOut:
        """Queue the job that document ``parameters_name`` of the set describes."""
        return self._core.call(
            create_job.sync_detailed,
            JobOut,
            idempotent=False,
            body=JobCreate(
                set_name=uuid.UUID(str(set_name)),
                parameters_name=parameters_name,
                depends_on=list(depends_on),
            ),
        )

    def get_jobs(
        self,
        *,
        display_name: str | None = None,
        set_name: uuid.UUID | str | None = None,
        kind: str | None = None,
        status: str | None = None,
        names: Sequence[str] | None = None,
        limit: int = 100,
    ) -> JobList:
        """Your jobs, newest first (``.jobs``); the filters combine."""
        return self._core.call(
            list_jobs.sync_detailed,
            JobList,
            idempotent=True,
            display_name=display_name if display_name is not None else UNSET,
            set_name=uuid.UUID(str(set_name)) if set_name is not None else UNSET,
            kind=str(kind) if kind is not None else UNSET,
            status=WireJobStatus(str(status)) if status is not None else UNSET,
            names=list(names) if names else UNSET,
            limit=limit,
        )

    def get_job(self, name: str, *, wait: float = 0.0) -> JobOut:
        """The job's state; with ``wait``, the server answers as soon as it changes (or after
        ``wait`` seconds, at most 20)."""
        return self._core.call(
            get_job.sync_detailed,
            JobOut,
            idempotent=True,
            job_name=name,
            wait=min(max(wait, 0.0), MAX_WAIT_S),
        )

    def cancel_job(self, name: str) -> JobOut:
        return self._core.call(cancel_job.sync_detailed, JobOut, idempotent=True, job_name=name)

    def delete_job(self, name: str) -> JobOut:
        """Delete the job and its result files."""
        return self._core.call(delete_job.sync_detailed, JobOut, idempotent=False, job_name=name)

    def bulk_delete_jobs(self, names: Sequence[str]) -> BulkDeleteResponse:
        """Delete up to 100 jobs at once; unknown names come back in ``failed_jobs``."""
        return self._core.call(
            bulk_delete_jobs.sync_detailed,
            BulkDeleteResponse,
            idempotent=True,
            body=BulkDeleteRequest(job_names=list(names)),
        )
