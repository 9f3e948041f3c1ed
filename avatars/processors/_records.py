"""Shared pieces of the inter-record processors (several records per individual).

Records of an individual are the rows sharing an ``id_variable`` value, taken in row order
(or in ``sort_by`` order where a processor offers it). Bounded steps keep values inside the
source's [lower, upper] range as long as the steps stay within [-1, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatars.processors._checks import (
    require_absent,
    require_columns,
    require_distinct,
    require_finite,
    require_no_missing,
    require_numeric,
)


def check_names(names: dict[str, str]) -> None:
    """All column-name arguments must differ."""
    require_distinct(names)


def check_input(df: pd.DataFrame, id_variable: str, values: list[str], new: list[str]) -> None:
    """preprocess input: id and value columns present, complete, values numeric, new absent."""
    require_columns(df, [id_variable, *values], "df")
    require_no_missing(df, [id_variable, *values], "df")
    require_numeric(df, values, "df")
    require_finite(df, values, "df")
    require_absent(df, new, "new column names")


def check_encoded(dest: pd.DataFrame, id_variable: str, encoded: list[str]) -> None:
    """postprocess input: id and encoded columns present, complete and numeric."""
    require_columns(dest, [id_variable, *encoded], "dest")
    require_no_missing(dest, [id_variable, *encoded], "dest")
    require_numeric(dest, encoded, "dest")
    require_finite(dest, encoded, "dest")


def bounds(source: pd.DataFrame, columns: list[str]) -> tuple[float, float]:
    """Lowest and highest value over ``columns`` of the source (the frame before preprocess)."""
    require_columns(source, columns, "source")
    require_numeric(source, columns, "source")
    values = source[columns].to_numpy(dtype="float64")
    if np.isnan(values).all():
        raise ValueError(f"source: columns {columns} hold no value to take bounds from")
    return float(np.nanmin(values)), float(np.nanmax(values))


def bounded_step(previous: float, value: float, lower: float, upper: float) -> float:
    """The move from ``previous`` to ``value`` as a share of the room left toward a bound."""
    room = abs(previous - upper) if value >= previous else abs(previous - lower)
    if room == 0:
        return 0.0
    return (value - previous) / room


def apply_bounded_step(previous: float, step: float, lower: float, upper: float) -> float:
    """Inverse of :func:`bounded_step`."""
    room = abs(previous - upper) if step >= 0 else abs(previous - lower)
    return previous + step * room


def place_back(result: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """Columns in the source's order when the result has exactly the source's columns."""
    if set(result.columns) == set(source.columns) and len(result.columns) == len(source.columns):
        return result[list(source.columns)]
    return result


def record_order(df: pd.DataFrame, sort_by: str | None) -> np.ndarray:
    """Row positions in record order: by ``sort_by`` (stable) or as the rows come."""
    if sort_by is None:
        return np.arange(len(df))
    return np.argsort(df[sort_by].to_numpy(), kind="stable")


def finish_values(values: np.ndarray, should_round: bool) -> np.ndarray:
    """Round half-to-even to int64 when asked; floats otherwise."""
    if should_round:
        return np.round(values).astype(np.int64)
    return values
