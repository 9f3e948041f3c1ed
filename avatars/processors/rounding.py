"""Rounding a row of amounts so that the rounded parts still add up to the rounded total."""

from __future__ import annotations

import numpy as np


def round_keeping_sum(values: np.ndarray, decimal_count: int) -> np.ndarray:
    """Round ``values`` to ``decimal_count`` decimals, their sum equal to the rounded sum.

    Largest remainder: every value is rounded down to the grid, then the missing grid steps go
    to the values with the largest remainders (ties to the earlier value, a stable order).
    """
    if not np.isfinite(values).all():
        raise ValueError("values to round must be finite numbers")
    scale = 10.0**decimal_count
    scaled = values * scale
    # The grid positions are rounded first so that 0.3 × 10 = 2.9999999999999996 stays 3.
    scaled = np.round(scaled, 6)
    floors = np.floor(scaled)
    missing = round(float(np.round(scaled.sum(), 6))) - int(floors.sum())
    order = np.argsort(-(scaled - floors), kind="stable")
    steps = floors.copy()
    steps[order[:missing]] += 1
    return steps / scale
