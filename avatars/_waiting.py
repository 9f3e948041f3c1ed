"""Waiting for a job: long-polls with a progress bar, and a clear error when the job failed.

The server answers ``GET /jobs/{name}?wait=s`` as soon as the job's status, stage or progress
changes, so a loop of long-polls follows a job closely without fixed sleeps and without
hammering the server while nothing happens.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from avatar_yaml import JobStatus, job_words
from avatars.client_config import env_bool
from avatars.errors import JobFailedError, JobTimeoutError

if TYPE_CHECKING:
    from avatars_api.models import JobOut

    from avatars.client import ApiClient

# Longest single long-poll; it must stay well inside the HTTP timeout.
LONG_POLL_S = 10.0
_MIN_POLL_S = 0.5
_BAR_STEPS = 100


def progress_enabled(show_progress: bool | None) -> bool:
    """An explicit choice wins; otherwise ``AVATAR_PROGRESS`` (default on) decides, so that
    batch jobs and CI logs can silence every bar without changing code."""
    if show_progress is not None:
        return show_progress
    return env_bool("AVATAR_PROGRESS", True)


def poll_seconds(timeout: float | None) -> float:
    """The long-poll duration for a client whose HTTP timeout is ``timeout``: at most half of
    it, so a slow answer is never mistaken for a dead server."""
    if timeout is None:
        return LONG_POLL_S
    return max(_MIN_POLL_S, min(LONG_POLL_S, timeout / 2))


def status_of(job: JobOut) -> JobStatus:
    """A job's status as the shared vocabulary's member (the generated model has its own)."""
    return JobStatus(job.status.value)


def raise_if_failed(job: JobOut) -> None:
    if job.done and status_of(job) is not JobStatus.DONE:
        raise JobFailedError(
            job.name, str(job.status), job.error, str(job.kind), job.parameters_name
        )


def wait_for_job(
    client: ApiClient,
    job_name: str,
    *,
    show_progress: bool | None = None,
    label: str = "",
    timeout: float | None = None,
) -> JobOut:
    """Follow ``job_name`` until it is done and return its final state.

    ``timeout`` bounds the whole wait, in seconds (None: as long as the job takes). Each
    long-poll is shortened so the deadline is kept to within one request's round trip.

    Raises :class:`~avatars.errors.JobFailedError` naming the job, its status and the
    server's reason when it failed or was cancelled, and
    :class:`~avatars.errors.JobTimeoutError` with its last status, stage and progress when
    ``timeout`` ran out first (the job is left running).
    """
    if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
        raise ValueError(f"timeout: expected a number of seconds >= 0 or None, got {timeout!r}")
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    wait = poll_seconds(client.timeout)
    job = client.jobs.get_job(job_name)
    if job.done:
        raise_if_failed(job)
        return job
    title = label or job_words(job.parameters_name)
    bar = tqdm(
        total=_BAR_STEPS,
        desc=title,
        disable=not progress_enabled(show_progress),
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}]",
    )
    try:
        while True:
            stage = job.stage or str(job.status)
            bar.set_description_str(f"{title} ({stage})", refresh=False)
            bar.n = round(min(max(job.progress, 0.0), 1.0) * _BAR_STEPS)
            bar.refresh()
            if job.done:
                break
            poll = wait
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise JobTimeoutError(
                        job_name,
                        status=str(job.status),
                        stage=job.stage,
                        progress=job.progress,
                        waited=time.monotonic() - start,
                        kind=str(job.kind),
                        document=job.parameters_name,
                    )
                poll = min(wait, left)
            job = client.jobs.get_job(job_name, wait=poll)
    finally:
        bar.close()
    raise_if_failed(job)
    return job
