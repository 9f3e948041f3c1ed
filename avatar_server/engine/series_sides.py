"""A series table's two sides as its metrics read them: the originals and the released avatar
series, both placed by the model fitted on the originals.

Released avatar series are not in the features space until they are put there: they are
aligned on the originals' grid (its number of points, the time axis of the originals' column)
and projected with the originals' components (:func:`released_alignment`,
:func:`released_features`). The privacy metrics then compare person ``i``'s original features
with avatar person ``i``'s, as a reader of the released series could compute them; the signal
metrics compare each side's :class:`~avatar_server.engine.series_metrics.SeriesSide` (curves on
the common grid, and the raw points with their position in their series).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.series import SeriesModel, series_features
from avatar_server.engine.series_alignment import Alignment, TimeAxis
from avatar_server.engine.series_alignment import align as align_series
from avatar_server.engine.series_metrics import SeriesSide

_NS = 1_000_000_000

__all__ = [
    "person_and_series",
    "released_alignment",
    "released_features",
    "series_side",
]


def released_alignment(
    model: SeriesModel, data: pd.DataFrame, person_rows: np.ndarray[Any, Any], persons: int
) -> Alignment:
    """``data`` (rows of ``persons`` persons, ``person_rows`` giving each row's person) on the
    originals' grid, its first times counted from the originals' time origin (datetimes), so
    that both sides' metadata features are in the same numbers."""
    aligned = align_series(
        data,
        model.time,
        person_rows,
        persons,
        method="specified",
        nb_points=model.alignment.grid,
        table=model.table,
    )
    shift = (aligned.time.origin - model.alignment.time.origin) / _NS
    return replace(aligned, first=aligned.first + shift, time=model.alignment.time)


def released_features(
    model: SeriesModel, data: pd.DataFrame, person_rows: np.ndarray[Any, Any], persons: int
) -> pd.DataFrame:
    """One row per person of the released series ``data``: the features the originals' model
    gives them (named as :func:`~avatar_server.engine.series.series_features` names them)."""
    return series_features(released_alignment(model, data, person_rows, persons), model.projection)


def series_side(
    alignment: Alignment, data: pd.DataFrame, time: str, person_rows: np.ndarray[Any, Any]
) -> SeriesSide:
    """One side's :class:`SeriesSide`: ``alignment``'s curves, and ``data``'s raw points with
    their time in the column's numeric scale (epoch seconds for datetimes) and their position
    in [0, 1] within their own series."""
    axis = TimeAxis.of(data[time], f"table's time column {time!r}")
    times = axis.to_numbers(data[time]) + axis.origin / _NS
    persons = np.asarray(person_rows, dtype=np.intp)
    frame = pd.DataFrame({"person": persons, "time": times})
    first = frame.groupby("person")["time"].transform("min").to_numpy(dtype=np.float64)
    last = frame.groupby("person")["time"].transform("max").to_numpy(dtype=np.float64)
    span = np.where(last > first, last - first, 1.0)
    return SeriesSide(
        grid=np.linspace(0.0, 1.0, alignment.grid),
        curves=dict(alignment.curves),
        persons=persons,
        times=np.asarray(times, dtype=np.float64),
        positions=np.asarray((times - first) / span, dtype=np.float64),
        values={
            name: data[name].to_numpy(dtype=np.float64, na_value=np.nan)
            for name in alignment.curves
        },
    )


def person_and_series(person: pd.DataFrame, features: pd.DataFrame, table: str) -> pd.DataFrame:
    """A person table's rows with their series features beside them, named
    ``<table>.<feature>`` so that they never clash with the person's own columns."""
    if len(person) != len(features):
        raise ValueError(
            f"table {table!r}: {len(features)} persons have features but the person table has "
            f"{len(person)} rows"
        )
    named = features.reset_index(drop=True)
    named.columns = [f"{table}.{column}" for column in features.columns]
    return pd.concat([person.reset_index(drop=True), named], axis=1)
