"""InterRecordCumulatedDifferenceProcessor: a cumulative value as first value + differences.

A value that grows record after record (a running total) is strongly tied between records of
one individual; avatarizing each record's difference from the previous one keeps that chain.
With ``keep_record_order=False`` the records of an individual are taken in ascending value
order (rows come back in that order, labels kept), so differences are ≥ 0; with ``True`` they
are taken in row order.
"""

from __future__ import annotations

import pandas as pd

from avatars.processors import _records
from avatars.processors._checks import require_bool, require_frame, require_name


class InterRecordCumulatedDifferenceProcessor:
    """``target`` → ``first`` (the individual's first value) + ``difference`` to the previous."""

    def __init__(
        self,
        *,
        id_variable: str,
        target_variable: str,
        new_first_variable_name: str,
        new_difference_variable_name: str,
        keep_record_order: bool = False,
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
        self.keep_record_order = require_bool(keep_record_order, "keep_record_order")

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy with ``target`` replaced by ``first`` and ``difference`` (last)."""
        require_frame(df, "df")
        _records.check_input(
            df, self.id_variable, [self.target_variable], [self.first, self.difference]
        )
        ordered = df
        if not self.keep_record_order:
            ordered = df.sort_values([self.id_variable, self.target_variable], kind="stable")
        groups = ordered.groupby(self.id_variable, sort=False)[self.target_variable]
        result = ordered.drop(columns=self.target_variable)
        result[self.first] = groups.transform("first")
        result[self.difference] = groups.diff().fillna(0.0).astype("float64")
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` (rows and index kept) with ``target`` rebuilt.

        ``target = the row's first + running sum of the individual's differences`` in row
        order (each avatar row carries its own first); ``first``/``difference`` are dropped.
        """
        require_frame(source, "source")
        require_frame(dest, "dest")
        _records.check_encoded(dest, self.id_variable, [self.first, self.difference])
        groups = dest.groupby(self.id_variable, sort=False)
        start = dest[self.first]
        running = groups[self.difference].cumsum()
        result = dest.drop(columns=[self.first, self.difference])
        result[self.target_variable] = start + running
        return _records.place_back(result, source)
