"""ToCategoricalProcessor: low-cardinality numeric columns handled as categories.

A column with few distinct numbers (a 1–5 score, a 0/1 flag) is better avatarized as a
category; postprocess casts it back to its numeric dtype. With ``keep_continuous`` a numeric copy
travels along, so that an avatar category of ``category`` (a merged modality) can be replaced
by the copy's value.
"""

from __future__ import annotations

import pandas as pd

from avatars.processors._checks import (
    ColumnDtype,
    require_absent,
    require_bool,
    require_fitted,
    require_frame,
    require_int,
    require_name,
)


def _is_already_categorical(dtype: ColumnDtype) -> bool:
    """Object, string, category and nullable-boolean columns need no conversion."""
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype | pd.BooleanDtype)
    )


class ToCategoricalProcessor:
    """Columns with at most ``to_categorical_threshold`` distinct values → object dtype."""

    def __init__(
        self,
        to_categorical_threshold: int,
        *,
        keep_continuous: bool = False,
        continuous_suffix: str = "__cont",
        category: str = "other",
    ) -> None:
        self.to_categorical_threshold = require_int(
            to_categorical_threshold, "to_categorical_threshold", minimum=1
        )
        self.keep_continuous = require_bool(keep_continuous, "keep_continuous")
        self.continuous_suffix = require_name(continuous_suffix, "continuous_suffix")
        self.category = require_name(category, "category")
        self._dtypes: dict[str, ColumnDtype] | None = None

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy; selected columns as object, plus ``col + suffix`` copies if asked."""
        require_frame(df, "df")
        selected = {
            column: df[column].dtype
            for column in df.columns
            if not _is_already_categorical(df[column].dtype)
            and df[column].nunique(dropna=True) <= self.to_categorical_threshold
        }
        copies = [f"{column}{self.continuous_suffix}" for column in selected]
        if self.keep_continuous:
            require_absent(df, copies, "continuous_suffix")
        result = df.copy()
        for column in selected:
            result[column] = df[column].astype(object)
        if self.keep_continuous:
            for column, copy in zip(selected, copies, strict=True):
                result[copy] = df[column].copy()
        self._dtypes = dict(selected)
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` with the selected columns back in their source dtype."""
        require_frame(source, "source")
        require_frame(dest, "dest")
        require_fitted(self._dtypes is not None, "ToCategoricalProcessor")
        assert self._dtypes is not None
        result = dest.copy()
        for column, dtype in self._dtypes.items():
            if column not in dest.columns:
                raise ValueError(f"dest: column {column!r} made categorical is missing")
            values = dest[column]
            if self.keep_continuous:
                copy = f"{column}{self.continuous_suffix}"
                if copy not in dest.columns:
                    raise ValueError(f"dest: continuous copy {copy!r} is missing")
                values = values.where(values != self.category, dest[copy])
                result = result.drop(columns=copy)
            try:
                result[column] = values.astype(dtype)
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"dest: column {column!r} cannot go back to {dtype}: {error}; "
                    "use keep_continuous=True to replace merged categories"
                ) from error
        return result
