"""The encoded table: what the projection sees, built from the original columns."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.columns import (
    ABSENT,
    PRESENT,
    ColumnInfo,
    categorical_text,
    decimals_needed,
    describe_column,
    to_seconds,
)

# A categorical column with more modalities than this is never one-hot encoded for a projection.
# The exact fit factors a P × P matrix (P: numeric columns plus modalities), cubic in P: about
# 1 s at P = 1,000 but 111 s at P = 10,000 (a 5,000-row table with two free-text columns kept as
# categories). Such a column is also a poor projection input: each of its rare modalities is an
# axis of its own, so the first axes explain little. The official server refuses tables above
# 200 dimensions; here a wider column is projected without its rare modalities (metrics) or
# left out of the projection and decoded from its neighbours' values (avatarization).
MAX_ONE_HOT_MODALITIES = 200

# The modality standing for the rare modalities of a wide column in a metrics projection.
RARE_MODALITIES = "__rare__"


def modality_count(info: ColumnInfo) -> int:
    """Modalities of a categorical column once encoded: its values, plus one for gaps."""
    return len(info.categories) + (1 if info.missing else 0)


def with_text_labels(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its column labels as text (a shallow copy), refusing labels that collide."""
    text = [str(name) for name in df.columns]
    if len(set(text)) != len(text):
        duplicated = sorted({name for name in text if text.count(name) > 1})
        raise ValueError(f"duplicate column names: {duplicated}")
    if text == list(df.columns):
        return df
    renamed = df.copy(deep=False)
    renamed.columns = text
    return renamed


@dataclass
class TableCodec:
    """Column descriptions of an original table, and its encoding for the projection."""

    columns: list[ColumnInfo]

    @classmethod
    def fit(cls, df: pd.DataFrame) -> TableCodec:
        if df.shape[1] == 0:
            raise ValueError("the table has no columns")
        if len(df) == 0:
            raise ValueError("the table has no rows")
        if df.columns.duplicated().any():
            duplicated = sorted(set(df.columns[df.columns.duplicated()].astype(str)))
            raise ValueError(f"duplicate column names: {duplicated}")
        return cls([describe_column(str(name), df[name]) for name in df.columns])

    def with_discrete_as_numbers(self) -> TableCodec:
        """The same columns, numbers with few distinct values (``discrete``) turned
        ``continuous``: projected as one numeric axis each instead of one axis per value.

        One-hot, a 1–10 score loses its order: 3 is as far from 4 as from 10, and the mix on the
        first axes can only keep what those axes hold of ten unrelated dimensions. On wbcd (nine
        1–10 scores) that cost the avatars most of their correlations (correlation difference
        ratio 36–40 % against a floor of 6 %; docs/fidelity.md). Decoding still gives each such
        column only values the originals hold (``DISCRETE_LIMIT`` in decoding), in its dtype.
        """
        columns = []
        for info in self.columns:
            if info.kind != "discrete":
                columns.append(info)
                continue
            values = np.asarray(info.categories, dtype="float64")
            columns.append(
                replace(
                    info,
                    kind="continuous",
                    decimals=0 if info.integral else decimals_needed(values),
                    categories=[],
                )
            )
        return TableCodec(columns)

    @property
    def numeric(self) -> list[ColumnInfo]:
        return [c for c in self.columns if c.kind in ("continuous", "datetime")]

    @property
    def categorical(self) -> list[ColumnInfo]:
        return [c for c in self.columns if c.kind in ("categorical", "boolean", "discrete")]

    def numeric_values(self, df: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Numeric columns as floats (datetimes in seconds), NaN where missing; n × numeric."""
        arrays = []
        for info in self.numeric:
            series = df[info.name]
            if info.kind == "datetime":
                arrays.append(to_seconds(series, info).to_numpy(dtype="float64"))
            else:
                arrays.append(series.to_numpy(dtype="float64", na_value=np.nan))
        if not arrays:
            return np.empty((len(df), 0))
        return np.column_stack(arrays)

    def encode(
        self, df: pd.DataFrame, numeric: np.ndarray[Any, np.dtype[np.float64]]
    ) -> pd.DataFrame:
        """The projection's input: imputed ``numeric`` values, text categories, indicators.

        ``numeric`` holds the (already imputed) numeric columns in :attr:`numeric` order; each
        numeric column with gaps in the original gets a ``present``/``missing`` indicator.
        """
        data: dict[str, Any] = {}
        for position, info in enumerate(self.numeric):
            data[info.name] = numeric[:, position]
        for info in self.numeric:
            if info.indicator is not None:
                gaps = df[info.name].isna().to_numpy()
                data[info.indicator] = np.where(gaps, ABSENT, PRESENT).astype(object)
        for info in self.categorical:
            data[info.name] = categorical_text(df[info.name]).to_numpy()
        return pd.DataFrame(data)

    def wide_columns(self) -> list[str]:
        """Categorical columns with more than :data:`MAX_ONE_HOT_MODALITIES` modalities."""
        return [c.name for c in self.categorical if modality_count(c) > MAX_ONE_HOT_MODALITIES]

    def indicator_columns(self) -> list[str]:
        return [c.indicator for c in self.numeric if c.indicator is not None]

    def encoded_weights(
        self, column_weights: Mapping[str, float] | None, *, left_out: Collection[str] = ()
    ) -> dict[str, float] | None:
        """Weights of the table's columns as the projection of :meth:`encode` takes them.

        A numeric column's missing-value indicator weighs as much as the column, so a weight
        counts for the whole column and not only for its values. ``left_out`` names columns
        that are not projected (categorical reduction); their weights are dropped. Columns the
        table lacks and weights that are not positive numbers raise ValueError; None or no
        weights means every column weighs 1.
        """
        if not column_weights:
            return None
        unknown = sorted(set(column_weights) - {info.name for info in self.columns})
        if unknown:
            raise ValueError(f"column_weights names unknown columns: {unknown}")
        weights = {name: float(weight) for name, weight in column_weights.items()}
        wrong = {name: weight for name, weight in weights.items() if not 0 < weight < math.inf}
        if wrong:
            raise ValueError(f"column weights must be positive numbers, got {wrong}")
        kept = {name: weight for name, weight in weights.items() if name not in left_out}
        for info in self.numeric:
            if info.indicator is not None and info.name in kept:
                kept[info.indicator] = kept[info.name]
        return kept


def without_rare_modalities(
    reference: pd.Series, *others: pd.Series, keep: int = MAX_ONE_HOT_MODALITIES - 1
) -> list[pd.Series]:
    """``reference`` and ``others`` (encoded text) with every modality but the ``keep`` most
    frequent of ``reference`` replaced by :data:`RARE_MODALITIES`.

    For measuring in a projection, not for decoding: two rows that differ only by which rare
    modality they hold look alike, so a wide column still counts through its frequent values.
    """
    frequent = set(reference.value_counts(dropna=False).index[:keep])
    return [series.where(series.isin(frequent), RARE_MODALITIES) for series in (reference, *others)]
