"""ToCategoricalProcessor: selection, continuous copies, round trip, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from avatars.processors import ToCategoricalProcessor
from tests.processors.tables import SEEDS, messy_table


def _reference_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": [1, 7, 7, 1],
            "b": [1, 2, 7, 1],
            "f": [0.5, 0.5, np.nan, 1.5],
            "s": ["x", "y", "x", "y"],
            "bo": [True, False, True, True],
            "d": pd.to_datetime(["2020-01-01"] * 4),
        }
    )


def test_threshold_selects_low_cardinality_non_text_columns() -> None:
    frame = _reference_frame()
    encoded = ToCategoricalProcessor(2).preprocess(frame)
    assert {c for c in encoded.columns if encoded[c].dtype == object} == {"a", "f", "bo", "d"}
    assert encoded["b"].dtype == np.int64
    assert frame["a"].dtype == np.int64, "the input must not change"


def test_round_trip_restores_values_and_dtypes() -> None:
    frame = _reference_frame()
    processor = ToCategoricalProcessor(2)
    pd.testing.assert_frame_equal(processor.postprocess(frame, processor.preprocess(frame)), frame)


def test_keep_continuous_adds_copies_and_replaces_the_category() -> None:
    frame = pd.DataFrame({"a": [1, 7, 7, 1], "s": ["x", "y", "x", "y"]})
    processor = ToCategoricalProcessor(2, keep_continuous=True, continuous_suffix="_c")
    assert list(processor.preprocess(frame).columns) == ["a", "s", "a_c"]
    dest = pd.DataFrame({"a": ["other", 7, 7, 1], "s": ["x"] * 4, "a_c": [3, 7, 7, 1]})
    back = processor.postprocess(frame, dest)
    assert back["a"].tolist() == [3, 7, 7, 1]
    assert back["a"].dtype == np.int64
    assert list(back.columns) == ["a", "s"]


@pytest.mark.parametrize("seed", SEEDS)
def test_round_trip_on_messy_tables(seed: int) -> None:
    frame = messy_table(seed)
    processor = ToCategoricalProcessor(3, keep_continuous=True)
    encoded = processor.preprocess(frame)
    assert encoded["score"].dtype == object
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame)


def test_a_category_that_cannot_go_back_is_a_clear_error() -> None:
    frame = pd.DataFrame({"a": [1, 7]})
    processor = ToCategoricalProcessor(2)
    processor.preprocess(frame)
    with pytest.raises(ValueError, match="'a' cannot go back to int64"):
        processor.postprocess(frame, pd.DataFrame({"a": ["other", 7]}))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"to_categorical_threshold": 0}, ValueError, "threshold must be at least 1"),
        ({"to_categorical_threshold": 2.5}, TypeError, "to_categorical_threshold must be an int"),
        ({"to_categorical_threshold": 2, "keep_continuous": 1}, TypeError, "keep_continuous"),
        ({"to_categorical_threshold": 2, "continuous_suffix": ""}, TypeError, "continuous_suffix"),
        ({"to_categorical_threshold": 2, "category": None}, TypeError, "category"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ToCategoricalProcessor(**kwargs)  # type: ignore[arg-type]


def test_bad_calls_are_refused() -> None:
    frame = pd.DataFrame({"a": [1, 7], "a__cont": [0, 0]})
    with pytest.raises(RuntimeError, match="call preprocess first"):
        ToCategoricalProcessor(2).postprocess(frame, frame)
    with pytest.raises(ValueError, match="already exist"):
        ToCategoricalProcessor(2, keep_continuous=True).preprocess(frame)
