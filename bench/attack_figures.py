"""The figures of docs/attacks.md: linkage and reconstruction attacks on wbcd and iris.

Runs the engine's attacks (no server) on avatars made at k = 2, 5, 10, 20, with seeds 1–3,
and prints markdown tables: linkage top 1 / top 5 in both spaces, reconstruction candidates,
precision and recall beside the chance yardstick, and the candidate generators tried.
Usage: ``python -m bench.attack_figures`` (about a minute on 2 cores).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from avatar_server.engine.attack_linkage import linkage_attack
from avatar_server.engine.attack_reconstruction import reconstruction_attack
from avatar_server.engine.avatarize import avatarize

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AVATAR_SHARED_DATA", ROOT.parent / "shared" / "data"))
KS = (2, 5, 10, 20)
SEEDS = (1, 2, 3)
GENERATORS: tuple[tuple[str, Sequence[int], int | None], ...] = (
    ("avatars themselves", (1,), None),
    ("groups of 2", (2,), None),
    ("groups of 3", (3,), None),
    ("groups of 5", (5,), None),
    ("groups of 8", (8,), None),
    ("sizes 1, 2, 3, 5", (1, 2, 3, 5), 3),
    ("sizes 1, 2, 3, 5, 8, common records dropped (default)", (1, 2, 3, 5, 8), 3),
    ("sizes 1, 2, 3, 5, 8, common records kept", (1, 2, 3, 5, 8), None),
)


def tables() -> dict[str, pd.DataFrame]:
    wbcd = pd.read_csv(SHARED_DATA / "wbcd.csv")
    return {
        "wbcd (683)": wbcd,
        "wbcd 449-row subset": wbcd.sample(449, random_state=0).reset_index(drop=True),
        "iris": pd.read_csv(SHARED_DATA / "iris.csv"),
    }


def mean(values: list[float]) -> str:
    return f"{100 * statistics.fmean(values):.1f}"


def attack_table(name: str, table: pd.DataFrame) -> list[str]:
    lines = [
        f"### {name}",
        "",
        "| k | link top1 avatars' space | top5 | link top1 originals' space | top5 | chance top1 "
        "| candidates | reconstructed | precision | recall | chance precision | chance recall |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k in KS:
        rows: dict[str, list[float]] = {}
        for seed in SEEDS:
            avatars = avatarize(table, k=k, seed=seed).unshuffled
            attacker, evaluator = linkage_attack(table, avatars, seed=seed)
            rebuilt = reconstruction_attack(
                table, avatars.sample(frac=1, random_state=seed), seed=seed
            )
            for key, value in (
                ("a1", attacker.top1),
                ("a5", attacker.top5),
                ("e1", evaluator.top1),
                ("e5", evaluator.top5),
                ("cand", float(rebuilt.candidates)),
                ("hit", float(rebuilt.reconstructed)),
                ("p", rebuilt.precision),
                ("r", rebuilt.recall),
                ("cp", rebuilt.chance_precision),
                ("cr", rebuilt.chance_recall),
            ):
                rows.setdefault(key, []).append(value)
        lines.append(
            f"| {k} | {mean(rows['a1'])} | {mean(rows['a5'])} | {mean(rows['e1'])} "
            f"| {mean(rows['e5'])} | {100 / len(table):.2f} | {statistics.fmean(rows['cand']):.0f} "
            f"| {statistics.fmean(rows['hit']):.0f} | {mean(rows['p'])} | {mean(rows['r'])} "
            f"| {mean(rows['cp'])} | {mean(rows['cr'])} |"
        )
    return [*lines, ""]


def generator_table(name: str, table: pd.DataFrame) -> list[str]:
    lines = [
        f"### Candidate generators on {name} (k = 2 and k = 20, seed 1)",
        "",
        "| generator | k | candidates | precision | recall |",
        "|---|---|---|---|---|",
    ]
    for k in (2, 20):
        avatars = avatarize(table, k=k, seed=1).shuffled
        for label, sizes, limit in GENERATORS:
            result = reconstruction_attack(
                table, avatars, seed=1, group_sizes=sizes, common_limit=limit
            )
            lines.append(
                f"| {label} | {k} | {result.candidates} | {100 * result.precision:.1f} "
                f"| {100 * result.recall:.1f} |"
            )
    return [*lines, ""]


def main() -> None:
    loaded = tables()
    lines: list[str] = []
    for name, table in loaded.items():
        lines += attack_table(name, table)
    lines += generator_table("the wbcd 449-row subset", loaded["wbcd 449-row subset"])
    lines += generator_table("iris", loaded["iris"])
    print("\n".join(lines))


if __name__ == "__main__":
    main()
