"""Time series benchmark: the sensors through our embedded server beside SDV's PARSynthesizer.

What it measures (issue 16, acceptance "Benchmark"):

- the sensors (``../shared/data/sensors_*.csv``: ``vanilla`` 200 persons, ``timeseries1``
  sensor1 + sensor2 at 30 points, ``timeseries2`` sensor3 at 50) avatarized by
  ``avatars.Manager()``'s embedded server, declared as the tutorial declares them (each series
  table with its foreign key and time column, linked with ``time_series``; ``vanilla`` k = 5),
  with the default series settings and with the flatten projection; timed from ``run()`` to
  the results in hand on a warm server, two ways: the avatarization alone (``shuffled`` of
  every table), and with the privacy and signal metrics (a server that still refuses the
  metrics jobs of a series run is recorded as "refused"); the server's job durations and the
  peak RSS of its job workers (VmHWM, reset before each run);
- SDV's ``PARSynthesizer`` on the same data in the same run, in its own venv
  (``bench/.venv-sdv``, ``make bench-sdv-env``) through ``bench/par_worker.py``: one model per
  series table, the person's columns as context columns; fit and sample times and that
  process's peak RSS;
- quality, computed by this bench from the released tables only, the same code for every
  system (``bench.series_quality.release_statistics``): per sensor, pointwise Hellinger, lag-1
  autocorrelation, grid-point correlation difference, person-level link, mean–sd link and the
  persons' own associations, each beside the noise floor of two original halves; and the
  share of released series on the original time grid (t = 0…L−1);
- scale, ours only: a generated, seeded 100k persons × 50 points (:func:`series_pair`)
  avatarized through a fresh embedded server in a subprocess: time and its workers' peak RSS.

Our figures are medians of ``--repeat`` runs (seeds 0…repeat−1) after one warm-up run per
configuration; PAR's of ``--par-repeat`` runs. Verdicts against the issue's targets are computed
from the figures.

    .venv/bin/python -m bench.series [--repeat 5] [--par-repeat 1] [--par-epochs 128]
        [--quick] [--no-par] [--no-scale]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from avatar_yaml import JobKind, LinkMethod, ProjectionType
from bench import server_runs
from bench.common import embedded_home
from bench.engine import WorkerFailed, check, fmt, median_of, rows_label, say
from bench.series_quality import HALF, SERIES, STATISTICS, Fixtures, release_statistics
from bench.server_runs import Mode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "series.md"
QUICK_RESULTS = Path(__file__).parent / "results" / "series-quick.md"
SDV_PYTHON = Path(__file__).parent / ".venv-sdv" / "bin" / "python"
PAR_WORKER = Path(__file__).parent / "par_worker.py"
PAR_TIMEOUT_S = 3600
PERSONS_K = 5
SCALE_K = 20
SCALE_TARGET = (100_000, 50)
REFUSED = "not supported yet"  # the server's words when it refuses a job kind for series runs
TABLES = ("vanilla", *SERIES)
GB = 1e9  # the GB: 10^9 bytes

Json = dict[str, Any]
Released = dict[str, tuple[pd.DataFrame, pd.DataFrame]]


@dataclass(frozen=True)
class Settings:
    """Series settings set on every series table (none: the server's defaults)."""

    name: str
    parameters: tuple[tuple[str, Any], ...] = ()


MODES = (
    Mode("avatarization", (JobKind.STANDARD,)),
    Mode(
        "+ privacy and signal metrics",
        (JobKind.STANDARD, JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS),
    ),
)
SETTINGS = (
    Settings("default"),
    Settings("flatten", (("time_series_projection_type", ProjectionType.FLATTEN),)),
)


# --- our side --------------------------------------------------------------------------------


def sensors_runner(manager: Any, fixtures: Fixtures, settings: Settings, seed: int) -> Any:
    """The tutorial's declaration: the persons, then each series table with its foreign key
    and time column, linked with ``time_series``."""
    runner = manager.create_runner(f"bench_series_{settings.name}", seed=seed)
    runner.add_table("vanilla", fixtures.vanilla, primary_key="id", individual_level=True)
    for name, frame in fixtures.series.items():
        runner.add_table(
            name, frame, primary_key="primary_key", foreign_keys=["id"], time_series_time="t"
        )
        runner.add_link("vanilla", "id", name, "id", LinkMethod.TIME_SERIES)
        if settings.parameters:
            runner.set_parameters(name, **dict(settings.parameters))
    runner.set_parameters("vanilla", k=PERSONS_K)
    return runner


def wait_results(runner: Any, mode: Mode) -> dict[str, pd.DataFrame]:
    """Every result of ``mode``'s jobs, as a user reads them (each call waits for its job)."""
    released = {name: runner.shuffled(name) for name in TABLES}
    if JobKind.PRIVACY_METRICS in mode.jobs:
        for name in TABLES:
            runner.privacy_metrics(name)
            runner.signal_metrics(name)
    return released


def run_once(
    manager: Any, fixtures: Fixtures, settings: Settings, mode: Mode, seed: int
) -> tuple[Json, dict[str, pd.DataFrame]]:
    runner = sensors_runner(manager, fixtures, settings, seed)
    return server_runs.timed_run(
        manager,
        runner,
        mode.jobs,
        lambda: wait_results(runner, mode),
        on_failure=lambda: wait_idle(manager, runner),
    )


def wait_idle(manager: Any, runner: Any, timeout_s: float = 300.0) -> None:
    """Wait for the jobs a refused or failed run left behind (a refusal of its metrics jobs
    comes after its standard job was accepted), so that they do not overlap the next run."""
    deadline = time.monotonic() + timeout_s
    with contextlib.suppress(Exception):  # no set yet: nothing was submitted
        while time.monotonic() < deadline:
            jobs = manager.auth_client.jobs.get_jobs(set_name=runner.set_name).jobs
            if all(str(job.status) in ("done", "failed", "cancelled") for job in jobs):
                return
            time.sleep(0.1)


def ours_released(tables: dict[str, pd.DataFrame]) -> Released:
    return {name: (tables["vanilla"], tables[name]) for name in SERIES}


def score(fixtures: Fixtures, released: Released, seed: int) -> dict[str, Json]:
    """Per series variable, the floor and release statistics (see ``bench.series_quality``)."""
    return dict(release_statistics(fixtures, released, seed))


def median_scores(runs: Sequence[dict[str, Json]]) -> dict[str, Json]:
    return {variable: median_of([run[variable] for run in runs]) for variable in runs[0]}


@dataclass
class Ours:
    """Our figures per settings: timing per mode, quality of the avatarization runs."""

    timings: dict[str, dict[str, Json]] = field(default_factory=dict)  # settings -> mode -> median
    quality: dict[str, dict[str, Json]] = field(default_factory=dict)  # settings -> variable -> …
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (settings, mode) -> why

    def cell(self, settings: str, mode: str) -> str:
        return self.failures.get((settings, mode), "not run")


def measure_sensors(fixtures: Fixtures, repeat: int) -> Ours:
    """Every settings × mode on one warm embedded server: one warm-up run, then ``repeat``. A
    refused or failed configuration is recorded as such and the others still run."""
    from avatars import Manager

    ours = Ours()
    manager = Manager()
    by_name = {settings.name: settings for settings in SETTINGS}

    def run(name: str, mode: Mode, seed: int) -> tuple[Json, dict[str, pd.DataFrame]]:
        return run_once(manager, fixtures, by_name[name], mode, seed)

    def failure(error: Exception) -> tuple[str, str]:  # a refused job kind, a failed job
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return ("refused by the server" if REFUSED in str(error) else f"failed: {reason}"), reason

    def scored(name: str, runs: list[dict[str, pd.DataFrame]]) -> None:
        scores = [score(fixtures, ours_released(tables), seed) for seed, tables in enumerate(runs)]
        ours.quality[name] = median_scores(scores)

    server_runs.measure_modes(ours, list(by_name), MODES, run, repeat, failure, scored)
    return ours


# --- scale (ours only, its own process and server) -------------------------------------------


def series_pair(persons: int, points: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded person table (age, sex, region, income) and its series table: ``points``
    readings per person at t = 0…points−1 of two variables, each a person-level level (from
    age and income) plus a daily-like cycle of random phase and noise."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, persons)
    income = np.round(rng.lognormal(10, 0.5, persons), 2)
    person = pd.DataFrame(
        {
            "person_id": np.arange(persons),
            "age": age,
            "sex": rng.choice(["F", "M"], persons),
            "region": rng.choice(["north", "south", "east", "west", "centre"], persons),
            "income": income,
        }
    )
    owner = np.repeat(np.arange(persons), points)
    t = np.tile(np.arange(points), persons)
    phase = rng.uniform(0, 2 * np.pi, persons)[owner]
    level = (age[owner] - 50) / 20
    cycle = np.sin(2 * np.pi * t / 24 + phase)
    series = pd.DataFrame(
        {
            "reading_id": np.arange(persons * points),
            "person_id": owner,
            "t": t,
            "heart_rate": np.round(70 + 5 * level + 8 * cycle + rng.normal(0, 3, t.size), 2),
            "activity": np.round(
                np.log(income[owner]) - 10 + cycle * rng.uniform(0.5, 1.5, t.size), 3
            ),
        }
    )
    return person, series


def worker_scale(spec: Json) -> Json:
    """100k × 50 (or ``spec``'s sizes) on a fresh embedded server in this process (see
    ``bench.server_runs.scale_run``): the readings linked to their person with
    ``time_series``, as the sensors are."""
    person, series = series_pair(spec["persons"], spec["points"], seed=spec["seed"])
    figures, released = server_runs.scale_run(
        "bench_series_scale",
        ("readings", "reading_id", {"time_series_time": "t"}),
        LinkMethod.TIME_SERIES,
        {"person": SCALE_K},
        lambda s: series_pair(2_000, spec["points"], seed=s),
        (person, series),
        spec["seed"],
    )
    lengths = released["readings"].groupby("person_id").size()
    return {
        "persons": len(person),
        "points": spec["points"],
        "rows": len(series),
        "released_persons": len(released["person"]),
        "released_rows": len(released["readings"]),
        "released_length_median": float(lengths.median()),
        **figures,
    }


def measure_scale(persons: int, points: int, repeat: int) -> Json:
    spec = {"persons": persons, "points": points}
    return server_runs.scale_runs("bench.series", spec, f"{rows_label(persons)} × {points}", repeat)


WORKERS = {"scale": worker_scale}


# --- the peer --------------------------------------------------------------------------------


@dataclass
class Peer:
    timing: Json | None = None
    quality: dict[str, Json] | None = None
    error: str | None = None


def par_released(folder: Path, fixtures: Fixtures) -> Released:
    """PAR's output per series table: its rows, and its persons (each sequence's context)."""
    context = [str(c) for c in fixtures.vanilla.columns]
    released: Released = {}
    for name in SERIES:
        rows = pd.read_parquet(folder / f"{name}.parquet")
        persons = rows[context].drop_duplicates("id").reset_index(drop=True)
        released[name] = (persons, rows[["id", "t", *SERIES[name]]])
    return released


def measure_par(fixtures: Fixtures, repeat: int, epochs: int, folder: Path, splits: int) -> Peer:
    """PARSynthesizer fit + sample of every series table, ``repeat`` fresh processes; each
    output scored on ``splits`` seeded splits, the same splits (so the same floor) as ours."""
    if not SDV_PYTHON.exists():
        return Peer(error="SDV not available (run `make bench-sdv-env`)")
    source = folder / "sensors"
    source.mkdir(parents=True, exist_ok=True)
    fixtures.vanilla.to_parquet(source / "vanilla.parquet", index=False)
    for name, frame in fixtures.series.items():
        frame.to_parquet(source / f"{name}.parquet", index=False)
    timings, scores = [], []
    try:
        for seed in range(repeat):
            output = folder / f"par-{seed}"
            command = [str(SDV_PYTHON), str(PAR_WORKER), str(source), str(output)]
            command += [arg for name in SERIES for arg in ("--series", name)]
            command += ["--epochs", str(epochs), "--seed", str(seed)]
            say(f"  PAR seed={seed}, {epochs} epochs ...")
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PAR_TIMEOUT_S, check=False
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                raise WorkerFailed(f"exit {done.returncode}: {done.stderr[-2000:]}")
            timing = json.loads(lines[-1])
            timing["fit_total_s"] = sum(timing["fit_s"].values())
            timing["sample_total_s"] = sum(timing["sample_s"].values())
            timing["total_s"] = timing["fit_total_s"] + timing["sample_total_s"]
            say(f"  PAR seed={seed}: {timing['total_s']:.1f} s")
            timings.append(timing)
            released = par_released(output, fixtures)
            scores += [score(fixtures, released, split) for split in range(splits)]
    except (WorkerFailed, subprocess.TimeoutExpired, ValueError) as error:
        return Peer(error=f"failed ({str(error).splitlines()[0]})")
    timing = median_of(timings)
    timing["worst_s"] = max(t["total_s"] for t in timings)
    return Peer(timing=timing, quality=median_scores(scores))


# --- the results -----------------------------------------------------------------------------


STAT_LABELS = {
    "pointwise": "pointwise H",
    "lag1": "lag-1 H",
    "gridcorr": "grid corr Δ",
    "link": "person link Δ",
    "meansd": "mean–sd Δ",
    "persons": "persons Δ",
}


def par_row(t: Json) -> str:
    parts = " + ".join(
        f"{name} fit {fmt(t['fit_s'][name], 1)} / sample {fmt(t['sample_s'][name], 1)}"
        for name in SERIES
    )
    return (
        f"| SDV PARSynthesizer | {t['epochs']} epochs | fit + sample | {fmt(t['total_s'], 1)} "
        f"| {fmt(t.get('worst_s'), 1)} | {parts} | — | {fmt(t['peak_rss_mb'], 0)} |"
    )


def timing_section(ours: Ours, peer: Peer) -> list[str]:
    return server_runs.timing_section(
        "Time and memory on the sensors",
        server_runs.timing_intro(
            "", "", "PAR: fit + sample of both series tables in a fresh process, its own VmHWM."
        ),
        "settings",
        [settings.name for settings in SETTINGS],
        [mode.name for mode in MODES],
        ours,
        "SDV PARSynthesizer",
        peer,
        par_row,
    )


def releases(ours: Ours, peer: Peer) -> list[tuple[str, dict[str, Json] | None, str]]:
    rows: list[tuple[str, dict[str, Json] | None, str]] = [
        (f"avatars, {s.name}", ours.quality.get(s.name), ours.cell(s.name, MODES[0].name))
        for s in SETTINGS
    ]
    rows.append(("SDV PARSynthesizer", peer.quality, peer.error or "not run"))
    return rows


def quality_section(fixtures: Fixtures, ours: Ours, peer: Peer) -> list[str]:
    lines = [
        "## Quality on the sensors",
        "",
        "Computed by this bench from the released tables only, the same code for every system "
        "(`bench.series_quality.release_statistics`); a system's own metrics are not read. Each "
        f"statistic compares two samples of {HALF} persons: the *floor* two independent halves "
        f"of the original persons, a system {HALF} of its released persons drawn at random "
        "against one original half; released series are re-aligned on the originals' grid "
        "(30 or 50 points); every system is scored on the same seeded splits (seeds 0…repeat−1, "
        "PAR's output once per split), so the floor row holds for all. "
        "*pointwise H*: Hellinger distance of the values at each grid point "
        "(20 bins), averaged over the grid; *lag-1 H*: Hellinger distance of the series' lag-1 "
        "autocorrelations (10 bins on [−1, 1]); *grid corr Δ*: mean |difference| of the grid "
        "points' correlation matrices; *person link Δ*: mean |difference| of the correlations "
        "of the series' mean with the person's numeric columns (the originals' mean |r| in "
        "brackets: how much link there is to keep); *mean–sd Δ*: |difference| of the "
        "correlation of the series' mean with its standard deviation; *persons Δ*: mean "
        "|difference| of the associations between the person's own columns. Lower is better; "
        "at the floor is as close as another sample of the originals; below it is possible, "
        "since released persons derive from every original, the reference half included. "
        "*on grid*: share of the "
        "released series whose times are exactly the original grid t = 0…L−1. Medians over "
        "the runs (each seed its own split).",
        "",
    ]
    rows = releases(ours, peer)
    floor_source = next((scores for _, scores, _ in rows if scores), None)
    for name, variables in SERIES.items():
        length = len(fixtures.series[name]) // len(fixtures.vanilla)
        for variable in variables:
            header = " | ".join(STAT_LABELS[stat] for stat in STATISTICS)
            lines += [
                f"### {variable} (`{name}`, {length} points)",
                "",
                f"| release | {header} | on grid |",
                "|---|" + "---:|" * (len(STATISTICS) + 1),
            ]
            if floor_source is not None:
                floor = floor_source[variable]
                cells = [fmt(floor[f"floor_{stat}"], 3) for stat in STATISTICS]
                cells[STATISTICS.index("link")] += f" ({fmt(floor['strength'], 2)})"
                lines.append(f"| originals, two halves (floor) | {' | '.join(cells)} | 100 % |")
            for label, scores, missing in rows:
                if scores is None:
                    lines.append(f"| {label} | {missing} |" + " |" * len(STATISTICS))
                    continue
                entry = scores[variable]
                cells = [fmt(entry[f"release_{stat}"], 3) for stat in STATISTICS]
                lines.append(
                    f"| {label} | {' | '.join(cells)} | {fmt(100 * entry['on_grid'], 0)} % |"
                )
            lines.append("")
    return lines


def scale_section(scale: Json | None, error: str | None, persons: int, points: int) -> list[str]:
    intro = (
        f"`bench.series.series_pair` (seeded): {rows_label(persons)} persons (age, sex, region, "
        f"income) × {points} points (`readings`: heart_rate and activity, each a person-level "
        "level from age or income plus a cycle of random phase and noise), linked "
        f"person_id → readings.person_id with `time_series`, person k = {SCALE_K}, default "
        "series settings, avatarization only, on a fresh embedded server in its own process "
        "(both job workers warmed by a small run first). *run → shuffled*: `run()` to both "
        "tables' `shuffled` in hand (upload before `run()`, timed apart). *workers' peak*: the "
        "largest VmHWM among the job workers, reset before the run; *embedded process*: the "
        "bench process holding the client and the API server. PAR is not run at this size."
    )
    return server_runs.scale_table(
        intro,
        scale,
        error,
        ["released persons", "released rows", "median points per released series"],
        lambda scale: [
            str(scale["released_persons"]),
            str(scale["released_rows"]),
            fmt(scale["released_length_median"], 0),
        ],
    )


def targets_section(ours: Ours, scale: Json | None, target_size: bool) -> list[str]:
    rows: list[tuple[str, str, str]] = []
    for settings in SETTINGS:
        timing = ours.timings.get(settings.name, {}).get(MODES[1].name)
        value = timing["elapsed_s"] if timing else None
        shown = (
            f"{fmt(value, 3)} s" if value is not None else ours.cell(settings.name, MODES[1].name)
        )
        target = f"sensors avatars + metrics < 3 s (warm, {settings.name})"
        rows.append((target, shown, check(value, 3.0)))
    if scale is not None and not target_size:
        size = f"{rows_label(scale['persons'])} × {scale['points']}"
        rows.append(("100k × 50 avatarized < 60 s", f"run at {size}", "not measured"))
    else:
        scale_s = scale["elapsed_s"] if scale else None
        rows.append(("100k × 50 avatarized < 60 s", f"{fmt(scale_s, 1)} s", check(scale_s, 60.0)))
    return server_runs.targets_table(
        "From the issue; each verdict is computed from the figures above (`not measured` when a "
        "side did not run or the server refused it).",
        rows,
    )


def report(
    *,
    args: argparse.Namespace,
    fixtures: Fixtures,
    ours: Ours,
    peer: Peer,
    scale: Json | None,
    scale_error: str | None,
    load: tuple[float, float],
    elapsed: float,
) -> list[str]:
    return [
        *server_runs.report_head(
            "Time series benchmark",
            args.quick,
            [],
            "The sensors (`vanilla` 200 persons × 16 columns; `timeseries1` sensor1 + sensor2, 30 "
            "points each; `timeseries2` sensor3, 50 points), declared as the tutorial does, "
            f"`vanilla` k = {PERSONS_K}; *default*: the server's series settings (fpca), "
            "*flatten*: `time_series_projection_type=flatten` on both series tables. Ours: median "
            f"of {args.repeat} run(s) (seeds 0…{args.repeat - 1}) after one warm-up run per "
            f"configuration; PAR: {args.par_repeat} run(s) at {args.par_epochs} epochs "
            "(its default is 128), each series table its own model with the 15 person columns as "
            "context columns, as many sequences sampled as persons. "
            + server_runs.produced_by("bench.series", "bench-series", elapsed),
        ),
        *server_runs.context_lines(peer.timing, peer.error, load),
        *timing_section(ours, peer),
        *quality_section(fixtures, ours, peer),
        *scale_section(scale, scale_error, *args.scale_size),
        *targets_section(ours, scale, args.scale_size == SCALE_TARGET),
    ]


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    def par_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--par-repeat", type=int, default=1)
        parser.add_argument("--par-epochs", type=int, default=128, help="PAR's default: 128")

    args = server_runs.parse_arguments(
        __doc__.splitlines()[0] if __doc__ else None,
        scale="100k,50",
        scale_usage="PERSONS,POINTS",
        quick_scale="10k,50",
        skip_peer=("--no-par", "skip PARSynthesizer"),
        own=par_options,
        workers=WORKERS,
        results=RESULTS,
        quick_results=QUICK_RESULTS,
    )
    if args is None:
        return
    started = time.perf_counter()
    fixtures = Fixtures.load()
    with tempfile.TemporaryDirectory(prefix="bench-series-") as folder:
        load_start = os.getloadavg()[0]
        say("PARSynthesizer on the sensors")
        peer = (
            Peer(error="not run (--no-par)")
            if args.no_par
            else measure_par(fixtures, args.par_repeat, args.par_epochs, Path(folder), args.repeat)
        )
        with embedded_home("bench-series-"):
            say("ours on the sensors")
            ours = measure_sensors(fixtures, args.repeat)
    scale: Json | None = None
    scale_error = "--no-scale" if args.no_scale else None
    if scale_error is None:
        persons, points = args.scale_size
        scale, scale_error = server_runs.try_scale(
            lambda: measure_scale(persons, points, args.scale_repeat)
        )
    lines = report(
        args=args,
        fixtures=fixtures,
        ours=ours,
        peer=peer,
        scale=scale,
        scale_error=scale_error,
        load=(load_start, os.getloadavg()[0]),
        elapsed=time.perf_counter() - started,
    )
    server_runs.results_written(args.output, lines)
    problems = [
        f"{settings}, {mode}: {why}"
        for (settings, mode), why in ours.failures.items()
        if not why.startswith("refused")
    ]
    server_runs.exit_on_problems("bench.series", problems, scale_error)


if __name__ == "__main__":
    main()
