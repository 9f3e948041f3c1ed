"""InterRecordBoundedRangeDifferenceProcessor: chained [start, end] ranges, bounded.

Records of an individual that are ranges (stays, periods) are encoded as the individual's
first start, each range's length and each gap from the previous end, both as bounded shares of
the room toward the source's lowest/highest value ([-1, 1]), so decoded avatars stay within
the source's bounds. Records are taken in ``sort_by_variable`` order (stable) if given, else in
row order; rows and labels are kept as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatars.processors import _records
from avatars.processors._checks import (
    require_bool,
    require_columns,
    require_frame,
    require_name,
    require_no_missing,
)


class InterRecordBoundedRangeDifferenceProcessor:
    """``start``, ``end`` → ``range`` + ``first`` + ``difference`` (appended in that order)."""

    def __init__(
        self,
        *,
        id_variable: str,
        target_start_variable: str,
        target_end_variable: str,
        new_first_variable_name: str,
        new_range_variable: str,
        new_difference_variable_name: str,
        sort_by_variable: str | None = None,
        should_round_output: bool = True,
    ) -> None:
        self.id_variable = require_name(id_variable, "id_variable")
        self.start = require_name(target_start_variable, "target_start_variable")
        self.end = require_name(target_end_variable, "target_end_variable")
        self.first = require_name(new_first_variable_name, "new_first_variable_name")
        self.range = require_name(new_range_variable, "new_range_variable")
        self.difference = require_name(new_difference_variable_name, "new_difference_variable_name")
        names = {
            "id_variable": self.id_variable,
            "target_start_variable": self.start,
            "target_end_variable": self.end,
            "new_first_variable_name": self.first,
            "new_range_variable": self.range,
            "new_difference_variable_name": self.difference,
        }
        self.sort_by_variable = None
        if sort_by_variable is not None:
            self.sort_by_variable = require_name(sort_by_variable, "sort_by_variable")
            names["sort_by_variable"] = self.sort_by_variable
        _records.check_names(names)
        self.should_round_output = require_bool(should_round_output, "should_round_output")

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy (rows, index kept) with start/end → range, first, difference."""
        require_frame(df, "df")
        new = [self.range, self.first, self.difference]
        _records.check_input(df, self.id_variable, [self.start, self.end], new)
        if self.sort_by_variable is not None:
            require_columns(df, [self.sort_by_variable], "sort_by_variable")
            require_no_missing(df, [self.sort_by_variable], "sort_by_variable")
        lower, upper = _records.bounds(df, [self.start, self.end])
        ids = df[self.id_variable].to_numpy()
        starts = df[self.start].to_numpy(dtype="float64")
        ends = df[self.end].to_numpy(dtype="float64")
        ranges, firsts, steps = np.empty(len(df)), np.empty(len(df)), np.empty(len(df))
        previous_end: dict[object, float] = {}
        first_start: dict[object, float] = {}
        for position in _records.record_order(df, self.sort_by_variable):
            key, start, end = ids[position], starts[position], ends[position]
            before = previous_end.get(key, start)
            first_start.setdefault(key, start)
            ranges[position] = _records.bounded_step(start, end, lower, upper)
            firsts[position] = first_start[key]
            steps[position] = _records.bounded_step(before, start, lower, upper)
            previous_end[key] = end
        result = df.drop(columns=[self.start, self.end])
        result[self.range] = ranges
        result[self.first] = firsts
        result[self.difference] = steps
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` (rows, index kept) with start and end rebuilt.

        Bounds come from ``source``'s start and end. Per individual, in record order, from the
        first record's ``first``: ``start`` = previous end moved by ``difference``, ``end`` =
        start moved by ``range``.
        """
        require_frame(source, "source")
        require_frame(dest, "dest")
        lower, upper = _records.bounds(source, [self.start, self.end])
        _records.check_encoded(dest, self.id_variable, [self.range, self.first, self.difference])
        if self.sort_by_variable is not None:
            require_columns(dest, [self.sort_by_variable], "dest sort_by_variable")
            require_no_missing(dest, [self.sort_by_variable], "dest sort_by_variable")
        ids = dest[self.id_variable].to_numpy()
        ranges = dest[self.range].to_numpy(dtype="float64")
        firsts = dest[self.first].to_numpy(dtype="float64")
        steps = dest[self.difference].to_numpy(dtype="float64")
        starts, ends = np.empty(len(dest)), np.empty(len(dest))
        previous_end: dict[object, float] = {}
        for position in _records.record_order(dest, self.sort_by_variable):
            key = ids[position]
            before = previous_end.get(key, firsts[position])
            start = _records.apply_bounded_step(before, steps[position], lower, upper)
            starts[position] = start
            ends[position] = _records.apply_bounded_step(start, ranges[position], lower, upper)
            previous_end[key] = ends[position]
        result = dest.drop(columns=[self.range, self.first, self.difference])
        result[self.start] = _records.finish_values(starts, self.should_round_output)
        result[self.end] = _records.finish_values(ends, self.should_round_output)
        return _records.place_back(result, source)
