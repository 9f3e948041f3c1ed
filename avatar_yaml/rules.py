"""Every check of a run beyond a single field's type and bounds, in one place.

Three layers, each used by both the client's Runner and the server's resource service, so the
same mistake gets the same message on both sides:

- rules between the fields of one node (``@rule``), run whenever a node is read;
- :func:`check_supported`: values the format can express but this server does not do yet
  (avatars brought by the user...), refused with "... is not supported yet"
  instead of being accepted and ignored; and links between tables that cannot be avatarized
  (:func:`check_links`);
- :func:`check`: what needs facts about the uploaded tables (rows, columns, distinct counts,
  and the keys of linked tables).

Foreign key values with no parent row, and series too short or with a time given twice, need
the values themselves: the server checks them (``avatar_server.services.foreign_keys`` and
``avatar_server.services.series_data``).

Bounds of single fields (``k >= 2``, positive weights, a fraction in (0, 1]) are declared on
the fields themselves, in :mod:`avatar_yaml.documents`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from avatar_yaml.documents import (
    AvatarizationParameters,
    AvatarsData,
    ColumnInfo,
    ExcludeVariables,
    Imputation,
    InterRecordRangeDifferenceParameters,
    Link,
    Metadata,
    PrivacyMetricsTableParameters,
    Pseudonymization,
    RelativeDifferenceParameters,
    Schema,
    SignalMetricsTableParameters,
    TableInfo,
    TimeSeriesAlignment,
    TimeSeriesProjection,
)
from avatar_yaml.fields import ConfigError, at, describe, fail, rule
from avatar_yaml.links import planned_links, resolved_individual_level
from avatar_yaml.vocabulary import (
    ADVICE_NAME,
    ADVICE_RESULTS_PATH,
    AVATARIZED_SCHEMA_NAME,
    PARAMETERS_NAME,
    PRIVACY_METRICS_NAME,
    REPORT_NAMES,
    RISKY_ROLES,
    SCHEMA_NAME,
    SIGNAL_METRICS_NAME,
    AlignmentMethod,
    ColumnRole,
    ColumnType,
    DocumentKind,
    ImputeMethod,
    KeepMode,
    LinkMethod,
    ProjectionType,
    PseudonymizationKind,
    ReportFormat,
    ReportType,
    escape_table_name,
    report_name,
)

if TYPE_CHECKING:
    from avatar_yaml import Config

# --------------------------------------------------------------------------------------------
# Names

MAX_DISPLAY_NAME = 255
_DISPLAY_NAME = re.compile(rf"^[A-Za-z0-9_-]{{1,{MAX_DISPLAY_NAME}}}$")


def check_display_name(display_name: object) -> str:
    """A run's name, which the server stores runs under and puts in URLs."""
    if not isinstance(display_name, str) or not _DISPLAY_NAME.match(display_name):
        raise ConfigError(
            f"run name {describe(display_name)}: use 1 to {MAX_DISPLAY_NAME} letters, digits, "
            "'_' or '-'"
        )
    return display_name


MAX_TABLE_NAME = 100
MAX_TABLE_FILE_STEM_BYTES = 200
"""A table's result files are named ``<escaped name>.<what>.<format>``; a file name holds at
most 255 bytes, and ``.projections.original.parquet`` takes 29 of them."""


def check_table_name(name: object) -> str:
    """A table's name, which its result files are named after: refused at the door, because a
    NUL byte, a lone surrogate or too long a name only failed when a worker wrote the files."""
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_TABLE_NAME:
        length = f" ({len(name)} characters)" if isinstance(name, str) else ""
        raise ConfigError(
            f"table name {describe(name)}{length}: use 1 to {MAX_TABLE_NAME} characters"
        )
    if not name.isprintable():
        raise ConfigError(
            f"table name {describe(name)}: use printable characters only (no control "
            "character such as NUL, tab or line break, no lone surrogate)"
        )
    stem = len(escape_table_name(name).encode("utf-8"))
    if stem > MAX_TABLE_FILE_STEM_BYTES:
        raise ConfigError(
            f"table name {describe(name)}: too long for the names of its result files "
            f"({stem} bytes there, at most {MAX_TABLE_FILE_STEM_BYTES}: a non-ASCII letter "
            "takes 2 to 4 bytes, and '.', '+', '/' or '&' 5 to 11 once escaped)"
        )
    return name


# --------------------------------------------------------------------------------------------
# Between the fields of one node


@rule(Metadata)
def _display_name(metadata: Metadata, where: str) -> None:
    try:
        check_display_name(metadata.display_name)
    except ConfigError as error:
        raise fail(at(where, "display_name"), str(error)) from None


_ROLES = ("primary_key", "identifier", "time_series_time", "drop", "pseudonymization", "keep")


@rule(ColumnInfo)
def _one_role(column: ColumnInfo, where: str) -> None:
    roles = [role for role in _ROLES if getattr(column, role) not in (None, False)]
    if len(roles) > 1:
        raise fail(where, f"column {column.field!r} cannot be both {roles[0]} and {roles[1]}")


_KIND_FIELDS = {
    PseudonymizationKind.FAKER: {"pii_type", "consistent", "high_variability"},
    PseudonymizationKind.HASH_SHA256: {"consistent"},
    PseudonymizationKind.UUID4: {"consistent"},
    PseudonymizationKind.CONSTANT: {"value", "consistent"},
    PseudonymizationKind.INTEGER: {"consistent"},
    PseudonymizationKind.SPECIFIC_ID: {"pattern", "letter_case", "consistent"},
}
_ALWAYS_CONSISTENT = (PseudonymizationKind.HASH_SHA256, PseudonymizationKind.CONSTANT)


@rule(Pseudonymization)
def _strategy_settings(strategy: Pseudonymization, where: str) -> None:
    """Each kind reads its own settings: another kind's would be accepted and ignored."""
    allowed = _KIND_FIELDS[strategy.kind]
    for name in ("pii_type", "consistent", "high_variability", "value", "pattern", "letter_case"):
        if getattr(strategy, name) is not None and name not in allowed:
            raise fail(at(where, name), f"does not apply to {strategy.kind}")
    if strategy.kind in _ALWAYS_CONSISTENT and strategy.consistent is False:
        raise fail(at(where, "consistent"), f"{strategy.kind} is always consistent")
    required = {
        PseudonymizationKind.FAKER: "pii_type",
        PseudonymizationKind.CONSTANT: "value",
        PseudonymizationKind.SPECIFIC_ID: "pattern",
    }.get(strategy.kind)
    if required is not None and getattr(strategy, required) is None:
        raise fail(where, f"{strategy.kind} needs {required}")
    if strategy.pattern is not None and not {"#", "@"} & set(strategy.pattern):
        raise fail(at(where, "pattern"), "needs placeholders: '#' for a digit, '@' for a letter")


@rule(TableInfo)
def _table_name(table: TableInfo, where: str) -> None:
    try:
        check_table_name(table.name)
    except ConfigError as error:
        raise fail(at(where, "name"), str(error)) from None


@rule(TableInfo)
def _columns_once(table: TableInfo, where: str) -> None:
    seen: set[str] = set()
    for i, column in enumerate(table.columns or []):
        if column.field in seen:
            raise fail(at(where, f"columns[{i}].field"), f"duplicate column {column.field!r}")
        seen.add(column.field)
    keys = [column.field for column in table.columns or [] if column.primary_key]
    if len(keys) > 1:
        raise fail(at(where, "columns"), f"several primary keys {keys}")


@rule(TableInfo)
def _one_time_column(table: TableInfo, where: str) -> None:
    times = [column.field for column in table.columns or [] if column.time_series_time]
    if len(times) > 1:
        raise fail(
            at(where, "columns"),
            f"several time columns {times}: a series table has exactly one "
            "(time_series_time); split the table, one series table per time column",
        )


@rule(TimeSeriesProjection)
def _components_apply(projection: TimeSeriesProjection, where: str) -> None:
    """``nf`` counts functional components: with ``flatten`` it would be accepted and
    ignored."""
    if projection.nf is not None and projection.projection_type is ProjectionType.FLATTEN:
        raise fail(
            at(where, "nf"),
            "applies to fpca (components kept per value variable), not flatten, which keeps "
            "every grid point; leave it unset, or use projection_type fpca",
        )


@rule(TimeSeriesAlignment)
def _points_with_specified(alignment: TimeSeriesAlignment, where: str) -> None:
    """``nb_points`` is the grid's length with ``specified`` and only then: the other
    methods take it from the persons' own numbers of points."""
    specified = alignment.method is AlignmentMethod.SPECIFIED
    if specified and alignment.nb_points is None:
        raise fail(where, "method specified needs nb_points (the common grid's length, >= 2)")
    if not specified and alignment.nb_points is not None:
        method = alignment.method.value if alignment.method is not None else "the default"
        raise fail(
            at(where, "nb_points"),
            f"applies to method specified only ({method} takes the grid's length from the "
            "persons' numbers of points); set method: specified, or leave nb_points unset",
        )


@rule(Imputation)
def _imputation_settings_apply(imputation: Imputation, where: str) -> None:
    """``k`` tunes the k-NN methods and ``training_fraction`` the fast one: given to another
    method they would be accepted and ignored."""
    nearest = (ImputeMethod.KNN, ImputeMethod.FAST_KNN)
    if imputation.k is not None and imputation.method not in nearest:
        raise fail(at(where, "k"), f"applies to knn and fast_knn, not {imputation.method}")
    fraction = imputation.training_fraction
    if fraction is not None and imputation.method is not ImputeMethod.FAST_KNN:
        raise fail(at(where, "training_fraction"), f"applies to fast_knn, not {imputation.method}")


@rule(Schema)
def _tables_once_and_links_inside(schema: Schema, where: str) -> None:
    names: list[str] = []
    for i, table in enumerate(schema.tables):
        if table.name in names:
            raise fail(at(where, f"tables[{i}].name"), f"duplicate table {table.name!r}")
        names.append(table.name)
    for i, table in enumerate(schema.tables):
        for j, link in enumerate(table.links or []):
            if link.to.table not in names:
                raise fail(
                    at(where, f"tables[{i}].links[{j}].to.table"),
                    f"unknown table {link.to.table!r}; tables: {', '.join(names)}",
                )


@rule(AvatarsData)
def _one_source(avatars: AvatarsData, where: str) -> None:
    if (avatars.dataset_id is None) == (avatars.auto is None) or avatars.auto is False:
        raise fail(where, "expected exactly one of dataset_id or auto: true")


def _weights_outside_exclusion(
    node: AvatarizationParameters | PrivacyMetricsTableParameters | SignalMetricsTableParameters,
    where: str,
) -> None:
    excluded = set(_excluded(node.exclude_variables))
    weighted_out = sorted(set(node.column_weights or {}) & excluded)
    if weighted_out:
        raise fail(
            where,
            f"column_weights names columns {weighted_out} that exclude_variables keeps out of "
            "the projection",
        )


rule(AvatarizationParameters)(_weights_outside_exclusion)


@rule(InterRecordRangeDifferenceParameters)
def _distinct_range_columns(node: InterRecordRangeDifferenceParameters, where: str) -> None:
    named = [node.id_variable, node.target_start_variable, node.target_end_variable]
    if len(set(named)) != 3:
        raise fail(
            where,
            "id_variable, target_start_variable and target_end_variable must be three different "
            f"columns, got {named}",
        )


@rule(RelativeDifferenceParameters)
def _references_apart_from_target(node: RelativeDifferenceParameters, where: str) -> None:
    if not node.references:
        raise fail(where, "references is empty: name the columns whose sum target is compared to")
    if len(set(node.references)) != len(node.references):
        raise fail(where, f"references names a column twice: {node.references}")
    if node.target in node.references:
        raise fail(where, f"target {node.target!r} is also among its references")


def processed_columns(
    processor: InterRecordRangeDifferenceParameters | RelativeDifferenceParameters,
) -> list[str]:
    """The avatarized columns a server-side processor changes or reads (its individual
    column aside: that one may be a key or a pseudonymized column)."""
    if isinstance(processor, RelativeDifferenceParameters):
        return [processor.target, *processor.references]
    return [processor.target_start_variable, processor.target_end_variable]


@rule(AvatarizationParameters)
def _processors_fit_together(node: AvatarizationParameters, where: str) -> None:
    processors = node.avatarization_processors_parameters or []
    where = at(where, "avatarization_processors_parameters")
    excluded = set(_excluded(node.exclude_variables))
    replaced: set[str] = set()
    for position, processor in enumerate(processors):
        place = f"{where}[{position}]"
        named = processed_columns(processor)
        if isinstance(processor, InterRecordRangeDifferenceParameters):
            named = [processor.id_variable, *named]
        if set(named) & excluded:
            raise fail(
                place,
                f"names columns {sorted(set(named) & excluded)} that exclude_variables keeps "
                "out of the avatarization",
            )
        if set(named) & replaced:
            raise fail(
                place,
                f"names columns {sorted(set(named) & replaced)} that an earlier inter-record "
                "processor replaces: each start and end column can be processed once",
            )
        if isinstance(processor, InterRecordRangeDifferenceParameters):
            replaced |= {processor.target_start_variable, processor.target_end_variable}
    weighted = sorted(set(node.column_weights or {}) & replaced)
    if weighted:
        raise fail(
            where,
            f"column_weights names columns {weighted} that an inter-record processor replaces "
            "by their first value, gaps and lengths before the projection",
        )


rule(SignalMetricsTableParameters)(_weights_outside_exclusion)


@rule(PrivacyMetricsTableParameters)
def _attacker(metrics: PrivacyMetricsTableParameters, where: str) -> None:
    _weights_outside_exclusion(metrics, where)
    if metrics.target is not None and metrics.target in (metrics.known_variables or []):
        raise fail(at(where, "target"), f"{metrics.target!r} cannot also be a known variable")


def _excluded(exclusion: ExcludeVariables | None) -> list[str]:
    return list(exclusion.variable_names) if exclusion is not None else []


# --------------------------------------------------------------------------------------------
# Links between tables


def _primary_key(table: TableInfo) -> str | None:
    keys = [column.field for column in table.columns or [] if column.primary_key]
    return keys[0] if keys else None


def _foreign_keys(table: TableInfo) -> list[str]:
    return [column.field for column in table.columns or [] if column.identifier]


def _linked_tables(schema: Schema) -> set[str]:
    """The tables that take part in some link, as parent or child."""
    return {name for link in planned_links(schema) for name in (link.parent, link.child)}


def _check_one_link(parent: TableInfo, link: Link, tables: Mapping[str, TableInfo]) -> None:
    where = f"{SCHEMA_NAME}: link {parent.name}.{link.field} -> {link.to.table}.{link.to.field}"
    if link.to.table == parent.name:
        raise ConfigError(
            f"{where}: a table cannot link to itself (a self-reference such as "
            "employees.reports_to would make each row its own ancestor); delete the link, and "
            f"drop or pseudonymize {link.to.field!r}"
        )
    key = _primary_key(parent)
    if link.field != key:
        instead = (
            f"link from its primary key {key!r}"
            if key is not None
            else f"declare {link.field!r} as its primary key (primary_key={link.field!r})"
        )
        raise ConfigError(
            f"{where}: {link.field!r} is not the primary key of table {parent.name!r}, and a "
            f"link starts from the parent's primary key; {instead}"
        )
    child = tables.get(link.to.table)
    if child is None:
        raise ConfigError(f"{where}: unknown table {link.to.table!r}; tables: {', '.join(tables)}")
    if link.to.field not in _foreign_keys(child):
        raise ConfigError(
            f"{where}: {link.to.field!r} is not a declared foreign key of table "
            f"{child.name!r}; declare it (foreign_keys=[{link.to.field!r}], or identifier: "
            "true on the column)"
        )
    _check_series_link(where, parent, link, child)


def _time_column(table: TableInfo) -> str | None:
    times = [column.field for column in table.columns or [] if column.time_series_time]
    return times[0] if times else None


def _check_series_link(where: str, parent: TableInfo, link: Link, child: TableInfo) -> None:
    """A series table (one with a time column) is linked with ``time_series``, and only a
    series table is: its rows are curves of its parent's persons, not rows to assign."""
    time = _time_column(child)
    if link.method is LinkMethod.TIME_SERIES:
        if time is None:
            raise ConfigError(
                f"{where}: a time_series link needs a series table, and {child.name!r} has no "
                f"time column; declare it (time_series_time='t', or time_series_time: true on "
                "the column), or link with an assignment method"
            )
        if _time_column(parent) is not None:
            raise ConfigError(
                f"{where}: table {parent.name!r} is a series table, which cannot have "
                "children: link the series from the table holding one row per person"
            )
    elif time is not None:
        raise ConfigError(
            f"{where}: table {child.name!r} is a series table (time column {time!r}), linked "
            f"with {link.method}: a series goes with its person; link it with method "
            "time_series"
        )


def _check_series_tables(schema: Schema, *, complete: bool) -> None:
    """What a series table is as a whole: exactly one foreign key, not individual-level, no
    children, and (once the run is complete) linked from its parent."""
    parents = {link.child: link for link in planned_links(schema)}
    has_children = {link.parent for link in planned_links(schema)}
    individual = resolved_individual_level(schema)
    for link in parents.values():
        if link.method is LinkMethod.TIME_SERIES and not individual[link.parent]:
            raise ConfigError(
                f"{SCHEMA_NAME}: link {link.parent}.{link.parent_key} -> {link.child}."
                f"{link.child_key}: table {link.parent!r} is not individual-level, and a series "
                "belongs to a person: link the series table from the table holding one row per "
                "person (individual_level: true)"
            )
    for table in schema.tables:
        time = _time_column(table)
        if time is None:
            continue
        where = f"{SCHEMA_NAME}: table {table.name!r} (a series table, time column {time!r})"
        keys = _foreign_keys(table)
        if len(keys) != 1:
            found = f"declares {keys}" if keys else "declares none"
            raise ConfigError(
                f"{where}: a series table has exactly one foreign key, to its person, and it "
                f"{found}; declare that one (foreign_keys=['person_id']), and drop the others"
            )
        if table.individual_level:
            raise ConfigError(
                f"{where}: a series holds several rows per person, so the table cannot be "
                "individual_level: true; leave it unset"
            )
        if table.name in has_children:
            raise ConfigError(
                f"{where}: a series table cannot have children; link them to the table of "
                "its persons instead"
            )
        if complete and table.name not in parents:
            raise ConfigError(
                f"{where}: it is linked from no table; link it from its persons' table "
                f"(add_link(parent, parent_key, {table.name!r}, {keys[0]!r}, "
                "LinkMethod.TIME_SERIES))"
            )


def _cycle(schema: Schema) -> list[str] | None:
    """A cycle of links (its tables, the first repeated at the end), or None."""
    children: dict[str, list[str]] = {}
    for link in planned_links(schema):
        children.setdefault(link.parent, []).append(link.child)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for child in children.get(name, []):
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if child not in state:
                found = visit(child)
                if found is not None:
                    return found
        path.pop()
        state[name] = 2
        return None

    for table in schema.tables:
        if table.name not in state:
            found = visit(table.name)
            if found is not None:
                return found
    return None


def check_links(schema: Schema, *, complete: bool = True) -> None:
    """Links the avatarization can follow: each from a parent's primary key to a declared
    foreign key of another table, a parent linking a child once, a child column linked from
    one parent, no cycle; a series table (with a time column) is linked with ``time_series``
    from a person's table, and only a series table is.

    ``complete`` adds what only a finished run must satisfy (the Runner checks it when the run
    is stored, as tables and links are added one by one): every foreign key of a linked table
    is linked (it would point to no table of the run), every child reaches an individual-level
    table, and tables with no parent are individual-level."""
    tables = {table.name: table for table in schema.tables}
    linked_from: dict[tuple[str, str], str] = {}  # (child, child column) -> parent
    for parent in schema.tables:
        seen: dict[str, str] = {}  # child -> its column this parent links to
        for link in parent.links or []:
            _check_one_link(parent, link, tables)
            child, column = link.to.table, link.to.field
            if child in seen:
                raise ConfigError(
                    f"{SCHEMA_NAME}: table {parent.name!r} links to table {child!r} twice "
                    f"({seen[child]!r} and {column!r}): a parent links to a child once; "
                    "delete one of the links"
                )
            seen[child] = column
            other = linked_from.get((child, column))
            if other is not None:
                raise ConfigError(
                    f"{SCHEMA_NAME}: column {column!r} of table {child!r} is linked from both "
                    f"{other!r} and {parent.name!r}: a foreign key refers to one parent table; "
                    "give each parent its own foreign key column, or delete one of the links"
                )
            linked_from[(child, column)] = parent.name
    cycle = _cycle(schema)
    if cycle is not None:
        raise ConfigError(
            f"{SCHEMA_NAME}: the links form a cycle ({' -> '.join(cycle)}): a table cannot be "
            "its own ancestor; delete one of these links"
        )
    _check_series_tables(schema, complete=complete)
    if complete:
        _check_complete(schema, linked_from)


def _check_complete(schema: Schema, linked_from: Mapping[tuple[str, str], str]) -> None:
    linked = _linked_tables(schema)
    for table in schema.tables:
        if table.name not in linked:
            continue  # a table of its own: its identifiers are set aside, as ever
        for column in _foreign_keys(table):
            if (table.name, column) not in linked_from:
                raise ConfigError(
                    f"{SCHEMA_NAME}: table {table.name!r}: foreign key {column!r} is linked "
                    "from no table (it would point to no table of the run); add its parent "
                    f"table and link it (add_link(parent, parent_key, {table.name!r}, "
                    f"{column!r})), or drop the column (columns_to_drop) if its table is not "
                    "part of the run"
                )
    individual = resolved_individual_level(schema)
    parents: dict[str, set[str]] = {}
    for link in planned_links(schema):
        parents.setdefault(link.child, set()).add(link.parent)

    def ancestors(name: str) -> list[str]:
        found: list[str] = []
        waiting = sorted(parents.get(name, set()))
        while waiting:
            parent = waiting.pop(0)
            if parent not in found:
                found.append(parent)
                waiting.extend(sorted(parents.get(parent, set())))
        return found

    for table in schema.tables:
        if table.name in parents and not individual[table.name]:
            reached = ancestors(table.name)
            if not any(individual[name] for name in reached):
                raise ConfigError(
                    f"{SCHEMA_NAME}: table {table.name!r}: none of the tables its links reach "
                    f"({', '.join(reached)}) is individual-level, so its rows belong to no "
                    "person the privacy metrics could protect; declare the table holding one "
                    "row per person individual_level: true"
                )
    for table in schema.tables:
        if table.name not in parents and table.individual_level is False:
            raise ConfigError(
                f"{SCHEMA_NAME}: table {table.name!r} has no parent table, so it must be "
                "individual-level (one row per person), yet it is declared individual_level: "
                "false; leave it unset or true, or link it as the child of the table of its "
                "persons"
            )


# --------------------------------------------------------------------------------------------
# What the format says and this server does not do yet


def _unsupported(where: str, what: str, instead: str) -> ConfigError:
    return ConfigError(f"{where}: {what} is not supported yet; {instead}")


def _series_parent(schema: Schema, name: str) -> str | None:
    return next((link.parent for link in planned_links(schema) if link.child == name), None)


def _check_series_parameters(config: Config) -> None:
    """A series table is avatarized and measured with its parent, tuned by its own
    ``time_series`` entry only; a ``time_series`` entry tunes a series table only."""
    schema = config.schema
    series = {table.name for table in schema.tables if _time_column(table) is not None}
    parameters = config.parameters
    for name in sorted(series):
        parent = _series_parent(schema, name)
        with_parent = (
            f"set it on its persons' table {parent!r}" if parent else "set it on its persons' table"
        )
        if parameters is not None and name in (parameters.avatarization or {}):
            raise ConfigError(
                f"{PARAMETERS_NAME}: avatarization.{name}: table {name!r} is a series table, "
                f"avatarized with its persons (its curves become features of each person): it "
                f"takes no k or avatarization parameter of its own; {with_parent}, and tune "
                "the series with its time_series parameters"
            )
        for document, key, entries in (
            (PRIVACY_METRICS_NAME, "privacy_metrics", config.privacy_metrics),
            (SIGNAL_METRICS_NAME, "signal_metrics", config.signal_metrics),
        ):
            if entries is not None and name in (getattr(entries, key) or {}):
                raise ConfigError(
                    f"{document}: {key}.{name}: table {name!r} is a series table, measured "
                    f"with its persons; {with_parent}"
                )
    for name, tuned in (parameters.time_series or {}).items() if parameters else []:
        where = f"{PARAMETERS_NAME}: time_series.{name}"
        if name not in series:
            raise ConfigError(
                f"{where}: table {name!r} is not a series table (it has no time column), so "
                "time_series parameters would be ignored; declare its time column "
                "(time_series_time) and link it with method time_series, or remove them"
            )
        if tuned.exclude_variables is not None:
            raise _unsupported(
                f"{where}.exclude_variables",
                "excluding variables of a series table",
                "every value column of a series is avatarized; drop a column to leave it out",
            )


def brought_avatars(config: Config) -> list[str]:
    """The tables whose avatars the user brings (``avatars_data.dataset_id`` in the original
    schema): a run of such tables measures them and avatarizes nothing."""
    return [
        table.name
        for table in config.schema.tables
        if table.avatars_data is not None and table.avatars_data.dataset_id is not None
    ]


def check_brought_facts(table: TableInfo, data: TableFacts, avatars: TableFacts) -> None:
    """Avatars brought for ``table`` can be paired with it and vouched for: the same rows,
    every column the metrics compare, and no column the table does not measure (absent from
    it, or dropped): such a column would be released with nothing checking it."""
    where = f"table {table.name!r}: avatar_data"
    if avatars.rows != data.rows:
        raise ConfigError(
            f"{where} has {avatars.rows} rows and the table {data.rows}: the metrics pair "
            "each original with its own avatar (row i made from row i), so both need the same "
            "rows in the same order"
        )
    declared = table.columns or []
    aside = {
        c.field for c in declared if c.drop or c.primary_key or c.identifier or c.pseudonymization
    }
    missing = [c for c in data.columns if c not in aside and c not in avatars.columns]
    if missing:
        raise ConfigError(f"{where} lacks the table's columns {missing}")
    unmeasured = [c for c in avatars.columns if c not in data.columns]
    unmeasured += [c.field for c in declared if c.drop and c.field in avatars.columns]
    if unmeasured:
        raise ConfigError(
            f"{where} holds columns {unmeasured} that the table does not measure (absent from "
            "it, or dropped): nothing would vouch for them in the release; drop them from the "
            "avatars"
        )


def _check_brought_avatars(config: Config) -> None:
    """A run measures either its own avatarization's avatars or avatars the user brings for
    every table (metrics without ``avatarization_ref``), never a mix."""
    brought = brought_avatars(config)
    names = [table.name for table in config.schema.tables]
    where = f"{SCHEMA_NAME}: table {brought[0]!r}.avatars_data" if brought else ""
    if brought and config.parameters is not None:
        raise ConfigError(
            f"{where}: the run measures avatars you bring (tables {brought}) and also "
            f"avatarizes ({PARAMETERS_NAME!r} document): remove the avatar_data, or the "
            "avatarization parameters (k)"
        )
    if brought and len(brought) < len(names):
        missing = [name for name in names if name not in brought]
        raise ConfigError(
            f"{where}: a run that measures avatars you bring needs them for every table; "
            f"tables {missing} have none (add_table(..., avatar_data=...))"
        )
    if brought and any(table.links for table in config.schema.tables):
        raise _unsupported(
            where,
            "measuring avatars you bring for linked tables",
            "measure each table in a run of its own",
        )
    if brought and any(_time_column(table) is not None for table in config.schema.tables):
        raise _unsupported(
            where, "measuring avatars you bring for a series table", "avatarize it here"
        )
    if brought and config.reports:
        raise _unsupported(
            where,
            "the report of avatars you bring",
            "run the metrics alone (jobs_to_run=[privacy_metrics, signal_metrics]) and read "
            "their results",
        )
    for metrics_name, document in (
        (PRIVACY_METRICS_NAME, config.privacy_metrics),
        (SIGNAL_METRICS_NAME, config.signal_metrics),
    ):
        if document is None or document.avatarization_ref is not None or brought:
            continue
        if config.parameters is not None:
            raise ConfigError(
                f"{metrics_name}: avatarization_ref is missing: the metrics measure the avatars "
                f"of the run's avatarization, avatarization_ref: {PARAMETERS_NAME}"
            )
        raise ConfigError(
            f"{metrics_name}: avatarization_ref: the metrics measure no avatarization and no "
            "table brings its avatars: set avatarization parameters (k), or give each table's "
            "avatars (add_table(..., avatar_data=...), avatars_data.dataset_id in the schema)"
        )


def check_supported(config: Config, *, complete: bool = True) -> None:
    """Refuse every value the server would otherwise accept and ignore, and links that cannot
    be avatarized (see :func:`check_links`; ``complete=False`` while a run is being built)."""
    check_links(config.schema, complete=complete)
    _check_brought_avatars(config)
    _check_series_parameters(config)
    parameters = config.parameters
    for name, chosen in (parameters.avatarization or {}).items() if parameters else []:
        if chosen.imputation is not None and chosen.imputation.return_data_imputed:
            raise _unsupported(
                f"{PARAMETERS_NAME}: avatarization.{name}.imputation.return_data_imputed",
                "returning the imputed originals",
                "the avatars keep the originals' missing values; leave it unset or false",
            )
    privacy = config.privacy_metrics
    for name, measured in (privacy.privacy_metrics or {}).items() if privacy else []:
        where = f"{PRIVACY_METRICS_NAME}: privacy_metrics.{name}"
        if measured.quantile_threshold is not None:
            raise _unsupported(
                f"{where}.quantile_threshold",
                "closest_rate (quantile_threshold)",
                "it needs a holdout table; leave it unset",
            )
        if measured.use_categorical_reduction:
            raise _unsupported(
                f"{where}.use_categorical_reduction",
                "categorical reduction in the privacy metrics' projection",
                "the privacy metrics project categories one axis per modality; leave it unset",
            )
        if measured.imputation is not None:
            raise _unsupported(
                f"{where}.imputation",
                "choosing the privacy metrics' imputation",
                "their projection fills gaps with the originals' medians; leave it unset",
            )
    signal = config.signal_metrics
    for name, compared in (signal.signal_metrics or {}).items() if signal else []:
        where = f"{SIGNAL_METRICS_NAME}: signal_metrics.{name}"
        projection = {
            "ncp": compared.ncp,
            "use_categorical_reduction": compared.use_categorical_reduction or None,
            "imputation": compared.imputation,
            "column_weights": compared.column_weights,
        }
        for key, value in projection.items():
            if value is not None:
                raise _unsupported(
                    f"{where}.{key}",
                    f"{key} in the signal metrics",
                    "they compare each column's distribution and the correlations, with no "
                    "projection to tune; leave it unset",
                )
    _check_results(config)


def _check_results(config: Config) -> None:
    """Results stay with their job (``path`` is the document's), ``format`` applies to tables
    and ``max_distribution_plots`` to reports: anything else would be accepted and ignored."""
    for name, results in config.results_blocks():
        path = ADVICE_RESULTS_PATH if name == ADVICE_NAME else name
        if results.path != path:
            raise _unsupported(
                f"{name}: results.path",
                "a results path of your own",
                f"results are kept with their job; write {path!r}",
            )
        writes_tables = name == PARAMETERS_NAME
        feeds_report = name == PARAMETERS_NAME or name in REPORT_NAMES.values()
        if results.format is not None and not writes_tables:
            raise _unsupported(
                f"{name}: results.format",
                "a format for results that are not tables",
                f"only the {PARAMETERS_NAME!r} document writes tables; leave it unset",
            )
        if results.max_distribution_plots is not None and not feeds_report:
            raise _unsupported(
                f"{name}: results.max_distribution_plots",
                "plots in this job's results",
                f"set it on the {PARAMETERS_NAME!r} or report documents",
            )
    for report in config.reports:
        # Every report is written as PDF and HTML whatever its output_format; the
        # privacy-impact one, which a DPO completes and signs, also as DOCX.
        if report.output_format is ReportFormat.DOCX and report.report_type is not ReportType.PIA:
            raise ConfigError(
                f"{report_name(report.report_type)}: output_format docx is written for the "
                f"privacy-impact document only ({report_name(ReportType.PIA)!r}); the "
                f"{report.report_type.value} report is PDF and HTML: set pdf or html"
            )


# --------------------------------------------------------------------------------------------
# Against the uploaded tables


@dataclass(frozen=True)
class ColumnFacts:
    """What the upload found in one column; ``role`` as detected (None: not known, as for a
    dataset uploaded before roles were detected)."""

    dtype: str
    missing: int
    distinct: int
    role: str | None = None
    role_reason: str | None = None


@dataclass(frozen=True)
class TableFacts:
    """What the upload found in one table: enough to check parameters without the data."""

    rows: int
    columns: Mapping[str, ColumnFacts]

    @classmethod
    def of(cls, rows: int, columns: Iterable[tuple[str, ColumnFacts]]) -> TableFacts:
        """From ``(name, facts)`` per column, in the table's order."""
        return cls(rows=rows, columns=dict(columns))


@dataclass
class _Table:
    """A table as its jobs will see it: its facts and the columns its schema sets aside."""

    name: str
    facts: TableFacts
    set_aside: set[str]

    @property
    def kept(self) -> set[str]:
        return set(self.facts.columns) - self.set_aside

    def unknown(self, names: Iterable[str]) -> list[str]:
        return sorted({name for name in names if name not in self.facts.columns})

    def check_names(self, where: str, what: str, names: Iterable[str]) -> None:
        """Every name is a column of the table that the schema does not set aside."""
        chosen = list(names)
        unknown = self.unknown(chosen)
        if unknown:
            raise ConfigError(
                f"{where}: {what} names unknown columns {unknown}; "
                f"its columns: {list(self.facts.columns)}"
            )
        aside = sorted(set(chosen) & self.set_aside)
        if aside:
            raise ConfigError(
                f"{where}: {what} names columns {aside} that the schema sets aside (drop, "
                "identifier, primary_key or pseudonymization), so its jobs never see them"
            )

    def dimensions(self, columns: set[str]) -> int:
        """An upper bound of the projection's dimensions over ``columns``: one per modality
        (a gap counting as one), which a number's single axis never exceeds, and no more than
        the rows."""
        total = sum(
            max(1, column.distinct + (1 if column.missing else 0))
            for name, column in self.facts.columns.items()
            if name in columns
        )
        return min(total, self.facts.rows)


def _table(
    info: TableInfo, facts: TableFacts, *, has_series: bool = False, complete: bool = True
) -> _Table:
    """``has_series``: the table's persons have series, which are avatarized with them, so
    its own columns may all be set aside (a series-only run). While the run is being built
    (``complete=False``) that is not refused yet: its series may still be declared."""
    where = f"table {info.name!r}"
    declared = [column.field for column in info.columns or []]
    table = _Table(info.name, facts, set())
    missing = table.unknown(declared)
    if missing:
        raise ConfigError(f"{where}: unknown columns {missing}; its columns: {list(facts.columns)}")
    for column in info.columns or []:
        numeric = column.type in (ColumnType.INT, ColumnType.FLOAT)
        if numeric and facts.columns[column.field].dtype == "string":
            raise ConfigError(
                f"{where}: column {column.field!r} holds text, it cannot be read as {column.type}"
            )
    table.set_aside = {
        c.field
        for c in info.columns or []
        if c.primary_key or c.drop or c.identifier or c.pseudonymization
    }
    if not table.kept and not has_series and complete:
        raise ConfigError(
            f"{where}: the schema sets every column aside (drop, identifier or primary_key): "
            "nothing is left to anonymize"
        )
    time = _time_column(info)
    if time is not None:
        _check_time_column(info, time, facts)
        if not table.kept - {time}:
            raise ConfigError(
                f"{where}: a series table needs at least one value column besides its keys "
                f"and time column {time!r}, and the schema sets every other column aside"
            )
        _check_series_values(info, sorted(table.kept - {time}), facts)
    return table


_VALUE_DTYPES = ("int64", "float64")


def _check_series_values(info: TableInfo, values: list[str], facts: TableFacts) -> None:
    """A series' values are curves: numbers. Text (a note, a phone number in free text)
    would have no place on a curve, and is refused before any job rather than by one."""
    declared = {c.field: c.type for c in info.columns or []}
    for name in values:
        dtype = facts.columns[name].dtype
        kind = declared.get(name)
        if dtype not in _VALUE_DTYPES or kind not in (None, ColumnType.INT, ColumnType.FLOAT):
            held = f"is declared {kind}" if kind is not None else f"holds {dtype} values"
            raise ConfigError(
                f"table {info.name!r}: value column {name!r} {held}: series values must be "
                "numbers; drop it (columns_to_drop) or keep it in the persons' table"
            )


_TIME_TYPES = (ColumnType.INT, ColumnType.FLOAT, ColumnType.DATETIME, ColumnType.DATETIME_TZ)
_TIME_DTYPES = ("int64", "float64", "datetime64")


def _check_time_column(info: TableInfo, time: str, facts: TableFacts) -> None:
    """A series' time orders its points: numbers or dates, never missing. Text declared
    ``datetime`` is read as dates (the server reads every value before the run is stored)."""
    where = f"table {info.name!r}: time column {time!r}"
    column = facts.columns[time]
    declared = next(c.type for c in info.columns or [] if c.field == time)
    if declared is not None and declared not in _TIME_TYPES:
        raise ConfigError(
            f"{where} is declared {declared}: a time is a number (int, float) or a date "
            "(datetime, datetime_tz); declare one of those, or leave its type unset"
        )
    if declared is None and column.dtype not in _TIME_DTYPES:
        hint = (
            "; if it holds dates, declare its type datetime (types={" + repr(time) + ": "
            "'datetime'}, or type: datetime on the column)"
            if column.dtype == "string"
            else ""
        )
        raise ConfigError(
            f"{where} holds {column.dtype} values: a time is a number or a date{hint}"
        )
    if column.missing:
        raise ConfigError(
            f"{where} has {column.missing} missing values in {facts.rows} rows: a point "
            "without a time has no place in its series; fill them in, or remove those rows"
        )


_CHOICES = (
    "for each, choose: drop it (columns_to_drop, or drop: true), pseudonymize it "
    "(pseudonymize={column: strategy}, or pseudonymization: {kind: ...}), keep it grouped "
    "(keep={column: 'grouped'}: only the values at least k originals hold, the rest as other), "
    "or keep it as is and accept the risk (keep={column: 'as_is'}: recorded, and the privacy "
    "verdict fails); a key column can be declared primary_key"
)


def _untreated_risks(info: TableInfo, table: _Table) -> list[str]:
    """The columns that identify people by themselves and that nothing deals with."""
    treated = {
        c.field
        for c in info.columns or []
        if c.primary_key or c.identifier or c.drop or c.pseudonymization or c.keep
    }
    found = []
    for name, column in table.facts.columns.items():
        if column.role in RISKY_ROLES and name not in treated:
            reason = f": {column.role_reason}" if column.role_reason else ""
            found.append(f"{name!r} ({column.role}{reason})")
    return found


def _check_avatarization(
    name: str,
    chosen: AvatarizationParameters,
    table: _Table,
    info: TableInfo,
    *,
    has_series: bool = False,
) -> None:
    risks = _untreated_risks(info, table)
    if risks:
        raise ConfigError(
            f"table {name!r}: these columns identify people by themselves and its avatars "
            f"would release them: {', '.join(risks)}; {_CHOICES}"
        )
    where = f"avatarization parameters of table {name!r}"
    identifying = sorted(
        column
        for column in _excluded(chosen.exclude_variables)
        if column in table.facts.columns
        and table.facts.columns[column].role == ColumnRole.DIRECT_IDENTIFIER
    )
    if identifying:
        raise ConfigError(
            f"{where}: exclude_variables names direct identifiers {identifying}: excluded "
            "variables are put back with their original values; drop or pseudonymize them"
        )
    rows = table.facts.rows
    if chosen.k >= rows:
        raise ConfigError(f"{where}: k={chosen.k} must be smaller than the table's {rows} rows")
    excluded = _excluded(chosen.exclude_variables)
    table.check_names(where, "exclude_variables", excluded)
    avatarized = table.kept - set(excluded)
    if not avatarized and not has_series and table.kept:
        raise ConfigError(
            f"{where}: exclude_variables leaves no column to avatarize (it names every "
            f"column the schema keeps: {sorted(table.kept)})"
        )
    if chosen.ncp is not None and not has_series:  # series features add dimensions
        bound = table.dimensions(avatarized)
        if chosen.ncp > bound:
            raise ConfigError(
                f"{where}: ncp={chosen.ncp} is more than the table's dimensions (at most "
                f"{bound}: one per modality of its avatarized columns, and no more than its "
                "rows)"
            )
    table.check_names(where, "column_weights", chosen.column_weights or {})
    for processor in chosen.avatarization_processors_parameters or []:
        table.check_names(where, "a processor", processed_columns(processor))
        if isinstance(processor, InterRecordRangeDifferenceParameters):
            individual = processor.id_variable
            if table.unknown([individual]):
                raise ConfigError(
                    f"{where}: a processor's id_variable {individual!r} is not a column of the "
                    f"table; its columns: {list(table.facts.columns)}"
                )
            _check_individual_column(where, individual, info)


def _check_individual_column(where: str, individual: str, info: TableInfo) -> None:
    """The avatars of an inter-record processor are chained per released individual: its
    column must say, after the release, which records are one person's, as the originals'
    values did (no dropped column, no value shared by several people, none split per row)."""
    column = next((c for c in info.columns or [] if c.field == individual), None)
    if column is None:
        return
    named = f"{where}: a processor's id_variable {individual!r}"
    if column.drop:
        raise ConfigError(
            f"{named} is dropped by the schema, so records cannot be chained per individual: "
            "keep it, or declare it a key or pseudonymized"
        )
    strategy = column.pseudonymization
    if strategy is not None and (
        strategy.kind is PseudonymizationKind.CONSTANT or strategy.consistent is False
    ):
        raise ConfigError(
            f"{named} is pseudonymized with {strategy.kind}"
            f"{' (consistent: false)' if strategy.consistent is False else ''}: its released "
            "values would merge or split the individuals whose records are chained; use a "
            "consistent strategy (UUID4, HASH_SHA256, FAKER, INTEGER)"
        )
    if column.keep is KeepMode.GROUPED:
        raise ConfigError(
            f"{named} is kept grouped: rare individuals would merge into one, and their "
            "records into one chain; pseudonymize it instead"
        )


def _check_privacy(name: str, measured: PrivacyMetricsTableParameters, table: _Table) -> None:
    where = f"privacy metrics parameters of table {name!r}"
    table.check_names(where, "known_variables", measured.known_variables or [])
    table.check_names(where, "target", [measured.target] if measured.target else [])
    table.check_names(
        where,
        "categorical_hidden_rate_variables",
        measured.categorical_hidden_rate_variables or [],
    )
    table.check_names(where, "exclude_variables", _excluded(measured.exclude_variables))
    table.check_names(where, "column_weights", measured.column_weights or {})


def _check_linked_facts(config: Config, facts: Mapping[str, TableFacts]) -> None:
    """What the links need of the data, known from the upload without reading it: keys that
    identify one row each (their values are joined on), and a parent left with attributes for
    an assignment link to match its children on."""
    schema = config.schema
    linked = _linked_tables(schema)
    for info in schema.tables:
        key = _primary_key(info)
        found = facts.get(info.name)
        if info.name not in linked or key is None or found is None:
            continue
        column = found.columns.get(key)
        if column is None:
            continue  # an unknown column, named by the column check
        where = f"table {info.name!r}: primary key {key!r}"
        if column.missing:
            raise ConfigError(
                f"{where} has {column.missing} missing values in {found.rows} rows: every "
                "row of a linked table needs its key; fill them in, or declare another column "
                "as the primary key"
            )
        if column.distinct < found.rows:
            raise ConfigError(
                f"{where} has {column.distinct} distinct values in {found.rows} rows: a key "
                "names one row, so children would not know their parent; remove the "
                "duplicate rows, or declare another column as the primary key"
            )
    for link in planned_links(schema):
        if link.method in (LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT, LinkMethod.TIME_SERIES):
            continue
        parent = schema.tables[config.table_names().index(link.parent)]
        found = facts.get(link.parent)
        if found is None:
            continue
        aside = {
            c.field
            for c in parent.columns or []
            if c.primary_key or c.drop or c.identifier or c.pseudonymization
        }
        if not set(found.columns) - aside:
            raise ConfigError(
                f"{SCHEMA_NAME}: link {link.parent}.{link.parent_key} -> "
                f"{link.child}.{link.child_key} uses {link.method}, which matches children to "
                f"parents on the parents' attributes, but table {link.parent!r} has none left "
                f"to anonymize (every column is a key, dropped or pseudonymized: "
                f"{sorted(aside)}); keep at least one of its columns"
            )


def check(config: Config, facts: Mapping[str, TableFacts], *, complete: bool = True) -> None:
    """The whole run against its tables' facts (keyed by table name): supported values,
    links, declared columns, and every parameter's columns and ranges. ``complete=False``
    leaves out what only a finished run must satisfy (see :func:`check_links`)."""
    check_supported(config, complete=complete)
    _check_linked_facts(config, facts)
    tables: dict[str, _Table] = {}
    with_series = {
        link.parent
        for link in planned_links(config.schema)
        if link.method is LinkMethod.TIME_SERIES
    }
    for info in config.schema.tables:
        if info.name not in facts:  # pragma: no cover - callers give every table's facts
            raise ConfigError(f"table {info.name!r}: no facts about its data")
        tables[info.name] = _table(
            info, facts[info.name], has_series=info.name in with_series, complete=complete
        )
    parameters = config.parameters
    infos = {info.name: info for info in config.schema.tables}
    for name, chosen in (parameters.avatarization or {}).items() if parameters else []:
        _check_avatarization(
            name, chosen, tables[name], infos[name], has_series=name in with_series
        )
    privacy = config.privacy_metrics
    for name, measured in (privacy.privacy_metrics or {}).items() if privacy else []:
        _check_privacy(name, measured, tables[name])
    signal = config.signal_metrics
    for name, compared in (signal.signal_metrics or {}).items() if signal else []:
        where = f"signal metrics parameters of table {name!r}"
        tables[name].check_names(where, "exclude_variables", _excluded(compared.exclude_variables))


# --------------------------------------------------------------------------------------------
# Between the documents of a run (run by the reader, which knows each document's place)


def check_run(config: Config, header: Mapping[str, str]) -> None:
    """Every per-table entry names a table of the schema; a metrics document refers to the
    avatarization only if there is one. ``header`` maps document names to their place."""
    names = config.table_names()
    known = ", ".join(names) or "none"
    entries = [
        (PARAMETERS_NAME, "avatarization", config.parameters and config.parameters.avatarization),
        (
            PRIVACY_METRICS_NAME,
            "privacy_metrics",
            config.privacy_metrics and config.privacy_metrics.privacy_metrics,
        ),
        (
            SIGNAL_METRICS_NAME,
            "signal_metrics",
            config.signal_metrics and config.signal_metrics.signal_metrics,
        ),
    ]
    for document, key, entry in entries:
        for name in entry or {}:
            if name not in names:
                raise fail(
                    f"{header[document]}: spec.{key}.{name}",
                    f"table {name!r} is not in the schema (tables: {known})",
                )
    for document, spec in (
        (PRIVACY_METRICS_NAME, config.privacy_metrics),
        (SIGNAL_METRICS_NAME, config.signal_metrics),
    ):
        if spec is not None and spec.avatarization_ref is not None and config.parameters is None:
            raise fail(
                f"{header[document]}: spec.avatarization_ref",
                f"there is no {DocumentKind.PARAMETERS} document {PARAMETERS_NAME!r}",
            )
    standard = config.parameters.time_series if config.parameters else None
    for document, spec in (
        (PRIVACY_METRICS_NAME, config.privacy_metrics),
        (SIGNAL_METRICS_NAME, config.signal_metrics),
    ):
        copied = spec.time_series if spec is not None else None
        if copied is not None and copied != standard:
            raise fail(
                f"{header[document]}: spec.time_series",
                f"differs from the time_series of {PARAMETERS_NAME!r}: the metrics place the "
                "series in the features the avatarization used, so this block is a copy of "
                f"it; copy {PARAMETERS_NAME!r}'s time_series here, or leave it out",
            )
    for name in standard or {}:
        if name not in names:
            raise fail(
                f"{header[PARAMETERS_NAME]}: spec.time_series.{name}",
                f"table {name!r} is not in the schema (tables: {known})",
            )
    if config.schema.schema_ref is not None:
        raise fail(
            f"{header[SCHEMA_NAME]}: spec.schema_ref",
            "only the avatarized schema refers to another",
        )
    for i, table in enumerate(config.schema.tables):
        where = f"{header[SCHEMA_NAME]}: spec.tables[{i}]"
        if table.data is None:
            raise fail(where, "missing required key 'data'")
        if table.avatars_data is not None and table.avatars_data.auto is not None:
            raise fail(
                f"{where}.avatars_data.auto",
                f"only meaningful in {AVATARIZED_SCHEMA_NAME!r}; use dataset_id",
            )
