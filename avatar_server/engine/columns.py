"""Column typing: from a user's DataFrame to what the projection takes, and back.

Each column gets a kind:

- ``continuous``: numbers (integers stay integers, decimals keep their precision);
- ``discrete``: numbers with at most ``CATEGORY_THRESHOLD`` distinct values (scores, codes,
  counts), projected as categories as the method's authors do (avatar-method.md §1.2) and
  restored to their numeric dtype;
- ``datetime``: datetime dtype, or text that is entirely dates (restored in the same format);
- ``boolean``: ``bool`` dtype, or text holding only True/False;
- ``categorical``: everything else that is hashable (text, categories).

Encoding turns datetimes into seconds since the epoch, booleans and categories into text, and
adds a missing-value indicator for each numeric column with gaps (categorical gaps become their
own modality). Decoding restores dtypes, formats, categories and gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["continuous", "discrete", "datetime", "boolean", "categorical"]
# The kinds compared as numbers by the metrics (datetimes in seconds). Discrete columns are
# projected as categories but their values and order still mean something.
NUMERIC_KINDS: tuple[Kind, ...] = ("continuous", "discrete", "datetime")

# Numeric columns with at most this many distinct values are projected as categories.
CATEGORY_THRESHOLD = 10

MISSING_MODALITY = "__missing__"
PRESENT = "present"
ABSENT = "missing"
INDICATOR_PREFIX = "__is_missing__"
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
)
_NANOSECONDS = 10**9


@dataclass
class ColumnInfo:
    """What must be known about an original column to restore it faithfully."""

    name: str
    kind: Kind
    dtype: Any
    missing: int
    integral: bool = False
    decimals: int | None = None
    discrete_values: int = 0
    date_format: str | None = None
    tz: Any = None
    day_resolution: bool = False
    categories: list[Any] = field(default_factory=list)
    categorical_dtype: bool = False

    @property
    def indicator(self) -> str | None:
        """Name of the missing indicator column, for numeric-like columns with gaps."""
        if self.missing and self.kind in ("continuous", "datetime"):
            return f"{INDICATOR_PREFIX}{self.name}"
        return None


def decimals_needed(values: np.ndarray[Any, Any]) -> int | None:
    """Digits after the decimal point needed to write every value (None: more than 6)."""
    sample = values[:10_000]
    for digits in range(7):
        if np.allclose(np.round(sample, digits), sample, rtol=0, atol=1e-9):
            return digits
    return None


def _date_format(series: pd.Series) -> str | None:
    """The format of a text column whose every non-missing value is a date in that format.

    Formats are tried on a sample first, so text columns that are not dates cost little.
    """
    present = series.dropna()
    sample = present.iloc[:50]
    if present.empty or not all(isinstance(v, str) for v in sample):
        return None
    for date_format in _DATE_FORMATS:
        if pd.to_datetime(sample, format=date_format, errors="coerce").isna().any():
            continue
        parsed = pd.to_datetime(series, format=date_format, errors="coerce")
        if parsed.notna().sum() == len(present):
            return date_format
    return None


def describe_column(name: str, series: pd.Series) -> ColumnInfo:
    """Decide the kind of a column and record how to restore it."""
    missing = int(series.isna().sum())
    if missing == len(series):
        raise ValueError(f"column {name!r} is entirely missing: drop it before avatarizing")
    dtype = series.dtype
    kind_letter = getattr(dtype, "kind", "O")
    if kind_letter == "b" or (
        kind_letter == "O"
        and all(isinstance(v, bool | np.bool_) for v in series.dropna().unique().tolist())
    ):
        return ColumnInfo(name, "boolean", dtype, missing, categories=[False, True])
    if kind_letter in "iuf":
        values = series.dropna().to_numpy(dtype="float64")
        if not np.isfinite(values).all():
            raise ValueError(f"column {name!r} holds infinite values")
        integral = bool(kind_letter in "iu" or np.all(np.mod(values, 1) == 0))
        distinct = int(pd.unique(values).size)
        if distinct <= CATEGORY_THRESHOLD:
            return ColumnInfo(
                name,
                "discrete",
                dtype,
                missing,
                integral=integral,
                discrete_values=distinct,
                categories=sorted(pd.unique(series.dropna()).tolist()),
            )
        return ColumnInfo(
            name,
            "continuous",
            dtype,
            missing,
            integral=integral,
            decimals=0 if integral else decimals_needed(values),
            discrete_values=distinct,
        )
    if kind_letter == "M":
        stamps = series.dropna()
        day = bool((stamps.dt.normalize() == stamps).all())
        return ColumnInfo(
            name, "datetime", dtype, missing, tz=getattr(dtype, "tz", None), day_resolution=day
        )
    if kind_letter in "mcV":
        raise ValueError(f"column {name!r} has an unsupported dtype {dtype}")
    date_format = _date_format(series)
    if date_format is not None:
        day = "%H" not in date_format
        return ColumnInfo(
            name, "datetime", dtype, missing, date_format=date_format, day_resolution=day
        )
    try:
        categories = sorted(series.dropna().unique().tolist(), key=str)
    except TypeError as exc:
        raise ValueError(f"column {name!r} holds unhashable values ({exc})") from exc
    return ColumnInfo(
        name,
        "categorical",
        dtype,
        missing,
        categories=categories,
        categorical_dtype=isinstance(dtype, pd.CategoricalDtype),
    )


def to_seconds(series: pd.Series, info: ColumnInfo) -> pd.Series:
    """Datetimes (or date text) as float seconds since the epoch; NaN where missing."""
    if info.date_format is not None:
        dates = pd.to_datetime(series, format=info.date_format, errors="coerce")
    else:
        dates = series
    if getattr(dates.dtype, "tz", None) is not None:
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    nanoseconds = dates.astype("datetime64[ns]").to_numpy().astype("int64").astype("float64")
    nanoseconds[dates.isna().to_numpy()] = np.nan
    return pd.Series(nanoseconds / _NANOSECONDS, index=series.index)


def column_numbers(series: pd.Series, info: ColumnInfo) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A column of a ``NUMERIC_KINDS`` kind as floats (datetimes in seconds), NaN where missing
    or unreadable: avatars read back from CSV may hold text."""
    if info.kind == "datetime":
        if info.date_format is None and getattr(series.dtype, "kind", "O") != "M":
            series = pd.to_datetime(series, errors="coerce")
        return np.asarray(to_seconds(series, info).to_numpy(dtype="float64"), dtype=np.float64)
    try:
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(values, dtype=np.float64)


def from_seconds(seconds: np.ndarray[Any, Any], info: ColumnInfo) -> pd.Series:
    """Float seconds back to the column's datetimes or date text (NaN stays missing)."""
    missing = np.isnan(seconds)
    step = 86_400 if info.day_resolution else 1
    rounded = np.round(np.where(missing, 0, seconds) / step) * step
    dates = pd.Series(pd.to_datetime(rounded.astype("int64"), unit="s")).mask(missing)
    if info.tz is not None:
        dates = dates.dt.tz_localize("UTC").dt.tz_convert(info.tz)
    if info.date_format is None:
        return dates.astype(info.dtype)
    text = dates.dt.strftime(info.date_format)
    text[missing] = None
    return text.astype(info.dtype) if str(info.dtype) != "object" else text.astype(object)


def label(value: Any) -> str:
    """The text of a category: numbers canonically (``5`` and ``5.0`` are both ``"5"``)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return np.format_float_positional(float(value), trim="-")
    return str(value)


def categorical_text(series: pd.Series) -> pd.Series:
    """Categories and booleans as text; missing values as their own modality.

    Distinct values are converted once (``factorize``), not row by row.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.array([label(v) for v in uniques] + [MISSING_MODALITY], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype=object)


def aligned_codes(
    original: pd.Series, avatars: pd.Series
) -> tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.intp]], list[str], int]:
    """Codes of two columns over the union of their modalities (compared as :func:`label`
    text, so ``True``/``"True"`` and ``5``/``5.0`` agree), the originals' modalities first.

    Returns both code arrays, the modalities as text, and the code of gaps: the number of
    non-missing modalities. ``MISSING_MODALITY`` ends the list when either side has gaps.
    Only distinct values are turned into text.
    """
    codes_o, uniques_o = pd.factorize(original)
    codes_a, uniques_a = pd.factorize(avatars)
    labels_o = [label(v) for v in np.asarray(uniques_o, dtype=object)]
    labels_a = [label(v) for v in np.asarray(uniques_a, dtype=object)]
    index: dict[str, int] = {}
    for text in labels_o + labels_a:
        index.setdefault(text, len(index))
    missing = len(index)
    # Code -1 (a gap) picks the last entry of each map: the missing code.
    map_o = np.array([index[t] for t in labels_o] + [missing], dtype=np.intp)
    map_a = np.array([index[t] for t in labels_a] + [missing], dtype=np.intp)
    labels = list(index)
    if (codes_o < 0).any() or (codes_a < 0).any():
        labels.append(MISSING_MODALITY)
    return map_o[codes_o], map_a[codes_a], labels, missing


def restore_categorical(
    codes: np.ndarray[Any, np.dtype[np.int64]], modalities: list[str], info: ColumnInfo
) -> pd.Series:
    """Codes over text ``modalities`` back to the original values and dtype.

    Only the modalities in use are converted; the column is then one ``take`` of them, which
    keeps string and categorical columns in their own (Arrow, categorical) storage.
    """
    used = np.bincount(codes, minlength=len(modalities)) > 0
    values = _restore_labels(np.asarray(modalities, dtype=object)[used], info)
    position = np.cumsum(used) - 1
    return values.take(position[codes]).reset_index(drop=True)


def _restore_labels(labels: np.ndarray[Any, Any], info: ColumnInfo) -> pd.Series:
    """Text modalities back to the original values and dtype."""
    by_text = {label(value): value for value in info.categories}
    values = [None if text == MISSING_MODALITY else by_text[text] for text in labels]
    if info.kind == "discrete":
        numbers = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        if getattr(info.dtype, "kind", "f") in "iu" and numbers.isna().any():
            return numbers
        return numbers.astype(info.dtype)
    if info.kind == "boolean":
        series = pd.Series(values, dtype=object)
        if info.missing == 0 and getattr(info.dtype, "kind", "O") == "b":
            return series.astype(bool)
        return series
    if info.categorical_dtype:
        return pd.Series(pd.Categorical(values, dtype=info.dtype))
    series = pd.Series(values, dtype=object)
    try:
        return series.astype(info.dtype)
    except (TypeError, ValueError):
        return series
