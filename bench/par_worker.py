"""SDV's PARSynthesizer on the sensors: the series peer that ``bench.series`` compares us with.

Runs inside ``bench/.venv-sdv`` (made by ``bench/setup-sdv.sh``), never in the project venv: SDV
needs pandas < 3 and torch. It imports nothing from the project. PAR models one sequence table
whose rows carry the sequence key, the sequence index and, as context columns, the attributes
constant within a sequence; so each series table is fitted apart, its rows joined to the
person's own columns (``<input>/<persons>.parquet``) as context, as a data scientist would give
PAR the sensors. For each ``--series NAME`` it reads ``<input>/<NAME>.parquet``, fits, samples
as many sequences as there are persons, and writes ``<output>/<NAME>.parquet`` (the key, the
index, the value columns and the context columns); it prints one JSON line with the timings and
this process's peak RSS.

    bench/.venv-sdv/bin/python bench/par_worker.py INPUT_DIR OUTPUT_DIR --series timeseries1
        [--series ...] [--persons vanilla] [--key id] [--time t] [--epochs 128] [--seed 0]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import time
import warnings
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """This process's high-water mark: one worker per run, so it is the run's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def read(folder: Path, name: str) -> Any:
    # The project writes with pandas 3, whose string dtype pandas 2 cannot rebuild from the
    # parquet metadata: read the columns as plain Arrow types instead.
    import pyarrow.parquet as pq

    path = folder / f"{name}.parquet"
    if not path.exists():
        raise SystemExit(f"table {name!r}: {path} does not exist")
    return pq.read_table(path).to_pandas(ignore_metadata=True)


def sequences(persons: Any, series: Any, key: str, time_column: str, name: str) -> Any:
    """The series rows with the person's columns joined on as context (keys of the series
    table other than the sequence key are left out: PAR would model them as values)."""
    if key not in persons.columns or key not in series.columns:
        raise SystemExit(f"table {name!r}: key column {key!r} missing in it or in the persons")
    if time_column not in series.columns:
        raise SystemExit(f"table {name!r}: no time column {time_column!r}")
    values = [c for c in series.columns if c not in (key, time_column, "primary_key")]
    frame = series[[key, time_column, *values]].merge(persons, on=key, how="left")
    return frame.sort_values([key, time_column]).reset_index(drop=True)


def fit_and_sample(
    frame: Any, key: str, time_column: str, context: list[str], epochs: int, count: int, seed: int
) -> tuple[Any, float, float]:
    from sdv.metadata import Metadata
    from sdv.sequential import PARSynthesizer

    metadata = Metadata.detect_from_dataframes({"series": frame}, infer_keys=None)
    metadata.update_column(column_name=key, sdtype="id")
    metadata.update_column(column_name=time_column, sdtype="numerical")
    metadata.set_sequence_key(column_name=key)
    metadata.set_sequence_index(column_name=time_column)
    metadata.validate()
    import numpy as np

    torch = importlib.import_module("torch")  # only in the SDV venv, unknown to the type check
    np.random.seed(seed)
    torch.manual_seed(seed)
    start = time.perf_counter()
    synthesizer = PARSynthesizer(
        metadata, context_columns=context, epochs=epochs, cuda=False, verbose=False
    )
    synthesizer.fit({"series": frame})  # SDV 2 takes a one-table dict, 1.x the frame
    fitted = time.perf_counter()
    synthetic = synthesizer.sample_sequences(num_sequences=count)
    if isinstance(synthetic, dict):
        synthetic = next(iter(synthetic.values()))
    return synthetic, fitted - start, time.perf_counter() - fitted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input", type=Path, help="folder with <table>.parquet per table")
    parser.add_argument("output", type=Path, help="folder the synthetic <table>.parquet go to")
    parser.add_argument("--series", action="append", required=True, help="a series table")
    parser.add_argument("--persons", default="vanilla", help="the persons' table")
    parser.add_argument("--key", default="id", help="the sequence key, the persons' key")
    parser.add_argument("--time", default="t", help="the sequence index")
    parser.add_argument("--epochs", type=int, default=128, help="PAR's default: 128")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    persons = read(args.input, args.persons)
    context = [c for c in persons.columns if c != args.key]
    args.output.mkdir(parents=True, exist_ok=True)
    fit_s: dict[str, float] = {}
    sample_s: dict[str, float] = {}
    rows: dict[str, int] = {}
    for name in args.series:
        frame = sequences(persons, read(args.input, name), args.key, args.time, name)
        synthetic, fit_s[name], sample_s[name] = fit_and_sample(
            frame, args.key, args.time, context, args.epochs, len(persons), args.seed
        )
        synthetic.to_parquet(args.output / f"{name}.parquet", index=False)
        rows[name] = len(synthetic)
    versions = {
        name: importlib.metadata.version(name)
        for name in ("sdv", "deepecho", "torch", "pandas", "numpy")
    }
    result = {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "rows": rows,
        "epochs": args.epochs,
        "peak_rss_mb": peak_rss_mb(),
        "versions": versions,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
