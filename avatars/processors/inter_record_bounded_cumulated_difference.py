"""InterRecordBoundedCumulatedDifferenceProcessor: first value + bounded relative steps.

Like the cumulated difference, but each step is a share of the room left toward the source's
lowest (for a decrease) or highest (for an increase) value, in [-1, 1]: avatars decoded from
steps in that range stay within the source's bounds. Records are taken in row order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatars.processors import _records
from avatars.processors._checks import require_bool, require_frame, require_name


class InterRecordBoundedCumulatedDifferenceProcessor:
    """``target`` → ``first`` + bounded ``difference`` to the previous record."""

    def __init__(
        self,
        id_variable: str,
        target_variable: str,
        new_first_variable_name: str,
        new_difference_variable_name: str,
        should_round_output: bool = False,
    ) -> None:
        self.id_variable = require_name(id_variable, "id_variable")
        self.target_variable = require_name(target_variable, "target_variable")
        self.first = require_name(new_first_variable_name, "new_first_variable_name")
        self.difference = require_name(new_difference_variable_name, "new_difference_variable_name")
        _records.check_names(
            {
                "id_variable": self.id_variable,
                "target_variable": self.target_variable,
                "new_first_variable_name": self.first,
                "new_difference_variable_name": self.difference,
            }
        )
        self.should_round_output = require_bool(should_round_output, "should_round_output")

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy (rows, index kept) with ``target`` → ``first``, ``difference``."""
        require_frame(df, "df")
        _records.check_input(
            df, self.id_variable, [self.target_variable], [self.first, self.difference]
        )
        lower, upper = _records.bounds(df, [self.target_variable])
        ids = df[self.id_variable].to_numpy()
        values = df[self.target_variable].to_numpy(dtype="float64")
        firsts = np.empty(len(df))
        steps = np.empty(len(df))
        previous: dict[object, float] = {}
        start: dict[object, float] = {}
        for position, (key, value) in enumerate(zip(ids, values, strict=True)):
            before = previous.get(key, value)
            start.setdefault(key, value)
            firsts[position] = start[key]
            steps[position] = _records.bounded_step(before, value, lower, upper)
            previous[key] = value
        result = df.drop(columns=self.target_variable)
        result[self.first] = firsts
        result[self.difference] = steps
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` (rows, index kept) with ``target`` rebuilt.

        Bounds come from ``source``'s target. Per individual, in row order, from the first
        row's ``first``: each step (the first row's too) moves the value within the bounds.
        """
        require_frame(source, "source")
        require_frame(dest, "dest")
        lower, upper = _records.bounds(source, [self.target_variable])
        _records.check_encoded(dest, self.id_variable, [self.first, self.difference])
        ids = dest[self.id_variable].to_numpy()
        firsts = dest[self.first].to_numpy(dtype="float64")
        steps = dest[self.difference].to_numpy(dtype="float64")
        values = np.empty(len(dest))
        previous: dict[object, float] = {}
        for position, key in enumerate(ids):
            before = previous.get(key, firsts[position])
            values[position] = _records.apply_bounded_step(before, steps[position], lower, upper)
            previous[key] = values[position]
        result = dest.drop(columns=[self.first, self.difference])
        result[self.target_variable] = _records.finish_values(values, self.should_round_output)
        return _records.place_back(result, source)
