"""Inter-record cumulated differences, plain and bounded: examples, round trip, bad inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatars.processors import (
    InterRecordBoundedCumulatedDifferenceProcessor,
    InterRecordCumulatedDifferenceProcessor,
)
from tests.processors.tables import SEEDS

NAMES: dict[str, Any] = {
    "id_variable": "id",
    "target_variable": "value",
    "new_first_variable_name": "first",
    "new_difference_variable_name": "diff",
}


def _records(seed: int, rows: int = 80) -> pd.DataFrame:
    """Interleaved individuals, a shuffled label index, a running total and a gap column."""
    rng = np.random.default_rng(seed)
    other = rng.normal(0, 1, rows)
    other[rng.random(rows) < 0.2] = np.nan
    frame = pd.DataFrame(
        {
            "id": rng.integers(0, 9, rows),
            "value": rng.integers(-50, 500, rows).astype(float) + rng.random(rows).round(2),
            "other": other,
        }
    )
    frame.index = rng.permutation(rows) * 3 + 7
    return frame


def test_plain_preprocess_in_value_order() -> None:
    frame = pd.DataFrame(
        {"id": [1, 2, 1, 1, 2, 2], "value": [1025, 20042, 1000, 1130, 20000, 20040]}
    )
    encoded = InterRecordCumulatedDifferenceProcessor(**NAMES).preprocess(frame)
    assert list(encoded.index) == [2, 0, 3, 4, 5, 1]
    assert encoded["first"].tolist() == [1000, 1000, 1000, 20000, 20000, 20000]
    assert encoded["diff"].tolist() == [0, 25, 105, 0, 40, 2]
    back = InterRecordCumulatedDifferenceProcessor(**NAMES).postprocess(frame, encoded)
    pd.testing.assert_frame_equal(back, frame.loc[encoded.index], check_dtype=False)


def test_plain_postprocess_of_avatars_uses_each_rows_first() -> None:
    dest = pd.DataFrame({"id": [1, 1, 2, 1], "first": [10, 12, 5, 11], "diff": [1, -3, 2.5, 4]})
    result = InterRecordCumulatedDifferenceProcessor(**NAMES).postprocess(dest, dest)
    assert result["value"].tolist() == [11, 10, 7.5, 13]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("keep", [True, False])
def test_plain_round_trip(seed: int, keep: bool) -> None:
    frame = _records(seed)
    processor = InterRecordCumulatedDifferenceProcessor(**NAMES, keep_record_order=keep)
    encoded = processor.preprocess(frame)
    expected = frame if keep else frame.sort_values(["id", "value"], kind="stable")
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), expected, atol=1e-9)
    if not keep:
        assert (encoded["diff"] >= 0).all()


def test_bounded_reference_examples() -> None:
    frame = pd.DataFrame({"id": [1, 1, 1, 2, 2], "value": [10, 60, 30, 100, 100]})
    processor = InterRecordBoundedCumulatedDifferenceProcessor("id", "value", "first", "diff")
    encoded = processor.preprocess(frame)
    assert encoded["first"].tolist() == [10, 10, 10, 100, 100]
    np.testing.assert_allclose(encoded["diff"], [0, 0.555556, -0.6, 0, 0], atol=1e-6)
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame, check_dtype=False)
    avatar = pd.DataFrame(
        {"id": [1, 1, 1, 2], "first": [50, 50, 50, 20], "diff": [0.5, -2, 1, 1.5]}
    )
    assert processor.postprocess(frame, avatar)["value"].tolist() == [75, -55, 100, 140]


def test_bounded_rounds_half_to_even() -> None:
    source = pd.DataFrame({"id": [1, 1, 1], "value": [0, 1, 4]})
    dest = pd.DataFrame({"id": [1, 1, 1], "first": [0, 0, 0], "diff": [0.125, 0.5, 0]})
    processor = InterRecordBoundedCumulatedDifferenceProcessor(
        "id", "value", "first", "diff", should_round_output=True
    )
    result = processor.postprocess(source, dest)
    assert result["value"].tolist() == [0, 2, 2]
    assert result["value"].dtype == np.int64


def test_bounded_keeps_unsorted_labels_on_their_rows() -> None:
    frame = pd.DataFrame({"id": [1, 1, 2, 1], "value": [10, 60, 30, 100]}, index=[7, 3, 5, 1])
    processor = InterRecordBoundedCumulatedDifferenceProcessor("id", "value", "first", "diff")
    back = processor.postprocess(frame, processor.preprocess(frame))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_bounded_round_trip(seed: int) -> None:
    frame = _records(seed)
    processor = InterRecordBoundedCumulatedDifferenceProcessor("id", "value", "first", "diff")
    encoded = processor.preprocess(frame)
    assert encoded["diff"].between(-1, 1).all()
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame, atol=1e-9)


@pytest.mark.parametrize(
    "processor_class",
    [InterRecordCumulatedDifferenceProcessor, InterRecordBoundedCumulatedDifferenceProcessor],
)
def test_bad_inputs_are_refused(processor_class: type) -> None:
    with pytest.raises(ValueError, match="must name different columns"):
        processor_class(**{**NAMES, "new_first_variable_name": "value"})
    with pytest.raises(TypeError, match="id_variable must be a non-empty column name"):
        processor_class(**{**NAMES, "id_variable": 3})
    processor = processor_class(**NAMES)
    with pytest.raises(ValueError, match=r"columns \['value'\] are not in the dataframe"):
        processor.preprocess(pd.DataFrame({"id": [1]}))
    with pytest.raises(ValueError, match="'value' has missing values"):
        processor.preprocess(pd.DataFrame({"id": [1, 1], "value": [1.0, np.nan]}))
    with pytest.raises(ValueError, match="'id' has missing values"):
        processor.preprocess(pd.DataFrame({"id": [1, None], "value": [1.0, 2.0]}))
    with pytest.raises(TypeError, match="'value' must be numeric"):
        processor.preprocess(pd.DataFrame({"id": [1], "value": ["a"]}))
    with pytest.raises(ValueError, match="already exist"):
        processor.preprocess(pd.DataFrame({"id": [1], "value": [1], "diff": [0]}))
    source = pd.DataFrame({"id": [1], "value": [1]})
    with pytest.raises(ValueError, match=r"columns \['diff'\]"):
        processor.postprocess(source, pd.DataFrame({"id": [1], "first": [1]}))
    with pytest.raises(ValueError, match="'value' holds infinite values"):
        processor.preprocess(pd.DataFrame({"id": [1, 1], "value": [1.0, np.inf]}))
    with pytest.raises(ValueError, match="'diff' holds infinite values"):
        processor.postprocess(source, pd.DataFrame({"id": [1], "first": [1], "diff": [-np.inf]}))
    with pytest.raises(ValueError, match="'diff' has missing values"):
        processor.postprocess(source, pd.DataFrame({"id": [1], "first": [1], "diff": [np.nan]}))
