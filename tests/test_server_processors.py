"""Server-side processors (``set_parameters(processors=[...])``): the reference's formulas
and round trips on the engine, then real runs on a real server, each compared with the same
run (same seed) without the processor, so that a difference is the processor's doing."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.processors import (
    InterRecordRangeDifference,
    ProcessorChain,
    RelativeDifference,
)
from avatar_yaml import (
    ConfigError,
    InterRecordRangeDifferenceParameters,
    Pseudonymization,
    PseudonymizationKind,
    RelativeDifferenceParameters,
    ResultKind,
)
from avatars import ApiClient, Manager
from avatars.errors import JobFailedError

# -- the engine -------------------------------------------------------------------------------


def test_range_difference_follows_the_reference_formulas() -> None:
    """range = e - s, first = the id's first start, gap = s - previous e (0 for the first),
    sorted by start within each id whatever the rows' order."""
    data = pd.DataFrame(
        {
            "pid": [2, 1, 1, 2, 1],
            "s": [8, 25, 0, 5, 10],
            "e": [9, 40, 10, 8, 20],
            "note": list("abcde"),
        }
    )
    processor = InterRecordRangeDifference("pid", "s", "e", ids=data["pid"])
    processed = processor.preprocess(data)
    assert list(processed.columns) == ["pid", "note", "s__first", "s__gap", "s__length"]
    assert processed["s__first"].tolist() == [5, 0, 0, 5, 0]
    assert processed["s__gap"].tolist() == [0, 5, 0, 0, 0]
    assert processed["s__length"].tolist() == [1, 15, 10, 3, 10]
    restored = processor.postprocess(processed)
    pd.testing.assert_frame_equal(restored, data)


def test_range_difference_rounds_integers_and_keeps_floats() -> None:
    data = pd.DataFrame({"pid": ["a", "a"], "s": [0, 2], "e": [1, 3]})
    processor = InterRecordRangeDifference("pid", "s", "e", ids=data["pid"])
    processed = processor.preprocess(data)
    processed["s__length"] = [1.6, 1.0]  # an avatar's lengths: ends at 1.6, 3.6
    restored = processor.postprocess(processed)
    # rounded to the nearest, where truncation would give s [0, 2], e [1, 3]
    assert restored["s"].tolist() == [0, 3] and restored["e"].tolist() == [2, 4]
    floats = data.astype({"s": float, "e": float})
    processor = InterRecordRangeDifference("pid", "s", "e", ids=floats["pid"])
    pd.testing.assert_frame_equal(processor.postprocess(processor.preprocess(floats)), floats)


def test_range_difference_chains_the_avatars_by_their_released_individual() -> None:
    """The avatars are chained per released id (here all of one individual), in the order
    their originals held: each starts its gap after the previous one ends."""
    data = pd.DataFrame({"pid": [1, 1, 2], "s": [0, 10, 5], "e": [10, 20, 8]})
    processor = InterRecordRangeDifference("pid", "s", "e", ids=data["pid"])
    avatars = processor.preprocess(data)
    avatars["pid"] = ["x", "x", "x"]
    avatars["s__gap"] = [3.0, 4.0, 2.0]
    restored = processor.postprocess(avatars)
    # order by the originals' rank (0, 1, 0), then row: rows 0, 2, 1
    assert restored["s"].tolist() == [0, 19, 12] and restored["e"].tolist() == [10, 29, 15]


def test_relative_difference_round_trip_and_refusals() -> None:
    data = pd.DataFrame({"t": [3000, 5000, 2600], "a": [1000, 2000, 100], "b": [500, 1500, 0]})
    processor = RelativeDifference("t", ["a", "b"], 1000)
    processed = processor.preprocess(data)
    assert processed["t"].tolist() == [1.5, 1.5, 2.5]
    pd.testing.assert_frame_equal(processor.postprocess(processed), data)
    with pytest.raises(ValueError, match="reference 'b' has 1 missing values"):
        RelativeDifference("t", ["a", "b"]).preprocess(data.assign(b=[1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="target 't' is not numeric"):
        RelativeDifference("t", ["a"]).preprocess(data.assign(t=["x", "y", "z"]))
    with pytest.raises(ValueError, match="'c' is not among the avatarized columns"):
        RelativeDifference("t", ["c"]).preprocess(data)


def test_a_chain_is_undone_in_reverse_order() -> None:
    data = pd.DataFrame({"pid": [1, 1], "s": [0, 4], "e": [3, 9], "total": [20, 30]})
    chain = ProcessorChain(
        [
            InterRecordRangeDifference("pid", "s", "e", ids=data["pid"]),
            # reads a column the first processor made: only right if undone in reverse order
            RelativeDifference("total", ["s__length"]),
        ]
    )
    pd.testing.assert_frame_equal(chain.postprocess(chain.preprocess(data)), data)


def test_the_parameters_are_recognised_by_their_keys_and_checked() -> None:
    from avatar_yaml import AvatarizationParameters

    read = AvatarizationParameters.from_dict(
        {
            "k": 5,
            "avatarization_processors_parameters": [
                {"id_variable": "p", "target_start_variable": "s", "target_end_variable": "e"},
                {"target": "t", "references": ["a", "b"], "scaling_unit": 1000},
            ],
        },
        "spec",
    )
    assert read.avatarization_processors_parameters == [
        InterRecordRangeDifferenceParameters(
            id_variable="p", target_start_variable="s", target_end_variable="e"
        ),
        RelativeDifferenceParameters(target="t", references=["a", "b"], scaling_unit=1000),
    ]
    refused = {
        "fit no kind": {"target": "t"},
        "three different columns": {
            "id_variable": "p",
            "target_start_variable": "s",
            "target_end_variable": "s",
        },
        "expected an integer >= 1": {"target": "t", "references": ["a"], "scaling_unit": 0},
        "also among its references": {"target": "t", "references": ["t"]},
        "references is empty": {"target": "t", "references": []},
    }
    for message, given in refused.items():
        with pytest.raises(ConfigError, match=message):
            AvatarizationParameters.from_dict(
                {"k": 5, "avatarization_processors_parameters": [given]}, "spec"
            )


# -- real runs --------------------------------------------------------------------------------


def visits(patients: int = 80) -> pd.DataFrame:
    """Hospital stays: each patient's stays chained in time (no overlap), a bill that is the
    sum of two parts plus a small fee, an e-mail to pseudonymize, accented categories."""
    rng = np.random.default_rng(3)
    rows = []
    for patient in range(patients):
        day = int(rng.integers(0, 30))
        for _ in range(int(rng.integers(1, 5))):
            day += int(rng.integers(1, 60))
            length = int(rng.integers(1, 15))
            care, drugs = float(rng.integers(100, 3000)), float(rng.integers(0, 800))
            rows.append(
                {
                    "patient": f"P{patient:04d}",
                    "email": f"patient.{patient}@hôpital.fr",
                    "admitted": day,
                    "discharged": day + length,
                    "care": care,
                    "drugs": drugs,
                    "bill": care + drugs + float(rng.integers(0, 50)),
                    "ward": rng.choice(["Cardiologie", "Pédiatrie", "Urgences"]),
                    "age": int(rng.integers(1, 95)),
                }
            )
            day += length
    return pd.DataFrame(rows)


@pytest.fixture
def manager(user: ApiClient) -> Iterator[Manager]:
    yield Manager(api_client=user)


def run(manager: Manager, frame: pd.DataFrame, **chosen: object) -> pd.DataFrame:
    runner = manager.create_runner("processors", seed=4)
    runner.add_table(
        "visits",
        frame,
        pseudonymize={"patient": "UUID4", "email": "UUID4"},
    )
    runner.set_parameters("visits", k=8, **chosen)  # type: ignore[arg-type]
    runner.run(jobs_to_run=["standard"])
    # What the run says of the table is about the table as uploaded, not as processed.
    (metadata,) = runner._results.json("standard", ResultKind.RUN_METADATA, "visits")
    kept = [c for c in frame.columns if c not in ("patient", "email")]
    assert metadata["columns"] == kept
    return runner.sensitive_unshuffled("visits")


def overlaps(frame: pd.DataFrame) -> tuple[float, float]:
    """Per released patient, stays in order of admission: the share of stays that start
    before the previous one ended, and the share that end before they start."""
    ordered = frame.sort_values(["patient", "admitted", "discharged"], kind="stable")
    previous_end = ordered.groupby("patient")["discharged"].shift(1)
    overlapping = (ordered["admitted"] < previous_end).sum() / previous_end.notna().sum()
    backwards = (frame["discharged"] < frame["admitted"]).mean()
    return float(overlapping), float(backwards)


def test_processors_run_on_the_server_and_keep_the_relations(manager: Manager) -> None:
    frame = visits()
    processors = [
        # plain dicts, as the official client writes them
        {"target": "bill", "references": ["care", "drugs"], "scaling_unit": 10},
        InterRecordRangeDifferenceParameters(
            id_variable="patient",
            target_start_variable="admitted",
            target_end_variable="discharged",
        ),
    ]
    plain = run(manager, frame)
    processed = run(manager, frame, processors=processors)

    assert list(processed.columns) == list(frame.columns)
    assert len(processed) == len(frame)
    assert processed["admitted"].dtype == frame["admitted"].dtype == np.int64
    # the pseudonyms are released, never the originals
    assert not set(processed["patient"]) & set(frame["patient"])
    assert not set(processed["email"]) & set(frame["email"])

    # The figures docs/processors.md gives (this table, seed 4).
    fee = frame["bill"] - frame["care"] - frame["drugs"]
    shares = []
    for avatars in (processed, plain):
        extra = avatars["bill"] - avatars["care"] - avatars["drugs"]
        shares.append(extra.between(fee.min() - 1e-6, fee.max() + 1e-6).mean())
    print(f"bill - parts within the data's fees: {shares[0]:.2f} with, {shares[1]:.2f} without")
    assert shares[0] == 1.0 and shares[1] < 0.5  # without the processor the relation is lost

    assert overlaps(frame) == (0.0, 0.0)
    with_processor, without = overlaps(processed), overlaps(plain)
    print(f"overlapping, backwards stays: {with_processor} with, {without} without")
    assert with_processor == (0.0, 0.0)
    assert without[0] > 0.05 and without[1] > 0.02


def test_processors_are_refused_by_name(manager: Manager) -> None:
    frame = visits(20)
    runner = manager.create_runner("processors-refused")
    runner.add_table("visits", frame, pseudonymize={"patient": "UUID4", "email": "UUID4"})
    with pytest.raises(ConfigError, match=r"names unknown columns \['cost'\]"):
        runner.set_parameters(
            "visits", k=5, processors=[{"target": "cost", "references": ["care"]}]
        )
    with pytest.raises(ConfigError, match="exclude_variables keeps out"):
        runner.set_parameters(
            "visits",
            k=5,
            exclude_variable_names=["care"],
            processors=[{"target": "bill", "references": ["care"]}],
        )
    with pytest.raises(ConfigError, match="tune the avatarization, which needs k"):
        runner.set_parameters("visits", processors=[{"target": "bill", "references": ["care"]}])
    chained = {
        "id_variable": "patient",
        "target_start_variable": "admitted",
        "target_end_variable": "discharged",
    }
    # The released individual chains the avatars: it must not merge or split people.
    for pseudonym, message in (
        (
            Pseudonymization(kind=PseudonymizationKind.UUID4, consistent=False),
            "would merge or split the individuals",
        ),
        (
            Pseudonymization(kind=PseudonymizationKind.CONSTANT, value="X"),
            "would merge or split the individuals",
        ),
    ):
        split = manager.create_runner("processors-split")
        split.add_table("visits", frame, pseudonymize={"patient": pseudonym, "email": "UUID4"})
        with pytest.raises(ConfigError, match=message):
            split.set_parameters("visits", k=5, processors=[chained])
    grouped = manager.create_runner("processors-grouped")
    grouped.add_table("visits", frame, keep={"patient": "grouped"}, pseudonymize={"email": "UUID4"})
    with pytest.raises(ConfigError, match="rare individuals would merge into one"):
        grouped.set_parameters("visits", k=5, processors=[chained])
    # text where a number is needed: only the data can tell, the job says it
    runner.set_parameters(
        "visits",
        k=5,
        processors=[
            {
                "id_variable": "patient",
                "target_start_variable": "ward",
                "target_end_variable": "discharged",
            }
        ],
    )
    runner.run(jobs_to_run=["standard"])
    with pytest.raises(JobFailedError, match="range start 'ward' is not numeric"):
        runner.shuffled("visits")


def test_processors_survive_the_yaml_round_trip(manager: Manager) -> None:
    frame = visits(20)
    runner = manager.create_runner("processors-yaml")
    runner.add_table("visits", frame, pseudonymize={"patient": "UUID4", "email": "UUID4"})
    given = [{"target": "bill", "references": ["care", "drugs"]}]
    runner.set_parameters("visits", k=5, processors=given)
    text = runner.get_yaml()
    assert "avatarization_processors_parameters:" in text and "references:" in text
    runner.update_parameters("visits", k=6)  # keeps the processors
    assert "avatarization_processors_parameters:" in runner.get_yaml()
