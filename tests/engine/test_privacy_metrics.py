"""Privacy metrics on hand-built tables whose answers can be counted by hand, plus wbcd."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.codec import MAX_ONE_HOT_MODALITIES, RARE_MODALITIES, TableCodec
from avatar_server.engine.metric_space import encode_pair
from avatar_server.engine.privacy import TARGETS, privacy_metrics
from avatar_server.engine.privacy_distances import local_cloaking_counts
from avatar_server.engine.progress import Cancelled
from avatar_server.engine.results import MetricResult, dcr_target, to_official_dicts

# Eleven distinct values: a continuous column (ten or fewer would be projected as categories),
# so on one column the projection is a rescaling and distances keep their ratios.
LINE = [float(v) for v in range(0, 101, 10)]
PERCENTAGES = (
    "hidden_rate",
    "column_direct_match_protection",
    "categorical_hidden_rate",
    "row_direct_match_protection",
    "correlation_protection_rate",
    "inference_categorical",
)


def metrics(
    original: pd.DataFrame, avatars: pd.DataFrame, **options: Any
) -> dict[str, MetricResult]:
    return {r.name: r for r in privacy_metrics(original, avatars, **options)}


def value(result: MetricResult) -> float:
    assert result.value is not None, result.details
    return result.value


def test_avatars_identical_to_the_originals_protect_nobody(mixed: pd.DataFrame) -> None:
    results = metrics(mixed, mixed.copy())
    assert list(results) == list(TARGETS)
    assert value(results["hidden_rate"]) == 0
    assert value(results["local_cloaking"]) == 0
    assert results["local_cloaking"].details["share_zero"] == 1
    assert value(results["distance_to_closest"]) == 0
    assert results["distance_to_closest"].details["share_zero"] == 1
    # Rows with gaps count as reproduced too: a gap equals a gap.
    assert value(results["row_direct_match_protection"]) == 0
    assert value(results["column_direct_match_protection"]) == 0
    assert results["hidden_rate"].passed is False
    # The attacker finds each original's own avatar on the (unique) known variables.
    assert value(results["inference_continuous"]) == 0
    assert value(results["inference_categorical"]) == 0
    # Identical categorical values: the own avatar is one of its group, picked at random.
    variables = results["categorical_hidden_rate"].details["variables"]
    assert variables == ["city", "smoker"]  # dates are numbers
    sizes = mixed.groupby(variables, dropna=False)[variables[0]].transform("size")
    expected = 100 * (1 - float(np.mean(1 / sizes.to_numpy())))
    assert value(results["categorical_hidden_rate"]) == pytest.approx(expected)


def test_permuted_avatars_hide_everyone_yet_reproduce_every_row() -> None:
    original = pd.DataFrame({"x": LINE})
    # Avatar i sits on original i + 5: each original has another avatar on top of it.
    avatars = pd.DataFrame({"x": np.roll(LINE, -5)})
    results = metrics(original, avatars)
    assert value(results["hidden_rate"]) == 100
    assert value(results["local_cloaking"]) >= 1
    assert value(results["distance_to_closest"]) == 0
    assert value(results["row_direct_match_protection"]) == 0
    assert value(results["column_direct_match_protection"]) == 0


def test_local_cloaking_counts_by_hand() -> None:
    original = pd.DataFrame({"x": LINE})
    # Rows 0-4 move; rows 5-10 stay in place (own distance 0, nothing closer).
    # Original 0: own avatar 25 away; 11, 19 and 4 are closer -> 3.
    # Original 40: own avatar 36 away; 25, 11, 19, 30, 50, 60, 70 are closer -> 7.
    # Originals 10 and 20: own avatar 1 away, nothing closer; original 30: own avatar on it.
    avatars = pd.DataFrame({"x": [25.0, 11.0, 19.0, 30.0, 4.0, *LINE[5:]]})
    results = metrics(original, avatars)
    cloaking = results["local_cloaking"]
    assert value(cloaking) == 0
    assert cloaking.details["mean"] == pytest.approx(10 / 11)
    assert cloaking.details["histogram"]["3"] == 1
    assert cloaking.details["histogram"]["5-9"] == 1
    assert cloaking.details["histogram"]["0"] == 9
    assert cloaking.details["capped"] == 0
    assert value(results["hidden_rate"]) == pytest.approx(200 / 11)

    capped = metrics(original, avatars, local_cloaking_cap=5)["local_cloaking"]
    assert capped.details["cap"] == 5
    assert capped.details["capped"] == 1
    assert capped.details["mean"] == pytest.approx(8 / 11)


def test_an_avatar_as_close_as_the_own_one_half_hides_it() -> None:
    line = [0.1 + 1.3 * k for k in range(11)]
    original = pd.DataFrame({"x": line})
    # Original 0 has its avatar 0.3 above it and row 10's avatar 0.3 below: a tie (which float
    # rounding would break): an attacker picks the right one of the two half the time. Original
    # 10's avatar is below original 0: the ten other avatars are all closer to it.
    avatars = pd.DataFrame({"x": [line[0] + 0.3, *line[1:10], line[0] - 0.3]})
    results = metrics(original, avatars)
    assert value(results["hidden_rate"]) == pytest.approx(100 * 1.5 / 11)
    assert results["hidden_rate"].details["nearest_ties"] == 1
    assert results["local_cloaking"].details["histogram"]["10-19"] == 1
    assert results["local_cloaking"].details["histogram"]["0"] == 10


def test_local_cloaking_counts_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    originals = rng.normal(size=(1200, 4))
    avatars = originals + rng.normal(scale=0.4, size=originals.shape)
    own = np.linalg.norm(originals - avatars, axis=1)
    pairwise = np.linalg.norm(originals[:, None, :] - avatars[None, :, :], axis=2)
    expected = (pairwise < own[:, None]).sum(axis=1)
    np.testing.assert_array_equal(local_cloaking_counts(originals, avatars, 10**6), expected)
    np.testing.assert_array_equal(
        local_cloaking_counts(originals, avatars, 7), np.minimum(expected, 7)
    )


def test_distance_ratio_is_one_between_two_equidistant_originals() -> None:
    original = pd.DataFrame({"x": LINE})
    # Each avatar halfway between two originals, except the last (5 from 100, 15 from 90).
    avatars = pd.DataFrame({"x": [v + 5 for v in LINE[:10]] + [105.0]})
    results = metrics(original, avatars)
    ratio = results["closest_distances_ratio"]
    assert value(ratio) == pytest.approx(1)
    # Ten ratios of 1 and one of 1/3: the 5th percentile interpolates halfway between them.
    assert ratio.details["quantiles"]["5"] == pytest.approx(2 / 3)
    # Originals: the two nearest others are 10 and 10 inside the line, 10 and 20 at its ends.
    assert ratio.details["baseline_original"] == pytest.approx(1)
    distance = results["distance_to_closest"]
    assert distance.details["share_zero"] == 0
    # Avatars are 5 from their closest original, originals 10 from theirs: whatever the scale.
    assert value(distance) / distance.details["baseline_original"] == pytest.approx(0.5)


def test_distance_target_is_the_originals_own_spacing_when_closer_than_the_fixed() -> None:
    assert dcr_target(None) == TARGETS["distance_to_closest"] == "> 0.2"
    assert dcr_target(0.5) == "> 0.2"  # spread originals: the fixed target, not a harder one
    assert dcr_target(0.074261) == ">= 0.07426"
    assert dcr_target(0.0) == "> 0"  # most originals have a twin: most avatars must not copy


@pytest.mark.parametrize(("shift", "passed"), [(1.2, True), (0.8, False)])
def test_avatars_as_far_as_the_originals_are_from_one_another_pass(
    shift: float, passed: bool
) -> None:
    # Forty pairs of originals 1 apart, the pairs 10 apart: each original's nearest other is
    # 1 away, far under the fixed 0.2 once the space is standardised. Each avatar moves
    # ``shift`` away from its twin, so it lies ``shift`` from the nearest original.
    starts = 10.0 * np.arange(40)
    original = pd.DataFrame({"x": np.ravel(np.column_stack([starts, starts + 1]))})
    avatars = pd.DataFrame({"x": np.ravel(np.column_stack([starts - shift, starts + 1 + shift]))})
    distance = metrics(original, avatars)["distance_to_closest"]
    baseline = distance.details["baseline_original"]
    assert distance.target == dcr_target(baseline) and distance.target.startswith(">=")
    assert value(distance) / baseline == pytest.approx(shift)
    assert distance.passed is passed


def test_column_direct_match_protection() -> None:
    original = pd.DataFrame(
        {
            # Unique: 1..10 and 12 (11 repeats, the gap is no value): 11 unique values.
            "a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 12, np.nan],
            # Unique: u and v.
            "b": ["u", "v", "w", "w", "x", "x", "y", "y", "z", "z", "w", "x", "y", "z"],
            # Nothing unique.
            "c": ["k"] * 14,
        }
    )
    avatars = original.copy()
    # Avatar values 1, 2 and 12 (as 12.0: the same number) reproduce three unique values of a.
    avatars["a"] = [1, 2, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 12.0, np.nan]
    # u is reproduced (on another row: position does not matter), v is not.
    avatars["b"] = ["w", "w", "u", "w", "x", "x", "y", "y", "z", "z", "w", "x", "y", "z"]
    result = metrics(original, avatars)["column_direct_match_protection"]
    assert result.details["per_column"] == {"a": pytest.approx(800 / 11), "b": 50.0, "c": None}
    assert result.details["unique_values"] == {"a": 11, "b": 2, "c": 0}
    assert result.details["weakest_column"] == "b"
    assert value(result) == 50
    assert result.passed is False


def test_categorical_hidden_rate_with_known_groups() -> None:
    original = pd.DataFrame(
        {"g": ["a", "a", "b", "b", "b", "c"], "x": [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]}
    )
    # Groups of 2, 3 and 1: the attacker finds the own avatar with chances 1/2, 1/3 and 1.
    same = metrics(original, original.copy())["categorical_hidden_rate"]
    assert same.details["variables"] == ["g"]
    assert value(same) == pytest.approx(50)
    # The avatar of "c" becomes an "a": groups a=3, b=3, and "c" finds nothing of its own.
    moved = original.copy()
    moved.loc[5, "g"] = "a"
    result = metrics(original, moved)["categorical_hidden_rate"]
    assert value(result) == pytest.approx(100 * (1 - 5 / 3 / 6))
    # Chosen variables: matching on x as well singles everyone out in the identical table.
    chosen = metrics(original, original.copy(), categorical_hidden_rate_variables=["g", "x"])
    assert value(chosen["categorical_hidden_rate"]) == 0
    assert chosen["categorical_hidden_rate"].details["variables_given"] is True


def test_categorical_hidden_rate_needs_categories(wbcd: pd.DataFrame) -> None:
    result = metrics(wbcd, wbcd.copy())["categorical_hidden_rate"]
    assert result.value is None
    assert result.passed is None
    assert "categorical" in result.details["reason"]


def test_row_direct_match_protection_counts_gaps_as_equal() -> None:
    original = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            "g": ["a", "b", None, "a", "b", "a", "b", "a"],
        }
    )
    avatars = original.copy()
    avatars["x"] = [1.0, np.nan, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5]
    # Row 2 differs from original row 2 only by x; rows 0 and 1 (with its gap) are reproduced.
    result = metrics(original, avatars)["row_direct_match_protection"]
    assert result.details["reproduced_unique_rows"] == 2
    assert value(result) == pytest.approx(75)


def test_row_direct_match_ignores_profiles_several_originals_share() -> None:
    """A row three originals share identifies nobody: reproducing it is no direct match."""
    original = pd.DataFrame({"x": [1.0, 1.0, 1.0, 2.0, 3.0], "g": ["a", "a", "a", "b", "b"]})
    avatars = pd.DataFrame({"x": [1.0, 1.0, 1.0, 1.0, 3.0], "g": ["a", "a", "a", "a", "b"]})
    result = metrics(original, avatars)["row_direct_match_protection"]
    assert result.details["unique_rows"] == 2
    assert result.details["reproduced_shared_rows"] == 3
    assert value(result) == pytest.approx(50)  # row (3, b) reproduced, row (2, b) not


@pytest.mark.parametrize(("avatar_group", "matched_once"), [("p", 2), ("q", 1)])
def test_correlation_protection_rate(avatar_group: str, matched_once: int) -> None:
    x = [float(v) for v in range(100, 1101, 100)]
    original = pd.DataFrame({"x": x, "g": ["p"] * 11})
    # Window: 5 % of the mean (600) = 30. Original 100 is matched by 110 only, 300 by both
    # 290 and 320, 400 by 380 only; the others by nothing.
    avatars = pd.DataFrame(
        {
            "x": [110.0, 290.0, 320.0, 380.0, *[float(v) for v in range(2000, 2700, 100)]],
            "g": [avatar_group, *["p"] * 10],
        }
    )
    results = metrics(original, avatars, known_variables=["x", "g"])
    result = results["correlation_protection_rate"]
    assert result.details["unique_originals"] == 11
    assert result.details["matched_by_one_avatar"] == matched_once
    assert result.details["tolerances"]["x"] == pytest.approx(30)
    hidden_rate = value(results["hidden_rate"])
    expected = (1 - round(matched_once * (1 - hidden_rate / 100)) / 11) * 100
    assert value(result) == pytest.approx(expected)


def test_inference_reads_the_target_of_the_nearest_avatar() -> None:
    original = pd.DataFrame(
        {
            "x": LINE,
            "y": [float(v) for v in range(10, 111, 10)],
            "z": ["a", "b"] * 5 + ["a"],
        }
    )
    avatars = original.copy()
    avatars["y"] = original["y"] + 5
    avatars.loc[[0, 3, 6], "z"] = ["b", "a", "b"]
    # x is the same on both sides: each original's nearest avatar is its own.
    continuous = metrics(original, avatars, known_variables=["x"], target="y")
    assert value(continuous["inference_continuous"]) == pytest.approx(100 * 5 / 60)
    assert continuous["inference_continuous"].details["target"] == "y"
    assert continuous["inference_categorical"].value is None
    assert "numeric" in continuous["inference_categorical"].details["reason"]
    categorical = metrics(original, avatars, known_variables=["x"], target="z")
    assert value(categorical["inference_categorical"]) == pytest.approx(300 / 11)
    assert categorical["inference_continuous"].value is None


def test_inference_matches_a_brute_force_one_hot_attacker() -> None:
    rng = np.random.default_rng(5)
    n = 300
    cities = np.array([f"city{i}" for i in range(40)])
    original = pd.DataFrame(
        {
            "age": rng.normal(50, 10, n),
            "city": rng.choice(cities, n),  # many modalities: matched by enumeration
            "group": rng.choice(["a", "b", "c"], n),  # few: one-hot in the kd-tree
            "label": rng.choice(["yes", "no", "maybe"], n),
        }
    )
    avatars = pd.DataFrame(
        {
            "age": original["age"] + rng.normal(0, 8, n),
            "city": np.where(rng.random(n) < 0.5, original["city"], rng.choice(cities, n)),
            "group": np.where(rng.random(n) < 0.7, original["group"], rng.choice(["a", "b"], n)),
            "label": rng.choice(["yes", "no", "maybe"], n),
        }
    )
    known = ["age", "city", "group"]
    age = original["age"].to_numpy()
    scale = age.std()
    squared = ((age[:, None] - avatars["age"].to_numpy()[None, :]) / scale) ** 2
    for name in ("city", "group"):
        squared += 2.0 * (original[name].to_numpy()[:, None] != avatars[name].to_numpy()[None, :])
    guess = avatars["label"].to_numpy()[squared.argmin(axis=1)]
    expected = 100 * float(np.mean(guess != original["label"].to_numpy()))
    result = metrics(original, avatars, known_variables=known, target="label")
    assert value(result["inference_categorical"]) == pytest.approx(expected)


def test_defaults_record_what_the_attacker_knew(mixed: pd.DataFrame) -> None:
    results = metrics(mixed, mixed.sample(frac=1, random_state=0).reset_index(drop=True))
    distinct = mixed.nunique()
    known = results["correlation_protection_rate"].details["known_variables"]
    assert len(known) == 3
    assert set(known) == set(distinct.sort_values(ascending=False, kind="stable").index[:3])
    assert results["correlation_protection_rate"].details["known_variables_given"] is False
    continuous = results["inference_continuous"].details
    categorical = results["inference_categorical"].details
    assert continuous["known_variables"] == known
    assert continuous["target"] not in known and categorical["target"] not in known
    assert continuous["target_given"] is False
    assert pd.api.types.is_numeric_dtype(mixed[continuous["target"]])
    assert not pd.api.types.is_numeric_dtype(mixed[categorical["target"]])


DISTANCE_METRICS = (
    "hidden_rate",
    "local_cloaking",
    "distance_to_closest",
    "closest_distances_ratio",
)


def test_column_weights_change_the_metric_space() -> None:
    """The avatars copy every column but ``d``. On one axis, unweighted, that axis mixes all
    six columns and the own avatar rarely stands out; with ``a`` weighing 10, the axis follows
    ``a``, which the avatars copy, and the attacker finds the own avatar far more often."""
    rng = np.random.default_rng(0)
    original = pd.DataFrame({column: rng.normal(size=300) for column in "abcdef"})
    avatars = original.assign(d=rng.permutation(original["d"].to_numpy()))
    plain = metrics(original, avatars, ncp=1, seed=0)
    weighted = metrics(original, avatars, ncp=1, seed=0, column_weights={"a": 10.0})
    again = metrics(original, avatars, ncp=1, seed=0, column_weights={"a": 10.0})
    assert value(weighted["hidden_rate"]) < value(plain["hidden_rate"]) - 20
    assert value(weighted["distance_to_closest"]) != value(plain["distance_to_closest"])
    assert {name: r.value for name, r in weighted.items()} == {
        name: r.value for name, r in again.items()
    }
    for name in DISTANCE_METRICS:
        assert weighted[name].details["ncp"] == 1
        assert weighted[name].details["column_weights"] == {"a": 10.0}
        assert "column_weights" not in plain[name].details


def test_a_weight_covers_a_numeric_columns_gaps(mixed: pd.DataFrame) -> None:
    """As in avatarize: the missing-value indicator of a numeric column weighs as the column."""
    codec = TableCodec.fit(mixed)
    assert codec.encoded_weights({"age": 3, "city": 2.0}) == {
        "age": 3.0,
        "city": 2.0,
        "__is_missing__age": 3.0,
    }
    assert codec.encoded_weights({"age": 3.0}, left_out=["age"]) == {}
    assert codec.encoded_weights({}) is None
    assert codec.encoded_weights(None) is None


def test_official_dicts_are_json(mixed: pd.DataFrame) -> None:
    results = privacy_metrics(mixed, mixed.sample(frac=1, random_state=1).reset_index(drop=True))
    [report] = to_official_dicts(results, "patients")
    decoded = json.loads(json.dumps(report, allow_nan=False))
    assert decoded["metadata"] == {"table_name": "patients", "computation_type": "standalone"}
    assert set(TARGETS) <= set(decoded)
    assert decoded["targets"] == TARGETS
    assert set(decoded["passed"]) == set(TARGETS)
    assert set(decoded["details"]) == set(TARGETS)
    assert decoded["hidden_rate"] == results[0].value
    assert isinstance(decoded["local_cloaking"], float)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"known_variables": ["age", "nope"]}, "nope"),
        ({"target": "nope"}, "nope"),
        ({"categorical_hidden_rate_variables": ["nope"]}, "nope"),
        ({"known_variables": ["age"], "target": "age"}, "age"),
        ({"local_cloaking_cap": 0}, "local_cloaking_cap"),
        ({"column_weights": {"age": 2.0, "nope": 2.0}}, r"unknown columns: \['nope'\]"),
        ({"column_weights": {"age": 0}}, "must be positive"),
        ({"column_weights": {"age": -1.0}}, "must be positive"),
        ({"column_weights": {"age": float("nan")}}, "must be positive"),
        ({"column_weights": {"age": float("inf")}}, "must be positive"),
    ],
)
def test_bad_parameters(mixed: pd.DataFrame, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        privacy_metrics(mixed, mixed.copy(), **options)


def test_bad_tables(mixed: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="one row per original"):
        privacy_metrics(mixed, mixed.iloc[:-1])
    with pytest.raises(ValueError, match="columns"):
        privacy_metrics(mixed, mixed.drop(columns="age"))
    with pytest.raises(ValueError, match="columns"):
        privacy_metrics(mixed, mixed[list(reversed(mixed.columns))])
    with pytest.raises(ValueError, match="empty"):
        privacy_metrics(mixed.iloc[:0], mixed.iloc[:0])


def test_progress_reports_and_cancellation(mixed: pd.DataFrame) -> None:
    seen: list[tuple[str, float]] = []
    privacy_metrics(mixed, mixed.copy(), progress=lambda stage, f: seen.append((stage, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert seen[-1] == ("done", 1.0)
    assert "hidden_rate" in {stage for stage, _ in seen}

    calls: list[str] = []

    def cancel(stage: str, fraction: float) -> None:
        calls.append(stage)
        if stage == "distance_to_closest":
            raise Cancelled()

    with pytest.raises(Cancelled):
        privacy_metrics(mixed, mixed.copy(), progress=cancel)
    assert calls[-1] == "distance_to_closest"


def test_wbcd_with_perturbed_avatars(wbcd: pd.DataFrame) -> None:
    # wbcd's columns take at most 10 values (projected as categories), so the "noise" moves a
    # cell to another value of its column rather than adding decimals.
    rng = np.random.default_rng(0)
    avatars = wbcd.copy()
    for name in wbcd.columns:
        moved = rng.random(len(wbcd)) < 0.3
        avatars.loc[moved, name] = rng.choice(wbcd[name].unique(), int(moved.sum()))
    results = metrics(wbcd, avatars)
    for name in PERCENTAGES:
        if results[name].value is not None:
            assert 0 <= value(results[name]) <= 100, name
    assert results["categorical_hidden_rate"].value is None
    assert results["inference_categorical"].value is None
    assert value(results["inference_continuous"]) >= 0
    assert 0 < value(results["hidden_rate"]) <= 100
    assert value(results["local_cloaking"]) >= 0
    assert value(results["distance_to_closest"]) >= 0
    assert 0 <= value(results["closest_distances_ratio"]) <= 1
    assert 0 <= value(results["row_direct_match_protection"]) < 100
    for result in results.values():
        assert result.passed is None or (
            result.target is not None
            and result.passed == (value(result) > float(result.target.split()[1]))
        )
        assert math.isfinite(result.value) if result.value is not None else True


def test_sampled_distance_metrics_estimate_the_full_ones() -> None:
    rng = np.random.default_rng(5)
    original = pd.DataFrame(rng.normal(size=(6000, 4)), columns=list("abcd"))
    avatars = original + rng.normal(scale=0.5, size=original.shape)
    full = metrics(original, avatars, sample_rows=None)
    sampled = metrics(original, avatars, sample_rows=2000)
    assert sampled["hidden_rate"].details["sampled_rows"] == 2000
    assert "sampled_rows" not in full["hidden_rate"].details
    assert value(sampled["hidden_rate"]) == pytest.approx(value(full["hidden_rate"]), abs=3)
    assert value(sampled["distance_to_closest"]) == pytest.approx(
        value(full["distance_to_closest"]), rel=0.05
    )


def test_local_cloaking_sample_estimates_it_while_the_hidden_rate_stays_exact() -> None:
    rng = np.random.default_rng(8)
    original = pd.DataFrame(rng.normal(size=(6000, 4)), columns=list("abcd"))
    avatars = original + rng.normal(scale=0.3, size=original.shape)
    full = metrics(original, avatars, local_cloaking_sample_rows=None)
    sampled = metrics(original, avatars, local_cloaking_sample_rows=1500)
    assert sampled["local_cloaking"].details["sampled_rows"] == 1500
    assert "sampled_rows" not in full["local_cloaking"].details
    assert value(sampled["hidden_rate"]) == value(full["hidden_rate"])
    assert 0 < value(full["local_cloaking"]) < 64
    assert value(sampled["local_cloaking"]) == pytest.approx(
        value(full["local_cloaking"]), abs=max(1.0, 0.15 * value(full["local_cloaking"]))
    )


def test_hidden_rate_matches_brute_force_with_ties() -> None:
    rng = np.random.default_rng(9)
    # Few distinct rows on a coarse grid: many avatars tie with the own one for nearest.
    original = pd.DataFrame(rng.integers(0, 12, size=(400, 2)).astype(float), columns=["x", "y"])
    avatars = pd.DataFrame(rng.integers(0, 12, size=(400, 2)).astype(float), columns=["x", "y"])
    avatars.iloc[:150] = original.iloc[:150].to_numpy()
    result = metrics(original, avatars, ncp=2)["hidden_rate"]
    # The projection of two continuous columns is a rotation of the standardised values.
    scaled_o = ((original - original.mean()) / original.std(ddof=0)).to_numpy()
    scaled_a = ((avatars - original.mean()) / original.std(ddof=0)).to_numpy()
    distances = np.linalg.norm(scaled_o[:, None, :] - scaled_a[None, :, :], axis=2)
    own = distances[np.arange(400), np.arange(400)]
    closer = (distances < own[:, None] - 1e-9).sum(axis=1)
    ties = (np.abs(distances - own[:, None]) <= 1e-9).sum(axis=1)
    expected = np.where(closer > 0, 1.0, 1.0 - 1.0 / ties).mean() * 100
    assert result.details["nearest_ties"] > 0
    assert value(result) == pytest.approx(expected, abs=1e-9)


def test_a_wide_column_counts_through_its_frequent_modalities() -> None:
    """The metrics projection one-hot encodes at most 200 modalities of a column (issue 13)."""
    rng = np.random.default_rng(0)
    codes = rng.zipf(1.5, 3_000) % 2_000
    original = pd.DataFrame({"x": rng.normal(size=3_000), "code": [f"c{c}" for c in codes]})
    avatars = original.sample(frac=1.0, random_state=1).reset_index(drop=True)
    _, encoded_original, encoded_avatars = encode_pair(original, avatars)
    for encoded in (encoded_original, encoded_avatars):
        assert encoded["code"].nunique() <= MAX_ONE_HOT_MODALITIES
        assert RARE_MODALITIES in set(encoded["code"])
    frequent = original["code"].value_counts().index[0]
    assert (encoded_original["code"] == frequent).sum() == (original["code"] == frequent).sum()
    assert {m.name for m in privacy_metrics(original, avatars)} >= {"hidden_rate", "local_cloaking"}
