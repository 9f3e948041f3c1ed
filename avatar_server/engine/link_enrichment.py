"""Columns added to a table so its avatarization sees the tables it is linked to.

Bottom-up (:func:`children_summary`): a parent gets, per child link, its children count (0 for a
childless parent) and per-parent summaries of the child's columns: the mean of each number
(datetimes as seconds, booleans as the share of true), and the share of each of the child's
most frequent modalities for text columns. Shares were chosen over modes by experiment on the
clinic (k = 10/5/10, LSA, 16 seeds): Cramér's V(doctor job, visit exam) 0.70 with shares, 0.69
with modes (original 0.74); correlation between visits per patient and weight 0.34 with shares,
0.17 with modes (original 0.26). Modes keep one modality of each child column and lose how mixed
a parent's children are. Down-weighting the summaries so a link's summaries weigh as one column
lowered V to 0.64. Counts alone, without summaries, gave V 0.74 and a correlation of 0.37: on
this fixture the summaries cost some cross-table signal. They are kept because they are what
makes a parent's avatar resemble parents whose children were alike (the *to_top_enriched* view
the metrics measure) and a larger fixture may tell otherwise; this is an open question.

A childless parent has no mean: it gets the mean over the parents that have children (a neutral
value, so it does not open an axis of its own in the projection; its count of 0 already says it
is childless), and shares of 0.

Top-down (:func:`parent_context`): each child row gets its parent's attributes, so the child's
avatar carries avatarized parent-like attributes, its coordinates for re-attachment.

Every added column is named from a prefix no column of the table starts with, so it never
collides with the table's own columns and is easy to drop afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.link_space import as_seconds

MAX_SHARED_MODALITIES = 10
BASE_PREFIX = "_link"


def free_prefix(columns: Iterable[Any]) -> str:
    """A prefix no column name in ``columns`` starts with."""
    names = [str(c) for c in columns]
    prefix = BASE_PREFIX
    while any(name.startswith(prefix) for name in names):
        prefix = "_" + prefix
    return prefix


def _numeric_values(column: pd.Series) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    """The column as numbers to average, or None for a categorical column."""
    if pd.api.types.is_bool_dtype(column):
        return np.where(column.isna().to_numpy(), np.nan, column.fillna(False).astype(float))
    if pd.api.types.is_datetime64_any_dtype(column):
        return as_seconds(column)
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    return None


def _per_parent_mean(
    values: np.ndarray[Any, np.dtype[np.float64]], parent_rows: np.ndarray[Any, Any], count: int
) -> np.ndarray[Any, np.dtype[np.float64]]:
    present = ~np.isnan(values)
    sums = np.bincount(parent_rows[present], weights=values[present], minlength=count)
    counts = np.bincount(parent_rows[present], minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    filled = means[counts > 0]
    fallback = float(filled.mean()) if filled.size else 0.0
    return np.where(counts > 0, means, fallback)


def children_summary(
    child: pd.DataFrame, parent_rows: np.ndarray[Any, Any], parent_count: int, prefix: str
) -> pd.DataFrame:
    """One row per parent: its children count and summaries of ``child``'s columns."""
    rows = np.asarray(parent_rows, dtype=np.int64)
    counts = np.bincount(rows, minlength=parent_count)
    columns: dict[str, Any] = {f"{prefix}count": counts.astype(np.int64)}
    for position, name in enumerate(child.columns):
        column = child[name]
        values = _numeric_values(column)
        if values is not None:
            columns[f"{prefix}mean{position}"] = _per_parent_mean(values, rows, parent_count)
            continue
        codes, modalities = pd.factorize(column.astype("string"), use_na_sentinel=True)
        present = codes >= 0
        frequency = np.bincount(codes[present], minlength=len(modalities))
        kept = np.argsort(-frequency, kind="stable")[:MAX_SHARED_MODALITIES]
        with np.errstate(invalid="ignore", divide="ignore"):
            for rank, code in enumerate(kept):
                hits = np.bincount(rows[codes == code], minlength=parent_count)
                share = np.where(counts > 0, hits / np.maximum(counts, 1), 0.0)
                columns[f"{prefix}share{position}_{rank}"] = share
    return pd.DataFrame(columns)


def parent_context(
    parent: pd.DataFrame, parent_rows: np.ndarray[Any, Any], prefix: str
) -> pd.DataFrame:
    """Each child row's parent attributes, the parent's column ``i`` named ``{prefix}{i}``."""
    context = parent.iloc[np.asarray(parent_rows, dtype=np.int64)].reset_index(drop=True)
    context.columns = [f"{prefix}{i}" for i in range(parent.shape[1])]
    return context


__all__ = ["children_summary", "free_prefix", "parent_context"]
