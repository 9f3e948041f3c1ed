"""Signal metrics: known answers on hand-built tables, robustness to dtypes, JSON output."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.progress import Cancelled
from avatar_server.engine.results import MetricResult, correlation_target, to_official_dicts
from avatar_server.engine.signal import OTHER_MODALITY, signal_metrics, variable_comparisons


def metrics(
    original: pd.DataFrame, avatars: pd.DataFrame, bins: int = 20
) -> dict[str, MetricResult]:
    return {m.name: m for m in signal_metrics(original, avatars, bins=bins)}


def hellinger_of(original: pd.DataFrame, avatars: pd.DataFrame, column: str) -> float:
    details = metrics(original, avatars)["hellinger_mean"].details
    return float(details["per_variable"][column])


def by_hand(p: list[float], q: list[float]) -> float:
    return math.sqrt(
        0.5 * sum((math.sqrt(a) - math.sqrt(b)) ** 2 for a, b in zip(p, q, strict=True))
    )


def shuffled(df: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return df.sample(frac=1, random_state=seed).reset_index(drop=True)


# --- Hellinger -----------------------------------------------------------------------------


def test_identical_tables_score_zero(mixed: pd.DataFrame) -> None:
    results = metrics(mixed, shuffled(mixed))
    assert list(results) == ["hellinger_mean", "hellinger_std", "correlation_difference_ratio"]
    assert results["hellinger_mean"].value == pytest.approx(0.0, abs=1e-12)
    assert results["hellinger_std"].value == pytest.approx(0.0, abs=1e-12)
    assert set(results["hellinger_mean"].details["per_variable"]) == set(mixed.columns)
    assert results["correlation_difference_ratio"].value == pytest.approx(0.0, abs=1e-9)
    assert results["hellinger_mean"].passed is True
    assert results["correlation_difference_ratio"].passed is True
    assert results["hellinger_mean"].target == "< 0.1"
    ratio = results["correlation_difference_ratio"]
    assert ratio.target == correlation_target(ratio.details["floor"]["at_run_size"])


def test_correlation_target_is_the_fixed_one_or_one_and_a_half_floors() -> None:
    assert correlation_target(None) == correlation_target(6.0) == "< 10"
    assert correlation_target(10.0) == "< 15"
    assert correlation_target(15.02) == "< 22.53"
    assert correlation_target(90.0) == "< 25"  # never above the cap


def test_losing_the_one_real_relation_among_unrelated_columns_fails() -> None:
    # Nine unrelated columns make the halves' floor large; the cap keeps the target from
    # passing a release whose one strong pair (r = 0.9) was destroyed.
    rng = np.random.default_rng(0)
    rows = 2000
    frame = pd.DataFrame({f"c{i}": rng.normal(size=rows) for i in range(10)})
    frame["c1"] = 0.9 * frame["c0"] + np.sqrt(1 - 0.81) * frame["c1"]
    lost = frame.assign(c1=rng.permutation(frame["c1"].to_numpy()))
    ratio = metrics(frame, lost)["correlation_difference_ratio"]
    assert ratio.target == "< 25" and ratio.passed is False, (ratio.value, ratio.target)


def _correlated(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=rows)
    return pd.DataFrame(
        {
            "a": base + rng.normal(scale=1.0, size=rows),
            "b": base + rng.normal(scale=1.5, size=rows),
            "c": rng.normal(size=rows),
            "group": np.where(base + rng.normal(size=rows) > 0, "x", "y"),
        }
    )


def test_a_small_table_is_judged_against_its_own_noise_and_a_large_one_against_ten() -> None:
    small, large = _correlated(80, 1), _correlated(20_000, 1)
    small_floor = metrics(small, small)["correlation_difference_ratio"].details["floor"]
    large_floor = metrics(large, large)["correlation_difference_ratio"].details["floor"]
    assert small_floor["at_run_size"] > 10 / 1.5 > large_floor["at_run_size"]
    assert small_floor["rows_measured"] == 80 and large_floor["rows_measured"] == 20_000
    # Another sample of the same population is judged against the small table's own floor ...
    other = metrics(small, _correlated(80, 2))["correlation_difference_ratio"]
    assert other.target == correlation_target(other.details["floor"]["at_run_size"]) != "< 10"
    # ... columns shuffled apart (every relation lost) fail whatever the floor.
    rng = np.random.default_rng(3)
    broken = small.apply(lambda column: column.to_numpy()[rng.permutation(len(column))])
    lost = metrics(small, broken)["correlation_difference_ratio"]
    assert lost.value is not None and lost.value > 60 and lost.passed is False


def test_avatars_read_back_from_csv_still_match(mixed: pd.DataFrame) -> None:
    # Dates come back as text, booleans and codes may change dtype: the originals' typing rules.
    buffer = io.StringIO()
    mixed.to_csv(buffer, index=False)
    buffer.seek(0)
    avatars = pd.read_csv(buffer)
    results = metrics(mixed, avatars)
    assert results["hellinger_mean"].value == pytest.approx(0.0, abs=1e-12)
    assert results["correlation_difference_ratio"].value == pytest.approx(0.0, abs=1e-9)


def test_disjoint_categories_are_at_distance_one() -> None:
    original = pd.DataFrame({"c": ["a", "b", "a", "b"]})
    avatars = pd.DataFrame({"c": ["x", "y", "y", "y"]})
    assert hellinger_of(original, avatars, "c") == pytest.approx(1.0)


def test_two_modalities_known_answer() -> None:
    original = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 5})
    avatars = pd.DataFrame({"c": ["a"] * 9 + ["b"]})
    # p = (0.5, 0.5), q = (0.9, 0.1): H = sqrt(0.5 * ((√.5 - √.9)² + (√.5 - √.1)²)) ≈ 0.3249
    assert hellinger_of(original, avatars, "c") == pytest.approx(by_hand([0.5, 0.5], [0.9, 0.1]))
    assert hellinger_of(original, avatars, "c") == pytest.approx(0.32492, abs=1e-5)


def test_missing_is_its_own_modality() -> None:
    original = pd.DataFrame({"c": ["a", "a", None, None]})
    avatars = pd.DataFrame({"c": ["a", "a", "a", "a"]})
    assert hellinger_of(original, avatars, "c") == pytest.approx(by_hand([0.5, 0.5], [1.0, 0.0]))


def test_booleans_match_their_text_form() -> None:
    original = pd.DataFrame({"b": [True, False, True, True]})
    avatars = pd.DataFrame({"b": ["True", "True", "False", "True"]}, dtype=object)
    assert hellinger_of(original, avatars, "b") == pytest.approx(0.0)


def test_few_distinct_numbers_use_one_bin_per_value() -> None:
    original = pd.DataFrame({"x": [1.0, 1.0, 2.0, 2.0]})
    avatars = pd.DataFrame({"x": [1.0, 1.0, 1.0, 3.0]})
    # support {1, 2, 3}: p = (.5, .5, 0), q = (.75, 0, .25)
    expected = by_hand([0.5, 0.5, 0.0], [0.75, 0.0, 0.25])
    assert hellinger_of(original, avatars, "x") == pytest.approx(expected)


def test_many_distinct_numbers_use_equal_mass_bins_from_the_original() -> None:
    original = pd.DataFrame({"x": np.arange(1000, dtype=float)})
    # Beyond the originals' range: every avatar lands in the last of 20 equal-mass bins.
    avatars = pd.DataFrame({"x": np.full(1000, 5000.0)})
    # H² = 1 - Σ √(p q) = 1 - √(0.05 · 1)
    assert hellinger_of(original, avatars, "x") == pytest.approx(math.sqrt(1 - math.sqrt(0.05)))
    below = pd.DataFrame({"x": np.full(1000, -5.0)})
    assert hellinger_of(original, below, "x") == pytest.approx(math.sqrt(1 - math.sqrt(0.05)))
    # Half the avatars in the first bin's range, half missing: p_missing = 0, q_missing = 0.5.
    half = pd.DataFrame({"x": np.r_[np.full(500, 10.0), np.full(500, np.nan)]})
    assert hellinger_of(original, half, "x") == pytest.approx(math.sqrt(1 - math.sqrt(0.05 * 0.5)))


def test_bins_parameter_changes_the_binning() -> None:
    original = pd.DataFrame({"x": np.arange(1000, dtype=float)})
    avatars = pd.DataFrame({"x": np.full(1000, 5000.0)})
    value = metrics(original, avatars, bins=4)["hellinger_mean"].value
    assert value == pytest.approx(math.sqrt(1 - math.sqrt(0.25)))


def test_datetimes_are_compared_as_seconds() -> None:
    days = pd.date_range("2020-01-01", periods=100, freq="D")
    original = pd.DataFrame({"d": days.strftime("%Y-%m-%d")})
    later = pd.DataFrame({"d": (days + pd.Timedelta(days=1000)).strftime("%Y-%m-%d")})
    assert hellinger_of(original, shuffled(original), "d") == pytest.approx(0.0)
    assert hellinger_of(original, later, "d") == pytest.approx(math.sqrt(1 - math.sqrt(0.05)))


def test_mean_and_std_over_variables() -> None:
    original = pd.DataFrame({"same": ["a", "b"] * 5, "moved": ["a", "b"] * 5})
    avatars = pd.DataFrame({"same": ["b", "a"] * 5, "moved": ["c", "d"] * 5})
    results = metrics(original, avatars)
    assert results["hellinger_mean"].value == pytest.approx(0.5)
    assert results["hellinger_std"].value == pytest.approx(0.5)
    assert results["hellinger_mean"].passed is False
    assert results["hellinger_std"].passed is None


# --- correlations --------------------------------------------------------------------------


def test_correlation_reversed_pair() -> None:
    original = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})
    avatars = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [4.0, 3.0, 2.0, 1.0]})
    result = metrics(original, avatars)["correlation_difference_ratio"]
    # r goes from 1 to -1: Σ|Δr| / Σ|r| = 2 / 1
    assert result.value == pytest.approx(200.0)
    assert result.passed is False
    assert result.details["pairs"] == 1
    assert result.details["max_difference"]["difference"] == pytest.approx(2.0)
    assert sorted(result.details["max_difference"]["columns"]) == ["x", "y"]


def test_correlation_lost_pair() -> None:
    original = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})
    avatars = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, -1.0, -1.0, 1.0]})
    assert metrics(original, avatars)["correlation_difference_ratio"].value == pytest.approx(100.0)


def test_correlation_with_one_hot_categories() -> None:
    original = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0], "c": ["a", "a", "b", "b"]})
    avatars = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0], "c": ["a", "b", "a", "b"]})
    result = metrics(original, avatars)["correlation_difference_ratio"]
    # Columns x, c___a, c___b. Original: r(x,a) = -1, r(x,b) = 1, r(a,b) = -1, so Σ|r| = 3.
    # Avatars: r(x,a) = r(x,b) = 0, r(a,b) = -1, so Σ|Δr| = 2.
    assert result.details["pairs"] == 3
    assert result.details["columns"] == 3
    assert result.value == pytest.approx(200.0 / 3.0)


def test_constant_columns_are_skipped_and_flattened_columns_count() -> None:
    original = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0], "k": [5.0, 5.0, 5.0, 5.0]}
    )
    result = metrics(original, original)["correlation_difference_ratio"]
    assert result.details["pairs"] == 1
    assert result.details["skipped_constant_columns"] == ["k"]
    flattened = original.assign(y=[2.5, 2.5, 2.5, 2.5])
    assert metrics(original, flattened)["correlation_difference_ratio"].value == pytest.approx(
        100.0
    )


def test_correlation_without_pairs_has_no_value() -> None:
    original = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    result = metrics(original, original)["correlation_difference_ratio"]
    assert result.value is None
    assert result.passed is None
    assert result.details["pairs"] == 0
    json.dumps(to_official_dicts([result], "t"), allow_nan=False)


def test_high_cardinality_categories_are_truncated() -> None:
    rng = np.random.default_rng(0)
    original = pd.DataFrame({"id": [f"id{i}" for i in range(500)], "x": rng.normal(size=500)})
    result = metrics(original, shuffled(original))["correlation_difference_ratio"]
    assert result.details["truncated_modalities"] == ["id"]
    assert result.details["columns"] == 51


# --- API shape -----------------------------------------------------------------------------


def test_columns_must_match() -> None:
    with pytest.raises(ValueError, match="same columns"):
        signal_metrics(pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"b": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="no rows"):
        signal_metrics(pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"a": []}))


def test_progress_reaches_one_and_can_cancel(mixed: pd.DataFrame) -> None:
    seen: list[tuple[str, float]] = []
    signal_metrics(mixed, mixed, progress=lambda stage, fraction: seen.append((stage, fraction)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
    assert {s for s, _ in seen} == {"signal_hellinger", "signal_correlation"}

    def cancel(stage: str, fraction: float) -> None:
        if fraction > 0.3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        signal_metrics(mixed, mixed, progress=cancel)


def test_official_dicts_are_plain_json(mixed: pd.DataFrame) -> None:
    avatars = shuffled(mixed).assign(city="Paris")
    odd = MetricResult("odd", float("nan"), None, None, {"n": np.int64(3), "v": np.float32(0.5)})
    results = [*signal_metrics(mixed, avatars), odd]
    (entry,) = to_official_dicts(results, "patients")
    text = json.dumps(entry, allow_nan=False)
    assert json.loads(text) == entry
    assert entry["metadata"] == {"table_name": "patients", "computation_type": "standalone"}
    assert entry["hellinger_mean"] == pytest.approx(
        float(np.mean(list(entry["details"]["hellinger_mean"]["per_variable"].values())))
    )
    assert entry["targets"]["hellinger_mean"] == "< 0.1"
    floor = entry["details"]["correlation_difference_ratio"]["floor"]["at_run_size"]
    assert entry["targets"]["correlation_difference_ratio"] == correlation_target(floor)
    assert entry["targets"]["hellinger_std"] is None
    assert entry["passed"]["hellinger_std"] is None
    assert entry["odd"] is None
    assert entry["details"]["odd"] == {"n": 3, "v": 0.5}
    assert isinstance(entry["correlation_difference_ratio"], float)


# --- variable comparisons ------------------------------------------------------------------


def test_variable_comparisons_shapes(mixed: pd.DataFrame) -> None:
    avatars = shuffled(mixed)
    comparisons = variable_comparisons(mixed, avatars)
    json.dumps(comparisons, allow_nan=False)
    assert [c["name"] for c in comparisons] == list(mixed.columns)
    kinds = {c["name"]: c["kind"] for c in comparisons}
    assert kinds["city"] == "categorical"
    assert kinds["smoker"] == "boolean"
    assert kinds["visit"] == "datetime"
    assert kinds["income"] == "continuous"
    for comparison in comparisons:
        assert set(comparison) == {"name", "kind", "original", "avatars", "plot"}
        plot = comparison["plot"]
        if plot["type"] == "histogram":
            edges = np.array(plot["edges"])
            assert len(plot["original"]) == len(plot["avatars"]) == len(edges) - 1
            assert np.all(np.diff(edges) > 0)
            for side in ("original", "avatars"):
                mass = float(np.sum(np.array(plot[side]) * np.diff(edges)))
                assert mass == pytest.approx(1.0)
                assert set(comparison[side]) == {
                    "count", "missing", "mean", "std", "min", "q25", "median", "q75", "max"
                }  # fmt: skip
            assert plot["original"] == pytest.approx(plot["avatars"])
        else:
            assert plot["type"] == "bar"
            assert len(plot["categories"]) == len(plot["original"]) == len(plot["avatars"])
            assert sum(plot["original"]) == pytest.approx(1.0)
            assert plot["original"] == sorted(plot["original"], reverse=True)
    age = next(c for c in comparisons if c["name"] == "age")
    assert age["original"]["count"] + age["original"]["missing"] == len(mixed)
    assert age["original"]["missing"] == int(mixed["age"].isna().sum())
    assert age["original"]["median"] == pytest.approx(float(mixed["age"].median()))
    assert age["original"]["std"] == pytest.approx(float(mixed["age"].std()))
    city = next(c for c in comparisons if c["name"] == "city")
    assert "__missing__" in city["plot"]["categories"]
    assert city["original"]["distinct"] == 4
    assert city["original"]["frequencies"]["Paris"] == pytest.approx(
        float((mixed["city"] == "Paris").mean())
    )


def test_many_modalities_are_grouped_as_other() -> None:
    values = [f"m{i:02d}" for i in range(40) for _ in range(40 - i)]
    original = pd.DataFrame({"c": values})
    avatars = pd.DataFrame({"c": ["new"] * len(values)})
    (comparison,) = variable_comparisons(original, avatars)
    plot = comparison["plot"]
    assert len(plot["categories"]) == 31
    assert plot["categories"][0] == "m00"
    assert plot["categories"][-1] == OTHER_MODALITY
    assert sum(plot["original"]) == pytest.approx(1.0)
    # The avatars' modality the originals lack is in "other".
    assert plot["avatars"][-1] == pytest.approx(1.0)
    assert comparison["avatars"]["distinct"] == 1


def test_histogram_counts_out_of_range_avatars_in_outer_bins() -> None:
    original = pd.DataFrame({"x": np.linspace(0.0, 1.0, 101)})
    avatars = pd.DataFrame({"x": np.r_[np.full(50, -10.0), np.full(50, 10.0)]})
    (comparison,) = variable_comparisons(original, avatars, bins=10)
    plot = comparison["plot"]
    assert len(plot["edges"]) == 11
    assert plot["edges"][0] == pytest.approx(0.0) and plot["edges"][-1] == pytest.approx(1.0)
    assert plot["avatars"][0] == pytest.approx(plot["avatars"][-1]) == pytest.approx(5.0)
    assert comparison["avatars"]["min"] == -10.0


def test_short_integer_ranges_get_one_bar_per_value(wbcd: pd.DataFrame) -> None:
    comparisons = variable_comparisons(wbcd, shuffled(wbcd))
    first = comparisons[0]
    assert first["kind"] == "discrete"
    assert first["plot"]["edges"] == pytest.approx(list(np.arange(0.5, 11.0, 1.0)))


# --- real data -----------------------------------------------------------------------------


def test_wbcd(wbcd: pd.DataFrame) -> None:
    assert metrics(wbcd, shuffled(wbcd))["hellinger_mean"].value == pytest.approx(0.0)
    rng = np.random.default_rng(1)
    noisy = wbcd + rng.integers(-1, 2, size=wbcd.shape)
    results = metrics(wbcd, noisy)
    per_variable = results["hellinger_mean"].details["per_variable"]
    assert set(per_variable) == set(wbcd.columns)
    assert all(0.0 < h < 1.0 for h in per_variable.values())
    ratio = results["correlation_difference_ratio"]
    assert ratio.value is not None and 0.0 < ratio.value < 100.0
    assert ratio.details["pairs"] == 45
    json.dumps(to_official_dicts(list(results.values()), "wbcd"), allow_nan=False)


def test_a_few_far_values_do_not_squeeze_the_histogram() -> None:
    """Income-like values with 4 outliers a thousand times larger: the axis stops near the
    99th percentile (not at 1e7), the far values are counted, not drawn; an ordinary skewed
    column keeps its whole range."""
    rng = np.random.default_rng(5)
    income = np.round(rng.lognormal(10, 0.5, 5000), 2)
    ordinary = income.copy()
    income[rng.choice(5000, 4, replace=False)] *= 1000
    original = pd.DataFrame({"income": income, "ordinary": ordinary})
    avatars = shuffled(original, seed=1)
    far, plain = variable_comparisons(original, avatars)
    edges = np.array(far["plot"]["edges"])
    assert edges[-1] < 2 * np.quantile(income, 0.99) < 1e6
    beyond = far["plot"]["beyond"]
    assert 4 <= beyond["original"] <= 20 and beyond["avatars"] == beyond["original"]
    inside = float(np.sum(np.array(far["plot"]["original"]) * np.diff(edges)))
    assert inside == pytest.approx(1 - beyond["original"] / 5000)  # shares of all rows
    assert far["original"]["max"] == pytest.approx(income.max())  # the summary is whole
    assert "beyond" not in plain["plot"]
    assert plain["plot"]["edges"][-1] == pytest.approx(ordinary.max())
