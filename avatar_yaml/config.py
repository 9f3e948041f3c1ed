"""The YAML format of a run: one definition shared by the client and the server.

A run travels as multi-document YAML (documents separated by ``---``). Every document is a
mapping ``{kind, metadata: {name}, spec}``; the metadata document also carries a top-level
``annotations`` mapping. The layout follows the official Avatar client's ``avatar_yaml``
documents, except that tables name uploaded datasets (``data: {dataset_id, file}``) instead of
files in a storage volume.

The client's Runner builds a :class:`Config` and sends :meth:`Config.to_yaml`; the server reads
it back with :meth:`Config.from_yaml`. Because both sides use this one module, what the client
can produce is exactly what the server accepts, and ``Config.from_yaml(c.to_yaml()).to_yaml()``
is byte for byte ``c.to_yaml()``.

The module depends only on the standard library and PyYAML, so that the server can import it
without the client's dependencies and the client without the server's.

Reading is strict, because a silently ignored misspelt key would run an anonymization with
parameters the user did not ask for: unknown keys, wrong types (``true`` is not an integer),
unknown enum values, YAML aliases and duplicate keys are all errors, and every error names the
exact place, e.g. ``document 4 (AvatarParameters 'standard'): spec.avatarization.wbcd.k:
expected an integer, got 'abc'``.

Document names are fixed by their kind (``schema``, ``standard``, ``report_pia``...), as in the
official client: the server launches jobs by document name, and cross-references between
documents (``schema: schema_avatarized``, ``avatarization_ref: standard``) then never dangle.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Self, TypeVar

import yaml
import yaml.composer
import yaml.constructor
import yaml.nodes

__all__ = [
    "ADVICE_NAME",
    "AVATARIZED_SCHEMA_NAME",
    "JOB_KIND_OF_DOCUMENT",
    "METADATA_NAME_PREFIX",
    "PARAMETERS_NAME",
    "PRIVACY_METRICS_NAME",
    "REPORT_NAMES",
    "SCHEMA_NAME",
    "SIGNAL_METRICS_NAME",
    "Advice",
    "AdviceParameters",
    "AdvisorType",
    "AvatarizationParameters",
    "AvatarsData",
    "ColumnInfo",
    "ColumnType",
    "Config",
    "ConfigError",
    "DataRecipient",
    "DataSubject",
    "DataType",
    "DocumentKind",
    "ExcludeVariables",
    "ExcludeVariablesMethod",
    "Imputation",
    "ImputeMethod",
    "JobKind",
    "Link",
    "LinkMethod",
    "LinkTarget",
    "Metadata",
    "Parameters",
    "PiaMetadata",
    "PrivacyMetricsParameters",
    "PrivacyMetricsTableParameters",
    "ReportFormat",
    "ReportLanguage",
    "ReportParameters",
    "ReportType",
    "Results",
    "ResultsFormat",
    "Schema",
    "SensitivityLevel",
    "SignalMetricsParameters",
    "SignalMetricsTableParameters",
    "TableData",
    "TableInfo",
    "load_yaml_documents",
    "report_name",
]


class ConfigError(ValueError):
    """A run's YAML (or a Config built in Python) is invalid; the message says where and why."""


# --------------------------------------------------------------------------------------------
# Enums. Values are the exact strings of the YAML; ``StrEnum`` so that they compare equal to them.


class DocumentKind(enum.StrEnum):
    METADATA = "AvatarMetadata"
    SCHEMA = "AvatarSchema"
    PARAMETERS = "AvatarParameters"
    PRIVACY_METRICS = "AvatarPrivacyMetricsParameters"
    SIGNAL_METRICS = "AvatarSignalMetricsParameters"
    REPORT = "AvatarReportParameters"
    ADVICE = "AvatarAdviceParameters"


class JobKind(enum.StrEnum):
    ADVICE = "advice"
    STANDARD = "standard"
    PRIVACY_METRICS = "privacy_metrics"
    SIGNAL_METRICS = "signal_metrics"
    REPORT = "report"


JOB_KIND_OF_DOCUMENT: dict[DocumentKind, JobKind] = {
    DocumentKind.PARAMETERS: JobKind.STANDARD,
    DocumentKind.PRIVACY_METRICS: JobKind.PRIVACY_METRICS,
    DocumentKind.SIGNAL_METRICS: JobKind.SIGNAL_METRICS,
    DocumentKind.REPORT: JobKind.REPORT,
    DocumentKind.ADVICE: JobKind.ADVICE,
}
"""The job a document launches; metadata and schema documents launch none."""


class ColumnType(enum.StrEnum):
    INT = "int"
    BOOL = "bool"
    CATEGORY = "category"
    FLOAT = "float"
    DATETIME = "datetime"
    DATETIME_TZ = "datetime_tz"


class LinkMethod(enum.StrEnum):
    LINEAR_SUM_ASSIGNMENT = "linear_sum_assignment"
    MINIMUM_DISTANCE_ASSIGNMENT = "minimum_distance_assignment"
    SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT = "sensitive_original_order_assignment"
    TIME_SERIES = "time_series"


class ImputeMethod(enum.StrEnum):
    KNN = "knn"
    MODE = "mode"
    MEDIAN = "median"
    MEAN = "mean"
    FAST_KNN = "fast_knn"


class ExcludeVariablesMethod(enum.StrEnum):
    ROW_ORDER = "row_order"
    COORDINATE_SIMILARITY = "coordinate_similarity"


class ReportType(enum.StrEnum):
    BASIC = "basic"
    PIA = "pia"


class ReportLanguage(enum.StrEnum):
    EN = "en"
    FR = "fr"


class ReportFormat(enum.StrEnum):
    PDF = "pdf"
    HTML = "html"
    DOCX = "docx"


class ResultsFormat(enum.StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


class AdvisorType(enum.StrEnum):
    PARAMETERS = "parameters"


class DataRecipient(enum.StrEnum):
    UNKNOWN = "unknown"
    INTERNAL = "internal"
    CONTRACTUAL_THIRD_PARTY = "contractual_third_party"
    PUBLIC = "public"


class DataType(enum.StrEnum):
    UNKNOWN = "unknown"
    HEALTH = "health"
    FINANCIAL = "financial"
    HUMAN_RESOURCES = "human_resources"
    COMMERCIAL = "commercial"
    OTHER = "other"


class DataSubject(enum.StrEnum):
    UNKNOWN = "unknown"
    PATIENTS = "patients"
    CUSTOMERS = "customers"
    EMPLOYEES = "employees"
    CITIZENS = "citizens"
    OTHER = "other"


class SensitivityLevel(enum.StrEnum):
    UNDEFINED = "undefined"
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


# --------------------------------------------------------------------------------------------
# Document names. Fixed per kind (see the module docstring); reports are named by their type.

METADATA_NAME_PREFIX = "avatar-metadata-"
SCHEMA_NAME = "schema"
AVATARIZED_SCHEMA_NAME = "schema_avatarized"
PARAMETERS_NAME = "standard"
PRIVACY_METRICS_NAME = "privacy_metrics"
SIGNAL_METRICS_NAME = "signal_metrics"
ADVICE_NAME = "advice_parameters"
REPORT_NAMES: dict[ReportType, str] = {ReportType.BASIC: "report", ReportType.PIA: "report_pia"}
ADVICE_RESULTS_PATH = "advice"


def report_name(report_type: ReportType) -> str:
    """The document name of a report: ``report`` or ``report_pia``, as the official client."""
    return REPORT_NAMES[report_type]


# --------------------------------------------------------------------------------------------
# Reading helpers. Each takes the value read from YAML and its place, and returns it typed or
# raises ConfigError naming the place.

E = TypeVar("E", bound=enum.StrEnum)
N = TypeVar("N", bound="_Node")
T = TypeVar("T")


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _fail(where: str, problem: str) -> ConfigError:
    return ConfigError(f"{where}: {problem}" if where else problem)


def _describe(value: object) -> str:
    """The offending value as the user wrote it, short enough for one line of error."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 60 else text[:56] + "...'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"  # e.g. a date: YAML reads an unquoted 2024-01-01 as one


def _as_mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _fail(where, f"expected a mapping, got {_describe(value)}")
    for key in value:
        if not isinstance(key, str):
            raise _fail(where, f"keys must be strings, got {_describe(key)}")
    return value


def _as_list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {_describe(value)}")
    return value


def _as_str(value: object, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"expected a string, got {_describe(value)}")
    if not value and not allow_empty:
        raise _fail(where, "expected a non-empty string")
    return value


def _as_bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"expected true or false, got {_describe(value)}")
    return value


def _as_int(value: object, where: str, *, minimum: int | None = None) -> int:
    # bool is a subclass of int in Python, but ``k: true`` is a mistake, not k=1
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"expected an integer, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise _fail(where, f"expected an integer >= {minimum}, got {value}")
    return value


def _as_float(
    value: object, where: str, *, above: float | None = None, at_most: float | None = None
) -> float:
    # An int is kept as an int (not turned into 2.0) so that a weight written 2 is written back 2.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"expected a number, got {_describe(value)}")
    if not math.isfinite(value):
        raise _fail(where, f"expected a finite number, got {_describe(value)}")
    if above is not None and not value > above:
        raise _fail(where, f"expected a number > {above}, got {value}")
    if at_most is not None and not value <= at_most:
        raise _fail(where, f"expected a number <= {at_most}, got {value}")
    return value


def _as_enum(value: object, where: str, cls: type[E]) -> E:
    allowed = ", ".join(member.value for member in cls)
    if not isinstance(value, str):
        raise _fail(where, f"expected one of {allowed}; got {_describe(value)}")
    try:
        return cls(value)
    except ValueError:
        raise _fail(where, f"unknown value {value!r}; allowed: {allowed}") from None


def _as_str_list(value: object, where: str) -> list[str]:
    return [_as_str(item, f"{where}[{i}]") for i, item in enumerate(_as_list(value, where))]


def _as_weights(value: object, where: str) -> dict[str, float]:
    return {
        key: _as_float(weight, _at(where, key)) for key, weight in _as_mapping(value, where).items()
    }


def _as_str_map(value: object, where: str) -> dict[str, str]:
    return {
        key: _as_str(item, _at(where, key), allow_empty=True)
        for key, item in _as_mapping(value, where).items()
    }


def _as_node_list(value: object, where: str, cls: type[N]) -> list[N]:
    return [cls.from_dict(item, f"{where}[{i}]") for i, item in enumerate(_as_list(value, where))]


def _as_table_map(value: object, where: str, cls: type[N]) -> dict[str, N]:
    """Per-table parameters: a mapping from table name to a node."""
    return {
        _as_str(table, where): cls.from_dict(item, _at(where, table))
        for table, item in _as_mapping(value, where).items()
    }


def _optional(read: Callable[[object, str], T], value: object, where: str) -> T | None:
    """None stays None: an absent key and an explicit ``null`` both mean "not set"."""
    return None if value is None else read(value, where)


class _Reader:
    """The keys of one mapping being read into a dataclass.

    Unknown keys are reported before anything else: a misspelt key is the likeliest cause of
    a "missing required key" error that would otherwise come first and mislead.
    """

    def __init__(self, cls: type[_Node], data: object, where: str) -> None:
        self.where = where
        self.data = _as_mapping(data, where)
        allowed = [f.name for f in dataclasses.fields(cls)]
        for key in self.data:
            if key not in allowed:
                raise _fail(where, f"unknown key {key!r}; allowed: {', '.join(allowed)}")

    def at(self, key: str) -> str:
        return _at(self.where, key)

    def required(self, key: str) -> object:
        if key not in self.data:
            raise _fail(self.where, f"missing required key {key!r}")
        return self.data[key]

    def optional(self, key: str) -> object:
        return self.data.get(key)

    def string(self, key: str) -> str:
        return _as_str(self.required(key), self.at(key))

    def opt_string(self, key: str) -> str | None:
        return _optional(_as_str, self.optional(key), self.at(key))

    def opt_reference(self, key: str, expected: str) -> str | None:
        """A reference to another document, whose name is fixed."""
        value = self.opt_string(key)
        if value is not None and value != expected:
            raise _fail(self.at(key), f"expected {expected!r}, got {value!r}")
        return value

    def reference(self, key: str, expected: str) -> str:
        """A reference that may be left out, meaning the one document it can name."""
        return self.opt_reference(key, expected) or expected

    def integer(self, key: str, *, minimum: int | None = None) -> int:
        return _as_int(self.required(key), self.at(key), minimum=minimum)

    def opt_integer(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self.optional(key)
        return None if value is None else _as_int(value, self.at(key), minimum=minimum)

    def opt_float(
        self, key: str, *, above: float | None = None, at_most: float | None = None
    ) -> float | None:
        value = self.optional(key)
        if value is None:
            return None
        return _as_float(value, self.at(key), above=above, at_most=at_most)

    def opt_bool(self, key: str) -> bool | None:
        return _optional(_as_bool, self.optional(key), self.at(key))

    def choice(self, key: str, cls: type[E]) -> E:
        return _as_enum(self.required(key), self.at(key), cls)

    def opt_choice(self, key: str, cls: type[E]) -> E | None:
        value = self.optional(key)
        return None if value is None else _as_enum(value, self.at(key), cls)

    def node(self, key: str, cls: type[N]) -> N:
        return cls.from_dict(self.required(key), self.at(key))

    def opt_node(self, key: str, cls: type[N]) -> N | None:
        value = self.optional(key)
        return None if value is None else cls.from_dict(value, self.at(key))

    def str_list(self, key: str) -> list[str]:
        return _as_str_list(self.required(key), self.at(key))

    def opt_str_list(self, key: str) -> list[str] | None:
        return _optional(_as_str_list, self.optional(key), self.at(key))

    def opt_node_list(self, key: str, cls: type[N]) -> list[N] | None:
        value = self.optional(key)
        return None if value is None else _as_node_list(value, self.at(key), cls)

    def opt_table_map(self, key: str, cls: type[N]) -> dict[str, N] | None:
        value = self.optional(key)
        return None if value is None else _as_table_map(value, self.at(key), cls)

    def opt_weights(self, key: str) -> dict[str, float] | None:
        return _optional(_as_weights, self.optional(key), self.at(key))


def _plain(value: object) -> object:
    """A value as YAML should see it: nested nodes as dicts, enums as their plain strings.

    Lists and dicts are always fresh copies, so the dumper never finds one object twice and never
    writes anchors and aliases (which the reader refuses).
    """
    if isinstance(value, _Node):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


@dataclass
class _Node:
    """Base of every structure of the format: a dataclass whose field names are the YAML keys.

    ``to_dict`` is shared: fields in declaration order (which is the format's key order), None
    left out. ``from_dict`` is written per class, because each validates its own fields.
    """

    def to_dict(self) -> dict[str, object]:
        return {
            f.name: _plain(value)
            for f in dataclasses.fields(self)
            if (value := getattr(self, f.name)) is not None
        }

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        raise NotImplementedError


# --------------------------------------------------------------------------------------------
# AvatarMetadata


@dataclass(kw_only=True)
class PiaMetadata(_Node):
    """Privacy-impact facts about the data, used by the PIA report."""

    datarecipient: DataRecipient = DataRecipient.UNKNOWN
    data_type: DataType = DataType.UNKNOWN
    datasubject: DataSubject = DataSubject.UNKNOWN
    sensitivity_level: SensitivityLevel = SensitivityLevel.UNDEFINED

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            datarecipient=r.opt_choice("datarecipient", DataRecipient) or DataRecipient.UNKNOWN,
            data_type=r.opt_choice("data_type", DataType) or DataType.UNKNOWN,
            datasubject=r.opt_choice("datasubject", DataSubject) or DataSubject.UNKNOWN,
            sensitivity_level=r.opt_choice("sensitivity_level", SensitivityLevel)
            or SensitivityLevel.UNDEFINED,
        )


@dataclass(kw_only=True)
class Metadata(_Node):
    """The spec of the AvatarMetadata document: the run's display name and PIA facts."""

    display_name: str
    pia_metadata: PiaMetadata = dataclasses.field(default_factory=PiaMetadata)

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            display_name=r.string("display_name"),
            pia_metadata=r.opt_node("pia_metadata", PiaMetadata) or PiaMetadata(),
        )


# --------------------------------------------------------------------------------------------
# AvatarSchema


@dataclass(kw_only=True)
class ColumnInfo(_Node):
    """What is known of one column; ``identifier`` marks a foreign key."""

    field: str
    type: ColumnType | None = None
    identifier: bool | None = None
    primary_key: bool | None = None
    time_series_time: bool | None = None
    drop: bool | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            field=r.string("field"),
            type=r.opt_choice("type", ColumnType),
            identifier=r.opt_bool("identifier"),
            primary_key=r.opt_bool("primary_key"),
            time_series_time=r.opt_bool("time_series_time"),
            drop=r.opt_bool("drop"),
        )


@dataclass(kw_only=True)
class LinkTarget(_Node):
    """The child end of a link: a foreign key column of another table."""

    table: str
    field: str

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(table=r.string("table"), field=r.string("field"))


@dataclass(kw_only=True)
class Link(_Node):
    """A parent-child link, declared on the parent: its ``field`` (primary key) to a child key."""

    field: str
    to: LinkTarget
    method: LinkMethod = LinkMethod.LINEAR_SUM_ASSIGNMENT

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            field=r.string("field"),
            to=r.node("to", LinkTarget),
            method=r.opt_choice("method", LinkMethod) or LinkMethod.LINEAR_SUM_ASSIGNMENT,
        )


@dataclass(kw_only=True)
class TableData(_Node):
    """Where a table's rows are: an uploaded dataset; ``file`` is its original name, for people."""

    dataset_id: str
    file: str | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(dataset_id=r.string("dataset_id"), file=r.opt_string("file"))


@dataclass(kw_only=True)
class AvatarsData(_Node):
    """A table's avatars: user-supplied (``dataset_id``) or the run's own output (``auto``)."""

    dataset_id: str | None = None
    auto: bool | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        result = cls(dataset_id=r.opt_string("dataset_id"), auto=r.opt_bool("auto"))
        if (result.dataset_id is None) == (result.auto is None) or result.auto is False:
            raise _fail(where, "expected exactly one of dataset_id or auto: true")
        return result


@dataclass(kw_only=True)
class TableInfo(_Node):
    """One table of a schema. ``data`` is required in the original schema, absent in the
    avatarized one (which only says where each table's avatars come from)."""

    name: str
    data: TableData | None = None
    individual_level: bool | None = None
    avatars_data: AvatarsData | None = None
    columns: list[ColumnInfo] | None = None
    links: list[Link] | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        result = cls(
            name=r.string("name"),
            data=r.opt_node("data", TableData),
            individual_level=r.opt_bool("individual_level"),
            avatars_data=r.opt_node("avatars_data", AvatarsData),
            columns=r.opt_node_list("columns", ColumnInfo),
            links=r.opt_node_list("links", Link),
        )
        seen: set[str] = set()
        for i, column in enumerate(result.columns or []):
            if column.field in seen:
                raise _fail(f"{r.at('columns')}[{i}].field", f"duplicate column {column.field!r}")
            seen.add(column.field)
        return result


@dataclass(kw_only=True)
class Schema(_Node):
    """The spec of an AvatarSchema document. ``schema_ref`` is set only in the avatarized
    schema, which names the original one."""

    schema_ref: str | None = None
    tables: list[TableInfo] = dataclasses.field(default_factory=list)

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        result = cls(
            schema_ref=r.opt_string("schema_ref"),
            tables=_as_node_list(r.required("tables"), r.at("tables"), TableInfo),
        )
        names: list[str] = []
        for i, table in enumerate(result.tables):
            if table.name in names:
                raise _fail(f"{r.at('tables')}[{i}].name", f"duplicate table {table.name!r}")
            names.append(table.name)
        for i, table in enumerate(result.tables):
            for j, link in enumerate(table.links or []):
                if link.to.table not in names:
                    raise _fail(
                        f"{r.at('tables')}[{i}].links[{j}].to.table",
                        f"unknown table {link.to.table!r}; tables: {', '.join(names)}",
                    )
        return result


# --------------------------------------------------------------------------------------------
# Parameters shared by avatarization and metrics


@dataclass(kw_only=True)
class ExcludeVariables(_Node):
    """Variables left out of the projection and re-attached afterwards."""

    variable_names: list[str]
    replacement_strategy: ExcludeVariablesMethod = ExcludeVariablesMethod.ROW_ORDER

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            variable_names=r.str_list("variable_names"),
            replacement_strategy=r.opt_choice("replacement_strategy", ExcludeVariablesMethod)
            or ExcludeVariablesMethod.ROW_ORDER,
        )


@dataclass(kw_only=True)
class Imputation(_Node):
    """How missing values are filled before the projection."""

    method: ImputeMethod
    k: int | None = None
    training_fraction: float | None = None
    return_data_imputed: bool | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            method=r.choice("method", ImputeMethod),
            k=r.opt_integer("k", minimum=1),
            training_fraction=r.opt_float("training_fraction", above=0.0, at_most=1.0),
            return_data_imputed=r.opt_bool("return_data_imputed"),
        )


@dataclass(kw_only=True)
class Results(_Node):
    """Where and how a job writes its results."""

    volume: str = "results"
    path: str
    format: ResultsFormat | None = None
    max_distribution_plots: int | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            volume=r.opt_string("volume") or "results",
            path=r.string("path"),
            format=r.opt_choice("format", ResultsFormat),
            max_distribution_plots=r.opt_integer("max_distribution_plots", minimum=0),
        )


# --------------------------------------------------------------------------------------------
# AvatarParameters


@dataclass(kw_only=True)
class AvatarizationParameters(_Node):
    """The avatarization of one table."""

    k: int
    ncp: int | None = None
    use_categorical_reduction: bool | None = None
    column_weights: dict[str, float] | None = None
    exclude_variables: ExcludeVariables | None = None
    imputation: Imputation | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            k=r.integer("k", minimum=1),
            ncp=r.opt_integer("ncp", minimum=1),
            use_categorical_reduction=r.opt_bool("use_categorical_reduction"),
            column_weights=r.opt_weights("column_weights"),
            exclude_variables=r.opt_node("exclude_variables", ExcludeVariables),
            imputation=r.opt_node("imputation", Imputation),
        )


@dataclass(kw_only=True)
class Parameters(_Node):
    """The spec of the AvatarParameters document (``standard``): avatarization per table."""

    schema: str = SCHEMA_NAME
    avatarization: dict[str, AvatarizationParameters] | None = None
    results: Results
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            schema=r.reference("schema", SCHEMA_NAME),
            avatarization=r.opt_table_map("avatarization", AvatarizationParameters),
            results=r.node("results", Results),
            seed=r.opt_integer("seed", minimum=0),
        )


# --------------------------------------------------------------------------------------------
# Metrics


@dataclass(kw_only=True)
class PrivacyMetricsTableParameters(_Node):
    """Privacy metrics settings of one table; ``known_variables`` and ``target`` describe the
    attacker's knowledge and goal."""

    ncp: int | None = None
    use_categorical_reduction: bool | None = None
    known_variables: list[str] | None = None
    target: str | None = None
    quantile_threshold: int | None = None
    imputation: Imputation | None = None
    exclude_variables: ExcludeVariables | None = None
    column_weights: dict[str, float] | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            ncp=r.opt_integer("ncp", minimum=1),
            use_categorical_reduction=r.opt_bool("use_categorical_reduction"),
            known_variables=r.opt_str_list("known_variables"),
            target=r.opt_string("target"),
            quantile_threshold=r.opt_integer("quantile_threshold"),
            imputation=r.opt_node("imputation", Imputation),
            exclude_variables=r.opt_node("exclude_variables", ExcludeVariables),
            column_weights=r.opt_weights("column_weights"),
        )


@dataclass(kw_only=True)
class SignalMetricsTableParameters(_Node):
    """Signal (utility) metrics settings of one table."""

    ncp: int | None = None
    use_categorical_reduction: bool | None = None
    imputation: Imputation | None = None
    column_weights: dict[str, float] | None = None
    exclude_variables: ExcludeVariables | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            ncp=r.opt_integer("ncp", minimum=1),
            use_categorical_reduction=r.opt_bool("use_categorical_reduction"),
            imputation=r.opt_node("imputation", Imputation),
            column_weights=r.opt_weights("column_weights"),
            exclude_variables=r.opt_node("exclude_variables", ExcludeVariables),
        )


@dataclass(kw_only=True)
class PrivacyMetricsParameters(_Node):
    """The spec of the AvatarPrivacyMetricsParameters document (``privacy_metrics``).

    ``avatarization_ref`` names the avatarization whose output is measured; without it the
    avatars are the user-supplied ``avatars_data`` of each table."""

    schema: str = AVATARIZED_SCHEMA_NAME
    avatarization_ref: str | None = None
    privacy_metrics: dict[str, PrivacyMetricsTableParameters] | None = None
    results: Results
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            schema=r.reference("schema", AVATARIZED_SCHEMA_NAME),
            avatarization_ref=r.opt_reference("avatarization_ref", PARAMETERS_NAME),
            privacy_metrics=r.opt_table_map("privacy_metrics", PrivacyMetricsTableParameters),
            results=r.node("results", Results),
            seed=r.opt_integer("seed", minimum=0),
        )


@dataclass(kw_only=True)
class SignalMetricsParameters(_Node):
    """The spec of the AvatarSignalMetricsParameters document (``signal_metrics``)."""

    schema: str = AVATARIZED_SCHEMA_NAME
    avatarization_ref: str | None = None
    signal_metrics: dict[str, SignalMetricsTableParameters] | None = None
    results: Results
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            schema=r.reference("schema", AVATARIZED_SCHEMA_NAME),
            avatarization_ref=r.opt_reference("avatarization_ref", PARAMETERS_NAME),
            signal_metrics=r.opt_table_map("signal_metrics", SignalMetricsTableParameters),
            results=r.node("results", Results),
            seed=r.opt_integer("seed", minimum=0),
        )


# --------------------------------------------------------------------------------------------
# Reports and advice


@dataclass(kw_only=True)
class ReportParameters(_Node):
    """The spec of an AvatarReportParameters document (``report`` or ``report_pia``)."""

    report_type: ReportType
    output_format: ReportFormat
    language: ReportLanguage
    results: Results

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            report_type=r.choice("report_type", ReportType),
            output_format=r.choice("output_format", ReportFormat),
            language=r.choice("language", ReportLanguage),
            results=r.node("results", Results),
        )


def _default_advisors() -> list[AdvisorType]:
    return [AdvisorType.PARAMETERS]


@dataclass(kw_only=True)
class Advice(_Node):
    """What to advise on; only parameters for now."""

    advisor_type: list[AdvisorType] = dataclasses.field(default_factory=_default_advisors)

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        where_list = r.at("advisor_type")
        items = _as_list(r.required("advisor_type"), where_list)
        return cls(
            advisor_type=[
                _as_enum(item, f"{where_list}[{i}]", AdvisorType) for i, item in enumerate(items)
            ]
        )


@dataclass(kw_only=True)
class AdviceParameters(_Node):
    """The spec of the AvatarAdviceParameters document (``advice_parameters``)."""

    schema: str = SCHEMA_NAME
    advice: Advice = dataclasses.field(default_factory=Advice)
    results: Results

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        r = _Reader(cls, data, where)
        return cls(
            schema=r.reference("schema", SCHEMA_NAME),
            advice=r.node("advice", Advice),
            results=r.node("results", Results),
        )


# --------------------------------------------------------------------------------------------
# YAML text


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, minus two things a configuration should never rely on.

    Aliases are refused: a few nested aliases expand into billions of nodes for anything that
    walks the result (the "billion laughs"), and this module's writer never emits them. Duplicate
    keys are refused: PyYAML would silently keep the last one. Nesting is limited to
    ``MAX_DEPTH`` levels: PyYAML composes nodes recursively, so ``[[[[...`` a few hundred deep
    would otherwise end in a ``RecursionError`` instead of a message (configurations nest
    about six levels).
    """

    MAX_DEPTH = 64

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.nodes.Node | None, index: int) -> yaml.nodes.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not accepted", event.start_mark
            )
        if self._depth >= self.MAX_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {self.MAX_DEPTH} levels deep", event.start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(
        self, node: yaml.nodes.MappingNode, deep: bool = False
    ) -> dict[Hashable, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # ``<<`` merges are PyYAML's business (and need aliases, refused)
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_error_message(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        message = f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
        if error.context and error.context_mark is not None:
            context = error.context_mark
            message += f" ({error.context} at line {context.line + 1}, column {context.column + 1})"
        return message
    return f"invalid YAML: {error}"


def load_yaml_documents(text: str) -> list[dict[str, object]]:
    """The documents of a multi-document YAML text, each checked to be a mapping.

    Trailing empty documents (a final ``---``) are dropped; an empty document elsewhere is an
    error, so that "document N" in messages always counts the documents as written.
    """
    try:
        documents: list[object] = list(yaml.load_all(text, Loader=_StrictLoader))
    except yaml.YAMLError as error:
        raise ConfigError(_yaml_error_message(error)) from None
    while documents and documents[-1] is None:
        documents.pop()
    result: list[dict[str, object]] = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            raise ConfigError(f"document {number}: empty document")
        result.append(_as_mapping(document, f"document {number}"))
    return result


def _document(kind: DocumentKind, name: str, spec: _Node) -> dict[str, object]:
    return {"kind": kind.value, "metadata": {"name": name}, "spec": spec.to_dict()}


# --------------------------------------------------------------------------------------------
# A whole run


@dataclass(kw_only=True)
class Config:
    """A run: its tables and the parameters of each job, as the documents of one YAML text.

    ``seed``, ``output_format`` and ``max_distribution_plots`` are the defaults given to the
    documents created later (by :meth:`set_parameters`, :meth:`add_report`...); documents
    already present keep their own values.
    """

    metadata: Metadata
    annotations: dict[str, str] | None = None
    schema: Schema = dataclasses.field(default_factory=Schema)
    parameters: Parameters | None = None
    privacy_metrics: PrivacyMetricsParameters | None = None
    signal_metrics: SignalMetricsParameters | None = None
    reports: list[ReportParameters] = dataclasses.field(default_factory=list)
    advice: AdviceParameters | None = None
    seed: int | None = None
    output_format: ResultsFormat | None = None
    max_distribution_plots: int | None = None

    @classmethod
    def new(
        cls,
        display_name: str,
        *,
        seed: int | None = None,
        pia: PiaMetadata | None = None,
        annotations: dict[str, str] | None = None,
        max_distribution_plots: int | None = None,
        output_format: ResultsFormat | None = None,
    ) -> Config:
        """An empty run: metadata and a schema without tables."""
        return cls(
            metadata=Metadata(
                display_name=display_name,
                pia_metadata=pia if pia is not None else PiaMetadata(),
            ),
            annotations=dict(annotations) if annotations is not None else None,
            seed=seed,
            output_format=output_format,
            max_distribution_plots=max_distribution_plots,
        )

    @property
    def display_name(self) -> str:
        return self.metadata.display_name

    # -- tables ------------------------------------------------------------------------------

    def table_names(self) -> list[str]:
        return [table.name for table in self.schema.tables]

    def table(self, name: str) -> TableInfo:
        for table in self.schema.tables:
            if table.name == name:
                return table
        known = ", ".join(self.table_names()) or "none"
        raise KeyError(f"no table {name!r} in the run (tables: {known})")

    def add_table(
        self,
        name: str,
        dataset_id: str,
        *,
        file: str | None = None,
        individual_level: bool | None = None,
        columns: list[ColumnInfo] | None = None,
    ) -> TableInfo:
        """Declare a table; a table of the same name is replaced where it stands (its links
        and avatars_data go with it; its parameters, keyed by name, stay)."""
        table = TableInfo(
            name=name,
            data=TableData(dataset_id=dataset_id, file=file),
            individual_level=individual_level,
            columns=list(columns) if columns is not None else None,
        )
        names = self.table_names()
        if name in names:
            self.schema.tables[names.index(name)] = table
        else:
            self.schema.tables.append(table)
        return table

    def delete_table(self, name: str) -> None:
        """Remove a table, its parameters, and the links of other tables that point to it."""
        table = self.table(name)
        self.delete_parameters(name)
        self.schema.tables.remove(table)
        for other in self.schema.tables:
            if other.links is not None:
                other.links = [link for link in other.links if link.to.table != name]

    def add_link(
        self,
        parent_table: str,
        parent_field: str,
        child_table: str,
        child_field: str,
        method: LinkMethod = LinkMethod.LINEAR_SUM_ASSIGNMENT,
    ) -> Link:
        """Link a parent's key to a child's foreign key; replaces a link between the same two
        tables, since the avatarization pairs a child with one parent table only once."""
        parent = self.table(parent_table)
        self.table(child_table)
        target = LinkTarget(table=child_table, field=child_field)
        link = Link(field=parent_field, to=target, method=method)
        links = [existing for existing in parent.links or [] if existing.to.table != child_table]
        parent.links = [*links, link]
        return link

    def avatarized_schema(self) -> Schema:
        """The ``schema_avatarized`` document: every table, with the run's avatars as data."""
        return Schema(
            schema_ref=SCHEMA_NAME,
            tables=[
                TableInfo(name=table.name, avatars_data=AvatarsData(auto=True))
                for table in self.schema.tables
            ],
        )

    # -- parameters --------------------------------------------------------------------------

    def _results(self, path: str) -> Results:
        return Results(
            path=path, format=self.output_format, max_distribution_plots=self.max_distribution_plots
        )

    def set_parameters(
        self,
        table: str,
        avatarization: AvatarizationParameters | None = None,
        privacy: PrivacyMetricsTableParameters | None = None,
        signal: SignalMetricsTableParameters | None = None,
    ) -> None:
        """Replace all of a table's parameters (None removes that entry).

        The metrics documents exist from the first call on, as with the official client:
        metrics run with their defaults for tables without entries. The ``standard`` document
        exists while some table has avatarization parameters.
        """
        self.table(table)
        self._drop_entries(table)
        if avatarization is not None:
            if self.parameters is None:
                self.parameters = Parameters(results=self._results(PARAMETERS_NAME), seed=self.seed)
            self.parameters.avatarization = {
                **(self.parameters.avatarization or {}),
                table: avatarization,
            }
        if self.privacy_metrics is None:
            self.privacy_metrics = PrivacyMetricsParameters(
                results=self._results(PRIVACY_METRICS_NAME), seed=self.seed
            )
        if self.signal_metrics is None:
            self.signal_metrics = SignalMetricsParameters(
                results=self._results(SIGNAL_METRICS_NAME), seed=self.seed
            )
        if privacy is not None:
            self.privacy_metrics.privacy_metrics = {
                **(self.privacy_metrics.privacy_metrics or {}),
                table: privacy,
            }
        if signal is not None:
            self.signal_metrics.signal_metrics = {
                **(self.signal_metrics.signal_metrics or {}),
                table: signal,
            }
        self._tidy()

    def delete_parameters(self, table: str) -> None:
        """Remove a table's parameters; once no table has any, the parameter and metrics
        documents go too, as if parameters had never been set."""
        self.table(table)
        self._drop_entries(table)
        self._tidy()
        nothing_left = (
            self.parameters is None
            and not (self.privacy_metrics and self.privacy_metrics.privacy_metrics)
            and not (self.signal_metrics and self.signal_metrics.signal_metrics)
        )
        if nothing_left:
            self.privacy_metrics = None
            self.signal_metrics = None

    def _drop_entries(self, table: str) -> None:
        if self.parameters is not None and self.parameters.avatarization is not None:
            self.parameters.avatarization.pop(table, None)
        if self.privacy_metrics is not None and self.privacy_metrics.privacy_metrics is not None:
            self.privacy_metrics.privacy_metrics.pop(table, None)
        if self.signal_metrics is not None and self.signal_metrics.signal_metrics is not None:
            self.signal_metrics.signal_metrics.pop(table, None)

    def _tidy(self) -> None:
        """Empty per-table maps become absent; ``standard`` goes when it avatarizes nothing;
        the metrics documents refer to ``standard`` exactly when it exists."""
        if self.parameters is not None and not self.parameters.avatarization:
            self.parameters = None
        reference = PARAMETERS_NAME if self.parameters is not None else None
        if self.privacy_metrics is not None:
            self.privacy_metrics.privacy_metrics = self.privacy_metrics.privacy_metrics or None
            self.privacy_metrics.avatarization_ref = reference
        if self.signal_metrics is not None:
            self.signal_metrics.signal_metrics = self.signal_metrics.signal_metrics or None
            self.signal_metrics.avatarization_ref = reference

    def add_report(
        self,
        report_type: ReportType,
        language: ReportLanguage,
        output_format: ReportFormat,
    ) -> ReportParameters:
        """Add a report document, replacing one of the same type (their names are fixed)."""
        name = report_name(report_type)
        report = ReportParameters(
            report_type=report_type,
            output_format=output_format,
            language=language,
            results=self._results(name),
        )
        for i, existing in enumerate(self.reports):
            if existing.report_type == report_type:
                self.reports[i] = report
                return report
        self.reports.append(report)
        return report

    def add_advice(self) -> AdviceParameters:
        """Add (or reset) the ``advice_parameters`` document."""
        self.advice = AdviceParameters(results=self._results(ADVICE_RESULTS_PATH))
        return self.advice

    # -- documents ---------------------------------------------------------------------------

    def _named_documents(self) -> list[tuple[DocumentKind, str, _Node]]:
        named: list[tuple[DocumentKind, str, _Node]] = [
            (DocumentKind.METADATA, METADATA_NAME_PREFIX + self.display_name, self.metadata),
            (DocumentKind.SCHEMA, SCHEMA_NAME, self.schema),
            (DocumentKind.SCHEMA, AVATARIZED_SCHEMA_NAME, self.avatarized_schema()),
        ]
        if self.advice is not None:
            named.append((DocumentKind.ADVICE, ADVICE_NAME, self.advice))
        if self.parameters is not None:
            named.append((DocumentKind.PARAMETERS, PARAMETERS_NAME, self.parameters))
        if self.privacy_metrics is not None:
            named.append((DocumentKind.PRIVACY_METRICS, PRIVACY_METRICS_NAME, self.privacy_metrics))
        if self.signal_metrics is not None:
            named.append((DocumentKind.SIGNAL_METRICS, SIGNAL_METRICS_NAME, self.signal_metrics))
        named.extend(
            (DocumentKind.REPORT, report_name(report.report_type), report)
            for report in self.reports
        )
        return named

    def documents(self) -> list[dict[str, object]]:
        """The YAML documents, in the order of the official client: metadata, schema,
        avatarized schema, advice, standard, privacy metrics, signal metrics, reports."""
        documents = [_document(kind, name, spec) for kind, name, spec in self._named_documents()]
        if self.annotations is not None:
            documents[0]["annotations"] = dict(self.annotations)
        return documents

    def document_names(self) -> list[str]:
        return [name for _, name, _ in self._named_documents()]

    def document_kind(self, name: str) -> DocumentKind:
        for kind, document_name, _ in self._named_documents():
            if document_name == name:
                return kind
        known = ", ".join(self.document_names())
        raise KeyError(f"no document {name!r} in the run (documents: {known})")

    def to_yaml(self) -> str:
        """The run as YAML, checked by reading it back: what the client sends is what the
        server accepts, and a Config built wrongly in Python fails here, not on the server."""
        text = yaml.safe_dump_all(
            self.documents(), sort_keys=False, allow_unicode=True, default_flow_style=False
        )
        Config.from_yaml(text)
        return text

    @classmethod
    def from_yaml(cls, text: str) -> Config:
        """Read and validate a run; raises ConfigError naming the document and the key."""
        return _RunReader().read(load_yaml_documents(text))


# --------------------------------------------------------------------------------------------
# Reading a whole run


class _RunReader:
    """Reads documents one by one, then checks what only the whole run can tell."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}  # document name -> "document N (Kind 'name')"
        self.numbers: dict[str, int] = {}
        self.metadata: Metadata | None = None
        self.annotations: dict[str, str] | None = None
        self.schema: Schema | None = None
        self.avatarized: Schema | None = None
        self.parameters: Parameters | None = None
        self.privacy_metrics: PrivacyMetricsParameters | None = None
        self.signal_metrics: SignalMetricsParameters | None = None
        self.reports: list[ReportParameters] = []
        self.advice: AdviceParameters | None = None

    def read(self, documents: list[dict[str, object]]) -> Config:
        for number, document in enumerate(documents, start=1):
            self._read_document(number, document)
        if self.metadata is None:
            raise ConfigError(f"the run has no {DocumentKind.METADATA} document")
        if self.schema is None:
            raise ConfigError(f"the run has no {DocumentKind.SCHEMA} document {SCHEMA_NAME!r}")
        config = Config(
            metadata=self.metadata,
            annotations=self.annotations,
            schema=self.schema,
            parameters=self.parameters,
            privacy_metrics=self.privacy_metrics,
            signal_metrics=self.signal_metrics,
            reports=self.reports,
            advice=self.advice,
        )
        self._check_avatarized_schema(config)
        self._check_tables(config)
        self._check_references()
        self._set_defaults(config)
        return config

    def _read_document(self, number: int, document: dict[str, object]) -> None:
        where = f"document {number}"
        if "kind" not in document:
            raise _fail(where, "missing required key 'kind'")
        kind_value = _as_str(document["kind"], f"{where}: kind")
        try:
            kind = DocumentKind(kind_value)
        except ValueError:
            allowed_kinds = ", ".join(DocumentKind)
            raise _fail(
                f"{where}: kind", f"unknown kind {kind_value!r}; allowed: {allowed_kinds}"
            ) from None
        where = f"{where} ({kind})"
        if "metadata" not in document:
            raise _fail(where, "missing required key 'metadata'")
        metadata = _as_mapping(document["metadata"], f"{where}: metadata")
        for key in metadata:
            if key != "name":
                raise _fail(f"{where}: metadata", f"unknown key {key!r}; allowed: name")
        if "name" not in metadata:
            raise _fail(f"{where}: metadata", "missing required key 'name'")
        name = _as_str(metadata["name"], f"{where}: metadata.name")
        header = f"document {number} ({kind} {name!r})"
        allowed = ["kind", "metadata", "spec"]
        if kind is DocumentKind.METADATA:
            allowed.append("annotations")
        for key in document:
            if key not in allowed:
                raise _fail(header, f"unknown key {key!r}; allowed: {', '.join(allowed)}")
        if "spec" not in document:
            raise _fail(header, "missing required key 'spec'")
        if name in self.numbers:
            raise _fail(header, f"duplicate document name {name!r} (document {self.numbers[name]})")
        self.numbers[name] = number
        self.headers[name] = header
        spec = document["spec"]
        spec_where = f"{header}: spec"
        expected: str
        if kind is DocumentKind.METADATA:
            if self.metadata is not None:
                raise _fail(header, f"a run has one {kind} document, and this is the second")
            self.metadata = Metadata.from_dict(spec, spec_where)
            expected = METADATA_NAME_PREFIX + self.metadata.display_name
            if "annotations" in document:
                self.annotations = _as_str_map(document["annotations"], f"{header}: annotations")
        elif kind is DocumentKind.SCHEMA:
            expected = self._read_schema(name, spec, spec_where)
        elif kind is DocumentKind.PARAMETERS:
            expected = PARAMETERS_NAME
            self.parameters = Parameters.from_dict(spec, spec_where)
        elif kind is DocumentKind.PRIVACY_METRICS:
            expected = PRIVACY_METRICS_NAME
            self.privacy_metrics = PrivacyMetricsParameters.from_dict(spec, spec_where)
        elif kind is DocumentKind.SIGNAL_METRICS:
            expected = SIGNAL_METRICS_NAME
            self.signal_metrics = SignalMetricsParameters.from_dict(spec, spec_where)
        elif kind is DocumentKind.REPORT:
            report = ReportParameters.from_dict(spec, spec_where)
            expected = report_name(report.report_type)
            self.reports.append(report)
        else:
            expected = ADVICE_NAME
            self.advice = AdviceParameters.from_dict(spec, spec_where)
        if name != expected:
            raise _fail(f"{header}: metadata.name", f"expected {expected!r}, got {name!r}")

    def _read_schema(self, name: str, spec: object, where: str) -> str:
        """Read either schema document; returns the name it must have (``name`` if valid)."""
        if name == AVATARIZED_SCHEMA_NAME:
            self.avatarized = Schema.from_dict(spec, where)
            return name
        if name != SCHEMA_NAME:
            header = where.removesuffix(": spec")
            raise _fail(
                f"{header}: metadata.name",
                f"expected {SCHEMA_NAME!r} or {AVATARIZED_SCHEMA_NAME!r}, got {name!r}",
            )
        schema = Schema.from_dict(spec, where)
        self.schema = schema
        if schema.schema_ref is not None:
            raise _fail(f"{where}.schema_ref", "only the avatarized schema refers to another")
        for i, table in enumerate(schema.tables):
            if table.data is None:
                raise _fail(f"{where}.tables[{i}]", "missing required key 'data'")
            if table.avatars_data is not None and table.avatars_data.auto is not None:
                raise _fail(
                    f"{where}.tables[{i}].avatars_data.auto",
                    f"only meaningful in {AVATARIZED_SCHEMA_NAME!r}; use dataset_id",
                )
        return name

    def _check_avatarized_schema(self, config: Config) -> None:
        """``schema_avatarized`` is derived from the schema: it may be left out, but if given it
        must be exactly what would be derived, so that no one is misled by a stale copy."""
        if self.avatarized is None:
            return
        expected = config.avatarized_schema()
        if self.avatarized == expected:
            return
        where = f"{self.headers[AVATARIZED_SCHEMA_NAME]}: spec"
        if self.avatarized.schema_ref != SCHEMA_NAME:
            raise _fail(f"{where}.schema_ref", f"expected {SCHEMA_NAME!r}")
        got = [table.name for table in self.avatarized.tables]
        if got != config.table_names():
            wanted_names = ", ".join(config.table_names())
            raise _fail(
                f"{where}.tables",
                f"expected the tables of {SCHEMA_NAME!r} in order ({wanted_names}),"
                f" got ({', '.join(got)})",
            )
        pairs = zip(self.avatarized.tables, expected.tables, strict=True)
        for i, (table, wanted) in enumerate(pairs):
            if table != wanted:
                raise _fail(
                    f"{where}.tables[{i}]",
                    f"expected exactly {{name: {wanted.name}, avatars_data: {{auto: true}}}}",
                )

    def _check_tables(self, config: Config) -> None:
        """Every per-table entry must name a table of the schema."""
        names = config.table_names()
        entries: list[tuple[str, str, list[str]]] = []
        if self.parameters is not None:
            tables = list(self.parameters.avatarization or {})
            entries.append((PARAMETERS_NAME, "avatarization", tables))
        if self.privacy_metrics is not None:
            tables = list(self.privacy_metrics.privacy_metrics or {})
            entries.append((PRIVACY_METRICS_NAME, "privacy_metrics", tables))
        if self.signal_metrics is not None:
            tables = list(self.signal_metrics.signal_metrics or {})
            entries.append((SIGNAL_METRICS_NAME, "signal_metrics", tables))
        known = ", ".join(names) or "none"
        for document_name, key, tables in entries:
            for table in tables:
                if table not in names:
                    raise _fail(
                        f"{self.headers[document_name]}: spec.{key}.{table}",
                        f"table {table!r} is not in the schema (tables: {known})",
                    )

    def _check_references(self) -> None:
        for name, spec in (
            (PRIVACY_METRICS_NAME, self.privacy_metrics),
            (SIGNAL_METRICS_NAME, self.signal_metrics),
        ):
            if spec is not None and spec.avatarization_ref is not None and self.parameters is None:
                raise _fail(
                    f"{self.headers[name]}: spec.avatarization_ref",
                    f"there is no {DocumentKind.PARAMETERS} document {PARAMETERS_NAME!r}",
                )

    def _set_defaults(self, config: Config) -> None:
        """Documents added later to a run read from YAML get the settings of those present."""
        for seeded in (self.parameters, self.privacy_metrics, self.signal_metrics):
            if seeded is not None and seeded.seed is not None:
                config.seed = seeded.seed
                break
        results = [
            spec.results
            for spec in (self.parameters, self.privacy_metrics, self.signal_metrics, self.advice)
            if spec is not None
        ] + [report.results for report in self.reports]
        if results:
            config.output_format = results[0].format
            config.max_distribution_plots = results[0].max_distribution_plots
