"""ExpectedMeanProcessor: the reference's examples, groups, round trip, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from avatars.processors import ExpectedMeanProcessor
from tests.processors.tables import SEEDS, messy_table

SOURCE = pd.DataFrame({"x": [1, 2, 3, 6], "g": ["a", "a", "b", "b"]})
DEST = pd.DataFrame({"x": [10, 20, 30, 40], "g": ["a", "b", "a", "b"]})


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, [-12, -2, 8, 18]),
        ({"same_std": True}, [0.49002, 2.16334, 3.83666, 5.50998]),
        ({"groupby_variables": ["g"]}, [-8.5, -5.5, 11.5, 14.5]),
        ({"groupby_variables": ["g"], "same_std": True}, [1.0, 3.0, 2.0, 6.0]),
    ],
)
def test_reference_examples(kwargs: dict[str, object], expected: list[float]) -> None:
    processor = ExpectedMeanProcessor(["x"], **kwargs)  # type: ignore[arg-type]
    assert list(processor.preprocess(SOURCE).columns) == ["x", "g"]
    dest = DEST.copy()
    result = processor.postprocess(SOURCE, dest)
    np.testing.assert_allclose(result["x"], expected, atol=1e-5)
    pd.testing.assert_frame_equal(dest, DEST)


def test_a_group_without_spread_only_has_its_mean_matched() -> None:
    processor = ExpectedMeanProcessor(["x"], groupby_variables=["g"], same_std=True)
    processor.preprocess(SOURCE)
    dest = pd.DataFrame({"x": [5, 5, 0, 10], "g": ["a", "a", "b", "b"]}, index=[9, 8, 7, 6])
    with pytest.warns(UserWarning, match="only their mean is matched"):
        result = processor.postprocess(SOURCE, dest)
    assert result["x"].tolist() == [1.5, 1.5, 3.0, 6.0]
    assert list(result.index) == [9, 8, 7, 6]


def test_groups_unknown_to_preprocess_are_refused() -> None:
    processor = ExpectedMeanProcessor(["x"], groupby_variables=["g"])
    processor.preprocess(SOURCE)
    dest = pd.DataFrame({"x": [10, 20, 30], "g": ["a", "c", "b"]})
    with pytest.raises(ValueError, match="absent from the data given to preprocess"):
        processor.postprocess(SOURCE, dest)


# Groups of one record (or of equal values) warn that only their mean is matched.
@pytest.mark.filterwarnings("ignore:ExpectedMeanProcessor")
@pytest.mark.parametrize("seed", SEEDS)
def test_matching_means_and_round_trip_with_nan_groups(seed: int) -> None:
    frame = messy_table(seed)
    processor = ExpectedMeanProcessor(
        ["amount", "score"], groupby_variables=["kind"], same_std=True
    )
    back = processor.postprocess(frame, processor.preprocess(frame))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False, atol=1e-9)
    rng = np.random.default_rng(seed)
    dest = frame.copy()
    dest["amount"] = rng.normal(0, 1, len(frame))
    dest["kind"] = frame["kind"].to_numpy()[rng.permutation(len(frame))]
    shifted = ExpectedMeanProcessor(["amount"])
    shifted.preprocess(frame)
    result = shifted.postprocess(frame, dest)
    assert result["amount"].mean() == pytest.approx(frame["amount"].mean())


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (([],), {}, ValueError, "target_variables must name at least one"),
        (("x",), {}, TypeError, "target_variables must be a list"),
        ((["x"],), {"groupby_variables": []}, ValueError, "groupby_variables"),
        ((["x"],), {"groupby_variables": ["x"]}, ValueError, "both target and groupby"),
        ((["x"],), {"same_std": 1}, TypeError, "same_std"),
    ],
)
def test_bad_arguments_are_refused(
    args: tuple[object, ...], kwargs: dict[str, object], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        ExpectedMeanProcessor(*args, **kwargs)  # type: ignore[arg-type]


def test_bad_calls_are_refused() -> None:
    with pytest.raises(RuntimeError, match="call preprocess first"):
        ExpectedMeanProcessor(["x"]).postprocess(SOURCE, DEST)
    with pytest.raises(TypeError, match="'g' must be numeric"):
        ExpectedMeanProcessor(["g"]).preprocess(SOURCE)
    with pytest.raises(ValueError, match=r"columns \['zz'\]"):
        ExpectedMeanProcessor(["zz"]).preprocess(SOURCE)


def test_integer_group_keys_match_avatar_keys_that_came_back_as_floats() -> None:
    source = pd.DataFrame({"x": [1.0, 3.0, 10.0, 14.0], "g": [1, 1, 2, 2]})
    dest = pd.DataFrame({"x": [0.0, 0.0, 0.0, 0.0], "g": [1.0, 2.0, 2.0, 1.0]})
    processor = ExpectedMeanProcessor(["x"], groupby_variables=["g"])
    processor.preprocess(source)
    assert processor.postprocess(source, dest)["x"].tolist() == [2.0, 12.0, 12.0, 2.0]
