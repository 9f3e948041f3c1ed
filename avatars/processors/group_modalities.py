"""GroupModalitiesProcessor: rare categories merged into one label before avatarization.

A modality seen in a handful of records identifies them; merging every modality whose count is
at most a threshold into ``new_category`` removes that signal. The merge cannot be undone, so
postprocess returns the avatars as they are.
"""

from __future__ import annotations

import pandas as pd

from avatars.processors._checks import require_columns, require_frame, require_int, require_name


def _is_categorical(series: pd.Series) -> bool:
    """Text, object, category and bool columns; not numbers, and not dates (not categories)."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return False
    return not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


class GroupModalitiesProcessor:
    """Merge modalities with count ≤ threshold into ``new_category`` (preprocess only).

    Either ``variable_thresholds`` ({column: threshold}) or both ``min_unique`` and
    ``global_threshold`` (every categorical column with at least ``min_unique`` modalities,
    selected anew at each preprocess).
    """

    def __init__(
        self,
        *,
        variable_thresholds: dict[str, int] | None = None,
        min_unique: int | None = None,
        global_threshold: int | None = None,
        new_category: str = "other",
    ) -> None:
        if (min_unique is None) != (global_threshold is None):
            raise ValueError(
                "min_unique and global_threshold go together: give both or neither, "
                f"got min_unique={min_unique!r}, global_threshold={global_threshold!r}"
            )
        if (variable_thresholds is None) == (global_threshold is None):
            raise ValueError(
                "give either variable_thresholds or (min_unique, global_threshold), not "
                + ("both" if variable_thresholds is not None else "neither")
            )
        self.variable_thresholds: dict[str, int] | None = None
        if variable_thresholds is not None:
            if not isinstance(variable_thresholds, dict) or not variable_thresholds:
                raise TypeError(
                    "variable_thresholds must be a non-empty dict {column: threshold}, "
                    f"got {variable_thresholds!r}"
                )
            self.variable_thresholds = {
                require_name(column, "each key of variable_thresholds"): require_int(
                    threshold, f"variable_thresholds[{column!r}]", minimum=0
                )
                for column, threshold in variable_thresholds.items()
            }
        self.min_unique = (
            None if min_unique is None else require_int(min_unique, "min_unique", minimum=1)
        )
        self.global_threshold = (
            None
            if global_threshold is None
            else require_int(global_threshold, "global_threshold", minimum=0)
        )
        self.new_category = require_name(new_category, "new_category")

    def thresholds_for(self, df: pd.DataFrame) -> dict[str, int]:
        """The {column: threshold} this processor applies to ``df``."""
        if self.variable_thresholds is not None:
            require_columns(df, self.variable_thresholds, "variable_thresholds")
            return dict(self.variable_thresholds)
        assert self.min_unique is not None and self.global_threshold is not None
        return {
            column: self.global_threshold
            for column in df.columns
            if _is_categorical(df[column]) and df[column].nunique(dropna=True) >= self.min_unique
        }

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy with the rare modalities of the selected columns merged."""
        require_frame(df, "df")
        result = df.copy()
        for column, threshold in self.thresholds_for(df).items():
            result[column] = self._merge_rare(df[column], threshold)
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """The merge is one-way: return a copy of ``dest``."""
        require_frame(source, "source")
        return require_frame(dest, "dest").copy()

    def _merge_rare(self, series: pd.Series, threshold: int) -> pd.Series:
        counts = series.value_counts(dropna=True)
        rare = set(counts.index[counts <= threshold])
        if not rare:
            return series.copy()
        is_rare = series.isin(rare)
        if isinstance(series.dtype, pd.CategoricalDtype):
            kept = [value for value in series.cat.categories if value not in rare]
            categories = [*kept, *([self.new_category] if self.new_category not in kept else [])]
            merged = series.astype(object).where(~is_rare, self.new_category)
            return merged.astype(pd.CategoricalDtype(categories, ordered=series.cat.ordered))
        merged = series.astype(object).where(~is_rare, self.new_category)
        if isinstance(series.dtype, pd.StringDtype):
            return merged.astype(series.dtype)  # text stays text: the new label is text too
        return merged
