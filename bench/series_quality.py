"""Series quality against the noise floor, per sensor, projection and block weight.

The sensors fixtures (``../shared/data/sensors_*.csv``: 200 persons, ``vanilla`` their own
columns, ``timeseries1`` sensor1+sensor2 at 30 points, ``timeseries2`` sensor3 at 50) are
avatarized jointly (``avatarize_group`` with both series tables, avatarization k = 5 and the
engine's other defaults) for each projection and block weight, over several seeds.

Each statistic compares two samples of 100 persons on the same fixed bins:

- *floor*: two independent halves of the original persons;
- *avatars*: 100 avatar persons drawn at random against one original half.

Statistics, per series variable:

- ``pointwise``: the Hellinger distance between the two samples' values at each grid point
  (20 bins spanning the originals' values at that point), averaged over the grid;
- ``lag1``: the Hellinger distance between the distributions of the series' lag-1
  autocorrelation (10 bins over [−1, 1]);
- ``gridcorr``: the mean absolute difference between the two samples' correlation matrices of
  the grid points (off-diagonal entries);
- ``link``: the mean absolute difference between the two samples' correlations of the series'
  mean with the person's numeric columns (the person-level link); ``|r|`` is the originals'
  mean absolute correlation, i.e. how much link there is to keep (on the sensors, little: the
  series were generated apart from the persons and from each other);
- ``mean–sd``: the absolute difference between the two samples' correlations of the series'
  mean with its standard deviation, the one person-level structure the sensors do have
  (sensor1 +0.64, sensor2 −0.65);
- ``persons``: the mean absolute difference between the two samples' associations between the
  parent's own columns (Pearson correlation for two numeric columns, Cramér's V for two
  categorical ones of at most 20 modalities), the other side of the balance: a heavy series
  block leaves the person's own columns fewer axes to find neighbours on.

The sensors' series are unrelated to their persons (``|r|`` ≤ 0.08), so a second, generated
fixture measures what the balance mostly decides, the person-level link: 150 persons with a
``level`` and an ``age``; 20 readings each, x = 3·level + sin(t/3) + noise (original
correlation of level with the series' mean 0.99). Reported: that correlation in the avatars.

Every figure is the mean over seeds (each with its own split); avatars' series are re-aligned
on the originals' grid (the table's length: 30 or 50 points). Run: ``python -m
bench.series_quality [--seeds N] [--weights 1,5,...]``; writes
``bench/results/series-quality.md``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats.contingency import association

from avatar_server.engine.linked import SeriesInput, TableInput, avatarize_group
from avatar_server.engine.privacy import privacy_metrics
from avatar_server.engine.series import SeriesModel
from avatar_server.engine.series_alignment import align
from avatar_server.engine.series_settings import (
    DEFAULT_BLOCK_WEIGHT,
    ProjectionName,
    SeriesSettings,
)
from avatar_server.engine.series_sides import person_and_series, released_features
from bench.common import machine, write_results

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AVATAR_SHARED_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "bench" / "results" / "series-quality.md"
K = 5
HALF = 100
POINT_BINS = 20
LAG_BINS = 10
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
SERIES = {"timeseries1": ("sensor1", "sensor2"), "timeseries2": ("sensor3",)}
STATISTICS = ("pointwise", "lag1", "gridcorr", "link", "meansd", "persons")


@dataclass(frozen=True)
class Fixtures:
    vanilla: pd.DataFrame
    series: dict[str, pd.DataFrame]
    owners: dict[str, np.ndarray[Any, Any]]

    @classmethod
    def load(cls) -> Fixtures:
        def read(name: str) -> pd.DataFrame:
            path = SHARED_DATA / f"sensors_{name}.csv"
            if not path.is_file():
                raise SystemExit(f"bench.series_quality: {path} not found (set AVATAR_SHARED_DATA)")
            return pd.read_csv(path)

        vanilla = read("vanilla")
        series = {name: read(name) for name in SERIES}
        index = pd.Index(vanilla["id"])
        owners = {name: index.get_indexer(frame["id"]) for name, frame in series.items()}
        return cls(vanilla, series, owners)

    def curves(self, name: str) -> dict[str, FloatArray]:
        frame = self.series[name]
        return align(
            frame[["t", *SERIES[name]]], "t", self.owners[name], len(self.vanilla), method="max"
        ).curves


def hellinger(a: FloatArray, b: FloatArray, edges: FloatArray) -> float:
    p = np.histogram(np.clip(a, edges[0], edges[-1]), edges)[0].astype(np.float64)
    q = np.histogram(np.clip(b, edges[0], edges[-1]), edges)[0].astype(np.float64)
    p, q = p / p.sum(), q / q.sum()
    return float(np.sqrt(max(0.0, 1.0 - np.sqrt(p * q).sum())))


def lag1(curves: FloatArray) -> FloatArray:
    centred = curves - curves.mean(axis=1, keepdims=True)
    numerator = (centred[:, 1:] * centred[:, :-1]).sum(axis=1)
    denominator = (centred**2).sum(axis=1)
    return np.asarray(numerator / np.where(denominator > 0, denominator, 1.0), dtype=np.float64)


def off_diagonal_corr(curves: FloatArray) -> FloatArray:
    matrix = np.atleast_2d(np.asarray(np.corrcoef(curves, rowvar=False), dtype=np.float64))
    return np.asarray(matrix[~np.eye(matrix.shape[0], dtype=bool)], dtype=np.float64)


def link(curves: FloatArray, persons: pd.DataFrame) -> FloatArray:
    summary = curves.mean(axis=1)
    return np.array([np.corrcoef(summary, persons[c].to_numpy(float))[0, 1] for c in persons])


def statistics(
    reference: FloatArray,
    other: FloatArray,
    reference_persons: pd.DataFrame,
    other_persons: pd.DataFrame,
    all_curves: FloatArray,
) -> dict[str, float]:
    """The four statistics between two samples (curves persons × grid, their numeric columns)."""
    pointwise = [
        hellinger(
            reference[:, j],
            other[:, j],
            np.linspace(all_curves[:, j].min(), all_curves[:, j].max(), POINT_BINS + 1),
        )
        for j in range(reference.shape[1])
    ]
    lag_edges = np.linspace(-1.0, 1.0, LAG_BINS + 1)
    return {
        "pointwise": float(np.mean(pointwise)),
        "lag1": hellinger(lag1(reference), lag1(other), lag_edges),
        "gridcorr": float(np.abs(off_diagonal_corr(reference) - off_diagonal_corr(other)).mean()),
        "link": float(
            np.nanmean(np.abs(link(reference, reference_persons) - link(other, other_persons)))
        ),
        "meansd": abs(mean_sd(reference) - mean_sd(other)),
    }


def floor_and_versus(
    curves: FloatArray,
    numbers: pd.DataFrame,
    halves: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
    other: FloatArray,
    other_numbers: pd.DataFrame,
) -> tuple[dict[str, float], dict[str, float]]:
    """The statistics between the two original halves (the floor), and between the first
    half and ``other`` (released curves with their persons' numeric columns), on one set of
    bins: those of all original ``curves``."""
    first, second = halves
    floor = statistics(
        curves[first], curves[second], numbers.iloc[first], numbers.iloc[second], curves
    )
    versus = statistics(curves[first], other, numbers.iloc[first], other_numbers, curves)
    return floor, versus


def associations(persons: pd.DataFrame) -> FloatArray:
    """Pearson correlations between numeric columns and Cramér's V between categorical ones."""
    numbers = persons.select_dtypes("number")
    categories = [
        c for c in persons.columns if c not in numbers.columns and persons[c].nunique() <= 20
    ]
    values = list(off_diagonal_corr(numbers.to_numpy(np.float64)))
    for left, right in itertools.combinations(categories, 2):
        table = pd.crosstab(persons[left], persons[right]).to_numpy()
        values.append(float(association(table, method="cramer")) if min(table.shape) > 1 else 0.0)
    return np.asarray(values, dtype=np.float64)


def mean_sd(curves: FloatArray) -> float:
    return float(np.corrcoef(curves.mean(axis=1), curves.std(axis=1))[0, 1])


def numeric_columns(frame: pd.DataFrame) -> pd.DataFrame:
    numbers = frame.select_dtypes("number")
    return numbers.loc[:, numbers.nunique() > 1]


def measure(
    fixtures: Fixtures, projection: str, weight: float, seeds: int
) -> tuple[dict[tuple[str, str], dict[str, float]], float]:
    """Per (series table, variable), the floor and avatar statistics (means over seeds), and
    the mean time of one joint avatarization."""
    persons = len(fixtures.vanilla)
    parent = fixtures.vanilla.drop(columns="id")
    original_numbers = numeric_columns(parent)
    sums: dict[tuple[str, str], dict[str, float]] = {}
    elapsed = 0.0
    for seed in range(seeds):
        settings = SeriesSettings(projection=projection, block_weight=weight)  # type: ignore[arg-type]
        inputs = [
            SeriesInput(
                name, frame[["t", *SERIES[name]]], "t", "vanilla", fixtures.owners[name], settings
            )
            for name, frame in fixtures.series.items()
        ]
        start = time.perf_counter()
        results = avatarize_group(
            [TableInput("vanilla", parent, options={"k": K})], [], series=inputs, seed=seed
        )
        elapsed += time.perf_counter() - start
        avatar_numbers = results["vanilla"].result.unshuffled[original_numbers.columns]
        rng = np.random.default_rng(1000 + seed)
        split = rng.permutation(persons)
        half_a, half_b = split[:HALF], split[HALF:]
        drawn = rng.choice(persons, HALF, replace=False)
        reference = associations(parent.iloc[half_a])
        person_floor = float(np.abs(reference - associations(parent.iloc[half_b])).mean())
        avatar_parent = results["vanilla"].result.unshuffled.iloc[drawn]
        person_avatars = float(np.abs(reference - associations(avatar_parent)).mean())
        for name in SERIES:
            original = fixtures.curves(name)
            grid = next(iter(original.values())).shape[1]
            rows = results[name].result.unshuffled
            made = align(
                rows,
                "t",
                results[name].parent_rows["vanilla"],
                persons,
                method="specified",
                nb_points=grid,
            ).curves
            for variable in SERIES[name]:
                curves = original[variable]
                floor, versus = floor_and_versus(
                    curves,
                    original_numbers,
                    (half_a, half_b),
                    made[variable][drawn],
                    avatar_numbers.iloc[drawn],
                )
                floor["persons"] = person_floor
                versus["persons"] = person_avatars
                entry = sums.setdefault((name, variable), {})
                for stat in STATISTICS:
                    entry[f"floor_{stat}"] = entry.get(f"floor_{stat}", 0.0) + floor[stat]
                    entry[f"avatar_{stat}"] = entry.get(f"avatar_{stat}", 0.0) + versus[stat]
                strength = np.nanmean(np.abs(link(curves, original_numbers)))
                entry["strength"] = entry.get("strength", 0.0) + float(strength)
    means = {key: {s: v / seeds for s, v in entry.items()} for key, entry in sums.items()}
    return means, elapsed / seeds


def on_grid(series: pd.DataFrame, key: str, time: str, length: int) -> float:
    """Share of the released persons whose series' times are exactly the originals' grid
    ``0, 1, …, length − 1`` (the sensors' times are integer steps)."""
    expected = np.arange(length, dtype=np.float64)
    grids = series.groupby(key, sort=False)[time].apply(
        lambda t: len(t) == length and bool(np.array_equal(np.sort(t.to_numpy(float)), expected))
    )
    return float(grids.mean()) if len(grids) else float("nan")


def release_statistics(
    fixtures: Fixtures,
    released: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    seed: int,
    key: str = "id",
    time: str = "t",
) -> dict[str, dict[str, float]]:
    """Per series variable, the statistics of :func:`statistics` (and ``persons``) between
    two original halves (``floor_*``) and between released persons and one original half
    (``release_*``), from released tables only, so that any system can be scored alike.

    ``released`` maps each series table to (its persons, its rows): the persons' ``key`` and
    own columns, the rows' ``key``, ``time`` and value columns. The released series are
    re-aligned on the originals' grid; ``on_grid`` is the share already on it (:func:`on_grid`).
    """
    parent = fixtures.vanilla.drop(columns=key)
    original_numbers = numeric_columns(parent)
    count = len(parent)
    rng = np.random.default_rng(1000 + seed)
    split = rng.permutation(count)
    half_a, half_b = split[:HALF], split[HALF:]
    reference = associations(parent.iloc[half_a])
    person_floor = float(np.abs(reference - associations(parent.iloc[half_b])).mean())
    figures: dict[str, dict[str, float]] = {}
    for name, (persons, rows) in released.items():
        original = fixtures.curves(name)
        grid = next(iter(original.values())).shape[1]
        owners = pd.Index(persons[key]).get_indexer(rows[key])
        kept = rows.loc[owners >= 0]
        made = align(
            kept[[time, *SERIES[name]]],
            time,
            owners[owners >= 0],
            len(persons),
            method="specified",
            nb_points=grid,
            table=name,
        ).curves
        drawn = rng.choice(len(persons), HALF, replace=False)
        own = persons.drop(columns=key)[list(parent.columns)]
        numbers = own[original_numbers.columns].apply(pd.to_numeric, errors="coerce")
        person_release = float(np.abs(reference - associations(own.iloc[drawn])).mean())
        share = on_grid(kept, key, time, grid)
        for variable in SERIES[name]:
            curves = original[variable]
            floor, versus = floor_and_versus(
                curves,
                original_numbers,
                (half_a, half_b),
                made[variable][drawn],
                numbers.iloc[drawn],
            )
            floor["persons"], versus["persons"] = person_floor, person_release
            entry = {f"floor_{stat}": floor[stat] for stat in STATISTICS}
            entry.update({f"release_{stat}": versus[stat] for stat in STATISTICS})
            entry["strength"] = float(np.nanmean(np.abs(link(curves, original_numbers))))
            entry["on_grid"] = share
            figures[variable] = entry
    return figures


def generated_link(projection: str, weight: float, seeds: int) -> float:
    """The avatars' correlation between ``level`` and their series' mean (mean over seeds)."""
    values = []
    for seed in range(seeds):
        rng = np.random.default_rng(100 + seed)
        persons = 150
        level = rng.normal(0, 1, persons)
        parent = pd.DataFrame({"level": level, "age": rng.integers(20, 80, persons)})
        owner = np.repeat(np.arange(persons), 20)
        t = np.tile(np.arange(20), persons)
        noise = rng.normal(0, 0.3, t.size)
        readings = pd.DataFrame({"t": t, "x": 3 * level[owner] + np.sin(t / 3) + noise})
        settings = SeriesSettings(projection=projection, block_weight=weight)  # type: ignore[arg-type]
        results = avatarize_group(
            [TableInput("person", parent, options={"k": K})],
            [],
            series=[SeriesInput("readings", readings, "t", "person", owner, settings)],
            seed=seed,
        )
        made = (
            results["readings"]
            .result.unshuffled.groupby(results["readings"].parent_rows["person"])["x"]
            .mean()
        )
        values.append(np.corrcoef(results["person"].result.unshuffled["level"], made)[0, 1])
    return float(np.mean(values))


PRIVACY_CASES: tuple[tuple[tuple[ProjectionName, float], tuple[ProjectionName, float]], ...] = (
    (("fpca", 1.0), ("fpca", 1.0)),
    (("fpca", 2.0), ("fpca", 2.0)),
    (("fpca", 5.0), ("fpca", 5.0)),
    (("flatten", 0.25), ("flatten", 0.25)),
    (("flatten", 0.5), ("flatten", 0.5)),
    (("flatten", 1.0), ("flatten", 1.0)),
    (("flatten", 5.0), ("flatten", 5.0)),
    (("flatten", 0.25), ("fpca", 2.0)),
    (("flatten", 0.5), ("fpca", 2.0)),
    (("flatten", 1.0), ("fpca", 2.0)),
    (("flatten", 2.0), ("fpca", 2.0)),
    (("flatten", 5.0), ("fpca", 2.0)),
    (("fpca", 2.0), ("flatten", 0.25)),
    (("fpca", 2.0), ("flatten", 0.5)),
    (("fpca", 2.0), ("flatten", 1.0)),
)
"""(timeseries1, timeseries2) settings: each projection alone and the two mixed, since a
heavy block crowds the other out of the joint projection's axes."""


def series_privacy(
    fixtures: Fixtures,
    case: tuple[tuple[ProjectionName, float], tuple[ProjectionName, float]],
    seeds: int,
) -> dict[str, tuple[float, float, float]]:
    """Per series table, the ``person_and_series`` hidden rate (mean and lowest over seeds)
    and median local cloaking (mean), as the privacy metrics job measures them: the person's
    own columns beside the features the originals' model gives the released series."""
    parent = fixtures.vanilla.drop(columns="id")
    chosen = {
        name: SeriesSettings(projection=projection, block_weight=weight)
        for name, (projection, weight) in zip(SERIES, case, strict=True)
    }
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in SERIES}
    for seed in range(seeds):
        inputs = [
            SeriesInput(
                name,
                frame[["t", *SERIES[name]]],
                "t",
                "vanilla",
                fixtures.owners[name],
                chosen[name],
            )
            for name, frame in fixtures.series.items()
        ]
        results = avatarize_group(
            [TableInput("vanilla", parent, options={"k": K})], [], series=inputs, seed=seed
        )
        avatar_parent = results["vanilla"].result.unshuffled[parent.columns]
        for item in inputs:
            model = SeriesModel.fit(
                item.name, item.data, "t", item.person_rows, len(parent), item.settings
            )
            released = results[item.name]
            made = released_features(
                model, released.result.unshuffled, released.parent_rows["vanilla"], len(parent)
            )
            measured = {
                metric.name: metric.value
                for metric in privacy_metrics(
                    person_and_series(parent, model.features(), item.name),
                    person_and_series(avatar_parent, made, item.name),
                    seed=seed,
                )
            }
            rates[item.name].append(
                (float(measured["hidden_rate"] or 0.0), float(measured["local_cloaking"] or 0.0))
            )
    return {
        name: (
            float(np.mean([r for r, _ in found])),
            float(np.min([r for r, _ in found])),
            float(np.mean([c for _, c in found])),
        )
        for name, found in rates.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--weights", default="0.25,0.5,1,2,5,10,20")
    arguments = parser.parse_args()
    weights = sorted(
        {float(w) for w in arguments.weights.split(",")} | set(DEFAULT_BLOCK_WEIGHT.values())
    )
    fixtures = Fixtures.load()
    load = os.getloadavg()[0]
    rows: list[tuple[str, str, float, dict[str, float], float]] = []
    for projection in ("fpca", "flatten"):
        for weight in weights:
            figures, seconds = measure(fixtures, projection, weight, arguments.seeds)
            for (_, variable), entry in figures.items():
                rows.append((variable, projection, weight, entry, seconds))
    lines = [
        "# Series quality against the noise floor (sensors fixtures)",
        "",
        f"`python -m bench.series_quality --seeds {arguments.seeds}`: joint avatarization of "
        f"`vanilla` with both series tables, k = {K}, the engine's defaults otherwise (fpca nf "
        f"5, alignment mean, un-alignment uniform); {arguments.seeds} seeds, each with its own "
        f"split. Floor: two halves of {HALF} original persons; avatars: {HALF} avatar persons "
        f"against one original half; same fixed bins. Default block weights: "
        + ", ".join(f"{p} {w:g}" for p, w in DEFAULT_BLOCK_WEIGHT.items())
        + ". Statistics are defined in `bench/series_quality.py`.",
        "",
        machine(load),
        "",
    ]
    for variable in sorted({row[0] for row in rows}):
        lines += [
            f"## {variable}",
            "",
            "| projection | block weight | pointwise floor / avatars | lag-1 floor / avatars "
            "| grid corr floor / avatars | link floor / avatars (\\|r\\|) "
            "| mean–sd floor / avatars | persons floor / avatars | s / run |",
            "|---|---:|---|---|---|---|---|---|---:|",
        ]
        for name, projection, weight, entry, seconds in rows:
            if name != variable:
                continue
            cells = [
                f"{entry[f'floor_{stat}']:.3f} / {entry[f'avatar_{stat}']:.3f}"
                for stat in STATISTICS
            ]
            cells[3] += f" ({entry['strength']:.2f})"
            marker = " (default)" if weight == DEFAULT_BLOCK_WEIGHT[projection] else ""  # type: ignore[index]
            lines.append(
                f"| {projection} | {weight:g}{marker} | "
                + " | ".join(cells)
                + f" | {seconds:.2f} |"
            )
        lines.append("")
    lines += [
        "## Person-level link on the generated fixture (original 0.99)",
        "",
        "| block weight | fpca | flatten |",
        "|---:|---:|---:|",
    ]
    for weight in weights:
        kept = [
            f"{generated_link(p, weight, arguments.seeds):.3f}"
            + (" (default)" if weight == DEFAULT_BLOCK_WEIGHT[p] else "")
            for p in ("fpca", "flatten")
        ]
        lines.append(f"| {weight:g} | {kept[0]} | {kept[1]} |")
    lines += [
        "",
        "## Privacy: `person_and_series` hidden rate and local cloaking per series table",
        "",
        "Targets: hidden rate > 90, local cloaking > 5. Mean over seeds (lowest seed in brackets).",
        "",
        "| timeseries1 | timeseries2 | sensor1+2 hidden rate | cloaking | sensor3 hidden rate "
        "| cloaking |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case in PRIVACY_CASES:
        measured = series_privacy(fixtures, case, arguments.seeds)
        cells = [
            f"{measured[name][0]:.1f} ({measured[name][1]:.1f}) | {measured[name][2]:.1f}"
            for name in SERIES
        ]
        described = [f"{projection} {weight:g}" for projection, weight in case]
        lines.append(f"| {described[0]} | {described[1]} | {cells[0]} | {cells[1]} |")
    lines.append("")
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
