"""Which control count should the singling-out risk use? A null experiment.

The singling-out attack is checked on the training originals (70 % of the rows in the bench)
and on control originals (30 %). A query singles out more or less easily in a smaller table,
so anonymeter rescales the control count to the training size with a fitted model (and with
fewer than 1000 control rows its fit sees one size only). Is a correction better than the raw
count? Here the truth is known: the release is a third, disjoint part of the table with its
columns shuffled (people of the same population, none of them in training), so the training
rows' singling-out count is itself a draw of what the control count should estimate.

For each table and split: train 50 %, control 20 %, the release made from the remaining 30 %;
500 multivariate queries (``avatar_server.engine.attack_queries``); three estimates of the
training count: the raw control count, the size-corrected one (anonymeter's model, fitted here
to exact hypergeometric expectations at sizes up to the control's), and the count on a random
subsample of the training rows of the control's size (no estimate needed, the bar to beat).
With the anonymeter venv (``make bench-anonymeter-env``), the package's own multivariate attack
runs on the same frames too: its corrected control count against its own training count.

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
from avatar_server.engine.attack_queries import Queries, match_counts, singling_out_queries
from bench.attacks import (
    ANONYMETER_PYTHON,
    ANONYMETER_WORKER,
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


def one_split(df: pd.DataFrame, seed: int) -> dict[str, float]:
    order = np.random.default_rng(seed).permutation(len(df))
    n = len(df)
    parts = [
        df.iloc[order[a:b]].reset_index(drop=True)
        for a, b in ((0, n // 2), (n // 2, int(0.7 * n)), (int(0.7 * n), n))
    ]
    dates = date_columns(parts[0])
    train, control, others = (attack_frame(p, parts[0], dates) for p in parts)
    rng = np.random.default_rng(seed)
    release = pd.DataFrame({c: rng.permutation(others[c].to_numpy()) for c in others.columns})
    space = build_space(train, release, control)
    queries: Queries = singling_out_queries(space, 500, 3, 100_000, rng)
    subsample = space.train[rng.permutation(len(train))[: len(control)]]
    control_counts = match_counts(space.control, queries)
    theirs = anonymeter_counts(train, control, release, seed)
    return {
        **theirs,
        "queries": len(queries),
        "truth": float(np.sum(match_counts(space.train, queries) == 1)),
        "raw": float(np.sum(control_counts == 1)),
        "corrected": corrected(control_counts, len(control), len(train)),
        "train subsample": float(np.sum(match_counts(subsample, queries) == 1)),
    }


def anonymeter_counts(
    train: pd.DataFrame, control: pd.DataFrame, release: pd.DataFrame, seed: int
) -> dict[str, float]:
    """The package's multivariate singling out on the same frames: its training count and its
    corrected control count (empty without the anonymeter venv)."""
    if not ANONYMETER_PYTHON.exists():
        return {}
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
    return {"anonymeter truth": float(found["n_success"]), "anonymeter": float(found["n_control"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args()
    tables = load_tables(list(TABLES))
    estimates = ["raw", "corrected", "train subsample"]
    lines = [
        "# Singling out: which control count estimates the training one under a null",
        "",
        "Produced by `python -m bench.singling_out_control` (see its docstring for the design). "
        f"{args.splits} splits per table; train 50 %, control 20 %, release from the other "
        "30 % with its columns shuffled; 500 queries of 3 columns. Each cell: mean error "
        "(estimate − training count) over the splits, then the mean absolute error, in queries "
        "of 500. The training count itself is in the first column (mean).",
        "",
        "| table | queries | training count | "
        + " | ".join(estimates)
        + " | anonymeter 1.1.0's corrected control (error vs its own training count) |",
        "|---|---:|---:|" + "---|" * (len(estimates) + 1),
    ]
    for name, df in tables.items():
        rows = [one_split(df, seed) for seed in range(args.splits)]
        truth = np.array([r["truth"] for r in rows])
        cells = []
        for key in estimates:
            error = np.array([r[key] for r in rows]) - truth
            cells.append(f"{error.mean():+.1f} (±{np.abs(error).mean():.1f})")
        if "anonymeter" in rows[0]:
            error = np.array([r["anonymeter"] - r["anonymeter truth"] for r in rows])
            theirs_truth = np.mean([r["anonymeter truth"] for r in rows])
            cells.append(f"{error.mean():+.1f} (±{np.abs(error).mean():.1f}) of {theirs_truth:.1f}")
        queries = np.mean([r["queries"] for r in rows])
        lines.append(f"| {name} | {queries:.0f} | {truth.mean():.1f} | " + " | ".join(cells) + " |")
    write_results(RESULTS, [*lines, ""])


if __name__ == "__main__":
    main()
