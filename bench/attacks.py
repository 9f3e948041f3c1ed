"""Attack bench: the anonymeter package's risks on our avatars and on GaussianCopula's rows.

The groundwork of issue 19's cross-check. For wbcd, epl, iris (read from the shared data folder,
never copied) and the demo table (made as ``avatars.demo`` makes it, its two identifying
columns left out as the demo leaves them out of the avatarization):

1. a seeded 70/30 split of the rows: the 70 % are the originals a generator sees, the 30 % the
   control originals no generator sees;
2. our engine avatarizes the 70 % in this process (``avatarize``, as ``bench.engine`` calls it,
   no server) at k = 20 and k = 5 (wbcd also k = 2); SDV's GaussianCopulaSynthesizer is fitted
   on the same 70 % in its own venv (``bench/.venv-sdv``, ``bench/sdv_worker.py``);
3. anonymeter, in its own venv (``bench/.venv-anonymeter``, ``bench/anonymeter_worker.py``),
   attacks each output with the same control rows: singling out (univariate), linkability
   (the columns in two halves, one neighbour) and inference (each column as the secret in turn:
   mean and max).

The attacks see every table in one encoding, whatever made it: date columns as days since
1970 (anonymeter would otherwise take each date for a category of its own), booleans as text,
numbers as float.

4. our engine's own three risks (``avatar_server.engine.attack_risks``, called by
   ``bench.attacks_crosscheck``) on the same encoded frames, same split, same seed: whether
   ours lies in anonymeter's 95 % interval and anonymeter's in ours (issue 19's acceptance).

Results go to ``bench/results/attacks.md`` (``bench/results/attacks-baseline.md`` is the first
session's run, before our risks existed, kept as it was).

    .venv/bin/python -m bench.attacks [--tables wbcd,epl,iris,demo] [--n-attacks 500] [--seed 0]
        [--generators avatar,GaussianCopula] [--ks 20] [--extra wbcd=5] [--other-seeds 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
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

from bench.attacks_crosscheck import crosscheck_lines, ours
from bench.common import write_results
from bench.engine import SDV_PYTHON, SDV_WORKER, SHARED_DATA, machine_lines

RESULTS = Path(__file__).parent / "results" / "attacks.md"
ANONYMETER_PYTHON = Path(__file__).parent / ".venv-anonymeter" / "bin" / "python"
ANONYMETER_WORKER = Path(__file__).parent / "anonymeter_worker.py"
TRAIN_SHARE = 0.7
KS: dict[str, tuple[int, ...]] = {
    "wbcd": (20, 5, 2),
    "epl": (20, 5),
    "iris": (20, 5),
    "demo": (20, 5),
}
DEMO_ROWS = 2_000
DEMO_IDENTIFIERS = ("patient_id", "email")
WORKER_TIMEOUT_S = 1800
GAUSSIAN_COPULA = "GaussianCopula"

# The figures the issue quotes (70 % avatarized, 30 % control, k = 20 unless said):
# (table, generator, k) -> (singling out, linkability, inference).
ISSUE: dict[tuple[str, str, int | None], tuple[float, float, float]] = {
    ("wbcd", "avatar", 20): (0.046, 0.000, 0.126),
    ("wbcd", GAUSSIAN_COPULA, None): (0.057, 0.073, 0.206),
    ("epl", "avatar", 20): (0.015, 0.000, 0.000),
    ("epl", GAUSSIAN_COPULA, None): (0.024, 0.000, 0.335),
    ("iris", "avatar", 20): (0.272, 0.203, 0.108),
    ("iris", GAUSSIAN_COPULA, None): (0.141, 0.000, 0.047),
}
ISSUE_WBCD_K5_INFERENCE = 0.464
READING_MARK = "<!-- hand-written reading below: kept by reruns, check it against the figures -->"

Json = dict[str, Any]


@dataclass
class Run:
    """One generator's output on one table, and anonymeter's verdict on it (or why none)."""

    table: str
    generator: str
    k: int | None
    seconds: float | None = None
    attacks: Json | None = None
    ours: Json | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- tables ------------------------------------------------------------------------------------


def load_tables(names: list[str]) -> dict[str, pd.DataFrame]:
    """The bench's tables by name: the shared CSVs as pandas reads them, the demo generated."""
    tables: dict[str, pd.DataFrame] = {}
    for name in names:
        if name == "demo":
            from avatars.demo import make_demo_table

            demo = make_demo_table(DEMO_ROWS, seed=0)
            tables[name] = demo.drop(columns=list(DEMO_IDENTIFIERS))
            continue
        path = SHARED_DATA / f"{name}.csv"
        if not path.exists():
            raise SystemExit(f"bench.attacks: {path} not found (set AVATAR_SHARED_DATA)")
        tables[name] = pd.read_csv(path)
    return tables


def split(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded 70/30 split of the rows: (originals for the generators, control originals)."""
    order = np.random.default_rng(seed).permutation(len(df))
    cut = round(TRAIN_SHARE * len(df))
    train = df.iloc[np.sort(order[:cut])].reset_index(drop=True)
    control = df.iloc[np.sort(order[cut:])].reset_index(drop=True)
    return train, control


def date_columns(df: pd.DataFrame) -> list[str]:
    """Text columns whose every present value parses as a date (the engine's own reading)."""
    found = []
    for column in df.columns:
        values = df[column].dropna()
        if values.empty or pd.api.types.is_numeric_dtype(values) or values.dtype == bool:
            continue
        parsed = pd.to_datetime(values.astype(str), errors="coerce", format="mixed")
        if parsed.notna().all():
            found.append(column)
    return found


def attack_frame(df: pd.DataFrame, reference: pd.DataFrame, dates: list[str]) -> pd.DataFrame:
    """``df`` in the one encoding the attacks see: dates as days since 1970, numbers (of the
    reference originals) as float, everything else as text with gaps kept as gaps."""
    out = pd.DataFrame(index=df.index)
    for column in reference.columns:
        values = df[column]
        if column in dates:
            stamps = pd.to_datetime(values.astype("string"), errors="coerce", format="mixed")
            epoch = pd.Timestamp("1970-01-01")
            out[column] = (stamps - epoch) / pd.Timedelta(days=1)
        elif pd.api.types.is_numeric_dtype(reference[column]) and reference[column].dtype != bool:
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            text = values.astype("string")
            out[column] = text.astype(object).where(text.notna(), None)
    return out.reset_index(drop=True)


# --- generators ---------------------------------------------------------------------------------


def our_avatars(train: pd.DataFrame, k: int, seed: int) -> pd.DataFrame:
    """Our engine's avatars of ``train``, row i the avatar of training row i: anonymeter reads
    no order, our singling-out risk judges each query where its own original is (``paired``,
    as the privacy job's audit does)."""
    from avatar_server.engine.avatarize import avatarize

    return avatarize(train, k=k, seed=seed).unshuffled.reset_index(drop=True)


def gaussian_copula(train_path: Path, out: Path, seed: int) -> Json:
    """SDV's GaussianCopula fitted on ``train_path`` in the SDV venv; its rows go to ``out``."""
    return spawn([str(SDV_PYTHON), str(SDV_WORKER), str(train_path), str(out), "--seed", str(seed)])


def anonymeter(train: Path, control: Path, synthetic: Path, n_attacks: int, seed: int) -> Json:
    command = [str(ANONYMETER_PYTHON), str(ANONYMETER_WORKER), str(train), str(control)]
    return spawn([*command, str(synthetic), "--n-attacks", str(n_attacks), "--seed", str(seed)])


class WorkerFailed(RuntimeError):
    pass


def spawn(command: list[str]) -> Json:
    """Run a worker in its venv and parse the JSON line it prints last."""
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise WorkerFailed(f"{Path(command[1]).name} exit {done.returncode}: {done.stderr[-3000:]}")
    parsed: Json = json.loads(lines[-1])
    return parsed


def attack_table(
    name: str,
    df: pd.DataFrame,
    work: Path,
    ks: tuple[int, ...],
    n_attacks: int,
    seed: int,
    generators: tuple[str, ...] = ("avatar", GAUSSIAN_COPULA),
) -> list[Run]:
    """Every generator on one table, each output attacked against the same control rows."""
    train, control = split(df, seed)
    dates = date_columns(train)
    folder = work / name
    folder.mkdir()
    train_path = folder / "train.parquet"
    train.to_parquet(train_path, index=False)
    attack_train, attack_control = folder / "attack-train.parquet", folder / "control.parquet"
    train_frame, control_frame = (
        attack_frame(train, train, dates),
        attack_frame(control, train, dates),
    )
    train_frame.to_parquet(attack_train, index=False)
    control_frame.to_parquet(attack_control, index=False)

    outputs: list[tuple[Run, pd.DataFrame | None]] = []
    for k in ks if "avatar" in generators else ():
        run = Run(name, "avatar", k)
        say(f"{name}: avatarize k = {k}")
        started = time.perf_counter()
        outputs.append((run, our_avatars(train, k, seed)))
        run.seconds = time.perf_counter() - started
    peer = Run(name, GAUSSIAN_COPULA, None)
    if GAUSSIAN_COPULA not in generators:
        pass
    elif SDV_PYTHON.exists():
        say(f"{name}: GaussianCopula")
        sdv_out = folder / "gaussian-copula.parquet"
        try:
            fitted = gaussian_copula(train_path, sdv_out, seed)
            peer.seconds = fitted["fit_s"] + fitted["sample_s"]
            other = sorted(
                c for c, t in fitted["sdtypes"].items() if t not in ("numerical", "categorical")
            )
            if other:
                peer.notes.append(
                    "SDV typed " + ", ".join(f"{c}: {fitted['sdtypes'][c]}" for c in other)
                )
            outputs.append((peer, pd.read_parquet(sdv_out)))
        except (WorkerFailed, subprocess.TimeoutExpired) as error:
            peer.error = f"GaussianCopula failed: {str(error).splitlines()[0]}"
            outputs.append((peer, None))
    else:
        peer.error = "SDV venv missing (run `make bench-sdv-env`)"
        outputs.append((peer, None))

    for run, synthetic in outputs:
        if synthetic is None:
            continue
        label = f"{run.generator}" + (f"-k{run.k}" if run.k else "")
        path = folder / f"attack-{label}.parquet"
        synthetic_frame = attack_frame(synthetic, train, dates)
        synthetic_frame.to_parquet(path, index=False)
        say(f"{name}: anonymeter on {label}")
        try:
            run.attacks = anonymeter(attack_train, attack_control, path, n_attacks, seed)
        except (WorkerFailed, subprocess.TimeoutExpired) as error:
            run.error = f"anonymeter failed: {str(error).splitlines()[0]}"
            say(str(error))
        say(f"{name}: our attack risks on {label}")
        paired = run.generator == "avatar"
        run.ours = ours(train_frame, control_frame, synthetic_frame, n_attacks, seed, paired=paired)
    outputs = [(run, out) for run, out in outputs if run.generator in generators]
    if dates and outputs:
        outputs[0][0].notes.append(f"dates as days since 1970: {', '.join(dates)}")
    return [run for run, _ in outputs]


# --- formatting ---------------------------------------------------------------------------------


def risk_cell(attack: Json) -> str:
    if attack.get("queries") == 0:
        # No value of the synthetic rows was rare enough to make a query from: the package
        # still reports 0 successes out of n, which reads as a measured zero. It is not one.
        return "no query could be made"
    low, high = attack["ci"]
    return f"{attack['risk']:.3f} [{low:.3f}, {high:.3f}]"


def queries_cell(attack: Json) -> str:
    """Queries made, and when short of those asked, the risk over the queries made."""
    if "risk_per_query" not in attack:
        return str(attack["queries"])
    low, high = attack["ci_per_query"]
    return (
        f"{attack['queries']} (per query: {attack['risk_per_query']:.3f} [{low:.3f}, {high:.3f}])"
    )


def inside(value: float, attack: Json) -> bool:
    low, high = attack["ci"]
    return bool(low - 1e-9 <= value <= high + 1e-9)


def results_table(runs: list[Run]) -> list[str]:
    lines = [
        "| table | generator | k | singling out [95 % CI] | linkability [95 % CI] "
        "| inference mean | inference max [95 % CI] (secret) | attacks SO / link / inf "
        "(control) | SO queries made (uni / multi) | singling out, multivariate [95 % CI] "
        "| generator s |",
        "|---|---|---:|---|---|---:|---|---|---|---|---:|",
    ]
    for run in runs:
        k = str(run.k) if run.k else "—"
        seconds = f"{run.seconds:.2f}" if run.seconds is not None else "—"
        if run.attacks is None:
            lines.append(
                f"| {run.table} | {run.generator} | {k} | {run.error} | | | | | | | {seconds} |"
            )
            continue
        single, link, infer = (
            run.attacks[key] for key in ("singling_out", "linkability", "inference")
        )
        low, high = infer["max_ci"]
        counts = (
            f"{single['n_attacks']} / {link['n_attacks']} / {infer['n_attacks']} "
            f"({single['n_attacks_control']} / {link['n_attacks_control']} / "
            f"{infer['n_attacks_control']})"
        )
        lines.append(
            f"| {run.table} | {run.generator} | {k} | {risk_cell(single)} | {risk_cell(link)} "
            f"| {infer['mean_risk']:.3f} | {infer['max_risk']:.3f} [{low:.3f}, {high:.3f}] "
            f"({infer['max_secret']}) | {counts} "
            f"| {queries_cell(single)} / {queries_cell(run.attacks['singling_out_multivariate'])} "
            f"| {risk_cell(run.attacks['singling_out_multivariate'])} | {seconds} |"
        )
    return lines


def comparison(runs: list[Run]) -> list[str]:
    """Each figure the issue quotes beside ours, and whether it lies in our interval."""
    lines = [
        "| table | generator | k | attack | issue | measured [95 % CI] | issue figure in our CI |",
        "|---|---|---:|---|---:|---|---|",
    ]
    by_key = {(run.table, run.generator, run.k): run for run in runs}
    for (table, generator, k), figures in ISSUE.items():
        run = by_key.get((table, generator, k))
        label = f"| {table} | {generator} | {k or '—'} |"
        if run is None or run.attacks is None:
            lines.append(f"{label} all | — | not measured | — |")
            continue
        attacks = run.attacks
        for name, key, quoted in zip(
            ("singling out", "linkability"),
            ("singling_out", "linkability"),
            figures[:2],
            strict=False,
        ):
            got = attacks[key]
            if got.get("queries") == 0:
                verdict = "not comparable (no attack made)"
            else:
                verdict = "yes" if inside(quoted, got) else "**no**"
            lines.append(f"{label} {name} | {quoted:.3f} | {risk_cell(got)} | {verdict} |")
        infer = attacks["inference"]
        quoted = figures[2]
        lines.append(
            f"{label} inference (mean over secrets) | {quoted:.3f} | {infer['mean_risk']:.3f} "
            f"| (no interval for a mean; max {infer['max_risk']:.3f} on {infer['max_secret']}) |"
        )
    run = by_key.get(("wbcd", "avatar", 5))
    if run is not None and run.attacks is not None:
        infer = run.attacks["inference"]
        lines.append(
            f"| wbcd | avatar | 5 | inference | {ISSUE_WBCD_K5_INFERENCE:.3f} "
            f"| mean {infer['mean_risk']:.3f}, max {infer['max_risk']:.3f} "
            f"[{infer['max_ci'][0]:.3f}, {infer['max_ci'][1]:.3f}] ({infer['max_secret']}) "
            f"| {'yes' if inside(ISSUE_WBCD_K5_INFERENCE, {'ci': infer['max_ci']}) else '**no**'} "
            "(max) |"
        )
    return lines


def per_secret(runs: list[Run]) -> list[str]:
    """Inference risk of every secret column: where the mean and max come from."""
    lines: list[str] = []
    for run in runs:
        if run.attacks is None:
            continue
        secrets = run.attacks["inference"]["secrets"]
        cells = ", ".join(f"{name} {value['risk']:.2f}" for name, value in secrets.items())
        k = f" k = {run.k}" if run.k else ""
        lines.append(f"- {run.table}, {run.generator}{k}: {cells}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tables", default="wbcd,epl,iris,demo")
    parser.add_argument("--n-attacks", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="the split shown in full")
    parser.add_argument(
        "--other-seeds",
        default="1,2",
        help="more splits (and generator/attack seeds) whose figures are shown beside, '' none",
    )
    parser.add_argument(
        "--generators",
        default=f"avatar,{GAUSSIAN_COPULA}",
        help="which outputs to attack: avatar, GaussianCopula or both (comma-separated)",
    )
    parser.add_argument(
        "--ks", default="", help="our k values for every table (e.g. '20'); default per table"
    )
    parser.add_argument("--extra", default="", help="more k for some tables, e.g. 'wbcd=5,iris=5'")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    names = [name.strip() for name in args.tables.split(",") if name.strip()]
    unknown = [name for name in names if name not in KS]
    if unknown:
        raise SystemExit(f"bench.attacks: unknown table(s) {unknown}; known: {', '.join(KS)}")
    generators = tuple(g.strip() for g in args.generators.split(",") if g.strip())
    if not generators or set(generators) - {"avatar", GAUSSIAN_COPULA}:
        raise SystemExit(f"bench.attacks: --generators takes avatar and/or {GAUSSIAN_COPULA}")
    ks = table_ks(names, args.ks, args.extra)
    if not ANONYMETER_PYTHON.exists():
        raise SystemExit("bench.attacks: no anonymeter venv; run `make bench-anonymeter-env` first")
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    tables = load_tables(names)
    seeds = [args.seed, *(int(s) for s in args.other_seeds.split(",") if s.strip())]
    by_seed: dict[int, list[Run]] = {}
    for seed in seeds:
        by_seed[seed] = []
        with tempfile.TemporaryDirectory(prefix="bench-attacks-") as folder:
            for name, df in tables.items():
                say(f"seed {seed}")
                by_seed[seed] += attack_table(
                    name, df, Path(folder), ks[name], args.n_attacks, seed, generators
                )
    minutes = (time.perf_counter() - started) / 60
    lines = report(by_seed[args.seed], tables, args, load_start, minutes)
    if len(seeds) > 1:
        lines += spread(by_seed)
    lines += upper_bounds(by_seed)
    for seed in seeds:
        lines += [
            f"## Our engine's risks against anonymeter's (split seed {seed})",
            "",
            "Ours: `avatar_server.engine.attack_risks` on the same encoded frames anonymeter "
            "attacks, same split, same seed, same number of attacks. Singling out compares "
            "anonymeter's multivariate mode over the queries it made (it divides by those "
            "asked; see the worker) with ours (3 columns per query, divided by queries made).",
            "",
            *crosscheck_lines(by_seed[seed]),
        ]
    write_results(args.output, [*lines, *kept_reading(args.output)])


def table_ks(names: list[str], every: str, extra: str) -> dict[str, tuple[int, ...]]:
    """Our k values per table: the default table, or ``every`` for all, plus ``extra``."""
    try:
        chosen = {
            name: tuple(int(k) for k in every.split(",") if k.strip()) if every else KS[name]
            for name in names
        }
        for item in (part for part in extra.split(",") if part.strip()):
            name, k = item.split("=")
            chosen[name.strip()] = (*chosen[name.strip()], int(k))
    except (ValueError, KeyError) as error:
        raise SystemExit(
            f"bench.attacks: bad --ks/--extra ({error}); e.g. --ks 20 --extra wbcd=5"
        ) from None
    return chosen


def spread(by_seed: dict[int, list[Run]]) -> list[str]:
    """The same figures over several splits: how much of a difference the split alone makes
    (anonymeter's interval covers the attack's sampling, not the choice of control rows)."""
    seeds = list(by_seed)
    attacks: tuple[tuple[str, Callable[[Json], str]], ...] = (
        ("singling out", lambda a: cell(a["singling_out"])),
        ("linkability", lambda a: cell(a["linkability"])),
        ("inference mean", lambda a: f"{a['inference']['mean_risk']:.3f}"),
        ("inference max", lambda a: f"{a['inference']['max_risk']:.3f}"),
        ("singling out multivariate", lambda a: cell(a["singling_out_multivariate"])),
    )
    lines = [
        f"## The same over splits (seeds {', '.join(map(str, seeds))})",
        "",
        "Each cell: the point risk of each seed's split in turn (the seed also drives the "
        "engine, GaussianCopula and the attacks); `–` where no singling-out query could be made.",
        "",
    ]
    return [*lines, *_split_table(by_seed, attacks, lambda run: run.attacks), ""]


def _split_table(
    by_seed: dict[int, list[Run]],
    attacks: tuple[tuple[str, Callable[[Json], str]], ...],
    source: Callable[[Run], Json | None],
) -> list[str]:
    """A table of one row per run (table, generator, k), each cell an attack's figure on
    every seed's split in turn, read from ``source(run)`` (``failed`` where it has none)."""
    seeds = list(by_seed)
    lines = [
        "| table | generator | k | " + " | ".join(name for name, _ in attacks) + " |",
        "|---|---|---:|" + "---|" * len(attacks),
    ]
    for index, run in enumerate(by_seed[seeds[0]]):
        same = [source(by_seed[seed][index]) for seed in seeds]
        cells = [
            " / ".join(read(found) if found else "failed" for found in same) for _, read in attacks
        ]
        k = str(run.k) if run.k else "—"
        lines.append(f"| {run.table} | {run.generator} | {k} | " + " | ".join(cells) + " |")
    return lines


def _high(risk: Json) -> str:
    return "–" if risk.get("n_attacks", 0) == 0 else f"{risk['high']:.3f}"


def worst_secret(ours: Json) -> tuple[str, Json]:
    """The worst inference secret and its risk as the privacy job reports inference: picked
    on one half of the attacks, measured on the other (``attack_risks.worst_inference``)."""
    worst = dict(ours["inference_worst"])
    return str(worst["secret"]), worst


def _worst_secret_high(ours: Json) -> str:
    name, risk = worst_secret(ours)
    return f"{risk['high']:.3f} ({name})"


def upper_bounds(by_seed: dict[int, list[Run]]) -> list[str]:
    """Issue 19's attack target read from our own functions: the upper bounds of the risks'
    95 % intervals, split by split, our avatars beside GaussianCopula's rows."""
    seeds = list(by_seed)
    attacks: tuple[tuple[str, Callable[[Json], str]], ...] = (
        ("singling out", lambda o: _high(o["singling_out"])),
        (
            "singling out, unpaired",
            lambda o: _high(o["singling_out_unpaired"]) if "singling_out_unpaired" in o else "—",
        ),
        ("linkability", lambda o: _high(o["linkability"])),
        ("inference, worst secret", _worst_secret_high),
    )
    lines = [
        "## Upper bounds of our risks, split by split (issue 19's target)",
        "",
        "Our functions' 95 % upper bounds, seeds "
        + " / ".join(map(str, seeds))
        + ". Our avatars are judged *paired* (each singling-out query where its own original "
        "is, as the privacy job's audit judges them); *unpaired* is how GaussianCopula's rows, "
        "which stand for no one, are judged, given for our avatars too. Both sides of the "
        "singling-out attack are judged on as many originals "
        "(`attack_queries.equal_size_successes`).",
        "",
    ]
    return [*lines, *_split_table(by_seed, attacks, lambda run: run.ours), ""]


def cell(attack: Json) -> str:
    return "–" if attack.get("queries") == 0 else f"{attack['risk']:.3f}"


def kept_reading(path: Path) -> list[str]:
    """The hand-written reading of the figures below ``READING_MARK`` in the previous results
    file, kept across reruns (the figures above it are regenerated; reread them against it)."""
    if not path.exists():
        return []
    text = path.read_text()
    if READING_MARK not in text:
        return []
    return [READING_MARK, *text.split(READING_MARK, 1)[1].splitlines()[1:]]


def report(
    runs: list[Run],
    tables: dict[str, pd.DataFrame],
    args: argparse.Namespace,
    load: float,
    minutes: float,
) -> list[str]:
    versions: Json = next((run.attacks["versions"] for run in runs if run.attacks), {})
    shapes = ", ".join(f"{name} {len(df)} × {df.shape[1]}" for name, df in tables.items())
    notes = [f"- {run.table}: {note}" for run in runs for note in run.notes]
    return [
        "# Attacks: anonymeter and our engine's risks on our avatars and on GaussianCopula",
        "",
        f"Produced by `python -m bench.attacks` (`make bench-attacks`) in {minutes:.1f} min. "
        f"Tables: {shapes} (demo: `avatars.demo.make_demo_table({DEMO_ROWS}, seed=0)` without "
        f"{' and '.join(DEMO_IDENTIFIERS)}). Split seed {args.seed} (other splits at the end): "
        f"{TRAIN_SHARE:.0%} of the rows "
        "to the generators, the rest held out as anonymeter's control; the engine and "
        f"GaussianCopula use seed {args.seed}, the attacks too. Up to {args.n_attacks} attacks "
        "each (anonymeter caps inference and linkability at the rows there are to target: the "
        "control count is in brackets).",
        "",
        *machine_lines(),
        f"- Load average (1 min) at start {load:.2f}: 2 cores shared with other work.",
        f"- anonymeter venv: {', '.join(f'{k} {v}' for k, v in versions.items())}",
        "",
        "Risk is anonymeter's (attack rate − control rate) / (1 − control rate) with its 95 % "
        "interval. Singling out: univariate queries. Linkability: first half / second half of "
        "the columns as the two auxiliary tables, one neighbour. Inference: each column the "
        "secret in turn, all others known; numbers count as guessed within 5 % (anonymeter's "
        "regression mode), other values when equal.",
        "",
        *results_table(runs),
        "",
        "## Against the figures in issue 19",
        "",
        *comparison(runs),
        "",
        "## Inference risk per secret",
        "",
        *per_secret(runs),
        "",
        *(["## Notes", "", *notes, ""] if notes else []),
    ]


if __name__ == "__main__":
    main()
