"""Do avatar values on the originals' grid feed the singling-out attack? An experiment.

The engine decodes each number between two neighbouring order statistics of the originals,
then rounds it to the column's decimals and moves it off any value only one original holds
(:mod:`avatar_server.engine.decoding`). On whole numbers or one decimal, the rounding lands
most avatar values on values the originals hold. A singling-out query reaches for the tail a
lone avatar sits in (``x >= v``); with ``v`` on the originals' grid it can fit a training
original exactly. Here the privacy job's own audit release (75 % avatarized at k = 20, 25 %
held out, dates as dates) is attacked twice: as made, and with each number of a column of more
than 10 values moved at random within a quarter of the gap to its neighbouring original
values, off the grid (more decimals than the originals have: a tell no release should carry,
so this measures the effect, it is not a remedy). A lower risk off the grid says the grid
carries part of it.

    .venv/bin/python -m bench.exact_values -> bench/results/exact-values.md
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from avatar_server.engine.attack_risks import RiskEstimate, singling_out_risk
from avatar_server.jobs.attack_audit import audit_release
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import AvatarizationParameters
from bench.common import machine, write_results

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AVATAR_SHARED_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "bench" / "results" / "exact-values.md"
K = 20
WIDE = 10
"""Columns of more than this many distinct values are jittered (the others are codes or
scores, whose values are the point)."""


def read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(SHARED / f"{name}.csv")
    for column in frame.columns:
        if "date" in column:
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def wide_numbers(frame: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() > WIDE
    ]


def jittered(avatars: pd.DataFrame, train: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each wide number moved uniformly within ± a quarter of the gap between the original
    values on either side of it."""
    out = avatars.copy()
    for column in wide_numbers(train):
        values = np.sort(train[column].dropna().unique().astype(float))
        x = avatars[column].to_numpy(dtype=float)
        at = np.searchsorted(values, x)
        below = values[np.clip(at - 1, 0, len(values) - 1)]
        above = values[np.clip(at + 1, 0, len(values) - 1)]
        moved = x + (rng.uniform(size=len(x)) - 0.5) * (above - below) / 2
        out[column] = np.where(np.isnan(x), np.nan, moved)
    return out


def exact_share(avatars: pd.DataFrame, train: pd.DataFrame) -> float:
    columns = wide_numbers(train)
    return float(np.mean([avatars[c].isin(train[c].dropna()).mean() for c in columns]))


def cell(risk: RiskEstimate) -> str:
    return f"{risk.value:.3f} [{risk.low:.3f}, {risk.high:.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tables", default="epl,iris,wbcd")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    load, started = os.getloadavg()[0], time.perf_counter()
    rows: list[str] = []
    for name in [t.strip() for t in args.tables.split(",")]:
        frame = read(name)
        for seed in range(args.seeds):
            chosen = AvatarizationParameters(k=K)
            audit = audit_release(
                PreparedTable(name=name, data=frame), chosen, list(frame.columns), seed=seed
            )
            made = singling_out_risk(
                audit.train, audit.avatars, audit.control, seed=seed, paired=True
            )
            moved_avatars = jittered(audit.avatars, audit.train, np.random.default_rng(seed))
            moved = singling_out_risk(
                audit.train, moved_avatars, audit.control, seed=seed, paired=True
            )
            columns = wide_numbers(audit.train)
            share = "—"
            if columns:
                share = f"{100 * exact_share(audit.avatars, audit.train):.0f} %"
            rows.append(
                f"| {name} | {seed} | {len(columns)} | {share} | {cell(made)} | {cell(moved)} |"
            )
    lines = [
        "# Singling out: the avatars as made, and with their numbers jittered",
        "",
        f"Produced by `python -m bench.exact_values` in {time.perf_counter() - started:.0f} s. "
        + machine(load),
        "",
        f"The privacy job's audit release (75 % avatarized at k = {K}, 25 % held out; seed = "
        "the split's, the engine's and the attack's), attacked by the job's singling-out "
        "function (500 multivariate queries of 3 columns). *Jittered*: each number of a column "
        f"of more than {WIDE} distinct values moved uniformly within ± a quarter of the gap "
        "between the original values on either side. *Exact*: the share of those avatar "
        "numbers that equal some training original's value in their column.",
        "",
        "| table | seed | wide numeric columns | exact | singling out, as made [95 % CI] "
        "| jittered [95 % CI] |",
        "|---|---:|---:|---:|---|---|",
        *rows,
        "",
    ]
    write_results(args.output, lines)


if __name__ == "__main__":
    main()
