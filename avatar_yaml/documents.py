"""The documents of a run, each field declared once with its type, default and bounds.

A run travels as multi-document YAML. Every document is a mapping ``{kind, metadata: {name},
spec}``; the metadata document also carries a top-level ``annotations`` mapping. The layout
follows the official Avatar client's ``avatar_yaml`` documents, except that tables name uploaded
datasets (``data: {dataset_id, file}``) instead of files in a storage volume. The classes below
are the ``spec`` of each document and the structures inside; reading and writing come from
:mod:`avatar_yaml.fields`, checks between fields from :mod:`avatar_yaml.rules`.

The format describes more than the server does today (avatars brought by the user...):
:func:`avatar_yaml.rules.check_supported` refuses those values with a
"not supported yet" message, so that nothing is accepted and then ignored.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Self

from avatar_yaml.fields import Node, as_mapping, at, fail, option
from avatar_yaml.vocabulary import (
    AVATARIZED_SCHEMA_NAME,
    PARAMETERS_NAME,
    RESULTS_VOLUME,
    SCHEMA_NAME,
    AdvisorType,
    AlignmentMethod,
    ColumnType,
    DataRecipient,
    DataSubject,
    DataType,
    ExcludeVariablesMethod,
    ImputeMethod,
    KeepMode,
    LetterCase,
    LinkMethod,
    PiiType,
    ProjectionType,
    PseudonymizationKind,
    ReportFormat,
    ReportLanguage,
    ReportType,
    ResultsFormat,
    SensitivityLevel,
    Unalignment,
)

# --------------------------------------------------------------------------------------------
# AvatarMetadata


@dataclass(kw_only=True)
class PiaMetadata(Node):
    """Privacy-impact facts about the data, printed in the reports."""

    datarecipient: DataRecipient = DataRecipient.UNKNOWN
    data_type: DataType = DataType.UNKNOWN
    datasubject: DataSubject = DataSubject.UNKNOWN
    sensitivity_level: SensitivityLevel = SensitivityLevel.UNDEFINED


@dataclass(kw_only=True)
class Approver(Node):
    """Who approves the release of the avatars (a data protection officer, say), printed in
    the reports above the signature lines. Anything not given is printed "to be completed",
    to be filled in by hand before signing."""

    name: str | None = None
    role: str | None = None
    organisation: str | None = None
    date: datetime.date | None = None


@dataclass(kw_only=True)
class Metadata(Node):
    """The spec of the AvatarMetadata document: the run's display name, PIA facts and the
    approver of the release."""

    display_name: str
    pia_metadata: PiaMetadata = option(default_factory=PiaMetadata)
    approver: Approver | None = None


# --------------------------------------------------------------------------------------------
# AvatarSchema


@dataclass(kw_only=True)
class Pseudonymization(Node):
    """A column's values replaced by pseudonyms (the official client's strategies).

    ``FAKER`` fakes values of ``pii_type``; ``HASH_SHA256`` is a keyed hash (HMAC with a secret
    of the run, never a bare hash); ``UUID4``; ``CONSTANT`` writes ``value``; ``INTEGER`` numbers
    the values; ``SPECIFIC_ID`` fills ``pattern`` (``#`` a digit, ``@`` a letter in
    ``letter_case``). ``consistent``: equal originals get equal pseudonyms within the run.
    """

    kind: PseudonymizationKind
    pii_type: PiiType | None = None
    consistent: bool | None = None
    high_variability: bool | None = None
    value: str | None = option(default=None, allow_empty=True)
    pattern: str | None = None
    letter_case: LetterCase | None = None


@dataclass(kw_only=True)
class ColumnInfo(Node):
    """What is known of one column and what to do with it. ``identifier`` marks a foreign key;
    ``drop``, ``pseudonymization`` and ``keep`` are the treatments of a column that identifies
    people by itself (see :class:`avatar_yaml.vocabulary.ColumnRole`)."""

    field: str
    type: ColumnType | None = None
    identifier: bool | None = None
    primary_key: bool | None = None
    time_series_time: bool | None = None
    drop: bool | None = None
    pseudonymization: Pseudonymization | None = None
    keep: KeepMode | None = None


@dataclass(kw_only=True)
class LinkTarget(Node):
    """The child end of a link: a foreign key column of another table."""

    table: str
    field: str


@dataclass(kw_only=True)
class Link(Node):
    """A parent-child link, declared on the parent: its ``field`` (primary key) to a child key."""

    field: str
    to: LinkTarget
    method: LinkMethod = LinkMethod.LINEAR_SUM_ASSIGNMENT


@dataclass(kw_only=True)
class TableData(Node):
    """Where a table's rows are: an uploaded dataset; ``file`` is its original name, for people."""

    dataset_id: str
    file: str | None = None


@dataclass(kw_only=True)
class AvatarsData(Node):
    """A table's avatars: user-supplied (``dataset_id``) or the run's own output (``auto``)."""

    dataset_id: str | None = None
    auto: bool | None = None


@dataclass(kw_only=True)
class TableInfo(Node):
    """One table of a schema. ``data`` is required in the original schema, absent in the
    avatarized one (which only says where each table's avatars come from)."""

    name: str
    data: TableData | None = None
    individual_level: bool | None = None
    avatars_data: AvatarsData | None = None
    columns: list[ColumnInfo] | None = None
    links: list[Link] | None = None


@dataclass(kw_only=True)
class Schema(Node):
    """The spec of an AvatarSchema document. ``schema_ref`` is set only in the avatarized
    schema, which names the original one."""

    schema_ref: str | None = option(default=None, fixed=SCHEMA_NAME)
    tables: list[TableInfo] = option(default_factory=list)


# --------------------------------------------------------------------------------------------
# Parameters shared by avatarization and metrics


@dataclass(kw_only=True)
class ExcludeVariables(Node):
    """Variables left out of the projection and re-attached afterwards."""

    variable_names: list[str]
    replacement_strategy: ExcludeVariablesMethod


@dataclass(kw_only=True)
class Imputation(Node):
    """How missing values are filled before the projection."""

    method: ImputeMethod
    k: int | None = option(default=None, minimum=1)
    training_fraction: float | None = option(default=None, above=0, at_most=1)
    return_data_imputed: bool | None = None


@dataclass(kw_only=True)
class Results(Node):
    """Where and how a job writes its results: always under the job, in the server's
    ``results`` volume; ``path`` is the document's name."""

    volume: str = option(default=RESULTS_VOLUME, fixed=RESULTS_VOLUME)
    path: str
    format: ResultsFormat | None = None
    max_distribution_plots: int | None = option(default=None, minimum=0)


# --------------------------------------------------------------------------------------------
# Time series (a series table's settings; unset fields take the engine's defaults)

LEGACY_PROJECTION_KEY = "type"
"""The official client's parser also reads ``projection.type``; it is written back as
``projection_type``."""

MISSPELT_PROJECTIONS = {"fcpa": ProjectionType.FPCA}
"""Spellings found in the official client's docstring and tests, refused with a hint."""


@dataclass(kw_only=True)
class TimeSeriesProjection(Node):
    """How a series table's aligned curves become features of their person. ``nf``: the
    components kept per value variable (``fpca`` only); ``block_weight`` (our extension): the
    total weight of the series block against the person's own columns in the joint
    projection."""

    projection_type: ProjectionType | None = None
    nf: int | None = option(default=None, minimum=1)
    block_weight: float | None = option(default=None, above=0)

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        """Reads the legacy key ``type`` as ``projection_type``, and refuses ``fcpa`` with
        the spelling it stands for (the enum's own message would only list the values)."""
        mapping = dict(as_mapping(data, where))
        if LEGACY_PROJECTION_KEY in mapping:
            if "projection_type" in mapping:
                raise fail(
                    where,
                    f"both {LEGACY_PROJECTION_KEY!r} (the legacy key) and 'projection_type' are "
                    "given; keep projection_type",
                )
            mapping["projection_type"] = mapping.pop(LEGACY_PROJECTION_KEY)
        value = mapping.get("projection_type")
        if isinstance(value, str) and value.lower() in MISSPELT_PROJECTIONS:
            meant = MISSPELT_PROJECTIONS[value.lower()]
            raise fail(
                at(where, "projection_type"),
                f"unknown value {value!r}: did you mean {meant.value!r}? (functional PCA; "
                f"allowed: {', '.join(ProjectionType)})",
            )
        return super().from_dict(mapping, where)


@dataclass(kw_only=True)
class TimeSeriesAlignment(Node):
    """The common grid every person's series is resampled on. ``nb_points`` is the grid's
    length with ``method: specified`` (and only then); ``unalignment`` says how generated
    series leave the grid."""

    nb_points: int | None = option(default=None, minimum=2)
    method: AlignmentMethod | None = None
    unalignment: Unalignment | None = None


@dataclass(kw_only=True)
class TimeSeriesParameters(Node):
    """The settings of one series table, keyed by its name. It has no ``k`` of its own: it is
    avatarized with its parent."""

    projection: TimeSeriesProjection | None = None
    alignment: TimeSeriesAlignment | None = None
    exclude_variables: ExcludeVariables | None = None


# --------------------------------------------------------------------------------------------
# AvatarParameters


@dataclass(kw_only=True)
class InterRecordRangeDifferenceParameters(Node):
    """A server-side processor: each individual's chained ``[start, end]`` records become
    their first start, the gap from the previous end and each record's length, so that
    avatars keep every individual's ranges in order and never overlapping (the server
    undoes it after avatarization, :mod:`avatar_server.engine.processors`)."""

    id_variable: str
    target_start_variable: str
    target_end_variable: str


@dataclass(kw_only=True)
class RelativeDifferenceParameters(Node):
    """A server-side processor: ``target`` avatarized as its difference from the sum of
    ``references`` (divided by ``scaling_unit``), so that avatars keep the relation of a total
    to its parts (the server undoes it after avatarization)."""

    target: str
    references: list[str]
    scaling_unit: int | None = option(default=None, minimum=1)


ProcessorParameters = InterRecordRangeDifferenceParameters | RelativeDifferenceParameters
"""A server-side processor, recognised by its keys (the official format has no tag)."""


@dataclass(kw_only=True)
class AvatarizationParameters(Node):
    """The avatarization of one table; ``avatarization_processors_parameters`` are applied to
    the table in list order before avatarization and undone in reverse order after it."""

    k: int = option(minimum=2)
    ncp: int | None = option(default=None, minimum=1)
    use_categorical_reduction: bool | None = None
    column_weights: dict[str, float] | None = option(default=None, above=0)
    exclude_variables: ExcludeVariables | None = None
    imputation: Imputation | None = None
    avatarization_processors_parameters: list[ProcessorParameters] | None = None


@dataclass(kw_only=True)
class Parameters(Node):
    """The spec of the AvatarParameters document (``standard``): avatarization per table,
    and the settings of each series table (``time_series``)."""

    schema: str = option(default=SCHEMA_NAME, fixed=SCHEMA_NAME)
    avatarization: dict[str, AvatarizationParameters] | None = None
    time_series: dict[str, TimeSeriesParameters] | None = None
    results: Results
    seed: int | None = option(default=None, minimum=0)


# --------------------------------------------------------------------------------------------
# Metrics


@dataclass(kw_only=True)
class PrivacyMetricsTableParameters(Node):
    """Privacy metrics settings of one table; ``known_variables`` and ``target`` describe the
    attacker's knowledge and goal, ``categorical_hidden_rate_variables`` the columns the
    categorical hidden rate matches on."""

    ncp: int | None = option(default=None, minimum=1)
    use_categorical_reduction: bool | None = None
    known_variables: list[str] | None = None
    target: str | None = None
    categorical_hidden_rate_variables: list[str] | None = None
    quantile_threshold: int | None = option(default=None, minimum=0)
    imputation: Imputation | None = None
    exclude_variables: ExcludeVariables | None = None
    column_weights: dict[str, float] | None = option(default=None, above=0)


@dataclass(kw_only=True)
class SignalMetricsTableParameters(Node):
    """Signal (utility) metrics settings of one table."""

    ncp: int | None = option(default=None, minimum=1)
    use_categorical_reduction: bool | None = None
    imputation: Imputation | None = None
    column_weights: dict[str, float] | None = option(default=None, above=0)
    exclude_variables: ExcludeVariables | None = None


@dataclass(kw_only=True)
class PrivacyMetricsParameters(Node):
    """The spec of the AvatarPrivacyMetricsParameters document (``privacy_metrics``).

    ``avatarization_ref`` names the avatarization whose output is measured; without it the
    avatars are the user-supplied ``avatars_data`` of each table. ``time_series`` is a copy
    of the avatarization's (as the official client writes it): the metrics place series in
    the features the avatarization used, so a copy that differs is refused."""

    schema: str = option(default=AVATARIZED_SCHEMA_NAME, fixed=AVATARIZED_SCHEMA_NAME)
    avatarization_ref: str | None = option(default=None, fixed=PARAMETERS_NAME)
    privacy_metrics: dict[str, PrivacyMetricsTableParameters] | None = None
    time_series: dict[str, TimeSeriesParameters] | None = None
    results: Results
    seed: int | None = option(default=None, minimum=0)


@dataclass(kw_only=True)
class SignalMetricsParameters(Node):
    """The spec of the AvatarSignalMetricsParameters document (``signal_metrics``)."""

    schema: str = option(default=AVATARIZED_SCHEMA_NAME, fixed=AVATARIZED_SCHEMA_NAME)
    avatarization_ref: str | None = option(default=None, fixed=PARAMETERS_NAME)
    signal_metrics: dict[str, SignalMetricsTableParameters] | None = None
    time_series: dict[str, TimeSeriesParameters] | None = None
    results: Results
    seed: int | None = option(default=None, minimum=0)


# --------------------------------------------------------------------------------------------
# Reports and advice


@dataclass(kw_only=True)
class ReportParameters(Node):
    """The spec of an AvatarReportParameters document (``report`` or ``report_pia``)."""

    report_type: ReportType
    output_format: ReportFormat
    language: ReportLanguage
    results: Results


def _default_advisors() -> list[AdvisorType]:
    return [AdvisorType.PARAMETERS]


@dataclass(kw_only=True)
class Advice(Node):
    """What to advise on; only parameters for now."""

    advisor_type: list[AdvisorType] = option(default_factory=_default_advisors)


@dataclass(kw_only=True)
class AdviceParameters(Node):
    """The spec of the AvatarAdviceParameters document (``advice_parameters``)."""

    schema: str = option(default=SCHEMA_NAME, fixed=SCHEMA_NAME)
    advice: Advice = option(default_factory=Advice)
    results: Results
