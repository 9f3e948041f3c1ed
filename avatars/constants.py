"""The official client's ``avatars.constants`` import path: ``PlotKind``, ``Results``,
``DEFAULT_TIMEOUT`` and ``aggregate_job_status``, so that its scripts import unchanged.

``Results`` names the kinds of result file a job writes; here it is our
:class:`avatar_yaml.ResultKind` (``Results.SHUFFLED`` is ``"shuffled"``, as there). Kinds the
official server writes and ours does not (``figures``, ``figures_metadata``,
``reference_tables``...) are absent rather than invented: ``docs/official-client.md`` says why.
"""

from __future__ import annotations

from collections.abc import Iterable

from avatar_yaml import JobStatus
from avatar_yaml import ResultKind as Results
from avatars.client_config import DEFAULT_TIMEOUT
from avatars.plots import PlotKind

# Worst first: what one status sums up a group of jobs with.
_SEVERITY = (
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.RUNNING,
    JobStatus.PENDING,
    JobStatus.DONE,
)


def aggregate_job_status(statuses: Iterable[JobStatus | str]) -> JobStatus:
    """The one status that sums up several jobs (a run's): the worst of them, in the order
    failed, cancelled, running, pending, done. Raises ValueError for an empty list or an
    unknown status, naming it."""
    seen = set()
    for status in statuses:
        try:
            seen.add(JobStatus(status))
        except ValueError:
            known = ", ".join(member.value for member in JobStatus)
            raise ValueError(f"unknown job status {status!r} (statuses: {known})") from None
    if not seen:
        raise ValueError("aggregate_job_status needs at least one status")
    return next(status for status in _SEVERITY if status in seen)


__all__ = ["DEFAULT_TIMEOUT", "PlotKind", "Results", "aggregate_job_status"]
