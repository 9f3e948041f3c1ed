"""Filling numeric gaps before projection (the gaps themselves are restored afterwards)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from sklearn.impute import KNNImputer
from sklearn.neighbors import NearestNeighbors

ImputeMethod = Literal["knn", "fast_knn", "mean", "median", "mode"]
IMPUTE_METHODS: tuple[str, ...] = ("knn", "fast_knn", "mean", "median", "mode")
_FAST_KNN_MAX_TRAINING = 20_000
# Gap patterns searched each with a tree of its own; rarer ones go to the pairwise imputer.
_MAX_PATTERNS = 64
# Rows searched between two progress calls.
_CHUNK_ROWS = 10_000


def impute(
    values: np.ndarray[Any, np.dtype[np.float64]],
    method: str = "fast_knn",
    *,
    k: int = 5,
    training_fraction: float = 0.2,
    rng: np.random.Generator,
    progress: Callable[[float], None] = lambda _fraction: None,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Return ``values`` (n × p, NaN = missing) with every NaN filled.

    ``knn`` averages the ``k`` nearest rows (Euclidean on the standardised columns a row has,
    among the complete rows; rows with a rare gap pattern, or without ``k`` complete rows to
    learn from, use scikit-learn's NaN-aware distances to every row); ``fast_knn`` does the
    same against a random ``training_fraction`` of rows (at most 20,000), which is what keeps
    it fast on large tables.
    """
    if method not in IMPUTE_METHODS:
        raise ValueError(
            f"unknown imputation method {method!r}: use one of {', '.join(IMPUTE_METHODS)}"
        )
    gaps = np.isnan(values)
    if not gaps.any():
        return values
    if method in ("mean", "median", "mode"):
        return _fill_columns(values, gaps, method)
    if not 0 < training_fraction <= 1:
        raise ValueError("imputation training_fraction must be in (0, 1]")
    if k < 1:
        raise ValueError("imputation k must be at least 1")
    centre = np.nanmean(values, axis=0)
    scale = np.nanstd(values, axis=0)
    scale[~np.isfinite(scale) | (scale == 0)] = 1.0
    standard = (values - centre) / scale
    training = standard
    if method == "fast_knn":
        size = max(k + 1, min(_FAST_KNN_MAX_TRAINING, int(len(values) * training_fraction)))
        if size < len(values):
            training = standard[rng.choice(len(values), size=size, replace=False)]
    completed = standard.copy()
    rows = np.flatnonzero(gaps.any(axis=1))
    patterns, which, sizes = np.unique(gaps[rows], axis=0, return_inverse=True, return_counts=True)
    which = which.reshape(-1)
    complete = ~np.isnan(training).any(axis=1)
    frequent = set(np.argsort(-sizes, kind="stable")[:_MAX_PATTERNS].tolist())
    unusual: list[np.ndarray[Any, np.dtype[np.intp]]] = []
    done = 0
    for number, pattern in enumerate(patterns):
        members = rows[which == number]
        if number not in frequent or pattern.all() or complete.sum() < k:
            unusual.append(members)
            continue
        for start in range(0, len(members), _CHUNK_ROWS):
            chunk = members[start : start + _CHUNK_ROWS]
            completed[chunk] = _fill_pattern(standard[chunk], training[complete], pattern, k)
            done += len(chunk)
            progress(done / len(rows))
    if unusual:
        # Gap patterns too rare to be worth a search of their own: scikit-learn's NaN-aware
        # distances, which need no complete donor but cost a distance per (row, donor) pair.
        imputer = KNNImputer(n_neighbors=min(k, len(training)), keep_empty_features=True)
        imputer.fit(training)
        others = np.concatenate(unusual)
        completed[others] = imputer.transform(standard[others])
    filled = np.where(gaps, completed * scale + centre, values)
    # A column empty in the training sample leaves NaN: fall back to its median.
    return _fill_columns(filled, np.isnan(filled), "median") if np.isnan(filled).any() else filled


def _fill_pattern(
    rows: np.ndarray[Any, np.dtype[np.float64]],
    donors: np.ndarray[Any, np.dtype[np.float64]],
    pattern: np.ndarray[Any, np.dtype[np.bool_]],
    k: int,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """``rows`` sharing one gap ``pattern``, filled with the mean of their ``k`` nearest
    complete ``donors`` on the columns they have.

    With complete donors, the NaN-aware distance is the plain one on the observed columns
    (up to a constant factor), so a tree search finds the same neighbours: about 1 s for
    30,000 rows against 20,000 donors, where pairwise NaN-aware distances took 40 s."""
    observed = ~pattern
    search = NearestNeighbors(n_neighbors=min(k, len(donors))).fit(donors[:, observed])
    _, nearest = search.kneighbors(rows[:, observed])
    filled = rows.copy()
    filled[:, pattern] = donors[:, pattern][nearest].mean(axis=1)
    return filled


def _fill_columns(
    values: np.ndarray[Any, np.dtype[np.float64]],
    gaps: np.ndarray[Any, np.dtype[np.bool_]],
    method: str,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    filled = values.copy()
    for column in np.flatnonzero(gaps.any(axis=0)):
        present = values[~gaps[:, column], column]
        if method == "mean":
            fill = float(np.mean(present))
        elif method == "median":
            fill = float(np.median(present))
        else:
            uniques, counts = np.unique(present, return_counts=True)
            fill = float(uniques[np.argmax(counts)])
        filled[gaps[:, column], column] = fill
    return filled
