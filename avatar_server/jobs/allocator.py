"""Allocator settings for the job worker processes that run the engine (the engine itself, a
library, leaves the process's settings alone).

The engine works on arrays of tens of megabytes (100k rows × 50 encoded columns is 40 MB).
glibc serves blocks that large with a fresh ``mmap`` and unmaps them on free, so every such
array is page-faulted in anew: at 100k rows that is about a fifth of an avatarization. A worker
process that runs one job after another keeps freed memory instead, and hands it back to the
kernel between jobs (:func:`release_freed_memory`), so its resident size still falls when idle.
Elsewhere than glibc these are no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

# mallopt(3) parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
KEEP_BYTES = 1 << 30


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        library = ctypes.CDLL(name)
        library.mallopt  # noqa: B018 - musl and others have no mallopt
        library.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return library


def keep_freed_memory(limit_bytes: int = KEEP_BYTES) -> bool:
    """Serve blocks up to ``limit_bytes`` from the heap and keep freed memory in the process.

    Returns whether the allocator accepted the settings.
    """
    library = _glibc()
    if library is None:
        return False
    accepted = library.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(limit_bytes))
    accepted &= library.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(2 * limit_bytes - 1))
    return bool(accepted)


def release_freed_memory() -> None:
    """Hand the memory freed since the last call back to the kernel (between two jobs)."""
    library = _glibc()
    if library is not None:
        library.malloc_trim(ctypes.c_size_t(0))
