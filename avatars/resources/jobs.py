"""``client.jobs``: submit jobs, watch them (long-poll), cancel and delete them.

The server takes at most 100 job names per request; :meth:`Jobs.get_jobs` and
:meth:`Jobs.bulk_delete_jobs` take any number and split them here, once for every caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

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
# The server's limit on job names per request (list filter and bulk delete); the facade
# splits longer lists, so callers never need to.
MAX_NAMES_PER_REQUEST = 100


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
        limit: int | None = None,
    ) -> JobList:
        """Your jobs, newest first (``.jobs``); the filters combine.

        ``names`` may hold any number of job names: they are asked for
        :data:`MAX_NAMES_PER_REQUEST` at a time and the answers merged (an empty sequence
        matches nothing). ``limit`` caps the jobs returned: 100 by default, every named job
        when ``names`` is given.
        """
        filters = {
            "display_name": display_name if display_name is not None else UNSET,
            "set_name": uuid.UUID(str(set_name)) if set_name is not None else UNSET,
            "kind": str(kind) if kind is not None else UNSET,
            "status": WireJobStatus(str(status)) if status is not None else UNSET,
        }
        if names is None:
            return self._list(filters, limit=100 if limit is None else limit)
        found: dict[str, JobOut] = {}
        for chunk in _chunks(names):
            for job in self._list(filters, names=chunk, limit=len(chunk)).jobs:
                found[job.name] = job
        # The server's order (newest first, then by name), kept across the chunks.
        merged = sorted(found.values(), key=lambda job: job.name)
        merged.sort(key=lambda job: job.created_at, reverse=True)
        return JobList(jobs=merged if limit is None else merged[:limit])

    def _list(
        self, filters: dict[str, Any], *, limit: int, names: list[str] | None = None
    ) -> JobList:
        return self._core.call(
            list_jobs.sync_detailed,
            JobList,
            idempotent=True,
            names=names if names is not None else UNSET,
            limit=limit,
            **filters,
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
        """Delete any number of jobs, :data:`MAX_NAMES_PER_REQUEST` per request, in one merged
        answer; unknown names (and other users' jobs) come back in ``failed_jobs``.

        A name given twice is deleted once (otherwise a later request would report it failed).
        """
        deleted: list[JobOut] = []
        failed: list[str] = []
        for chunk in _chunks(names):
            answer = self._core.call(
                bulk_delete_jobs.sync_detailed,
                BulkDeleteResponse,
                idempotent=True,
                body=BulkDeleteRequest(job_names=chunk),
            )
            deleted.extend(answer.deleted_jobs)
            failed.extend(answer.failed_jobs)
        return BulkDeleteResponse(deleted_jobs=deleted, failed_jobs=failed)


def _chunks(names: Sequence[str]) -> Iterator[list[str]]:
    """The distinct ``names``, in order, by slices the server accepts in one request."""
    if isinstance(names, str):  # a str is a Sequence[str]: one name, not its characters
        raise TypeError("names: expected a sequence of job names, got a str")
    distinct = list(dict.fromkeys(names))
    for start in range(0, len(distinct), MAX_NAMES_PER_REQUEST):
        yield distinct[start : start + MAX_NAMES_PER_REQUEST]
