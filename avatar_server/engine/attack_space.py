"""What the linkage and reconstruction attacks share: input checks and the two spaces.

The attacker's space is a projection fitted on the avatars alone (all an attacker holds), the
evaluator's the originals' projection the distance metrics use (:mod:`metric_space`).
Row ``i`` of the unshuffled avatars is the avatar of original row ``i``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.codec import with_text_labels
from avatar_server.engine.metric_space import MetricSpace, metric_space
from avatar_server.engine.privacy import check_same_columns

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

ALL_AXES = 10_000
"""An ``ncp`` above any table's rank: the projection keeps every axis (it clamps)."""


def check_pair(original: pd.DataFrame, avatars: pd.DataFrame, *, paired: bool) -> None:
    """Refuse tables an attack cannot be measured on, saying what is wrong.

    ``paired``: the avatars are the unshuffled ones, one per original row, in the same order.
    """
    for name, table in (("original", original), ("avatar", avatars)):
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                f"the {name} table must be a pandas DataFrame, got {type(table).__name__}"
            )
        if table.shape[0] == 0 or table.shape[1] == 0:
            raise ValueError(f"the {name} table is empty: it needs rows and columns")
    check_same_columns(original, avatars)
    if paired and len(original) != len(avatars):
        raise ValueError(
            "the unshuffled avatars must have one row per original row, in the same order: "
            f"{len(original)} originals, {len(avatars)} avatars"
        )
    if len(original) < 3 or len(avatars) < 3:
        raise ValueError("an attack needs at least 3 rows in each table")
    for name, table in (("original", original), ("avatar", avatars)):
        if (table.nunique(dropna=False) <= 1).all():
            raise ValueError(
                f"every column of the {name} table holds one value: no row differs from "
                "another, there is nothing to attack"
            )


def check_ncp(ncp: int | None) -> None:
    if ncp is not None and (isinstance(ncp, bool) or not isinstance(ncp, int) or ncp < 1):
        raise ValueError(f"ncp must be a positive integer or None (every axis), got {ncp!r}")


def finite_space(space: MetricSpace, what: str) -> MetricSpace:
    """``space``, refusing it when some rows could not be placed in it."""
    if not (np.isfinite(space.original).all() and np.isfinite(space.avatars).all()):
        raise ValueError(
            f"some rows could not be placed in {what}: a column holds values of another kind "
            "on one side (text where the other has numbers)"
        )
    return space


def evaluator_space(
    original: pd.DataFrame, avatars: pd.DataFrame, ncp: int | None, seed: int
) -> MetricSpace:
    """Both tables in the originals' projection (``ncp`` axes, None: all of them)."""
    original = with_text_labels(original).reset_index(drop=True)
    avatars = with_text_labels(avatars).reset_index(drop=True)
    space = metric_space(original, avatars, ncp=ALL_AXES if ncp is None else ncp, seed=seed)
    return finite_space(space, "the originals' projection")


def attacker_space(
    avatars: pd.DataFrame, records: pd.DataFrame, ncp: int | None, seed: int
) -> tuple[FloatArray, FloatArray]:
    """The avatars' coordinates in a projection fitted on the avatars alone, and those of
    ``records`` (the attacker's own real rows) placed in it."""
    avatars = with_text_labels(avatars).reset_index(drop=True)
    records = with_text_labels(records).reset_index(drop=True)
    space = metric_space(avatars, records, ncp=ALL_AXES if ncp is None else ncp, seed=seed)
    space = finite_space(space, "the avatars' projection")
    return space.original, space.avatars
