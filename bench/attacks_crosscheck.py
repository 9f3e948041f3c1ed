"""Our engine's attack risks (``avatar_server.engine.attack_risks``) beside anonymeter's, on the
same split and the same encoded frames: issue 19's acceptance is that the two agree within
their 95 % intervals.

``ours`` runs in the project venv on the very frames written for the anonymeter worker;
``crosscheck_lines`` puts both side by side and says, per attack, whether our value lies in
anonymeter's interval and anonymeter's value in ours.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.attack_gower import build_space
from avatar_server.engine.attack_queries import match_counts, singling_out_queries
from avatar_server.engine.attack_risks import (
    ATTEMPTS_PER_QUERY,
    MIN_ATTEMPTS,
    Z_95,
    linkability_risk,
    singling_out_risk,
    worst_inference,
)

Json = dict[str, Any]


def ours(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    n_attacks: int,
    seed: int,
    *,
    paired: bool = False,
) -> Json:
    """Our three risks on the frames anonymeter attacks (as_dict of each estimate).
    ``paired``: synthetic row i was made from training row i (our avatars); the singling-out
    risk is then also given unpaired, as a generator of rows standing for no one is judged."""
    started = time.perf_counter()
    single = singling_out_risk(
        train, synthetic, control, n_attacks=n_attacks, seed=seed, paired=paired
    )
    extra: Json = {
        "singling_out_all_rows": lone_on_all_rows(train, synthetic, control, n_attacks, seed)
    }
    assert extra["singling_out_all_rows"]["queries"] == single.n_attacks
    if paired:
        unpaired = singling_out_risk(train, synthetic, control, n_attacks=n_attacks, seed=seed)
        extra["singling_out_unpaired"] = unpaired.as_dict()
    link = linkability_risk(train, synthetic, control, n_attacks=n_attacks, seed=seed)
    infer = worst_inference(train, synthetic, control, n_attacks=n_attacks, seed=seed)
    return {
        "singling_out": single.as_dict(),
        "linkability": link.as_dict(),
        "inference": {name: risk.as_dict() for name, risk in infer.per_secret.items()},
        "inference_worst": {
            "secret": infer.secret,
            "secrets": list(infer.secrets),
            "picked": list(infer.picked),
            "clear": infer.clear,
        }
        | infer.risk.as_dict(),
        "seconds": time.perf_counter() - started,
        **extra,
    }


def lone_on_all_rows(
    train: pd.DataFrame, synthetic: pd.DataFrame, control: pd.DataFrame, n_attacks: int, seed: int
) -> Json:
    """The queries ``singling_out_risk`` makes (same seed, same draws), counted on all the
    training rows as anonymeter counts them: the attack itself, to compare with the package's
    (the risk judges both sides on samples of the control's size instead)."""
    space = build_space(train, synthetic[list(train.columns)], control[list(train.columns)])
    attempts = max(MIN_ATTEMPTS, ATTEMPTS_PER_QUERY * n_attacks)
    queries = singling_out_queries(space, n_attacks, 3, attempts, np.random.default_rng(seed))
    return {
        "queries": len(queries),
        "successes": int(np.sum(match_counts(space.train, queries) == 1)),
    }


def _within(value: float, interval: tuple[float, float]) -> bool:
    return interval[0] - 1e-9 <= value <= interval[1] + 1e-9


def _theirs(attack: Json) -> tuple[float, tuple[float, float]]:
    """anonymeter's singling-out risk over the queries it made (it divides by the queries
    asked: see anonymeter_worker.QueryCount), else its plain figure."""
    if "risk_per_query" in attack:
        low, high = attack["ci_per_query"]
        return float(attack["risk_per_query"]), (float(low), float(high))
    low, high = attack["ci"]
    return float(attack["risk"]), (float(low), float(high))


def successes(rate: float, trials: int) -> int:
    """The success count behind a Wilson-centred rate (what ``RiskEstimate`` reports)."""
    z2 = Z_95 * Z_95
    return round(rate * (trials + z2) - z2 / 2)


def singling_out_note(theirs: Json, mine: Json) -> str:
    """Where the two singling-out figures come from: anonymeter counts successes on all the
    training rows against its size-corrected control count; we count both sides on samples of
    the control's size (expected successes, per queries made)."""
    made = theirs.get("queries", 0)
    n = mine["n_attacks"]
    control = theirs.get("n_control")
    return (
        f"anonymeter: {theirs['n_success']} of {made} on all training rows, control "
        f"{'—' if control is None else round(control)} (size-corrected); ours on equal "
        f"sizes: {successes(mine['attack_rate'], n)} of {n}, control "
        f"{successes(mine['control_rate'], n)}"
    )


def wilson(successes: float, trials: int) -> tuple[float, float, float]:
    """Wilson score centre and 95 % bounds of a rate."""
    z2 = Z_95 * Z_95
    centre = (successes + z2 / 2) / (trials + z2)
    half = Z_95 / (trials + z2) * math.sqrt(successes * (trials - successes) / trials + z2 / 4)
    return centre, max(0.0, centre - half), min(1.0, centre + half)


def training_rate_row(label: str, theirs: Json, mine: Json, on_all_rows: Json) -> tuple[str, bool]:
    """The singling-out attack itself, before any control: the share of queries singling out
    one training original, for the package and for us (each over the queries it made)."""
    made = int(theirs.get("queries", 0))
    if made == 0 or mine["n_attacks"] == 0:
        return f"{label} singling out, training success rate | no query | | | | |", False
    rate, low, high = wilson(theirs["n_success"], made)
    n = int(mine["n_attacks"])
    our_rate, our_low, our_high = wilson(float(on_all_rows["successes"]), n)
    mine_in = low - 1e-9 <= our_rate <= high + 1e-9
    theirs_in = our_low - 1e-9 <= rate <= our_high + 1e-9
    line = (
        f"{label} singling out, training success rate | {rate:.3f} [{low:.3f}, {high:.3f}] "
        f"| {our_rate:.3f} [{our_low:.3f}, {our_high:.3f}] | {_mark(mine_in)} "
        f"| {_mark(theirs_in)} | the attack alone, before the control |"
    )
    return line, mine_in and theirs_in


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _row(label: str, attack: str, theirs: Json, mine: Json, note: str = "") -> tuple[str, bool]:
    value, interval = _theirs(theirs)
    ours_interval = (float(mine["low"]), float(mine["high"]))
    agree = _within(mine["value"], interval) and _within(value, ours_interval)
    line = (
        f"{label} {attack} | {value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}] "
        f"| {mine['value']:.3f} [{mine['low']:.3f}, {mine['high']:.3f}] "
        f"| {_mark(_within(mine['value'], interval))} | {_mark(_within(value, ours_interval))} "
        f"| {note} |"
    )
    return line, agree


def crosscheck_lines(runs: list[Any]) -> list[str]:
    """The comparison table, a per-secret inference section, and the agreement counts."""
    table = [
        "| table | generator | k | attack | anonymeter [95 % CI] | ours [95 % CI] "
        "| ours in anonymeter's CI | anonymeter's in ours | note |",
        "|---|---|---:|---|---|---|---|---|---|",
    ]
    secrets: list[str] = []
    agreed = total = rates_agreed = 0
    secrets_agreed = secrets_total = 0
    for run in runs:
        if run.attacks is None or run.ours is None:
            continue
        label = f"| {run.table} | {run.generator} | {run.k or '—'} |"
        multi = run.attacks["singling_out_multivariate"]
        note = singling_out_note(multi, run.ours["singling_out"])
        line, ok = training_rate_row(
            label, multi, run.ours["singling_out"], run.ours["singling_out_all_rows"]
        )
        table.append(line)
        rates_agreed += ok
        for line, ok in (
            _row(label, "singling out (multivariate)", multi, run.ours["singling_out"], note),
            _row(label, "linkability", run.attacks["linkability"], run.ours["linkability"]),
        ):
            table.append(line)
            agreed += ok
            total += 1
        theirs_secrets = run.attacks["inference"]["secrets"]
        cells = []
        in_both = 0
        for name, mine in run.ours["inference"].items():
            line, ok = _row(label, f"inference `{name}`", theirs_secrets[name], mine)
            in_both += ok
            value, _ = _theirs(theirs_secrets[name])
            cells.append(f"{name} {value:.2f}/{mine['value']:.2f}{'' if ok else ' ✗'}")
        n = len(run.ours["inference"])
        worst = max(run.ours["inference"], key=lambda s: run.ours["inference"][s]["value"])
        line, _ = _row(
            label,
            f"inference, worst secret of ours (`{worst}`)",
            theirs_secrets[worst],
            run.ours["inference"][worst],
            f"secrets agreeing both ways: {in_both} / {n}",
        )
        table.append(line)
        secrets_agreed += in_both
        secrets_total += n
        k = f" k = {run.k}" if run.k else ""
        secrets.append(f"- {run.table}, {run.generator}{k}: " + ", ".join(cells))
    summary = (
        f"Agreement both ways (each value inside the other's interval): singling out and "
        f"linkability {agreed} of {total}; inference secrets {secrets_agreed} of {secrets_total}; "
        f"singling out's success rate on the training originals {rates_agreed} of {total // 2}."
    )
    return [
        summary,
        "",
        *table,
        "",
        "### Inference per secret: anonymeter / ours (✗: not inside each other's interval)",
        "",
        *secrets,
        "",
    ]
