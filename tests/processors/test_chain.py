"""All ten processors together: a chain round trip, and no processor mutates its inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import avatars.processors as processors
from tests.processors.tables import SEEDS


def _table(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = 90
    a = rng.integers(0, 20, rows).astype(float)
    b = rng.integers(0, 20, rows).astype(float)
    start = rng.integers(0, 500, rows)
    return pd.DataFrame(
        {
            "pid": rng.integers(0, 10, rows),
            "when": pd.Series(rng.integers(0, 10**9, rows).astype("datetime64[s]")),
            "a": a,
            "b": b,
            "tot": a + b,
            "s": start,
            "e": start + rng.integers(0, 60, rows),
            "run": rng.integers(0, 1000, rows).astype(float),
            "lat": rng.uniform(40, 50, rows),
            "lon": rng.uniform(0, 8, rows),
            "score": rng.integers(1, 4, rows),
            "kind": rng.choice(["x", "y", "z"], rows),
        },
        index=rng.permutation(rows) + 1,
    )


def _chain() -> list[processors.Processor]:
    return [
        processors.DatetimeProcessor(),
        processors.ProportionProcessor(["a", "b"], "tot"),
        processors.InterRecordBoundedRangeDifferenceProcessor(
            id_variable="pid",
            target_start_variable="s",
            target_end_variable="e",
            new_first_variable_name="s_first",
            new_range_variable="s_range",
            new_difference_variable_name="s_diff",
        ),
        processors.InterRecordBoundedCumulatedDifferenceProcessor(
            "pid", "run", "run_first", "run_diff"
        ),
        processors.GeolocationNormalizationProcessor(
            latitude_variable="lat", longitude_variable="lon", n_reference_lat=3, n_bins=8
        ),
        processors.ToCategoricalProcessor(3),
        processors.ExpectedMeanProcessor(["lat"], groupby_variables=["kind"]),
        processors.PerturbationProcessor({"a": 0.5}, seed=1),
    ]


def test_the_ten_official_names_are_exported() -> None:
    assert sorted(set(processors.__all__) - {"Processor", "ProcessorChain"}) == sorted(
        [
            "DatetimeProcessor",
            "ExpectedMeanProcessor",
            "GeolocationNormalizationProcessor",
            "GroupModalitiesProcessor",
            "InterRecordBoundedCumulatedDifferenceProcessor",
            "InterRecordBoundedRangeDifferenceProcessor",
            "InterRecordCumulatedDifferenceProcessor",
            "PerturbationProcessor",
            "ProportionProcessor",
            "ToCategoricalProcessor",
        ]
    )


@pytest.mark.parametrize("duplicated_labels", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_chain_round_trip_and_inputs_untouched(seed: int, duplicated_labels: bool) -> None:
    frame = _table(seed)
    if duplicated_labels:
        frame.index = np.arange(len(frame)) % 7
    pristine = frame.copy()
    chain = _chain()
    stages = [frame]
    for processor in chain:
        stages.append(processor.preprocess(stages[-1]))
    snapshots = [stage.copy() for stage in stages]
    result = stages[-1]
    for processor, source in zip(reversed(chain), reversed(stages[:-1]), strict=True):
        result = processor.postprocess(source, result)
    for stage, snapshot in zip(stages, snapshots, strict=True):
        pd.testing.assert_frame_equal(stage, snapshot)
    pd.testing.assert_frame_equal(frame, pristine)
    pd.testing.assert_frame_equal(result, frame, check_dtype=False, atol=1e-6)


def test_processor_chain_undoes_in_reverse_with_each_stage_s_source() -> None:
    frame = _table(1)
    chain = processors.ProcessorChain(_chain())
    with pytest.raises(RuntimeError, match="needs a preprocess"):
        chain.postprocess(frame)
    encoded = chain.preprocess(frame)
    assert "s_first" in encoded.columns and "when" in encoded.columns
    pd.testing.assert_frame_equal(chain.postprocess(encoded), frame, check_dtype=False, atol=1e-6)
    assert all(isinstance(p, processors.Processor) for p in _chain())
    with pytest.raises(TypeError, match=r"processors\[1\] is a str, not a processor"):
        processors.ProcessorChain([processors.DatetimeProcessor(), "Datetime"])  # type: ignore[list-item]


def test_group_modalities_and_cumulated_difference_leave_inputs_untouched() -> None:
    frame = _table(0)
    pristine = frame.copy()
    extra: list[Any] = [
        processors.GroupModalitiesProcessor(min_unique=2, global_threshold=30),
        processors.InterRecordCumulatedDifferenceProcessor(
            id_variable="pid",
            target_variable="run",
            new_first_variable_name="f",
            new_difference_variable_name="d",
        ),
    ]
    for processor in extra:
        encoded = processor.preprocess(frame)
        kept = encoded.copy()
        processor.postprocess(frame, encoded)
        pd.testing.assert_frame_equal(encoded, kept)
    pd.testing.assert_frame_equal(frame, pristine)
