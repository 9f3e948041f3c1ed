"""GroupModalitiesProcessor: both modes, categories, one-way postprocess, bad arguments."""

from __future__ import annotations

import pandas as pd
import pytest

from avatars.processors import GroupModalitiesProcessor
from tests.processors.tables import SEEDS, messy_table


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "c1": ["red", "blue", "blue", "green", "green", "green"],
            "c2": ["x", "x", "x", "x", "y", "y"],
            "n": [1, 1, 2, 2, 3, 3],
            "c3": ["k"] * 6,
        }
    )


def test_global_mode_merges_rare_modalities_of_categorical_columns() -> None:
    frame = _frame()
    result = GroupModalitiesProcessor(min_unique=2, global_threshold=1).preprocess(frame)
    assert result["c1"].tolist() == ["other", "blue", "blue", "green", "green", "green"]
    pd.testing.assert_frame_equal(result[["c2", "n", "c3"]], frame[["c2", "n", "c3"]])
    assert frame["c1"].iloc[0] == "red", "the input must not change"


def test_global_mode_with_a_higher_threshold_and_own_label() -> None:
    processor = GroupModalitiesProcessor(min_unique=3, global_threshold=2, new_category="OTHER")
    result = processor.preprocess(_frame())
    assert result["c1"].tolist() == ["OTHER"] * 3 + ["green"] * 3
    assert processor.thresholds_for(_frame()) == {"c1": 2}


def test_explicit_thresholds_also_apply_to_numeric_columns() -> None:
    result = GroupModalitiesProcessor(variable_thresholds={"c2": 2, "n": 2}).preprocess(_frame())
    assert result["c2"].tolist() == ["x"] * 4 + ["other"] * 2
    assert result["n"].tolist() == ["other"] * 6


def test_an_existing_label_equal_to_the_new_category_merges() -> None:
    frame = pd.DataFrame({"c": ["other", "a", "b", "b"]})
    result = GroupModalitiesProcessor(min_unique=2, global_threshold=1).preprocess(frame)
    assert result["c"].tolist() == ["other", "other", "b", "b"]


def test_category_columns_get_the_new_label_as_a_category() -> None:
    frame = pd.DataFrame({"c": pd.Categorical(["a", "b", "b", None], categories=["b", "a"])})
    result = GroupModalitiesProcessor(variable_thresholds={"c": 1}).preprocess(frame)
    assert result["c"].cat.categories.tolist() == ["b", "other"]
    assert result["c"].tolist()[:3] == ["other", "b", "b"]
    assert pd.isna(result["c"].iloc[3])


@pytest.mark.parametrize("seed", SEEDS)
def test_rare_modalities_disappear_and_frequent_ones_stay(seed: int) -> None:
    frame = messy_table(seed)
    result = GroupModalitiesProcessor(min_unique=2, global_threshold=3).preprocess(frame)
    counts = frame["kind"].value_counts()
    for label, count in counts.items():
        assert (label in set(result["kind"])) == (count > 3)
    assert result["kind"].isna().sum() == frame["kind"].isna().sum()
    pd.testing.assert_frame_equal(result.drop(columns="kind"), frame.drop(columns="kind"))
    processor = GroupModalitiesProcessor(min_unique=2, global_threshold=3)
    pd.testing.assert_frame_equal(processor.postprocess(frame, result), result)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "not neither"),
        ({"min_unique": 2}, ValueError, "go together"),
        (
            {"variable_thresholds": {"a": 1}, "min_unique": 2, "global_threshold": 1},
            ValueError,
            "not both",
        ),
        ({"variable_thresholds": {}}, TypeError, "non-empty dict"),
        ({"variable_thresholds": {"a": -1}}, ValueError, r"variable_thresholds\['a'\]"),
        ({"min_unique": 0, "global_threshold": 1}, ValueError, "min_unique must be at least 1"),
        ({"min_unique": 2, "global_threshold": 1, "new_category": 3}, TypeError, "new_category"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        GroupModalitiesProcessor(**kwargs)  # type: ignore[arg-type]


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(ValueError, match=r"columns \['zz'\] are not in the dataframe"):
        GroupModalitiesProcessor(variable_thresholds={"zz": 1}).preprocess(_frame())
