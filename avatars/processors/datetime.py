"""DatetimeProcessor: datetime columns as float seconds since the epoch, and back.

The avatarization works on numbers; a date becomes the seconds since 1970-01-01 (fraction
kept, negative before 1970) so that distances between dates are meaningful. Back, seconds are
*rounded* to the nearest step of the source column's unit (not truncated: 1.9 s is 2 s).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatars.processors._checks import ColumnDtype, require_fitted, require_frame

_STEPS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
# datetime64[ns] spans about ±9.22e9 s; beyond it a cast would wrap silently.
_MAX_NS_SECONDS = float(np.iinfo(np.int64).max) * 1e-9


class DatetimeProcessor:
    """Datetime columns → float64 seconds since 1970-01-01; postprocess restores the dtype."""

    def __init__(self) -> None:
        self._dtypes: dict[str, ColumnDtype] | None = None

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy with every datetime column (naive or tz-aware) as float seconds."""
        require_frame(df, "df")
        self._dtypes = {}
        result = df.copy()
        for column in df.columns:
            dtype = df[column].dtype
            if isinstance(dtype, pd.DatetimeTZDtype) or (
                isinstance(dtype, np.dtype) and dtype.kind == "M"
            ):
                self._dtypes[column] = dtype
                result[column] = _to_seconds(df[column])
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` with the recorded columns back in their source dtype."""
        require_frame(source, "source")
        require_frame(dest, "dest")
        require_fitted(self._dtypes is not None, "DatetimeProcessor")
        assert self._dtypes is not None
        result = dest.copy()
        for column, dtype in self._dtypes.items():
            if column not in dest.columns:
                raise ValueError(f"dest: datetime column {column!r} is missing")
            result[column] = _from_seconds(dest[column], column, dtype)
        return result


def _to_seconds(series: pd.Series) -> pd.Series:
    """Float seconds since the epoch (tz-aware values measured in UTC); NaT → NaN.

    Computed from the integer steps of the column's unit, whole seconds and remainder apart:
    pandas' own timedelta division loses nanoseconds (…59.750 s came back as …59.7500002 s).
    """
    values = series
    if series.dt.tz is not None:
        values = series.dt.tz_convert("UTC").dt.tz_localize(None)
    unit = _unit_of(series.dtype)
    per_second = _STEPS_PER_SECOND[unit]
    missing = values.isna().to_numpy()
    steps = values.to_numpy().astype(f"datetime64[{unit}]").astype(np.int64)
    seconds = (steps // per_second).astype(np.float64) + (steps % per_second) / per_second
    seconds[missing] = np.nan
    return pd.Series(seconds, index=series.index, name=series.name)


def _unit_of(dtype: ColumnDtype) -> str:
    """ "datetime64[us]" or "datetime64[us, Europe/Paris]": the unit sits first in the brackets."""
    return str(dtype).split("[", 1)[1].rstrip("]").split(",")[0]


def _from_seconds(series: pd.Series, column: str, dtype: ColumnDtype) -> pd.Series:
    """Seconds rounded to the unit of ``dtype``; NaN → NaT; out-of-range values refused."""
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise TypeError(f"dest: column {column!r} must hold float seconds, got {series.dtype}")
    seconds = series.astype("float64")
    finite = seconds.dropna()
    if np.isinf(finite).any() or (finite.abs() > _MAX_NS_SECONDS).any():
        raise ValueError(
            f"dest: column {column!r} holds seconds outside ±{_MAX_NS_SECONDS:.3g} "
            "(years 1677 to 2262), which cannot be dates"
        )
    unit = _unit_of(dtype)
    values = seconds.to_numpy()
    missing = np.isnan(values)
    values = np.where(missing, 0.0, values)
    # Whole seconds and fraction apart: seconds × 1e9 as one float would lose the nanoseconds.
    whole = np.floor(values)
    per_second = _STEPS_PER_SECOND[unit]
    steps = whole.astype(np.int64) * per_second + np.round((values - whole) * per_second).astype(
        np.int64
    )
    stamps = steps.astype(f"datetime64[{unit}]")
    stamps[missing] = np.datetime64("NaT")
    naive = pd.Series(stamps, index=series.index, name=series.name)
    if isinstance(dtype, pd.DatetimeTZDtype):
        aware: pd.Series = naive.dt.tz_localize("UTC").dt.tz_convert(dtype.tz)
        return aware
    return naive
