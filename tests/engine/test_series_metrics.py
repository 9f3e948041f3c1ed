"""Series signal metrics and plot data on generated curves whose answer is known: identical
sides are at 0, disjoint ones at 1, a fresh draw of the same process sits near the floor of
two original halves, and a lost shape is seen point by point."""

from __future__ import annotations

import numpy as np
import pytest

from avatar_server.engine.series_metrics import (
    BAND_QUANTILES,
    RAW_SERIES_SHOWN,
    SeriesSide,
    normalized_series_plot,
    raw_series_plot,
    series_signal_metrics,
)


def side(curves: np.ndarray, other: np.ndarray | None = None) -> SeriesSide:
    """Regular series: person i's value at point j is curves[i, j] (time j)."""
    persons, points = curves.shape
    grid = np.linspace(0.0, 1.0, points)
    values = {"x": curves}
    if other is not None:
        values["y"] = other
    return SeriesSide(
        grid=grid,
        curves=values,
        persons=np.repeat(np.arange(persons), points).astype(np.intp),
        times=np.tile(np.arange(points, dtype=np.float64), persons),
        positions=np.tile(grid, persons),
        values={name: matrix.ravel() for name, matrix in values.items()},
    )


def process(rng: np.random.Generator, persons: int, points: int = 30) -> np.ndarray:
    """Drifting random walks around a person-level level: shape and spread both matter."""
    level = rng.normal(0.0, 2.0, size=(persons, 1))
    return level + np.cumsum(rng.normal(0.5, 1.0, size=(persons, points)), axis=1)


def beyond(bins: int = 20) -> float:
    """The distance when every avatar value lies beyond the originals' range: all of them in
    the outer bin, open-ended as the marginals' bins are, which holds 1/bins of the originals."""
    return float(np.sqrt(1.0 - np.sqrt(1.0 / bins)))


def test_identical_sides_are_at_the_floor_and_disjoint_ones_as_far_as_bins_allow() -> None:
    rng = np.random.default_rng(0)
    curves = process(rng, 200)
    same = series_signal_metrics(side(curves), side(curves.copy()))[0]
    # Each person's avatar its own series: the metric is its floor, exactly.
    assert same.pointwise_hellinger_mean == same.floor["pointwise_hellinger_mean"] > 0
    assert same.density_hellinger_mean == same.floor["density_hellinger_mean"] > 0
    far = series_signal_metrics(side(curves), side(curves + 1e6))[0]
    assert far.pointwise_hellinger_mean == pytest.approx(beyond())
    assert far.density_hellinger_mean == pytest.approx(beyond(), abs=0.01)
    assert far.pointwise_hellinger_std == pytest.approx(0.0, abs=1e-12)


def test_a_fresh_draw_sits_near_the_floor_and_a_lost_shape_does_not() -> None:
    rng = np.random.default_rng(1)
    original = process(rng, 200)
    fresh = series_signal_metrics(side(original), side(process(rng, 200)))[0]
    floor = fresh.floor["pointwise_hellinger_mean"]
    assert 0.05 < floor < 0.4  # binning noise of 100 against 100 persons
    # 200 against 200 persons: a little less noise than the halves.
    assert fresh.pointwise_hellinger_mean < floor + 0.05
    # Every avatar the persons' mean curve: the marginal at each point collapses.
    flat = np.repeat(original.mean(axis=0, keepdims=True), 200, axis=0)
    lost = series_signal_metrics(side(original), side(flat))[0]
    assert lost.pointwise_hellinger_mean > floor + 0.4
    # Time reversed: the values taken are the same overall, not at the same times (the
    # walks drift upwards).
    reversed_ = series_signal_metrics(side(original), side(original[:, ::-1].copy()))[0]
    assert reversed_.pointwise_hellinger_mean > floor + 0.1
    assert reversed_.density_hellinger_mean > fresh.density_hellinger_mean + 0.1


def test_each_variable_is_measured_and_mismatches_are_refused() -> None:
    rng = np.random.default_rng(2)
    x, y = process(rng, 50), process(rng, 50)
    metrics = series_signal_metrics(side(x, y), side(x, y + 1e6))
    assert [m.variable for m in metrics] == ["x", "y"]
    assert metrics[0].pointwise_hellinger_mean == metrics[0].floor["pointwise_hellinger_mean"]
    assert metrics[1].pointwise_hellinger_mean == pytest.approx(beyond(), abs=0.05)  # 25 a side
    with pytest.raises(ValueError, match=r"variables \['x'\] are not the originals' \['x', 'y'\]"):
        series_signal_metrics(side(x, y), side(x))
    with pytest.raises(ValueError, match="grids of 30 and 10 points"):
        series_signal_metrics(side(x), side(x[:, :10].copy()))
    with pytest.raises(ValueError, match="at least 4 persons"):
        series_signal_metrics(side(x[:3]), side(x[:3]))


def test_plot_data_of_both_kinds() -> None:
    rng = np.random.default_rng(3)
    original, avatars = side(process(rng, 40)), side(process(rng, 40))
    raw = raw_series_plot(original, avatars)
    assert raw["variables"] == ["x"]
    for name in ("original", "avatars"):
        assert len(raw[name]) == RAW_SERIES_SHOWN
        for series in raw[name]:
            assert series["t"] == sorted(series["t"]) and len(series["x"]) == 30
    bands = normalized_series_plot(original, avatars)
    assert bands["quantiles"] == list(BAND_QUANTILES) and len(bands["grid"]) == 30
    for name in ("original", "avatars"):
        low, median, high = (np.array(row) for row in bands["variables"]["x"][name])
        assert (low <= median).all() and (median <= high).all()
