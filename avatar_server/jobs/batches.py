"""Where a job's batches run: in the job's own process by default, on the workers of the Dask
cluster when the job itself runs there (``avatar_server.jobs.dask_task`` says so for the job it
runs). The engine only sees a mapper (:data:`~avatar_server.engine.avatarize.BatchMapper`)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

from avatar_server.engine.avatarize import (
    Batch,
    BatchMapper,
    BatchModel,
    BatchResult,
    avatarize_batch,
)

BATCH_RETRIES = 2
"""A batch whose worker died runs again elsewhere (Dask reschedules it at once); this many more
times if it raised."""

_mapper: ContextVar[BatchMapper | None] = ContextVar("avatar_batch_mapper", default=None)


def current_mapper() -> BatchMapper | None:
    """The mapper of the job running in this context (None: the engine's own, in process)."""
    return _mapper.get()


@contextlib.contextmanager
def batches_on_dask() -> Iterator[None]:
    """Within: the running job fans its batches out to the Dask cluster it runs on."""
    token = _mapper.set(map_on_dask)
    try:
        yield
    finally:
        _mapper.reset(token)


def map_on_dask(model: BatchModel, batches: Sequence[Batch]) -> Iterator[BatchResult]:
    """Run each batch as a task of the cluster: the model sent once to every worker, each
    batch's slice sent to one; results yielded as they complete. The job's own task leaves its
    worker thread while it waits (``worker_client``), so a one-thread worker runs batches too.
    Closing the iterator (a cancel seen between two batches) cancels the batches not done."""
    from distributed import as_completed, worker_client

    with worker_client() as client:
        run = uuid.uuid4().hex[:12]
        shared = client.scatter(model, broadcast=True, hash=False)
        parts = client.scatter(list(batches), hash=False)
        futures = [
            client.submit(
                avatarize_batch,
                shared,
                part,
                key=f"avatar-batch-{run}-{batch.number}",
                retries=BATCH_RETRIES,
                pure=False,
            )
            for batch, part in zip(batches, parts, strict=True)
        ]
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                yield future.result()
        finally:
            client.cancel([future for future in futures if not future.done()])


__all__ = ["batches_on_dask", "current_mapper", "map_on_dask"]
