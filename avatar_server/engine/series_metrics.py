"""Signal metrics and plot data of a time-series table: do the avatar curves look like the
originals, point by point and in the values they take over time?

Per value variable, on each side:

- ``pointwise_hellinger_mean`` / ``_std``: at each point of the common grid the series are
  aligned on (each series' time rescaled to [0, 1], see ``series_alignment``), the Hellinger
  distance between the originals' and the avatars' values at that point, binned as the
  marginals are (:func:`avatar_server.engine.signal.numeric_bin_codes`: equal-mass bins at the
  originals' quantiles); mean and standard deviation over the grid points. It reads the shape
  of the curves across persons: a point where the avatars' spread differs shows up.
- ``density_hellinger_mean`` / ``_std``: the same distance between the values the raw series
  take (their own points, before alignment) pooled within each of ``windows`` equal slices of
  the rescaled time; mean and standard deviation over the slices. It reads the values as
  measured, without the interpolation of the grid, and still locates differences in time.

Both are in [0, 1], 0 when the distributions match. Even two halves of the same originals are
not at 0 with a few hundred persons (binning noise): each metric carries, in its details, the
same statistic between two seeded halves of the originals (``floor``) so a reader can tell a
loss from that noise; the metric itself is measured at that same size, on the same bins (see
:func:`series_signal_metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from avatar_server.engine.signal import hellinger, numeric_bin_codes

DEFAULT_BINS = 20
DEFAULT_WINDOWS = 10
RAW_SERIES_SHOWN = 8
BAND_QUANTILES = (0.1, 0.5, 0.9)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]


@dataclass(frozen=True)
class SeriesSide:
    """One side's series of one table. ``curves[v]`` holds one row per person on the common
    grid (``grid`` in [0, 1]); the raw points are ``persons`` (row of ``curves``), ``times``
    (in the time column's numeric scale: epoch seconds for dates), ``positions`` (the time
    rescaled to [0, 1] within its series) and ``values[v]``."""

    grid: FloatArray
    curves: dict[str, FloatArray]
    persons: IntArray
    times: FloatArray
    positions: FloatArray
    values: dict[str, FloatArray]

    @property
    def count(self) -> int:
        return next(iter(self.curves.values())).shape[0] if self.curves else 0


@dataclass(frozen=True)
class SeriesVariableMetrics:
    """The signal metrics of one value variable; ``floor`` maps each name to its value
    between two halves of the originals."""

    variable: str
    pointwise_hellinger_mean: float
    pointwise_hellinger_std: float
    density_hellinger_mean: float
    density_hellinger_std: float
    floor: dict[str, float]


def _distance(original: FloatArray, avatars: FloatArray, bins: int) -> float:
    original, avatars = original[~np.isnan(original)], avatars[~np.isnan(avatars)]
    if original.size == 0 or avatars.size == 0:
        return float("nan")
    codes_o, codes_a, size = numeric_bin_codes(original, avatars, bins)
    frequencies_o = np.bincount(codes_o, minlength=size) / codes_o.size
    frequencies_a = np.bincount(codes_a, minlength=size) / codes_a.size
    return hellinger(frequencies_o, frequencies_a)


def pointwise_distances(original: FloatArray, avatars: FloatArray, bins: int) -> FloatArray:
    """Hellinger distance at each grid point (column) of two curve matrices."""
    if original.shape[1] != avatars.shape[1]:
        raise ValueError(
            f"the curves are on grids of {original.shape[1]} and {avatars.shape[1]} points"
        )
    return np.array(
        [_distance(original[:, j], avatars[:, j], bins) for j in range(original.shape[1])]
    )


def window_distances(
    original: tuple[FloatArray, FloatArray],
    avatars: tuple[FloatArray, FloatArray],
    windows: int,
    bins: int,
) -> FloatArray:
    """Hellinger distance within each of ``windows`` equal slices of the rescaled time, for
    ``(positions, values)`` of each side."""
    edges = np.linspace(0.0, 1.0, windows + 1)

    def slice_of(positions: FloatArray) -> IntArray:
        return np.clip(np.searchsorted(edges, positions, side="right") - 1, 0, windows - 1)

    in_o, in_a = slice_of(original[0]), slice_of(avatars[0])
    return np.array(
        [_distance(original[1][in_o == w], avatars[1][in_a == w], bins) for w in range(windows)]
    )


def _summaries(
    original: SeriesSide, avatars: SeriesSide, variable: str, bins: int, windows: int
) -> tuple[float, float, float, float]:
    pointwise = pointwise_distances(original.curves[variable], avatars.curves[variable], bins)
    density = window_distances(
        (original.positions, original.values[variable]),
        (avatars.positions, avatars.values[variable]),
        windows,
        bins,
    )
    return (
        float(np.nanmean(pointwise)),
        float(np.nanstd(pointwise)),
        float(np.nanmean(density)),
        float(np.nanstd(density)),
    )


def _half(side: SeriesSide, chosen: IntArray) -> SeriesSide:
    """The persons ``chosen`` of a side, curves and raw points."""
    keep = np.isin(side.persons, chosen)
    renumber = np.full(side.count, -1, dtype=np.intp)
    renumber[chosen] = np.arange(chosen.size)
    return SeriesSide(
        grid=side.grid,
        curves={v: c[chosen] for v, c in side.curves.items()},
        persons=renumber[side.persons[keep]],
        times=side.times[keep],
        positions=side.positions[keep],
        values={v: x[keep] for v, x in side.values.items()},
    )


def series_signal_metrics(
    original: SeriesSide,
    avatars: SeriesSide,
    *,
    bins: int = DEFAULT_BINS,
    windows: int = DEFAULT_WINDOWS,
    seed: int = 0,
) -> list[SeriesVariableMetrics]:
    """The metrics of each value variable, and their floor, at equal sizes on the same bins:
    the originals are split in two seeded halves; the floor compares the first half with the
    second, the metric the avatars of the first half's persons (avatar i is person i's, as a
    series table's avatars are made) with that same second half, whose quantiles make the bins
    of both. Avatars that were the originals themselves thus score the floor exactly; when the
    sides differ in size, a seeded sample of the avatars stands in. Comparing all the avatars
    with all the originals would meet less binning noise than the floor, which would then
    overstate it. A variable with no value on one side gives NaN."""
    if set(original.curves) != set(avatars.curves):
        raise ValueError(
            f"the avatars' series variables {sorted(avatars.curves)} are not the originals' "
            f"{sorted(original.curves)}"
        )
    if original.count < 4:
        raise ValueError(f"series metrics need at least 4 persons, got {original.count}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(original.count)
    size = original.count // 2
    first = _half(original, np.sort(order[:size]))
    second = _half(original, np.sort(order[size:]))
    if avatars.count < size:
        raise ValueError(
            f"series metrics compare {size} avatars with {size} originals, but there are only "
            f"{avatars.count} avatars"
        )
    paired = avatars.count == original.count
    chosen = order[:size] if paired else rng.choice(avatars.count, size=size, replace=False)
    sample = _half(avatars, np.sort(chosen))
    names = (
        "pointwise_hellinger_mean",
        "pointwise_hellinger_std",
        "density_hellinger_mean",
        "density_hellinger_std",
    )
    results = []
    for variable in original.curves:
        values = _summaries(second, sample, variable, bins, windows)
        floor = _summaries(second, first, variable, bins, windows)
        results.append(
            SeriesVariableMetrics(variable, *values, floor=dict(zip(names, floor, strict=True)))
        )
    return results


def _sampled_persons(count: int, shown: int, seed: int) -> IntArray:
    chosen = np.random.default_rng(seed).choice(count, size=min(shown, count), replace=False)
    return np.sort(chosen).astype(np.intp)


def raw_series_plot(
    original: SeriesSide, avatars: SeriesSide, *, shown: int = RAW_SERIES_SHOWN, seed: int = 0
) -> dict[str, Any]:
    """Plot kind ``raw_series``: up to ``shown`` seeded series of each side as they are (time
    column's numeric scale), per variable: ``{"variables": [...], "original": [{"t": [...],
    "<v>": [...]}, ...], "avatars": [...]}``. A handful of whole series shows what one looks
    like; the bands of :func:`normalized_series_plot` show them all."""

    def series(side: SeriesSide) -> list[dict[str, list[float | None]]]:
        drawn = []
        for person in _sampled_persons(side.count, shown, seed):
            rows = np.flatnonzero(side.persons == person)
            rows = rows[np.argsort(side.times[rows], kind="stable")]
            entry: dict[str, list[float | None]] = {"t": _json(side.times[rows])}
            for variable, values in side.values.items():
                entry[variable] = _json(values[rows])
            drawn.append(entry)
        return drawn

    return {
        "variables": list(original.values),
        "original": series(original),
        "avatars": series(avatars),
    }


def normalized_series_plot(original: SeriesSide, avatars: SeriesSide) -> dict[str, Any]:
    """Plot kind ``normalized_series``: on the common grid, per variable and side, the 10th,
    50th and 90th percentiles across persons at each point: ``{"grid": [...], "quantiles":
    [0.1, 0.5, 0.9], "variables": {"<v>": {"original": [[q10...], [q50...], [q90...]],
    "avatars": [...]}}}``."""
    variables: dict[str, Any] = {}
    for variable in original.curves:
        variables[variable] = {
            side: [_json(row) for row in _bands(curves[variable])]
            for side, curves in (("original", original.curves), ("avatars", avatars.curves))
        }
    return {
        "grid": _json(original.grid),
        "quantiles": list(BAND_QUANTILES),
        "variables": variables,
    }


def _bands(curves: FloatArray) -> FloatArray:
    present = ~np.isnan(curves)
    if not present.any():
        return np.full((len(BAND_QUANTILES), curves.shape[1]), np.nan)
    return np.asarray(np.nanquantile(curves, BAND_QUANTILES, axis=0), dtype=np.float64)


def _json(values: FloatArray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in np.asarray(values, dtype=np.float64)]
