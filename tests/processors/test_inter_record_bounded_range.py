"""InterRecordBoundedRangeDifferenceProcessor: examples, sort_by, rounding, round trip."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatars.processors import InterRecordBoundedRangeDifferenceProcessor
from tests.processors.tables import SEEDS

NAMES: dict[str, Any] = {
    "id_variable": "id",
    "target_start_variable": "s",
    "target_end_variable": "e",
    "new_first_variable_name": "first",
    "new_range_variable": "rng",
    "new_difference_variable_name": "diff",
}


def test_increasing_ranges() -> None:
    frame = pd.DataFrame({"s": [0, 10, 25, 5, 8], "e": [10, 20, 40, 8, 9], "id": [1, 1, 1, 2, 2]})
    processor = InterRecordBoundedRangeDifferenceProcessor(**NAMES)
    encoded = processor.preprocess(frame)
    assert list(encoded.columns) == ["id", "rng", "first", "diff"]
    np.testing.assert_allclose(encoded["rng"], [0.25, 0.333333, 1, 0.085714, 0.03125], atol=1e-6)
    assert encoded["first"].tolist() == [0, 0, 0, 5, 5]
    assert encoded["diff"].tolist() == [0, 0, 0.25, 0, 0]
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame)


def test_decreasing_ranges() -> None:
    frame = pd.DataFrame(
        {"s": [30, 100, 80, 70, 40, 70], "e": [10, 80, 70, 60, 30, 5], "id": [1, 1, 1, 2, 2, 2]}
    )
    processor = InterRecordBoundedRangeDifferenceProcessor(**NAMES)
    encoded = processor.preprocess(frame)
    expected = [-0.8, -0.210526, -0.133333, -0.153846, -0.285714, -1]
    np.testing.assert_allclose(encoded["rng"], expected, atol=1e-6)
    np.testing.assert_allclose(encoded["diff"], [0, 1, 0, 0, -0.363636, 0.571429], atol=1e-6)
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame)


def test_rounding_is_to_the_nearest_not_truncation() -> None:
    frame = pd.DataFrame({"s": [0.0, 1.6], "e": [1.6, 2.9], "id": [1, 1]})
    processor = InterRecordBoundedRangeDifferenceProcessor(**NAMES)
    back = processor.postprocess(frame, processor.preprocess(frame))
    assert back["s"].tolist() == [0, 2]
    assert back["e"].tolist() == [2, 3]


def test_sort_by_orders_records_both_ways() -> None:
    frame = pd.DataFrame({"t": [2, 1, 3], "s": [10, 0, 25], "e": [20, 10, 40], "id": [1, 1, 1]})
    processor = InterRecordBoundedRangeDifferenceProcessor(**NAMES, sort_by_variable="t")
    encoded = processor.preprocess(frame)
    assert encoded["diff"].tolist() == [0, 0, 0.25]
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame)


def test_avatar_without_rounding() -> None:
    source = pd.DataFrame({"s": [0, 10, 5], "e": [10, 20, 8], "id": [1, 1, 2]})
    dest = pd.DataFrame({"id": [1, 1, 2], "rng": [0.5, -0.5, 2], "first": [20, 20, 5]})
    dest["diff"] = [0, -0.5, 0]
    processor = InterRecordBoundedRangeDifferenceProcessor(**NAMES, should_round_output=False)
    result = processor.postprocess(source, dest)
    assert result["s"].tolist() == [20, 10, 5]
    assert result["e"].tolist() == [20, 5, 35]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sort_by", [None, "t"])
def test_round_trip(seed: int, sort_by: str | None) -> None:
    rng = np.random.default_rng(seed)
    rows = 70
    start = rng.integers(0, 1000, rows)
    frame = pd.DataFrame(
        {
            "id": rng.integers(0, 8, rows),
            "s": start,
            "e": start + rng.integers(-50, 200, rows),
            "t": rng.integers(0, 5, rows),
            "note": pd.Series(["x"] * rows, dtype=object).where(rng.random(rows) >= 0.3).to_numpy(),
        },
        index=rng.permutation(rows) + 500,
    )
    processor = InterRecordBoundedRangeDifferenceProcessor(**NAMES, sort_by_variable=sort_by)
    encoded = processor.preprocess(frame)
    assert encoded[["rng", "diff"]].abs().le(1).all().all()
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame)
    floats = frame.assign(s=frame["s"] / 7, e=frame["e"] / 7)
    exact = InterRecordBoundedRangeDifferenceProcessor(
        **NAMES, sort_by_variable=sort_by, should_round_output=False
    )
    back = exact.postprocess(floats, exact.preprocess(floats))
    pd.testing.assert_frame_equal(back, floats, atol=1e-9)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="must name different columns"):
        InterRecordBoundedRangeDifferenceProcessor(**{**NAMES, "target_end_variable": "s"})
    with pytest.raises(TypeError, match="should_round_output"):
        InterRecordBoundedRangeDifferenceProcessor(**NAMES, should_round_output="no")  # type: ignore[arg-type]
    processor = InterRecordBoundedRangeDifferenceProcessor(**NAMES, sort_by_variable="t")
    frame = pd.DataFrame({"s": [0, 1], "e": [1, 2], "id": [1, 1]})
    with pytest.raises(ValueError, match=r"columns \['t'\]"):
        processor.preprocess(frame)
    with pytest.raises(ValueError, match="'t' has missing values"):
        processor.preprocess(frame.assign(t=[1, np.nan]))
    with pytest.raises(ValueError, match="'e' has missing values"):
        InterRecordBoundedRangeDifferenceProcessor(**NAMES).preprocess(frame.assign(e=[1, np.nan]))
