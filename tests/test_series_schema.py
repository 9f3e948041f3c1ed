"""Series tables without a server: the sensors run as the official tutorial declares it (a
person's table and two series tables), its YAML round trip with the legacy ``projection.type``
key, how groups list their series, and every declaration the rules refuse (with the facts an
upload records), each naming the table or column and saying what to do."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from avatar_yaml import (
    AlignmentMethod,
    AvatarizationParameters,
    ColumnInfo,
    ColumnType,
    Config,
    ConfigError,
    ExcludeVariables,
    ExcludeVariablesMethod,
    LinkMethod,
    PrivacyMetricsTableParameters,
    ProjectionType,
    TableFacts,
    TimeSeriesAlignment,
    TimeSeriesParameters,
    TimeSeriesProjection,
    Unalignment,
    rules,
    table_groups,
)
from avatar_yaml.link_advice import advise_links
from avatar_yaml.links import SeriesTable
from avatar_yaml.rules import ColumnFacts


def _facts(rows: int, **columns: tuple[str, int] | tuple[str, int, int]) -> TableFacts:
    """``column=(dtype, distinct[, missing])``."""
    return TableFacts.of(
        rows,
        (
            (
                name,
                ColumnFacts(dtype=dtype, distinct=distinct, missing=missing[0] if missing else 0),
            )
            for name, (dtype, distinct, *missing) in columns.items()
        ),
    )


SENSORS_FACTS = {
    "vanilla": _facts(200, id=("int64", 200), age=("int64", 50), income=("string", 2)),
    "sensor1": _facts(
        6000,
        primary_key=("int64", 6000),
        id=("int64", 200),
        t=("int64", 30),
        sensor1=("float64", 6000),
        sensor2=("float64", 6000),
    ),
    "sensor2": _facts(
        10000,
        primary_key=("int64", 10000),
        id=("int64", 200),
        t=("int64", 50),
        sensor3=("float64", 10000),
    ),
}


def series_columns() -> list[ColumnInfo]:
    """A series table's columns as the official client writes them."""
    return [
        ColumnInfo(field="t", time_series_time=True),
        ColumnInfo(field="primary_key", primary_key=True),
        ColumnInfo(field="id", identifier=True),
    ]


def sensors() -> Config:
    """The tutorial's sensors run: ``vanilla`` (k=5) and two series tables, ``sensor1`` with
    flatten and ``sensor2`` with fpca on a specified grid."""
    config = Config.new("sensors", seed=3)
    config.add_table(
        "vanilla",
        "ds-vanilla",
        file="sensors_vanilla.csv",
        individual_level=True,
        columns=[ColumnInfo(field="id", primary_key=True)],
    )
    for name, file in (("sensor1", "timeseries1"), ("sensor2", "timeseries2")):
        config.add_table(name, f"ds-{name}", file=f"sensors_{file}.csv", columns=series_columns())
        config.add_link("vanilla", "id", name, "id", LinkMethod.TIME_SERIES)
    config.set_parameters("vanilla", AvatarizationParameters(k=5))
    config.set_parameters(
        "sensor1",
        time_series=TimeSeriesParameters(
            projection=TimeSeriesProjection(projection_type=ProjectionType.FLATTEN)
        ),
    )
    config.set_parameters(
        "sensor2",
        time_series=TimeSeriesParameters(
            projection=TimeSeriesProjection(projection_type=ProjectionType.FPCA, nf=5),
            alignment=TimeSeriesAlignment(
                nb_points=40, method=AlignmentMethod.SPECIFIED, unalignment=Unalignment.UNIFORM
            ),
        ),
    )
    return config


def test_the_sensors_run_is_accepted_and_its_series_are_planned_with_their_person() -> None:
    config = sensors()
    rules.check(config, SENSORS_FACTS)
    (group,) = table_groups(config.schema)
    assert group.tables == ("vanilla", "sensor1", "sensor2")
    assert [(s.name, s.time, s.link.parent, s.link.child_key) for s in group.series] == [
        ("sensor1", "t", "vanilla", "id"),
        ("sensor2", "t", "vanilla", "id"),
    ]
    assert all(isinstance(s, SeriesTable) for s in group.series)


def test_advised_links_of_series_tables_use_time_series() -> None:
    config = sensors()
    config.table("vanilla").links = None
    advice = advise_links(config.schema, SENSORS_FACTS)
    assert [(a.parent_table, a.child_table, a.method, a.confidence) for a in advice.links] == [
        ("vanilla", "sensor1", LinkMethod.TIME_SERIES, "high"),
        ("vanilla", "sensor2", LinkMethod.TIME_SERIES, "high"),
    ]


def test_unset_series_settings_stay_unset() -> None:
    """The engine owns the defaults: nothing the user did not set is written."""
    config = sensors()
    config.set_parameters("sensor1", time_series=TimeSeriesParameters())
    assert config.parameters is not None and config.parameters.time_series is not None
    assert config.parameters.time_series["sensor1"].to_dict() == {}
    text = config.to_yaml()
    assert "nf:" not in text.split("sensor2")[0].split("time_series:")[-1]
    assert Config.from_yaml(text) == config


def test_the_sensors_run_round_trips_and_the_metrics_carry_a_copy_of_the_settings() -> None:
    config = sensors()
    text = config.to_yaml()
    again = Config.from_yaml(text)
    assert again == config
    assert again.to_yaml() == text
    assert again.privacy_metrics is not None and again.signal_metrics is not None
    assert config.parameters is not None
    assert again.privacy_metrics.time_series == config.parameters.time_series
    assert again.signal_metrics.time_series == config.parameters.time_series
    assert "projection_type: flatten" in text and "method: time_series" in text
    assert "individual_level" not in text.split("name: sensor1")[1].split("name: sensor2")[0]


def test_the_legacy_type_key_is_read_and_written_back_as_projection_type() -> None:
    text = sensors().to_yaml()
    legacy = text.replace("projection_type: flatten", "type: flatten")
    assert legacy != text
    again = Config.from_yaml(legacy)
    assert again == sensors()
    assert again.to_yaml() == text


def test_fcpa_is_refused_with_a_hint_and_so_are_both_keys_at_once() -> None:
    text = sensors().to_yaml()
    for key in ("projection_type", "type"):
        misspelt = text.replace("projection_type: flatten", f"{key}: fcpa")
        with pytest.raises(ConfigError) as refused:
            Config.from_yaml(misspelt)
        assert (
            "spec.time_series.sensor1.projection.projection_type: unknown value 'fcpa': did you "
            "mean 'fpca'?"
        ) in str(refused.value)
    both = text.replace("projection_type: flatten", "projection_type: flatten\n        type: fpca")
    with pytest.raises(ConfigError, match=r"both 'type' .* and 'projection_type' are given"):
        Config.from_yaml(both)


def test_a_metrics_copy_that_differs_is_refused_and_a_missing_one_accepted() -> None:
    config = sensors()
    assert config.privacy_metrics is not None and config.signal_metrics is not None
    config.signal_metrics.time_series = None
    assert Config.from_yaml(config.to_yaml()).signal_metrics is not None
    config.privacy_metrics.time_series = {"sensor1": TimeSeriesParameters()}
    with pytest.raises(ConfigError) as refused:
        config.to_yaml()
    assert (
        "(AvatarPrivacyMetricsParameters 'privacy_metrics'): spec.time_series: differs from the "
        "time_series of 'standard'"
    ) in str(refused.value)


def test_a_series_only_run_and_a_person_with_several_series_are_accepted() -> None:
    """A person's table left with nothing but its key: its persons are their series."""
    config = sensors()
    config.table("vanilla").columns = [
        ColumnInfo(field="id", primary_key=True),
        ColumnInfo(field="age", drop=True),
        ColumnInfo(field="income", drop=True),
    ]
    rules.check(config, SENSORS_FACTS)


def test_a_time_column_of_dates_declared_datetime_is_accepted() -> None:
    facts = dict(SENSORS_FACTS)
    facts["sensor1"] = _facts(
        6000,
        primary_key=("int64", 6000),
        id=("int64", 200),
        t=("string", 30),
        sensor1=("float64", 6000),
        sensor2=("float64", 6000),
    )
    config = sensors()
    with pytest.raises(ConfigError, match="declare its type datetime"):
        rules.check(config, facts)
    columns = config.table("sensor1").columns
    assert columns is not None
    columns[0].type = ColumnType.DATETIME
    rules.check(config, facts)


def test_deleting_a_series_table_removes_its_settings_everywhere() -> None:
    config = sensors()
    config.delete_table("sensor2")
    assert config.parameters is not None and config.privacy_metrics is not None
    assert list(config.parameters.time_series or {}) == ["sensor1"]
    assert list(config.privacy_metrics.time_series or {}) == ["sensor1"]
    config.delete_table("sensor1")
    assert config.parameters.time_series is None
    assert Config.from_yaml(config.to_yaml()) == config


# --------------------------------------------------------------------------------------------
# Refusals


def _links(config: Config, table: str = "vanilla") -> list:  # type: ignore[type-arg]
    links = config.table(table).links
    assert links is not None
    return links


def _column(table: str, field: str, **values: object) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        (column,) = [c for c in config.table(table).columns or [] if c.field == field]
        for key, value in values.items():
            setattr(column, key, value)

    return edit


def _add_column(table: str, column: ColumnInfo) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        config.table(table).columns = [*(config.table(table).columns or []), column]

    return edit


def _individual(table: str, level: bool) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        config.table(table).individual_level = level

    return edit


def _series_parent_is_series(config: Config) -> None:
    link = _links(config)[1]
    config.table("vanilla").links = [_links(config)[0]]
    link.field = "primary_key"
    config.table("sensor1").links = [link]


def _unlinked(config: Config) -> None:
    config.table("vanilla").links = [_links(config)[0]]


def _assignment(config: Config) -> None:
    _links(config)[0].method = LinkMethod.LINEAR_SUM_ASSIGNMENT


def _k_on_series(config: Config) -> None:
    assert config.parameters is not None and config.parameters.avatarization is not None
    config.parameters.avatarization["sensor1"] = AvatarizationParameters(k=5)


def _privacy_on_series(config: Config) -> None:
    assert config.privacy_metrics is not None
    config.privacy_metrics.privacy_metrics = {
        "sensor1": PrivacyMetricsTableParameters(known_variables=["t"])
    }


def _series_settings(table: str, settings: TimeSeriesParameters) -> Callable[[Config], None]:
    """Sets a table's time_series entry, keeping its avatarization (the metrics' copies follow)."""

    def edit(config: Config) -> None:
        assert config.parameters is not None
        chosen = (config.parameters.avatarization or {}).get(table)
        config.set_parameters(table, chosen, time_series=settings)

    return edit


SERIES_REFUSALS: dict[str, tuple[Callable[[Config], None], str]] = {
    "a series linked from a table that is not individual-level": (
        _individual("vanilla", False),
        "link vanilla.id -> sensor1.id: table 'vanilla' is not individual-level, and a series "
        "belongs to a person",
    ),
    "a series table with two foreign keys": (
        _add_column("sensor1", ColumnInfo(field="sensor2", identifier=True)),
        "table 'sensor1' (a series table, time column 't'): a series table has exactly one "
        "foreign key, to its person, and it declares ['id', 'sensor2']",
    ),
    "a series table declared individual-level": (
        _individual("sensor1", True),
        "table 'sensor1' (a series table, time column 't'): a series holds several rows per "
        "person, so the table cannot be individual_level: true",
    ),
    "a series table with a child": (
        _series_parent_is_series,
        "link sensor1.primary_key -> sensor2.id: table 'sensor1' is a series table, which "
        "cannot have children",
    ),
    "a series table linked from no table": (
        _unlinked,
        "table 'sensor2' (a series table, time column 't'): it is linked from no table; link "
        "it from its persons' table (add_link(parent, parent_key, 'sensor2', 'id', "
        "LinkMethod.TIME_SERIES))",
    ),
    "a series table linked by assignment": (
        _assignment,
        "link vanilla.id -> sensor1.id: table 'sensor1' is a series table (time column 't'), "
        "linked with linear_sum_assignment",
    ),
    "a time_series link to a table without a time column": (
        _column("sensor1", "t", time_series_time=None),
        "link vanilla.id -> sensor1.id: a time_series link needs a series table, and 'sensor1' "
        "has no time column",
    ),
    "k on a series table": (
        _k_on_series,
        "standard: avatarization.sensor1: table 'sensor1' is a series table, avatarized with "
        "its persons (its curves become features of each person): it takes no k or "
        "avatarization parameter of its own; set it on its persons' table 'vanilla'",
    ),
    "metrics parameters on a series table": (
        _privacy_on_series,
        "privacy_metrics: privacy_metrics.sensor1: table 'sensor1' is a series table, measured "
        "with its persons; set it on its persons' table 'vanilla'",
    ),
    "series settings on a table that is not a series": (
        _series_settings("vanilla", TimeSeriesParameters()),
        "standard: time_series.vanilla: table 'vanilla' is not a series table (it has no time "
        "column), so time_series parameters would be ignored",
    ),
    "excluded series variables": (
        _series_settings(
            "sensor1",
            TimeSeriesParameters(
                exclude_variables=ExcludeVariables(
                    variable_names=["sensor2"],
                    replacement_strategy=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
                )
            ),
        ),
        "standard: time_series.sensor1.exclude_variables: excluding variables of a series "
        "table is not supported yet",
    ),
    "a time column declared as a category": (
        _column("sensor1", "t", type=ColumnType.CATEGORY),
        "table 'sensor1': time column 't' is declared category: a time is a number (int, "
        "float) or a date (datetime, datetime_tz)",
    ),
    "a series table without a value column": (
        _add_column("sensor2", ColumnInfo(field="sensor3", drop=True)),
        "table 'sensor2': a series table needs at least one value column besides its keys and "
        "time column 't'",
    ),
}
"""Each declaration a rule refuses, from the sensors run, with the start of its message."""


def test_the_sensors_run_as_declared_is_accepted() -> None:
    rules.check(sensors(), SENSORS_FACTS)


@pytest.mark.parametrize("case", list(SERIES_REFUSALS))
def test_each_bad_series_declaration_is_refused_naming_it(case: str) -> None:
    edit, message = SERIES_REFUSALS[case]
    config = sensors()
    edit(config)
    with pytest.raises(ConfigError) as refused:
        rules.check(config, SENSORS_FACTS)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (("string", 30), "time column 't' holds string values: a time is a number or a date"),
        (("bool", 2), "time column 't' holds bool values: a time is a number or a date"),
        (
            ("int64", 30, 4),
            "table 'sensor2': time column 't' has 4 missing values in 10000 rows: a point "
            "without a time has no place in its series",
        ),
    ],
)
def test_a_time_column_that_cannot_order_points_is_refused(
    column: tuple[str, int] | tuple[str, int, int], message: str
) -> None:
    facts = dict(SENSORS_FACTS)
    facts["sensor2"] = _facts(
        10000, primary_key=("int64", 10000), id=("int64", 200), t=column, sensor3=("float64", 9)
    )
    with pytest.raises(ConfigError) as refused:
        rules.check(sensors(), facts)
    assert message in str(refused.value)


NODE_REFUSALS: dict[str, tuple[str, str, str]] = {
    "two time columns": (
        "    - field: primary_key\n      primary_key: true\n",
        "    - field: primary_key\n      time_series_time: true\n",
        "spec.tables[1].columns: several time columns ['t', 'primary_key']: a series table has "
        "exactly one (time_series_time)",
    ),
    "nf with flatten": (
        "projection_type: flatten\n",
        "projection_type: flatten\n        nf: 3\n",
        "spec.time_series.sensor1.projection.nf: applies to fpca (components kept per value "
        "variable), not flatten",
    ),
    "nb_points without specified": (
        "method: specified",
        "method: mean",
        "spec.time_series.sensor2.alignment.nb_points: applies to method specified only (mean "
        "takes the grid's length from the persons' numbers of points)",
    ),
    "specified without nb_points": (
        "nb_points: 40\n        ",
        "",
        "spec.time_series.sensor2.alignment: method specified needs nb_points",
    ),
    "a grid of one point": (
        "nb_points: 40",
        "nb_points: 1",
        "spec.time_series.sensor2.alignment.nb_points: expected an integer >= 2, got 1",
    ),
    "a block weight of zero": (
        "nf: 5\n",
        "nf: 5\n        block_weight: 0\n",
        "spec.time_series.sensor2.projection.block_weight: expected a number > 0, got 0",
    ),
    "an unknown unalignment": (
        "unalignment: uniform",
        "unalignment: linear",
        "unknown value 'linear'; allowed: uniform, skip",
    ),
}
"""Refusals of one YAML node (read by client and server alike): (text replaced, by, message)."""


@pytest.mark.parametrize("case", list(NODE_REFUSALS))
def test_each_bad_series_setting_is_refused_where_it_is_written(case: str) -> None:
    old, new, message = NODE_REFUSALS[case]
    text = sensors().to_yaml()
    assert old in text
    with pytest.raises(ConfigError) as refused:
        Config.from_yaml(text.replace(old, new, 1))
    assert message in str(refused.value)
