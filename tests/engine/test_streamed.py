"""The streamed avatarization: fitted on a sample, run on contiguous batches as they are read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.avatarize import ExclusionSettings, avatarize
from avatar_server.engine.codec import TableCodec
from avatar_server.engine.copies import unique_copy_rows
from avatar_server.engine.streamed import (
    StreamSettings,
    avatarize_rows,
    covering_positions,
    fit_stream_model,
    sample_positions,
)


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    age = np.clip(np.round(45 + 12 * latent + rng.normal(0, 6, n)), 18, 99).astype(np.int64)
    income = np.exp(10 + 0.4 * latent + rng.normal(0, 0.3, n)).round(2)
    income[rng.random(n) < 0.05] = np.nan
    city = rng.choice(["north", "south", "east", "west"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    city = city.astype(object)
    city[n - 3] = "island"  # a modality held by one row of the last batch only
    score = rng.integers(0, 5, size=n)
    smoker = np.where(latent + rng.normal(0, 1, n) > 0.5, True, False)
    visit = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "city": city,
            "score": score,
            "smoker": smoker,
            "visit": visit,
        }
    )


def _streamed(
    df: pd.DataFrame, batch_rows: int, sample_rows: int, settings: StreamSettings, seed: int
) -> tuple[pd.DataFrame, list[float]]:
    excluded = list(settings.exclusion.variable_names) if settings.exclusion else []
    codec = TableCodec.fit(df.drop(columns=excluded))
    covering = np.unique(
        np.concatenate(
            [covering_positions(info, df[info.name], reduction=False) for info in codec.columns]
        )
    )
    positions = sample_positions(len(df), covering, seed, size=sample_rows)
    model = fit_stream_model(df.iloc[positions], codec, settings, seed=seed)
    parts = [
        avatarize_rows(model, df.iloc[start : start + batch_rows], number).avatars
        for number, start in enumerate(range(0, len(df), batch_rows))
    ]
    return pd.concat(parts), model.explained_variance_ratio


def test_the_sample_holds_every_modality_the_projection_encodes() -> None:
    df = _table(3_000)
    codec = TableCodec.fit(df)
    by_name = {info.name: info for info in codec.columns}
    city = covering_positions(by_name["city"], df["city"], reduction=False)
    assert set(df["city"].iloc[city]) == set(df["city"])
    income = covering_positions(by_name["income"], df["income"], reduction=False)
    assert len(income) == 1 and np.isnan(df["income"].iloc[income[0]])
    age = covering_positions(by_name["age"], df["age"], reduction=False)
    assert age.size == 0  # no gap: nothing to cover
    positions = sample_positions(3_000, city, seed=1, size=500)
    assert set(city) <= set(positions) and len(positions) < 520
    assert np.all(np.diff(positions) > 0)
    assert np.array_equal(sample_positions(400, city, seed=1, size=500), np.arange(400))


def test_streamed_avatars_keep_types_and_statistics_like_the_whole_table_run() -> None:
    df = _table(6_000)
    settings = StreamSettings(k=10)
    avatars, ratios = _streamed(df, batch_rows=2_000, sample_rows=2_500, settings=settings, seed=3)
    whole = avatarize(df, k=10, seed=3).unshuffled
    assert list(avatars.columns) == list(df.columns)
    assert (avatars.dtypes == df.dtypes).all()
    assert avatars.index.equals(df.index)
    # The axes rule ran on the fitting sample, as the whole-table run runs it on all rows.
    assert len(ratios) == len(avatarize(df, k=10, seed=3).explained_variance_ratio)
    assert 3 <= len(ratios) <= 5 and 0 < sum(ratios) < 1
    for name in ("age", "income"):
        original = float(df[name].mean())
        assert abs(float(avatars[name].mean()) - original) < 0.03 * abs(original)
        assert abs(float(avatars[name].mean()) - float(whole[name].mean())) < 0.03 * original
    assert avatars["income"].isna().mean() == pytest.approx(df["income"].isna().mean(), abs=0.01)
    corr = df["age"].corr(df["income"])
    assert abs(avatars["age"].corr(avatars["income"]) - corr) < 0.1
    # A modality one original holds is never given to an avatar (as in the whole run).
    assert "island" not in set(avatars["city"])
    frequencies = df["city"].value_counts(normalize=True)
    made = avatars["city"].value_counts(normalize=True)
    assert (made.reindex(frequencies.index).fillna(0) - frequencies).abs().max() < 0.01


def test_no_streamed_avatar_copies_a_row_only_one_original_of_its_batch_holds() -> None:
    """Few-valued columns make such copies by chance (the whole-table run without the swaps
    shows it); each batch breaks them among its own avatars."""
    rng = np.random.default_rng(5)
    latent = rng.normal(size=(3_000, 1))
    scores = np.clip(np.round(3 + 1.5 * latent + rng.normal(0, 0.8, (3_000, 4))), 1, 6)
    df = pd.DataFrame(scores.astype(np.int64), columns=["a", "b", "c", "d"])
    plain = avatarize(df, k=10, seed=1, avoid_unique_copies=False).unshuffled
    assert len(unique_copy_rows(df, plain)) > 10
    codec = TableCodec.fit(df)
    model = fit_stream_model(df, codec, StreamSettings(k=10), seed=1)
    for number, start in enumerate(range(0, 3_000, 1_000)):
        originals = df.iloc[start : start + 1_000]
        made = avatarize_rows(model, originals, number)
        assert made.unique_copies_left == 0
        assert len(unique_copy_rows(originals, made.avatars)) == 0
        assert list(made.avatars.columns) == list(df.columns)
        assert made.avatars.index.equals(originals.index)


def test_a_batch_gives_the_same_avatars_in_any_process_and_order() -> None:
    df = _table(4_000)
    codec = TableCodec.fit(df)
    sample = df.iloc[np.union1d(np.arange(0, 4_000, 2), [3_997])]
    model = fit_stream_model(sample, codec, StreamSettings(k=5), seed=11)
    first = avatarize_rows(model, df.iloc[2_000:], 1).avatars
    avatarize_rows(model, df.iloc[:2_000], 0)
    again = avatarize_rows(model, df.iloc[2_000:], 1).avatars
    pd.testing.assert_frame_equal(first, again)
    other = avatarize_rows(model, df.iloc[2_000:], 2).avatars
    assert not first.equals(other)


def test_excluded_columns_are_reattached_within_their_batch() -> None:
    df = _table(3_000).assign(note=[f"n{i % 7}" for i in range(3_000)])
    settings = StreamSettings(k=5, exclusion=ExclusionSettings(("note",), "row_order"))
    avatars, _ = _streamed(df, batch_rows=1_000, sample_rows=1_500, settings=settings, seed=2)
    assert avatars["note"].tolist() == df["note"].tolist()
    codec = TableCodec.fit(df.drop(columns=["note"]))
    model = fit_stream_model(df, codec, settings, seed=2)
    assert any("re-attached in row order" in warning for warning in model.warnings)


def test_bad_inputs_are_refused_with_their_reason() -> None:
    df = _table(1_000)
    codec = TableCodec.fit(df)
    with pytest.raises(ValueError, match="k must be at least 2"):
        fit_stream_model(df, codec, StreamSettings(k=1), seed=0)
    model = fit_stream_model(df, codec, StreamSettings(k=20), seed=0)
    with pytest.raises(ValueError, match="smaller than the number of rows"):
        avatarize_rows(model, df.iloc[:20], 0)
    with pytest.raises(ValueError, match="unknown columns"):
        fit_stream_model(
            df, codec, StreamSettings(k=5, exclusion=ExclusionSettings(("x",), "row_order")), seed=0
        )


def test_a_sample_without_a_modality_is_refused_by_name() -> None:
    df = _table(4_000)
    model = fit_stream_model(df.iloc[::2], TableCodec.fit(df), StreamSettings(k=5), seed=0)
    with pytest.raises(ValueError, match=r"column 'city' holds modalities .*\['island'\]"):
        avatarize_rows(model, df.iloc[2_000:], 1)


def test_the_same_seed_gives_the_same_bits_whatever_the_blas_threads() -> None:
    """A Dask worker runs BLAS on one thread, a local worker on as many as it has: the fit and
    each batch pin one thread, so coordinates and avatars are the same to the last bit (with
    two threads, the coordinates of this 114-dimension table differ in their last bits without
    the pin)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    latent = rng.normal(size=(200_000, 4))
    numbers = latent @ rng.normal(size=(4, 14)) + rng.normal(size=(200_000, 14))
    df = pd.DataFrame(numbers, columns=[f"x{i}" for i in range(14)])
    for i in range(4):
        df[f"c{i}"] = np.digitize(latent[:, i], np.linspace(-2, 2, 24)).astype(str)
    codec = TableCodec.fit(df)
    made = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            model = fit_stream_model(df, codec, StreamSettings(k=10), seed=1)
            made.append(avatarize_rows(model, df.iloc[:30_000], 0))
    assert np.array_equal(made[0].coords, made[1].coords)
    assert np.array_equal(made[0].avatar_coords, made[1].avatar_coords)
    pd.testing.assert_frame_equal(made[0].avatars, made[1].avatars)
