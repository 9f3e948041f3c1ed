"""What the server's series data check costs when a run with a series table is stored.

The check reads only the foreign key and time columns of the series table (and the parent's
key), in chunks (:mod:`avatar_server.services.series_data`): times readable, no (person, time)
pair twice, every person with at least 2 points. Measured here on a generated series table of
100,000 persons x 50 points (5,000,000 rows, two value columns that a whole-table read would
also load), stored as CSV and as Parquet: the time of one check (median of repeats) and the
peak of the memory Python allocators report (numpy and pandas buffers; tracemalloc), against
the size of the series table in memory.

    .venv/bin/python -m bench.series_data [--persons 100000] [--points 50] [--repeat 1]
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from avatar_server.db.models import Dataset, DatasetFormat
from avatar_server.services.series_data import check_series_data
from avatar_server.storage import Storage
from avatar_yaml import ColumnInfo, Config, LinkMethod
from bench.common import machine, median_time_and_traced_peak, write_results
from bench.linked_keys import _dataset as _stored


def _tables(persons: int, points: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    parent = pd.DataFrame(
        {"id": rng.permutation(persons) + 10_000, "age": rng.integers(18, 90, persons)}
    )
    rows = persons * points
    series = pd.DataFrame(
        {
            "primary_key": np.arange(rows),
            "id": np.repeat(parent["id"].to_numpy(), points),
            "t": np.tile(np.arange(points), persons),
            "sensor1": rng.normal(0, 1, rows).round(6),
            "sensor2": rng.normal(5, 2, rows).round(6),
        }
    )
    return parent, series


def _dataset(storage: Storage, frame: pd.DataFrame, name: str, fmt: DatasetFormat) -> Dataset:
    dataset = _stored(storage, frame, name, fmt)
    dataset.rows = len(frame)  # as the upload records it
    return dataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    parent, series = _tables(args.persons, args.points)
    config = Config.new("bench")
    config.add_table("person", "p", columns=[ColumnInfo(field="id", primary_key=True)])
    config.add_table(
        "series",
        "s",
        columns=[
            ColumnInfo(field="primary_key", primary_key=True),
            ColumnInfo(field="id", identifier=True),
            ColumnInfo(field="t", time_series_time=True),
        ],
    )
    config.add_link("person", "id", "series", "id", LinkMethod.TIME_SERIES)
    series_mib = series.memory_usage(deep=True).sum() / 2**20
    load = os.getloadavg()[0]
    lines = [
        "# Series data check benchmark",
        "",
        f"{args.persons:,} persons x {args.points} points ({len(series):,} rows, 5 columns; "
        f"{series_mib:.0f} MiB in memory), one series table. {machine(load)} Produced by "
        "`.venv/bin/python -m bench.series_data`.",
        "",
        "| stored as | one check, median (s) | peak traced memory (MiB) |",
        "|---|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        storage = Storage(str(Path(folder) / "store"))
        for fmt in (DatasetFormat.CSV, DatasetFormat.PARQUET):
            datasets = {
                "person": _dataset(storage, parent, "person", fmt),
                "series": _dataset(storage, series, "series", fmt),
            }
            median, peak = median_time_and_traced_peak(
                functools.partial(check_series_data, storage, config, datasets), args.repeat
            )
            lines.append(f"| {fmt.value} | {median:.2f} | {peak:.0f} |")
    lines += [
        "",
        f"Median of {args.repeat} runs. Only the key and time columns are read, in chunks of "
        "100,000 rows; what is kept is one count per person and one 64-bit hash per series "
        "row (the duplicate check, sorted in place), plus one chunk (traced memory counts "
        "numpy and pandas buffers, not Arrow's).",
        "",
    ]
    write_results(Path(__file__).parent / "results" / "series-data.md", lines)


if __name__ == "__main__":
    main()
