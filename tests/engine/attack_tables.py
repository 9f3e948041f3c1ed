"""Tables the attack tests share: avatars at a given k, and rows with every link cut."""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatar_server.engine.avatarize import avatarize


def avatars_of(table: pd.DataFrame, k: int, seed: int = 1, ncp: int | None = None) -> pd.DataFrame:
    """The unshuffled avatars (row i: the avatar of original row i)."""
    return avatarize(table, k=k, seed=seed, ncp=ncp).unshuffled


def independent_rows(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each column shuffled on its own: every value kept, no row linked to an original."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {name: table[name].to_numpy()[rng.permutation(len(table))] for name in table.columns}
    )


def distinct_rows(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without its duplicated rows (a duplicate cannot be told from its twin)."""
    return table.drop_duplicates().reset_index(drop=True)


def large_table(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table of ``rows`` rows (numbers, text, a code) and a noisy copy standing for avatars."""
    rng = np.random.default_rng(seed)
    original = pd.DataFrame(
        {
            "a": rng.normal(size=rows),
            "b": rng.normal(size=rows),
            "city": rng.choice(["Nantes", "Lyon", "Paris"], rows),
            "code": rng.integers(0, 5, rows),
        }
    )
    avatars = original.copy()
    for name in ("a", "b"):
        avatars[name] = avatars[name] + rng.normal(scale=0.3, size=rows)
    return original, avatars
