"""Series alignment, projection and un-alignment, on generated series and the sensors fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.series import SeriesModel, series_features, unalign
from avatar_server.engine.series_alignment import TimeAxis, align, grid_length
from avatar_server.engine.series_projection import SeriesProjection
from avatar_server.engine.series_settings import DEFAULT_BLOCK_WEIGHT, DEFAULT_NF, SeriesSettings


def regular(persons: int, points: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray[Any, Any]]:
    """Smooth random curves of two variables on times 0 … points − 1, rows shuffled."""
    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(points), persons)
    owner = np.repeat(np.arange(persons), points)
    phase = rng.uniform(0, 2 * np.pi, persons)[owner]
    frame = pd.DataFrame(
        {
            "t": t,
            "a": np.sin(t / 4 + phase) + rng.normal(0, 0.1, t.size),
            "b": rng.normal(0, 1, t.size).cumsum(),
        }
    )
    order = rng.permutation(t.size)
    return frame.iloc[order].reset_index(drop=True), owner[order]


def irregular(persons: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray[Any, Any]]:
    """Series of 5 to 15 points at irregular integer times with their own start."""
    rng = np.random.default_rng(seed)
    parts = []
    for person in range(persons):
        length = int(rng.integers(5, 16))
        start = int(rng.integers(0, 100))
        times = start + np.sort(rng.choice(np.arange(1, 60), length - 1, replace=False))
        times = np.concatenate(([start], times))
        parts.append(
            pd.DataFrame({"person": person, "t": times, "x": rng.normal(0, 1, length).cumsum()})
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame[["t", "x"]], frame["person"].to_numpy()


def sorted_rows(data: pd.DataFrame, owner: np.ndarray[Any, Any], time: str) -> pd.DataFrame:
    return data.assign(_p=owner).sort_values(["_p", time], kind="stable").drop(columns="_p")


def test_grid_length_follows_the_method() -> None:
    lengths = np.array([3, 4, 8])
    assert grid_length(lengths, "max", None) == 8
    assert grid_length(lengths, "min", None) == 3
    assert grid_length(lengths, "mean", None) == 5
    assert grid_length(lengths, "specified", 12) == 12


def test_alignment_interpolates_irregular_points_linearly() -> None:
    # x = 2t at irregular times: on a 5-point grid over [0, 4] the values are 0, 2, 4, 6, 8.
    data = pd.DataFrame({"t": [4, 0, 1, 0, 10], "x": [8.0, 0.0, 2.0, 5.0, 5.0]})
    aligned = align(data, "t", np.array([0, 0, 0, 1, 1]), 2, method="specified", nb_points=5)
    np.testing.assert_allclose(aligned.curves["x"][0], [0, 2, 4, 6, 8])
    np.testing.assert_allclose(aligned.curves["x"][1], [5, 5, 5, 5, 5])
    assert aligned.length.tolist() == [3, 2]
    assert aligned.first.tolist() == [0, 0]
    assert aligned.duration.tolist() == [4, 10]


def test_missing_values_are_interpolated_over_the_present_points() -> None:
    data = pd.DataFrame(
        {
            "t": [0, 1, 2, 3, 4, 0, 1],
            "x": [0.0, np.nan, 2.0, 3.0, np.nan, 1.0, 2.0],
            "y": [1.0, 1.0, 1.0, 1.0, 1.0, np.nan, np.nan],
        }
    )
    aligned = align(data, "t", np.array([0, 0, 0, 0, 0, 1, 1]), 2, method="max")
    np.testing.assert_allclose(aligned.curves["x"][0], [0, 1, 2, 3, 3])
    # y has no present point in person 1's series: no curve for it, the other variable stays.
    assert np.isnan(aligned.curves["y"][1]).all()
    np.testing.assert_allclose(aligned.curves["x"][1], [1, 1.25, 1.5, 1.75, 2])


def test_a_variable_missing_for_a_whole_series_comes_back_missing() -> None:
    data, owner = regular(20, 8)
    data.loc[owner == 3, "b"] = np.nan
    model = SeriesModel.fit("s", data, "t", owner, 20, SeriesSettings(nf=3))
    features = model.features()
    assert features.filter(like="b:").iloc[3].isna().all()
    assert features.filter(like="b:").drop(index=3).notna().all().all()
    rows, persons = model.rows(features)
    assert rows.loc[persons == 3, "b"].isna().all()
    assert rows.loc[persons != 3, "b"].notna().all()
    assert model.notes(features) == [
        "s.b: 1 persons have no value of it in their series: the avatarization fills the gap "
        "to find neighbours, and an avatar may come out with it missing over its whole series"
    ]


def test_notes_say_when_components_are_capped_and_spans_widened() -> None:
    data, owner = regular(30, 12)
    model = SeriesModel.fit("s", data, "t", owner, 30, SeriesSettings(nf=50))
    features = model.features()
    assert model.notes(features) == [
        "s.a: nf=50 asks for more components than the grid (12 points) and the persons allow; "
        "12 kept",
        "s.b: nf=50 asks for more components than the grid (12 points) and the persons allow; "
        "12 kept",
    ]
    short = features.assign(**{":duration": 3})
    assert model.notes(short)[-1] == (
        "s.t: 30 avatar series had a span shorter than one time unit per point; their span "
        "was widened to fit their length"
    )
    rows, persons = model.rows(short)
    assert rows.groupby(persons)["t"].apply(lambda t: bool(np.all(np.diff(t) == 1))).all()


def test_time_columns_of_every_kind_align_alike() -> None:
    data, owner = regular(10, 6)
    reference = align(data, "t", owner, 10).curves["a"]
    as_float = data.assign(t=data["t"] * 0.5)
    stamps = pd.Timestamp("2024-03-30 22:00", tz="Europe/Paris") + pd.to_timedelta(
        data["t"], unit="h"
    )
    for frame in (as_float, data.assign(t=stamps)):
        aligned = align(frame, "t", owner, 10)
        np.testing.assert_allclose(aligned.curves["a"], reference, atol=1e-12)
    aligned = align(data.assign(t=stamps), "t", owner, 10)
    assert aligned.time.kind == "datetime"
    np.testing.assert_allclose(aligned.duration, 5 * 3600.0)


@pytest.mark.parametrize("projection", ["fpca", "flatten"])
def test_projection_inverse_is_exact_with_every_component(projection: str) -> None:
    data, owner = regular(40, 12)
    curves = align(data, "t", owner, 40).curves
    fitted = SeriesProjection.fit(curves, "fpca" if projection == "fpca" else "flatten", 12)
    back = fitted.inverse(fitted.transform(curves))
    for name in curves:
        assert np.abs(back[name] - curves[name]).max() <= 1e-9
        assert fitted.variables[name].shares.sum() == pytest.approx(1.0)


def test_fpca_keeps_nf_components_capped_by_grid_and_persons() -> None:
    data, owner = regular(30, 12)
    curves = align(data, "t", owner, 30).curves
    assert SeriesProjection.fit(curves, "fpca", DEFAULT_NF).variables["a"].width == DEFAULT_NF
    assert SeriesProjection.fit(curves, "fpca", 50).variables["a"].width == 12
    few, few_owner = regular(4, 12)
    few_curves = align(few, "t", few_owner, 4).curves
    assert SeriesProjection.fit(few_curves, "fpca", 50).variables["a"].width == 4
    # Fewer components lose detail: the reconstruction is no longer exact.
    two = SeriesProjection.fit(curves, "fpca", 2)
    assert np.abs(two.inverse(two.transform(curves))["a"] - curves["a"]).max() > 0.01


def _stamps(data: pd.DataFrame, kind: str) -> pd.DataFrame:
    if kind == "integer":
        return data
    if kind == "float":
        return data.assign(t=data["t"] * 0.25 + 3.5)
    start = pd.Timestamp("2024-10-27 00:30", tz="Europe/Paris")
    return data.assign(t=start + pd.to_timedelta(data["t"] * 15, unit="min"))


@pytest.mark.parametrize("kind", ["integer", "float", "datetime"])
@pytest.mark.parametrize("projection", ["fpca", "flatten"])
@pytest.mark.parametrize("unalignment", ["uniform", "skip"])
def test_round_trip_gives_regular_series_back(kind: str, projection: str, unalignment: str) -> None:
    data, owner = regular(25, 9)
    data = _stamps(data, kind)
    nf = 9 if projection == "fpca" else None
    settings = SeriesSettings(
        projection=projection,  # type: ignore[arg-type]
        nf=nf,
        unalignment=unalignment,  # type: ignore[arg-type]
    )
    model = SeriesModel.fit("s", data, "t", owner, 25, settings)
    rows, persons = model.rows(model.features())
    expected = sorted_rows(data, owner, "t").reset_index(drop=True)
    assert persons.tolist() == np.repeat(np.arange(25), 9).tolist()
    assert rows["t"].dtype == data["t"].dtype
    assert rows["t"].equals(expected["t"])
    for name in ("a", "b"):
        assert np.abs(rows[name].to_numpy() - expected[name].to_numpy()).max() <= 1e-9


def test_irregular_series_round_trip_lengths_and_spans_under_uniform() -> None:
    data, owner = irregular(60)
    model = SeriesModel.fit("s", data, "t", owner, 60, SeriesSettings(method="max", nf=60))
    rows, persons = model.rows(model.features())
    original = data.assign(p=owner).groupby("p")["t"]
    made = rows.assign(p=persons).groupby("p")["t"]
    assert made.size().tolist() == original.size().tolist()
    assert made.min().tolist() == original.min().tolist()
    assert made.max().tolist() == original.max().tolist()
    assert made.apply(lambda t: bool(np.all(np.diff(t.to_numpy()) > 0))).all()
    # The curve is kept at the series' ends (interior points are resampled uniformly).
    firsts = sorted_rows(data, owner, "t").groupby(np.sort(owner))["x"].first()
    np.testing.assert_allclose(rows.groupby(persons)["x"].first(), firsts, atol=1e-9)


def test_integer_times_stay_strictly_increasing_when_the_span_is_too_short() -> None:
    axis = TimeAxis("integer", np.dtype(np.int64), resolution=1.0)
    curves = {"x": np.array([[0.0, 1.0, 2.0]])}
    frame, persons = unalign(
        curves,
        np.array([6.0]),
        np.array([10.0]),
        np.array([2.0]),
        axis,
        "uniform",
        shortest=1.0,
    )
    assert frame["time"].tolist() == [10, 11, 12, 13, 14, 15]
    np.testing.assert_allclose(frame["x"], [0, 0.4, 0.8, 1.2, 1.6, 2.0])
    assert persons.tolist() == [0] * 6


def test_skip_emits_the_grid_points_over_the_avatar_span() -> None:
    axis = TimeAxis("float", np.dtype(np.float64))
    curves = {"x": np.array([[0.0, 1.0, 4.0], [2.0, 2.0, 2.0]])}
    frame, persons = unalign(
        curves,
        np.array([7.0, 2.0]),
        np.array([0.0, 1.0]),
        np.array([1.0, 0.0]),
        axis,
        "skip",
        shortest=0.5,
    )
    assert frame["time"].tolist() == [0.0, 0.5, 1.0, 1.0, 1.25, 1.5]
    assert frame["x"].tolist() == [0.0, 1.0, 4.0, 2.0, 2.0, 2.0]
    assert persons.tolist() == [0, 0, 0, 1, 1, 1]


def test_sensors_features_and_round_trip(shared_data: Path) -> None:
    vanilla = pd.read_csv(shared_data / "sensors_vanilla.csv")
    series = pd.read_csv(shared_data / "sensors_timeseries1.csv")
    owner = pd.Index(vanilla["id"]).get_indexer(series["id"])
    data = series[["t", "sensor1", "sensor2"]]
    model = SeriesModel.fit("ts1", data, "t", owner, len(vanilla), SeriesSettings(nf=30))
    features = series_features(model.alignment, model.projection)
    assert features.shape == (200, 63)
    assert features[":length"].eq(30).all() and features[":duration"].eq(29).all()
    rows, _ = model.rows(features)
    expected = series.sort_values(["id", "t"])
    np.testing.assert_array_equal(rows["t"], expected["t"])
    values = ["sensor1", "sensor2"]
    assert np.abs(rows[values].to_numpy() - expected[values].to_numpy()).max() <= 1e-9


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame({"x": [1.0, 2.0]}), "no time column 't'"),
        (pd.DataFrame({"t": ["a", "b"], "x": [1.0, 2.0]}), "time column 't' is"),
        (pd.DataFrame({"t": [0.0, np.nan], "x": [1.0, 2.0]}), "has 1 missing"),
        (pd.DataFrame({"t": [0, 0], "x": [1.0, 2.0]}), "two points at the same time"),
        (pd.DataFrame({"t": [0, 1], "x": ["a", "b"]}), "value column 'x'"),
        (pd.DataFrame({"t": [0, 1]}), "no value column"),
    ],
)
def test_bad_series_are_refused_naming_table_and_column(data: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        align(data, "t", np.array([0, 0]), 1, table="readings")
    assert "'readings'" in str(error.value)


def test_a_person_with_too_few_points_is_refused() -> None:
    data = pd.DataFrame({"t": [0, 1, 0], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(
        ValueError, match=r"readings.*2 persons have fewer than 2 points.*1 have none"
    ):
        align(data, "t", np.array([0, 0, 1]), 3, table="readings")


def test_a_variable_with_no_value_at_all_is_refused() -> None:
    data = pd.DataFrame({"t": [0, 1], "x": [1.0, 2.0], "y": [np.nan, np.nan]})
    with pytest.raises(ValueError, match="'readings': value column 'y' has no value"):
        SeriesModel.fit("readings", data, "t", np.array([0, 0]), 1, SeriesSettings())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"projection": "fcpa"}, "did you mean fpca"),
        ({"projection": "flatten", "nf": 3}, "nf=3 has no use with the flatten"),
        ({"nf": 0}, "nf must be an integer of at least 1"),
        ({"method": "specified"}, "needs nb_points"),
        ({"method": "specified", "nb_points": 1}, "nb_points must be"),
        ({"nb_points": 10}, "only used by the specified"),
        ({"unalignment": "linear"}, "unknown unalignment"),
        ({"block_weight": 0.0}, "block_weight must be a positive"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SeriesSettings(**options)


def test_block_weight_defaults_per_projection_and_can_be_set() -> None:
    assert SeriesSettings().weight == DEFAULT_BLOCK_WEIGHT["fpca"]
    assert SeriesSettings(projection="flatten").weight == DEFAULT_BLOCK_WEIGHT["flatten"]
    assert SeriesSettings(block_weight=3).weight == 3.0


def _lag1(curves: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    centred = curves - curves.mean(axis=1, keepdims=True)
    lagged = (centred[:, 1:] * centred[:, :-1]).sum(axis=1) / (centred**2).sum(axis=1)
    return np.asarray(lagged, dtype=np.float64)


def test_left_out_variance_is_drawn_from_the_avatars_own_neighbours() -> None:
    """Half the persons swing smoothly, half jitter (alternating noise, lag-1 ≈ −0.5): drawn
    from all originals, the jittering persons' left-out parts are mostly the swingers'
    smooth leftovers; drawn from their own neighbours (here, persons of their own kind), they
    keep their jitter."""
    rng = np.random.default_rng(0)
    persons, grid = 200, 30
    t = np.linspace(0, 1, grid)
    jitter = np.arange(persons) % 2 == 0
    phase = rng.uniform(0, 2 * np.pi, (persons, 1))
    smooth = 2.0 * np.sin(4 * np.pi * t + phase) + rng.normal(0, 0.3, (persons, 1)) * t * 8
    noise = rng.standard_normal((persons, grid + 1))
    alternating = noise[:, 1:] - 0.8 * noise[:, :-1]
    curves = np.where(jitter[:, None], 0.5 * alternating, smooth)
    projection = SeriesProjection.fit({"x": curves}, "fpca", 2)
    same_kind = np.array(
        [rng.choice(np.flatnonzero(jitter == jitter[i]), 5, replace=False) for i in range(persons)]
    )
    weights = rng.dirichlet(np.ones(5), persons)
    local = projection.local_residual("x", curves, same_kind, weights, np.random.default_rng(1))
    pooled = projection.residual("x", persons, np.random.default_rng(1))
    assert local is not None and pooled is not None
    original = np.median(_lag1(curves[jitter]))
    assert original < -0.3
    assert abs(np.median(_lag1(local[jitter])) - original) < 0.1
    assert np.median(_lag1(pooled[jitter])) > original + 0.3
    # Nothing is left out of a flattened curve: nothing to draw.
    flat = SeriesProjection.fit({"x": curves}, "flatten", 2)
    assert flat.local_residual("x", curves, same_kind, weights, rng) is None
