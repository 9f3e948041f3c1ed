"""One BLAS thread while the avatars are computed, whatever the process.

A matrix product's last bits depend on how many threads share it (OpenBLAS splits the sums
differently): measured, the projection axes of one sample differ by 1e-15 between 1 and 2
threads, every coordinate after them too, and now and then an avatar (seed 1 of the 1M-row
scale bench: the local executor, 2 threads, and a Dask worker, 1 thread, released different
files). The same seed must give the same avatars wherever the work runs, so the engine's
numerical cores run with one BLAS thread; their parallelism comes from running batches side by
side (Dask workers) and from the neighbour search, which has threads of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

P = ParamSpec("P")
R = TypeVar("R")


def one_blas_thread(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run with one BLAS thread (the previous limits restored after)."""

    @functools.wraps(function)
    def limited(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return limited


__all__ = ["one_blas_thread"]
