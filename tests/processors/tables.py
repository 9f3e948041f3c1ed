"""Seeded random tables for the round-trip tests (hypothesis is not available)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEEDS = [0, 1, 2, 3, 4]


def messy_table(seed: int, rows: int = 60) -> pd.DataFrame:
    """Numbers, gaps, categories, dates and a shuffled, non-zero-based index."""
    rng = np.random.default_rng(seed)
    floats = rng.normal(50, 20, rows)
    floats[rng.random(rows) < 0.15] = np.nan
    seconds = rng.integers(-2_000_000_000, 2_000_000_000, rows)
    when = pd.Series(seconds.astype("datetime64[s]"))
    when[rng.random(rows) < 0.1] = pd.NaT
    labels = rng.choice(["a", "b", "c", "d", "e", "rare"], rows, p=[0.3, 0.3, 0.2, 0.1, 0.08, 0.02])
    category = pd.Series(labels, dtype=object)
    category[rng.random(rows) < 0.1] = None
    frame = pd.DataFrame(
        {
            "score": rng.integers(1, 4, rows),
            "amount": floats,
            "kind": category,
            "when": when,
            "flag": rng.random(rows) < 0.5,
        }
    )
    frame.index = rng.permutation(np.arange(100, 100 + rows))
    return frame
