"""Series tables through the real server: the Runner declares the tutorial's sensors run from
the shared fixtures (a person's table and two series tables), round-trips it through YAML
(including the legacy ``projection.type`` key); every bad declaration is refused by the Runner
and, sent anyway, by the server with the same message; what only the values show (times that
are not dates, a person with a time twice, persons with fewer than 2 points) is refused by the
server naming the table, the columns, how many and a few of them, nothing stored.

The server avatarizes a run with series (tests/test_series_runs.py); its metrics and reports
are refused at job creation, so that nothing is accepted and then computed as flat tables."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from avatar_yaml import Config, LinkMethod, ProjectionType, rules
from avatars import ApiClient, Runner
from avatars.errors import ValidationError
from tests.test_linked_validation import refused_alike, stored_state
from tests.test_series_schema import SERIES_REFUSALS


def sensors_runner(
    user: ApiClient,
    vanilla: Path | pd.DataFrame,
    series1: Path | pd.DataFrame,
    series2: Path | pd.DataFrame,
    *,
    time_types: dict[str, str] | None = None,
) -> Runner:
    """The tutorial's calls: the person's table, then each series table with its foreign key
    and time column, linked with ``time_series``; sensor2 tuned with fpca on 40 points."""
    runner = Runner(user, "sensors", seed=3)
    runner.add_table("vanilla", vanilla, primary_key="id", individual_level=True)
    for name, data in (("sensor1", series1), ("sensor2", series2)):
        runner.add_table(
            name,
            data,
            primary_key="primary_key",
            foreign_keys=["id"],
            time_series_time="t",
            types=time_types,  # type: ignore[arg-type]
        )
        runner.add_link("vanilla", "id", name, "id", LinkMethod.TIME_SERIES)
    runner.set_parameters("vanilla", k=5)
    runner.set_parameters("sensor1", time_series_projection_type=ProjectionType.FLATTEN)
    runner.set_parameters(
        "sensor2",
        time_series_projection_type="fpca",
        time_series_nf=5,
        time_series_nb_points=40,
        time_series_method="specified",
        time_series_unalignment="uniform",
        time_series_block_weight=2.0,
    )
    return runner


@pytest.fixture
def sensors(user: ApiClient, shared_data: Path) -> Runner:
    return sensors_runner(
        user,
        shared_data / "sensors_vanilla.csv",
        shared_data / "sensors_timeseries1.csv",
        shared_data / "sensors_timeseries2.csv",
    )


def test_the_runner_declares_the_sensors_run_and_it_round_trips(
    user: ApiClient, sensors: Runner, tmp_path: Path
) -> None:
    text = sensors.get_yaml()
    parameters = Config.from_yaml(text).parameters
    assert parameters is not None and parameters.time_series is not None
    assert parameters.time_series["sensor2"].to_dict() == {
        "projection": {"projection_type": "fpca", "nf": 5, "block_weight": 2.0},
        "alignment": {"nb_points": 40, "method": "specified", "unalignment": "uniform"},
    }
    assert parameters.avatarization is not None and list(parameters.avatarization) == ["vanilla"]
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text(text.replace("projection_type: flatten", "type: flatten"))
    again = Runner(user, "sensors")
    again.from_yaml(legacy)
    assert again.get_yaml() == text
    stored = user.resources.put_resources("sensors", legacy.read_text())
    detail = user.resources.get_resources(str(stored.set_name))
    assert Config.from_yaml(detail.yaml) == sensors.config


def test_keywords_come_back_and_update_parameters_keeps_them(sensors: Runner) -> None:
    sensors.update_parameters("sensor2", time_series_nf=3)
    config = sensors.config
    assert config.parameters is not None and config.parameters.time_series is not None
    projection = config.parameters.time_series["sensor2"].projection
    assert projection is not None and (projection.nf, projection.block_weight) == (3, 2.0)
    assert config.signal_metrics is not None
    assert config.signal_metrics.time_series == config.parameters.time_series


def test_a_series_run_runs_every_job(user: ApiClient, sensors: Runner, tmp_path: Path) -> None:
    """The tutorial's run() as is: the avatarization, both metrics and the reports all run,
    the report built from what the metrics jobs wrote (a section per series table)."""
    sensors.run(ignore_warnings=True)
    written = sensors.download_report(tmp_path)
    assert isinstance(written, list)
    (page,) = [p for p in written if p.suffix == ".html"]
    html = page.read_text(encoding="utf-8")
    assert all(f'data-table="{name}"' in html for name in ("sensor1", "sensor2"))
    sensors.download_report(tmp_path / "pia", "pia")  # waits for the other report job too
    statuses = sensors.statuses()
    assert set(statuses.values()) == {"done"}, statuses
    assert len(statuses) == 5  # standard, both metrics, both reports


def test_excluding_series_variables_is_not_supported_yet(user: ApiClient, sensors: Runner) -> None:
    edit, message = SERIES_REFUSALS["excluded series variables"]
    config = copy.deepcopy(sensors.config)
    edit(config)
    with pytest.raises(ValueError, match="is not supported yet"):
        rules.check_supported(config)
    refused_alike(user, config, "sensors", message)


def test_every_bad_series_declaration_is_refused_alike_by_runner_and_server(
    user: ApiClient, sensors: Runner
) -> None:
    for case, (edit, message) in SERIES_REFUSALS.items():
        config = copy.deepcopy(sensors.config)
        edit(config)
        try:
            refused_alike(user, config, "sensors", message)
        except AssertionError as error:
            raise AssertionError(f"{case}: {error}") from None


@pytest.mark.parametrize(
    ("table", "keywords", "message"),
    [
        (
            "sensor1",
            {"k": 5},
            "table 'sensor1' is a series table, avatarized with its persons",
        ),
        (
            "sensor1",
            {"time_series_projection_type": "fcpa"},
            "table 'sensor1': time_series_projection_type: unknown value 'fcpa': did you mean "
            "'fpca'?",
        ),
        (
            "sensor1",
            {"time_series_projection_type": "flatten", "time_series_nf": 4},
            "table 'sensor1': time_series_nf: applies to fpca (components kept per value "
            "variable), not flatten",
        ),
        (
            "sensor1",
            {"time_series_nb_points": 1, "time_series_method": "specified"},
            "table 'sensor1': time_series_nb_points: expected an integer >= 2, got 1",
        ),
        (
            "sensor1",
            {"time_series_nb_points": 30},
            "table 'sensor1': time_series_nb_points: applies to method specified only",
        ),
        (
            "vanilla",
            {"k": 5, "time_series_nf": 3},
            "table 'vanilla' is not a series table (it has no time column)",
        ),
    ],
)
def test_the_runner_refuses_bad_series_keywords_at_once(
    sensors: Runner, table: str, keywords: dict[str, object], message: str
) -> None:
    before = sensors.get_yaml()
    with pytest.raises(ValueError) as refused:
        sensors.set_parameters(table, **keywords)  # type: ignore[arg-type]
    assert message in str(refused.value)
    assert sensors.get_yaml() == before


# --------------------------------------------------------------------------------------------
# What only the values show


def _fixtures(shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (
        pd.read_csv(shared_data / "sensors_vanilla.csv"),
        pd.read_csv(shared_data / "sensors_timeseries1.csv"),
        pd.read_csv(shared_data / "sensors_timeseries2.csv"),
    )


def _refused_by_server(
    user: ApiClient,
    tmp_path: Path,
    kind: str,
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    message: str,
    *,
    time_types: dict[str, str] | None = None,
) -> None:
    """The Runner, which cannot see values, builds the run; the server refuses to store it
    with ``message`` (422), and keeps what it had."""
    if kind == "csv":
        paths = []
        for name, frame in zip(("vanilla", "ts1", "ts2"), tables, strict=True):
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
            paths.append(tmp_path / f"{name}.csv")
        runner = sensors_runner(user, *paths, time_types=time_types)
    else:
        runner = sensors_runner(user, *tables, time_types=time_types)
    before = stored_state(user, "sensors")
    with pytest.raises(ValidationError) as refused:
        user.resources.put_resources("sensors", runner.get_yaml())
    assert refused.value.status_code == 422
    assert message in str(refused.value)
    assert stored_state(user, "sensors") == before


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_person_with_a_time_twice_is_refused(
    user: ApiClient, shared_data: Path, tmp_path: Path, kind: str
) -> None:
    vanilla, series1, series2 = _fixtures(shared_data)
    series2.loc[series2.index[[5, 70]], "t"] = [4, 19]  # person 0 at t=4, person 1 at t=19
    _refused_by_server(
        user,
        tmp_path,
        kind,
        (vanilla, series1, series2),
        "table 'sensor2': 2 rows repeat a time their person already has (foreign key 'id', "
        "time column 't'), e.g. 0 at 4, 1 at 19; a series has one point per time: remove the "
        "repeated rows, or merge them",
    )


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_persons_with_fewer_than_two_points_are_refused(
    user: ApiClient, shared_data: Path, tmp_path: Path, kind: str
) -> None:
    vanilla, series1, series2 = _fixtures(shared_data)
    short = series1[~((series1["id"].isin([3, 150])) & (series1["t"] > 0))]
    short = short[short["id"] != 77]
    _refused_by_server(
        user,
        tmp_path,
        kind,
        (vanilla, short, series2),
        "table 'sensor1': 3 of the 200 persons of table 'vanilla' have fewer than 2 points in "
        "this series (foreign key 'id', time column 't'), e.g. id=3, 77, 150; every person "
        "needs a series of at least 2 points: add their points, or remove those persons from "
        "table 'vanilla'",
    )


def test_times_declared_as_dates_must_read_as_dates(
    user: ApiClient, shared_data: Path, tmp_path: Path
) -> None:
    vanilla, series1, series2 = _fixtures(shared_data)
    start = pd.Timestamp("2024-01-01")
    for frame in (series1, series2):
        frame["t"] = [(start + pd.Timedelta(days=int(d))).date().isoformat() for d in frame["t"]]
    series2.loc[12, "t"] = "soon"
    _refused_by_server(
        user,
        tmp_path,
        "csv",
        (vanilla, series1, series2),
        "table 'sensor2': time column 't' is declared datetime but 1 values of this chunk are "
        "not dates, e.g. 'soon'",
        time_types={"t": "datetime"},
    )
    series2.loc[12, "t"] = "2024-01-13"
    accepted = sensors_runner(user, vanilla, series1, series2, time_types={"t": "datetime"})
    user.resources.put_resources("sensors", accepted.get_yaml())
