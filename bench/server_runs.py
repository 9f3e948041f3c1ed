"""What the benches that time whole runs on ``Manager()``'s embedded server share
(``bench.linked``, ``bench.series``): the server's record of a run's jobs, the job workers'
peak RSS, the warm-up + repeated timing of every configuration × mode, the scale run in its own
process, the command line, and the result tables and lines whose structure and wording they
have in common.

They measure the same thing the same way (``run()`` → every result in hand, the server's job
durations and span, the workers' VmHWM reset before the run), so that their figures compare; one
piece of code keeps them from drifting apart. What each bench declares, scores and says about
its own data stays in its file.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd

from avatar_yaml import JobKind, LinkMethod
from bench.common import (
    add_worker_arguments,
    embedded_home,
    job_workers,
    peak_rss_mb,
    reset_peak_rss,
    run_worker,
    write_results,
)
from bench.engine import WorkerFailed, fmt, machine_lines, median_of, parse_rows, say, spawn

Json = dict[str, Any]
Pair = tuple[pd.DataFrame, pd.DataFrame]
Released = TypeVar("Released")

WARM_UP_SEED = 1000  # the warm-up run's seed: apart from the measured seeds 0…repeat−1


@dataclass(frozen=True)
class Mode:
    """A set of jobs timed from ``run()`` to every one of its results in hand."""

    name: str
    jobs: tuple[JobKind, ...]


class OursRuns(Protocol):
    """Our side's median timings per configuration and mode, and why a cell has none."""

    timings: dict[str, dict[str, Json]]
    failures: dict[tuple[str, str], str]

    def cell(self, configuration: str, mode: str) -> str: ...


# --- the server's figures of one run ---------------------------------------------------------


def server_jobs(manager: Any, runner: Any) -> Json:
    """The server's record of the run's finished jobs: each kind's summed duration and the
    span from the first start to the last end. A failed or cancelled job is an error."""
    jobs = manager.auth_client.jobs.get_jobs(set_name=runner.set_name).jobs
    durations: Json = {}
    starts, ends = [], []
    for job in jobs:
        if str(job.status) in ("failed", "cancelled"):
            raise RuntimeError(f"job {job.kind} {job.status}: {job.error}")
        if str(job.status) != "done" or job.started_at is None or job.finished_at is None:
            continue
        key = f"job_{job.kind}_s"
        durations[key] = (
            durations.get(key, 0.0) + (job.finished_at - job.started_at).total_seconds()
        )
        starts.append(job.started_at)
        ends.append(job.finished_at)
    if starts:
        durations["server_span_s"] = (max(ends) - min(starts)).total_seconds()
    return durations


def workers_peak_mb() -> float | None:
    """The largest VmHWM among this process's embedded server's job workers (None: none)."""
    peaks = [peak_rss_mb(pid) for pid in job_workers()]
    return max(peaks) if peaks else None


def reset_workers_peak() -> bool:
    """Reset every job worker's VmHWM (see ``bench.common.reset_peak_rss``): the workers live
    from run to run, and each run's peak must be its own. False when one could not be reset."""
    done = [reset_peak_rss(pid) for pid in job_workers()]  # every worker, even after a refusal
    return all(done)


def timed_run(
    manager: Any,
    runner: Any,
    jobs: Sequence[JobKind],
    results: Callable[[], Released],
    on_failure: Callable[[], None] | None = None,
) -> tuple[Json, Released]:
    """One declared run timed from ``run()`` to ``results()`` in hand (it waits for every job
    as a user does), the workers' peaks reset before it; with the server's job figures.
    ``on_failure`` runs before a failure is raised again (e.g. to let left-over jobs end)."""
    reset = reset_workers_peak()
    start = time.perf_counter()
    try:
        runner.run(jobs_to_run=list(jobs))
        released = results()
    except Exception:
        if on_failure is not None:
            on_failure()
        raise
    elapsed = time.perf_counter() - start
    timing: Json = {"elapsed_s": elapsed, "worker_peak_mb": workers_peak_mb(), "reset": reset}
    timing.update(server_jobs(manager, runner))
    return timing, released


def repeated_runs(
    run: Callable[[int], tuple[Json, Released]], repeat: int
) -> tuple[Json, list[Released]]:
    """One warm-up run (not counted: the first run of a configuration pays its imports and
    caches), then ``repeat`` runs at seeds 0…repeat−1: the median timing, with the worst
    ``elapsed_s`` as ``worst_s``, and each run's released tables in seed order."""
    run(WARM_UP_SEED)
    runs = [run(seed) for seed in range(repeat)]
    timing = median_of([timing for timing, _ in runs])
    timing["worst_s"] = max(run["elapsed_s"] for run, _ in runs)
    return timing, [released for _, released in runs]


def measure_modes(
    ours: OursRuns,
    configurations: Sequence[str],
    modes: Sequence[Mode],
    run: Callable[[str, Mode, int], tuple[Json, Released]],
    repeat: int,
    failure: Callable[[Exception], tuple[str, str]],
    first_mode: Callable[[str, list[Released]], None],
) -> None:
    """Every configuration × mode on one warm embedded server, ``run(configuration, mode,
    seed)`` timed by :func:`repeated_runs` into ``ours.timings``. A configuration that fails
    (a job kind the server refuses, a failed job) does not stop the others: ``failure(error)``
    gives its cell in ``ours.failures`` and the detail of the progress line. ``first_mode``
    gets the released tables of ``modes[0]``'s runs (the avatarization alone) to score."""
    for configuration in configurations:
        ours.timings[configuration] = {}
        for mode in modes:
            say(f"  ours {configuration}, {mode.name}")
            try:
                timing, runs = repeated_runs(functools.partial(run, configuration, mode), repeat)
            except Exception as error:
                cell, detail = failure(error)
                ours.failures[(configuration, mode.name)] = cell
                say(f"  {configuration}, {mode.name}: {type(error).__name__}: {detail}")
                continue
            ours.timings[configuration][mode.name] = timing
            if mode is modes[0]:
                first_mode(configuration, runs)


# --- scale: a fresh server in a subprocess ---------------------------------------------------


def scale_run(
    name: str,
    child: tuple[str, str, Mapping[str, Any]],
    method: LinkMethod,
    k: Mapping[str, int],
    warm_up: Callable[[int], Pair],
    pair: Pair,
    seed: int,
) -> tuple[Json, dict[str, pd.DataFrame]]:
    """A ``person`` table and its ``child`` table (name, primary key, options of its
    ``add_table``), linked person_id → child.person_id with ``method``, ``k`` per table,
    avatarized on a fresh embedded server in this process (a ``--worker scale`` subprocess, so
    that nothing of the bench's other runs is in its memory). Two small runs of
    ``warm_up(seed)`` are queued together first, so that each job worker claims one and pays
    its imports; then ``pair`` is uploaded (timed apart) and timed from ``run()`` to both
    tables' ``shuffled`` in hand, the workers' and this process's peaks reset before it.
    Returns the figures and the released tables."""
    from avatars import Manager

    child_name, child_key, child_options = child

    def declared(manager: Any, person: pd.DataFrame, children: pd.DataFrame, seed: int) -> Any:
        runner: Any = manager.create_runner(name, seed=seed)
        runner.add_table("person", person, primary_key="person_id", individual_level=True)
        runner.add_table(
            child_name,
            children,
            primary_key=child_key,
            foreign_keys=["person_id"],
            **child_options,
        )
        runner.add_link("person", "person_id", child_name, "person_id", method)
        for table, table_k in k.items():
            runner.set_parameters(table, k=table_k)
        return runner

    with embedded_home(f"{name.replace('_', '-')}-"):
        manager = Manager()
        warm = [declared(manager, *warm_up(s), s) for s in (1, 2)]
        for runner in warm:
            runner.run(jobs_to_run=[JobKind.STANDARD])
        for runner in warm:
            runner.shuffled(child_name)
        start = time.perf_counter()
        runner = declared(manager, *pair, seed)
        upload_s = time.perf_counter() - start
        reset = reset_workers_peak() and reset_peak_rss(os.getpid())
        start = time.perf_counter()
        runner.run(jobs_to_run=[JobKind.STANDARD])
        released = {table: runner.shuffled(table) for table in ("person", child_name)}
        elapsed = time.perf_counter() - start
        figures: Json = {
            "upload_s": upload_s,
            "elapsed_s": elapsed,
            "worker_peak_mb": workers_peak_mb(),
            "embedded_peak_mb": peak_rss_mb(),
            "reset": reset,
            **server_jobs(manager, runner),
        }
        return figures, released


def scale_runs(module: str, spec: Json, size: str, repeat: int) -> Json:
    """The median of ``repeat`` processes ``python -m module --worker scale SPEC``, ``spec`` at
    seeds 0…repeat−1 (``size`` names the sizes in the progress lines)."""
    runs = []
    for seed in range(repeat):
        command = [
            sys.executable,
            "-m",
            module,
            "--worker",
            "scale",
            json.dumps({**spec, "seed": seed}),
        ]
        runs.append(spawn(command, f"scale {size} seed={seed}"))
    return median_of(runs)


def try_scale(measure: Callable[[], Json]) -> tuple[Json | None, str | None]:
    """The scale figures, or None and why: a failed worker must not lose the other results."""
    say("ours at scale")
    try:
        return measure(), None
    except WorkerFailed as error:
        say(str(error))
        return None, f"failed ({str(error).splitlines()[0]})"


# --- the command line ------------------------------------------------------------------------


def parse_arguments(
    description: str | None,
    *,
    scale: str,
    scale_usage: str,
    quick_scale: str,
    skip_peer: tuple[str, str],
    own: Callable[[argparse.ArgumentParser], None],
    workers: Mapping[str, Callable[[Any], Any]],
    results: Path,
    quick_results: Path,
) -> argparse.Namespace | None:
    """The command line both benches take: ``--repeat``, ``--scale`` (``scale_usage`` names
    its two sizes, e.g. ``PERSONS,POINTS``; parsed into ``args.scale_size``), ``--scale-repeat``,
    ``--quick`` (1 repeat, ``quick_scale``), ``skip_peer`` (the option skipping the SDV peer and
    its help), ``--no-scale``, ``--output`` (default ``results``, or ``quick_results`` under
    ``--quick``) and the hidden ``--worker``; ``own`` adds the bench's own options. None when
    this process was a ``--worker`` and has already done its work."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeat", type=int, default=5)
    own(parser)
    parser.add_argument("--scale", default=scale, help=f"{scale_usage.lower()} of the scale run")
    parser.add_argument("--scale-repeat", type=int, default=1)
    quick_sizes = quick_scale.replace(",", " × ")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: 1 repeat, {quick_sizes}")
    parser.add_argument(skip_peer[0], action="store_true", help=skip_peer[1])
    parser.add_argument("--no-scale", action="store_true", help="skip the scale run")
    add_worker_arguments(parser)
    args = parser.parse_args()
    if run_worker(args, workers):
        return None
    if args.quick:
        args.repeat, args.scale = 1, quick_scale
    sizes = tuple(parse_rows(s) for s in args.scale.split(","))
    if len(sizes) != 2:
        parser.error(f"--scale {args.scale!r}: expected {scale_usage}, e.g. {scale}")
    args.scale_size = sizes
    args.output = args.output or (quick_results if args.quick else results)
    return args


def exit_on_problems(bench: str, problems: list[str], scale_error: str | None) -> None:
    """Exit non-zero naming what failed (our runs', and the scale run's ``scale_error``), once
    the results, with the figures of what did run, are written."""
    if scale_error and scale_error.startswith("failed"):
        problems.append(f"scale run {scale_error}")
    if problems:
        sys.exit(f"{bench}: {'; '.join(problems)}; the results hold the other figures")


# --- the results -----------------------------------------------------------------------------


def report_head(title: str, quick: bool, notices: Sequence[str], description: str) -> list[str]:
    """The title, the smoke-run notice under ``--quick``, any ``notices``, the description."""
    smoke = "**Smoke run (`--quick`): sizes and repeats too small to judge the targets.**"
    return [
        f"# {title}",
        "",
        *([smoke, ""] if quick else []),
        *[line for notice in notices for line in (notice, "")],
        description,
        "",
    ]


def context_lines(
    peer_timing: Json | None, peer_error: str | None, load: tuple[float, float]
) -> list[str]:
    """The machine, the SDV venv's versions (or why SDV did not run) and the load average."""
    versions = (peer_timing or {}).get("versions")
    sdv_line = (
        "- SDV venv: " + ", ".join(f"{name} {v}" for name, v in versions.items())
        if versions
        else f"- SDV: {peer_error or 'not run'}"
    )
    return [
        *machine_lines(),
        sdv_line,
        f"- Load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f}: figures are only "
        "comparable on an otherwise quiet machine.",
        "",
    ]


def produced_by(module: str, target: str, elapsed: float) -> str:
    """The sentence naming the command line that wrote the results, and how long it took."""
    return (
        f"Produced by `{' '.join([f'python -m {module}', *sys.argv[1:]])}` (`make {target}`) in "
        f"{elapsed / 60:.1f} min."
    )


class PeerTiming(Protocol):
    """The SDV peer's figures, or why it did not run."""

    timing: Json | None
    error: str | None


def timing_intro(more_results: str, peak_note: str, peer_note: str) -> str:
    """What the time and memory table's columns measure, the same for every bench that times
    runs here; ``more_results`` names results waited for beyond the tables and metrics,
    ``peak_note`` qualifies the peak, ``peer_note`` says how the peer was timed."""
    return (
        "*run → results*: wall-clock from `runner.run(jobs_to_run=…)` to every result of those "
        "jobs in hand (`shuffled` of the three tables; then `privacy_metrics` and "
        f"`signal_metrics` of each{more_results}), on a warm embedded server. *server span*: "
        "first job start to last job end as the server recorded them. *peak RSS*: the largest "
        "VmHWM among the server's job worker processes, reset before the run"
        f"{peak_note}. {peer_note}"
    )


def timing_section(
    heading: str,
    intro: str,
    column: str,
    configurations: Sequence[str],
    modes: Sequence[str],
    ours: OursRuns,
    peer_name: str,
    peer: PeerTiming,
    peer_row: Callable[[Json], str],
) -> list[str]:
    """The time and memory table: ``intro`` on what is timed (see :func:`timing_intro`), our
    row per configuration × mode (its ``column`` names the configuration; ``ours.cell`` where a
    run has no figures), then the peer's ``peer_row(peer.timing)``, or why it did not run."""
    lines = [
        f"## {heading}",
        "",
        intro,
        "",
        f"| system | {column} | jobs | run → results s (median) | worst s | standard job s "
        "| server span s | peak RSS MiB |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for configuration in configurations:
        for mode in modes:
            timing = ours.timings.get(configuration, {}).get(mode)
            if timing is None:
                why = ours.cell(configuration, mode)
                lines.append(f"| avatars | {configuration} | {mode} | {why} | | | | |")
                continue
            lines.append(
                f"| avatars | {configuration} | {mode} | {fmt(timing['elapsed_s'], 3)} "
                f"| {fmt(timing.get('worst_s'), 3)} | {fmt(timing.get('job_standard_s'), 3)} "
                f"| {fmt(timing.get('server_span_s'), 3)} | {fmt(timing['worker_peak_mb'], 0)} |"
            )
    if peer.timing is None:
        lines.append(f"| {peer_name} | — | fit + sample | {peer.error} | | | | |")
    else:
        lines.append(peer_row(peer.timing))
    return [*lines, ""]


def scale_table(
    intro: str,
    scale: Json | None,
    error: str | None,
    heads: Sequence[str],
    cells: Callable[[Json], Sequence[str]],
) -> list[str]:
    """The scale section: ``intro``, then "Not run" and why, or the table of the figures every
    scale run has (upload, run → shuffled, standard job, both peaks) and the bench's own
    ``heads`` with their ``cells(scale)``."""
    lines = ["## Scale (ours only)", "", intro, ""]
    if scale is None:
        return [*lines, f"Not run: {error}.", ""]
    all_heads = [
        "upload s",
        "run → shuffled s",
        "standard job s",
        "workers' peak RSS MiB",
        "embedded process peak RSS MiB",
        *heads,
    ]
    all_cells = [
        fmt(scale["upload_s"], 1),
        fmt(scale["elapsed_s"], 1),
        fmt(scale.get("job_standard_s"), 1),
        fmt(scale["worker_peak_mb"], 0),
        fmt(scale["embedded_peak_mb"], 0),
        *cells(scale),
    ]
    return [
        *lines,
        f"| {' | '.join(all_heads)} |",
        "|" + "---:|" * len(all_heads),
        f"| {' | '.join(all_cells)} |",
        "",
    ]


def targets_table(note: str, rows: Sequence[tuple[str, str, str]]) -> list[str]:
    """The targets section: ``note`` on how the verdicts are reached, then a row per target."""
    return [
        "## Targets",
        "",
        note,
        "",
        "| target | measured | verdict |",
        "|---|---:|---|",
        *[f"| {target} | {shown} | {verdict} |" for target, shown, verdict in rows],
        "",
    ]


def results_written(output: Path, lines: list[str]) -> None:
    """Write the results file (and print it), then say where."""
    write_results(output, lines)
    say(f"written to {output}")
