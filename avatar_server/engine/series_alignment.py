"""Each person's series on a common grid, and back to times of the series' own.

Alignment (linked-tables-and-time-series.md §2.3 step 1): per person, time is rescaled to
[0, 1] (u = (t − first) / duration) and every value variable is interpolated linearly at the
grid's L equally spaced u. The grid length L is ``nb_points`` (``specified``), or the max, min
or rounded mean of the persons' lengths. Each person keeps three metadata features: its length
(rows), its first time and its duration, in the time column's units (seconds for datetimes,
counted from the table's earliest time so that they stay exact in float64).

Missing values inside a series are interpolated over the person's present points of that
variable (held constant before the first and after the last present point). A variable with no
present point in a person's series has no curve: its grid values are NaN for that person (the
joint avatarization imputes them for the neighbour search and an avatar may come out with the
variable missing for its whole series, as its original neighbours had).

All persons are interpolated in one ``np.interp`` call: person p's points sit at 3p + u, with a
copy of its first and last present values at 3p − 0.5 and 3p + 1.5, so no interpolation crosses
from one person to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from avatar_server.engine.series_settings import AlignmentName

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
TimeKindName = Literal["integer", "float", "datetime"]
_NS = 1_000_000_000
_UNIT_NS = {"s": _NS, "ms": 1_000_000, "us": 1_000, "ns": 1}


@dataclass(frozen=True)
class TimeAxis:
    """How a time column maps to numbers and back.

    ``origin`` (nanoseconds since the epoch, datetimes only) is subtracted before converting to
    seconds; ``resolution`` is the smallest step the column's dtype can hold between two times,
    in the same numbers (1 for integers, one dtype unit for datetimes, 0 for floats).
    """

    kind: TimeKindName
    dtype: Any
    origin: int = 0
    resolution: float = 0.0

    @classmethod
    def of(cls, column: pd.Series, label: str) -> TimeAxis:
        dtype = column.dtype
        if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
            unit: str = getattr(dtype, "unit", None) or np.datetime_data(str(dtype))[0]
            step = _UNIT_NS[unit]
            ns = _as_nanoseconds(column)
            return cls("datetime", dtype, origin=int(ns.min()), resolution=step / _NS)
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise ValueError(
                f"{label} is {dtype}: a time column must hold integers, floats or datetimes "
                "(parse text dates with pandas.to_datetime first)"
            )
        if pd.api.types.is_integer_dtype(dtype):
            return cls("integer", dtype, resolution=1.0)
        return cls("float", dtype)

    def to_numbers(self, column: pd.Series) -> FloatArray:
        if self.kind == "datetime":
            ns = _as_nanoseconds(column)
            return np.asarray((ns - self.origin) / _NS, dtype=np.float64)
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)

    def from_numbers(self, numbers: FloatArray) -> pd.Series:
        """Times back in the column's dtype; integers and datetimes are rounded to their unit."""
        if self.kind == "float":
            return pd.Series(numbers).astype(self.dtype)
        if self.kind == "integer":
            return pd.Series(np.round(numbers)).astype(self.dtype)
        steps = np.round(numbers / self.resolution).astype(np.int64)
        ns = self.origin + steps * round(self.resolution * _NS)
        tz = getattr(self.dtype, "tz", None)
        stamps = pd.Series(pd.to_datetime(ns, unit="ns", utc=tz is not None))
        if tz is not None:
            stamps = stamps.dt.tz_convert(tz)
        return stamps.astype(self.dtype)


def _as_nanoseconds(column: pd.Series) -> IntArray:
    return np.asarray(column.to_numpy(dtype="datetime64[ns]").astype(np.int64), dtype=np.int64)


@dataclass
class Alignment:
    """Every person's curves on the grid, and its metadata (one entry per person)."""

    grid: int
    curves: dict[str, FloatArray]
    """Per value variable, an (persons × grid) array; a row is NaN when the variable has no
    present point in that person's series."""
    length: IntArray
    first: FloatArray
    duration: FloatArray
    time: TimeAxis

    @property
    def persons(self) -> int:
        return int(self.length.size)


def grid_length(lengths: IntArray, method: AlignmentName, nb_points: int | None) -> int:
    """The grid's number of points for the persons' series lengths."""
    if method == "specified":
        if nb_points is None:
            raise ValueError("the specified alignment needs nb_points")
        return int(nb_points)
    if method == "max":
        return max(2, int(lengths.max()))
    if method == "min":
        return max(2, int(lengths.min()))
    return max(2, int(np.round(lengths.mean())))


def align(
    data: pd.DataFrame,
    time: str,
    person_rows: np.ndarray[Any, Any],
    persons: int,
    *,
    method: AlignmentName = "mean",
    nb_points: int | None = None,
    table: str = "the series table",
) -> Alignment:
    """Each person's series (the rows whose ``person_rows`` is its position) on a common grid.

    Errors the user can fix (no or unreadable time column, missing times, a person with fewer
    than two points, two points at the same time, a value column that is not numeric) are
    ValueError naming ``table`` and the column.
    """
    if time not in data.columns:
        raise ValueError(f"table {table!r}: no time column {time!r} among {list(data.columns)}")
    axis = TimeAxis.of(data[time], f"table {table!r}: time column {time!r}")
    variables = [str(c) for c in data.columns if c != time]
    if not variables:
        raise ValueError(f"table {table!r}: no value column besides the time column {time!r}")
    for name in variables:
        column = data[name]
        if pd.api.types.is_bool_dtype(column.dtype) or not pd.api.types.is_numeric_dtype(
            column.dtype
        ):
            raise ValueError(
                f"table {table!r}: value column {name!r} is {column.dtype}; series values must "
                "be numbers (leave other columns out of the series table)"
            )
    rows = np.asarray(person_rows)
    if rows.shape != (len(data),) or (
        rows.size and (not np.issubdtype(rows.dtype, np.integer) or rows.min() < 0)
    ):
        raise ValueError(
            f"table {table!r}: person_rows must give each of its {len(data)} rows the position "
            "of its person in the parent table"
        )
    if rows.size and rows.max() >= persons:
        raise ValueError(
            f"table {table!r}: person_rows names position {int(rows.max())} but the parent has "
            f"{persons} rows"
        )
    times = axis.to_numbers(data[time])
    if np.isnan(times).any():
        raise ValueError(
            f"table {table!r}: time column {time!r} has {int(np.isnan(times).sum())} missing "
            "values; every point of a series needs a time (drop those rows)"
        )
    order = np.lexsort((times, rows))
    rows, times = rows[order].astype(np.int64), times[order]
    length = np.bincount(rows, minlength=persons).astype(np.int64)
    _check_lengths(length, table)
    same = (rows[1:] == rows[:-1]) & (times[1:] == times[:-1])
    if same.any():
        where = np.unique(rows[1:][same])
        raise ValueError(
            f"table {table!r}: {where.size} persons have two points at the same time in "
            f"{time!r} (parent rows {where[:5].tolist()}); keep one point per time"
        )
    starts = np.concatenate(([0], np.cumsum(length)[:-1]))
    first = times[starts]
    duration = times[starts + length - 1] - first
    grid = grid_length(length, method, nb_points)
    u = (times - first[rows]) / duration[rows]
    targets = (3.0 * np.arange(persons)[:, None] + np.linspace(0.0, 1.0, grid)[None, :]).ravel()
    curves: dict[str, FloatArray] = {}
    for name in variables:
        values = data[name].to_numpy(dtype=np.float64, na_value=np.nan)[order]
        curves[name] = _interpolate(rows, u, values, persons, targets, grid)
    return Alignment(grid, curves, length, first, duration, axis)


def _check_lengths(length: IntArray, table: str) -> None:
    short = np.flatnonzero(length < 2)
    if short.size:
        raise ValueError(
            f"table {table!r}: {short.size} persons have fewer than 2 points in their series "
            f"(parent rows {short[:5].tolist()}; {int((length[short] == 0).sum())} have none); "
            "give every person at least 2 points or leave those persons out"
        )


def _interpolate(
    rows: IntArray,
    u: FloatArray,
    values: FloatArray,
    persons: int,
    targets: FloatArray,
    grid: int,
) -> FloatArray:
    """The persons' curves at ``targets``; ``rows`` and ``u`` come sorted (person, then time)."""
    present = ~np.isnan(values)
    rows, u, values = rows[present], u[present], values[present]
    counts = np.bincount(rows, minlength=persons)
    has = counts > 0
    if not has.any():
        return np.full((persons, grid), np.nan)
    # Each person's present points, framed by its two sentinels, laid out in order.
    rank = np.cumsum(has) - 1
    ends = np.cumsum(counts)[has]
    starts = ends - counts[has]
    size = values.size + 2 * int(has.sum())
    x, y = np.empty(size), np.empty(size)
    inside = np.arange(values.size) + 2 * rank[rows] + 1
    x[inside], y[inside] = 3.0 * rows + u, values
    owners = np.flatnonzero(has)
    head = starts + 2 * np.arange(owners.size)
    tail = ends + 2 * np.arange(owners.size) + 1
    x[head], y[head] = 3.0 * owners - 0.5, values[starts]
    x[tail], y[tail] = 3.0 * owners + 1.5, values[ends - 1]
    curves = np.interp(targets, x, y).reshape(persons, grid)
    curves[~has] = np.nan
    return np.asarray(curves, dtype=np.float64)


__all__ = ["Alignment", "TimeAxis", "align", "grid_length"]
