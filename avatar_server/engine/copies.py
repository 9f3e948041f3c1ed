"""No avatar equal to an original row that no other original shares.

An avatar that copies a row held by one original only points at that person, whatever the
distance metrics say. Tables of few-valued numbers make such copies by chance: on wbcd (nine
1–10 scores) 3–5 % of the avatars equalled a unique original row (docs/fidelity.md). Rows many
originals share (wbcd's hundreds of all-ones benign records) single nobody out and are left.

Each such avatar swaps one cell with another avatar: in a numeric column, with an avatar
holding the nearest other value (the smallest change the column's grid allows); in another
column, with any avatar holding another value. A swap moves values between avatars, so every
column keeps exactly the values it had: the marginals the decoding gave are unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

MAX_ROUNDS = 20


def row_keys(frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """One 64-bit hash per row of its values (gaps included), comparable across two frames
    whose columns have the same dtypes."""
    return np.asarray(pd.util.hash_pandas_object(frame, index=False).to_numpy(), dtype=np.uint64)


def unique_copy_rows(
    original: pd.DataFrame, avatars: pd.DataFrame
) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Positions of the avatars equal to an original row that no other original holds."""
    keys, counts = np.unique(row_keys(original), return_counts=True)
    single = keys[counts == 1]
    return np.flatnonzero(np.isin(row_keys(_like(avatars, original)), single))


def _like(avatars: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """``avatars`` with the originals' dtypes where they differ and can take them, so equal
    values hash alike (an integer column read back as floats)."""
    changed = {}
    for name in original.columns:
        if avatars[name].dtype != original[name].dtype:
            try:
                changed[name] = avatars[name].astype(original[name].dtype)
            except (TypeError, ValueError):
                continue
    return avatars.assign(**changed) if changed else avatars


def copies_left_warning(left: int) -> str:
    """The run warning for ``left`` avatars no swap could take off a unique original row."""
    return (
        f"{left} avatar(s) still equal an original row no other original shares: raise k or "
        "coarsen the columns that single them out"
    )


def break_unique_copies(
    original: pd.DataFrame, avatars: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, int]:
    """``avatars`` (same columns as ``original``) with no row equal to a unique original row,
    and how many remain (a row whose every swap would make another copy; 0 in practice).

    Rounds: every copy swaps one cell (numeric columns first, in random order) with a partner
    no other swap of the round touches; a partner that becomes a copy is caught next round.
    """
    bad = unique_copy_rows(original, avatars)
    if bad.size == 0:
        return avatars, 0
    names = list(avatars.columns)
    numeric = [
        pd.api.types.is_numeric_dtype(avatars[n]) and not pd.api.types.is_bool_dtype(avatars[n])
        for n in names
    ]
    values = [np.array(avatars[n].to_numpy(), copy=True) for n in names]
    missing = [np.array(pd.isna(avatars[n]).to_numpy(), dtype=bool) for n in names]
    order = [np.arange(len(avatars)) for _ in names]
    current = avatars
    for _ in range(MAX_ROUNDS):
        used = np.zeros(len(avatars), dtype=bool)
        used[bad] = True
        for row in bad:
            shuffled = [int(c) for c in rng.permutation(len(names))]
            ranked = sorted(shuffled, key=lambda c: not numeric[c])
            for column in ranked:
                partner = _partner(values[column], missing[column], used, row, numeric[column], rng)
                if partner is None:
                    continue
                for arrays in (values[column], missing[column], order[column]):
                    arrays[[row, partner]] = arrays[[partner, row]]
                used[partner] = True
                break
        current = pd.DataFrame(
            {
                name: avatars[name].take(order[c]).reset_index(drop=True)
                for c, name in enumerate(names)
            }
        )
        current.index = avatars.index
        bad = unique_copy_rows(original, current)
        if bad.size == 0:
            break
    return current, int(bad.size)


def _partner(
    values: np.ndarray[Any, Any],
    missing: np.ndarray[Any, np.dtype[np.bool_]],
    used: np.ndarray[Any, np.dtype[np.bool_]],
    row: int,
    numeric: bool,
    rng: np.random.Generator,
) -> int | None:
    """An avatar free this round holding another value than ``row`` in this column: the
    nearest value for numbers. None when there is none (or ``row``'s cell is a gap)."""
    if missing[row]:
        return None
    free = ~used & ~missing
    if numeric:
        numbers = values.astype("float64", copy=False)
        distance = np.abs(numbers - numbers[row])
        distance[~free | (distance == 0)] = np.inf
        nearest = distance.min(initial=np.inf)
        if not np.isfinite(nearest):
            return None
        return int(rng.choice(np.flatnonzero(distance == nearest)))
    candidates = np.flatnonzero(free & (values != values[row]))
    return int(rng.choice(candidates)) if candidates.size else None


__all__ = ["break_unique_copies", "copies_left_warning", "row_keys", "unique_copy_rows"]
