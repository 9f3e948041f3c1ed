"""Each client-side processor around a real avatarization on a real server: preprocess a messy
table, upload and avatarize it, postprocess the avatars, and check the processor's promise on
the avatars themselves (not only on a round trip of the originals)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import avatars.processors as processors
from avatars import Manager

Check = Callable[[pd.DataFrame, pd.DataFrame], None]


def stays(rows: int = 150) -> pd.DataFrame:
    """Patients' records: a categorical id, dates with gaps, a total and its parts, places,
    a low-cardinality score, accented categories with a rare one, an e-mail to pseudonymize."""
    rng = np.random.default_rng(5)
    patient = rng.choice([f"P{i:02d}" for i in range(20)], rows)
    care = rng.integers(100, 2000, rows).astype(float)
    drugs = rng.integers(0, 500, rows).astype(float)
    amount = rng.normal(300, 80, rows)
    amount[rng.random(rows) < 0.1] = np.nan
    seconds = rng.integers(1_500_000_000, 1_700_000_000, rows).astype("datetime64[s]")
    when = pd.Series(seconds).mask(rng.random(rows) < 0.1)
    start = rng.integers(0, 300, rows)
    frame = pd.DataFrame(
        {
            "patient": patient,
            "email": [f"p{i}.é@exemple.fr" for i in range(rows)],
            "when": when,
            "care": care,
            "drugs": drugs,
            "total": care + drugs,
            "amount": amount,
            "visits": rng.integers(0, 40, rows).cumsum() % 1000,
            "start": start,
            "end": start + rng.integers(1, 30, rows),
            "lat": rng.uniform(43.0, 49.0, rows),
            "lon": rng.uniform(-1.0, 7.0, rows),
            "score": rng.integers(1, 4, rows),
            "ward": rng.choice(
                ["Pédiatrie", "Urgences", "Cardiologie", "Réa"], rows, p=[0.4, 0.3, 0.28, 0.02]
            ),
        }
    )
    frame.index = rng.permutation(rows) + 500  # not 0..n-1: processors must not rely on it
    return frame


def same_dtypes(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    assert list(restored.columns) == list(original.columns)
    assert len(restored) == len(original)
    for column in original.columns:
        kinds = {original[column].dtype.kind, restored[column].dtype.kind}
        assert kinds <= {"i", "f"} or len(kinds) == 1, (column, kinds)


def expected_mean(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    for column in ("amount", "care"):
        assert restored[column].mean() == pytest.approx(original[column].mean(), rel=1e-9)
        assert restored[column].std() == pytest.approx(original[column].std(), rel=1e-9)


def proportion(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    assert np.allclose(restored["care"] + restored["drugs"], restored["total"], atol=0.11)


def dates(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    assert restored["when"].dtype == original["when"].dtype
    assert restored["when"].notna().any()


def grouped(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    assert "Réa" in set(original["ward"]) and "Réa" not in set(restored["ward"])


def places(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    for column in ("lat", "lon"):
        low, high = original[column].min(), original[column].max()
        assert restored[column].between(low - 1, high + 1).mean() > 0.95


def unperturbed(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    # level 0: the original values, row for row
    assert np.array_equal(restored["care"].to_numpy(), original["care"].to_numpy())


def categorical_then_numeric(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    assert set(restored["score"].dropna()) <= set(original["score"])


def bounded(*columns: str) -> Check:
    """The bounded processors keep every value within the data's bounds over ``columns``."""

    def check(original: pd.DataFrame, restored: pd.DataFrame) -> None:
        low, high = original[list(columns)].min().min(), original[list(columns)].max().max()
        for column in columns:
            assert restored[column].between(low, high).all(), restored[column].describe()

    return check


def rebuilt_for_every_record(original: pd.DataFrame, restored: pd.DataFrame) -> None:
    assert restored["visits"].notna().all()


CASES: dict[str, tuple[Callable[[], processors.Processor], Check]] = {
    "datetime": (processors.DatetimeProcessor, dates),
    "expected_mean": (
        lambda: processors.ExpectedMeanProcessor(["amount", "care"], same_std=True),
        expected_mean,
    ),
    "geolocation": (
        lambda: processors.GeolocationNormalizationProcessor(
            latitude_variable="lat", longitude_variable="lon", n_reference_lat=4, n_bins=10
        ),
        places,
    ),
    "group_modalities": (
        lambda: processors.GroupModalitiesProcessor(variable_thresholds={"ward": 10}),
        grouped,
    ),
    "perturbation": (
        lambda: processors.PerturbationProcessor({"care": 0.0}, seed=2),
        unperturbed,
    ),
    "proportion": (
        lambda: processors.ProportionProcessor(["care", "drugs"], "total"),
        proportion,
    ),
    "to_categorical": (lambda: processors.ToCategoricalProcessor(3), categorical_then_numeric),
    "inter_record_cumulated": (
        lambda: processors.InterRecordCumulatedDifferenceProcessor(
            id_variable="patient",
            target_variable="visits",
            new_first_variable_name="visits_first",
            new_difference_variable_name="visits_diff",
            keep_record_order=True,
        ),
        rebuilt_for_every_record,
    ),
    "inter_record_bounded_cumulated": (
        lambda: processors.InterRecordBoundedCumulatedDifferenceProcessor(
            "patient", "visits", "visits_first", "visits_diff"
        ),
        bounded("visits"),
    ),
    "inter_record_bounded_range": (
        lambda: processors.InterRecordBoundedRangeDifferenceProcessor(
            id_variable="patient",
            target_start_variable="start",
            target_end_variable="end",
            new_first_variable_name="start_first",
            new_range_variable="start_range",
            new_difference_variable_name="start_diff",
            should_round_output=True,
        ),
        bounded("start", "end"),
    ),
}


@pytest.fixture(scope="module")
def manager(module_manager: Manager) -> Manager:
    return module_manager


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_processor_around_a_real_avatarization(manager: Manager, name: str) -> None:
    make, check = CASES[name]
    original = stays()
    chain = processors.ProcessorChain([make()])
    encoded = chain.preprocess(original)
    runner = manager.create_runner(f"processor-{name}", seed=3)
    runner.add_table("stays", encoded.reset_index(drop=True), pseudonymize={"email": "UUID4"})
    runner.set_parameters("stays", k=10)
    runner.run(jobs_to_run=["standard"])
    avatars = runner.sensitive_unshuffled("stays")  # row i is the avatar of uploaded row i
    avatars.index = encoded.index
    restored = chain.postprocess(avatars[list(encoded.columns)])
    same_dtypes(original, restored)
    assert not set(restored["email"]) & set(original["email"])
    check(original, restored)
