"""Series runs avatarized through the real server, on the tutorial's sensors (a person's table
and two series tables from the shared fixtures) and on a generated irregular fixture.

Every avatar person gets exactly one series per series table, its times strictly increasing
and its length as the settings say; every foreign key names an avatar person; no released key
takes an original value; the same seed gives the same tables; and each series setting changes
what comes out (nothing accepted and then ignored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_yaml import JobKind, LinkMethod
from avatars import ApiClient, Runner
from avatars.errors import JobFailedError
from tests.test_series_declaration import sensors_runner

SERIES = ("sensor1", "sensor2")


@pytest.fixture(scope="module")
def sensors_data(shared_data: Path) -> dict[str, pd.DataFrame]:
    return {
        "vanilla": pd.read_csv(shared_data / "sensors_vanilla.csv"),
        "sensor1": pd.read_csv(shared_data / "sensors_timeseries1.csv"),
        "sensor2": pd.read_csv(shared_data / "sensors_timeseries2.csv"),
    }


def avatarized(runner: Runner) -> dict[str, pd.DataFrame]:
    runner.run(jobs_to_run=[JobKind.STANDARD])
    return {name: runner.shuffled(name) for name in ("vanilla", *SERIES)}


def run_sensors(user: ApiClient, data: dict[str, pd.DataFrame], **sensor2: Any) -> Runner:
    runner = sensors_runner(user, data["vanilla"], data["sensor1"], data["sensor2"])
    if sensor2:
        runner.set_parameters("sensor2", **sensor2)
    return runner


def check_series(persons: pd.DataFrame, series: pd.DataFrame, original: pd.DataFrame) -> pd.Series:
    """One series per avatar person, foreign keys resolving, times strictly increasing, keys
    new; returns the length of each avatar person's series."""
    assert set(series["id"]) == set(persons["id"])
    assert series["primary_key"].is_unique
    assert not set(series["primary_key"]) & set(original["primary_key"])
    increasing = series.groupby("id")["t"].apply(lambda t: bool(t.is_monotonic_increasing))
    assert increasing.all() and not series.duplicated(["id", "t"]).any()
    assert list(series.columns) == list(original.columns)
    return series.groupby("id").size()


def test_the_sensors_are_avatarized_with_their_persons(
    user: ApiClient, sensors_data: dict[str, pd.DataFrame]
) -> None:
    runner = run_sensors(user, sensors_data)
    released = avatarized(runner)
    persons = released["vanilla"]
    assert len(persons) == 200 and not set(persons["id"]) & set(sensors_data["vanilla"]["id"])
    lengths = check_series(persons, released["sensor1"], sensors_data["sensor1"])
    assert (lengths == 30).all()  # flatten, method mean of 30-point series, uniform
    lengths = check_series(persons, released["sensor2"], sensors_data["sensor2"])
    assert (lengths == 50).all()  # fpca on 40 specified points, back to each avatar's 50
    # No avatar series copies an original one.
    original = sensors_data["sensor1"].pivot(index="id", columns="t", values="sensor1")
    made = released["sensor1"].pivot(index="id", columns="t", values="sensor1")
    assert not made.round(6).merge(original.round(6), how="inner").shape[0]
    again = avatarized(run_sensors(user, sensors_data))
    for name in ("vanilla", *SERIES):
        pd.testing.assert_frame_equal(released[name], again[name])


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"time_series_nb_points": 12, "time_series_unalignment": "skip"}, {12}),
        ({"time_series_method": "max", "time_series_nb_points": None}, {50}),
    ],
)
def test_the_grid_and_unalignment_settings_take_effect(
    user: ApiClient,
    sensors_data: dict[str, pd.DataFrame],
    settings: dict[str, Any],
    expected: set[int],
) -> None:
    if settings.get("time_series_unalignment") == "skip":
        settings = {"time_series_method": "specified", **settings}
    runner = run_sensors(user, sensors_data)
    chosen = {"time_series_projection_type": "fpca", **settings}
    runner.set_parameters("sensor2", **{k: v for k, v in chosen.items() if v is not None})
    released = avatarized(runner)
    lengths = check_series(released["vanilla"], released["sensor2"], sensors_data["sensor2"])
    assert set(lengths) == expected


def test_projection_and_block_weight_change_the_avatars(
    user: ApiClient, sensors_data: dict[str, pd.DataFrame]
) -> None:
    base = avatarized(run_sensors(user, sensors_data))["sensor2"]
    for change in (
        {"time_series_projection_type": "flatten", "time_series_nf": None},
        {"time_series_nf": 2},
        {"time_series_block_weight": 8.0},
    ):
        runner = sensors_runner(
            user, sensors_data["vanilla"], sensors_data["sensor1"], sensors_data["sensor2"]
        )
        settings = {
            "time_series_projection_type": "fpca",
            "time_series_nf": 5,
            "time_series_nb_points": 40,
            "time_series_method": "specified",
            "time_series_unalignment": "uniform",
            "time_series_block_weight": 2.0,
            **change,
        }
        given: dict[str, Any] = {k: v for k, v in settings.items() if v is not None}
        runner.set_parameters("sensor2", **given)
        other = avatarized(runner)["sensor2"]
        assert not np.allclose(other["sensor3"], base["sensor3"]), change


def irregular_runner(user: ApiClient, name: str, *, seed: int) -> tuple[Runner, pd.DataFrame]:
    """60 persons (an age) measured 3 to 12 times at irregular instants over up to three
    weeks, declared with a datetime time column and k = 5; the runner and the measures."""
    rng = np.random.default_rng(seed)
    persons = pd.DataFrame({"pid": np.arange(60), "age": rng.integers(20, 80, 60)})
    rows = []
    for pid in range(60):
        count = int(rng.integers(3, 13))
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(rng.integers(0, 500)))
        offsets = np.sort(rng.choice(24 * 21, size=count, replace=False))
        for offset in offsets:
            rows.append((pid, start + pd.Timedelta(hours=int(offset)), rng.normal(pid / 10, 1)))
    measures = pd.DataFrame(rows, columns=["pid", "at", "value"])
    measures.insert(0, "mid", np.arange(len(measures)))
    runner = Runner(user, name, seed=2)
    runner.add_table("persons", persons, primary_key="pid", individual_level=True)
    runner.add_table(
        "measures", measures, primary_key="mid", foreign_keys=["pid"], time_series_time="at"
    )
    runner.add_link("persons", "pid", "measures", "pid", LinkMethod.TIME_SERIES)
    runner.set_parameters("persons", k=5)
    return runner, measures


def test_irregular_datetime_series_keep_their_lengths_and_spans(user: ApiClient) -> None:
    """Persons measured 3 to 12 times at irregular instants over hours to weeks: with
    ``uniform``, each avatar series is as long as an original one and spans as long."""
    runner, measures = irregular_runner(user, "irregular", seed=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    released = runner.shuffled("measures")
    times = pd.to_datetime(released["at"])
    assert times.groupby(released["pid"]).apply(lambda t: t.is_monotonic_increasing).all()
    lengths = released.groupby("pid").size()
    original = measures.groupby("pid").size()
    assert lengths.min() >= original.min() - 1 and lengths.max() <= original.max() + 1
    spans = times.groupby(released["pid"]).agg(lambda t: (t.max() - t.min()).total_seconds())
    reference = measures.groupby("pid")["at"].agg(lambda t: (t.max() - t.min()).total_seconds())
    assert reference.min() * 0.5 <= spans.median() <= reference.max()
    assert set(released["pid"]) == set(runner.shuffled("persons")["pid"])


def test_a_series_only_run_is_declared_in_order_and_avatarized(user: ApiClient) -> None:
    """Persons with nothing but their key and their series: declared person first (the
    Runner waits for the series before judging that nothing is left to anonymize), each
    avatar person gets one series; measuring such a run is refused, saying what to do."""
    rng = np.random.default_rng(8)
    people = pd.DataFrame({"pid": np.arange(40)})
    measures = pd.DataFrame(
        {
            "mid": np.arange(400),
            "pid": np.repeat(np.arange(40), 10),
            "t": np.tile(np.arange(10), 40),
            "v": rng.normal(size=400).cumsum(),
        }
    )
    runner = Runner(user, "series_only", seed=4)
    runner.add_table("people", people, primary_key="pid", individual_level=True)
    runner.add_table(
        "measures", measures, primary_key="mid", foreign_keys=["pid"], time_series_time="t"
    )
    runner.add_link("people", "pid", "measures", "pid", LinkMethod.TIME_SERIES)
    runner.set_parameters("people", k=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    persons, series = runner.shuffled("people"), runner.shuffled("measures")
    assert len(persons) == 40 and set(series["pid"]) == set(persons["pid"])
    assert (series.groupby("pid").size() == 10).all()
    runner.run(jobs_to_run=[JobKind.STANDARD, JobKind.PRIVACY_METRICS])
    with pytest.raises(JobFailedError, match=r"a series-only run.*measuring them is not supported"):
        runner.privacy_metrics("measures")


def test_a_person_table_with_nothing_left_is_still_refused_once_the_run_is_complete(
    user: ApiClient,
) -> None:
    runner = Runner(user, "nothing_left", seed=4)
    runner.add_table("people", pd.DataFrame({"pid": np.arange(20)}), primary_key="pid")
    runner.set_parameters("people", k=5)
    with pytest.raises(ValueError, match="nothing is left to anonymize"):
        runner.run(jobs_to_run=[JobKind.STANDARD])


def test_text_in_a_series_table_is_refused_when_declared(user: ApiClient, tmp_path: Path) -> None:
    """A messy series file (semicolons, latin-1) whose notes hold phone numbers in free text:
    refused as the table is added, naming the column, before anything runs."""
    ages = np.random.default_rng(3).integers(20, 90, 20)
    people = pd.DataFrame({"pid": [f"P{i:03d}" for i in range(20)], "âge": ages})
    measures = pd.DataFrame(
        {
            "mid": np.arange(100),
            "pid": [f"P{i // 5:03d}" for i in range(100)],
            "jour": np.tile(np.arange(5), 20),
            "poids": np.linspace(60.0, 90.0, 100),
            "note": [f"rappeler le 06 12 34 56 {i % 100:02d}, très fatigué" for i in range(100)],
        }
    )
    for name, frame in (("people", people), ("measures", measures)):
        frame.to_csv(tmp_path / f"{name}.csv", sep=";", index=False, encoding="latin-1")
    runner = Runner(user, "messy_series", seed=1)
    runner.add_table("people", tmp_path / "people.csv", primary_key="pid", individual_level=True)
    with pytest.raises(ValueError, match="value column 'note' holds string values: series values"):
        runner.add_table(
            "measures",
            tmp_path / "measures.csv",
            primary_key="mid",
            foreign_keys=["pid"],
            time_series_time="jour",
        )
    runner.add_table(
        "measures",
        tmp_path / "measures.csv",
        primary_key="mid",
        foreign_keys=["pid"],
        time_series_time="jour",
        columns_to_drop=["note"],
    )
    runner.add_link("people", "pid", "measures", "pid", LinkMethod.TIME_SERIES)
    runner.set_parameters("people", k=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    released = runner.shuffled("measures")
    assert "note" not in released.columns
    assert list(released.columns) == ["mid", "pid", "jour", "poids"]
