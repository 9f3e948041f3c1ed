"""Anonymize linked tables together on the embedded server: patients, doctors and their visits.

    python examples/linked_tables.py [OUTPUT_FOLDER]

The tables are ``patient.csv``, ``doctor.csv`` and ``visit.csv`` from ``AVATAR_SHARED_DATA``
(default ``../shared/data`` next to this repository), or a generated clinic of the same shape
when that folder is absent. Each visit points at a patient and a doctor; the avatars are
released with new keys, and every avatar visit still points at an avatar patient and an
avatar doctor.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from avatars import Manager
from avatars.yaml_config import LinkMethod

TABLES = ("patient", "doctor", "visit")


def generated_clinic(seed: int = 0) -> dict[str, pd.DataFrame]:
    """130 patients, 50 doctors (10 pediatricians) and 300 visits; pediatrics visits go to
    pediatricians and vaccines to general practitioners, as in the real fixture."""
    rng = np.random.default_rng(seed)
    patient = pd.DataFrame(
        {
            "p_id": np.arange(130),
            "gender": rng.choice(["Female", "Male"], 130, p=[0.7, 0.3]),
            "height": rng.normal(165, 10, 130).round(1),
            "age": rng.integers(1, 90, 130).astype(float),
            "weight": rng.normal(70, 15, 130).round(1),
        }
    )
    jobs = np.array(["pediatrician"] * 10 + ["general practitioner"] * 40)
    doctor = pd.DataFrame(
        {"d_id": np.arange(50), "job": jobs, "age": rng.integers(30, 65, 50).astype(float)}
    )
    doctors = rng.integers(0, 50, 300)
    exam = np.where(
        jobs[doctors] == "pediatrician",
        "pediatrics",
        rng.choice(["routine_check", "vaccine"], 300),
    )
    visit = pd.DataFrame(
        {
            "visit_id": np.arange(300),
            "patient_id": rng.integers(0, 130, 300),
            "doctor_id": doctors,
            "day_visit": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], 300),
            "exam": exam,
        }
    )
    return {"patient": patient, "doctor": doctor, "visit": visit}


def load_tables() -> dict[str, pd.DataFrame]:
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    folder = Path(os.environ.get("AVATAR_SHARED_DATA", default))
    if all((folder / f"{name}.csv").is_file() for name in TABLES):
        return {name: pd.read_csv(folder / f"{name}.csv") for name in TABLES}
    return generated_clinic()


def main() -> None:
    output = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
    output.mkdir(parents=True, exist_ok=True)
    tables = load_tables()

    manager = Manager()
    runner = manager.create_runner("example_linked_tables", seed=0)
    runner.add_table("patient", tables["patient"], primary_key="p_id")  # a person per row
    runner.add_table("doctor", tables["doctor"], primary_key="d_id")
    runner.add_table(
        "visit", tables["visit"], primary_key="visit_id", foreign_keys=["patient_id", "doctor_id"]
    )  # a child table: not individual-level, since it has parents
    runner.add_link("patient", "p_id", "visit", "patient_id", LinkMethod.LINEAR_SUM_ASSIGNMENT)
    runner.add_link("doctor", "d_id", "visit", "doctor_id", LinkMethod.LINEAR_SUM_ASSIGNMENT)
    for name, k in (("patient", 15), ("doctor", 5), ("visit", 10)):
        runner.set_parameters(name, k=k)
    runner.run()

    released = {name: runner.shuffled(name) for name in TABLES}
    for name, frame in released.items():
        frame.to_csv(output / f"{name}.avatars.csv", index=False)
    visits = released["visit"]
    joined = visits.merge(released["doctor"], left_on="doctor_id", right_on="d_id")
    print(
        f"{len(visits)} avatar visits, {len(joined)} of them joined to an avatar doctor; "
        f"pediatrics visits on a pediatrician: "
        f"{(joined.loc[joined['exam'] == 'pediatrics', 'job'] == 'pediatrician').mean():.0%}"
    )
    for relation in runner.relations():
        cardinality = relation["cardinality"]
        print(
            f"{relation['parent']} -> {relation['child']}: children per parent, mean "
            f"{cardinality['original']['mean']:.2f} in the originals, "
            f"{cardinality['avatars']['mean']:.2f} in the avatars"
        )
    for table, references in runner.render_privacy_metrics_summary().items():
        print(f"privacy summary {table}: {references}")
    print(f"report: {runner.download_report(output / 'clinic.report.pdf')}")


if __name__ == "__main__":
    main()
