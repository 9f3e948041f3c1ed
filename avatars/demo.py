"""The demo run behind ``make demo``: a generated mixed-type table through the whole product.

It generates a patient table, and on the embedded server uploads it (the server detects the
identifying columns, which the demo pseudonymizes or drops), asks for parameter advice,
avatarizes it, computes privacy and signal metrics and the report, then writes the
avatars, the metrics and both reports (HTML and PDF) under ``.demo/output``, prints a metrics
summary and ends with where the reports are. When the privacy verdict fails on attacks that
the audit measured passing at a larger k, it runs again at that k, as a user reading the
remedies would, and the files are then the second run's.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from avatars.cli import anonymize
from avatars.manager import Manager


def make_demo_table(rows: int = 2_000, seed: int = 0) -> pd.DataFrame:
    """A synthetic patient table with correlated numeric, categorical, boolean and date columns,
    and two columns that identify people by themselves (a patient number and an e-mail), as
    real tables have."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, size=rows)
    sex = rng.choice(["female", "male"], size=rows)
    height = np.where(sex == "male", 176, 163) + rng.normal(0, 7, size=rows)
    bmi = 22 + 0.06 * (age - 18) + rng.normal(0, 3.5, size=rows)
    weight = bmi * (height / 100) ** 2
    smoker = rng.random(rows) < 0.25
    systolic = 105 + 0.45 * age + 0.8 * (bmi - 25) + 6 * smoker + rng.normal(0, 9, size=rows)
    risk = 1 / (1 + np.exp(-(-7 + 0.06 * age + 0.02 * (systolic - 120) + 0.9 * smoker)))
    diagnosis = np.where(rng.random(rows) < risk, "cardiac", "none")
    diagnosis = np.where(
        (diagnosis == "none") & (bmi > 32) & (rng.random(rows) < 0.5), "metabolic", diagnosis
    )
    visit = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, size=rows), unit="D")
    cholesterol = np.round(4.2 + 0.015 * age + rng.normal(0, 0.8, size=rows), 2)
    cholesterol[rng.random(rows) < 0.05] = np.nan  # measured for most patients only
    return pd.DataFrame(
        {
            "patient_id": [f"PAT-{100000 + i}" for i in rng.permutation(rows)],
            "email": [f"patient{i}.{rng.integers(1000, 9999)}@example.org" for i in range(rows)],
            "age": age,
            "sex": sex,
            "height_cm": np.round(height, 1),
            "weight_kg": np.round(weight, 1),
            "smoker": smoker,
            "systolic_bp": np.round(systolic).astype(int),
            "cholesterol_mmol": cholesterol,
            "diagnosis": diagnosis,
            "visit_date": visit.strftime("%Y-%m-%d"),
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the avatars demo on the embedded server.")
    parser.add_argument("--home", type=Path, default=None, help="AVATAR_HOME for the server")
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--out", type=Path, default=Path(".demo"))
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.home is not None:
        os.environ["AVATAR_HOME"] = str(args.home)
    os.environ.pop("AVATAR_BASE_URL", None)  # the demo always runs on the embedded server

    args.out.mkdir(parents=True, exist_ok=True)
    table_path = args.out / "patients.csv"
    make_demo_table(args.rows).to_csv(table_path, index=False)
    print(f"demo table: {table_path} ({args.rows} rows, generated)")

    manager = Manager()
    print(f"embedded server: {manager.auth_client.base_url}")

    def run(k: int | None) -> dict[str, Any]:
        # anonymize() prints the summary, ending with where the HTML and PDF reports are.
        _, verdict = anonymize(
            manager,
            table_path,
            args.out / "output",
            k=k,
            seed=0,
            show_progress=False if args.quiet else None,
            # The identifying columns, which the server refuses to avatarize as they are:
            # the patient number becomes a pseudonym, the e-mail is left out.
            pseudonymize={"patient_id": "UUID4"},
            drop=["email"],
        )
        return verdict

    verdict = run(None)
    remedy = measured_k(verdict)
    if remedy is not None:
        print(
            f"\nthe verdict's remedy was measured on the audit release: at k = {remedy} every "
            f"failed attack passes; running again at k = {remedy}\n"
        )
        run(remedy)


def measured_k(verdict: dict[str, Any]) -> int | None:
    """The k to run again at when a verdict fails on attacks alone and the audit measured a
    k at which every one of them passes (the smallest such k), else None: what a user does on
    reading the remedies, shown end to end."""
    failed = [item for item in verdict.get("items", []) if not item.get("passed")]
    if not failed or any(not item.get("passes_at_k") for item in failed):
        return None
    common = set.intersection(*(set(map(int, item["passes_at_k"])) for item in failed))
    return min(common) if common else None


if __name__ == "__main__":
    main()
