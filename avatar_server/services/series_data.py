"""Series tables' values, checked before a run with time series is stored.

The declaration rules see the upload's facts (the time column's type, its missing values); what
needs the values is checked here, after the foreign keys (``services.foreign_keys``), so every
series row has its person: a time that cannot be read as one, a person with two points at the
same time (the series would not be a function of time), and a person with fewer than 2 points
in a series (a single point has no shape to align, project or generate).

Only the foreign key and time columns are read, in chunks. What is kept across chunks is one
count per parent person and one 64-bit hash per series row (8 bytes a row, in one array the
size of the upload's row count, sorted in place); the rows whose (person, time) hash repeats
are read again to confirm and name the duplicates, so a hash collision cannot refuse a good
table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from avatar_server.db.models import Dataset
from avatar_server.services.errors import UnprocessableError
from avatar_server.services.foreign_keys import (
    EXAMPLES,
    column_chunks,
    column_dtype,
    comparable,
    key_text,
    numeric_keys,
)
from avatar_server.storage import Storage
from avatar_yaml import ColumnType, Config, TableInfo
from avatar_yaml.links import SeriesTable, series_tables

MIN_POINTS = 2
"""A series needs two points to have a shape (and a time span to generate)."""

_DATES = (ColumnType.DATETIME, ColumnType.DATETIME_TZ)


def _declared_type(info: TableInfo, column: str) -> ColumnType | None:
    return next((c.type for c in info.columns or [] if c.field == column), None)


def _times(values: pd.Series, declared: ColumnType | None, where: str) -> np.ndarray:
    """The times as numbers that order and compare them: dates in nanoseconds (as the jobs
    read them: a type declared datetime parses the text), numbers as they are."""
    if declared in _DATES or pd.api.types.is_datetime64_any_dtype(values):
        dates = pd.to_datetime(
            values, errors="coerce", utc=declared is ColumnType.DATETIME_TZ, format="mixed"
        )
        unread = values[dates.isna() & values.notna()]
        if len(unread):
            shown = ", ".join(repr(str(v)) for v in unread.unique()[:EXAMPLES])
            raise UnprocessableError(
                f"{where} is declared {declared or ColumnType.DATETIME} but {len(unread)} "
                f"values of this chunk are not dates, e.g. {shown}; correct them, or declare "
                "the column a number"
            )
        return dates.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
    numbers = pd.to_numeric(values, errors="coerce")
    unread = values[numbers.isna() & values.notna()]
    if len(unread):
        shown = ", ".join(repr(str(v)) for v in unread.unique()[:EXAMPLES])
        raise UnprocessableError(
            f"{where} holds values that are not numbers, e.g. {shown}; a time is a number or "
            "a date: correct them, or declare the column datetime"
        )
    return numbers.to_numpy(dtype="float64")


class _SeriesReader:
    """One series table's (person, time) pairs, a chunk at a time: the person as its row in
    the parent's sorted keys."""

    def __init__(
        self,
        storage: Storage,
        config: Config,
        series: SeriesTable,
        datasets: Mapping[str, Dataset],
    ) -> None:
        link = series.link
        self.storage, self.series = storage, series
        self.parent, self.child = datasets[link.parent], datasets[series.name]
        self.numeric = numeric_keys(self.parent, link.parent_key, self.child, link.child_key)
        self.declared = _declared_type(config.table(series.name), series.time)
        self.where = f"table {series.name!r}: time column {series.time!r}"
        keys = [
            comparable(chunk[link.parent_key].dropna(), self.numeric)
            for chunk in column_chunks(
                storage, self.parent, [link.parent_key], () if self.numeric else [link.parent_key]
            )
        ]
        self.persons = np.unique(np.concatenate(keys)) if keys else np.array([])

    def chunks(self) -> Iterator[tuple[pd.DataFrame, np.ndarray, np.ndarray]]:
        """Each chunk of the key and time columns, its rows' persons and their times."""
        key, time = self.series.link.child_key, self.series.time
        text = [] if self.numeric else [key]
        if self.declared in _DATES and column_dtype(self.child, time) == "string":
            text.append(time)
        for chunk in column_chunks(self.storage, self.child, [key, time], text):
            persons = np.searchsorted(self.persons, comparable(chunk[key], self.numeric))
            yield chunk, persons, _times(chunk[time], self.declared, self.where)


def _pair_hashes(persons: np.ndarray, times: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"person": persons, "time": times})
    hashed: np.ndarray = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashed


def _refuse_duplicates(reader: _SeriesReader, repeated: np.ndarray) -> None:
    """Reads the rows whose hash repeats again, and refuses the pairs that truly repeat."""
    key, time = reader.series.link.child_key, reader.series.time
    suspects = []
    for chunk, persons, times in reader.chunks():
        chosen = np.isin(_pair_hashes(persons, times), repeated)
        if chosen.any():
            suspects.append(
                pd.DataFrame(
                    {
                        "person": persons[chosen],
                        "time": times[chosen],
                        "key": chunk[key].to_numpy()[chosen],
                        "shown": chunk[time].to_numpy()[chosen],
                    }
                )
            )
    rows = pd.concat(suspects, ignore_index=True)
    twice = rows[rows.duplicated(["person", "time"], keep="first")]
    if twice.empty:
        return  # hash collisions only
    examples = twice.drop_duplicates(["person", "time"]).head(EXAMPLES)
    shown = ", ".join(
        f"{key_text(row.key)} at {key_text(row.shown)}" for row in examples.itertuples()
    )
    raise UnprocessableError(
        f"table {reader.series.name!r}: {len(twice)} rows repeat a time their person already "
        f"has (foreign key {key!r}, time column {time!r}), e.g. {shown}; a series has one "
        "point per time: remove the repeated rows, or merge them (one row per person and time)"
    )


def _refuse_short_series(reader: _SeriesReader, counts: np.ndarray) -> None:
    link = reader.series.link
    short = np.flatnonzero(counts < MIN_POINTS)
    if not short.size:
        return
    examples = ", ".join(key_text(value) for value in reader.persons[short[:EXAMPLES]])
    raise UnprocessableError(
        f"table {reader.series.name!r}: {short.size} of the {reader.persons.size} persons of "
        f"table {link.parent!r} have fewer than {MIN_POINTS} points in this series (foreign "
        f"key {link.child_key!r}, time column {reader.series.time!r}), e.g. "
        f"{link.parent_key}={examples}; every person needs a series of at least {MIN_POINTS} "
        f"points: add their points, or remove those persons from table {link.parent!r}"
    )


def check_series_data(storage: Storage, config: Config, datasets: Mapping[str, Dataset]) -> None:
    """Every series table's times are numbers or dates, no person has a time twice, and every
    person of its parent has at least :data:`MIN_POINTS` points; else a 422 naming the table,
    the columns, how many rows or persons and a few of them. Run after the foreign keys are
    checked (every series row then has its person)."""
    for series in series_tables(config.schema):
        reader = _SeriesReader(storage, config, series, datasets)
        counts = np.zeros(reader.persons.size, dtype=np.int64)
        hashes = np.empty(reader.child.rows, dtype=np.uint64)
        filled = 0
        for _, persons, times in reader.chunks():
            counts += np.bincount(persons, minlength=reader.persons.size)
            if filled + len(persons) > hashes.size:  # pragma: no cover - rows counted at upload
                hashes = np.concatenate([hashes[:filled], np.empty(len(persons), np.uint64)])
            hashes[filled : filled + len(persons)] = _pair_hashes(persons, times)
            filled += len(persons)
        hashes = hashes[:filled]
        hashes.sort()  # in place: the duplicates are neighbours, with no second copy
        repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        if repeated.size:
            _refuse_duplicates(reader, repeated)
        _refuse_short_series(reader, counts)
