"""Series tables: from rows to per-person features, and from avatar features back to rows.

The pipeline of linked-tables-and-time-series.md §2.3: :func:`align` puts each person's series
on a common grid (:mod:`~avatar_server.engine.series_alignment`), :func:`project` fits the
``flatten`` or ``fpca`` projection (:mod:`~avatar_server.engine.series_projection`),
:func:`series_features` gives one row of numbers per person (the projected curves and the
length, first time and duration). The parent is avatarized jointly with those features
(:mod:`~avatar_server.engine.linked`); :func:`unalign` turns each avatar's features back into
its series rows.

Un-alignment. ``uniform``: each avatar's curve is resampled at its own length (its avatarized
length, rounded, at least 2) over [first, first + duration]. ``skip``: the grid's points as they
are, over the same span. Integer and datetime times are laid out in whole steps of the column's
unit (``first + (duration · j) // (m − 1)``), so they are strictly increasing as long as the span
holds m − 1 steps; when an avatar's span is shorter than that (its length and duration come from
different neighbours), the span is widened to m − 1 steps and its length kept: the number of
points is a person-level fact (visits, readings), the span's last digits are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.avatarize import Mix
from avatar_server.engine.series_alignment import Alignment, TimeAxis
from avatar_server.engine.series_alignment import align as align_series
from avatar_server.engine.series_projection import SeriesProjection
from avatar_server.engine.series_settings import SeriesSettings, UnalignmentName

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
METADATA = ("length", "first", "duration")


def align(
    data: pd.DataFrame,
    time: str,
    person_rows: np.ndarray[Any, Any],
    persons: int,
    settings: SeriesSettings,
    *,
    table: str = "the series table",
) -> Alignment:
    """Each person's series on the grid ``settings`` asks for (see ``series_alignment``)."""
    return align_series(
        data,
        time,
        person_rows,
        persons,
        method=settings.method,
        nb_points=settings.nb_points,
        table=table,
    )


def project(
    alignment: Alignment, settings: SeriesSettings, *, table: str = "the series table"
) -> SeriesProjection:
    """The projection ``settings`` asks for, fitted on the aligned curves."""
    return SeriesProjection.fit(
        alignment.curves, settings.projection, settings.components, table=table
    )


def series_features(alignment: Alignment, projection: SeriesProjection) -> pd.DataFrame:
    """One row per person: each variable's features (``"<variable>:<j>"``, j from 0) then the
    metadata ``":length"``, ``":first"``, ``":duration"`` (integers for integer time columns).

    Originals and avatars put through the same ``projection`` land in the same space, which is
    what series privacy metrics compare.
    """
    features = projection.transform(alignment.curves)
    columns: dict[str, Any] = {}
    for name, values in features.items():
        for j in range(values.shape[1]):
            columns[f"{name}:{j}"] = values[:, j]
    integral = alignment.time.kind == "integer"
    columns[":length"] = alignment.length
    for label, values in ((":first", alignment.first), (":duration", alignment.duration)):
        columns[label] = np.round(values).astype(np.int64) if integral else values
    return pd.DataFrame(columns)


@dataclass(frozen=True)
class SeriesModel:
    """A series table fitted on its originals: what its rows need to be made again."""

    table: str
    time: str
    columns: list[str]
    dtypes: dict[str, Any]
    settings: SeriesSettings
    alignment: Alignment
    projection: SeriesProjection

    @classmethod
    def fit(
        cls,
        table: str,
        data: pd.DataFrame,
        time: str,
        person_rows: np.ndarray[Any, Any],
        persons: int,
        settings: SeriesSettings,
    ) -> SeriesModel:
        if not isinstance(settings, SeriesSettings):
            raise ValueError(
                f"table {table!r}: settings must be a SeriesSettings, got {type(settings).__name__}"
            )
        alignment = align(data, time, person_rows, persons, settings, table=table)
        projection = project(alignment, settings, table=table)
        return cls(
            table=table,
            time=time,
            columns=[str(c) for c in data.columns],
            dtypes={str(c): data[c].dtype for c in data.columns},
            settings=settings,
            alignment=alignment,
            projection=projection,
        )

    def features(self) -> pd.DataFrame:
        return series_features(self.alignment, self.projection)

    def shares(self) -> dict[str, float]:
        """Each curve feature's share of the block's inertia (summing to 1 over the block):
        variables share equally, and within a variable as the projection says."""
        count = len(self.projection.variables)
        return {
            f"{name}:{j}": float(share) / count
            for name, variable in self.projection.variables.items()
            for j, share in enumerate(variable.shares)
        }

    def rows(
        self,
        features: pd.DataFrame,
        rng: np.random.Generator | None = None,
        *,
        mix: Mix | None = None,
    ) -> tuple[pd.DataFrame, IntArray]:
        """The series rows of the persons whose features are ``features`` (named as
        :func:`series_features` names them), and each row's person (position in ``features``).

        With ``rng``, each fpca curve gets the variance its left-out components carried (see
        :mod:`~avatar_server.engine.series_projection`): drawn from the avatar's own
        neighbours' left-out parts when ``mix`` (the parent's avatarization) names them, from
        all originals' otherwise; without ``rng``, the reconstruction is exact.
        """
        blocks = {
            name: features[[f"{name}:{j}" for j in range(variable.width)]].to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            for name, variable in self.projection.variables.items()
        }
        curves = self.projection.inverse(blocks)
        if rng is not None:
            for name in curves:
                noise = (
                    self.projection.residual(name, len(features), rng)
                    if mix is None
                    else self.projection.local_residual(
                        name, self.alignment.curves[name], mix.neighbours, mix.weights, rng
                    )
                )
                if noise is not None:
                    curves[name] = curves[name] + noise
        length = features[":length"].to_numpy(dtype=np.float64)
        first = features[":first"].to_numpy(dtype=np.float64)
        duration = features[":duration"].to_numpy(dtype=np.float64)
        frame, persons = unalign(
            curves,
            length,
            first,
            duration,
            self.alignment.time,
            self.settings.unalignment,
            shortest=float(self.alignment.duration.min()),
        )
        frame.columns = [self.time, *curves]
        out = pd.DataFrame(
            {
                name: _cast(frame[name], self.dtypes[name]) if name != self.time else frame[name]
                for name in self.columns
            }
        )
        return out, persons

    def notes(self, features: pd.DataFrame) -> list[str]:
        """What the user should know about this table's avatars, made from ``features``:
        components fewer than asked, variables absent from whole series, spans widened."""
        notes: list[str] = []
        asked = self.settings.components
        if self.settings.projection == "fpca":
            for name, variable in self.projection.variables.items():
                if variable.width < asked:
                    notes.append(
                        f"{self.table}.{name}: nf={asked} asks for more components than the "
                        f"grid ({self.alignment.grid} points) and the persons allow; "
                        f"{variable.width} kept"
                    )
        for name, curves in self.alignment.curves.items():
            absent = int(np.isnan(curves).all(axis=1).sum())
            if absent:
                notes.append(
                    f"{self.table}.{name}: {absent} persons have no value of it in their "
                    "series: the avatarization fills the gap to find neighbours, and an avatar "
                    "may come out with it missing over its whole series"
                )
        if self.alignment.time.kind != "float":
            points = _points(
                features[":length"].to_numpy(dtype=np.float64),
                self.alignment.grid,
                self.settings.unalignment,
            )
            steps = np.round(
                np.nan_to_num(features[":duration"].to_numpy(dtype=np.float64))
                / self.alignment.time.resolution
            )
            widened = int((steps < points - 1).sum())
            if widened:
                notes.append(
                    f"{self.table}.{self.time}: {widened} avatar series had a span shorter than "
                    "one time unit per point; their span was widened to fit their length"
                )
        return notes


def _points(length: FloatArray, grid: int, unalignment: UnalignmentName) -> IntArray:
    """Each avatar's number of points: its rounded length (at least 2), or the grid's."""
    if unalignment == "skip":
        return np.full(length.size, grid, dtype=np.int64)
    return np.maximum(2, np.round(np.nan_to_num(length, nan=2.0))).astype(np.int64)


def unalign(
    curves: dict[str, FloatArray],
    length: FloatArray,
    first: FloatArray,
    duration: FloatArray,
    time: TimeAxis,
    unalignment: UnalignmentName,
    *,
    shortest: float,
) -> tuple[pd.DataFrame, IntArray]:
    """Rows (time, then one column per variable) of every person's curve, grouped by person in
    order with times strictly increasing, and each row's person.

    ``shortest`` (a positive duration, the originals' shortest) replaces a float time column's
    span when an avatar's is not positive.
    """
    persons = first.size
    grid = next(iter(curves.values())).shape[1] if curves else 2
    points = _points(length, grid, unalignment)
    owner = np.repeat(np.arange(persons, dtype=np.int64), points)
    starts = np.concatenate(([0], np.cumsum(points)[:-1])).astype(np.int64)
    step = np.arange(owner.size, dtype=np.int64) - starts[owner]
    last = (points - 1)[owner]
    times = _times(time, first, duration, points, owner, step, shortest)
    position = step * (grid - 1) / last
    low = np.minimum(np.floor(position).astype(np.int64), grid - 2)
    weight = position - low
    columns: dict[str, Any] = {"time": time.from_numbers(times)}
    for name, values in curves.items():
        columns[name] = values[owner, low] * (1.0 - weight) + values[owner, low + 1] * weight
    frame = pd.DataFrame(columns)
    return frame, owner


def _times(
    time: TimeAxis,
    first: FloatArray,
    duration: FloatArray,
    points: IntArray,
    owner: IntArray,
    step: IntArray,
    shortest: float,
) -> FloatArray:
    if time.kind == "float":
        span = np.where(duration > 0, duration, shortest)
        return np.asarray(first[owner] + span[owner] * step / (points - 1)[owner], dtype=np.float64)
    unit = time.resolution
    start = np.round(first / unit).astype(np.int64)
    span = np.maximum(np.round(np.nan_to_num(duration) / unit).astype(np.int64), points - 1)
    units = start[owner] + (span[owner] * step) // (points - 1)[owner]
    return np.asarray(units * unit, dtype=np.float64)


def _cast(values: pd.Series, dtype: Any) -> pd.Series:
    """Reconstructed values in the input column's dtype (integers rounded)."""
    if pd.api.types.is_integer_dtype(dtype):
        return pd.Series(np.round(values.to_numpy(dtype=np.float64))).astype(dtype)
    return values.astype(dtype)


def check_names(series: Sequence[Any], tables: Sequence[str]) -> None:
    """Each series table named once and not like a table of the group."""
    seen = set(tables)
    for item in series:
        if item.name in seen:
            raise ValueError(
                f"table {item.name!r} is given twice (as a table or a series table): give "
                "each table once"
            )
        seen.add(item.name)


__all__ = [
    "METADATA",
    "SeriesModel",
    "align",
    "check_names",
    "project",
    "series_features",
    "unalign",
]
