"""The anonymeter package's three attacks on one synthetic table: the cross-check of issue 19.

Runs inside ``bench/.venv-anonymeter`` (made by ``bench/setup-anonymeter.sh``), never in the
project venv: anonymeter pins numpy < 1.27. It imports nothing from the project. It reads three
parquet files the main bench (``bench/attacks.py``) wrote — the originals the generator was
trained on, the control originals held out from it, the synthetic rows — and prints one JSON
line (also written to ``--output`` when given) with, per attack, the risk, its 95 % confidence
interval and the attack, baseline and control success rates with their counts:

- singling out, univariate queries (one column each) made from the synthetic rows; beside it,
  for reference, the multivariate mode (queries on 3 columns);
- linkability, the columns split in two halves (first half / second half in table order) as
  the two auxiliary tables, ``n_neighbors = 1``, at most as many attacks as control rows;
- inference, each column in turn as the secret with all the others as auxiliary information
  (or only ``--secret``); the mean and the max of the risks over secrets are reported beside
  the per-secret figures. Numeric secrets are scored as anonymeter does by default when it is
  left to choose (``regression=None``: numeric dtype → within 5 % counts as a hit), or, with
  ``--exact-numbers``, only an exact guess counts (the evaluator's constructor default).

Every attack is seeded (numpy's global state, which pandas' ``sample`` draws from, and the
singling-out evaluator's own seed), so a rerun on the same files gives the same figures.

    bench/.venv-anonymeter/bin/python bench/anonymeter_worker.py train.parquet control.parquet \\
        synthetic.parquet [--n-attacks 500] [--seed 0] [--secret COL] [--output result.json]
        [--only singling_out,singling_out_multivariate,linkability,inference]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import re
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

Json = dict[str, Any]
CONFIDENCE = 0.95
MAX_QUERY_ATTEMPTS = 100_000


def read(path: Path) -> pd.DataFrame:
    """A parquet file the main bench wrote, as plain Arrow types (its pandas may be newer)."""
    frame: pd.DataFrame = pq.read_table(path).to_pandas(ignore_metadata=True)
    return frame


def summarise(evaluator: Any, **risk_args: Any) -> Json:
    """Risk, its interval, and the raw success rates of one evaluated attack."""
    risk = evaluator.risk(confidence_level=CONFIDENCE, **risk_args)
    results = evaluator.results(confidence_level=CONFIDENCE, **risk_args)
    control = results.control_rate
    return {
        "risk": float(risk.value),
        "ci": [float(risk.ci[0]), float(risk.ci[1])],
        "attack_rate": float(results.attack_rate.value),
        "baseline_rate": float(results.baseline_rate.value),
        "control_rate": None if control is None else float(control.value),
        "n_attacks": int(results.n_attacks_ori),
        "n_attacks_control": int(results.n_attacks_control),
        "n_success": int(results.n_success),
        "n_baseline": int(results.n_baseline),
        "n_control": None if results.n_control is None else int(results.n_control),
    }


class QueryCount(logging.Handler):
    """Catches the singling-out evaluator's warning that it made fewer queries than asked.

    The package divides the successes by the number of attacks *asked for*, not by the queries
    it could make, and only says so in a log warning: the count is kept to be reported beside
    the risk (on a table with few distinct values, the risk is diluted by the shortfall).
    """

    PATTERN = re.compile(r"could generate only (\d+) singling out queries")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.made: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        found = self.PATTERN.search(record.getMessage())
        if found:
            self.made = int(found.group(1))


def singling_out(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    n: int,
    seed: int,
    mode: str = "univariate",
) -> Json:
    from anonymeter.evaluators import SinglingOutEvaluator

    np.random.seed(seed)
    # The package's default of 10 million query attempts runs for minutes on a small table
    # (iris) whose synthetic rows cannot yield n distinct multivariate queries: bounded, the
    # attack stops with fewer queries and says how many it made (n_attacks in the result).
    evaluator = SinglingOutEvaluator(
        ori=train,
        syn=synthetic,
        control=control,
        n_attacks=n,
        n_cols=3,
        max_attempts=MAX_QUERY_ATTEMPTS,
        seed=seed,
    )
    counter = QueryCount()
    logger = logging.getLogger("anonymeter.evaluators.singling_out_evaluator")
    logger.addHandler(counter)
    try:
        evaluator.evaluate(mode=mode)
    finally:
        logger.removeHandler(counter)
    result = summarise(evaluator)
    made = n if counter.made is None else counter.made
    result["queries"] = made
    if 0 < made < n:
        # The same successes over the queries actually made: what the risk reads when the
        # shortfall does not dilute it (the package's own statistics, only n changed).
        from anonymeter.stats.confidence import EvaluationResults

        per_query = EvaluationResults(
            n_attacks=made,
            n_success=result["n_success"],
            n_baseline=min(result["n_baseline"], made),
            n_control=min(result["n_control"], made),
            confidence_level=CONFIDENCE,
        ).risk()
        result["risk_per_query"] = float(per_query.value)
        result["ci_per_query"] = [float(per_query.ci[0]), float(per_query.ci[1])]
    return result


def linkability(
    train: pd.DataFrame, control: pd.DataFrame, synthetic: pd.DataFrame, n: int, seed: int
) -> Json:
    from anonymeter.evaluators import LinkabilityEvaluator

    columns = list(train.columns)
    half = len(columns) // 2
    halves = (columns[:half], columns[half:])
    # The package samples the targets from both tables without replacement and does not cap
    # the count itself: on a small table (iris: 45 control rows) the smaller one bounds it.
    n = min(n, len(train), len(control))
    np.random.seed(seed)
    evaluator = LinkabilityEvaluator(
        ori=train, syn=synthetic, control=control, aux_cols=halves, n_attacks=n, n_neighbors=1
    )
    result = summarise(evaluator.evaluate(n_jobs=1), n_neighbors=1)
    result["aux_cols"] = [halves[0], halves[1]]
    return result


def inference(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    n: int,
    seed: int,
    secrets: list[str],
    exact: bool = False,
) -> Json:
    from anonymeter.evaluators import InferenceEvaluator

    per_secret: dict[str, Json] = {}
    for secret in secrets:
        aux = [column for column in train.columns if column != secret]
        np.random.seed(seed)
        evaluator = InferenceEvaluator(
            ori=train,
            syn=synthetic,
            control=control,
            aux_cols=aux,
            secret=secret,
            # None: the package decides by dtype; False: every secret must be guessed exactly.
            regression=False if exact else None,
            n_attacks=n,
        )
        per_secret[secret] = summarise(evaluator.evaluate(n_jobs=1))
        numeric = bool(pd.api.types.is_numeric_dtype(train[secret]))
        per_secret[secret]["regression"] = numeric and not exact
    worst = max(per_secret, key=lambda name: per_secret[name]["risk"])
    return {
        "mean_risk": statistics.fmean(r["risk"] for r in per_secret.values()),
        "max_risk": per_secret[worst]["risk"],
        "max_secret": worst,
        "max_ci": per_secret[worst]["ci"],
        "n_attacks": min(r["n_attacks"] for r in per_secret.values()),
        "n_attacks_control": min(r["n_attacks_control"] for r in per_secret.values()),
        "secrets": per_secret,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("train", type=Path)
    parser.add_argument("control", type=Path)
    parser.add_argument("synthetic", type=Path)
    parser.add_argument("--n-attacks", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--secret", default=None, help="one secret column instead of each in turn")
    parser.add_argument(
        "--exact-numbers",
        action="store_true",
        help="inference: numeric secrets count only when guessed exactly (no 5 %% tolerance)",
    )
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--only", default="", help="some attacks only, e.g. 'singling_out_multivariate'"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("anonymeter").setLevel(logging.WARNING)
    logging.getLogger("anonymeter").propagate = False  # counted (QueryCount), not printed

    train, control, synthetic = read(args.train), read(args.control), read(args.synthetic)
    if list(synthetic.columns) != list(train.columns) or list(control.columns) != list(
        train.columns
    ):
        raise SystemExit("anonymeter_worker: train, control and synthetic must share columns")
    if args.secret is not None and args.secret not in train.columns:
        raise SystemExit(f"anonymeter_worker: --secret {args.secret!r} is not a column")
    secrets = [args.secret] if args.secret else list(train.columns)
    start = time.perf_counter()
    attacks: dict[str, Any] = {
        "singling_out": lambda: singling_out(train, control, synthetic, args.n_attacks, args.seed),
        "singling_out_multivariate": lambda: singling_out(
            train, control, synthetic, args.n_attacks, args.seed, mode="multivariate"
        ),
        "linkability": lambda: linkability(train, control, synthetic, args.n_attacks, args.seed),
        "inference": lambda: inference(
            train, control, synthetic, args.n_attacks, args.seed, secrets, args.exact_numbers
        ),
    }
    chosen = [name.strip() for name in args.only.split(",")] if args.only else list(attacks)
    unknown = [name for name in chosen if name not in attacks]
    if unknown:
        raise SystemExit(f"anonymeter_worker: --only {unknown}: known {', '.join(attacks)}")
    result: Json = {name: attacks[name]() for name in chosen}
    result |= {
        "rows": {"train": len(train), "control": len(control), "synthetic": len(synthetic)},
        "seconds": time.perf_counter() - start,
        "versions": {
            name: importlib.metadata.version(name)
            for name in ("anonymeter", "numpy", "pandas", "scikit-learn")
        },
    }
    line = json.dumps(result)
    if args.output is not None:
        args.output.write_text(line)
    print(line)


if __name__ == "__main__":
    main()
