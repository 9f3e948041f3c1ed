"""Does the singling-out risk read 0 when nothing leaks? A null experiment at the audit's sizes.

The privacy job's audit avatarizes 75 % of the rows and holds out 25 % as control; a release
then has as many rows as the training originals. Here the release is made of *other people*:
real rows of the same table, disjoint from training and control, as many as the training rows.
It tells nothing about anyone in training, so a sound risk reads 0 (its interval holding 0).

Per split: the table cut into release (3/8), training (3/8) and control (1/8) rows, the
audit's 3 : 1; 500 multivariate queries of 3 columns made from the release. Four ways to read
the control: the raw counts, each side on all its rows (what the job did until 2026-12-07);
anonymeter's fitted size correction of the control count (its model, fitted here to exact
hypergeometric expectations at sizes up to the control's); each side judged on samples of the
smaller side's size (``attack_queries.equal_size_successes``, what the job does now); and,
with the anonymeter venv (``make bench-anonymeter-env``), the package's own multivariate risk on
the same frames. A leak check beside it: the training rows released as they are, row for row,
judged the job's way (paired) must read near 1.

    .venv/bin/python -m bench.singling_out_control [--splits 5]
        -> bench/results/singling-out-control.md
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit
from scipy.special import gammaln

from avatar_server.engine.attack_gower import build_space
from avatar_server.engine.attack_queries import (
    Queries,
    equal_size_successes,
    match_counts,
    singling_out_queries,
)
from avatar_server.engine.attack_risks import RiskEstimate, estimate, singling_out_risk
from avatars.demo import make_demo_table
from bench.attacks import (
    ANONYMETER_PYTHON,
    ANONYMETER_WORKER,
    DEMO_IDENTIFIERS,
    attack_frame,
    date_columns,
    load_tables,
    spawn,
)
from bench.common import write_results

RESULTS = Path(__file__).parent / "results" / "singling-out-control.md"
TABLES = ("wbcd", "epl", "iris", "demo")


def log_choose(n: np.ndarray | float, k: int) -> np.ndarray:
    return np.asarray(gammaln(n + 1) - gammaln(k + 1) - gammaln(np.asarray(n) - k + 1))


def lone_in_subsets(counts: np.ndarray, population: int, size: int) -> float:
    """Expected number of queries matching exactly one row of a random ``size``-row subset,
    each query matching ``counts`` rows of the ``population`` (hypergeometric, exact)."""
    c = counts[(counts >= 1) & (population - counts >= size - 1)].astype(np.float64)
    logs = np.log(c) + log_choose(population - c, size - 1) - log_choose(population, size)
    return float(np.exp(logs).sum())


def size_model(n: np.ndarray, weight: float, scale: float) -> np.ndarray:
    """scale x the mean over w in [0, weight] of n w (1 - w)^(n - 1): the share of queries
    singling out one of n rows when their match probabilities spread evenly up to weight."""
    return np.asarray(scale * (1 - (n * weight + 1) * (1 - weight) ** n) / ((n + 1) * weight))


def corrected(control_counts: np.ndarray, n_control: int, n_train: int) -> float:
    observed = float(np.sum(control_counts == 1))
    if observed == 0:
        return 0.0
    sizes = np.unique(np.linspace(max(2, n_control // 4), n_control, 10).astype(np.int64))
    expected = np.array([lone_in_subsets(control_counts, n_control, int(s)) for s in sizes])
    try:
        (weight, scale), _ = curve_fit(
            size_model,
            sizes.astype(np.float64),
            expected,
            p0=(1.0 / n_control, expected.max()),
            bounds=((1e-9, 0.0), (1.0, np.inf)),
            maxfev=5000,
        )
    except (RuntimeError, ValueError):
        return observed
    ratio = float(size_model(np.array([n_train]), weight, scale)[0]) / float(
        size_model(np.array([n_control]), weight, scale)[0]
    )
    return observed * ratio if math.isfinite(ratio) else observed


def parts_of(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Training (3/8), control (1/8) and release (3/8) rows, disjoint, at random."""
    order = np.random.default_rng(seed).permutation(len(df))
    n = len(df)
    bounds = ((0, 3 * n // 8), (3 * n // 8, n // 2), (n // 2, n // 2 + 3 * n // 8))
    train, control, release = (df.iloc[order[a:b]].reset_index(drop=True) for a, b in bounds)
    return train, control, release


def one_split(df: pd.DataFrame, seed: int) -> tuple[int, dict[str, RiskEstimate]]:
    train_rows, control_rows, release_rows = parts_of(df, seed)
    dates = date_columns(train_rows)
    train, control, release = (
        attack_frame(p, train_rows, dates) for p in (train_rows, control_rows, release_rows)
    )
    space = build_space(train, release, control)
    rng = np.random.default_rng(seed)
    queries: Queries = singling_out_queries(space, 500, 3, 100_000, rng)
    made = len(queries)
    in_train = float(np.sum(match_counts(space.train, queries) == 1))
    control_counts = match_counts(space.control, queries)
    fitted = corrected(control_counts, len(control), len(train))
    equal_train, equal_control = equal_size_successes(
        space.train, space.control, queries, paired=False
    )
    found = {
        "raw": estimate(in_train, made, float(np.sum(control_counts == 1)), made, 0, made),
        "corrected": estimate(in_train, made, fitted, made, 0, made),
        "equal sizes": estimate(equal_train, made, equal_control, made, 0, made),
        "leak, paired": singling_out_risk(train, train, control, seed=seed, paired=True),
    }
    theirs = anonymeter_risk(train, control, release, seed)
    if theirs is not None:
        found["anonymeter"] = theirs
    return made, found


def anonymeter_risk(
    train: pd.DataFrame, control: pd.DataFrame, release: pd.DataFrame, seed: int
) -> RiskEstimate | None:
    """The package's multivariate singling-out risk on the same frames (None without the
    anonymeter venv)."""
    if not ANONYMETER_PYTHON.exists():
        return None
    with tempfile.TemporaryDirectory(prefix="singling-out-control-") as folder:
        paths = [Path(folder) / f"{name}.parquet" for name in ("train", "control", "release")]
        for frame, path in zip((train, control, release), paths, strict=True):
            frame.to_parquet(path, index=False)
        found = spawn(
            [
                str(ANONYMETER_PYTHON),
                str(ANONYMETER_WORKER),
                *map(str, paths),
                "--seed",
                str(seed),
                "--only",
                "singling_out_multivariate",
            ]
        )["singling_out_multivariate"]
    low, high = found["ci"]
    return RiskEstimate(float(found["risk"]), float(low), float(high), 0, 0, 0, 0, 0)


def summary(risks: list[RiskEstimate]) -> str:
    """Mean point risk over the splits, and how many intervals leave 0 out (false alarms)."""
    alarms = sum(r.low > 0 for r in risks)
    return f"{np.mean([r.value for r in risks]):.3f} ({alarms} of {len(risks)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args()
    tables = load_tables(list(TABLES))
    tables["demo 8000"] = make_demo_table(8000, seed=0).drop(columns=list(DEMO_IDENTIFIERS))
    readings = ["raw", "corrected", "equal sizes", "anonymeter", "leak, paired"]
    lines = [
        "# Singling out under a null release, at the audit's sizes",
        "",
        "Produced by `python -m bench.singling_out_control` (see its docstring for the design). "
        f"{args.splits} splits per table: training 3/8 of the rows, control 1/8 (the audit's "
        "3 : 1), the release 3/8: other people of the table, as many as the training rows, "
        "so nothing in it is about anyone in training. 500 queries of 3 columns made from the "
        "release. Each cell: the mean singling-out risk over the splits, then in brackets how "
        "many of the splits' 95 % intervals leave 0 out (a false alarm). *raw*: each side on "
        "all its rows; *corrected*: anonymeter's fitted size correction of the control count; "
        "*equal sizes*: each side judged on samples of the control's size, as the privacy job "
        "does; *anonymeter*: the package's own risk; *leak, paired*: the training rows "
        "released row for row, judged as the job judges an audit (must read near 1).",
        "",
        "| table | rows | queries | " + " | ".join(readings) + " |",
        "|---|---:|---:|" + "---|" * len(readings),
    ]
    for name, df in tables.items():
        made, rows = zip(*(one_split(df, seed) for seed in range(args.splits)), strict=True)
        cells = [
            summary([r[key] for r in rows]) if all(key in r for r in rows) else "—"
            for key in readings
        ]
        lines.append(f"| {name} | {len(df)} | {np.mean(made):.0f} | " + " | ".join(cells) + " |")
    write_results(RESULTS, [*lines, ""])


if __name__ == "__main__":
    main()
