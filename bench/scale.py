"""Scale benchmark (issue 17, "Targets"): one avatarization of a growing table on the local
executor and on the team stack (PostgreSQL + SeaweedFS S3 + a Dask cluster), side by side.

Everything is measured from the outside, as a user meets it, whatever the engine does inside:

- a generated table of N rows × 20 columns (14 numeric of different distributions, correlated
  through 4 latent factors; 6 categorical of 3 to 30 modalities; a few missing values), seeded,
  written as Parquet chunk by chunk (the bench never holds more than one chunk), uploaded
  through ``avatars.ApiClient`` to real server processes (``tests.server.ServerProcess``);
- per run, one ``standard`` job (k = 20): the server's job seconds (``finished_at −
  started_at``), the wall clock from submitting the job to seeing it done, the peak RSS of each
  worker process (VmHWM, reset before the run), and the checksum of the released avatars;
- **local**: SQLite + a local folder, ``AVATAR_WORKERS=2`` job worker processes;
  **Dask**: PostgreSQL + SeaweedFS + a scheduler and 2 workers (``--nthreads 1``, each with
  ``--memory-limit``, 3 GiB by default), all started by ``tests/stack``;
- sizes 100k, 300k and 1M on both (median of 3 runs, seeds 0, 1, 2, local and Dask runs
  alternating), then 2M, 5M and 10M on Dask only (1 run each) until a size does not fit: a
  worker that passes 95 % of its memory limit is restarted by its nanny, which the bench sees
  and reports, then stops the Dask series (a larger table would not fit either). A guard thread
  kills the largest worker if the processes of the bench pass 16 GiB in total or the machine
  runs low on memory, so no run can take the machine down;
- the same seed on both executors at 1M: the released avatars' checksums compared, and when
  they differ, the privacy and signal metrics of both (and of a second local seed, the noise);
- the cost exponent from 1M to the largest size that ran, the overhead of Dask at 1M, and the
  targets with verdicts computed from these figures.

The results file is rewritten after every size, so an interrupted run keeps what it measured.

    .venv/bin/python -m bench.scale [--sizes 100k,300k,1M] [--dask-sizes 2M,5M,10M] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.special import ndtr
from scipy.stats import norm

from avatar_yaml import AvatarizationParameters, Config
from avatars import ApiClient
from bench.common import peak_rss_mb, reset_peak_rss, write_results
from bench.engine import check, fmt, machine_lines, parse_rows, rows_label, say
from tests.server import ServerProcess, processes_of_home
from tests.stack.dask_cluster import DaskCluster, dask_cluster
from tests.stack.postgres import fresh_database, postgres
from tests.stack.seaweedfs import S3Server, seaweedfs

Json = dict[str, Any]

RESULTS = Path(__file__).parent / "results" / "scale.md"
QUICK_RESULTS = Path(__file__).parent / "results" / "scale-quick.md"
PASSWORD = "bench-scale-password"
TABLE = "scale"
K = 20
SEED = 0  # the table's seed; the avatarization seeds are the runs' 0, 1, 2
CHUNK_ROWS = 250_000
WARM_UP_ROWS = 20_000
COMPARED_ROWS = 1_000_000  # where the executors are compared (same seed, overhead)
MEMORY_LIMIT = "3GiB"
TARGET_WORKER_GB = 3.0  # the "memory per worker ≤ 3 GB" (10^9 bytes)
TARGET_EXPONENT = 1.1
TARGET_OVERHEAD = 0.15
BUDGET_BYTES = 16 * 1024**3  # the bench's processes together, never more
MIN_AVAILABLE_BYTES = 2 * 1024**3  # the machine's MemAvailable, never less
POLL_S = 1.0


# --- the table ---------------------------------------------------------------------------------

NUMERIC = (
    "age",
    "income",
    "height_cm",
    "weight_kg",
    "bmi",
    "score",
    "visits",
    "wait_days",
    "systolic",
    "cholesterol",
    "glucose",
    "ratio",
    "noise_t3",
    "balance",
)
MODALITIES = (3, 5, 8, 12, 20, 30)
LATENT = len(NUMERIC) + len(MODALITIES)
FACTORS = 4
MISSING = {"cholesterol": 0.02, "glucose": 0.005, "cat_30": 0.01}
TABLE_DESCRIPTION = (
    "14 numeric columns (integer ages clipped to 18–99, log-normal income, normal height and "
    "weight, BMI computed from them, a uniform score, Poisson visit counts, exponential waits, "
    "a bimodal blood pressure, normal cholesterol, log-normal glucose, a skewed ratio in "
    "[0, 1], an independent Student t(3) column, a sinh-shaped balance with heavy tails), "
    "correlated through 4 latent factors; 6 categorical columns `cat_3` … `cat_30` of 3, 5, 8, "
    "12, 20 and 30 modalities of unequal frequencies, cut from the same latent structure; "
    "missing values: cholesterol 2 %, glucose 0.5 %, cat_30 1 %"
)


@dataclass(frozen=True)
class TableShape:
    """What every chunk of a table shares, drawn once from its seed: the factor loadings and
    noise of the 20 latent columns and the categories' cut points (unequal frequencies)."""

    loadings: np.ndarray[Any, np.dtype[np.float64]]
    noise: np.ndarray[Any, np.dtype[np.float64]]
    cuts: tuple[np.ndarray[Any, np.dtype[np.float64]], ...]


def table_shape(seed: int) -> TableShape:
    rng = np.random.default_rng([seed, 0])
    loadings = rng.uniform(-0.9, 0.9, size=(LATENT, FACTORS))
    noise = rng.uniform(0.3, 1.0, size=LATENT)
    cuts = tuple(
        norm.ppf(np.cumsum(rng.dirichlet(np.full(count, 2.0)))[:-1]) for count in MODALITIES
    )
    return TableShape(loadings, noise, cuts)


def table_chunk(shape: TableShape, seed: int, index: int, rows: int) -> pa.Table:
    """Chunk ``index`` of the table: drawn from its own stream (``[seed, 1, index]``), so a
    smaller table is the first rows of a larger one and no chunk depends on another."""
    rng = np.random.default_rng([seed, 1, index])
    scale = np.sqrt((shape.loadings**2).sum(axis=1) + shape.noise**2)
    factors = rng.standard_normal((rows, FACTORS))
    z = (factors @ shape.loadings.T + rng.standard_normal((rows, LATENT)) * shape.noise) / scale
    height = np.round(169 + 9 * z[:, 2], 1)
    weight = np.round(np.clip(72 + 14 * z[:, 3], 35, None), 1)
    numeric: dict[str, np.ndarray[Any, Any]] = {
        "age": np.clip(np.round(48 + 17 * z[:, 0]), 18, 99).astype(np.int64),
        "income": np.round(np.exp(10.2 + 0.55 * z[:, 1]), 2),
        "height_cm": height,
        "weight_kg": weight,
        "bmi": np.round(weight / (height / 100) ** 2, 2),
        "score": np.round(100 * ndtr(z[:, 5]), 2),
        "visits": rng.poisson(np.exp(0.8 + 0.5 * z[:, 6])).astype(np.int64),
        "wait_days": np.round(-12 * np.log1p(-ndtr(z[:, 7]) * 0.999999), 1),
        "systolic": np.round(
            np.where(z[:, 8] > 0.4, 142 + 9 * rng.standard_normal(rows), 118 + 8 * z[:, 8])
        ),
        "cholesterol": np.round(5.2 + z[:, 9], 2),
        "glucose": np.round(np.exp(1.6 + 0.25 * z[:, 10]), 2),
        "ratio": np.round(ndtr(z[:, 11]) ** 2, 4),
        "noise_t3": np.round(rng.standard_t(3, rows), 3),
        "balance": np.round(1000 * np.sinh(z[:, 13]), 2),
    }
    columns: dict[str, pa.Array] = {}
    for name, values in numeric.items():
        rate = MISSING.get(name)
        columns[name] = pa.array(values, mask=rng.random(rows) < rate if rate else None)
    for offset, (count, cuts) in enumerate(zip(MODALITIES, shape.cuts, strict=True)):
        name = f"cat_{count}"
        labels = pa.array([f"c{count}_{i:02d}" for i in range(count)])
        codes = np.searchsorted(cuts, z[:, len(NUMERIC) + offset]).astype(np.int32)
        rate = MISSING.get(name)
        indices = pa.array(codes, mask=rng.random(rows) < rate if rate else None)
        columns[name] = pa.DictionaryArray.from_arrays(indices, labels).cast(pa.string())
    return pa.table(columns)


def write_table(path: Path, rows: int, seed: int = SEED) -> float:
    """The table of ``rows`` rows as a Parquet file, one row group per chunk; its size in MB."""
    shape = table_shape(seed)
    writer: pq.ParquetWriter | None = None
    try:
        for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
            chunk = table_chunk(shape, seed, index, min(CHUNK_ROWS, rows - start))
            if writer is None:
                writer = pq.ParquetWriter(path, chunk.schema)
            writer.write_table(chunk)
    finally:
        if writer is not None:
            writer.close()
    return path.stat().st_size / 1e6


# --- worker processes and their memory ---------------------------------------------------------


def _status_kib(pid: int, field_name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name: index 0 is field 3 (state) of proc(5)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (fields 14 and 15)."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def niceness(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[16])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def dask_worker_processes(cluster: DaskCluster) -> dict[str, int]:
    """Each ``dask worker`` command's worker process (the nanny's ``spawn_main`` child, which
    runs the tasks; the nanny and its resource tracker hold no data), by worker name."""
    found = {}
    for number, nanny in enumerate(cluster.workers):
        for pid in children(nanny.pid):
            with contextlib.suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes() and alive(pid):
                    found[f"w{number}"] = pid
    return found


def local_worker_processes(home: Path) -> dict[str, int]:
    """The local server's job worker processes, by rank of process id."""
    pids = sorted(processes_of_home(home, "avatar_server.processes.job_worker"))
    return {f"w{number}": pid for number, pid in enumerate(pids)}


@dataclass
class GuardEvent:
    pid: int
    label: str
    reason: str


class MemoryGuard:
    """Samples the RSS of the watched processes every 0.2 s: the largest seen per process (the
    only figure left of a worker that was killed), and a last line of defence for the machine.
    When the watched processes together pass ``BUDGET_BYTES`` or the machine's MemAvailable
    falls under ``MIN_AVAILABLE_BYTES``, it SIGKILLs the largest worker (a Dask nanny starts a
    new one) and records why: a nanny that reacts too late must not take the machine down."""

    def __init__(self, watched: Callable[[], dict[int, str]], workers: Callable[[], set[int]]):
        self.watched = watched
        self.workers = workers
        self.seen_kib: dict[int, int] = {}
        self.events: list[GuardEvent] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="memory-guard", daemon=True)

    def __enter__(self) -> MemoryGuard:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        with self._lock:
            self.seen_kib.clear()
            self.events.clear()

    def seen_mb(self, pid: int) -> float | None:
        with self._lock:
            kib = self.seen_kib.get(pid)
        return None if kib is None else kib / 1024

    def _loop(self) -> None:
        labels: dict[int, str] = {}
        turn = 0
        while not self._stop.wait(0.2):
            try:
                # Listing the processes scans /proc (~15 ms): every 2 s, or when one is gone.
                if turn % 10 == 0 or not all(alive(pid) for pid in labels):
                    labels = self.watched()
                turn += 1
                self._turn(labels)
            except Exception as error:  # a guard that dies silently protects nothing
                say(f"memory guard: {type(error).__name__}: {error}")

    def _turn(self, labels: dict[int, str]) -> None:
        rss = {pid: kib for pid in labels if (kib := _status_kib(pid, "VmRSS")) is not None}
        with self._lock:
            for pid, kib in rss.items():
                self.seen_kib[pid] = max(kib, self.seen_kib.get(pid, 0))
        total = sum(rss.values()) * 1024
        available = (_meminfo_kib("MemAvailable") or 0) * 1024
        if total <= BUDGET_BYTES and available >= MIN_AVAILABLE_BYTES:
            return
        candidates = [pid for pid in rss if pid in self.workers()]
        if not candidates:
            return
        largest = max(candidates, key=lambda pid: rss[pid])
        reason = (
            f"killed by the bench's memory guard at {rss[largest] / 1024**2:.2f} GiB RSS "
            f"(watched processes {total / 1024**3:.1f} GiB in total, machine MemAvailable "
            f"{available / 1024**3:.1f} GiB)"
        )
        with contextlib.suppress(ProcessLookupError):
            os.kill(largest, signal.SIGKILL)
        with self._lock:
            self.events.append(GuardEvent(largest, labels[largest], reason))
        say(f"  memory guard: {labels[largest]} {reason}")


def _meminfo_kib(field_name: str) -> int | None:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    return None


# --- a server and one run ----------------------------------------------------------------------


class RunStopped(RuntimeError):
    """A run without figures; ``verdict`` says how, the message why."""

    verdict = "failed"


class DidNotFit(RunStopped):
    """A worker died under the run: its nanny's memory limit, or the bench's memory guard."""

    verdict = "did not fit"


class TooSlow(RunStopped):
    """The run outran :func:`timeout_for`."""

    verdict = "did not finish in time"


class RunFailed(RunStopped):
    """The job ended failed or cancelled for another reason."""


@dataclass
class Executor:
    """One server with its workers: how to list them and how to clean up after a failed run."""

    name: str
    server: ServerProcess
    client: ApiClient
    workers: Callable[[], dict[str, int]]
    log: Path
    restart_workers: Callable[[], None]
    datasets: dict[int, str] = field(default_factory=dict)

    def watched(self) -> dict[int, str]:
        labels = {pid: f"{self.name} {label}" for label, pid in self.workers().items()}
        if self.server.process is not None:
            labels[self.server.process.pid] = f"{self.name} API"
        return labels


def upload(executor: Executor, path: Path, rows: int) -> float:
    start = time.perf_counter()
    dataset = executor.client.datasets.upload_dataset(path, name=f"scale-{rows_label(rows)}")
    elapsed = time.perf_counter() - start
    if dataset.rows != rows:
        raise RuntimeError(f"{executor.name}: uploaded {rows} rows, the server read {dataset.rows}")
    executor.datasets[rows] = str(dataset.id)
    return elapsed


def declare(executor: Executor, rows: int, seed: int) -> str:
    """A run of the uploaded table at ``seed``, k = 20; its set name."""
    config = Config.new(f"scale-{rows_label(rows)}-seed{seed}", seed=seed)
    config.add_table(TABLE, executor.datasets[rows])
    config.set_parameters(TABLE, avatarization=AvatarizationParameters(k=K))
    resource = executor.client.resources.put_resources(config.display_name, config.to_yaml())
    return str(resource.set_name)


def timeout_for(rows: int) -> float:
    return 120 + 50 * rows / 1e6


def run_once(executor: Executor, guard: MemoryGuard, rows: int, seed: int) -> Json:
    """One ``standard`` job timed from submit to done, the workers' VmHWM reset before it.
    Raises :class:`DidNotFit` when a worker died (its nanny's memory limit, the guard),
    :class:`TooSlow` when the job outran :func:`timeout_for` (both after cancelling the job and
    restarting the workers), :class:`RunFailed` when the job failed."""
    client = executor.client
    set_name = declare(executor, rows, seed)
    before = executor.workers()
    resets = [reset_peak_rss(pid) for pid in before.values()]  # every one, even after a refusal
    reset = all(resets)
    guard.reset()
    log_offset = executor.log.stat().st_size if executor.log.exists() else 0
    cpu_before = {pid: cpu_seconds(pid) for pid in before.values()}
    start = time.perf_counter()
    job = client.jobs.create_job(set_name, "standard")
    timeout = timeout_for(rows)
    while True:
        job = client.jobs.get_job(job.name, wait=POLL_S)
        if job.done:
            break
        elapsed = time.perf_counter() - start
        lost = {label: pid for label, pid in before.items() if not alive(pid)}
        if lost:
            why = lost_reason(executor, guard, lost, log_offset)
            give_up(executor, job.name)
            raise DidNotFit(why)
        if elapsed > timeout:
            give_up(executor, job.name)
            raise TooSlow(f"not done after {timeout:.0f} s (stage {job.stage!r})")
    wall = time.perf_counter() - start
    if str(job.status) != "done":
        raise RunFailed(f"job {job.status}: {job.error}")
    assert job.started_at is not None and job.finished_at is not None
    peaks = sorted((peak_rss_mb(pid) for pid in before.values()), reverse=True)
    cpu = [
        (after or 0.0) - (start_cpu or 0.0)
        for pid, start_cpu in cpu_before.items()
        if (after := cpu_seconds(pid)) is not None
    ]
    files = client.results.get_results(job.name).files
    (shuffled,) = [entry for entry in files if entry.kind == "shuffled"]
    return {
        "seed": seed,
        "job_s": (job.finished_at - job.started_at).total_seconds(),
        "wall_s": wall,
        "peaks_mb": peaks,
        "cpu_s": sum(cpu),
        "nice": sorted({n for pid in before.values() if (n := niceness(pid)) is not None}),
        "reset": reset,
        "attempts": job.attempts,
        "sha256": shuffled.sha256,
        "job": job.name,
        "set_name": set_name,
    }


def lost_reason(executor: Executor, guard: MemoryGuard, lost: dict[str, int], offset: int) -> str:
    """Why workers died: the guard's record, else the nanny's words from the Dask log."""
    parts = []
    for label, pid in lost.items():
        seen = guard.seen_mb(pid)
        reached = f", ≥ {seen:.0f} MiB RSS sampled" if seen is not None else ""
        events = [event.reason for event in guard.events if event.pid == pid]
        parts.append(f"worker {label} died{reached}" + (f": {events[0]}" if events else ""))
    if not guard.events and executor.log.exists():
        with executor.log.open("rb") as log:
            log.seek(offset)
            tail = log.read().decode(errors="replace").splitlines()
        said = [line for line in tail if "exceeded" in line] or [
            line for line in tail if "memory" in line.lower()
        ]
        if said:
            message = said[0].rsplit(" - ", 1)[-1].strip()  # after the logger's prefix
            parts.append(f"the Dask log says: “{message[:200]}”")
    return "; ".join(parts)


def give_up(executor: Executor, job: str) -> None:
    """Cancel the job and restart the workers, so that nothing of it runs on."""
    with contextlib.suppress(Exception):
        executor.client.jobs.cancel_job(job)
    executor.restart_workers()


def restart_dask_workers(address: str) -> Callable[[], None]:
    def restart() -> None:
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            client.restart(timeout=180)

    return restart


def wait_jobs(client: ApiClient, names: Sequence[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for name in names:
        while not (job := client.jobs.get_job(name, wait=POLL_S)).done:
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {name} not done after {timeout:.0f} s")
        if str(job.status) != "done":
            raise RunFailed(f"{job.kind} job {job.status}: {job.error}")


def warm_up(executor: Executor, path: Path) -> None:
    """Two small jobs queued together, so that each worker has imported the engine before the
    first timed run (the first job of a process pays for its imports)."""
    upload(executor, path, WARM_UP_ROWS)
    sets = [declare(executor, WARM_UP_ROWS, seed) for seed in (1000, 1001)]
    jobs = [executor.client.jobs.create_job(name, "standard").name for name in sets]
    wait_jobs(executor.client, jobs, 300)


# --- the figures -------------------------------------------------------------------------------


@dataclass
class Cell:
    """One size on one executor: its runs, or why it has none."""

    rows: int
    executor: str
    upload_s: float | None = None
    runs: list[Json] = field(default_factory=list)
    failure: str | None = None

    def median(self, key: str) -> float | None:
        values = [run[key] for run in self.runs]
        return statistics.median(values) if values else None

    def worst(self, key: str) -> float | None:
        return max(run[key] for run in self.runs) if self.runs else None

    def peaks_mb(self) -> list[float]:
        """Each worker's peak, largest first, the largest over the runs."""
        if not self.runs:
            return []
        width = max(len(run["peaks_mb"]) for run in self.runs)
        return [
            max(run["peaks_mb"][rank] for run in self.runs if rank < len(run["peaks_mb"]))
            for rank in range(width)
        ]


@dataclass
class Comparison:
    """The same seeds on both executors at one size; the metrics when the avatars differ."""

    rows: int
    digests: list[tuple[int, str, str]] = field(default_factory=list)
    metrics: dict[str, Json] = field(default_factory=dict)
    error: str | None = None

    @property
    def identical(self) -> bool:
        return bool(self.digests) and all(local == dask for _, local, dask in self.digests)


@dataclass
class Bench:
    """What the run was asked for and what it has measured so far (the file is written from
    it after every size, and once more at the end)."""

    sizes: list[int]
    dask_sizes: list[int]
    repeat: int
    memory_limit: str
    quick: bool
    output: Path
    load_start: float
    compared: int  # COMPARED_ROWS, or the largest size on both in a smoke run
    local_at_largest: bool = True  # the local executor also at the largest Dask size
    started: float = field(default_factory=time.perf_counter)
    cells: dict[tuple[int, str], Cell] = field(default_factory=dict)
    comparison: Comparison | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # executor -> why it stopped
    did_not_fit: dict[str, int] = field(default_factory=dict)  # executor -> first such size
    notes: list[str] = field(default_factory=list)

    def cell(self, rows: int, executor: str) -> Cell:
        return self.cells.setdefault((rows, executor), Cell(rows, executor))


METRICS = (
    ("hidden_rate", "privacy_metrics", "hidden rate %"),
    ("hellinger_mean", "signal_metrics", "hellinger_mean"),
    ("correlation_difference_ratio", "signal_metrics", "correlation_difference_ratio"),
)


def metric_figures(client: ApiClient, set_name: str, standard: str) -> Json:
    """The run's privacy and signal metrics, computed by the server's own metrics jobs."""
    kinds = ("privacy_metrics", "signal_metrics")
    jobs = {kind: client.jobs.create_job(set_name, kind, [standard]).name for kind in kinds}
    wait_jobs(client, list(jobs.values()), 900)
    figures: Json = {}
    for name, kind, _ in METRICS:
        entries = [e for e in client.results.get_results(jobs[kind]).files if e.kind == kind]
        figures[name] = float(client.results.read_json(jobs[kind], entries[0])[0][name])
    return figures


def compare(bench: Bench, local: Executor, dask: Executor, rows: int, always: bool) -> None:
    """Checksums of the same seeds' avatars; the metrics when they differ (or ``always``)."""
    comparison = bench.comparison = Comparison(rows)
    runs = {
        name: {run["seed"]: run for run in bench.cell(rows, name).runs}
        for name in ("local", "Dask")
    }
    for seed in sorted(set(runs["local"]) & set(runs["Dask"])):
        comparison.digests.append(
            (seed, runs["local"][seed]["sha256"], runs["Dask"][seed]["sha256"])
        )
    if not comparison.digests or (comparison.identical and not always):
        return
    say(f"comparing the metrics at {rows_label(rows)}")
    first = comparison.digests[0][0]
    measured = [("local", local, first), ("Dask", dask, first)]
    other = [seed for seed in sorted(runs["local"]) if seed != first]
    if other:
        measured.append(("local, another seed", local, other[0]))
    try:
        for label, executor, seed in measured:
            run = runs["local" if executor is local else "Dask"][seed]
            comparison.metrics[label] = {
                "seed": seed,
                **metric_figures(executor.client, run["set_name"], run["job"]),
            }
            say(f"  {label} seed {seed}: {comparison.metrics[label]}")
    except Exception as error:
        comparison.error = f"{type(error).__name__}: {error}"
        say(f"  metrics failed: {comparison.error}")


def exponent_between(small: Cell, large: Cell, key: str) -> float | None:
    t1, t2 = small.median(key), large.median(key)
    if t1 is None or t2 is None or t1 <= 0 or t2 <= 0 or small.rows == large.rows:
        return None
    return math.log(t2 / t1) / math.log(large.rows / small.rows)


def largest_ran(bench: Bench, executor: str) -> Cell | None:
    ran = [cell for (_, name), cell in bench.cells.items() if name == executor and cell.runs]
    return max(ran, key=lambda cell: cell.rows) if ran else None


# --- the results file --------------------------------------------------------------------------


def report(bench: Bench, *, final: bool) -> list[str]:
    load_now = os.getloadavg()[0]
    elapsed = (time.perf_counter() - bench.started) / 60
    lines = ["# Scale benchmark: the local executor and a Dask cluster", ""]
    if bench.quick:
        lines += ["**Smoke run (`--quick`): sizes too small to judge the targets.**", ""]
    if not final:
        lines += [f"**In progress ({elapsed:.1f} min so far): the figures measured yet.**", ""]
    lines += [
        f"A generated table of N rows × 20 columns, seed {SEED}: {TABLE_DESCRIPTION}. Written "
        f"by the bench as Parquet in chunks of {CHUNK_ROWS:,} rows and uploaded through "
        "`avatars.ApiClient` to a real server process (`tests.server.ServerProcess`); one "
        f"`standard` job (avatarization only, k = {K}) per run. Measured from the outside only.",
        "",
        "- **local**: SQLite + a local folder, `AVATAR_WORKERS=2` job worker processes.",
        "- **Dask**: PostgreSQL + SeaweedFS (S3) + a Dask scheduler and 2 workers "
        f"(`--nthreads 1`, `--memory-limit {bench.memory_limit}`: the nanny restarts a worker "
        "at 95 % of it), all started by `tests/stack`; `AVATAR_WORKERS` plays no part.",
        "- Server settings otherwise at their defaults (`AVATAR_BATCH_ROWS` 100,000, leases "
        "30 s). Each server ran two small jobs together first (warm-up, not counted).",
        "- *job s*: the server's `finished_at − started_at` of the job; *wall s*: from "
        "submitting the job to the client seeing it done (long-poll of 1 s); *upload s*: the "
        "upload of the Parquet file (not in the run); *workers' CPU s*: user + system CPU "
        "seconds that the executor's worker processes used during the run (`/proc/PID/stat`), "
        "which moves much less than the wall clock with what else runs on the machine.",
        f"- {niceness_line(bench)}",
        "- *peak RSS per worker*: VmHWM of each worker process (the job worker processes; the "
        "Dask nannies' worker processes), largest first. The processes live from run to run: "
        "their VmHWM is reset (`5` written to `/proc/PID/clear_refs`) before each run and read "
        "after it; the figure is the largest over the runs. A worker that died is given by the "
        "largest RSS the bench's sampler saw (every 0.2 s).",
        f"- Repeats: median of {bench.repeat} run(s) (seeds 0…{bench.repeat - 1}, local and "
        f"Dask runs alternating) at sizes up to {rows_label(max(bench.sizes))}; 1 run (seed 0) "
        "above, on Dask only"
        + (
            f" but at {rows_label(bench.dask_sizes[-1])}, on both"
            if bench.local_at_largest and bench.dask_sizes
            else ""
        )
        + ". The Dask series stops at the first size that does not fit.",
        "- A table of more than one batch is streamed by both executors (`jobs.streamed`: "
        "columns read one at a time, the projection fitted on a 200,000-row sample, each row "
        "group of the stored copy a batch, result files assembled from the batches' parts); "
        "on Dask the column reads, the sample reads and the batches are tasks of the cluster.",
        f"- {machine_line()}",
        *machine_lines(),
        f"- Load average (1 min) at start {bench.load_start:.2f}, "
        f"{'at end' if final else 'now'} {load_now:.2f}: the machine is shared; figures are "
        "comparable only on a quiet machine.",
        f"- Produced by `{' '.join(['python -m bench.scale', *sys.argv[1:]])}` "
        f"(`make bench-scale`) in {elapsed:.1f} min.",
        "",
        *size_table(bench),
        *exponent_lines(bench),
        *comparison_lines(bench),
        *overhead_lines(bench),
        *targets_lines(bench),
        *[f"- {note}" for note in bench.notes],
        "",
    ]
    return lines


def niceness_line(bench: Bench) -> str:
    seen = {
        name: sorted(
            {
                n
                for (_, cell_name), cell in bench.cells.items()
                if cell_name == name
                for run in cell.runs
                for n in run["nice"]
            }
        )
        for name in ("local", "Dask")
    }
    shown = ", ".join(
        f"{name} {'/'.join(map(str, values)) or '?'}" for name, values in seen.items()
    )
    return (
        f"Worker niceness as read from `/proc`: {shown}. The local job workers lower their "
        "priority by design (the API comes first); Dask's do not. On a busy machine the local "
        "ones get less CPU time per second: compare the CPU seconds beside the wall clock."
    )


def machine_line() -> str:
    total = (_meminfo_kib("MemTotal") or 0) / 1024**2
    return (
        f"Memory guard: the bench kills the largest worker if its processes pass "
        f"{BUDGET_BYTES / 1024**3:.0f} GiB together or MemAvailable falls under "
        f"{MIN_AVAILABLE_BYTES / 1024**3:.0f} GiB (machine: {total:.1f} GiB)."
    )


def size_table(bench: Bench) -> list[str]:
    lines = [
        "## Time and memory per size",
        "",
        "| rows | executor | runs | upload s | job s (median) | wall s (median) | worst wall s "
        "| workers' CPU s (median) | peak RSS per worker MiB | remark |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    every = sorted(
        {(rows, name) for rows in bench.sizes for name in ("local", "Dask")}
        | {(rows, "Dask") for rows in bench.dask_sizes}
        | (
            {(bench.dask_sizes[-1], "local")}
            if bench.local_at_largest and bench.dask_sizes
            else set()
        ),
        key=lambda item: (item[0], item[1] != "local"),
    )
    for rows, name in every:
        cell = bench.cells.get((rows, name))
        if cell is None:
            why = bench.skipped.get(name, "not reached")
            lines.append(f"| {rows_label(rows)} | {name} | 0 | | | | | | | not run: {why} |")
            continue
        peaks = " / ".join(f"{peak:.0f}" for peak in cell.peaks_mb()) or "—"
        remarks = []
        if cell.failure:
            remarks.append(cell.failure)
        retried = [run["attempts"] for run in cell.runs if run["attempts"] > 1]
        if retried:
            remarks.append(f"a job took {max(retried)} attempts")
        if cell.runs and not all(run["reset"] for run in cell.runs):
            remarks.append("VmHWM could not be reset: lifetime peak")
        lines.append(
            f"| {rows_label(rows)} | {name} | {len(cell.runs)} | {fmt(cell.upload_s, 1)} "
            f"| {fmt(cell.median('job_s'), 2)} | {fmt(cell.median('wall_s'), 2)} "
            f"| {fmt(cell.worst('wall_s'), 2)} | {fmt(cell.median('cpu_s'), 1)} | {peaks} "
            f"| {'; '.join(remarks)} |"
        )
    return [*lines, ""]


def exponent_lines(bench: Bench) -> list[str]:
    lines = ["## Cost exponent", ""]
    base = bench.cells.get((bench.compared, "Dask"))
    top = largest_ran(bench, "Dask")
    if base is None or not base.runs or top is None or top.rows <= bench.compared:
        lines.append(
            f"Dask: not measured: no size above {rows_label(bench.compared)} ran"
            + (f" (largest: {rows_label(top.rows)})." if top else ".")
        )
    else:
        lines.append(
            f"Dask, {rows_label(bench.compared)} → {rows_label(top.rows)} "
            "(log(t2/t1) / log(n2/n1); 1 is linear): job s "
            f"{fmt(exponent_between(base, top, 'job_s'), 3)}, wall s "
            f"{fmt(exponent_between(base, top, 'wall_s'), 3)}."
        )
    for name in ("local", "Dask"):
        small = bench.cells.get((min(bench.sizes), name))
        large = bench.cells.get((bench.compared, name))
        if small and large and small.runs and large.runs and small.rows < large.rows:
            lines.append(
                f"For scale, {name} {rows_label(small.rows)} → {rows_label(large.rows)}: job s "
                f"{fmt(exponent_between(small, large, 'job_s'), 3)}, wall s "
                f"{fmt(exponent_between(small, large, 'wall_s'), 3)}."
            )
    return [*lines, ""]


def comparison_lines(bench: Bench) -> list[str]:
    comparison = bench.comparison
    title = f"## Same seed on both executors ({rows_label(bench.compared)})"
    if comparison is None or not comparison.digests:
        return [title, "", "Not measured: the size did not run on both executors.", ""]
    lines = [
        title,
        "",
        "SHA-256 of the released (shuffled) avatars file, as the server lists it:",
        "",
        "| seed | local | Dask | identical |",
        "|---:|---|---|---|",
        *[
            f"| {seed} | `{local[:16]}…` | `{dask[:16]}…` | {'yes' if local == dask else 'no'} |"
            for seed, local, dask in comparison.digests
        ],
        "",
    ]
    if comparison.identical:
        lines += ["The avatars are byte for byte identical for every seed.", ""]
    if comparison.metrics:
        heads = list(comparison.metrics)
        columns = [f"{head} (seed {comparison.metrics[head]['seed']})" for head in heads]
        lines += [
            "Metrics computed by the server's `privacy_metrics` and `signal_metrics` jobs on "
            "each run (*local, another seed*: the noise between two seeds):",
            "",
            f"| metric | {' | '.join(columns)} |",
            "|---|" + "---:|" * len(heads),
        ]
        for name, _, label in METRICS:
            lines.append(
                f"| {label} | {' | '.join(fmt(comparison.metrics[h][name], 4) for h in heads)} |"
            )
        lines.append("")
    if comparison.error:
        lines += [f"The metrics could not be computed: {comparison.error}.", ""]
    return lines


def overhead(bench: Bench, key: str) -> float | None:
    local = bench.cells.get((bench.compared, "local"))
    dask = bench.cells.get((bench.compared, "Dask"))
    t_local = local.median(key) if local else None
    t_dask = dask.median(key) if dask else None
    if t_local is None or t_dask is None or t_local <= 0:
        return None
    return (t_dask - t_local) / t_local


def overhead_lines(bench: Bench) -> list[str]:
    shown = [
        f"{label} {fmt(None if value is None else 100 * value, 1, ' %')}"
        for label, value in (
            ("wall s", overhead(bench, "wall_s")),
            ("job s", overhead(bench, "job_s")),
            ("workers' CPU s", overhead(bench, "cpu_s")),
        )
    ]
    return [
        f"## Dask overhead at {rows_label(bench.compared)}",
        "",
        f"(Dask − local) / local, medians: {', '.join(shown)}. Negative: Dask was faster.",
        "",
    ]


def same_results(comparison: Comparison | None) -> tuple[str, str]:
    """The shown figure and the verdict of "same results for the same seed"."""
    if comparison is None or not comparison.digests:
        return "—", "not measured"
    if comparison.identical:
        return f"identical avatars ({len(comparison.digests)} seeds)", "met"
    metrics = comparison.metrics
    if "local" not in metrics or "Dask" not in metrics:
        return "avatars differ; metrics not computed", "not measured"
    other = metrics.get("local, another seed")
    verdicts, shown = [], []
    for name, _, label in METRICS:
        delta = abs(metrics["Dask"][name] - metrics["local"][name])
        noise = abs(other[name] - metrics["local"][name]) if other else 0.0
        same = delta <= noise or math.isclose(
            metrics["Dask"][name], metrics["local"][name], rel_tol=1e-3, abs_tol=1e-4
        )
        verdicts.append(same)
        shown.append(f"{label} Δ {delta:.4f} (noise {noise:.4f})")
    return "; ".join(shown), "met" if all(verdicts) else "**not met**"


def targets_lines(bench: Bench) -> list[str]:
    largest = bench.dask_sizes[-1] if bench.dask_sizes else max(bench.sizes)
    compared = rows_label(bench.compared)
    top = bench.cells.get((largest, "Dask"))
    if top is not None and top.runs:
        shown = f"{fmt(top.median('job_s'), 1)} s job"
    else:
        shown = (top.failure if top else None) or bench.skipped.get("Dask", "not reached")
    rows = [
        (
            f"{rows_label(largest)} rows × 20 avatarized on Dask, 2 workers",
            shown,
            "met" if top is not None and top.runs else "**not met**",
        )
    ]
    biggest = largest_ran(bench, "Dask")
    peak_gb = biggest.peaks_mb()[0] * 1024**2 / 1e9 if biggest else None
    memory = f"{fmt(peak_gb, 2)} GB at {rows_label(biggest.rows)}" if biggest else "—"
    memory_verdict = check(peak_gb, TARGET_WORKER_GB)
    if "Dask" in bench.did_not_fit:
        memory += f"; {rows_label(bench.did_not_fit['Dask'])} did not fit"
        memory_verdict = "**not met**"
    rows.append(
        (
            f"memory per Dask worker ≤ {TARGET_WORKER_GB:g} GB, up to {rows_label(largest)}",
            memory,
            memory_verdict,
        )
    )
    base = bench.cells.get((bench.compared, "Dask"))
    slope = exponent_between(base, top, "job_s") if base and top else None
    rows.append(
        (
            f"cost exponent {compared} → {rows_label(largest)} ≤ {TARGET_EXPONENT:g} (job s)",
            fmt(slope, 3),
            check(slope, TARGET_EXPONENT),
        )
    )
    local = bench.cells.get((bench.compared, "local"))
    ran_local = local is not None and bool(local.runs)
    shown_local = f"{fmt(local.median('job_s'), 1)} s job" if local and ran_local else "—"
    far = bench.cells.get((largest, "local")) if bench.local_at_largest else None
    if far is not None and far.runs:
        shown_local += (
            f"; at {rows_label(largest)} (it streams too): {fmt(far.median('job_s'), 1)} s job, "
            f"{fmt(far.peaks_mb()[0] * 1024**2 / 1e9, 2)} GB peak per worker"
        )
    rows.append(
        (
            f"local executor beside it at {compared}",
            shown_local,
            "met" if ran_local else "not measured",
        )
    )
    same, verdict = same_results(bench.comparison)
    rows.append((f"same results for the same seed at {compared}", same, verdict))
    wall, cpu = overhead(bench, "wall_s"), overhead(bench, "cpu_s")
    rows.append(
        (
            f"Dask overhead at {compared} ≤ {TARGET_OVERHEAD:.0%} of the local time (wall s)",
            f"{fmt(None if wall is None else 100 * wall, 1, ' %')} (workers' CPU s: "
            f"{fmt(None if cpu is None else 100 * cpu, 1, ' %')})",
            check(wall, TARGET_OVERHEAD),
        )
    )
    return [
        "## Targets",
        "",
        "From issue 17; each verdict is computed from the figures above (`not measured` when "
        f"the figure is missing). The local executor is run up to {rows_label(max(bench.sizes))}"
        + (
            f" and at {rows_label(largest)}"
            if bench.local_at_largest and bench.dask_sizes
            else " only"
        )
        + " (its peak RSS per size is in the first table).",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        *[f"| {target} | {shown} | {verdict} |" for target, shown, verdict in rows],
        "",
    ]


def written(bench: Bench, *, final: bool = False) -> None:
    bench.output.parent.mkdir(parents=True, exist_ok=True)
    lines = report(bench, final=final)
    if final:
        write_results(bench.output, lines)
    else:
        bench.output.write_text("\n".join(lines))
    say(f"  results written to {bench.output}")


# --- the run -----------------------------------------------------------------------------------


def measure_size(
    bench: Bench,
    executors: Sequence[Executor],
    guard: MemoryGuard,
    rows: int,
    path: Path,
    repeat: int,
) -> None:
    """Upload the table to each executor still running, then ``repeat`` runs alternating
    between them; an executor whose run did not fit stops there (and for every larger size)."""
    active = [e for e in executors if e.name not in bench.skipped]
    for executor in active:
        cell = bench.cell(rows, executor.name)
        say(f"  upload to {executor.name}")
        cell.upload_s = upload(executor, path, rows)
        say(f"  upload to {executor.name}: {cell.upload_s:.1f} s")
    for seed in range(repeat):
        for executor in [e for e in active if e.name not in bench.skipped]:
            cell = bench.cell(rows, executor.name)
            try:
                run = run_once(executor, guard, rows, seed)
            except RunStopped as error:
                cell.failure = f"{error.verdict}: {error}"
                bench.skipped[executor.name] = f"{rows_label(rows)} {error.verdict}"
                if isinstance(error, DidNotFit):
                    bench.did_not_fit.setdefault(executor.name, rows)
                say(f"  {executor.name} {rows_label(rows)} seed {seed}: {cell.failure}")
                continue
            cell.runs.append(run)
            peaks = " / ".join(f"{peak:.0f}" for peak in run["peaks_mb"])
            say(
                f"  {executor.name} {rows_label(rows)} seed {seed}: job {run['job_s']:.2f} s, "
                f"wall {run['wall_s']:.2f} s, CPU {run['cpu_s']:.1f} s, peak RSS {peaks} MiB"
            )


@contextlib.contextmanager
def executors(work: Path, memory_limit: str) -> Iterator[tuple[Executor, Executor]]:
    """The local server, and the stack with the Dask server; all stopped on the way out."""
    with contextlib.ExitStack() as stack:
        say("starting PostgreSQL, SeaweedFS and the Dask cluster")
        database = stack.enter_context(postgres(work / "postgres"))
        s3: S3Server = stack.enter_context(seaweedfs(_folder(work / "seaweedfs")))
        cluster = stack.enter_context(dask_cluster(work / "dask", memory_limit=memory_limit))
        say("starting the two servers")
        local_home = _folder(work / "local") / "home"
        local_server = ServerProcess(local_home, admin_password=PASSWORD, workers=2)
        dask_server = ServerProcess(
            _folder(work / "dask-api") / "home",
            admin_password=PASSWORD,
            database_url=fresh_database(database, "scale_bench"),
            storage_url=s3.storage_url(f"scale-{uuid.uuid4().hex[:8]}"),
            dask_address=cluster.address,
        )
        dask_server.env.update(s3.env())
        made = []
        for server in (local_server, dask_server):
            stack.callback(server.stop)
            server.start()
            client = stack.enter_context(ApiClient(server.base_url, timeout=1800))
            client.authenticate("admin", PASSWORD)
            made.append(client)
        local = Executor(
            "local",
            local_server,
            made[0],
            lambda: local_worker_processes(local_home),
            local_server.log_path,
            lambda: None,
        )
        dask = Executor(
            "Dask",
            dask_server,
            made[1],
            lambda: dask_worker_processes(cluster),
            work / "dask" / "dask.log",
            restart_dask_workers(cluster.address),
        )
        yield local, dask


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_bench(bench: Bench, compare_always: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="avatars-scale-") as folder:
        work = Path(folder)
        with executors(work, bench.memory_limit) as (local, dask):
            both = (local, dask)

            def watched() -> dict[int, str]:
                return {**local.watched(), **dask.watched(), os.getpid(): "bench"}

            def workers() -> set[int]:
                return set(local.workers().values()) | set(dask.workers().values())

            with MemoryGuard(watched, workers) as guard:
                warm = work / "warm.parquet"
                write_table(warm, WARM_UP_ROWS)
                for executor in both:
                    say(f"warm-up on {executor.name}")
                    warm_up(executor, warm)
                plan: list[tuple[int, Sequence[Executor], int]]
                plan = [(rows, both, bench.repeat) for rows in bench.sizes]
                largest = bench.dask_sizes[-1] if bench.dask_sizes else None
                plan += [
                    (rows, both if rows == largest and bench.local_at_largest else (dask,), 1)
                    for rows in bench.dask_sizes
                ]
                for rows, on, repeat in plan:
                    if all(e.name in bench.skipped for e in on):
                        continue
                    path = work / f"table-{rows_label(rows)}.parquet"
                    say(f"{rows_label(rows)} rows: generating the table")
                    started = time.perf_counter()
                    megabytes = write_table(path, rows)
                    say(f"  {megabytes:.0f} MB in {time.perf_counter() - started:.1f} s")
                    try:
                        measure_size(bench, on, guard, rows, path, repeat)
                    finally:
                        path.unlink(missing_ok=True)
                    if rows == bench.compared:
                        compare(bench, local, dask, rows, compare_always)
                    written(bench)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100k,300k,1M", help="sizes on both executors")
    parser.add_argument("--dask-sizes", default="2M,5M,10M", help="larger sizes, Dask only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size on both")
    parser.add_argument("--memory-limit", default=MEMORY_LIMIT, help="each Dask worker's")
    parser.add_argument(
        "--compare-metrics",
        action="store_true",
        help="run the metrics jobs at 1M even when the avatars are identical",
    )
    parser.add_argument(
        "--no-local-at-largest",
        action="store_true",
        help="run the local executor only at --sizes, not also at the largest Dask size",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 20k,50k + 100k, 1 run")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.dask_sizes, args.repeat = "20k,50k", "100k", 1
    sizes = sorted(parse_rows(size) for size in args.sizes.split(",") if size)
    dask_sizes = sorted(parse_rows(size) for size in args.dask_sizes.split(",") if size)
    if not sizes or (dask_sizes and dask_sizes[0] <= sizes[-1]):
        parser.error("--sizes: at least one; --dask-sizes: all above the largest of --sizes")
    bench = Bench(
        sizes=sizes,
        dask_sizes=dask_sizes,
        repeat=args.repeat,
        memory_limit=args.memory_limit,
        quick=args.quick,
        output=args.output or (QUICK_RESULTS if args.quick else RESULTS),
        load_start=os.getloadavg()[0],
        compared=COMPARED_ROWS if COMPARED_ROWS in sizes else sizes[-1],
        local_at_largest=not args.no_local_at_largest,
    )
    # A SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so the services are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench.scale: terminated"))
    try:
        run_bench(bench, args.compare_metrics)
    except BaseException as error:
        bench.notes.append(f"The bench stopped early: {type(error).__name__}: {error}")
        written(bench)
        raise
    written(bench, final=True)


if __name__ == "__main__":
    main()
