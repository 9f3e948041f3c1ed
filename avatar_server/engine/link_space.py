"""The space children are re-attached in: the parent's original attributes, FAMD-scaled.

Numbers (and datetimes, as seconds) are centred and scaled by the original parents' standard
deviation; each category becomes one column per modality, centred by its share ``p`` and divided
by ``sqrt(p)``. Euclidean distance there is the distance of the parent table's FAMD over all its
axes; a parent with more dimensions than its ``ncp`` (default 5) keeps its first ``ncp``
principal axes. Fitted on the original parents only: avatar parents and the children's
avatarized parent-like attributes are placed in it, never fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.axes import MOST_AXES

MAX_MODALITIES = 30
DEFAULT_AXES = MOST_AXES  # a linked group's tables search on the method's axes (engine.linked)
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class _Numeric:
    name: Any
    mean: float
    scale: float
    datetime: bool


@dataclass(frozen=True)
class _Categorical:
    name: Any
    modalities: tuple[str, ...]
    shares: FloatArray


def as_seconds(values: pd.Series) -> FloatArray:
    """Datetimes as seconds since 1970 (NaN for gaps), whatever their unit or time zone: the
    originals and the avatars of one column may not share a unit."""
    stamps = pd.Series(pd.to_datetime(values))
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    seconds = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds()
    return np.asarray(seconds.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


@dataclass(frozen=True)
class ParentSpace:
    numeric: tuple[_Numeric, ...]
    categorical: tuple[_Categorical, ...]
    axes: FloatArray | None = None

    @classmethod
    def fit(cls, parents: pd.DataFrame, max_axes: int = DEFAULT_AXES) -> ParentSpace:
        """The space of ``parents``; beyond ``max_axes`` dimensions, their first ``max_axes``
        principal axes (as the avatarization's own ``ncp``): a k-d tree over many dimensions
        is no faster than comparing every pair, and the last axes carry little."""
        numeric: list[_Numeric] = []
        categorical: list[_Categorical] = []
        for name in parents.columns:
            column = parents[name]
            if _is_number(column) or pd.api.types.is_datetime64_any_dtype(column):
                dated = pd.api.types.is_datetime64_any_dtype(column)
                values = (
                    as_seconds(column)
                    if dated
                    else column.to_numpy(dtype=np.float64, na_value=np.nan)
                )
                present = values[~np.isnan(values)]
                mean = float(present.mean()) if present.size else 0.0
                scale = float(present.std()) if present.size else 0.0
                numeric.append(_Numeric(name, mean, scale if scale > 0 else 1.0, dated))
                continue
            shares = column.astype("string").value_counts(normalize=True, dropna=True)
            top = shares.iloc[:MAX_MODALITIES]
            if len(top):
                categorical.append(
                    _Categorical(
                        name,
                        tuple(str(m) for m in top.index),
                        np.asarray(top.to_numpy(), dtype=np.float64),
                    )
                )
        space = cls(tuple(numeric), tuple(categorical))
        scaled = space.transform(parents)
        if scaled.shape[1] <= max_axes:
            return space
        _, vectors = np.linalg.eigh(scaled.T @ scaled)
        axes = np.ascontiguousarray(vectors[:, ::-1][:, :max_axes])
        return cls(space.numeric, space.categorical, axes)

    def transform(self, frame: pd.DataFrame) -> FloatArray:
        """Rows of ``frame`` (with the fitted columns) as points; gaps sit at the centre."""
        blocks: list[FloatArray] = []
        for info in self.numeric:
            column = frame[info.name]
            values = (
                as_seconds(column)
                if info.datetime
                else column.to_numpy(dtype=np.float64, na_value=np.nan)
            )
            scaled = (values - info.mean) / info.scale
            blocks.append(np.where(np.isnan(scaled), 0.0, scaled)[:, None])
        for cat in self.categorical:
            text = frame[cat.name].astype("string").to_numpy(dtype=object, na_value=None)
            codes = np.asarray(pd.Index(cat.modalities).get_indexer(text))
            onehot = np.zeros((len(frame), len(cat.modalities)))
            known = codes >= 0
            onehot[np.flatnonzero(known), codes[known]] = 1.0
            blocks.append((onehot - cat.shares) / np.sqrt(cat.shares))
        if not blocks:
            return np.zeros((len(frame), 1))
        points = np.hstack(blocks)
        return np.ascontiguousarray(points if self.axes is None else points @ self.axes)


__all__ = ["ParentSpace", "as_seconds"]
