"""Series metrics through the real server, on the tutorial's sensors: per series table the
signal metrics of each value variable beside their floor, the two plot data files, a
``person_and_series`` privacy entry and verdict, and the summaries; plus, in the engine, a
privacy check that fails when the "avatars" are the originals' own series."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from avatar_server.engine import privacy_metrics
from avatar_server.engine.series import SeriesModel
from avatar_server.engine.series_metrics import series_signal_metrics
from avatar_server.engine.series_settings import SeriesSettings
from avatar_server.engine.series_sides import (
    person_and_series,
    released_alignment,
    released_features,
    series_side,
)
from avatar_yaml import JobKind, ResultKind
from avatars import ApiClient, Runner
from avatars.plots import PlotKind
from tests.test_series_runs import (  # noqa: F401 - sensors_data is a fixture
    irregular_runner,
    run_sensors,
    sensors_data,
)

METRICS = (
    "pointwise_hellinger_mean",
    "pointwise_hellinger_std",
    "density_hellinger_mean",
    "density_hellinger_std",
)
VARIABLES = {"sensor1": ["sensor1", "sensor2"], "sensor2": ["sensor3"]}
JOBS = [JobKind.STANDARD, JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS]


def measured(runner: Runner) -> Runner:
    runner.run(jobs_to_run=JOBS)
    return runner


def test_series_tables_get_signal_metrics_plots_privacy_and_summaries(
    user: ApiClient,
    sensors_data: dict[str, pd.DataFrame],  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # outside a notebook each plot also lands as a page here
    runner = measured(run_sensors(user, sensors_data))
    for table, variables in VARIABLES.items():
        entries = runner.signal_metrics(table)
        assert [entry["metadata"]["reference"] for entry in entries] == variables
        for entry in entries:
            assert entry["metadata"]["table_name"] == table
            assert entry["metadata"]["computation_type"] == "time_series"
            for name in METRICS:
                assert 0.0 <= entry[name] <= 1.0, (table, name)
                assert 0.0 <= entry["floor"][name] <= 1.0, (table, name)
            print(
                f"{table}.{entry['metadata']['reference']}: pointwise "
                f"{entry['pointwise_hellinger_mean']:.3f} (floor "
                f"{entry['floor']['pointwise_hellinger_mean']:.3f}), density "
                f"{entry['density_hellinger_mean']:.3f} (floor "
                f"{entry['floor']['density_hellinger_mean']:.3f})"
            )
            if entry["metadata"]["reference"] in ("sensor2", "sensor3"):
                floor = entry["floor"]["pointwise_hellinger_mean"]
                assert entry["pointwise_hellinger_mean"] <= floor + 0.15
        assert runner.plot_kinds(table) == [PlotKind.RAW_SERIES, PlotKind.NORMALIZED_SERIES]
        for kind in runner.plot_kinds(table):
            assert isinstance(runner.render_plot(table, kind), Figure)
        (privacy,) = runner.privacy_metrics(table)
        assert privacy["metadata"] == {
            "table_name": table,
            "computation_type": "person_and_series",
            "reference": "vanilla",
        }
        assert privacy["hidden_rate"] is not None and privacy["hidden_rate"] > 50
        assert runner.privacy_verdict(table)["status"] in ("pass", "fail")
    # The attacks hold out whole persons with their series; a series table is attacked on its
    # person_and_series rows, one per person.
    for table in ("vanilla", *VARIABLES):
        attacks = runner.privacy_attacks(table)
        assert attacks["audit"]["held_out"]["persons"] == "vanilla"
        assert attacks["audit"]["held_out"]["persons_held_out"] == 50
        assert attacks["audit"]["train_rows"] == 150 and attacks["audit"]["control_rows"] == 50
        for section in ("singling_out", "linkability", "inference"):
            assert attacks[section].get("n_attacks", 0) > 0, (table, section, attacks[section])
        assert attacks["linkage"]["n"] == 200
        print(
            table,
            {
                s: (attacks[s]["value"], attacks[s]["low"], attacks[s]["high"])
                for s in ("singling_out", "linkability", "inference")
            },
            attacks["inference"]["secret"],
            attacks.get("raised_k"),
            {key: attacks["linkage"][key] for key in ("top1", "chance_top1")},
        )
        items = {item["name"] for item in runner.privacy_verdict(table)["items"]}
        assert "attack_linkage" in items and "attacks_not_run" not in items
    privacy_summary = runner.render_privacy_metrics_summary()
    signal_summary = runner.render_signal_metrics_summary()
    assert privacy_summary["vanilla"].keys() == {"vanilla"}
    for table, variables in VARIABLES.items():
        assert privacy_summary[table].keys() == {"vanilla"}
        assert list(signal_summary[table]) == variables
        by_variable = {e["metadata"]["reference"]: e for e in runner.signal_metrics(table)}
        for variable, value in signal_summary[table].items():
            assert value == by_variable[variable]["pointwise_hellinger_mean"]
    with pytest.raises(ValueError, match="drawn for series tables only, and 'vanilla' is not"):
        runner.render_plot("vanilla", PlotKind.RAW_SERIES)
    with pytest.raises(ValueError, match="'sensor1' is a series table: its plots are raw_series"):
        runner.render_plot("sensor1", PlotKind.DISTRIBUTION)


def test_the_metrics_measure_the_series_as_the_run_set_them(
    user: ApiClient,
    sensors_data: dict[str, pd.DataFrame],  # noqa: F811 - the fixture imported above
) -> None:
    """The metrics documents' ``time_series`` (a copy of the run's) places the series: the
    curves the signal metrics compare are on the grid it sets."""
    runner = run_sensors(user, sensors_data)
    runner.set_parameters(
        "sensor2",
        time_series_projection_type="fpca",
        time_series_method="specified",
        time_series_nb_points=12,
    )
    config = runner.config
    assert config.parameters is not None and config.parameters.time_series is not None
    for document in (config.signal_metrics, config.privacy_metrics):
        assert document is not None and document.time_series == config.parameters.time_series
        alignment = document.time_series["sensor2"].alignment
        assert alignment is not None and alignment.nb_points == 12
    measured(runner)
    found = runner._results.entry("signal_metrics", ResultKind.NORMALIZED_SERIES, "sensor2")
    assert found is not None
    plot: dict[str, Any] = runner._results.read_json(*found)
    assert len(plot["grid"]) == 12
    bands = plot["variables"]["sensor3"]["avatars"]
    assert len(bands) == 3 and all(len(band) == 12 for band in bands)
    # Privacy reads the series through the same fit.
    (privacy,) = runner.privacy_metrics("sensor2")
    assert privacy["metadata"]["computation_type"] == "person_and_series"


@pytest.fixture(scope="module")
def sensor3(shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray[Any, Any]]:
    persons = pd.read_csv(shared_data / "sensors_vanilla.csv")
    series = pd.read_csv(shared_data / "sensors_timeseries2.csv")
    rows = pd.Index(persons["id"]).get_indexer(series["id"])
    return persons.drop(columns=["id"]), series.drop(columns=["primary_key", "id"]), rows


def test_the_originals_own_series_released_as_avatars_fail_the_privacy_metrics(
    sensor3: tuple[pd.DataFrame, pd.DataFrame, np.ndarray[Any, Any]],
) -> None:
    """The originals' own series put through the originals' model land on the originals'
    features: hidden rate and distances near 0. Each person given another person's series
    (the same released series, other owners) moves them away: the series part is read."""
    persons, series, rows = sensor3
    settings = SeriesSettings(projection="fpca", nf=5, nb_points=40, method="specified")
    model = SeriesModel.fit("sensor2", series, "t", rows, len(persons), settings)
    own = released_features(model, series, rows, len(persons))
    np.testing.assert_allclose(own.to_numpy(), model.features().to_numpy(), atol=1e-9)
    original = person_and_series(persons, model.features(), "sensor2")
    copied = {
        r.name: r.value
        for r in privacy_metrics(original, person_and_series(persons, own, "sensor2"), seed=0)
    }
    assert copied["hidden_rate"] is not None and copied["hidden_rate"] <= 2.0
    assert copied["distance_to_closest"] is not None and copied["distance_to_closest"] <= 1e-6
    other = (rows + 1) % len(persons)
    moved = released_features(model, series, other, len(persons))
    swapped = {
        r.name: r.value
        for r in privacy_metrics(original, person_and_series(persons, moved, "sensor2"), seed=0)
    }
    assert swapped["distance_to_closest"] is not None
    assert not math.isclose(swapped["distance_to_closest"], 0.0, abs_tol=1e-3)
    assert swapped["hidden_rate"] is not None and swapped["hidden_rate"] > copied["hidden_rate"]
    # Their signal metrics are their floor exactly (measured at the floor's size and bins).
    sides = (
        series_side(model.alignment, series, "t", rows),
        series_side(released_alignment(model, series, rows, len(persons)), series, "t", rows),
    )
    (variable,) = series_signal_metrics(*sides)
    assert variable.floor == {name: getattr(variable, name) for name in METRICS}
    assert variable.floor["pointwise_hellinger_mean"] > 0.1


def test_datetime_series_are_measured_in_epoch_seconds(user: ApiClient) -> None:
    """Irregular datetime series (3 to 12 points over up to three weeks): the released series
    are placed on the originals' time origin, so the raw plot's times of both sides are epoch
    seconds of the same weeks and the length/first/duration features line up."""
    runner, _ = irregular_runner(user, "irregular_metrics", seed=7)
    measured(runner)
    (entry,) = runner.signal_metrics("measures")
    assert all(0.0 <= entry[name] <= 1.0 for name in METRICS)
    found = runner._results.entry("signal_metrics", ResultKind.RAW_SERIES, "measures")
    assert found is not None
    plot: dict[str, Any] = runner._results.read_json(*found)
    january = pd.Timestamp("2024-01-01").timestamp()
    for side in ("original", "avatars"):
        times = np.concatenate([series["t"] for series in plot[side]])
        assert january <= times.min() and times.max() <= january + 50 * 86_400, side
    (privacy,) = runner.privacy_metrics("measures")
    assert privacy["metadata"]["reference"] == "persons"
    assert privacy["distance_to_closest"] is not None and privacy["distance_to_closest"] > 0


def test_released_datetime_series_keep_the_originals_time_origin() -> None:
    """A released series a day later than its original has a first time a day later: the
    avatars' times are counted from the originals' origin, not from their own earliest."""
    rng = np.random.default_rng(3)
    starts = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 100, 20), unit="h")
    series = pd.DataFrame(
        {
            "at": np.concatenate(
                [start + pd.to_timedelta(np.arange(5), unit="h") for start in starts]
            ),
            "value": rng.normal(size=100),
        }
    )
    rows = np.repeat(np.arange(20), 5)
    model = SeriesModel.fit("measures", series, "at", rows, 20, SeriesSettings())
    later = series.assign(at=series["at"] + pd.Timedelta(days=1))
    moved = released_features(model, later, rows, 20)
    original = model.features()
    np.testing.assert_allclose(moved[":first"] - original[":first"], 86_400.0)
    np.testing.assert_allclose(moved[":duration"], original[":duration"])
    np.testing.assert_allclose(moved["value:0"], original["value:0"])
