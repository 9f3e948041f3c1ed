"""Rounding rows of amounts so that each row's rounded parts still add up to its rounded
total."""

from __future__ import annotations

import numpy as np


def round_rows_keeping_sums(values: np.ndarray, decimal_count: int) -> np.ndarray:
    """Round each row of ``values`` (2-D; NaN: no part there) to ``decimal_count`` decimals,
    each row's sum equal to its rounded sum.

    Largest remainder, all rows at once: every value is rounded down to the grid, then each
    row's missing grid steps go to its values with the largest remainders (ties to the earlier
    value, a stable order).
    """
    present = ~np.isnan(values)
    if not np.isfinite(values[present]).all():
        raise ValueError("values to round must be finite numbers")
    scale = 10.0**decimal_count
    # The grid positions are rounded first so that 0.3 × 10 = 2.9999999999999996 stays 3.
    scaled = np.round(values * scale, 6)
    floors = np.floor(scaled)
    wanted = np.round(np.round(np.nansum(scaled, axis=1), 6))
    missing = (wanted - np.nansum(floors, axis=1)).astype(np.int64)
    # Rank of each value in its row by decreasing remainder; absent values rank last.
    remainders = np.where(present, scaled - floors, -np.inf)
    order = np.argsort(-remainders, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(values.shape[1]), order.shape), 1)
    steps = floors + (rank < missing[:, None])
    return np.where(present, steps / scale, np.nan)


def round_keeping_sum(values: np.ndarray, decimal_count: int) -> np.ndarray:
    """Round one row of ``values`` so that its sum equals its rounded sum (see
    :func:`round_rows_keeping_sums`)."""
    if not np.isfinite(values).all():
        raise ValueError("values to round must be finite numbers")
    rounded: np.ndarray = round_rows_keeping_sums(values[None, :], decimal_count)[0]
    return rounded
