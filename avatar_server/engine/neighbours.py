"""Exact k-nearest-neighbour search in the projected space, excluding each point itself."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from avatar_server.engine.progress import Progress

QUERY_CHUNK_ROWS = 25_000
LEAF_SIZE = 32


def nearest_others(
    points: np.ndarray[Any, np.dtype[np.float64]],
    k: int,
    *,
    progress: Progress,
    stage: str = "neighbours",
    span: tuple[float, float] = (0.0, 1.0),
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.int64]]]:
    """Distances and indices of each point's ``k`` nearest *other* points (Euclidean).

    A point's own entry is dropped even when duplicates tie with it at distance 0; queries run
    in chunks so ``progress`` (and so cancellation) is reached often.
    """
    n = len(points)
    tree = cKDTree(points, leafsize=LEAF_SIZE)
    # Querying in the tree's own leaf order keeps consecutive queries in the same nodes.
    query_order = tree.indices
    distances = np.empty((n, k))
    indices = np.empty((n, k), dtype=np.int64)
    start, stop = span
    for first in range(0, n, QUERY_CHUNK_ROWS):
        rows = query_order[first : first + QUERY_CHUNK_ROWS]
        found_d, found_i = tree.query(points[rows], k=k + 1, workers=-1)
        own = found_i == rows[:, None]
        # Rows where the point itself was not returned (k+1 duplicates) drop their farthest.
        own[~own.any(axis=1), -1] = True
        keep = ~own
        distances[rows] = found_d[keep].reshape(-1, k)
        indices[rows] = found_i[keep].reshape(-1, k)
        progress(stage, start + (stop - start) * (first + len(rows)) / n)
    return distances, indices
