"""Quality bench: does each table keep its dependence structure, against its noise floor?

For wbcd, epl, iris (shared data), the demo table (without its two identifiers) and the
generated ``mixed_table`` (clean, and with gaps), in one run: our engine (k = 20, the advised
k when it differs, the previous default, each of this default's levers turned off, and
``ncp`` fixed at 5 (the method's default, before 2026-12-08) and at 3 instead of the axes
rule of ``engine.axes``)
beside SDV's GaussianCopula (``bench/.venv-sdv``, ``make bench-sdv-env``).

- **Noise floor**: each statistic between two random halves A and B of the originals.
- **Generated vs originals**: the same statistic between the synthetic rows of half A (the
  avatars of A's rows; GaussianCopula: as many of its rows) and the original half B, so both
  sides have the floor's sizes. Statistics: the product's correlation difference ratio
  (``signal.py``), the mean absolute difference of Pearson r between numeric columns, of the
  correlation ratio η between a numeric and a categorical column, and of Cramér's V between
  categorical columns (``signal.associations``), on the whole table: Hellinger mean, hidden rate
  (avatars only: it needs the row link), ``distance_to_closest`` beside its original↔original
  baseline, and the share of rows equal to an original row (any, and one no other original
  shares).
- **Target** per table: correlation difference ≤ max(10 %, 1.5 × floor), hidden rate ≥ 90 %,
  Hellinger mean ≤ 0.05.
- **Prediction utility**: 70 % of the originals generate, the other 30 % test; a model trained
  on the generated rows against one trained on the originals: wbcd ``Class`` (logistic
  regression, AUC), epl ``goals_home`` (linear regression, R²). Target: within 2 points.

Medians over ``--seeds`` seeds (3 by default).

    .venv/bin/python -m bench.quality [--seeds 3] [--no-sdv] [--tables wbcd,epl]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import write_results
from bench.engine import SDV_PYTHON, SDV_WORKER, SHARED_DATA, load_table, machine_lines, say

RESULTS = Path(__file__).parent / "results" / "quality.md"
K = 20
FIXED_NCPS = (5, 3)
COPULA = "GaussianCopula"
CORRELATION_TARGET = 10.0
FLOOR_FACTOR = 1.5
HIDDEN_TARGET = 90.0
HELLINGER_TARGET = 0.05
UTILITY_POINTS = 2.0
TRAIN_SHARE = 0.7
# Prediction tasks: table -> (target column, kind).
TASKS: dict[str, tuple[str, str]] = {"wbcd": ("Class", "binary"), "epl": ("goals_home", "reg")}

Json = dict[str, Any]
Generator = Callable[[pd.DataFrame, int], pd.DataFrame | None]


# --- tables ----------------------------------------------------------------------------------


def unrelated_table(rows: int, seed: int) -> pd.DataFrame:
    """Columns drawn independently of each other (three numbers, a yes/no, five cities): any
    relation the avatars show between them is invented."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows).astype(float),
            "weight": np.round(rng.normal(72, 12, rows), 1),
            "income": np.round(rng.normal(30_000, 5_000, rows)),
            "sex": rng.choice(["F", "M"], rows),
            "city": rng.choice(["Lille", "Lyon", "Nîmes", "Orléans", "Besançon"], rows),
        }
    )


def tables(names: list[str]) -> dict[str, pd.DataFrame]:
    """The bench's tables by name, as read or made (missing shared files are skipped)."""
    from avatars.demo import make_demo_table
    from bench.tables import mixed_table

    made: dict[str, Callable[[], pd.DataFrame]] = {
        "demo": lambda: make_demo_table().drop(columns=["patient_id", "email"]),
        "mixed 10k": lambda: mixed_table(10_000, seed=0),
        "mixed 10k with gaps": lambda: mixed_table(10_000, seed=0, missing_rate=0.1),
        "unrelated 4k": lambda: unrelated_table(4_000, seed=0),
    }
    found: dict[str, pd.DataFrame] = {}
    for name in names:
        if name in made:
            found[name] = made[name]()
            continue
        path = SHARED_DATA / f"{name}.csv"
        if not path.exists():
            say(f"{path} not found: skipped")
            continue
        found[name] = pd.read_csv(path)
    return found


# --- statistics ------------------------------------------------------------------------------


def dependence(original: pd.DataFrame, other: pd.DataFrame) -> Json:
    """Correlation difference ratio and the mean absolute differences of Pearson r, η and
    Cramér's V between ``original`` and ``other`` (same columns)."""
    from avatar_server.engine.codec import TableCodec
    from avatar_server.engine.columns import NUMERIC_KINDS
    from avatar_server.engine.signal import associations, signal_metrics

    signal = {r.name: r.value for r in signal_metrics(original, other)}
    matrices = associations(original, other)
    numeric = {info.name: info.kind in NUMERIC_KINDS for info in TableCodec.fit(original).columns}
    columns = matrices["columns"]
    left, right = matrices["original"], matrices["avatars"]
    by_kind: dict[str, list[float]] = {"pearson": [], "eta": [], "cramers_v": []}
    for i, a in enumerate(columns):
        for j in range(i):
            b = columns[j]
            if left[i][j] is None or right[i][j] is None:
                continue
            kind = (
                "pearson"
                if numeric[a] and numeric[b]
                else "eta"
                if numeric[a] or numeric[b]
                else "cramers_v"
            )
            by_kind[kind].append(abs(left[i][j] - right[i][j]))
    return {
        "correlation_difference_ratio": signal["correlation_difference_ratio"],
        "hellinger_mean": signal["hellinger_mean"],
        **{kind: (float(np.mean(d)) if d else None) for kind, d in by_kind.items()},
    }


def _row_texts(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Each row as one text, cells written as :func:`columns.label` writes them (``5`` and
    ``5.0`` alike), numbers with the reference column's precision."""
    from avatar_server.engine.columns import label

    parts = []
    for name in reference.columns:
        values = frame[name].to_numpy(dtype=object)
        parts.append(np.array(["" if pd.isna(v) else label(v) for v in values], dtype=object))
    joined = parts[0].astype(str)
    for part in parts[1:]:
        joined = np.char.add(np.char.add(joined, "\x1f"), part.astype(str))
    return pd.Series(joined)


def copies(original: pd.DataFrame, generated: pd.DataFrame) -> tuple[float, float]:
    """Percent of generated rows equal to some original row, and to an original row no other
    original shares (the copies that single someone out)."""
    rows_o = _row_texts(original, original)
    rows_g = _row_texts(generated, original)
    counts = rows_o.value_counts()
    held = rows_g.map(counts).fillna(0).to_numpy()
    return float((held > 0).mean() * 100), float((held == 1).mean() * 100)


def privacy(original: pd.DataFrame, generated: pd.DataFrame, seed: int) -> Json:
    """Hidden rate (needs the row link: row i generated from original i), and the median
    distance to the closest original (DCR) with its original↔original baseline."""
    from avatar_server.engine.privacy import privacy_metrics

    results = {r.name: r for r in privacy_metrics(original, generated, seed=seed)}
    closest = results["distance_to_closest"]
    baseline = closest.details.get("baseline_original")
    return {
        "hidden_rate": results["hidden_rate"].value,
        "dcr": closest.value,
        "dcr_baseline": baseline if isinstance(baseline, int | float) else None,
    }


# --- prediction utility ----------------------------------------------------------------------


def _features(frame: pd.DataFrame, target: str, columns: list[str] | None) -> pd.DataFrame:
    """Numbers as they are (datetimes and date text in days), categories one-hot, gaps at 0
    after centring; aligned on ``columns`` (the training side's) when given."""
    from avatar_server.engine.codec import TableCodec
    from avatar_server.engine.columns import column_numbers

    data = frame.drop(columns=[target])
    out: dict[str, Any] = {}
    for info in TableCodec.fit(data).columns:
        if info.kind in ("continuous", "discrete", "datetime"):
            out[info.name] = column_numbers(data[info.name], info) / (
                86_400.0 if info.kind == "datetime" else 1.0
            )
        else:
            for value in data[info.name].astype(str).unique():
                out[f"{info.name}={value}"] = (data[info.name].astype(str) == value).astype(float)
    features = pd.DataFrame(out, index=frame.index)
    if columns is not None:
        features = features.reindex(columns=columns, fill_value=0.0)
    return features.fillna(features.median()).fillna(0.0)


def utility(train: pd.DataFrame, test: pd.DataFrame, target: str, kind: str) -> float:
    """AUC (binary) or R² (regression) on ``test`` of a model trained on ``train``."""
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import r2_score, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train = _features(train, target, None)
    x_test = _features(test, target, list(x_train.columns))
    if kind == "binary":
        positive = sorted(pd.unique(test[target]))[-1]
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        labels = (train[target] == positive).astype(int)
        if labels.nunique() < 2:
            return float("nan")
        model.fit(x_train, labels)
        return float(roc_auc_score(test[target] == positive, model.predict_proba(x_test)[:, 1]))
    regression = make_pipeline(StandardScaler(), LinearRegression())
    regression.fit(x_train, pd.to_numeric(train[target], errors="coerce").fillna(0))
    return float(r2_score(test[target], regression.predict(x_test)))


# --- generators ------------------------------------------------------------------------------


def ours(k: int | None, **options: Any) -> Generator:
    """Avatars (unshuffled: row i is the avatar of row i) with ``k`` (None: the advised k)."""
    from avatar_server.engine.advice import advise
    from avatar_server.engine.avatarize import avatarize

    def generate(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
        chosen = advise(frame).k if k is None else k
        return avatarize(frame, k=min(chosen, len(frame) - 1), seed=seed, **options).unshuffled

    return generate


def copula(work: Path) -> Generator:
    """SDV's GaussianCopula fitted on the frame, as many rows sampled (None without SDV)."""

    def generate(frame: pd.DataFrame, seed: int) -> pd.DataFrame | None:
        if not SDV_PYTHON.exists():
            return None
        source, target = work / "original.parquet", work / "synthetic.parquet"
        frame.to_parquet(source, index=False)
        command = [str(SDV_PYTHON), str(SDV_WORKER), str(source), str(target), "--seed", str(seed)]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
        if done.returncode != 0:
            say(f"GaussianCopula failed: {done.stderr[-2000:]}")
            return None
        synthetic = load_table(target)[list(frame.columns)]
        return synthetic.astype({c: frame[c].dtype for c in frame.columns}, errors="ignore")

    return generate


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """One method's figures on one table, a list per statistic (one entry per seed)."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, figures: Json) -> None:
        for key, value in figures.items():
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                self.values.setdefault(key, []).append(float(value))

    def median(self, key: str) -> float | None:
        found = self.values.get(key)
        return statistics.median(found) if found else None


def halves(n: int, seed: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    order = np.random.default_rng([seed, 0xA1F]).permutation(n)
    half = n // 2
    return np.sort(order[:half]), np.sort(order[half : 2 * half])


def split(frame: pd.DataFrame, target: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train / test rows (stratified on a binary target), 70 / 30."""
    rng = np.random.default_rng([seed, 0x7E5])
    train: list[int] = []
    groups = [frame.index] if frame[target].nunique() > 2 else frame.groupby(target).groups.values()
    for index in groups:
        rows = rng.permutation(np.asarray(index))
        train.extend(rows[: round(len(rows) * TRAIN_SHARE)].tolist())
    chosen = frame.index.isin(train)
    return frame[chosen].reset_index(drop=True), frame[~chosen].reset_index(drop=True)


def measure(
    name: str, frame: pd.DataFrame, methods: dict[str, Generator], seeds: int
) -> tuple[Figures, dict[str, Figures]]:
    floor = Figures()
    figures = {method: Figures() for method in methods}
    task = TASKS.get(name)
    for seed in range(seeds):
        a, b = halves(len(frame), seed)
        half_a, half_b = frame.iloc[a].reset_index(drop=True), frame.iloc[b].reset_index(drop=True)
        floor.add(dependence(half_a, half_b))
        if task is not None:
            train, test = split(frame, task[0], seed)
            floor.add({"utility": utility(train, test, *task)})
        for method, generate in methods.items():
            say(f"  {name} · {method} · seed {seed}")
            generated = generate(frame, seed)
            if generated is None:
                continue
            generated_a = generated.iloc[a].reset_index(drop=True)
            found = dependence(half_b, generated_a)
            whole = dependence(frame, generated)
            found["hellinger_mean"] = whole["hellinger_mean"]
            found["correlation_difference_ratio_whole"] = whole["correlation_difference_ratio"]
            found["copies"], found["unique_copies"] = copies(frame, generated)
            measured = privacy(frame, generated, seed)
            if method == COPULA:  # no row link: its "hidden rate" would pair unrelated rows
                measured.pop("hidden_rate")
            found.update(measured)
            if task is not None:
                train, test = split(frame, task[0], seed)
                made = generate(train, seed)
                if made is not None:
                    found["utility"] = utility(made, test, *task)
            figures[method].add(found)
    return floor, figures


# --- report ----------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def verdict(floor: Figures, found: Figures, copula: bool) -> str:
    ratio, base = (
        found.median("correlation_difference_ratio"),
        floor.median("correlation_difference_ratio"),
    )
    hellinger = found.median("hellinger_mean")
    if ratio is None or base is None or hellinger is None:
        return "not measured"
    limit = max(CORRELATION_TARGET, FLOOR_FACTOR * base)
    failed = []
    if ratio > limit:
        failed.append(f"correlation {ratio:.1f} > {limit:.1f}")
    if hellinger > HELLINGER_TARGET:
        failed.append(f"Hellinger {hellinger:.3f}")
    hidden = found.median("hidden_rate")
    if not copula and (hidden is None or hidden < HIDDEN_TARGET):
        failed.append(f"hidden rate {fmt(hidden, 1)}")
    return "pass" if not failed else "**fail** (" + "; ".join(failed) + ")"


def report(
    results: dict[str, tuple[Figures, dict[str, Figures]]],
    sizes: dict[str, tuple[int, int]],
    seeds: int,
    load: tuple[float, float],
    elapsed: float,
) -> list[str]:
    lines = [
        "# Quality: dependence structure against the noise floor",
        "",
        f"Produced by `python -m bench.quality {' '.join(sys.argv[1:])}` (`make bench-quality`) "
        f"in {elapsed / 60:.1f} min; medians over {seeds} seed(s).",
        "",
        *machine_lines(),
        f"- Load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f}.",
        "",
        "*Floor*: the statistic between two random halves A and B of the originals. Every other "
        "row compares the generated rows of half A (avatars of A's rows; GaussianCopula: as "
        "many of its rows) with the original half B, so both sides have the floor's sizes. "
        "*corr. diff. %*: the product's correlation difference ratio (one-hot modalities); "
        "*(whole)*: the same between all originals and all generated rows, as a run reports it. "
        "*Pearson / η / V*: mean absolute difference of Pearson r between numeric columns, of "
        "the correlation ratio η between a numeric and a categorical column, of Cramér's V "
        "between categorical columns (— when the table has no such pair). *Hellinger*: mean "
        "over columns, all rows. *DCR*: the product's distance_to_closest (median distance "
        "from a generated row to the nearest original, target > 0.2), with the same median "
        "between originals in brackets. *copies %*: generated rows equal to an original row; "
        "*unique %*: to an original row no other original shares. *Target*: corr. diff. ≤ "
        "max(10 %, 1.5 × floor), hidden rate ≥ 90 % (avatars only: GaussianCopula has no "
        "row link), Hellinger ≤ 0.05. *Advised k*: the k the product's advice gives for the table "
        "(`advise`: 20, or one neighbour per 50 rows).",
        "",
        "| table | method | corr. diff. % | (whole) | Pearson | η | V | Hellinger | hidden % "
        "| DCR (baseline) | copies % | unique % | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, (floor, figures) in results.items():
        rows, columns = sizes[name]
        label = f"{name} ({rows} × {columns})"
        base = fmt(floor.median("correlation_difference_ratio"), 1)
        lines.append(
            f"| {label} | floor (half vs half) | {base} "
            f"| | {fmt(floor.median('pearson'))} | {fmt(floor.median('eta'))} "
            f"| {fmt(floor.median('cramers_v'))} | | | | | |"
        )
        for method, found in figures.items():
            if not found.values:
                lines.append(f"| {label} | {method} | not run (no SDV venv) | | | | | | | | | | |")
                continue
            lines.append(
                f"| {label} | {method} | {fmt(found.median('correlation_difference_ratio'), 1)} "
                f"| {fmt(found.median('correlation_difference_ratio_whole'), 1)} "
                f"| {fmt(found.median('pearson'))} | {fmt(found.median('eta'))} "
                f"| {fmt(found.median('cramers_v'))} | {fmt(found.median('hellinger_mean'))} "
                f"| {fmt(found.median('hidden_rate'), 1)} "
                f"| {fmt(found.median('dcr'), 2)} ({fmt(found.median('dcr_baseline'), 2)}) "
                f"| {fmt(found.median('copies'), 1)} "
                f"| {fmt(found.median('unique_copies'), 1)} "
                f"| {verdict(floor, found, method == COPULA)} |"
            )
    lines += [
        "",
        "## Prediction utility",
        "",
        "70 % of the originals (stratified on a binary target) generate; the other 30 % test. "
        "wbcd predicts `Class` (logistic regression, AUC); epl predicts `goals_home` (linear "
        "regression on the other columns, R²). Target: within 2 points (0.02) of the model "
        "trained on the originals.",
        "",
        "| table | method | score trained on it | trained on originals | gap (points) | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, (floor, figures) in results.items():
        if name not in TASKS:
            continue
        trained = floor.median("utility")
        for method, found in figures.items():
            score = found.median("utility")
            if score is None or trained is None:
                lines.append(f"| {name} | {method} | — | {fmt(trained)} | | not measured |")
                continue
            gap = (trained - score) * 100
            ok = "pass" if gap <= UTILITY_POINTS else "**fail**"
            lines.append(
                f"| {name} | {method} | {fmt(score)} | {fmt(trained)} | {gap:.1f} | {ok} |"
            )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--tables", default="wbcd,epl,iris,demo,mixed 10k,mixed 10k with gaps,unrelated 4k"
    )
    parser.add_argument("--no-sdv", action="store_true", help="skip GaussianCopula")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    results: dict[str, tuple[Figures, dict[str, Figures]]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as folder:
        for name, frame in tables([t.strip() for t in args.tables.split(",")]).items():
            from avatar_server.engine.advice import advise
            from avatar_server.engine.codec import TableCodec

            say(name)
            advised = advise(frame).k
            codec = TableCodec.fit(frame)
            methods: dict[str, Generator] = {
                f"avatar k = {K}": ours(K),
                f"avatar k = {K}, previous default": ours(
                    K,
                    discrete_as_numbers=False,
                    avoid_unique_copies=False,
                    category_decoding="scores",
                    category_temperature=0.0,
                    ncp=5,
                ),
            }
            # Each lever alone, where it has something to act on.
            if any(info.kind == "discrete" for info in codec.columns):
                methods[f"avatar k = {K}, few-valued numbers as categories"] = ours(
                    K, discrete_as_numbers=False
                )
                methods[f"avatar k = {K}, unique copies kept"] = ours(K, avoid_unique_copies=False)
            if any(info.kind in ("categorical", "boolean") for info in codec.columns):
                for decoding in ("scores", "neighbours"):
                    methods[f"avatar k = {K}, categories from {decoding}"] = ours(
                        K, category_decoding=decoding
                    )
                methods[f"avatar k = {K}, categories ranked (temperature 0)"] = ours(
                    K, category_temperature=0.0
                )
            # Fixed axes beside the rule's (docs/fidelity.md, "How many axes").
            for ncp in FIXED_NCPS:
                methods[f"avatar k = {K}, ncp = {ncp}"] = ours(K, ncp=ncp)
            if advised != K:
                methods[f"avatar advised k = {advised}"] = ours(None)
            if not args.no_sdv:
                methods[COPULA] = copula(Path(folder))
            results[name] = measure(name, frame, methods, args.seeds)
            sizes[name] = frame.shape
    lines = report(
        results, sizes, args.seeds, (load_start, os.getloadavg()[0]), time.perf_counter() - started
    )
    write_results(args.output, lines)
    say(f"written to {args.output}")


if __name__ == "__main__":
    main()
