"""Argument and frame checks shared by the client-side processors.

Every processor refuses a bad argument at construction and a frame that does not fit at call
time, with a message naming the argument and what to do: a wrong name silently ignored would
hand avatars of the wrong columns back to the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype

ColumnDtype = np.dtype[Any] | ExtensionDtype
"""What ``df[column].dtype`` can be: a numpy dtype or a pandas extension dtype."""


def require_frame(value: object, argument: str) -> pd.DataFrame:
    """Return ``value`` if it is a DataFrame; a TypeError naming ``argument`` otherwise."""
    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"{argument} must be a pandas DataFrame, got {type(value).__name__}")
    return value


def require_name(value: object, argument: str) -> str:
    """A column name argument: a non-empty string."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{argument} must be a non-empty column name (str), got {value!r}")
    return value


def require_names(value: object, argument: str) -> list[str]:
    """A list of distinct column names, at least one."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{argument} must be a list of column names, got {value!r}")
    names = [require_name(item, f"each item of {argument}") for item in value]
    if not names:
        raise ValueError(f"{argument} must name at least one column, got an empty list")
    if len(set(names)) != len(names):
        raise ValueError(f"{argument} must not repeat a column, got {names!r}")
    return names


def require_bool(value: object, argument: str) -> bool:
    """A flag: only True or False (1 or "yes" would hide a typo)."""
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be True or False, got {value!r}")
    return value


def require_int(value: object, argument: str, *, minimum: int) -> int:
    """An integer at least ``minimum`` (bool refused: True is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{argument} must be at least {minimum}, got {value}")
    return value


def require_distinct(names: dict[str, str]) -> None:
    """Columns given by different arguments must differ (``{argument: column}``)."""
    seen: dict[str, str] = {}
    for argument, column in names.items():
        if column in seen:
            raise ValueError(
                f"{argument} and {seen[column]} must name different columns, "
                f"got {column!r} for both"
            )
        seen[column] = argument


def require_columns(df: pd.DataFrame, columns: Iterable[str], argument: str) -> None:
    """Every column must be in ``df``; the message lists the missing ones."""
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(
            f"{argument}: columns {missing} are not in the dataframe (columns: {list(df.columns)})"
        )


def require_absent(df: pd.DataFrame, columns: Iterable[str], argument: str) -> None:
    """A new column must not overwrite an existing one."""
    present = [column for column in columns if column in df.columns]
    if present:
        raise ValueError(f"{argument}: columns {present} already exist; choose other names")


def require_no_missing(df: pd.DataFrame, columns: Iterable[str], argument: str) -> None:
    """Columns that drive a computation must hold no NaN."""
    for column in columns:
        if df[column].isna().any():
            raise ValueError(
                f"{argument}: column {column!r} has missing values; fill or drop them first"
            )


def require_numeric(df: pd.DataFrame, columns: Iterable[str], argument: str) -> None:
    """Columns used in arithmetic must be numeric (bool excluded)."""
    for column in columns:
        dtype = df[column].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise TypeError(f"{argument}: column {column!r} must be numeric, got dtype {dtype}")


def require_finite(df: pd.DataFrame, columns: Iterable[str], argument: str) -> None:
    """Numeric columns that feed running sums must hold no ±inf (it would spread to every
    later record of the individual)."""
    for column in columns:
        if np.isinf(df[column].to_numpy(dtype="float64")).any():
            raise ValueError(f"{argument}: column {column!r} holds infinite values; fix them first")


def require_fitted(fitted: bool, name: str) -> None:
    """postprocess needs what preprocess learnt."""
    if not fitted:
        raise RuntimeError(f"{name}.postprocess needs state from preprocess: call preprocess first")
