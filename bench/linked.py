"""Linked tables benchmark: the clinic through our embedded server beside SDV's HMASynthesizer.

What it measures (issue 15, acceptance "Benchmark"):

- the clinic (patient 130, doctor 50, visit 300; ``../shared/data``) avatarized by
  ``avatars.Manager()``'s embedded server (k = 15 / 5 / 10; visits linked to their patient and
  their doctor), with ``linear_sum_assignment`` and with ``minimum_distance_assignment``, timed
  from ``run()`` to the results in hand on a warm server, three ways: the avatarization alone
  (``shuffled`` of every table), with the privacy and signal metrics, and with the reports (the
  PDF downloaded); beside it the server's own job durations and the peak RSS of its job
  workers (VmHWM, reset before each run);
- SDV's ``HMASynthesizer`` on the same tables in the same run, in its own venv
  (``bench/.venv-sdv``, ``make bench-sdv-env``) through ``bench/hma_worker.py``: fit and
  sample times and that process's peak RSS;
- quality, computed by this bench from the released tables only, the same code for every
  system (``bench/linked_quality.py``): integrity, cardinality, cross-table association,
  per-table Hellinger and correlation difference; the originals and the originals with their
  visits' foreign keys permuted (the floor of a re-attachment ignoring the data) alongside;
- scale, ours only: 100k parents × 300k children (``bench.tables.linked_pair``) avatarized
  through a fresh embedded server in a subprocess: time and the peak RSS of its workers.

Figures are medians of ``--repeat`` runs (seeds 0…repeat−1), after one warm-up run per
configuration. Verdicts against the issue's targets are computed from the figures.

    .venv/bin/python -m bench.linked [--repeat 5] [--quick] [--no-hma] [--no-scale]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from avatar_yaml import JobKind, LinkMethod, ReportType
from bench import server_runs
from bench.common import embedded_home
from bench.engine import WorkerFailed, check, fmt, median_of, rows_label, say, spawn
from bench.linked_quality import (
    CLINIC_KEYS,
    CLINIC_LINKS,
    Link,
    Tables,
    random_reattachment,
    score_clinic,
    score_links,
    table_fidelity,
)
from bench.server_runs import Mode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "linked.md"
QUICK_RESULTS = Path(__file__).parent / "results" / "linked-quick.md"
SDV_PYTHON = Path(__file__).parent / ".venv-sdv" / "bin" / "python"
HMA_WORKER = Path(__file__).parent / "hma_worker.py"
SHARED_DATA = Path(os.environ.get("AVATAR_SHARED_DATA", ROOT.parent / "shared" / "data"))
CLINIC_K = {"patient": 15, "doctor": 5, "visit": 10}
SCALE_K = {"person": 20, "event": 20}
SCALE_TARGET = (100_000, 300_000)
SCALE_LINK = Link("person", "person_id", "event", "person_id")
METHODS = (LinkMethod.LINEAR_SUM_ASSIGNMENT, LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT)
UNAVAILABLE = "linked tables not available in this checkout"
GB = 1e9  # the GB: 10^9 bytes

Json = dict[str, Any]


MODES = (
    Mode("avatarization", (JobKind.STANDARD,)),
    Mode(
        "+ privacy and signal metrics",
        (JobKind.STANDARD, JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS),
    ),
    Mode(
        "+ reports",
        (JobKind.STANDARD, JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS, JobKind.REPORT),
    ),
)


# --- is our side there? ----------------------------------------------------------------------


def linked_tables_missing() -> str | None:
    """Why this checkout cannot run linked tables (None: it can). The feature is the
    client's ``Runner.add_link`` and the engine's ``avatar_server.engine.linked``; a server
    that still refuses links says so at the first run (see :func:`measure_clinic`)."""
    from avatars import Runner

    missing = []
    if not hasattr(Runner, "add_link"):
        missing.append("avatars.Runner.add_link")
    if importlib.util.find_spec("avatar_server.engine.linked") is None:
        missing.append("avatar_server.engine.linked")
    return f"{UNAVAILABLE} (missing: {', '.join(missing)})" if missing else None


# --- our side --------------------------------------------------------------------------------


def read_clinic() -> Tables:
    tables = {}
    for name in CLINIC_KEYS:
        path = SHARED_DATA / f"{name}.csv"
        if not path.exists():
            raise SystemExit(f"bench.linked: {path} not found (set AVATAR_SHARED_DATA)")
        tables[name] = pd.read_csv(path)
    return tables


def clinic_runner(manager: Any, clinic: Tables, method: LinkMethod, seed: int) -> Any:
    """The clinic declared as the issue's acceptance tests declare it. Typed ``Any``: the
    bench must type-check in a checkout whose ``Runner`` has no ``add_link`` yet."""
    runner = manager.create_runner(f"bench_clinic_{method.value}", seed=seed)
    runner.add_table("patient", clinic["patient"], primary_key="p_id", individual_level=True)
    runner.add_table("doctor", clinic["doctor"], primary_key="d_id", individual_level=True)
    runner.add_table(
        "visit",
        clinic["visit"],
        primary_key="visit_id",
        foreign_keys=["patient_id", "doctor_id"],
        individual_level=False,
    )
    for link in CLINIC_LINKS:
        runner.add_link(link.parent, link.key, link.child, link.fk, method)
    for name, k in CLINIC_K.items():
        runner.set_parameters(name, k=k)
    return runner


def wait_results(runner: Any, names: Sequence[str], mode: Mode, folder: Path) -> Tables:
    """Every result of ``mode``'s jobs, as a user reads them (each call waits for its job)."""
    released = {name: runner.shuffled(name) for name in names}
    if JobKind.PRIVACY_METRICS in mode.jobs:
        for name in names:
            runner.privacy_metrics(name)
            runner.signal_metrics(name)
    if JobKind.REPORT in mode.jobs:
        for report_type in ReportType:  # a folder gets every file of the report (PDF, HTML)
            runner.download_report(folder / f"report-{report_type.value}", report_type=report_type)
    return released


def run_clinic_once(
    manager: Any, clinic: Tables, method: LinkMethod, mode: Mode, seed: int, folder: Path
) -> tuple[Json, Tables]:
    runner = clinic_runner(manager, clinic, method, seed)
    return server_runs.timed_run(
        manager, runner, mode.jobs, lambda: wait_results(runner, list(CLINIC_KEYS), mode, folder)
    )


@dataclass
class Ours:
    """Our figures per link method: timing per mode, quality of the avatarization runs."""

    timings: dict[str, dict[str, Json]] = field(default_factory=dict)  # method -> mode -> median
    quality: dict[str, Json] = field(default_factory=dict)  # method -> median scores
    error: str | None = None  # the feature is missing: nothing of ours ran
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (method, mode) -> why

    def cell(self, method: str, mode: str) -> str:
        """What a table cell says for a figure we lack (a missing feature heads the results)."""
        if self.error:
            return "not run (see the top)"
        return self.failures.get((method, mode), "not run")


def measure_clinic(clinic: Tables, repeat: int, folder: Path) -> Ours:
    """Every method × mode on one warm embedded server: one warm-up run, then ``repeat``. A
    configuration that fails is reported as such and the others still run."""
    from avatars import Manager

    ours = Ours()
    manager = Manager()

    def run(method: str, mode: Mode, seed: int) -> tuple[Json, Tables]:
        return run_clinic_once(manager, clinic, LinkMethod(method), mode, seed, folder)

    def failure(error: Exception) -> tuple[str, str]:  # e.g. a server refusing links, a failed job
        reason = str(error).splitlines()[0] if str(error) else ""
        return f"failed: {type(error).__name__}: {reason}", str(error)

    def scored(method: str, runs: list[Tables]) -> None:
        ours.quality[method] = median_of([score_clinic(clinic, released) for released in runs])

    methods = [method.value for method in METHODS]
    server_runs.measure_modes(ours, methods, MODES, run, repeat, failure, scored)
    return ours


# --- scale (ours only, its own process and server) -------------------------------------------


def worker_scale(spec: Json) -> Json:
    """100k × 300k (or ``spec``'s sizes) on a fresh embedded server in this process (see
    ``bench.server_runs.scale_run``), linked with ``spec``'s method; with the link and table
    figures of the release."""
    from bench.tables import linked_pair

    parent, child = linked_pair(spec["parents"], spec["children"], seed=spec["seed"])
    figures, released = server_runs.scale_run(
        "bench_linked_scale",
        ("event", "event_id", {"individual_level": False}),
        LinkMethod(spec["method"]),
        SCALE_K,
        lambda s: linked_pair(2_000, 6_000, seed=s),
        (parent, child),
        spec["seed"],
    )
    original = {"person": parent, "event": child}
    result: Json = {
        "parents": len(parent),
        "children": len(child),
        **figures,
        **score_links(original, released, [SCALE_LINK]),
        **table_fidelity(
            original, released, {"person": ["person_id"], "event": ["event_id", "person_id"]}
        ),
    }
    return result


def measure_scale(parents: int, children: int, repeat: int, method: LinkMethod) -> Json:
    spec = {"parents": parents, "children": children, "method": method.value}
    size = f"{rows_label(parents)} × {rows_label(children)}"
    return server_runs.scale_runs("bench.linked", spec, size, repeat)


WORKERS = {"scale": worker_scale}


# --- the peer --------------------------------------------------------------------------------


@dataclass
class Peer:
    timing: Json | None = None
    quality: Json | None = None
    error: str | None = None


def measure_hma(clinic: Tables, repeat: int, folder: Path) -> Peer:
    """HMASynthesizer fit + sample at scale 1, ``repeat`` fresh processes (seeds 0…)."""
    if not SDV_PYTHON.exists():
        return Peer(error="SDV not available (run `make bench-sdv-env`)")
    source = folder / "clinic"
    source.mkdir(parents=True, exist_ok=True)
    for name, frame in clinic.items():
        frame.to_parquet(source / f"{name}.parquet", index=False)
    timings, scores = [], []
    try:
        for seed in range(repeat):
            out = folder / f"hma-{seed}"
            command = [str(SDV_PYTHON), str(HMA_WORKER), str(source), str(out), "--seed", str(seed)]
            timings.append(spawn(command, f"hma seed={seed}"))
            released = {name: pd.read_parquet(out / f"{name}.parquet") for name in CLINIC_KEYS}
            scores.append(score_clinic(clinic, released))
    except (WorkerFailed, OSError) as error:
        say(str(error))
        return Peer(error=f"HMA failed ({str(error).splitlines()[0]})")
    timing = median_of(timings)
    timing["total_s"] = timing["fit_s"] + timing["sample_s"]
    timing["worst_s"] = max(run["fit_s"] + run["sample_s"] for run in timings)
    return Peer(timing=timing, quality=median_of(scores))


# --- report ----------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return fmt(None if value is None else 100 * value, 1, " %")


CROSS_TABLE: tuple[tuple[str, str, bool], ...] = (
    # (score key, label, higher is better regardless of the original)
    *((f"{link.label}.integrity", f"integrity {link.label}", True) for link in CLINIC_LINKS),
    *(
        (f"{link.label}.hellinger", f"cardinality {link.label} (Hellinger)", False)
        for link in CLINIC_LINKS
    ),
    ("v_job_exam", "Cramér's V(doctor job, visit exam)", False),
    ("pediatrics_share", "pediatrics visits on a pediatrician", False),
    ("corr_doctor_age_pediatrics", "corr(doctor age, pediatrics)", False),
    ("corr_visits_weight", "corr(visits per patient, weight)", False),
)


def error_to_original(scores: Json, reference: Json, key: str, higher: bool) -> float | None:
    """How far a figure is from the best: 1 − value for integrity, else |value − original|
    (a Hellinger distance is already a distance to the original)."""
    value = scores.get(key)
    if value is None:
        return None
    if higher:
        return 1.0 - float(value)
    if key.endswith(".hellinger"):
        return float(value)
    return abs(float(value) - float(reference[key]))


def quality_rows(
    original: Json, floor: Json, ours: Ours, peer: Peer
) -> list[tuple[str, Json | None, str]]:
    rows: list[tuple[str, Json | None, str]] = [("originals (reference)", original, "")]
    for method in METHODS:
        rows.append(
            (
                f"avatars, {method.value}",
                ours.quality.get(method.value),
                ours.cell(method.value, MODES[0].name),
            )
        )
    rows.append(("SDV HMASynthesizer", peer.quality, peer.error or "not run"))
    rows.append(("originals, visits' keys permuted (floor)", floor, ""))
    return rows


def relation_section(rows: list[tuple[str, Json | None, str]]) -> list[str]:
    header = "| release | " + " | ".join(
        f"{link.label}: integrity | Hellinger | mean | sd | max" for link in CLINIC_LINKS
    )
    lines = [
        "### Integrity and cardinality",
        "",
        "Integrity: share of the visits whose foreign key names a released parent. Cardinality: "
        "children per parent (0 for a childless parent) over the released parents; Hellinger "
        "distance between its distribution and the original's (0: the same multiset).",
        "",
        f"{header} |",
        "|---|" + "---:|" * 5 * len(CLINIC_LINKS),
    ]
    for label, scores, missing in rows:
        if scores is None:
            lines.append(f"| {label} | {missing} |" + " |" * (5 * len(CLINIC_LINKS) - 1))
            continue
        cells = []
        for link in CLINIC_LINKS:
            prefix = link.label
            cells += [
                pct(scores.get(f"{prefix}.integrity")),
                fmt(scores.get(f"{prefix}.hellinger"), 3),
                fmt(scores.get(f"{prefix}.mean"), 2),
                fmt(scores.get(f"{prefix}.sd"), 2),
                fmt(scores.get(f"{prefix}.max"), 0),
            ]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return [*lines, ""]


def association_section(rows: list[tuple[str, Json | None, str]]) -> list[str]:
    lines = [
        "### Cross-table association",
        "",
        "On the visits joined to their released doctor (and patient). Pediatrics on a "
        "pediatrician: visits with exam = pediatrics whose doctor's job is pediatrician, over "
        "all pediatrics visits. Correlations are Pearson's: the doctor's age with the visit "
        "being pediatrics (point-biserial), and each patient's number of visits with their "
        "weight.",
        "",
        "| release | V(job, exam) | pediatrics on a pediatrician | corr(doctor age, pediatrics) "
        "| corr(visits per patient, weight) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, scores, missing in rows:
        if scores is None:
            lines.append(f"| {label} | {missing} | | | |")
            continue
        count = scores.get("pediatrics_on_pediatrician")
        total = scores.get("pediatrics_visits")
        share = pct(scores.get("pediatrics_share"))
        lines.append(
            f"| {label} | {fmt(scores.get('v_job_exam'), 3)} "
            f"| {fmt(count, 0)}/{fmt(total, 0)} ({share}) "
            f"| {fmt(scores.get('corr_doctor_age_pediatrics'), 3)} "
            f"| {fmt(scores.get('corr_visits_weight'), 3)} |"
        )
    return [*lines, ""]


def fidelity_section(rows: list[tuple[str, Json | None, str]]) -> list[str]:
    lines = [
        "### Per table",
        "",
        "Hellinger mean: mean over the table's non-key columns of the Hellinger distance between "
        "original and released marginals (categories: modality shares; numbers: shares in the "
        "original's quantile bins, open at both ends, about 10 rows per bin and at most 20). "
        "Correlation difference: mean |r_original − r_released| of Pearson's r over the pairs "
        "of numeric columns (— : fewer than two). *joined*: each visit with its patient's and "
        "its doctor's attributes, so its pairs cross tables.",
        "",
        "| release | patient H | patient Δr | doctor H | visit H | joined H | joined Δr |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, scores, missing in rows[:-1]:  # the permuted floor keeps every table as is
        if scores is None:
            lines.append(f"| {label} | {missing} | | | | | |")
            continue
        lines.append(
            f"| {label} | {fmt(scores.get('patient.hellinger_mean'), 3)} "
            f"| {fmt(scores.get('patient.correlation_difference'), 3)} "
            f"| {fmt(scores.get('doctor.hellinger_mean'), 3)} "
            f"| {fmt(scores.get('visit.hellinger_mean'), 3)} "
            f"| {fmt(scores.get('joined.hellinger_mean'), 3)} "
            f"| {fmt(scores.get('joined.correlation_difference'), 3)} |"
        )
    return [*lines, ""]


def hma_row(t: Json) -> str:
    return (
        f"| SDV HMASynthesizer | — | fit + sample | {fmt(t['total_s'], 3)} "
        f"| {fmt(t.get('worst_s'), 3)} | fit {fmt(t['fit_s'], 3)} + sample "
        f"{fmt(t['sample_s'], 3)} | — | {fmt(t['peak_rss_mb'], 0)} |"
    )


def timing_section(ours: Ours, peer: Peer) -> list[str]:
    return server_runs.timing_section(
        "Time and memory on the clinic",
        server_runs.timing_intro(
            "; then every report type, PDF and HTML, downloaded",
            " (so it is this run's peak, interpreter and imports included)",
            "HMA: fit + sample at scale 1 in a fresh process, its own VmHWM.",
        ),
        "link method",
        [method.value for method in METHODS],
        [mode.name for mode in MODES],
        ours,
        "SDV HMASynthesizer",
        peer,
        hma_row,
    )


def scale_section(scale: Json | None, error: str | None, parents: int, children: int) -> list[str]:
    intro = (
        f"`bench.tables.linked_pair`: {rows_label(parents)} persons (age, sex, region, income) × "
        f"{rows_label(children)} events (amount, kind, weekday, duration; each event's person "
        "drawn with a propensity growing with age, some persons without events), linked "
        f"person_id → event.person_id, k = {SCALE_K['person']} / {SCALE_K['event']}, "
        "avatarization only, on a fresh embedded server in its own process (both job workers "
        "warmed by a small run first). *run → shuffled*: `run()` to both tables' `shuffled` in "
        "hand (upload before `run()`, timed apart). *workers' peak*: the largest VmHWM among "
        "the job workers, reset before the run; *embedded process*: the bench process holding "
        "the client and the API server (the generated and uploaded tables, the downloads). "
        "HMA is not run at this size."
    )
    link = SCALE_LINK.label
    return server_runs.scale_table(
        intro,
        scale,
        error,
        ["integrity", "children per person: Hellinger", "person H", "event H"],
        lambda scale: [
            pct(scale.get(f"{link}.integrity")),
            fmt(scale.get(f"{link}.hellinger"), 3),
            fmt(scale.get("person.hellinger_mean"), 3),
            fmt(scale.get("event.hellinger_mean"), 3),
        ],
    )


def against_hma(original: Json, ours: Ours, peer: Peer) -> list[str]:
    """Each cross-table figure's distance to the original's, ours beside HMA's."""
    lines = [
        "### Cross-table figures against HMA",
        "",
        "Distance of each figure to the original's: 1 − value for integrity, the Hellinger "
        "distance itself for cardinality, |value − original| otherwise (0 is best).",
        "",
        "| figure | original | "
        + " | ".join(f"avatars, {m.value}" for m in METHODS)
        + " | SDV HMASynthesizer |",
        "|---|---:|" + "---:|" * (len(METHODS) + 1),
    ]
    for key, label, higher in CROSS_TABLE:
        cells = [
            fmt(error_to_original(scores, original, key, higher), 3) if scores else "—"
            for scores in [*(ours.quality.get(m.value) for m in METHODS), peer.quality]
        ]
        lines.append(f"| {label} | {fmt(original[key], 3)} | {' | '.join(cells)} |")
    return [*lines, ""]


def not_worse_than_hma(original: Json, scores: Json | None, peer: Peer) -> tuple[str, str]:
    """(measured, verdict) of "every cross-table figure at least HMA's" for one method."""
    if scores is None or peer.quality is None:
        return "—", "not measured"
    worse = []
    for key, label, higher in CROSS_TABLE:
        ours_error = error_to_original(scores, original, key, higher)
        hma_error = error_to_original(peer.quality, original, key, higher)
        if ours_error is None or hma_error is None or ours_error > hma_error + 1e-12:
            worse.append(label)
    shown = f"{len(CROSS_TABLE) - len(worse)}/{len(CROSS_TABLE)}"
    if worse:
        return f"{shown} (not: {'; '.join(worse)})", "**not met**"
    return shown, "met"


def targets_section(
    original: Json, ours: Ours, peer: Peer, scale: Json | None, target_size: bool
) -> list[str]:
    rows: list[tuple[str, str, str]] = []

    def add(target: str, value: float | None, limit: float, shown: str, below: bool = True) -> None:
        rows.append((target, shown if value is not None else "—", check(value, limit, below=below)))

    lsa = ours.timings.get(LinkMethod.LINEAR_SUM_ASSIGNMENT.value, {})
    with_metrics = lsa.get(MODES[1].name, {}).get("elapsed_s")
    with_reports = lsa.get(MODES[2].name, {}).get("elapsed_s")
    add("clinic with its metrics < 2 s (warm, LSA)", with_metrics, 2.0, f"{fmt(with_metrics, 3)} s")
    add("clinic with the reports < 5 s (warm, LSA)", with_reports, 5.0, f"{fmt(with_reports, 3)} s")
    if scale is not None and not target_size:
        size = f"{rows_label(scale['parents'])} × {rows_label(scale['children'])}"
        rows.append(("100k × 300k avatarized < 60 s, < 3 GB", f"run at {size}", "not measured"))
    else:
        scale_s = scale["elapsed_s"] if scale else None
        peak = scale["worker_peak_mb"] if scale else None
        scale_gb = peak * 1024**2 / GB if peak else None
        add("100k × 300k avatarized < 60 s", scale_s, 60.0, f"{fmt(scale_s, 1)} s")
        add("100k × 300k: workers' peak RSS < 3 GB", scale_gb, 3.0, f"{fmt(scale_gb, 2)} GB")
    for method in METHODS:
        scores = ours.quality.get(method.value)
        v = scores.get("v_job_exam") if scores else None
        gap = abs(v - original["v_job_exam"]) if v is not None else None
        target_v = f"{method.value}: V(job, exam) within ±0.1 of {fmt(original['v_job_exam'], 2)}"
        add(target_v, gap, 0.1, fmt(v, 3))
        share = scores.get("pediatrics_share") if scores else None
        target_share = f"{method.value}: ≥ 80 % of pediatrics visits on a pediatrician"
        add(target_share, share, 0.8, pct(share), below=False)
        for link in CLINIC_LINKS:
            h = scores.get(f"{link.label}.hellinger") if scores else None
            add(
                f"{method.value}: children per parent kept exactly ({link.label})",
                h,
                0.0,
                fmt(h, 3),
            )
        shown, verdict = not_worse_than_hma(original, scores, peer)
        rows.append((f"{method.value}: every cross-table figure at least HMA's", shown, verdict))
    return server_runs.targets_table(
        "From the issue; each verdict is computed from the figures above (`not measured` when a "
        "side did not run). *At least HMA's*: the distance to the original's figure (table "
        "*Cross-table figures against HMA*) is at most HMA's, for every figure of that table.",
        rows,
    )


def report(
    *,
    args: argparse.Namespace,
    ours: Ours,
    peer: Peer,
    original: Json,
    floor: Json,
    scale: Json | None,
    scale_error: str | None,
    load: tuple[float, float],
    elapsed: float,
) -> list[str]:
    rows = quality_rows(original, floor, ours, peer)
    lines = [
        *server_runs.report_head(
            "Linked tables benchmark",
            args.quick,
            [f"**Our side did not run: {ours.error}.**"] if ours.error else [],
            "The clinic (`patient` 130 × 5, `doctor` 50 × 3, `visit` 300 × 5; visits linked to "
            f"their patient and their doctor), k = {CLINIC_K['patient']} / {CLINIC_K['doctor']} / "
            f"{CLINIC_K['visit']}; median of {args.repeat} run(s) (seeds 0…{args.repeat - 1}) "
            "after one warm-up run per configuration. "
            + server_runs.produced_by("bench.linked", "bench-linked", elapsed),
        ),
        *server_runs.context_lines(peer.timing, peer.error, load),
        *timing_section(ours, peer),
        "## Quality on the clinic",
        "",
        "Computed by this bench from the released tables only, the same code for every system "
        "(`bench/linked_quality.py`); a system's own metrics are not read. Medians over the "
        "runs. HMA: `HMASynthesizer` with auto-detected metadata, then the primary keys and "
        "both relationships set explicitly (`bench/hma_worker.py`), default settings, sampled "
        "at scale 1 (130 patients, 50 doctors; HMA draws the visits per parent). The permuted "
        "floor keeps every table and every parent's number of children, and loses which "
        "parents a visit had.",
        "",
        *relation_section(rows),
        *association_section(rows),
        *fidelity_section(rows),
        *against_hma(original, ours, peer),
        *scale_section(scale, scale_error, *args.scale_size),
        *targets_section(original, ours, peer, scale, args.scale_size == SCALE_TARGET),
    ]
    return lines


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    args = server_runs.parse_arguments(
        __doc__.splitlines()[0] if __doc__ else None,
        scale="100k,300k",
        scale_usage="PARENTS,CHILDREN",
        quick_scale="10k,30k",
        skip_peer=("--no-hma", "skip HMASynthesizer"),
        own=lambda parser: None,
        workers=WORKERS,
        results=RESULTS,
        quick_results=QUICK_RESULTS,
    )
    if args is None:
        return
    started = time.perf_counter()
    clinic = read_clinic()
    original = score_clinic(clinic, clinic)
    floor = median_of(
        [score_clinic(clinic, random_reattachment(clinic, seed)) for seed in range(args.repeat)]
    )
    missing = linked_tables_missing()
    with tempfile.TemporaryDirectory(prefix="bench-linked-") as folder:
        work = Path(folder)
        say("HMASynthesizer on the clinic")
        peer = (
            Peer(error="not run (--no-hma)")
            if args.no_hma
            else measure_hma(clinic, args.repeat, work)
        )
        with embedded_home("bench-linked-") as load_start:
            if missing:
                ours = Ours(error=missing)
            else:
                say("ours on the clinic")
                ours = measure_clinic(clinic, args.repeat, work)
        scale: Json | None = None
        scale_error = ours.error and "our side did not run (above)"
        scale_error = scale_error or ("--no-scale" if args.no_scale else None)
        if scale_error is None:
            parents, children = args.scale_size
            scale, scale_error = server_runs.try_scale(
                lambda: measure_scale(
                    parents, children, args.scale_repeat, LinkMethod.LINEAR_SUM_ASSIGNMENT
                )
            )
    lines = report(
        args=args,
        ours=ours,
        peer=peer,
        original=original,
        floor=floor,
        scale=scale,
        scale_error=scale_error,
        load=(load_start, os.getloadavg()[0]),
        elapsed=time.perf_counter() - started,
    )
    server_runs.results_written(args.output, lines)
    problems = [ours.error] if ours.error else []
    problems += [f"{method}, {mode}: {why}" for (method, mode), why in ours.failures.items()]
    server_runs.exit_on_problems("bench.linked", problems, scale_error)


if __name__ == "__main__":
    main()
