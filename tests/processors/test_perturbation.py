"""PerturbationProcessor: blending, reproducibility, round trip, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from avatars.processors import PerturbationProcessor
from tests.processors.tables import SEEDS, messy_table


def _source() -> pd.DataFrame:
    return pd.DataFrame({"x": [0, 10, 20, 30], "n": [1, 2, 3, 4], "c": ["a", "b", "c", "d"]})


def _dest() -> pd.DataFrame:
    return pd.DataFrame({"x": [10, 10, 0, np.nan], "n": [5, 5, 5, 5], "c": ["A", "B", "C", "D"]})


def test_numeric_columns_are_interpolated() -> None:
    dest = _dest()
    result = PerturbationProcessor({"x": 0.3, "n": 0.5}).postprocess(_source(), dest)
    np.testing.assert_allclose(result["x"], [3, 10, 14, np.nan])
    assert result["n"].tolist() == [3.0, 3.5, 4.0, 4.5]
    assert dest["n"].tolist() == [5, 5, 5, 5], "dest must not change"


def test_levels_zero_and_one_give_original_and_avatar() -> None:
    result = PerturbationProcessor({"x": 0.0, "n": 1.0, "c": 0.0}).postprocess(_source(), _dest())
    assert result["x"].tolist() == [0, 10, 20, 30]
    assert result["n"].tolist() == [5, 5, 5, 5]
    assert result["c"].tolist() == ["a", "b", "c", "d"]


def test_categorical_draws_are_reproducible_and_mix_both_sources() -> None:
    source = pd.DataFrame({"c": [f"s{i}" for i in range(200)]})
    dest = pd.DataFrame({"c": [f"d{i}" for i in range(200)]})
    first = PerturbationProcessor({"c": 0.5}, seed=7).postprocess(source, dest)
    again = PerturbationProcessor({"c": 0.5}, seed=7).postprocess(source, dest)
    pd.testing.assert_frame_equal(first, again)
    kept = first["c"].str.startswith("d").sum()
    assert 60 < kept < 140
    assert all(value in {f"s{i}", f"d{i}"} for i, value in enumerate(first["c"]))


@pytest.mark.parametrize("seed", SEEDS)
def test_postprocess_of_source_on_itself_gives_source(seed: int) -> None:
    frame = messy_table(seed)
    levels = {"score": 0.4, "amount": 0.2, "kind": 0.5, "flag": 0.9}
    processor = PerturbationProcessor(levels, seed=seed)
    result = processor.postprocess(frame, processor.preprocess(frame))
    pd.testing.assert_frame_equal(result, frame, check_dtype=False)


@pytest.mark.parametrize(
    ("levels", "error", "message"),
    [
        ({"x": 1.5}, ValueError, r"within \[0, 1\]"),
        ({"x": -0.1}, ValueError, r"within \[0, 1\]"),
        ({"x": float("nan")}, ValueError, r"within \[0, 1\]"),
        ({"x": "half"}, TypeError, "must be a number"),
        ({"x": True}, TypeError, "must be a number"),
        ({3: 0.5}, TypeError, "each key of perturbation_level"),
        ([("x", 0.5)], TypeError, "must be a dict"),
    ],
)
def test_bad_levels_are_refused(levels: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        PerturbationProcessor(levels)  # type: ignore[arg-type]


def test_bad_calls_are_refused() -> None:
    with pytest.raises(TypeError, match="seed must be an int"):
        PerturbationProcessor({"x": 0.5}, seed="1")  # type: ignore[arg-type]
    processor = PerturbationProcessor({"zz": 0.5})
    with pytest.raises(ValueError, match=r"columns \['zz'\] are not in the dataframe"):
        processor.postprocess(_source(), _dest())
    shifted = _dest()
    shifted.index = [5, 6, 7, 8]
    with pytest.raises(ValueError, match="same index"):
        PerturbationProcessor({"x": 0.5}).postprocess(_source(), shifted)


def test_category_columns_take_the_originals_categories_too() -> None:
    source = pd.DataFrame({"c": pd.Categorical(["a", "b"] * 20)})
    dest = pd.DataFrame({"c": pd.Categorical(["A", "B"] * 20)})
    result = PerturbationProcessor({"c": 0.5}, seed=3).postprocess(source, dest)
    assert isinstance(result["c"].dtype, pd.CategoricalDtype)
    assert set(result["c"]) == {"a", "b", "A", "B"}
    assert list(result["c"].cat.categories[:2]) == ["A", "B"]
