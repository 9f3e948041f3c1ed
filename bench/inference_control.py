"""Does the worst-secret inference risk read 0 when nothing leaks? A null experiment.

The privacy job reports inference as the risk of one secret, the worst. Which one is worst is
itself read from the attacks, and taking the highest of a dozen noisy per-secret risks reads
noise as a leak. Here the release is made of *other people* (real rows of the same table,
disjoint from training and control, as many as the training rows; the parts of
``bench.singling_out_control``), so a sound reading of the worst secret sits near 0. Two
readings on the same attacks: the secret with the highest point risk (what the job reported
until 2026-12-08) and the secret picked on one half of the attacks and measured on the other
(``attack_risks.worst_inference``, what it reports now). A leak check beside them: the
training rows released as they are must read high.

    .venv/bin/python -m bench.inference_control [--splits 10]
        -> bench/results/inference-control.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from avatar_server.engine.attack_risks import RiskEstimate, worst_inference
from avatar_server.engine.results import ATTACK_TARGETS
from avatars.demo import make_demo_table
from bench.attacks import DEMO_IDENTIFIERS, attack_frame, date_columns, load_tables
from bench.common import write_results
from bench.singling_out_control import TABLES, parts_of

RESULTS = Path(__file__).parent / "results" / "inference-control.md"
VERDICT = float(ATTACK_TARGETS["attack_inference"].split()[-1])


def one_split(df: pd.DataFrame, seed: int) -> dict[str, RiskEstimate]:
    """The readings of one split: both of the null release, the job's of the leak."""
    train_rows, control_rows, release_rows = parts_of(df, seed)
    dates = date_columns(train_rows)
    train, control, release = (
        attack_frame(p, train_rows, dates) for p in (train_rows, control_rows, release_rows)
    )
    null = worst_inference(train, release, control, seed=seed)
    leak = worst_inference(train, train, control, seed=seed)
    return {
        "highest point risk": max(null.per_secret.values(), key=lambda risk: risk.value),
        "picked on the other half": null.risk,
        "leak, picked on the other half": leak.risk,
    }


def summary(risks: list[RiskEstimate]) -> str:
    """Mean point risk / mean upper bound, then how many intervals leave 0 out (false alarms
    under the null) and how many points exceed the verdict's target."""
    alarms = sum(r.low > 0 for r in risks)
    over = sum(r.value > VERDICT for r in risks)
    mean, high = np.mean([r.value for r in risks]), np.mean([r.high for r in risks])
    return f"{mean:.3f} / {high:.3f} ({alarms} of {len(risks)}; {over} over {VERDICT:g})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--splits", type=int, default=10)
    args = parser.parse_args()
    tables = load_tables(list(TABLES))
    tables["demo 8000"] = make_demo_table(8000, seed=0).drop(columns=list(DEMO_IDENTIFIERS))
    readings = ["highest point risk", "picked on the other half", "leak, picked on the other half"]
    lines = [
        "# The worst inference secret under a null release",
        "",
        "Produced by `python -m bench.inference_control` (see its docstring for the design). "
        f"{args.splits} splits per table: training 3/8 of the rows, control 1/8, the release "
        "3/8: other people of the table, so nothing in it is about anyone in training. Every "
        "column the secret in turn, every other column known, up to 500 attacks per side. "
        "Each cell: mean point risk / mean upper bound of the 95 % interval over the splits, "
        "then how many intervals leave 0 out (a false alarm under the null) and how many "
        f"points exceed the verdict's target ({ATTACK_TARGETS['attack_inference']}). "
        "*highest point risk*: the secret with the highest risk on every attack; *picked on "
        "the other half*: `attack_risks.worst_inference`, as the privacy job reads it; "
        "*leak*: the training rows released as they are, read that way (must read high).",
        "",
        "| table | rows | " + " | ".join(readings) + " |",
        "|---|---:|" + "---|" * len(readings),
    ]
    for name, df in tables.items():
        rows = [one_split(df, seed) for seed in range(args.splits)]
        cells = [summary([r[key] for r in rows]) for key in readings]
        lines.append(f"| {name} | {len(df)} | " + " | ".join(cells) + " |")
    write_results(RESULTS, [*lines, ""])


if __name__ == "__main__":
    main()
