"""The distance-based privacy metrics: hidden rate, local cloaking, distance to closest (DCR)
and closest distances ratio (NNDR), in avatar-method.md §2.

Distances are measured in the originals' projection (:func:`metric_space.metric_space`), the
link between an original and its avatar being positional (row ``i`` of both arrays). Every step
is a kd-tree query, never a loop over rows; the local cloaking query is most of the cost of
the privacy metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from avatar_server.engine.results import MetricResult, dcr_target, privacy_result

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]

# Two distances closer than this (relative) are a tie: the projection's rounding must not
# decide whether an avatar is "strictly closer" than another at the same place.
_TIE_TOLERANCE = 1e-9
_LC_CHUNKS = 32
_LC_MIN_CHUNK_ROWS = 1000
_LEAF_SIZE = 32
_LC_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5-9", 5, 9),
    ("10-19", 10, 19),
    ("20-49", 20, 49),
    ("50+", 50, None),
)


def _ties_below(distances: FloatArray) -> FloatArray:
    """The largest distance still strictly smaller than ``distances`` (ties excluded)."""
    return np.asarray(distances - (_TIE_TOLERANCE * distances + 1e-12), dtype=np.float64)


def local_cloaking_counts(originals: FloatArray, avatars: FloatArray, cap: int) -> IntArray:
    """Per original, the number of avatars strictly closer to it than its own avatar, capped."""
    tree = cKDTree(avatars, leafsize=_LEAF_SIZE)
    return _cloaking_and_ties(tree, originals, avatars, cap, np.arange(len(originals)))[0]


def _own_distances(originals: FloatArray, avatars: FloatArray) -> FloatArray:
    return np.asarray(np.sqrt(np.sum((originals - avatars) ** 2, axis=1)), dtype=np.float64)


def _cloaking_and_ties(
    tree: cKDTree, originals: FloatArray, avatars: FloatArray, cap: int, rows: IntArray
) -> tuple[IntArray, IntArray]:
    """For the originals at ``rows``: avatars strictly closer than its own (capped), and
    avatars exactly as close as its own, the own one included (capped too).

    ``tree`` holds ``avatars``. A kNN query for ``cap`` neighbours costs ``cap`` heap
    operations per row even when the own avatar is the nearest, and scipy's
    ``distance_upper_bound`` takes one number only. So the originals are sorted by their own
    distance and queried in chunks, each bounded by the largest own distance in it: rows stop
    as soon as the ball around them is exhausted, and never scan more than ``cap`` neighbours.
    """
    queried = originals[rows]
    own = _own_distances(queried, avatars[rows])
    below = _ties_below(own)
    above = own + (_TIE_TOLERANCE * own + 1e-12)
    counts = np.zeros(len(rows), dtype=np.int64)
    ties = np.ones(len(rows), dtype=np.int64)
    k = min(cap, len(avatars))
    order = np.argsort(own, kind="stable")
    chunks = max(1, min(_LC_CHUNKS, len(rows) // _LC_MIN_CHUNK_ROWS))
    for chunk in np.array_split(order, chunks):
        if chunk.size == 0:
            continue
        distances, _ = tree.query(
            queried[chunk], k=k, distance_upper_bound=float(above[chunk[-1]]) * 1.0001, workers=-1
        )
        distances = np.asarray(distances).reshape(len(chunk), k)
        counts[chunk] = np.count_nonzero(distances < below[chunk, None], axis=1)
        within = np.count_nonzero(distances <= above[chunk, None], axis=1)
        ties[chunk] = np.maximum(1, within - counts[chunk])
    return np.minimum(counts, cap), ties


def _hidden(
    tree: cKDTree, originals: FloatArray, avatars: FloatArray, cap: int, rows: IntArray
) -> tuple[FloatArray, IntArray]:
    """Per original at ``rows``: the chance an attacker linking it to its nearest avatar misses
    its own avatar, and the number of avatars tied with the own one for nearest.

    One nearest-avatar query decides most rows (an avatar strictly closer: hidden); only rows
    whose own avatar is nearest or tied for it need their ties counted.
    """
    queried = originals[rows]
    nearest, _ = tree.query(queried, k=1, workers=-1)
    closer = np.asarray(nearest) < _ties_below(_own_distances(queried, avatars[rows]))
    hidden = np.ones(len(rows))
    ties = np.ones(len(rows), dtype=np.int64)
    found = np.flatnonzero(~closer)
    if found.size:
        counts, found_ties = _cloaking_and_ties(tree, originals, avatars, cap, rows[found])
        ties[found] = found_ties
        # Tied with t others for nearest: an attacker picking among them finds it with 1/t.
        hidden[found] = np.where(counts > 0, 1.0, 1.0 - 1.0 / found_ties)
    return hidden, ties


def _person_hidden(
    tree: cKDTree, originals: FloatArray, persons: IntArray, cap: int, rows: IntArray
) -> tuple[FloatArray, IntArray]:
    """Per original at ``rows``: the chance an attacker linking it to its nearest avatar lands
    on an avatar of another person (``persons[j]`` is the person avatar ``j`` descends from,
    ``persons[i]`` the person original ``i`` belongs to), and the number of avatars tied for
    nearest.

    Among avatars tied for nearest the attacker picks one at random, so the row counts as
    hidden by the share of them that belong to someone else. With one person per row this is
    the row-level rule of :func:`_hidden` (own avatar tied with t others: hidden with
    probability t/(t+1)). Ties beyond ``cap`` avatars are not looked at.
    """
    queried = originals[rows]
    count = tree.n
    k = min(2, count)
    distances, indices = tree.query(queried, k=k, workers=-1)
    distances = np.asarray(distances, dtype=np.float64).reshape(len(rows), k)
    indices = np.asarray(indices, dtype=np.int64).reshape(len(rows), k)
    own = persons[rows]
    hidden = (persons[indices[:, 0]] != own).astype(np.float64)
    ties = np.ones(len(rows), dtype=np.int64)
    if k < 2:
        return hidden, ties
    bound = distances[:, 0] + (_TIE_TOLERANCE * distances[:, 0] + 1e-12)
    tied = np.flatnonzero(distances[:, 1] <= bound)
    if tied.size == 0:
        return hidden, ties
    near, which = tree.query(
        queried[tied],
        k=min(cap, count),
        distance_upper_bound=float(bound[tied].max()) * 1.0001,
        workers=-1,
    )
    near = np.asarray(near, dtype=np.float64).reshape(tied.size, -1)
    which = np.asarray(which, dtype=np.int64).reshape(tied.size, -1)
    within = near <= bound[tied, None]
    same = within & (persons[np.minimum(which, count - 1)] == own[tied, None])
    counted = np.maximum(1, np.count_nonzero(within, axis=1))
    hidden[tied] = 1.0 - np.count_nonzero(same, axis=1) / counted
    ties[tied] = counted
    return hidden, ties


def local_cloaking_histogram(counts: IntArray) -> dict[str, int]:
    """Originals per band of local cloaking (0, 1, 2, 3, 4, 5-9, 10-19, 20-49, 50+)."""
    histogram = {}
    for label, low, high in _LC_BINS:
        inside = counts >= low if high is None else (counts >= low) & (counts <= high)
        histogram[label] = int(np.count_nonzero(inside))
    return histogram


def _quantiles(values: FloatArray | IntArray, levels: Sequence[int]) -> dict[str, float]:
    points = np.percentile(values, levels)
    return {str(level): float(point) for level, point in zip(levels, points, strict=True)}


def hidden_and_cloaking(
    originals: FloatArray,
    avatars: FloatArray,
    cap: int,
    space: dict[str, Any],
    rows: IntArray,
    cloaking_rows: IntArray,
    persons: IntArray | None = None,
) -> tuple[MetricResult, MetricResult, float]:
    """The hidden rate (over ``rows``) and local cloaking (over ``cloaking_rows``, a subset:
    its capped query is the costliest), then the hidden rate itself, which discounts the
    correlation protection rate. Both ask which avatars lie closer to an original than its own,
    so they share one tree of the avatars. ``space`` says where distances were measured.
    With ``persons`` the hidden rate is person-level (:func:`_person_hidden`)."""
    tree = cKDTree(avatars, leafsize=_LEAF_SIZE)
    details: dict[str, Any]
    if persons is None:
        hidden, ties = _hidden(tree, originals, avatars, cap, rows)
        details = {
            "ties": "own avatar tied with t others for nearest: hidden with probability t/(t+1)"
        }
    else:
        hidden, ties = _person_hidden(tree, originals, persons, cap, rows)
        details = {
            "level": "person",
            "persons": int(np.unique(persons[rows]).size),
            "definition": "a row is not hidden when its nearest avatar descends from the same "
            "person; among avatars tied for nearest, by the share from another person",
        }
    hidden_rate = 100.0 * float(np.mean(hidden))
    hidden_result = privacy_result(
        "hidden_rate",
        hidden_rate,
        {
            "hidden": float(np.sum(hidden)),
            "nearest_ties": int(np.count_nonzero((hidden < 1) & (ties > 1))),
            "rows": len(rows),
            **details,
            **space,
        },
    )
    counts = _cloaking_and_ties(tree, originals, avatars, cap, cloaking_rows)[0]
    if len(cloaking_rows) < len(rows):
        space = {**space, "sampled_rows": len(cloaking_rows)}
    histogram = local_cloaking_histogram(counts)
    capped = int(np.count_nonzero(counts >= cap))
    cloaking = privacy_result(
        "local_cloaking",
        float(np.median(counts)),
        {
            "quantiles": _quantiles(counts, (5, 25, 50, 75, 95)),
            "mean": float(np.mean(counts)),
            "share_zero": float(np.mean(counts == 0)),
            "histogram": histogram,
            "cap": cap,
            "capped": capped,
            "note": f"counts of {cap} or more are reported as {cap}",
            **space,
        },
    )
    return hidden_result, cloaking, hidden_rate


def _ratios(first: FloatArray, second: FloatArray) -> FloatArray:
    """d1 / d2, 1 where the second distance is 0 (two originals at the same place)."""
    safe = np.where(second > 0, second, 1.0)
    return np.asarray(np.where(second > 0, first / safe, 1.0), dtype=np.float64)


def distance_metrics(
    originals: FloatArray, avatars: FloatArray, space: dict[str, Any], sample: IntArray | None
) -> list[MetricResult]:
    """Distance from each avatar to its closest original (DCR) and the ratio of its two
    closest (NNDR), for the avatars at ``sample`` (None: all), beside the same measures among
    the originals: how close avatars are only means something next to how close the originals
    are to one another."""
    tree = cKDTree(originals, leafsize=_LEAF_SIZE)
    # Only distributions are kept, so rows are queried in the tree's leaf order (the nearest
    # cache behaviour): an original's avatar lies near it, so this suits both queries.
    order = tree.indices if sample is None else sample
    rows = len(order)
    queried = avatars[order]
    distances, _ = tree.query(queried, k=2, workers=-1)
    closest, second = distances[:, 0], distances[:, 1]
    ratios = _ratios(closest, second)
    baseline_dcr: float | None = None
    baseline_nndr: float | None = None
    # Each original is its own nearest neighbour (distance 0, whichever duplicate comes first),
    # so columns 1 and 2 are its nearest and second nearest other originals.
    own, _ = tree.query(originals[order], k=min(3, len(originals)), workers=-1)
    own = np.asarray(own).reshape(rows, -1)
    baseline_dcr = float(np.median(own[:, 1]))
    if rows >= 3:
        baseline_nndr = float(np.median(_ratios(own[:, 1], own[:, 2])))
    dcr = privacy_result(
        "distance_to_closest",
        float(np.median(closest)),
        {
            "quantiles": _quantiles(closest, (5, 50, 95)),
            "share_zero": float(np.mean(closest == 0)),
            "baseline_original": baseline_dcr,
            "baseline_note": "median distance from each original to its nearest other original",
            **space,
        },
        dcr_target(baseline_dcr),
    )
    nndr = privacy_result(
        "closest_distances_ratio",
        float(np.median(ratios)),
        {
            "quantiles": _quantiles(ratios, (5, 50, 95)),
            "baseline_original": baseline_nndr,
            "baseline_note": "the same ratio for each original, over its two nearest others",
            **space,
        },
    )
    return [dcr, nndr]
