"""Properties of ``avatarize``: shapes, types, bounds, gaps, determinism, errors, progress."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.avatarize import (
    AvatarizationResult,
    Batch,
    BatchModel,
    BatchResult,
    ExclusionSettings,
    ImputationSettings,
    avatarize,
    avatarize_batch,
)
from avatar_server.engine.axes import FEWEST_AXES
from avatar_server.engine.decoding import (
    assign_from_neighbours,
    assign_with_counts,
    map_to_quantiles,
)
from avatar_server.engine.progress import Cancelled


def test_shape_dtypes_and_row_link(mixed: pd.DataFrame) -> None:
    result = avatarize(mixed, k=10, seed=1)
    for frame in (result.unshuffled, result.shuffled):
        assert frame.shape == mixed.shape
        assert list(frame.columns) == list(mixed.columns)
        assert (frame.dtypes == mixed.dtypes).all()
    assert result.unshuffled.index.equals(mixed.index)
    # Shuffled is a row permutation of unshuffled, and not the identity.

    def rows(frame: pd.DataFrame) -> list[int]:
        return [int(h) for h in pd.util.hash_pandas_object(frame, index=False)]

    assert sorted(rows(result.shuffled)) == sorted(rows(result.unshuffled))
    assert rows(result.shuffled) != rows(result.unshuffled)
    # No ncp given: the axes rule (engine.axes); the fixture's columns are drawn apart, so
    # no axis beats the shuffled copies and the rule keeps its fewest.
    assert len(result.explained_variance_ratio) == FEWEST_AXES
    assert result.original_projections.shape == (len(mixed), FEWEST_AXES)
    assert result.avatar_projections.shape == (len(mixed), FEWEST_AXES)


def test_values_stay_within_the_original(mixed: pd.DataFrame) -> None:
    avatars = avatarize(mixed, k=10, seed=2).unshuffled
    for column in ("age", "income", "children", "score"):
        assert avatars[column].min() >= mixed[column].min()
        assert avatars[column].max() <= mixed[column].max()
    assert set(avatars["children"]) <= set(mixed["children"])
    assert (avatars["age"].dropna() % 1 == 0).all()
    assert set(avatars["city"].dropna()) <= set(mixed["city"].dropna())
    assert avatars["smoker"].dtype == bool
    dates = pd.to_datetime(avatars["visit"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp(mixed["visit"].min())
    assert dates.max() <= pd.Timestamp(mixed["visit"].max())
    assert avatars["stamp"].dropna().between(mixed["stamp"].min(), mixed["stamp"].max()).all()


def test_missing_values_come_back_at_the_original_rate(mixed: pd.DataFrame) -> None:
    avatars = avatarize(mixed, k=10, seed=3).unshuffled
    for column in mixed.columns:
        assert avatars[column].isna().sum() == mixed[column].isna().sum(), column


def test_same_seed_same_avatars_other_seed_other_avatars(mixed: pd.DataFrame) -> None:
    first = avatarize(mixed, k=10, seed=11)
    again = avatarize(mixed, k=10, seed=11)
    other = avatarize(mixed, k=10, seed=12)
    pd.testing.assert_frame_equal(first.shuffled, again.shuffled)
    pd.testing.assert_frame_equal(first.unshuffled, again.unshuffled)
    assert not first.unshuffled.equals(other.unshuffled)
    assert first.seed == 11


def test_random_seed_is_reported_and_reproduces(iris: pd.DataFrame) -> None:
    result = avatarize(iris, k=5)
    pd.testing.assert_frame_equal(
        avatarize(iris, k=5, seed=result.seed).unshuffled, result.unshuffled
    )


def test_avatars_are_not_the_originals(wbcd: pd.DataFrame) -> None:
    avatars = avatarize(wbcd, k=20, seed=0).unshuffled
    assert (avatars.to_numpy() != wbcd.to_numpy()).any(axis=1).mean() > 0.5


def test_marginals_are_kept(epl: pd.DataFrame) -> None:
    avatars = avatarize(epl, k=20, seed=0).unshuffled
    assert avatars["position"].value_counts().to_dict() == epl["position"].value_counts().to_dict()
    for column in ("age", "minutes_in_game"):
        assert abs(avatars[column].mean() - epl[column].mean()) < 0.05 * epl[column].std()
        assert abs(avatars[column].std() / epl[column].std() - 1) < 0.1


def test_no_avatar_value_lies_beyond_the_fifth_most_extreme_original() -> None:
    """A lone income of 50 million, a weight of 250 kg and the earliest and latest birth dates
    came back as 8 to 42 million, 124 to 165 kg and dates within days of the extremes: the
    tails are held at the 5th most extreme original (``decoding.TAIL_SHARED``)."""
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": np.round(rng.lognormal(10.3, 0.5, n), 2),
            "weight": np.round(rng.normal(72, 12, n), 1),
            "birth": pd.Timestamp("1950-01-01")
            + pd.to_timedelta(rng.integers(0, 20_000, n), unit="D"),
            "town": rng.choice(["Lille", "Paris", "Lyon"], n),
        }
    )
    df.loc[7, "income"], df.loc[8, "weight"] = 50_000_000.0, 250.0
    for seed in range(3):
        avatars = avatarize(df, k=10, seed=seed).shuffled
        for column in ("age", "income", "weight", "birth"):
            ordered = df[column].sort_values().to_numpy()
            assert avatars[column].max() <= ordered[-5], column
            assert avatars[column].min() >= ordered[4], column
        assert avatars["income"].max() < 150_000 and avatars["weight"].max() < 102


@pytest.mark.parametrize(
    ("size", "held", "discrete"),
    [
        (1000, 5, False),
        (1000, 5, True),
        (150, 3, False),
        (75, 2, True),
        (4, 2, False),
        (3, 1, False),
    ],
)
def test_quantile_tails_are_held_at_a_value_several_originals_reach(
    size: int, held: int, discrete: bool
) -> None:
    """The ``held``-th most extreme original bounds each tail: 5 from 250 values up, 2 % of
    them below (at least 2, at most half); three values are too few to hold anything. A
    continuous column copies no original value, held ones included."""
    rng = np.random.default_rng(size)
    originals = np.round(rng.normal(50, 10, size)) if discrete else rng.normal(50, 10, size)
    originals[0], originals[1] = 1e9, -1e9
    ordered = np.sort(originals)
    mapped = map_to_quantiles(rng.normal(size=size), originals, rng, discrete=discrete)
    assert mapped.max() <= ordered[-held] and mapped.min() >= ordered[held - 1]
    assert mapped.max() >= ordered[-held - 1] and mapped.min() <= ordered[held]
    if held == 1:
        assert mapped.max() > ordered[-2]  # nothing held: the top is between the top two
    if not discrete:
        assert not np.isin(mapped, originals).any()


def test_k_two_and_largest_k(iris: pd.DataFrame) -> None:
    small = avatarize(iris, k=2, seed=0)
    largest = avatarize(iris, k=len(iris) - 1, seed=0)
    assert small.unshuffled.shape == largest.unshuffled.shape == iris.shape
    # With every row as a neighbour, avatars gather towards the centre of the projection.

    def spread(result: AvatarizationResult) -> float:
        return float(np.linalg.norm(result.avatar_projections.to_numpy(), axis=1).mean())

    assert spread(largest) < spread(small)


def test_avatar_projection_mixes_neighbours(iris: pd.DataFrame) -> None:
    result = avatarize(iris, k=5, seed=0)
    originals = result.original_projections.to_numpy()
    avatars = result.avatar_projections.to_numpy()
    assert not np.allclose(originals, avatars)
    # Each avatar lies within its original's neighbourhood, never beyond the whole cloud.
    assert np.linalg.norm(avatars - originals, axis=1).max() < np.ptp(originals, axis=0).max()


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), {"k": 1}, "at least 2"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), {"k": 4}, "smaller than the number of rows"),
        (pd.DataFrame(), {"k": 2}, "empty"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [np.nan] * 4}), {"k": 2}, "entirely missing"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4], "z": [1j, 2j, 3j, 4j]}), {"k": 2}, "unsupported dtype"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), {"k": 2, "ncp": 0}, "ncp must be at least 1"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]}), {"k": 2, "ncp": 9}, "ncp=9"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), {"k": 2, "column_weights": {"x": 2}}, "unknown"),
        (
            pd.DataFrame({"a": [1.0, 2, 3, 4]}),
            {"k": 2, "exclude_variables": ExclusionSettings(("nope",), "row_order")},
            "unknown columns",
        ),
        (pd.DataFrame({"a": [1.0, 2, 3, np.inf]}), {"k": 2}, "infinite"),
    ],
)
def test_impossible_inputs_raise_clear_errors(
    table: pd.DataFrame, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        avatarize(table, **kwargs)


def test_settings_are_checked_when_made() -> None:
    with pytest.raises(ValueError, match="imputation method 'magic'"):
        ImputationSettings(method="magic")
    with pytest.raises(ValueError, match="replacement_strategy 'sideways'"):
        ExclusionSettings(("a",), "sideways")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"imputation": "knn"}, "ImputationSettings"),
        ({"imputation": {"method": "knn"}}, "ImputationSettings"),
        ({"exclude_variables": {"variable_names": ["a"]}}, "ExclusionSettings"),
    ],
)
def test_settings_are_objects_not_dicts(settings: dict, expected: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(TypeError, match=expected):
        avatarize(pd.DataFrame({"a": [1.0, 2, 3, 4]}), k=2, **settings)


@pytest.mark.parametrize("method", ["knn", "fast_knn", "mean", "median", "mode"])
def test_every_imputation_method(mixed: pd.DataFrame, method: str) -> None:
    imputation = ImputationSettings(method=method, k=3)
    avatars = avatarize(mixed, k=10, seed=0, imputation=imputation).unshuffled
    assert avatars["age"].isna().sum() == mixed["age"].isna().sum()


def test_excluded_variables(mixed: pd.DataFrame) -> None:
    kept = avatarize(
        mixed, k=10, seed=0, exclude_variables=ExclusionSettings(("income",), "row_order")
    )
    assert (kept.unshuffled["income"] == mixed["income"]).all()
    assert kept.warnings and "not anonymized" in kept.warnings[0]
    similar = avatarize(
        mixed,
        k=10,
        seed=0,
        exclude_variables=ExclusionSettings(("income",), "coordinate_similarity"),
    ).unshuffled
    assert set(similar["income"]) <= set(mixed["income"])
    assert (similar["income"] != mixed["income"]).mean() > 0.5


def test_categorical_reduction_handles_many_modalities() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    code = np.array([f"code-{i:02d}" for i in np.clip(((x + 3) * 8).astype(int), 0, 47)])
    table = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.3, n), "code": code})
    result = avatarize(table, k=10, seed=0, use_categorical_reduction=True)
    avatars = result.unshuffled
    counts = table["code"].value_counts()
    shared = counts[counts > 1].to_dict()
    kept = avatars["code"].value_counts()
    # Codes held by several originals keep their counts (give or take the one-off codes,
    # which never reach the avatars: they would point at their only holder).
    assert not set(counts[counts == 1].index) & set(kept.index)
    assert sum(kept.to_dict().values()) == n
    assert all(abs(kept.get(c, 0) - v) <= (counts == 1).sum() for c, v in shared.items())
    # The code still follows x: the embedding kept the association.
    assert np.corrcoef(avatars["x"], avatars["code"].str[5:].astype(int))[0, 1] > 0.7


def test_a_wide_column_leaves_the_projection_and_follows_its_neighbours() -> None:
    """20,000 modalities (issue 13): one-hot, the exact fit would factor a 20,000² matrix."""
    rng = np.random.default_rng(1)
    n, width = 60_000, 20_000
    code = np.concatenate(
        [np.arange(width), np.arange(width), rng.integers(0, width, n - 2 * width)]
    )
    rng.shuffle(code)
    x = code / width + rng.normal(0, 0.01, n)
    table = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.05, n), "code": [f"c{c}" for c in code]})
    result = avatarize(table, k=10, seed=0)
    assert len(result.warnings) == 1
    assert (
        "code (20,000)" in result.warnings[0] and "left out of the projection" in result.warnings[0]
    )
    avatars = result.unshuffled
    # Every code is held by two originals or more: each keeps its count exactly.
    counts = table["code"].value_counts()
    assert avatars["code"].value_counts().reindex(counts.index).fillna(0).eq(counts).all()
    # Neighbours share their codes' region of x, so the avatars' codes still follow x.
    number = avatars["code"].str[1:].astype(int) / width
    assert np.corrcoef(avatars["x"], number)[0, 1] > 0.95


def test_every_column_too_wide_to_project_is_refused() -> None:
    table = pd.DataFrame({"code": [f"c{i // 2}" for i in range(1_000)]})
    with pytest.raises(ValueError, match="more than 200 modalities: at least one other column"):
        avatarize(table, k=5, seed=0)


def test_assignment_from_neighbours_keeps_counts_and_prefers_the_strongest() -> None:
    rng = np.random.default_rng(0)
    # Everybody leans on modality 0, which has room for 2: row 4 (both neighbours hold it,
    # 0.5 + 0.5) and row 0 (0.9) get it. Then row 1 takes its second choice, 1; rows 2 and 3
    # both want 2, the stronger (row 3, 0.4) gets it; row 2 gets what is left, 3.
    candidates = np.array([[0, 1], [0, 1], [0, 2], [0, 2], [0, 0]])
    weights = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4], [0.5, 0.5]])
    counts = np.array([2, 1, 1, 1])
    assigned = assign_from_neighbours(candidates, weights, counts, rng)
    assert assigned.tolist() == [0, 1, 3, 2, 0]
    assert np.bincount(assigned, minlength=4).tolist() == counts.tolist()
    with pytest.raises(ValueError, match="add up"):
        assign_from_neighbours(candidates, weights, np.array([1, 1, 1, 1]), rng)


def test_progress_is_reported_and_cancellation_stops(mixed: pd.DataFrame) -> None:
    calls: list[tuple[str, float]] = []
    avatarize(mixed, k=10, seed=0, progress=lambda stage, fraction: calls.append((stage, fraction)))
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)
    assert calls[-1] == ("done", 1.0)
    assert {"prepare", "project", "neighbours", "mix", "decode"} <= {s for s, _ in calls}

    def cancel(stage: str, _fraction: float) -> None:
        if stage == "neighbours":
            raise Cancelled()

    with pytest.raises(Cancelled):
        avatarize(mixed, k=10, seed=0, progress=cancel)


def test_batches_fit_once_and_keep_every_row() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=5000), "g": rng.choice(list("abc"), 5000)})
    table["y"] = table["x"] * 2 + rng.normal(0, 0.1, 5000)
    result = avatarize(table, k=10, seed=0, batch_rows=1000)
    assert result.batches == 5
    assert result.unshuffled["g"].value_counts().to_dict() == table["g"].value_counts().to_dict()
    assert np.corrcoef(result.unshuffled["x"], result.unshuffled["y"])[0, 1] > 0.95


def test_integer_flags_with_gaps_are_not_booleans() -> None:
    """Object columns of 0/1 with gaps stay numbers (1 == True must not make them booleans)."""
    flags = pd.Series([0, 1, None, 1, 0, 1, 0, 0, 1, 1] * 10, dtype=object)
    table = pd.DataFrame({"flag": flags, "x": np.arange(100.0)})
    avatars = avatarize(table, k=5, seed=0).unshuffled
    assert set(avatars["flag"].dropna()) <= {0, 1}
    assert avatars["flag"].isna().sum() == 10


def test_non_text_column_labels_are_kept() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {0: rng.normal(size=200), 1: rng.choice(["a", "b"], 200), "2": rng.random(200)}
    )
    avatars = avatarize(table, k=5, seed=0).unshuffled
    assert list(avatars.columns) == [0, 1, "2"]
    clash = pd.DataFrame({1: [1.0, 2.0, 3.0], "1": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="duplicate column names"):
        avatarize(clash, k=2)


def test_discrete_values_match_by_number_not_spelling(wbcd: pd.DataFrame) -> None:
    from avatar_server.engine.metric_space import metric_space

    space = metric_space(wbcd, wbcd.astype(float))
    assert np.isfinite(space.avatars).all()
    np.testing.assert_allclose(space.avatars, space.original, atol=1e-9)


def _two_kinds(rows: int = 400) -> pd.DataFrame:
    """Two kinds of rows told apart by ``level``: quiet ones whose other columns barely move
    and loud ones whose other columns vary 20 times more, independently of each other (the
    first axes see ``level``; the rest is residual)."""
    rng = np.random.default_rng(3)
    loud = np.arange(rows) % 2 == 1
    spread = np.where(loud, 2.0, 0.1)[:, None]
    frame = pd.DataFrame(
        rng.standard_normal((rows, 6)) * spread, columns=[f"x{i}" for i in range(6)]
    )
    frame["level"] = np.where(loud, 10.0, 0.0) + rng.normal(0, 0.1, rows)
    frame["x0"] = frame["level"] + rng.normal(0, 0.1, rows)
    return frame


def test_local_residual_keeps_each_kind_of_row_its_own_spread() -> None:
    frame = _two_kinds()
    quiet = (frame["level"] < 5).to_numpy()
    noisy = [f"x{i}" for i in range(1, 6)]

    def quiet_spread(**options: Any) -> float:
        avatars = avatarize(frame, k=5, ncp=2, seed=0, **options).unshuffled
        return float(avatars.loc[quiet, noisy].std().mean())

    original = float(frame.loc[quiet, noisy].std().mean())
    drawn_globally = quiet_spread()
    drawn_locally = quiet_spread(local_residual=noisy)
    # From all originals, the quiet rows' avatars take the loud rows' residual too.
    assert drawn_globally > 5 * original
    assert drawn_locally < 2 * original
    # Only the named columns change; the same seed gives the same avatars.
    again = avatarize(frame, k=5, ncp=2, seed=0, local_residual=noisy).unshuffled
    first = avatarize(frame, k=5, ncp=2, seed=0, local_residual=noisy).unshuffled
    pd.testing.assert_frame_equal(first, again)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"local_residual": ["nowhere"]}, "not projected numbers: ['nowhere']"),
        ({"local_residual": ["kind"]}, "not projected numbers: ['kind']"),
        (
            {"local_residual": ["x1"], "restore_residual": False},
            "local_residual needs restore_residual",
        ),
    ],
)
def test_local_residual_refuses_what_it_cannot_draw(options: dict[str, Any], message: str) -> None:
    frame = _two_kinds(60).assign(kind=lambda f: np.where(f["level"] > 5, "loud", "quiet"))
    with pytest.raises(ValueError, match=re.escape(message)):
        avatarize(frame, k=5, seed=0, **options)


def _elsewhere_backwards(model: BatchModel, batches: Sequence[Batch]) -> Iterator[BatchResult]:
    """Batches run in other processes (pickled there and back, as a cluster would) and handed
    back last first."""
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(avatarize_batch, model, batch) for batch in batches]
        for future in reversed(futures):
            yield future.result()


def test_batches_give_the_same_avatars_wherever_and_in_whatever_order_they_run(
    mixed: pd.DataFrame,
) -> None:
    here = avatarize(mixed, k=5, seed=4, batch_rows=60)
    assert here.batches > 2
    elsewhere = avatarize(mixed, k=5, seed=4, batch_rows=60, map_batches=_elsewhere_backwards)
    pd.testing.assert_frame_equal(here.unshuffled, elsewhere.unshuffled)
    pd.testing.assert_frame_equal(here.shuffled, elsewhere.shuffled)
    pd.testing.assert_frame_equal(here.avatar_projections, elsewhere.avatar_projections)
    other_seed = avatarize(mixed, k=5, seed=5, batch_rows=60)
    assert not here.unshuffled.equals(other_seed.unshuffled)


def test_drawn_modalities_keep_the_counts_and_follow_the_scores() -> None:
    """Ranked (temperature 0) or drawn, every modality gets exactly its count; drawn, a row
    scoring high for a modality mostly gets it, without every such row getting it."""
    rng = np.random.default_rng(0)
    n = 1_000
    favoured = rng.random(n) < 0.3
    scores = np.column_stack([np.where(favoured, 0.6, 0.4), np.where(favoured, 0.4, 0.6)])
    counts = np.array([300, 700])
    ranked = assign_with_counts(scores, counts, np.random.default_rng(1), temperature=0.0)
    drawn = assign_with_counts(scores, counts, np.random.default_rng(1), temperature=0.5)
    for assigned in (ranked, drawn):
        assert np.bincount(assigned, minlength=2).tolist() == [300, 700]
    assert (ranked[favoured] == 0).mean() > 0.95
    assert 0.4 < (drawn[favoured] == 0).mean() < 0.9
    with pytest.raises(ValueError, match="temperature must be at least 0"):
        assign_with_counts(scores, counts, rng, temperature=-1.0)


def _between_variables(frame: pd.DataFrame) -> float:
    """Mean |r| between one-hot columns of different variables."""
    dummies = pd.get_dummies(frame, dtype=float)
    owners = [column.split("_")[0] for column in dummies.columns]
    r = np.corrcoef(dummies.to_numpy().T)
    pairs = [
        abs(r[i, j])
        for i in range(len(owners))
        for j in range(i + 1, len(owners))
        if owners[i] != owners[j]
    ]
    return float(np.mean(pairs))


def test_drawn_modalities_invent_fewer_relations_between_unrelated_columns() -> None:
    """Ranked, a city column unrelated to anything comes out related to the numbers (the
    threshold follows the projection's axes); drawn at 0.5, the default, much less
    (decoding.SCORE_TEMPERATURE's figures)."""
    rng = np.random.default_rng(0)
    n = 4_000
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n).astype(float),
            "weight": np.round(rng.normal(72, 12, n), 1),
            "income": np.round(rng.normal(30_000, 5_000, n)),
            "sex": rng.choice(["F", "M"], n),
            "city": rng.choice(list("ABCDE"), n),
        }
    )
    original = _between_variables(frame)
    ranked = _between_variables(avatarize(frame, k=10, seed=0, category_temperature=0).shuffled)
    drawn = _between_variables(avatarize(frame, k=10, seed=0).shuffled)  # the default, 0.5
    assert original < 0.03
    assert ranked > 2 * original  # the defect the option addresses
    assert drawn < 0.75 * ranked
    for wrong in (-0.5, float("nan")):
        with pytest.raises(ValueError, match="category_temperature"):
            avatarize(frame, k=10, seed=0, category_temperature=wrong)
