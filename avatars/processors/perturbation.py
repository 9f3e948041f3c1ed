"""PerturbationProcessor: pull avatars back toward the original values, per column.

Level 0 gives the original value, 1 the avatar (no perturbation). Numeric columns are
interpolated; other columns keep the avatar with probability ``level``, the original otherwise.
This moves avatars toward real records, so it weakens privacy: use with care.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from avatars.processors._checks import ColumnDtype, require_columns, require_frame, require_name


def _is_number_column(dtype: ColumnDtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


class PerturbationProcessor:
    """postprocess blends ``dest`` toward ``source`` by a level in [0, 1] per column."""

    def __init__(
        self, perturbation_level: Mapping[str, float] | None = None, *, seed: int | None = None
    ) -> None:
        levels = {} if perturbation_level is None else perturbation_level
        if not isinstance(levels, Mapping):
            raise TypeError(f"perturbation_level must be a dict {{column: level}}, got {levels!r}")
        self.perturbation_level: dict[str, float] = {}
        for column, level in levels.items():
            require_name(column, "each key of perturbation_level")
            if isinstance(level, bool) or not isinstance(level, int | float):
                raise TypeError(f"perturbation_level[{column!r}] must be a number, got {level!r}")
            if not (math.isfinite(level) and 0.0 <= level <= 1.0):
                raise ValueError(
                    f"perturbation_level[{column!r}] must be within [0, 1] "
                    f"(0 = original, 1 = avatar), got {level}"
                )
            self.perturbation_level[column] = float(level)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an int or None, got {seed!r}")
        self._rng = np.random.default_rng(seed)

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Nothing to encode: return a copy."""
        return require_frame(df, "df").copy()

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` blended toward ``source`` row by row (same index needed)."""
        require_frame(source, "source")
        require_frame(dest, "dest")
        columns = list(self.perturbation_level)
        require_columns(source, columns, "perturbation_level (source)")
        require_columns(dest, columns, "perturbation_level (dest)")
        if columns and not source.index.equals(dest.index):
            raise ValueError(
                "source and dest must have the same index (row i of dest is the avatar of "
                "row i of source); align them first"
            )
        result = dest.copy()
        for column, level in self.perturbation_level.items():
            if level == 1.0:
                continue
            original, avatar = source[column], dest[column]
            if level == 0.0:
                result[column] = original
            elif _is_number_column(avatar.dtype):
                if not _is_number_column(original.dtype):
                    raise TypeError(
                        f"source: column {column!r} must be numeric like dest, got {original.dtype}"
                    )
                result[column] = original + (avatar - original) * level
            else:
                keep_avatar = self._rng.random(len(dest)) < level
                result[column] = _mix(avatar, original, keep_avatar)
        return result


def _mix(avatar: pd.Series, original: pd.Series, keep_avatar: np.ndarray) -> pd.Series:
    """Avatar values where ``keep_avatar``, original values elsewhere, in the avatar's dtype.

    A category column gains the original's categories (both kinds of value appear).
    """
    mixed = avatar.astype(object).where(keep_avatar, original.astype(object))
    if isinstance(avatar.dtype, pd.CategoricalDtype):
        known = list(avatar.cat.categories)
        extra = [value for value in mixed.dropna().unique() if value not in set(known)]
        return mixed.astype(pd.CategoricalDtype([*known, *extra], ordered=avatar.cat.ordered))
    if pd.api.types.is_object_dtype(avatar.dtype):
        return mixed
    return mixed.astype(avatar.dtype)
