"""Series tables avatarized with their parent through ``avatarize_group`` (sensors fixtures and
generated series)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.linked import (
    LinkedTableResult,
    Relation,
    SeriesInput,
    TableInput,
    avatarize_group,
)
from avatar_server.engine.progress import Cancelled
from avatar_server.engine.series_settings import SeriesSettings


@pytest.fixture(scope="module")
def sensors(shared_data: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(shared_data / f"sensors_{name}.csv")
        for name in ("vanilla", "timeseries1", "timeseries2")
    }


def series_inputs(
    sensors: dict[str, pd.DataFrame], first: SeriesSettings, second: SeriesSettings
) -> list[SeriesInput]:
    index = pd.Index(sensors["vanilla"]["id"])
    one, two = sensors["timeseries1"], sensors["timeseries2"]
    return [
        SeriesInput(
            "timeseries1",
            one[["t", "sensor1", "sensor2"]],
            "t",
            "vanilla",
            index.get_indexer(one["id"]),
            first,
        ),
        SeriesInput(
            "timeseries2",
            two[["t", "sensor3"]],
            "t",
            "vanilla",
            index.get_indexer(two["id"]),
            second,
        ),
    ]


def run_sensors(
    sensors: dict[str, pd.DataFrame],
    first: SeriesSettings,
    second: SeriesSettings,
    *,
    seed: int = 7,
    parent: pd.DataFrame | None = None,
    progress: Any = None,
) -> dict[str, LinkedTableResult]:
    data = sensors["vanilla"].drop(columns="id") if parent is None else parent
    return avatarize_group(
        [TableInput("vanilla", data, options={"k": 5})],
        [],
        series=series_inputs(sensors, first, second),
        seed=seed,
        progress=progress,
    )


def check_series(
    result: LinkedTableResult, persons: int, lengths: set[int], parent: str = "vanilla"
) -> pd.DataFrame:
    """Every avatar person has one series, grouped, times strictly increasing; its lengths."""
    rows = result.result.unshuffled
    owner = result.parent_rows[parent]
    assert owner.size == len(rows)
    assert set(owner.tolist()) == set(range(persons))
    assert np.all(np.diff(owner) >= 0), "rows are grouped by avatar person"
    same = owner[1:] == owner[:-1]
    assert np.all(np.diff(rows["t"].to_numpy())[same] > 0)
    sizes = pd.Series(owner).value_counts()
    assert set(sizes.tolist()) <= lengths
    return rows


def test_sensors_every_avatar_person_has_one_series_per_table(
    sensors: dict[str, pd.DataFrame],
) -> None:
    results = run_sensors(sensors, SeriesSettings(), SeriesSettings(projection="flatten"))
    assert set(results) == {"vanilla", "timeseries1", "timeseries2"}
    assert list(results["vanilla"].result.unshuffled.columns) == list(
        sensors["vanilla"].columns.drop("id")
    )
    assert results["timeseries1"].result.warnings == []
    one = check_series(results["timeseries1"], 200, {30})
    two = check_series(results["timeseries2"], 200, {50})
    assert list(one.columns) == ["t", "sensor1", "sensor2"]
    assert (
        one.dtypes.tolist() == sensors["timeseries1"][["t", "sensor1", "sensor2"]].dtypes.tolist()
    )
    assert two["t"].min() == 0 and two["t"].max() == 49
    # Avatars, not copies: no avatar curve equals an original one.
    original = (
        sensors["timeseries1"].sort_values(["id", "t"])["sensor1"].to_numpy().reshape(200, 30)
    )
    made = one["sensor1"].to_numpy().reshape(200, 30)
    distances = np.abs(made[:, None, :] - original[None, :, :]).max(axis=2)
    assert distances.min() > 1e-6
    shuffled = results["timeseries1"].result
    assert shuffled.shuffle_order is not None
    assert shuffled.shuffled.equals(one.iloc[shuffled.shuffle_order].reset_index(drop=True))


def test_specified_grid_with_skip_gives_nb_points_per_person(
    sensors: dict[str, pd.DataFrame],
) -> None:
    settings = SeriesSettings(method="specified", nb_points=12, unalignment="skip")
    results = run_sensors(sensors, settings, SeriesSettings(method="min", unalignment="skip"))
    check_series(results["timeseries1"], 200, {12})
    check_series(results["timeseries2"], 200, {50})


def test_same_seed_same_output(sensors: dict[str, pd.DataFrame]) -> None:
    settings = SeriesSettings(nf=3, block_weight=2.0)
    first = run_sensors(sensors, settings, settings, seed=11)
    again = run_sensors(sensors, settings, settings, seed=11)
    other = run_sensors(sensors, settings, settings, seed=12)
    for name in ("vanilla", "timeseries1", "timeseries2"):
        assert first[name].result.unshuffled.equals(again[name].result.unshuffled)
        assert first[name].result.shuffled.equals(again[name].result.shuffled)
    assert not first["timeseries1"].result.unshuffled.equals(other["timeseries1"].result.unshuffled)


def test_block_weight_changes_where_persons_are_searched(
    sensors: dict[str, pd.DataFrame],
) -> None:
    light = run_sensors(sensors, SeriesSettings(block_weight=0.01), SeriesSettings())
    heavy = run_sensors(sensors, SeriesSettings(block_weight=100.0), SeriesSettings())
    assert not light["timeseries1"].result.unshuffled.equals(heavy["timeseries1"].result.unshuffled)
    # A heavier block ranks the series first: the avatars' curves sit nearer the originals'.
    original = sensors["timeseries1"].sort_values(["id", "t"])["sensor1"].to_numpy()

    def gap(results: dict[str, LinkedTableResult]) -> float:
        made = results["timeseries1"].result.unshuffled["sensor1"].to_numpy()
        return float(np.abs(made - original).mean())

    assert gap(heavy) < gap(light)


def test_series_only_parent(sensors: dict[str, pd.DataFrame]) -> None:
    empty = pd.DataFrame(index=range(200))
    results = run_sensors(sensors, SeriesSettings(), SeriesSettings(), parent=empty)
    assert results["vanilla"].result.unshuffled.shape == (200, 0)
    check_series(results["timeseries1"], 200, {30})
    check_series(results["timeseries2"], 200, {50})


def test_irregular_datetime_series_keep_their_kind() -> None:
    rng = np.random.default_rng(3)
    persons = 60
    parts = []
    for person in range(persons):
        length = int(rng.integers(4, 12))
        offsets = np.sort(rng.choice(np.arange(1, 400), length - 1, replace=False))
        hours = np.concatenate(([0], offsets)) + int(rng.integers(0, 100))
        stamps = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(hours, unit="h")
        values = rng.normal(person % 5, 1, length)
        values[rng.random(length) < 0.1] = np.nan
        parts.append(pd.DataFrame({"p": person, "when": stamps, "level": values}))
    series = pd.concat(parts, ignore_index=True)
    parent = pd.DataFrame({"group": np.arange(persons) % 5, "age": rng.integers(20, 80, persons)})
    results = avatarize_group(
        [TableInput("people", parent, options={"k": 4})],
        [],
        series=[
            SeriesInput(
                "readings",
                series[["when", "level"]],
                "when",
                "people",
                series["p"].to_numpy(),
                SeriesSettings(method="max"),
            )
        ],
        seed=5,
    )
    rows = results["readings"].result.unshuffled
    owner = results["readings"].parent_rows["people"]
    assert rows["when"].dtype == series["when"].dtype
    sizes = pd.Series(owner).value_counts()
    assert sizes.min() >= 2 and sizes.max() <= 11
    same = owner[1:] == owner[:-1]
    assert (rows["when"].diff().dt.total_seconds().to_numpy()[1:][same] > 0).all()


def test_progress_reports_the_series_and_cancels(sensors: dict[str, pd.DataFrame]) -> None:
    stages: list[tuple[str, float]] = []
    run_sensors(
        sensors,
        SeriesSettings(),
        SeriesSettings(),
        progress=lambda stage, fraction: stages.append((stage, fraction)),
    )
    names = [stage for stage, _ in stages]
    assert "timeseries1: rows" in names and "timeseries2: rows" in names
    fractions = [fraction for _, fraction in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    def cancel(stage: str, fraction: float) -> None:
        if stage == "timeseries2: rows":
            raise Cancelled

    with pytest.raises(Cancelled):
        run_sensors(sensors, SeriesSettings(), SeriesSettings(), progress=cancel)


def test_bad_series_inputs_name_the_table(sensors: dict[str, pd.DataFrame]) -> None:
    parent = TableInput("vanilla", sensors["vanilla"].drop(columns="id"), options={"k": 5})
    inputs = series_inputs(sensors, SeriesSettings(), SeriesSettings())
    orphan = SeriesInput("lost", inputs[0].data, "t", "nobody", inputs[0].person_rows)
    with pytest.raises(ValueError, match="'lost' names parent 'nobody'"):
        avatarize_group([parent], [], series=[orphan], seed=1)
    twice = SeriesInput("vanilla", inputs[0].data, "t", "vanilla", inputs[0].person_rows)
    with pytest.raises(ValueError, match="'vanilla' is given twice"):
        avatarize_group([parent], [], series=[twice], seed=1)
    short = inputs[0].data.iloc[30:]
    cut = SeriesInput("timeseries1", short, "t", "vanilla", inputs[0].person_rows[30:])
    with pytest.raises(ValueError, match="'timeseries1': 1 persons have fewer than 2 points"):
        avatarize_group([parent], [], series=[cut], seed=1)
    wrong_time = SeriesInput(
        "timeseries1", inputs[0].data, "time", "vanilla", inputs[0].person_rows
    )
    with pytest.raises(ValueError, match="'timeseries1': no time column 'time'"):
        avatarize_group([parent], [], series=[wrong_time], seed=1)


def test_series_keep_their_link_to_the_person_beside_an_assignment_child() -> None:
    """A person's level drives its series' mean and its visits' cost; the avatars keep both."""
    rng = np.random.default_rng(8)
    persons = 150
    level = rng.normal(0, 1, persons)
    parent = pd.DataFrame({"level": level, "age": rng.integers(20, 80, persons)})
    visit_rows = np.sort(rng.integers(0, persons, 400))
    visits = pd.DataFrame({"cost": 10 * level[visit_rows] + rng.normal(0, 2, 400)})
    owner = np.repeat(np.arange(persons), 20)
    t = np.tile(np.arange(20), persons)
    readings = pd.DataFrame(
        {"t": t, "x": 3 * level[owner] + np.sin(t / 3) + rng.normal(0, 0.3, t.size)}
    )
    results = avatarize_group(
        [
            TableInput("person", parent, options={"k": 5}),
            TableInput("visit", visits, {"person_id": visit_rows}, {"k": 5}),
        ],
        [Relation("person", "visit", "person_id", "linear_sum_assignment")],
        series=[SeriesInput("readings", readings, "t", "person", owner, SeriesSettings())],
        seed=2,
    )
    original = np.corrcoef(level, readings.groupby(owner)["x"].mean())[0, 1]
    rows = results["readings"].result.unshuffled
    made = rows.groupby(results["readings"].parent_rows["person"])["x"].mean()
    kept = np.corrcoef(results["person"].result.unshuffled["level"], made)[0, 1]
    assert original > 0.99
    assert kept > 0.7  # 0.83 at fpca's default block weight (2), 0.61 with 0.01
    assert len(results["visit"].parent_rows["person_id"]) == 400
    check_series(results["readings"], persons, {20}, "person")
