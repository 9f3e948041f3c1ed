"""Small-run latency of the whole workflow on the embedded server, beside the bare engine call.

From ``runner.run()`` to ``runner.shuffled(table)`` returning (upload and advice excluded,
they happen before ``run()``), on a warm embedded server (its workers already ran one job), for
wbcd and iris. Beside it, the floor: ``avatarize`` of the same table called in-process, and the
job's own duration as the server recorded it (``finished_at - started_at``), so the overhead of
the API, the queue and the transfers shows.

    .venv/bin/python -m bench.workflow [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from bench.common import embedded_home, machine, write_results

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "workflow.md"
SHARED_DATA = Path(os.environ.get("AVATAR_SHARED_DATA", ROOT.parent / "shared" / "data"))
TABLES = {"wbcd": 15, "iris": 10}


def measure(repeat: int) -> list[str]:
    from avatar_server.engine import avatarize
    from avatars import Manager

    manager = Manager()
    rows = []
    for table, k in TABLES.items():
        path = SHARED_DATA / f"{table}.csv"
        frame = pd.read_csv(path)
        workflow, job_s, engine = [], [], []
        for attempt in range(repeat + 1):
            runner = manager.create_runner(f"bench_{table}", seed=attempt)
            runner.show_progress = False
            runner.add_table(table, str(path))
            runner.set_parameters(table, k=k)
            start = time.perf_counter()
            runner.run(jobs_to_run=["standard"])
            avatars = runner.shuffled(table)
            elapsed = time.perf_counter() - start
            assert len(avatars) == len(frame)
            jobs = manager.auth_client.jobs.get_jobs(set_name=runner.set_name).jobs
            standard = next(j for j in jobs if j.kind == "standard")
            assert standard.started_at is not None and standard.finished_at is not None
            started = time.perf_counter()
            avatarize(frame, k=k, seed=attempt)
            engine_s = time.perf_counter() - started
            if attempt == 0:
                continue  # the first run warms the worker (imports, caches)
            workflow.append(elapsed)
            job_s.append((standard.finished_at - standard.started_at).total_seconds())
            engine.append(engine_s)
        rows.append(
            f"| {table} ({len(frame)} × {frame.shape[1]}) | {statistics.median(workflow):.3f} "
            f"| {max(workflow):.3f} | {statistics.median(job_s):.3f} "
            f"| {statistics.median(engine):.3f} "
            f"| {statistics.median(workflow) - statistics.median(job_s):.3f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with embedded_home("bench-workflow-") as load:
        rows = measure(args.repeat)
    lines = [
        "# Workflow latency (embedded server)",
        "",
        f"Median of {args.repeat} runs after one warm-up run, produced by "
        f"`python -m bench.workflow {' '.join(sys.argv[1:])}` (`make bench-workflow`).",
        machine(load),
        "",
        "*run → shuffled* is the wall-clock time from `runner.run(jobs_to_run=['standard'])` to "
        "`runner.shuffled(table)` returning the avatars (resource upload, job creation, a worker "
        "claiming it, the job, result download and parsing). *job* is the job's own duration "
        "as the server recorded it; *engine* is `avatarize` called in-process on the same "
        "table (the floor); *overhead* = run → shuffled − job.",
        "",
        "| table | run → shuffled s (median) | worst s | job s | engine s | overhead s |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Target (issue 4): wbcd under 2 s from `run()` to `shuffled()` on a warm embedded server.",
        "",
    ]
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
