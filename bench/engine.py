"""Engine benchmark: avatarize and its metrics against the floor, a peer, and the issue's targets.

What it measures (avatar-method.md §5 and §7 give the peers and the cost model):

- per size (10k, 100k, 1M rows of ``mixed_table``): time of ``avatarize`` (k = 20, ncp = 5,
  default batching), of ``privacy_metrics`` and of ``signal_metrics``, and the peak RSS of the
  whole run; beside them the floor, i.e. the bare cost of one exact SVD (numpy) of the
  one-hot + standardised matrix plus one exact kNN query (cKDTree) on its first 5 principal
  coordinates, and the ratio avatarize / floor;
- quality per size and on the real tables (wbcd, epl, iris): hidden rate, median local cloaking,
  hellinger_mean, correlation_difference_ratio, DCR median against its original↔original
  baseline;
- batching at 100k: batches of 20k rows against one batch, hidden rate and hellinger_mean;
- the cost exponent of each step, fitted on log(time) against log(n);
- cancellation latency: the longest wall-clock gap between progress callbacks (a cancel raised
  from the callback waits at most that long);
- the peer: SDV's GaussianCopulaSynthesizer (fit + sample as many rows) at 10k and 100k and on
  the real tables, run in its own environment (``bench/.venv-sdv``, made by
  ``bench/setup-sdv.sh``: SDV needs pandas < 3) by ``bench/sdv_worker.py``, its output scored
  with the project's own metric functions.

Every measured run is a fresh subprocess (``--worker``) printing one JSON line: peak RSS
(VmHWM, read at the end inside the worker) is then the run's own, and runs share no cache or
allocator state. Figures are medians of ``--repeat`` runs. Verdicts against the targets are
computed from the figures, never written by hand.

    .venv/bin/python -m bench.engine [--sizes 10k,100k,1M] [--repeat 3] [--quick] [--no-sdv]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import add_worker_arguments, run_worker, write_results

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "engine.md"
QUICK_RESULTS = Path(__file__).parent / "results" / "engine-quick.md"
SDV_PYTHON = Path(__file__).parent / ".venv-sdv" / "bin" / "python"
SDV_WORKER = Path(__file__).parent / "sdv_worker.py"
SHARED_DATA = Path(os.environ.get("AVATAR_SHARED_DATA", ROOT.parent / "shared" / "data"))
REAL_TABLES: dict[str, int] = {"wbcd": 20, "epl": 20, "iris": 10}  # table -> k
K = 20
NCP = 5
FLOOR_NEIGHBOURS = K + 1
UNBATCHED = 10**9
WORKER_TIMEOUT_S = 3 * 3600
# The two privacy metrics that do not use the row link, so they mean the same for any generator.
LINK_FREE = ("distance_to_closest", "closest_distances_ratio")

Json = dict[str, Any]


# --- helpers shared by the workers -----------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's high-water mark (VmHWM), in MiB."""
    return _status_mb("VmHWM")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_table(path: Path) -> pd.DataFrame:
    """A table as the bench hands it to every method: CSV as pandas reads it, or parquet."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def design_matrix(df: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The n × P matrix the floor works on: numbers as they are, categories one-hot, every
    column standardised (constant ones left centred). Built outside any timing."""
    numeric = df.select_dtypes("number")
    categorical = df.drop(columns=numeric.columns)
    dummies = pd.get_dummies(categorical.astype("category"), dtype="float64")
    matrix = np.concatenate(
        [numeric.to_numpy(dtype="float64", na_value=np.nan), dummies.to_numpy()], axis=1
    )
    mean = np.nanmean(matrix, axis=0)
    matrix = np.where(np.isnan(matrix), mean, matrix)
    std = matrix.std(axis=0)
    std[std == 0] = 1.0
    return np.ascontiguousarray((matrix - mean) / std)


def metric_values(results: Sequence[Any]) -> Json:
    """Metric values by name, plus the DCR baseline (original↔original) from its details."""
    values: Json = {result.name: result.value for result in results}
    for result in results:
        if result.name == "distance_to_closest":
            values["dcr_baseline"] = dcr_baseline(result.details)
    return values


def dcr_baseline(details: dict[str, Any]) -> float | None:
    """The original↔original median distance to closest, as privacy_metrics reports it."""
    value = details.get("baseline_original")
    return float(value) if isinstance(value, int | float) else None


# --- workers (one per measured run, each in a fresh process) ----------------------------------


def worker_run(spec: Json) -> Json:
    """avatarize + privacy + signal metrics on ``mixed_table(rows)``, timed one by one.

    Progress callbacks are timestamped: the longest gap between two of them (counting the call
    and the return as the first and last marks) bounds the latency of a cancel.
    """
    from avatar_server.engine.avatarize import avatarize
    from avatar_server.engine.privacy import privacy_metrics
    from avatar_server.engine.signal import signal_metrics
    from avatar_server.jobs.allocator import keep_freed_memory
    from bench.tables import mixed_table

    keep_freed_memory()  # as the server's job workers are set up
    table = mixed_table(spec["rows"], seed=0)
    before_mb = rss_mb()
    # No batch_rows in the spec means avatarize's own default, as the server calls it.
    batching = {"batch_rows": spec["batch_rows"]} if spec.get("batch_rows") else {}
    # First job of a fresh worker (its heap grows to the job's size), then the measured one:
    # the server's pool workers are started with it and run job after job.
    start = time.perf_counter()
    avatarize(table, k=K, ncp=NCP, seed=spec["seed"] + 1000, **batching)
    cold_s = time.perf_counter() - start
    marks: list[tuple[str, float]] = []

    def progress(stage: str, _fraction: float) -> None:
        marks.append((stage, time.perf_counter()))

    start = time.perf_counter()
    marks.append(("call", start))
    result = avatarize(table, k=K, ncp=NCP, seed=spec["seed"], progress=progress, **batching)
    avatarize_s = time.perf_counter() - start
    marks.append(("return", start + avatarize_s))
    start = time.perf_counter()
    privacy = privacy_metrics(table, result.unshuffled, ncp=NCP, seed=spec["seed"])
    privacy_s = time.perf_counter() - start
    start = time.perf_counter()
    signal = signal_metrics(table, result.unshuffled)
    signal_s = time.perf_counter() - start
    gaps = [later[1] - earlier[1] for earlier, later in itertools.pairwise(marks)]
    widest = int(np.argmax(gaps))
    return {
        "rows": spec["rows"],
        "batches": result.batches,
        "avatarize_s": avatarize_s,
        "avatarize_cold_s": cold_s,
        "privacy_s": privacy_s,
        "signal_s": signal_s,
        "metrics_s": privacy_s + signal_s,
        "rss_before_mb": before_mb,
        "peak_rss_mb": peak_rss_mb(),
        "callbacks": len(marks) - 2,
        "max_gap_s": gaps[widest],
        "max_gap_between": f"{marks[widest][0]} → {marks[widest + 1][0]}",
        **metric_values([*privacy, *signal]),
    }


def worker_floor(spec: Json) -> Json:
    """One exact SVD of the design matrix and one exact kNN query on 5 principal coordinates."""
    from scipy.spatial import cKDTree

    from bench.tables import mixed_table

    matrix = design_matrix(mixed_table(spec["rows"], seed=0))
    start = time.perf_counter()
    u, s, _ = np.linalg.svd(matrix, full_matrices=False)
    svd_s = time.perf_counter() - start
    coords = np.ascontiguousarray(u[:, :NCP] * s[:NCP])
    start = time.perf_counter()
    cKDTree(coords).query(coords, k=FLOOR_NEIGHBOURS, workers=-1)
    knn_s = time.perf_counter() - start
    # Not part of the floor, shown beside it: the same decomposition through the P × P Gram
    # matrix (what an exact FAMD of a tall table can do) is far cheaper than LAPACK's SVD of
    # the tall matrix, so avatarize may well come in under this floor.
    start = time.perf_counter()
    np.linalg.eigh(matrix.T @ matrix)
    gram_s = time.perf_counter() - start
    return {
        "rows": spec["rows"],
        "dimensions": matrix.shape[1],
        "svd_s": svd_s,
        "knn_s": knn_s,
        "floor_s": svd_s + knn_s,
        "gram_s": gram_s,
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_table(spec: Json) -> Json:
    """Our avatars of one real table, with the same metrics as the generated ones."""
    from avatar_server.engine.avatarize import avatarize
    from avatar_server.engine.privacy import privacy_metrics
    from avatar_server.engine.signal import signal_metrics

    table = load_table(Path(spec["path"]))
    ncp = min(NCP, table.shape[1])
    start = time.perf_counter()
    result = avatarize(table, k=spec["k"], seed=spec["seed"])
    avatarize_s = time.perf_counter() - start
    privacy = privacy_metrics(table, result.unshuffled, ncp=ncp, seed=spec["seed"])
    signal = signal_metrics(table, result.unshuffled)
    return {
        "rows": len(table),
        "columns": table.shape[1],
        "avatarize_s": avatarize_s,
        **metric_values([*privacy, *signal]),
    }


def worker_score(spec: Json) -> Json:
    """Our signal metrics and the link-free privacy metrics of a synthetic table (SDV's).

    ``privacy_metrics`` takes the synthetic rows as if they were the unshuffled avatars; only
    distance_to_closest and closest_distances_ratio are kept, since they never use the row
    link (hidden rate and local cloaking would compare each original with an unrelated row).
    """
    from avatar_server.engine.privacy import privacy_metrics
    from avatar_server.engine.signal import signal_metrics

    original = load_table(Path(spec["original"]))
    synthetic = load_table(Path(spec["synthetic"]))[list(original.columns)]
    ncp = min(NCP, original.shape[1])
    privacy = [
        r for r in privacy_metrics(original, synthetic, ncp=ncp, seed=0) if r.name in LINK_FREE
    ]
    signal = signal_metrics(original, synthetic)
    return metric_values([*privacy, *signal])


WORKERS: dict[str, Callable[[Json], Json]] = {
    "run": worker_run,
    "floor": worker_floor,
    "table": worker_table,
    "score": worker_score,
}


# --- orchestration ---------------------------------------------------------------------------


class WorkerFailed(RuntimeError):
    pass


def spawn(command: list[str], label: str) -> Json:
    """Run one worker process and parse the JSON it prints last; stderr goes to ours."""
    say(f"  {label} ...")
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise WorkerFailed(
            f"{label} failed (exit {done.returncode}):\n{done.stderr[-4000:]}{done.stdout[-2000:]}"
        )
    say(f"  {label}: {time.perf_counter() - started:.1f} s")
    parsed: Json = json.loads(lines[-1])
    return parsed


def worker(kind: str, **spec: Any) -> Json:
    label = f"{kind} " + " ".join(f"{key}={value}" for key, value in spec.items())
    return spawn([sys.executable, "-m", "bench.engine", "--worker", kind, json.dumps(spec)], label)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_of(runs: Sequence[Json]) -> Json:
    """Field-wise median of repeated runs (numbers); other fields from the first run, except
    the widest progress gap, which is reported from the run it was worst in."""
    merged: Json = dict(runs[0])
    for key, value in runs[0].items():
        numbers = [run[key] for run in runs if isinstance(run.get(key), int | float)]
        if isinstance(value, int | float) and not isinstance(value, bool) and numbers:
            merged[key] = statistics.median(numbers)
    if "max_gap_s" in merged:
        worst = max(runs, key=lambda run: run["max_gap_s"])
        merged["max_gap_s"] = worst["max_gap_s"]
        merged["max_gap_between"] = worst["max_gap_between"]
    return merged


def exponent(sizes: Sequence[int], seconds: Sequence[float]) -> float | None:
    """Least-squares slope of log(time) on log(n): 1 is linear, n log n reads ~1.05–1.15."""
    if len(sizes) < 2:
        return None
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


@dataclass
class Peer:
    """GaussianCopula's figures on one table, or why there are none."""

    fit_s: float | None = None
    sample_s: float | None = None
    peak_rss_mb: float | None = None
    metrics: Json | None = None
    versions: Json | None = None
    sdtypes: Json | None = None
    error: str | None = None

    @property
    def total_s(self) -> float | None:
        if self.fit_s is None or self.sample_s is None:
            return None
        return self.fit_s + self.sample_s


def run_peer(original: Path, work: Path, repeat: int, sdv: bool, label: str) -> Peer:
    """GaussianCopula fit + sample in the SDV venv, ``repeat`` times, then its output scored."""
    if not sdv:
        return Peer(error="SDV not available (--no-sdv)")
    if not SDV_PYTHON.exists():
        return Peer(error="SDV not available (run `make bench-sdv-env`)")
    try:
        runs = []
        synthetic = work / f"{label}-gaussian-copula.parquet"
        for seed in range(repeat):
            command = [str(SDV_PYTHON), str(SDV_WORKER), str(original), str(synthetic)]
            runs.append(spawn([*command, "--seed", str(seed)], f"sdv {label} seed={seed}"))
        timed = median_of(runs)
        scores = worker("score", original=str(original), synthetic=str(synthetic))
    except (WorkerFailed, subprocess.TimeoutExpired) as error:
        say(str(error))
        return Peer(error=f"SDV not available ({str(error).splitlines()[0]})")
    return Peer(
        fit_s=timed["fit_s"],
        sample_s=timed["sample_s"],
        peak_rss_mb=timed["peak_rss_mb"],
        metrics=scores,
        versions=runs[0]["versions"],
        sdtypes=runs[0]["sdtypes"],
    )


# --- formatting ------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 2, suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}{suffix}"
    return f"{value:.{digits}f}{suffix}"


def rows_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def parse_rows(text: str) -> int:
    multiplier = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if multiplier > 1 else text) * multiplier)


def check(value: float | None, limit: float, *, below: bool = True) -> str:
    """Met / not met from a measured value; 'not measured' when the run did not produce it."""
    if value is None or not math.isfinite(value):
        return "not measured"
    ok = value <= limit if below else value >= limit
    return "met" if ok else "**not met**"


def machine_lines() -> list[str]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("numpy", "pandas", "scipy", "saiph")
    )
    blas = ""
    try:
        from threadpoolctl import threadpool_info

        pools = [f"{p['internal_api']} ({p['num_threads']} threads)" for p in threadpool_info()]
        blas = f"; BLAS/OpenMP: {', '.join(pools)}"
    except ImportError:
        pass
    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores, {memory} RAM; "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}{blas}",
    ]


# --- the benchmark ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10k,100k,1M", help="rows, e.g. 10k,100k,1M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2k,10k, 1 repeat")
    parser.add_argument("--batching-rows", default="100k", help="table size of the batching test")
    parser.add_argument("--sdv-sizes", default="10k,100k")
    parser.add_argument("--no-sdv", action="store_true", help="skip GaussianCopula")
    add_worker_arguments(parser)
    args = parser.parse_args()
    if run_worker(args, WORKERS):
        return
    if args.quick:
        args.sizes, args.repeat, args.batching_rows, args.sdv_sizes = "2k,10k", 1, "10k", "2k,10k"
    sizes = sorted(parse_rows(s) for s in args.sizes.split(","))
    sdv_sizes = sorted(parse_rows(s) for s in args.sdv_sizes.split(",") if s)
    batching_rows = parse_rows(args.batching_rows)
    output = args.output or (QUICK_RESULTS if args.quick else RESULTS)
    load_start = os.getloadavg()
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="bench-engine-") as folder:
        work = Path(folder)
        ours: dict[int, Json] = {}
        floors: dict[int, Json] = {}
        for n in sizes:
            say(f"{rows_label(n)} rows")
            runs = [worker("run", rows=n, seed=seed) for seed in range(args.repeat)]
            ours[n] = median_of(runs)
            floors[n] = median_of([worker("floor", rows=n) for _ in range(args.repeat)])

        say(f"batching at {rows_label(batching_rows)} rows")
        batch_rows = batching_rows // 5
        batched = median_of(
            [
                worker("run", rows=batching_rows, seed=seed, batch_rows=batch_rows)
                for seed in range(args.repeat)
            ]
        )
        whole = median_of(
            [
                worker("run", rows=batching_rows, seed=seed, batch_rows=UNBATCHED)
                for seed in range(args.repeat)
            ]
        )

        sdv = not args.no_sdv
        peers: dict[int, Peer] = {}
        for n in sdv_sizes:
            say(f"GaussianCopula at {rows_label(n)} rows")
            from bench.tables import mixed_table

            original = work / f"mixed-{n}.parquet"
            mixed_table(n, seed=0).to_parquet(original, index=False)
            peers[n] = run_peer(original, work, args.repeat, sdv, f"mixed-{n}")

        real: dict[str, tuple[Json, Peer]] = {}
        for name, k in REAL_TABLES.items():
            path = SHARED_DATA / f"{name}.csv"
            if not path.exists():
                say(f"{path} not found: skipped")
                continue
            say(f"real table {name}")
            table_ours = median_of(
                [worker("table", path=str(path), k=k, seed=seed) for seed in range(args.repeat)]
            )
            original = work / f"{name}.parquet"
            load_table(path).to_parquet(original, index=False)
            real[name] = (table_ours, run_peer(original, work, args.repeat, sdv, name))

    elapsed = time.perf_counter() - started
    lines = report(
        args=args,
        sizes=sizes,
        ours=ours,
        floors=floors,
        batched=batched,
        whole=whole,
        batching_rows=batching_rows,
        batch_rows=batch_rows,
        peers=peers,
        real=real,
        load=(load_start, os.getloadavg()),
        elapsed=elapsed,
    )
    write_results(output, lines)
    say(f"written to {output}")


def report(
    *,
    args: argparse.Namespace,
    sizes: list[int],
    ours: dict[int, Json],
    floors: dict[int, Json],
    batched: Json,
    whole: Json,
    batching_rows: int,
    batch_rows: int,
    peers: dict[int, Peer],
    real: dict[str, tuple[Json, Peer]],
    load: tuple[tuple[float, float, float], tuple[float, float, float]],
    elapsed: float,
) -> list[str]:
    """The markdown report; every verdict is computed here from the measured figures."""
    versions = next((p.versions for p in [*peers.values()] if p.versions), None) or next(
        (p.versions for _, p in real.values() if p.versions), None
    )
    sdv_line = (
        "- SDV venv: " + ", ".join(f"{name} {v}" for name, v in versions.items())
        if versions
        else "- SDV: not available (run `make bench-sdv-env`)"
    )
    lines = [
        "# Engine benchmark",
        "",
        *(
            ["**Smoke run (`--quick`): sizes and repeats too small to judge the targets.**", ""]
            if args.quick
            else []
        ),
        f"`mixed_table` (12 numeric + 8 five-level categorical columns), k = {K}, ncp = {NCP}; "
        f"median of {args.repeat} run(s), each in a fresh process. Produced by "
        f"`{' '.join(['python -m bench.engine', *sys.argv[1:]])}` (`make bench`) "
        f"in {elapsed / 60:.1f} min.",
        "",
        *machine_lines(),
        sdv_line,
        f"- Load average (1 min) at start {load[0][0]:.2f}, at end {load[1][0]:.2f}: "
        "figures are only comparable on an otherwise quiet machine.",
        "",
        "## Time and memory per size",
        "",
        "Floor = one exact `np.linalg.svd(Z, full_matrices=False)` of the one-hot + standardised "
        f"n × P matrix + one exact cKDTree query (k = {FLOOR_NEIGHBOURS}, `workers=-1`) on its "
        f"first {NCP} principal coordinates, on the same table. Peak RSS is the worker's VmHWM "
        "after both avatarizations + both metrics (it includes the interpreter, imports and the "
        "generated table, whose RSS is given before avatarize). GaussianCopula = SDV fit + "
        "sample of as many rows. *Gram eigh* (not part of the floor) is the same decomposition "
        "through `eigh(Zᵀ Z)`, for scale: LAPACK's SVD of a tall matrix is a loose floor.",
        "",
        "*avatarize s* is a worker's second avatarization of the table (another seed), as the "
        "server's warm pool workers run jobs; *first run s* is the first one in the fresh "
        "process, which also pays for growing its heap to the job's size (page faults). Both "
        "run with `avatar_server.jobs.allocator.keep_freed_memory()`, as job workers do.",
        "",
        "| rows | batches | avatarize s | first run s | floor s (SVD + kNN) | avatarize / floor "
        "| Gram eigh s | privacy s | signal s | privacy + signal s | peak RSS MiB (before) "
        "| GaussianCopula s | GC / avatarize |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        run, floor = ours[n], floors[n]
        peer = peers.get(n)
        gc = peer.total_s if peer else None
        gc_text = fmt(gc) if peer and gc is not None else (peer.error if peer else "not run")
        lines.append(
            f"| {rows_label(n)} | {run['batches']:.0f} | {fmt(run['avatarize_s'])} "
            f"| {fmt(run['avatarize_cold_s'])} | {fmt(floor['floor_s'])} "
            f"({fmt(floor['svd_s'])} + {fmt(floor['knn_s'])}) "
            f"| {fmt(run['avatarize_s'] / floor['floor_s'], 1)}× | {fmt(floor['gram_s'], 3)} "
            f"| {fmt(run['privacy_s'])} "
            f"| {fmt(run['signal_s'])} | {fmt(run['metrics_s'])} "
            f"| {fmt(run['peak_rss_mb'], 0)} ({fmt(run['rss_before_mb'], 0)}) | {gc_text} "
            f"| {fmt(gc / run['avatarize_s'], 1, '×') if gc is not None else '—'} |"
        )
    lines += ["", *peer_section(ours, peers, real)]
    lines += quality_section(sizes, ours, peers, real)
    lines += batching_section(batched, whole, batching_rows, batch_rows)
    lines += exponent_section(sizes, ours, floors, peers)
    largest = ours[sizes[-1]]
    lines += [
        "## Cancellation latency",
        "",
        "A cancel is raised from the progress callback, so it waits at most for the longest gap "
        "between two callbacks (the call and the return count as marks). Worst run shown; "
        "*between* names the callbacks (stages) that open and close the longest gap.",
        "",
        "| rows | callbacks | max gap s | between |",
        "|---|---:|---:|---|",
        *[
            f"| {rows_label(n)} | {ours[n]['callbacks']:.0f} | {fmt(ours[n]['max_gap_s'], 3)} "
            f"| {ours[n]['max_gap_between']} |"
            for n in sizes
        ],
        "",
    ]
    lines += targets_section(ours, floors, sizes, peers, real, batched, whole, largest)
    return lines


def peer_section(
    ours: dict[int, Json], peers: dict[int, Peer], real: dict[str, tuple[Json, Peer]]
) -> list[str]:
    """GaussianCopula's time and memory beside avatarize on every table it ran on."""
    lines = [
        "## GaussianCopula (SDV) beside avatarize",
        "",
        "`GaussianCopulaSynthesizer` with auto-detected metadata and default settings, fit then "
        "sample as many rows, in `bench/.venv-sdv` (`bench/sdv_worker.py`); peak RSS is that "
        "worker's VmHWM.",
        "",
        "| table | GC fit s | GC sample s | GC peak RSS MiB | avatarize s | GC / avatarize |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    entries: list[tuple[str, Peer, float | None]] = [
        (f"mixed {rows_label(n)}", peer, ours[n]["avatarize_s"] if n in ours else None)
        for n, peer in sorted(peers.items())
    ]
    entries += [(name, peer, table["avatarize_s"]) for name, (table, peer) in real.items()]
    for label, peer, avatarize_s in entries:
        if peer.error is not None:
            lines.append(f"| {label} | {peer.error} | | | {fmt(avatarize_s, 3)} | |")
            continue
        total = peer.total_s
        ratio = total / avatarize_s if total is not None and avatarize_s else None
        lines.append(
            f"| {label} | {fmt(peer.fit_s, 3)} | {fmt(peer.sample_s, 3)} "
            f"| {fmt(peer.peak_rss_mb, 0)} | {fmt(avatarize_s, 3)} | {fmt(ratio, 1, '×')} |"
        )
    return [*lines, ""]


def _quality_row(label: str, method: str, values: Json | None, note: str = "") -> str:
    if values is None:
        return f"| {label} | {method} | {note} | | | | | | |"
    return (
        f"| {label} | {method} | {fmt(values.get('hidden_rate'), 1)} "
        f"| {fmt(values.get('local_cloaking'), 1)} | {fmt(values.get('hellinger_mean'), 3)} "
        f"| {fmt(values.get('correlation_difference_ratio'), 2)} "
        f"| {fmt(values.get('distance_to_closest'), 3)} | {fmt(values.get('dcr_baseline'), 3)} "
        f"| {fmt(values.get('closest_distances_ratio'), 3)} |"
    )


def quality_section(
    sizes: list[int], ours: dict[int, Json], peers: dict[int, Peer], real: dict[str, Any]
) -> list[str]:
    header = [
        "| table | method | hidden rate % | median local cloaking | hellinger_mean "
        "| correlation_difference_ratio | DCR median | DCR baseline (orig↔orig) "
        "| closest_distances_ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines = [
        "## Quality",
        "",
        "All figures come from the project's own metric functions. GaussianCopula has no row "
        "link, so only the link-free privacy metrics are given for it: its output is passed "
        "to `privacy_metrics` as the `unshuffled` table and only `distance_to_closest` and "
        "`closest_distances_ratio` are kept (hidden rate and local cloaking would pair each "
        "original with an unrelated row).",
        "",
        "### Generated table",
        "",
        *header,
    ]
    for n in sorted(set(sizes) | set(peers)):
        if n in ours:
            lines.append(_quality_row(rows_label(n), "avatar", ours[n]))
        if n in peers:
            peer = peers[n]
            lines.append(
                _quality_row(rows_label(n), "GaussianCopula", peer.metrics, peer.error or "")
            )
    lines += ["", "### Real tables", "", *header]
    for name, (table_ours, peer) in real.items():
        k = REAL_TABLES[name]
        label = f"{name} ({table_ours['rows']:.0f} × {table_ours['columns']:.0f})"
        lines.append(_quality_row(label, f"avatar (k = {k})", table_ours))
        lines.append(_quality_row(label, "GaussianCopula", peer.metrics, peer.error or ""))
    notes = []
    for name, (_, peer) in real.items():
        grouped: dict[str, list[str]] = {}
        for column, sdtype in (peer.sdtypes or {}).items():
            if sdtype not in ("numerical", "categorical"):
                grouped.setdefault(sdtype, []).append(column)
        if grouped:
            kinds = "; ".join(f"{t}: {', '.join(cols)}" for t, cols in grouped.items())
            notes.append(f"- {name}: {kinds}")
    if notes:
        lines += [
            "",
            "Columns SDV's auto-detection typed other than numerical/categorical:",
            *notes,
        ]
    return [*lines, ""]


def batching_section(batched: Json, whole: Json, rows: int, batch_rows: int) -> list[str]:
    d_hidden = batched["hidden_rate"] - whole["hidden_rate"]
    d_hellinger = batched["hellinger_mean"] - whole["hellinger_mean"]
    return [
        "## Batching",
        "",
        f"{rows_label(rows)} rows avatarized in batches of {rows_label(batch_rows)} "
        f"({batched['batches']:.0f} batches, neighbours searched within a batch) against one "
        "batch. Acceptance: hidden rate within 2 points, hellinger_mean within 0.02.",
        "",
        "| | avatarize s | hidden rate % | hellinger_mean | correlation_difference_ratio |",
        "|---|---:|---:|---:|---:|",
        f"| batches of {rows_label(batch_rows)} | {fmt(batched['avatarize_s'])} "
        f"| {fmt(batched['hidden_rate'], 2)} | {fmt(batched['hellinger_mean'], 4)} "
        f"| {fmt(batched['correlation_difference_ratio'], 2)} |",
        f"| one batch | {fmt(whole['avatarize_s'])} | {fmt(whole['hidden_rate'], 2)} "
        f"| {fmt(whole['hellinger_mean'], 4)} | {fmt(whole['correlation_difference_ratio'], 2)} |",
        f"| difference | | {d_hidden:+.2f} ({check(abs(d_hidden), 2.0)}) "
        f"| {d_hellinger:+.4f} ({check(abs(d_hellinger), 0.02)}) | |",
        "",
    ]


def exponent_section(
    sizes: list[int], ours: dict[int, Json], floors: dict[int, Json], peers: dict[int, Peer]
) -> list[str]:
    series: list[tuple[str, list[int], list[float]]] = [
        (step, sizes, [ours[n][key] for n in sizes])
        for step, key in (
            ("avatarize", "avatarize_s"),
            ("privacy_metrics", "privacy_s"),
            ("signal_metrics", "signal_s"),
            ("privacy + signal", "metrics_s"),
        )
    ]
    series.append(("floor (SVD + kNN)", sizes, [floors[n]["floor_s"] for n in sizes]))
    timed_peers = [n for n, p in sorted(peers.items()) if p.total_s is not None]
    series.append(
        ("GaussianCopula fit + sample", timed_peers, [peers[n].total_s or 0.0 for n in timed_peers])
    )
    lines = [
        "## Cost exponent",
        "",
        "Least-squares slope of log(time) on log(n) over the sizes run: 1 is linear; "
        "n log n reads about 1.05–1.15 over 10k–1M.",
        "",
        "| step | sizes | exponent |",
        "|---|---|---:|",
    ]
    for step, ns, seconds in series:
        slope = exponent(ns, seconds)
        label = ", ".join(rows_label(n) for n in ns) or "—"
        lines.append(f"| {step} | {label} | {fmt(slope, 2)} |")
    return [*lines, ""]


def targets_section(
    ours: dict[int, Json],
    floors: dict[int, Json],
    sizes: list[int],
    peers: dict[int, Peer],
    real: dict[str, tuple[Json, Peer]],
    batched: Json,
    whole: Json,
    largest: Json,
) -> list[str]:
    def at(n: int, key: str) -> float | None:
        return ours[n][key] if n in ours else None

    rows: list[tuple[str, str, str]] = []

    def add(target: str, value: float | None, limit: float, shown: str, below: bool = True) -> None:
        rows.append((target, shown if value is not None else "—", check(value, limit, below=below)))

    a100, m100 = at(100_000, "avatarize_s"), at(100_000, "metrics_s")
    a1m, m1m, p1m = at(1_000_000, "avatarize_s"), at(1_000_000, "metrics_s"), None
    if 1_000_000 in ours:
        p1m = ours[1_000_000]["peak_rss_mb"] * 1024**2 / 1e9  # the GB: 10^9 bytes
    add("100k: avatarize ≤ 1.5 s", a100, 1.5, f"{fmt(a100)} s")
    add("100k: privacy + signal ≤ 3 s", m100, 3.0, f"{fmt(m100)} s")
    add("1M: avatarize ≤ 20 s", a1m, 20.0, f"{fmt(a1m)} s")
    add("1M: privacy + signal ≤ 30 s", m1m, 30.0, f"{fmt(m1m)} s")
    add("1M: peak RSS ≤ 3 GB", p1m, 3.0, f"{fmt(p1m)} GB")
    for n in sizes:
        ratio = ours[n]["avatarize_s"] / floors[n]["floor_s"]
        add(f"{rows_label(n)}: avatarize ≤ 2× the floor", ratio, 2.0, f"{fmt(ratio, 1)}×")
    peer = peers.get(100_000)
    speedup = None
    if peer is not None and peer.total_s is not None and a100:
        speedup = peer.total_s / a100
    add("100k: ≥ 10× faster than GaussianCopula", speedup, 10.0, f"{fmt(speedup, 1)}×", False)
    for n in sizes:
        value = ours[n]["hellinger_mean"]
        add(f"{rows_label(n)}: hellinger_mean < 0.1", value, 0.1, fmt(value, 3))
    for name, (table_ours, _) in real.items():
        value = table_ours["hellinger_mean"]
        add(f"{name}: hellinger_mean < 0.1", value, 0.1, fmt(value, 3))
    d_hidden = abs(batched["hidden_rate"] - whole["hidden_rate"])
    d_hellinger = abs(batched["hellinger_mean"] - whole["hellinger_mean"])
    add("batching: hidden rate moves ≤ 2 points", d_hidden, 2.0, fmt(d_hidden, 2))
    add("batching: hellinger_mean moves ≤ 0.02", d_hellinger, 0.02, fmt(d_hellinger, 4))
    return [
        "## Targets",
        "",
        "From the issue; each verdict is computed from the figures above (`not measured` when "
        f"the size was not run). Cancellation at {rows_label(sizes[-1])}: max gap "
        f"{fmt(largest['max_gap_s'], 3)} s ({largest['max_gap_between']}).",
        "",
        "| target | measured | verdict |",
        "|---|---:|---|",
        *[f"| {target} | {shown} | {verdict} |" for target, shown, verdict in rows],
        "",
    ]


if __name__ == "__main__":
    main()
