"""What the server's orphan foreign key check costs when a linked run is stored.

The check reads only the key columns of the parent and child datasets, in chunks
(:mod:`avatar_server.services.foreign_keys`). Measured here on generated tables of 100,000
parents and 300,000 children (a few extra columns each, so reading whole tables would cost
more), stored as CSV and as Parquet: the time of one check (median of repeats) and the peak of
the memory Python allocators report (numpy and pandas buffers; tracemalloc), against the size
of the child table in memory.

    .venv/bin/python -m bench.linked_keys [--parents 100000] [--children 300000] [--repeat 3]
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
from avatar_server.services.foreign_keys import check_foreign_keys
from avatar_server.storage import Storage
from avatar_yaml import ColumnInfo, Config
from bench.common import machine, median_time_and_traced_peak, write_results


def _tables(parents: int, children: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    parent = pd.DataFrame(
        {
            "parent_id": rng.permutation(parents) + 10_000,
            "age": rng.integers(18, 90, parents),
            "city": rng.choice(["Lyon", "Nantes", "Lille", "Paris"], parents),
            "income": rng.normal(30_000, 8_000, parents).round(2),
        }
    )
    child = pd.DataFrame(
        {
            "child_id": np.arange(children),
            "parent_id": rng.choice(parent["parent_id"].to_numpy(), children),
            "amount": rng.normal(50, 20, children).round(2),
            "kind": rng.choice(["visit", "call", "test"], children),
            "note": rng.choice(["routine check", "follow-up", "urgent"], children),
        }
    )
    return parent, child


def _dataset(storage: Storage, frame: pd.DataFrame, name: str, fmt: DatasetFormat) -> Dataset:
    key = f"{name}.{fmt.value}"
    with storage.open_write(key) as handle:
        if fmt is DatasetFormat.PARQUET:
            frame.to_parquet(handle, index=False)
        else:
            handle.write(frame.to_csv(index=False).encode())
    dtypes = {"i": "int64", "f": "float64"}
    columns = [
        {"name": str(c), "dtype": dtypes.get(frame[c].dtype.kind, "string")} for c in frame.columns
    ]
    return Dataset(storage_key=key, format=fmt, columns=columns, csv_dialect=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parents", type=int, default=100_000)
    parser.add_argument("--children", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    parent, child = _tables(args.parents, args.children)
    config = Config.new("bench")
    config.add_table("parent", "p", columns=[ColumnInfo(field="parent_id", primary_key=True)])
    config.add_table("child", "c", columns=[ColumnInfo(field="parent_id", identifier=True)])
    config.add_link("parent", "parent_id", "child", "parent_id")
    child_mib = child.memory_usage(deep=True).sum() / 2**20
    load = os.getloadavg()[0]
    lines = [
        "# Orphan foreign key check benchmark",
        "",
        f"{args.parents:,} parents (4 columns) x {args.children:,} children (5 columns; "
        f"{child_mib:.0f} MiB in memory), one link. {machine(load)} Produced by "
        "`.venv/bin/python -m bench.linked_keys`.",
        "",
        "| stored as | one check, median (s) | peak traced memory (MiB) |",
        "|---|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        storage = Storage(str(Path(folder) / "store"))
        for fmt in (DatasetFormat.CSV, DatasetFormat.PARQUET):
            datasets = {
                "parent": _dataset(storage, parent, "parent", fmt),
                "child": _dataset(storage, child, "child", fmt),
            }
            median, peak = median_time_and_traced_peak(
                functools.partial(check_foreign_keys, storage, config, datasets), args.repeat
            )
            lines.append(f"| {fmt.value} | {median:.2f} | {peak:.0f} |")
    lines += [
        "",
        f"Median of {args.repeat} runs. Only the two key columns are read, in chunks of "
        "100,000 rows; the memory is the parent's key values plus one chunk of the child, "
        "not the tables (traced memory counts numpy and pandas buffers, not Arrow's).",
        "",
    ]
    write_results(Path(__file__).parent / "results" / "linked-keys.md", lines)


if __name__ == "__main__":
    main()
