"""Where a job's batches run: in the job's own process by default, on the workers of the Dask
cluster when the job itself runs there (``avatar_server.jobs.dask_task`` says so for the job it
runs). The engine only sees a mapper (:data:`~avatar_server.engine.avatarize.BatchMapper`); the
streamed job (:mod:`~avatar_server.jobs.streamed`) maps its own tasks the same way
(:func:`current_task_mapper`)."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from avatar_server.engine.avatarize import BatchMapper, avatarize_batch

BATCH_RETRIES = 2
"""A batch whose worker died runs again elsewhere (Dask reschedules it at once); this many more
times if it raised."""

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


class TaskMapper(Protocol):
    """Runs ``task(shared, item)`` for each item and yields the results as they come (any
    order). Closing the iterator stops the tasks not yet done."""

    def __call__(
        self, task: Callable[[S, T], R], shared: S, items: Sequence[T], /
    ) -> Iterator[R]: ...


_mapper: ContextVar[TaskMapper | None] = ContextVar("avatar_task_mapper", default=None)


def map_in_process(task: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
    """The default: each task in turn, in this process."""
    for item in items:
        yield task(shared, item)


def current_task_mapper() -> TaskMapper:
    """The mapper of the job running in this context (by default, this process)."""
    return _mapper.get() or map_in_process


def current_mapper() -> BatchMapper | None:
    """The engine's batch mapper of the job running in this context (None: the engine's
    own, in process)."""
    mapper = _mapper.get()
    if mapper is None:
        return None
    return functools.partial(mapper, avatarize_batch)


@contextlib.contextmanager
def batches_on_dask() -> Iterator[None]:
    """Within: the running job fans its batches out to the Dask cluster it runs on."""
    token = _mapper.set(map_on_dask)
    try:
        yield
    finally:
        _mapper.reset(token)


def map_on_dask(task: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
    """Run each item as a task of the cluster: ``shared`` sent once to every worker, each
    item to one; results yielded as they complete. The job's own task leaves its worker thread
    while it waits (``worker_client``), so a one-thread worker runs tasks too. Closing the
    iterator (a cancel seen between two results) cancels the tasks not done."""
    from distributed import as_completed, worker_client

    with worker_client() as client:
        run = uuid.uuid4().hex[:12]
        scattered = client.scatter(shared, broadcast=True, hash=False)
        parts: list[Any] = client.scatter(list(items), hash=False)
        futures = [
            client.submit(
                task,
                scattered,
                part,
                key=f"avatar-batch-{run}-{number}",
                retries=BATCH_RETRIES,
                pure=False,
            )
            for number, part in enumerate(parts)
        ]
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                yield future.result()
        finally:
            client.cancel([future for future in futures if not future.done()])


__all__ = [
    "TaskMapper",
    "batches_on_dask",
    "current_mapper",
    "current_task_mapper",
    "map_in_process",
    "map_on_dask",
]
