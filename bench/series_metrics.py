"""The sensors run with its metrics on a warm embedded server: how long a user waits.

``Manager()``'s embedded server, as the documentation's users get it; the tutorial's sensors
(200 persons, sensor1: 30 points of two variables with flatten, sensor2: 50 points of one with
fpca on 40 points). One warm-up run (imports, worker start), then ``--repeat`` runs of the
avatarization and both metrics jobs, each timed from ``run()`` until every job is done; the
median and the worst are printed (target: under 3 s), with each job's own time from the
server's records. Writes ``bench/results/series-metrics.md``.

    .venv/bin/python -m bench.series_metrics [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import pandas as pd

from avatar_yaml import JobKind, LinkMethod
from bench.common import embedded_home, machine, write_results

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).parent / "results" / "series-metrics.md"
JOBS = [JobKind.STANDARD, JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS]


def sensors(manager: Any, tables: dict[str, pd.DataFrame], seed: int) -> Any:
    runner = manager.create_runner("bench_series_metrics", seed=seed)
    runner.show_progress = False
    runner.add_table("vanilla", tables["vanilla"], primary_key="id", individual_level=True)
    for name in ("sensor1", "sensor2"):
        runner.add_table(
            name, tables[name], primary_key="primary_key", foreign_keys=["id"], time_series_time="t"
        )
        runner.add_link("vanilla", "id", name, "id", LinkMethod.TIME_SERIES)
    runner.set_parameters("vanilla", k=5)
    runner.set_parameters("sensor1", time_series_projection_type="flatten")
    runner.set_parameters(
        "sensor2",
        time_series_projection_type="fpca",
        time_series_nf=5,
        time_series_nb_points=40,
        time_series_method="specified",
    )
    return runner


def run_once(manager: Any, tables: dict[str, pd.DataFrame], seed: int) -> dict[str, float]:
    """Wall time from run() to the last metrics result read, and each job's own duration."""
    runner = sensors(manager, tables, seed)
    start = time.perf_counter()
    runner.run(jobs_to_run=JOBS)
    runner.privacy_metrics("sensor2")
    runner.signal_metrics("sensor2")
    timing = {"elapsed_s": time.perf_counter() - start}
    for kind in JOBS:
        job = runner.get_job(kind)
        if job.started_at and job.finished_at:
            timing[f"{kind}_s"] = (job.finished_at - job.started_at).total_seconds()
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tables = {
        "vanilla": pd.read_csv(DATA / "sensors_vanilla.csv"),
        "sensor1": pd.read_csv(DATA / "sensors_timeseries1.csv"),
        "sensor2": pd.read_csv(DATA / "sensors_timeseries2.csv"),
    }
    with embedded_home("bench-series-metrics-") as load:
        from avatars import Manager

        manager = Manager()
        run_once(manager, tables, 1000)
        runs = [run_once(manager, tables, seed) for seed in range(args.repeat)]
    keys = list(runs[0])
    median = {key: statistics.median(run[key] for run in runs if key in run) for key in keys}
    worst = max(run["elapsed_s"] for run in runs)
    lines = [
        "# Sensors run with its metrics, warm embedded server",
        "",
        machine(load),
        "",
        f"{args.repeat} runs after one warm-up (`python -m bench.series_metrics`): avatarization, "
        "privacy and signal metrics of the tutorial's sensors, from `run()` to the last "
        "metrics result read.",
        "",
        "| figure | median (s) |",
        "|---|---|",
        *(f"| {key.removesuffix('_s')} | {value:.2f} |" for key, value in median.items()),
        "",
        f"Worst run: {worst:.2f} s; target: under 3 s.",
        "",
    ]
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
