"""Processors bench: our ten client-side processors and a chain against the official client's.

For each table size (``bench.processors_data.processor_table``: ids with 1–20 stays, dates,
parts and totals, lat/lon, low-cardinality ints, rare categories, gaps) and each case of
``bench.processors_worker.CASES``, the same worker file runs twice in fresh processes on the same
Parquet file: once with our ``avatars.processors`` (project venv), once with the official
client's (``bench/.venv-official``, made by ``bench/setup-official.sh``). Each reports the median
``preprocess`` / ``postprocess`` time of ``--repeat`` calls and the tracemalloc peak of one more
call, and pickles that call's outputs; this process then compares the two sides' outputs
(max |difference| of numeric cells, count of other cells that differ) and writes the table.

    python -m bench.processors [--rows 100k,1M] [--repeat 5] [--cases datetime,chain]
    python -m bench.processors --rows 10k --repeat 2 --output /tmp/processors.md  # developing
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import write_results
from bench.processors_compare import Agreement, compare
from bench.processors_data import processor_table, shuffled_columns
from bench.processors_worker import CASES, rare_threshold

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "processors.md"
OFFICIAL_PYTHON = Path(__file__).parent / ".venv-official" / "bin" / "python"
WORKER_FILE = Path(__file__).parent / "processors_worker.py"
SLOWER_FACTOR = 2.0

Json = dict[str, Any]

# What docs/processors.md ("Where we differ from the official client") says each case's
# outputs may differ by, for the agreement table.
BY_DESIGN: dict[str, str] = {
    "datetime": "seconds rounded to the source unit, not truncated (same on whole seconds)",
    "expected_mean": "same_std: a zero-std group gets the mean shift alone, not every group",
    "geolocation_normalization": "official: every column turns to object when any is not float",
    "group_modalities": "none for a str column (both one-way: postprocess returns dest)",
    "inter_record_cumulated_difference": (
        "preprocess: the official one encodes each patient in value order whatever "
        "keep_record_order (it only reorders in postprocess), ours in row order with "
        "keep_record_order=True (not in the docs' table); round trip: none"
    ),
    "inter_record_bounded_cumulated_difference": "official resets the index (same on 0..n−1)",
    "inter_record_bounded_range_difference": (
        "official postprocess ignores sort_by_variable and sorts by id unstably: its records "
        "of a patient are decoded out of order"
    ),
    "perturbation": "non-numeric columns drawn by each side's own generator (numbers compared)",
    "proportion": "rounding ties to the earlier column; official leaves rows with a gap unrounded "
    "and all-zero rows NaN",
    "to_categorical": "none",
    "chain": "those of its stages (Datetime, ExpectedMean, Proportion, ToCategorical)",
}
# Why ours is slower where the official method does (almost) nothing.
SLOWER_NOTES: dict[tuple[str, str], str] = {
    ("perturbation", "pre"): "by design: the official preprocess returns its input itself, "
    "ours a copy (no method of ours returns or changes its input)",
    ("group_modalities", "post"): "by design: the official postprocess returns `dest` itself, "
    "ours a copy",
}
# Columns whose values are random draws on each side: not comparable.
RANDOM_COLUMNS: dict[str, list[str]] = {"perturbation": ["category"]}
CASE_LABELS: dict[str, str] = {
    "datetime": "Datetime",
    "expected_mean": "ExpectedMean (income by region, same_std)",
    "geolocation_normalization": "GeolocationNormalization (20 refs × 50 bins)",
    "group_modalities": "GroupModalities (category, rare ≤ 0.05 %)",
    "inter_record_cumulated_difference": "InterRecordCumulatedDifference (keep order)",
    "inter_record_bounded_cumulated_difference": "InterRecordBoundedCumulatedDifference",
    "inter_record_bounded_range_difference": "InterRecordBoundedRangeDifference (sort by visit)",
    "perturbation": "Perturbation (income .5, score .3, category .5)",
    "proportion": "Proportion (3 parts of total, sum to one)",
    "to_categorical": "ToCategorical (threshold 10)",
    "chain": "chain: Datetime → ExpectedMean → Proportion → ToCategorical",
}


@dataclass
class Side:
    """One implementation's report for one case at one size (or why there is none)."""

    report: Json = field(default_factory=dict)
    failed: str | None = None

    def phase(self, name: str) -> Json | None:
        value = self.report.get(name)
        return value if isinstance(value, dict) else None

    def error(self) -> str | None:
        if self.failed is not None:
            return self.failed
        error = self.report.get("error")
        return str(error) if error is not None else None


@dataclass
class Row:
    case: str
    rows: int
    ours: Side
    peer: Side
    agreement: dict[str, Agreement]


def parse_rows(text: str) -> list[int]:
    """``10k,100k,1M`` → [10000, 100000, 1000000]."""
    sizes = []
    for item in text.split(","):
        item = item.strip().lower()
        factor = {"k": 1_000, "m": 1_000_000}.get(item[-1:], 1)
        sizes.append(int(float(item.rstrip("km")) * factor))
    return sizes


def size_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    return f"{rows // 1_000}k" if rows % 1_000 == 0 else str(rows)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def spawn(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Side:
    """Run one worker; its last JSON line is its report, anything else a failure."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Side(failed=f"timed out after {timeout:.0f} s")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Side(failed=f"worker exit {done.returncode}: {tail[:160]}")
    report: Json = json.loads(lines[-1])
    return Side(report=report)


def run_ours(spec: Json, timeout: float) -> Side:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "generated")])
    command = [sys.executable, "-m", "bench.processors_worker", json.dumps(spec)]
    return spawn(command, ROOT, env, timeout)


def run_peer(spec: Json, workdir: Path, timeout: float) -> Side:
    if not OFFICIAL_PYTHON.exists():
        return Side(failed="official client not installed: run bench/setup-official.sh")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # -I: neither the repository nor PYTHONPATH on the path, so ``avatars`` is the official one.
    command = [str(OFFICIAL_PYTHON), "-I", str(WORKER_FILE), json.dumps(spec)]
    return spawn(command, workdir, env, timeout)


def load_output(path: Path) -> Any:
    return pickle.loads(path.read_bytes()) if path.exists() else None


@dataclass
class Limits:
    """How much time the run may spend (see ``main``'s options)."""

    repeat: int
    peer_budget: float
    trace_limit: float
    peer_cap: float
    timeout: float


def projected_call(earlier: list[Row], case: str, rows: int) -> float | None:
    """The official client's slowest call for ``case`` at ``rows``, scaled linearly from the
    largest size measured so far (its slow processors loop over rows in Python)."""
    for row in sorted(earlier, key=lambda row: -row.rows):
        if row.case == case and row.rows < rows:
            medians = [
                phase["median"]
                for phase in (row.peer.phase("pre"), row.peer.phase("post"))
                if phase
            ]
            return max(medians) * rows / row.rows if medians else None
    return None


def measure_case(
    case: str, rows: int, files: tuple[Path, Path], limits: Limits, earlier: list[Row]
) -> Row:
    """Both sides of one case at one size, and how their outputs compare."""
    source, avatars = files
    workdir = source.parent
    sides: dict[str, Side] = {}
    for side in ("ours", "peer"):
        spec: Json = {
            "case": case,
            "repeat": limits.repeat,
            "source": str(source),
            "avatars": str(avatars),
            "out": str(workdir / f"{side}-{case}"),
        }
        started = time.perf_counter()
        if side == "ours":
            sides[side] = run_ours(spec, limits.timeout)
        else:
            projected = projected_call(earlier, case, rows)
            if projected is not None and projected > limits.peer_cap:
                sides[side] = Side(
                    failed=f"not run: ~{projected:.0f} s per call expected "
                    "(its time at the smaller size × the row ratio)"
                )
            else:
                spec["budget"] = limits.peer_budget
                spec["trace_limit"] = limits.trace_limit
                sides[side] = run_peer(spec, workdir, limits.timeout)
        took = time.perf_counter() - started
        say(f"  {case} {side}: {took:.1f} s {sides[side].error() or ''}")
    agreement = {}
    for phase in ("pre", "post"):
        ours = load_output(workdir / f"ours-{case}-{phase}.pkl")
        peer = load_output(workdir / f"peer-{case}-{phase}.pkl")
        if ours is not None and peer is not None:
            agreement[phase] = compare(ours, peer, ignore=RANDOM_COLUMNS.get(case, []))
        for path in workdir.glob(f"*-{case}-{phase}.pkl"):
            path.unlink()
    return Row(case, rows, sides["ours"], sides["peer"], agreement)


def write_table(rows: int, workdir: Path) -> tuple[Path, Path]:
    """The generated table and its column-shuffled copy, as Parquet files both sides read."""
    say(f"{size_label(rows)} rows: generating the table")
    table = processor_table(rows)
    source, avatars = workdir / "source.parquet", workdir / "avatars.parquet"
    table.to_parquet(source)
    shuffled_columns(table).to_parquet(avatars)
    return source, avatars


# --- the results file ------------------------------------------------------------------------


def seconds(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:.0f}"


def missing_cell(side: Side) -> str:
    error = side.error() or "no figure"
    return error if error.startswith("not run") else f"fails: {error}"


def timing_cell(side: Side, phase: str, repeat: int) -> str:
    measured = side.phase(phase)
    if measured is None:
        return missing_cell(side)
    calls = len(measured["times"])
    return seconds(measured["median"]) + (f" (n={calls})" if calls < repeat else "")


def ratio(row: Row, phase: str) -> float | None:
    """ours / official for one phase, when both have a time."""
    ours, peer = row.ours.phase(phase), row.peer.phase(phase)
    if ours and peer and peer["median"] > 0:
        return float(ours["median"] / peer["median"])
    return None


def timing_cells(row: Row, phase: str, repeat: int) -> list[str]:
    """ours s, official s, ratio — or the failure in place of a time."""
    value = ratio(row, phase)
    shown = "—" if value is None else f"{value:.2f}"
    if value is not None and value > SLOWER_FACTOR:
        shown = f"**{shown}**"
    return [timing_cell(row.ours, phase, repeat), timing_cell(row.peer, phase, repeat), shown]


def memory_cells(row: Row) -> list[str]:
    cells = []
    for side in (row.ours, row.peer):
        for phase in ("pre", "post"):
            measured = side.phase(phase)
            if measured is None:
                cells.append("—")
            elif measured["peak_mib"] is None:
                cells.append("not traced")
            else:
                cells.append(f"{measured['peak_mib']:.0f}")
    return cells


def agreement_cell(agreement: Agreement | None) -> str:
    if agreement is None:
        return "— (one side has no output)"
    return agreement.summary()


def slower_cases(measured: list[Row]) -> list[str]:
    """``case — size phase ratio`` for every phase where ours took > 2× the peer."""
    found = []
    for row in measured:
        for phase in ("pre", "post"):
            value = ratio(row, phase)
            if value is None or value <= SLOWER_FACTOR:
                continue
            ours, peer = row.ours.phase(phase), row.peer.phase(phase)
            assert ours is not None and peer is not None
            note = SLOWER_NOTES.get((row.case, phase))
            found.append(
                f"{CASE_LABELS[row.case]} — {size_label(row.rows)} {phase}process "
                f"{value:.1f}× ({seconds(ours['median'])} s vs {seconds(peer['median'])} s)"
                + (f": {note}" if note else "")
            )
    return found


def versions_line(measured: list[Row], side: str) -> str:
    for row in measured:
        report = getattr(row, side).report
        if "versions" in report:
            versions = ", ".join(f"{name} {value}" for name, value in report["versions"].items())
            return f"Python {report['python']}; {versions}"
    return "not run"


def machine_line() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    return f"{cpu}, {os.cpu_count()} cores, {memory} RAM; {platform.system()} {platform.release()}"


def report(
    measured: list[Row],
    sizes: list[int],
    limits: Limits,
    loads: tuple[float, float],
    took: float,
    pending: int,
) -> list[str]:
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    repeat = limits.repeat
    lines = [
        "# Processors benchmark",
        "",
        "Our client-side processors (`avatars.processors`) against the official client's "
        "(`octopize-avatar`), side by side in one run on the same generated tables "
        f"({', '.join(size_label(rows) for rows in sizes)} rows; `bench.processors_data`: "
        "patients with 1–20 stays each, chained stay ranges and a drifting balance, a datetime, "
        "three parts and their total, lat/lon around five cities, low-cardinality ints, 13 "
        "regions with incomes, 400 Zipf-distributed categories; gaps of 1–3 % in the date, a "
        "part, lon, income and category). Produced by `python -m bench.processors` "
        f"(`make bench-processors`) on {today} in {took / 60:.1f} min.",
        "",
        f"- Machine: {machine_line()}",
        f"- Ours: {versions_line(measured, 'ours')}",
        f"- Official: {versions_line(measured, 'peer')}, in `bench/.venv-official` "
        "(`bench/setup-official.sh`)",
        f"- Load average (1 min) at start {loads[0]:.2f}, at end {loads[1]:.2f}. **The machine "
        "was shared and loaded during this run** (2 cores, other sessions running tests): "
        "absolute times are inflated and noisy; the ratios, measured minutes apart on the "
        "same machine, are the figures to read, and small ones (< 1.5×) are within the noise.",
    ]
    if pending:
        lines.append(f"- **Incomplete**: {pending} case(s) not measured yet when this was written.")
    lines += [
        "",
        "## Method",
        "",
        "Each case runs in a fresh process per side, the same worker file "
        "(`bench/processors_worker.py`) for both: it reads the table from one Parquet file, "
        f"builds the processor with the same arguments, and times {repeat} calls of "
        "`preprocess` (a new processor each call), then "
        f"{repeat} calls of `postprocess` (each on a fresh copy of `dest`, copied before the "
        "clock starts: some official `postprocess` methods modify `dest`). Times are medians "
        "of those calls. `dest` is the side's own `preprocess` output (a round trip), except for "
        "Perturbation (its `preprocess` is the identity), whose `dest` is the table with each "
        "column shuffled, standing for avatars. Memory is the **tracemalloc** peak of one more "
        "call of each method, started once the inputs exist: what the call allocates "
        "through Python and numpy (pandas' Arrow-backed `str` columns are not traced, on "
        "either side). The chain is our `ProcessorChain`; the official client has none, so "
        "its stages are chained by hand (preprocess in order, postprocess in reverse). "
        "GroupModalities' threshold is 0.05 % of the rows "
        f"({', '.join(f'{rare_threshold(r)} at {size_label(r)}' for r in sizes)}).",
        "",
        "Time limits, so that the run fits in the time there was (the official client's slow "
        "methods loop over rows in Python): the official side stops repeating a method once "
        f"its calls add up to {limits.peer_budget:g} s (*n=* gives the calls then made); a "
        f"method whose call took over {limits.trace_limit:g} s gets no traced call (*not "
        "traced*), its outputs are then those of its last timed call; and at a larger size the "
        "official side of a case is not run when its slowest call at the smaller size, scaled "
        f"by the row ratio, exceeds {limits.peer_cap:g} s (*not run*, with that estimate). Our "
        f"side always makes its {repeat} calls and the traced one.",
        "",
        f"*ratio* = ours / official; **bold** when ours is more than {SLOWER_FACTOR:g}× slower.",
        "",
    ]
    for rows in sizes:
        at_size = [row for row in measured if row.rows == rows]
        if not at_size:
            continue
        lines += [
            f"## {size_label(rows)} rows",
            "",
            "| processor | pre ours s | pre official s | ratio | post ours s | post official s "
            "| ratio | MiB pre ours | MiB post ours | MiB pre official | MiB post official |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in at_size:
            cells = [
                CASE_LABELS[row.case],
                *timing_cells(row, "pre", repeat),
                *timing_cells(row, "post", repeat),
                *memory_cells(row),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "## Same output on the same input?",
        "",
        "Our output against the official one, per method, from the last call's outputs: "
        "*max |Δ|* over the numeric cells both have (dates in seconds, numbers held in object "
        "columns as numbers), *cells differ*: cells where one side has a value and the other a "
        "gap, plus non-numeric cells that differ; columns or rows only one side has, and "
        "dtypes that differ, are named. The last column says where we expect a difference on "
        "this data, from docs/processors.md (*Where we differ from the official client*).",
        "",
    ]
    for rows in sizes:
        at_size = [row for row in measured if row.rows == rows]
        if not at_size:
            continue
        lines += [
            f"### {size_label(rows)} rows",
            "",
            "| processor | preprocess | postprocess | differences by design |",
            "|---|---|---|---|",
        ]
        for row in at_size:
            lines.append(
                f"| {CASE_LABELS[row.case]} | {agreement_cell(row.agreement.get('pre'))} | "
                f"{agreement_cell(row.agreement.get('post'))} | {BY_DESIGN[row.case]} |"
            )
        lines.append("")
    slower = slower_cases(measured)
    lines += [f"## Ours more than {SLOWER_FACTOR:g}× slower than the official client", ""]
    lines += [f"- {item}" for item in slower] if slower else ["None."]
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", default="100k,1M", help="table sizes, e.g. 10k,100k,1M")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per method")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument(
        "--peer-budget", type=float, default=10.0, help="official: stop repeating after this many s"
    )
    parser.add_argument(
        "--trace-limit", type=float, default=10.0, help="official: no traced call past this many s"
    )
    parser.add_argument(
        "--peer-cap", type=float, default=60.0, help="official: skip a size whose call would exceed"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per worker process")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    unknown = [case for case in cases if case not in CASES]
    if unknown:
        parser.error(f"unknown cases {unknown}; choose among {list(CASES)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    limits = Limits(args.repeat, args.peer_budget, args.trace_limit, args.peer_cap, args.timeout)
    sizes = parse_rows(args.rows)
    start_load = os.getloadavg()[0]
    started = time.perf_counter()
    measured: list[Row] = []
    total = len(sizes) * len(cases)
    with tempfile.TemporaryDirectory(prefix="bench-processors-") as workdir:
        for rows in sizes:
            files = write_table(rows, Path(workdir))
            for case in cases:
                measured.append(measure_case(case, rows, files, limits, measured))
                # Written after every case: a run cut short still leaves its figures.
                lines = report(
                    measured,
                    sizes,
                    limits,
                    (start_load, os.getloadavg()[0]),
                    time.perf_counter() - started,
                    total - len(measured),
                )
                args.output.parent.mkdir(parents=True, exist_ok=True)
                args.output.write_text("\n".join(lines))
    write_results(args.output, lines)
    say(f"results in {args.output}")


if __name__ == "__main__":
    main()
