"""Every check of a run beyond a single field's type and bounds, in one place.

Three layers, each used by both the client's Runner and the server's resource service, so the
same mistake gets the same message on both sides:

- rules between the fields of one node (``@rule``), run whenever a node is read;
- :func:`check_supported`: values the format can express but this server does not do yet
  (linked tables, time series, avatars brought by the user...), refused with "... is not
  supported yet" instead of being accepted and ignored;
- :func:`check`: what needs facts about the uploaded tables (rows, columns, distinct counts).

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
    Metadata,
    PrivacyMetricsTableParameters,
    Pseudonymization,
    Schema,
    SignalMetricsTableParameters,
    TableInfo,
)
from avatar_yaml.fields import ConfigError, at, describe, fail, rule
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
    ColumnRole,
    ColumnType,
    DocumentKind,
    ImputeMethod,
    PseudonymizationKind,
    ReportFormat,
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
rule(SignalMetricsTableParameters)(_weights_outside_exclusion)


@rule(PrivacyMetricsTableParameters)
def _attacker(metrics: PrivacyMetricsTableParameters, where: str) -> None:
    _weights_outside_exclusion(metrics, where)
    if metrics.target is not None and metrics.target in (metrics.known_variables or []):
        raise fail(at(where, "target"), f"{metrics.target!r} cannot also be a known variable")


def _excluded(exclusion: ExcludeVariables | None) -> list[str]:
    return list(exclusion.variable_names) if exclusion is not None else []


# --------------------------------------------------------------------------------------------
# What the format says and this server does not do yet


def _unsupported(where: str, what: str, instead: str) -> ConfigError:
    return ConfigError(f"{where}: {what} is not supported yet; {instead}")


def check_supported(config: Config) -> None:
    """Refuse every value the server would otherwise accept and ignore."""
    tables = config.schema.tables
    for table in tables:
        where = f"{SCHEMA_NAME}: table {table.name!r}"
        if table.links:
            raise _unsupported(where, "linking tables", "avatarize each table on its own")
        if table.individual_level is False:
            raise _unsupported(
                where,
                "a table that is not individual-level (individual_level: false)",
                "each table is avatarized as one record per individual; leave it unset or true",
            )
        if table.avatars_data is not None:
            raise _unsupported(
                where,
                "measuring avatars you bring (avatars_data)",
                "the metrics measure the avatars of the run's own avatarization",
            )
        for column in table.columns or []:
            if column.time_series_time:
                raise _unsupported(
                    f"{where}: column {column.field!r}",
                    "a time series (time_series_time)",
                    "leave it unset, or drop the column",
                )
    parameters = config.parameters
    for name, chosen in (parameters.avatarization or {}).items() if parameters else []:
        if chosen.imputation is not None and chosen.imputation.return_data_imputed:
            raise _unsupported(
                f"{PARAMETERS_NAME}: avatarization.{name}.imputation.return_data_imputed",
                "returning the imputed originals",
                "the avatars keep the originals' missing values; leave it unset or false",
            )
    for metrics_name, document in (
        (PRIVACY_METRICS_NAME, config.privacy_metrics),
        (SIGNAL_METRICS_NAME, config.signal_metrics),
    ):
        if document is not None and document.avatarization_ref is None:
            raise _unsupported(
                f"{metrics_name}: avatarization_ref",
                "measuring avatars you bring (no avatarization_ref)",
                f"the metrics measure the avatars of the {PARAMETERS_NAME!r} document",
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
        if report.output_format is ReportFormat.DOCX:
            raise _unsupported(
                f"{report_name(report.report_type)}: output_format",
                "a DOCX report",
                "reports are written as PDF and HTML",
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


def _table(info: TableInfo, facts: TableFacts) -> _Table:
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
    if not table.kept:
        raise ConfigError(
            f"{where}: the schema sets every column aside (drop, identifier or primary_key): "
            "nothing is left to anonymize"
        )
    return table


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
    name: str, chosen: AvatarizationParameters, table: _Table, info: TableInfo
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
    if not avatarized:
        raise ConfigError(
            f"{where}: exclude_variables leaves no column to avatarize (it names every "
            f"column the schema keeps: {sorted(table.kept)})"
        )
    if chosen.ncp is not None:
        bound = table.dimensions(avatarized)
        if chosen.ncp > bound:
            raise ConfigError(
                f"{where}: ncp={chosen.ncp} is more than the table's dimensions (at most "
                f"{bound}: one per modality of its avatarized columns, and no more than its "
                "rows)"
            )
    table.check_names(where, "column_weights", chosen.column_weights or {})


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


def check(config: Config, facts: Mapping[str, TableFacts]) -> None:
    """The whole run against its tables' facts (keyed by table name): supported values,
    declared columns, and every parameter's columns and ranges."""
    check_supported(config)
    tables: dict[str, _Table] = {}
    for info in config.schema.tables:
        if info.name not in facts:  # pragma: no cover - callers give every table's facts
            raise ConfigError(f"table {info.name!r}: no facts about its data")
        tables[info.name] = _table(info, facts[info.name])
    parameters = config.parameters
    infos = {info.name: info for info in config.schema.tables}
    for name, chosen in (parameters.avatarization or {}).items() if parameters else []:
        _check_avatarization(name, chosen, tables[name], infos[name])
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
