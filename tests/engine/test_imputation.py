"""Numeric gaps filled from the nearest rows, checked against a brute-force search."""

from __future__ import annotations

from typing import Any

import numpy as np

from avatar_server.engine.imputation import impute


def brute_force(
    values: np.ndarray[Any, np.dtype[np.float64]], k: int
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Each gap: the mean of the k complete rows nearest on the row's present columns,
    in standardised units (what ``knn`` promises for common gap patterns)."""
    centre, scale = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    standard = (values - centre) / scale
    donors = standard[~np.isnan(standard).any(axis=1)]
    filled = values.copy()
    for row in np.flatnonzero(np.isnan(values).any(axis=1)):
        present = ~np.isnan(standard[row])
        distances = ((donors[:, present] - standard[row, present]) ** 2).sum(axis=1)
        nearest = donors[np.argsort(distances, kind="stable")[:k]]
        filled[row, ~present] = (
            nearest[:, ~present].mean(axis=0) * scale[~present] + centre[~present]
        )
    return filled


def test_knn_fills_each_gap_from_the_nearest_complete_rows() -> None:
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(2_000, 1))
    values = latent @ rng.normal(size=(1, 4)) + 0.2 * rng.normal(size=(2_000, 4))
    values[rng.random(2_000) < 0.1, 0] = np.nan
    values[rng.random(2_000) < 0.05, 2] = np.nan  # two columns, so four gap patterns
    filled = impute(values, "knn", k=5, rng=np.random.default_rng(1))
    assert not np.isnan(filled).any()
    np.testing.assert_allclose(filled, brute_force(values, 5), rtol=1e-9, atol=1e-9)


def test_a_row_with_every_value_missing_and_rare_patterns_still_get_values() -> None:
    rng = np.random.default_rng(2)
    values = rng.normal(size=(300, 8))
    values[0] = np.nan
    for row in range(1, 120):  # 119 distinct patterns: more than get a search of their own
        values[row, rng.choice(8, size=3, replace=False)] = np.nan
    filled = impute(values, "fast_knn", k=3, rng=np.random.default_rng(3))
    assert not np.isnan(filled).any()
    present = ~np.isnan(values)
    np.testing.assert_array_equal(filled[present], values[present])
