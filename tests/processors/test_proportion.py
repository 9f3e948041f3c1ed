"""ProportionProcessor: the reference's examples, rounding to the total, round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from avatars.processors import ProportionProcessor
from avatars.processors.rounding import round_keeping_sum
from tests.processors.tables import SEEDS


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"tot": [100, 10, 0, 50], "a": [10, 10, 0, 20], "b": [90, 30, 0, 0]})


def test_shares_of_the_row_sum() -> None:
    frame = _frame()
    result = ProportionProcessor(["a", "b"], "tot").preprocess(frame)
    assert result["a"].tolist() == [0.1, 0.25, 0, 1]
    assert result["b"].tolist() == [0.9, 0.75, 0, 0]
    assert frame["a"].tolist() == [10, 10, 0, 20], "the input must not change"


def test_shares_of_the_reference_round_trip() -> None:
    frame = _frame()
    processor = ProportionProcessor(["a", "b"], "tot", sum_to_one=False)
    encoded = processor.preprocess(frame)
    assert encoded["a"].tolist() == [0.1, 1, 0, 0.4]
    back = processor.postprocess(frame, encoded)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_avatar_amounts_add_up_to_the_avatar_reference() -> None:
    dest = pd.DataFrame({"tot": [60], "a": [0.15], "b": [0.18]}, index=[42])
    result = ProportionProcessor(["a", "b"], "tot").postprocess(dest, dest)
    assert result.loc[42, "a"] == pytest.approx(27.3)
    assert result.loc[42, "b"] == pytest.approx(32.7)
    assert list(result.index) == [42]


@pytest.mark.parametrize(
    ("decimals", "expected"),
    [
        (0, [[3, 3, 4], [3, 2, 2]]),
        (1, [[3.3, 3.3, 3.4], [3.5, 1.8, 1.7]]),
        (2, [[3.33, 3.33, 3.34], [3.5, 1.75, 1.75]]),
    ],
)
def test_rounding_keeps_the_total(decimals: int, expected: list[list[float]]) -> None:
    dest = pd.DataFrame(
        {"tot": [10, 7], "a": [0.3333, 0.5], "b": [0.3333, 0.25], "c": [0.3334, 0.25]}
    )
    result = ProportionProcessor(["a", "b", "c"], "tot", decimal_count=decimals).postprocess(
        dest, dest
    )
    np.testing.assert_allclose(result[["a", "b", "c"]].to_numpy(), expected)
    np.testing.assert_allclose(result[["a", "b", "c"]].sum(axis=1), [10, 7])


def test_round_keeping_sum_gives_missing_steps_to_the_largest_remainders() -> None:
    np.testing.assert_allclose(round_keeping_sum(np.array([1.25, 1.25, 1.5]), 1), [1.3, 1.2, 1.5])
    np.testing.assert_allclose(round_keeping_sum(np.array([4.4, 4.4, 4.4, 6.8]), 0), [5, 4, 4, 7])
    with pytest.raises(ValueError, match="finite"):
        round_keeping_sum(np.array([1.0, np.inf]), 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_round_trip_when_the_reference_is_the_sum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    parts = pd.DataFrame(rng.integers(0, 50, (40, 3)).astype(float) / 10, columns=["a", "b", "c"])
    parts = parts.mask(rng.random((40, 3)) < 0.1)
    parts.iloc[0] = 0.0
    frame = parts.assign(tot=parts.sum(axis=1))
    frame.index = rng.permutation(np.arange(40)) + 1000
    processor = ProportionProcessor(["a", "b", "c"], "tot")
    back = processor.postprocess(frame, processor.preprocess(frame))
    pd.testing.assert_frame_equal(back, frame, atol=1e-9)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (([], "tot"), {}, ValueError, "at least one column"),
        ((["a", "a"], "tot"), {}, ValueError, "must not repeat"),
        ((["a"], "a"), {}, ValueError, "must not be one of variable_names"),
        ((["a"], "tot"), {"decimal_count": -1}, ValueError, "decimal_count"),
        ((["a"], "tot"), {"sum_to_one": "yes"}, TypeError, "sum_to_one"),
        (("a", "tot"), {}, TypeError, "list of column names"),
    ],
)
def test_bad_arguments_are_refused(
    args: tuple[object, ...], kwargs: dict[str, object], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        ProportionProcessor(*args, **kwargs)  # type: ignore[arg-type]


def test_bad_frames_are_refused() -> None:
    with pytest.raises(ValueError, match=r"columns \['zz'\] are not in the dataframe"):
        ProportionProcessor(["a"], "zz").preprocess(_frame())
    with pytest.raises(ValueError, match="values ≥ 0"):
        ProportionProcessor(["a"], "tot").preprocess(pd.DataFrame({"a": [-1], "tot": [1]}))
    with pytest.raises(ValueError, match="is 0 where variables are not"):
        ProportionProcessor(["a"], "tot", sum_to_one=False).preprocess(
            pd.DataFrame({"a": [1], "tot": [0]})
        )
