"""Server-side processors: reversible changes of a table's columns made before avatarization
and undone on the avatars after it.

A processor re-expresses columns whose relation the avatar method would blur: a total and its
parts (:class:`RelativeDifference`), or each individual's chained time ranges
(:class:`InterRecordRangeDifference`). The engine avatarizes the re-expressed columns, and the
inverse gives the avatars back the table's own columns, rebuilt so that the relation holds.

A run applies its processors in list order and undoes them in reverse order
(:class:`ProcessorChain`). Each ``preprocess`` checks what it needs of the data and raises a
ValueError naming the column and what to do, which the job shows to the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd


class TableProcessor(Protocol):
    """One reversible change of a table's columns; ``postprocess`` undoes the change on the
    avatars of the table that ``preprocess`` saw (same rows, in the same order)."""

    def preprocess(self, data: pd.DataFrame) -> pd.DataFrame: ...

    def postprocess(self, avatars: pd.DataFrame) -> pd.DataFrame: ...


def _numeric(data: pd.DataFrame, column: str, role: str) -> pd.Series:
    """The column as floats, or a ValueError saying why it cannot be processed."""
    if column not in data.columns:
        raise ValueError(
            f"{role} {column!r} is not among the avatarized columns: a processor works on "
            "columns that are avatarized (not excluded, not a key, not pseudonymized or dropped)"
        )
    values = data[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise ValueError(
            f"{role} {column!r} is not numeric (it holds {values.dtype}): declare it numeric in "
            "the schema, or choose a numeric column"
        )
    return values.astype("float64")


def _without_gaps(values: pd.Series, role: str) -> None:
    gaps = int(values.isna().sum())
    if gaps:
        raise ValueError(
            f"{role} {values.name!r} has {gaps} missing values, which this processor cannot "
            "carry: fill them before the upload, or choose another column"
        )


def _restore(values: pd.Series, dtype: np.dtype | pd.api.extensions.ExtensionDtype) -> pd.Series:
    """Rebuilt floats back in the column's own type: integer columns are rounded to the
    nearest integer (not truncated), a gap stays a gap."""
    if pd.api.types.is_integer_dtype(dtype):
        rounded = values.round()
        if rounded.isna().any() and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return rounded.astype("Int64")
        return rounded.astype(dtype)
    return values.astype(dtype)


def _free_name(taken: Sequence[str], wanted: str) -> str:
    name, number = wanted, 1
    while name in taken:
        number += 1
        name = f"{wanted}_{number}"
    return name


@dataclass
class RelativeDifference:
    """``target`` avatarized as ``(target - sum(references)) / scaling_unit``; the avatars'
    target is rebuilt from their own references, so each avatar keeps its total and parts
    related exactly as the data did."""

    target: str
    references: list[str]
    scaling_unit: int = 1
    _dtype: np.dtype | pd.api.extensions.ExtensionDtype | None = field(default=None, init=False)

    def preprocess(self, data: pd.DataFrame) -> pd.DataFrame:
        target = _numeric(data, self.target, "relative difference target")
        total = pd.Series(0.0, index=data.index)
        for name in self.references:
            reference = _numeric(data, name, "relative difference reference")
            _without_gaps(reference, "relative difference reference")
            total += reference
        self._dtype = data[self.target].dtype
        processed = data.copy()
        processed[self.target] = (target - total) / self.scaling_unit
        return processed

    def postprocess(self, avatars: pd.DataFrame) -> pd.DataFrame:
        assert self._dtype is not None, "postprocess before preprocess"
        total = sum((avatars[name].astype("float64") for name in self.references), start=0.0)
        rebuilt = avatars[self.target].astype("float64") * self.scaling_unit + total
        restored = avatars.copy()
        restored[self.target] = _restore(pd.Series(rebuilt, index=avatars.index), self._dtype)
        return restored


@dataclass
class InterRecordRangeDifference:
    """Each individual's ``[start, end]`` records, in the order of their starts, avatarized as
    the individual's first start, each record's gap from the previous end and its length.

    The avatars are chained again per individual as released (their ``id_variable`` column,
    which :meth:`postprocess` reads: a new key, a pseudonym or an avatarized value): each
    record starts its gap after the previous one ends, in the order its original held in its
    own sequence. ``ids`` are the original individuals, row for row with the data (they may be
    a key or a pseudonymized column that the engine never sees).
    """

    id_variable: str
    start: str
    end: str
    ids: pd.Series
    _rank: np.ndarray | None = field(default=None, init=False)
    _dtypes: dict[str, np.dtype | pd.api.extensions.ExtensionDtype] = field(
        default_factory=dict, init=False
    )
    _names: tuple[str, str, str] = field(default=("", "", ""), init=False)
    _order: list[str] = field(default_factory=list, init=False)

    def preprocess(self, data: pd.DataFrame) -> pd.DataFrame:
        start = _numeric(data, self.start, "range start")
        end = _numeric(data, self.end, "range end")
        _without_gaps(start, "range start")
        _without_gaps(end, "range end")
        ids = self.ids.reset_index(drop=True)
        if ids.isna().any():
            raise ValueError(
                f"the individual column {self.id_variable!r} has {int(ids.isna().sum())} "
                "missing values: each record needs its individual"
            )
        frame = pd.DataFrame(
            {"id": ids.to_numpy(), "start": start.to_numpy(), "end": end.to_numpy()}
        )
        ordered = frame.sort_values(["id", "start"], kind="stable")
        position = ordered.groupby("id", sort=False).cumcount().to_numpy()
        first_row = position == 0
        previous_end = ordered["end"].shift(1).to_numpy()
        gap = np.where(first_row, 0.0, ordered["start"].to_numpy() - previous_end)
        first = ordered.groupby("id", sort=False)["start"].transform("first").to_numpy()
        rows = ordered.index.to_numpy()
        self._rank = np.empty(len(frame), dtype=np.int64)
        self._rank[rows] = position
        self._dtypes = {self.start: data[self.start].dtype, self.end: data[self.end].dtype}
        self._order = list(data.columns)
        taken = [c for c in data.columns if c not in (self.start, self.end)]
        names = []
        for suffix in ("first", "gap", "length"):
            names.append(_free_name(taken, f"{self.start}__{suffix}"))
            taken.append(names[-1])
        self._names = (names[0], names[1], names[2])
        processed = data.drop(columns=[self.start, self.end])
        values = {"first": first, "gap": gap, "length": (ordered["end"] - ordered["start"])}
        for name, key in zip(self._names, ("first", "gap", "length"), strict=True):
            column = np.empty(len(frame), dtype="float64")
            column[rows] = np.asarray(values[key], dtype="float64")
            processed[name] = column
        return processed

    def postprocess(self, avatars: pd.DataFrame) -> pd.DataFrame:
        assert self._rank is not None, "postprocess before preprocess"
        if self.id_variable not in avatars.columns:
            raise ValueError(
                f"the individual column {self.id_variable!r} is not released, so the avatars' "
                "ranges cannot be chained per individual: keep, key or pseudonymize it"
            )
        first_name, gap_name, length_name = self._names
        released = avatars[self.id_variable].reset_index(drop=True)
        frame = pd.DataFrame(
            {
                # A released individual that is missing chains alone: its own group per row.
                "id": released.astype("object").where(released.notna(), None),
                "alone": np.where(released.isna(), np.arange(len(released)), -1),
                "rank": self._rank,
                "row": np.arange(len(avatars)),
                "first": avatars[first_name].to_numpy(dtype="float64"),
                "gap": avatars[gap_name].to_numpy(dtype="float64"),
                "length": avatars[length_name].to_numpy(dtype="float64"),
            }
        )
        frame["key"] = frame["id"].astype(str) + np.where(
            frame["alone"] >= 0, "\x00" + frame["alone"].astype(str), ""
        )
        ordered = frame.sort_values(["key", "rank", "row"], kind="stable")
        groups = ordered.groupby("key", sort=False)
        leading = groups.cumcount().to_numpy() == 0
        gap = np.where(leading, 0.0, ordered["gap"].to_numpy())
        steps = pd.Series(gap + ordered["length"].to_numpy(), index=ordered.index)
        # start_k = first_0 + sum of gaps up to k + sum of lengths before k
        before = steps.groupby(ordered["key"], sort=False).cumsum() - ordered["length"]
        start = groups["first"].transform("first") + before
        end = start + ordered["length"]
        restored = avatars.drop(columns=list(self._names))
        for name, values in ((self.start, start), (self.end, end)):
            column = np.empty(len(avatars), dtype="float64")
            column[ordered["row"].to_numpy()] = values.to_numpy(dtype="float64")
            restored[name] = _restore(pd.Series(column, index=avatars.index), self._dtypes[name])
        known = [c for c in self._order if c in restored.columns]
        return restored[known + [c for c in restored.columns if c not in self._order]]


@dataclass
class ProcessorChain:
    """A run's processors of one table: applied in list order, undone in reverse order."""

    processors: list[RelativeDifference | InterRecordRangeDifference]

    def preprocess(self, data: pd.DataFrame) -> pd.DataFrame:
        for processor in self.processors:
            data = processor.preprocess(data)
        return data

    def postprocess(self, avatars: pd.DataFrame) -> pd.DataFrame:
        for processor in reversed(self.processors):
            avatars = processor.postprocess(avatars)
        return avatars
