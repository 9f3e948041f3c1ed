"""Every name the client, the server and the YAML share: enums, document names, job and result
kinds, job statuses.

One definition each. Values are the exact strings written in YAML and sent over the API;
``StrEnum`` members compare equal to them, so code compares defined members, never ad-hoc
strings. Job kinds and result kinds travel in the API as documented strings, not enums (see
:class:`JobKind`), because they grow with the product.
"""

from __future__ import annotations

import enum

# --------------------------------------------------------------------------------------------
# Documents, jobs and results


class DocumentKind(enum.StrEnum):
    METADATA = "AvatarMetadata"
    SCHEMA = "AvatarSchema"
    PARAMETERS = "AvatarParameters"
    PRIVACY_METRICS = "AvatarPrivacyMetricsParameters"
    SIGNAL_METRICS = "AvatarSignalMetricsParameters"
    REPORT = "AvatarReportParameters"
    ADVICE = "AvatarAdviceParameters"


class JobKind(enum.StrEnum):
    """What a job does; decided by the document it runs.

    In the API a job's ``kind`` is a plain string documented with these values: a value added
    here later (linked tables, time series...) then reaches older clients as a string they can
    show, instead of an enum value their generated models would refuse to parse.
    """

    ADVICE = "advice"
    STANDARD = "standard"
    PRIVACY_METRICS = "privacy_metrics"
    SIGNAL_METRICS = "signal_metrics"
    REPORT = "report"

    # The official client's spellings: its generated enum's members are lower case
    # (``JobKind.standard`` in its tutorials). Aliases of the same members, so its scripts
    # run unchanged; iterating JobKind gives each kind once.
    advice = ADVICE
    standard = STANDARD
    privacy_metrics = PRIVACY_METRICS
    signal_metrics = SIGNAL_METRICS
    report = REPORT


class JobStatus(enum.StrEnum):
    """A job's life: pending → running → one of the three finished statuses."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_STATUSES = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class ResultKind(enum.StrEnum):
    """What one result file of a job holds. A plain documented string in the API, like
    :class:`JobKind`, for the same reason."""

    SHUFFLED = "shuffled"
    UNSHUFFLED = "unshuffled"
    ORIGINAL_PROJECTIONS = "original_projections"
    AVATAR_PROJECTIONS = "avatar_projections"
    PROJECTION_SAMPLE = "projection_sample"
    RUN_METADATA = "run_metadata"
    PRIVACY_METRICS = "privacy_metrics"
    SIGNAL_METRICS = "signal_metrics"
    VARIABLE_COMPARISONS = "variable_comparisons"
    CORRELATIONS = "correlations"
    ADVICE = "advice"
    REPORT = "report"
    PRIVACY_VERDICT = "privacy_verdict"
    PRIVACY_ATTACKS = "privacy_attacks"
    PRIVACY_METRICS_SUMMARY = "privacy_metrics_summary"
    SIGNAL_METRICS_SUMMARY = "signal_metrics_summary"
    RELATIONS = "relations"
    RAW_SERIES = "raw_series"
    NORMALIZED_SERIES = "normalized_series"
    MANIFEST_PART = "manifest_part"
    RELEASE_MANIFEST = "release_manifest"


JOB_KIND_OF_DOCUMENT: dict[DocumentKind, JobKind] = {
    DocumentKind.PARAMETERS: JobKind.STANDARD,
    DocumentKind.PRIVACY_METRICS: JobKind.PRIVACY_METRICS,
    DocumentKind.SIGNAL_METRICS: JobKind.SIGNAL_METRICS,
    DocumentKind.REPORT: JobKind.REPORT,
    DocumentKind.ADVICE: JobKind.ADVICE,
}
"""The job a document launches; metadata and schema documents launch none."""


def described(cls: type[enum.StrEnum]) -> str:
    """``a, b, c``: the values of an enum, for API descriptions and error messages."""
    return ", ".join(member.value for member in cls)


# --------------------------------------------------------------------------------------------
# Values of the documents


class ColumnRole(enum.StrEnum):
    """What a column is, as the upload detects it (a documented string in the API).

    ``id_like``, ``direct_identifier`` and ``free_text`` columns identify people by themselves:
    a run that avatarizes a table refuses them until the user says what to do with each
    (drop, pseudonymize, keep grouped, or keep as is with the risk acknowledged).
    """

    ID_LIKE = "id_like"
    DIRECT_IDENTIFIER = "direct_identifier"
    FREE_TEXT = "free_text"
    DATE = "date"
    CONSTANT = "constant"
    QUASI_IDENTIFIER = "quasi_identifier"


RISKY_ROLES = (ColumnRole.ID_LIKE, ColumnRole.DIRECT_IDENTIFIER, ColumnRole.FREE_TEXT)


class KeepMode(enum.StrEnum):
    """How a risky column is kept when it is neither dropped nor pseudonymized."""

    GROUPED = "grouped"
    """As a category of the values at least ``k`` originals hold; the rest become "other"."""
    AS_IS = "as_is"
    """Avatarized like any column, the risk acknowledged: recorded, and failed in the verdict."""


class PseudonymizationKind(enum.StrEnum):
    FAKER = "FAKER"
    HASH_SHA256 = "HASH_SHA256"
    UUID4 = "UUID4"
    CONSTANT = "CONSTANT"
    INTEGER = "INTEGER"
    SPECIFIC_ID = "SPECIFIC_ID"


class PiiType(enum.StrEnum):
    EMAIL = "EMAIL"
    FIRST_NAME = "FIRST_NAME"
    LAST_NAME = "LAST_NAME"
    FULL_NAME = "FULL_NAME"
    PHONE = "PHONE"
    SSN = "SSN"
    ADDRESS = "ADDRESS"
    FREE_TEXT = "FREE_TEXT"


class LetterCase(enum.StrEnum):
    UPPER = "upper"
    LOWER = "lower"
    BOTH = "both"


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


class ProjectionType(enum.StrEnum):
    """How a series table's aligned curves become features of their person: ``fpca`` keeps
    the first components of a discretised functional PCA per value variable, ``flatten``
    one feature per grid point and variable."""

    FPCA = "fpca"
    FLATTEN = "flatten"


class AlignmentMethod(enum.StrEnum):
    """The length of the common grid every person's series is resampled on: ``specified``
    (``nb_points``), or the ``max``, ``min`` or ``mean`` of the persons' numbers of points."""

    SPECIFIED = "specified"
    MAX = "max"
    MIN = "min"
    MEAN = "mean"


class Unalignment(enum.StrEnum):
    """How a generated series leaves the common grid: ``uniform`` resamples it to the
    avatar's own length and time span, ``skip`` keeps the grid's points."""

    UNIFORM = "uniform"
    SKIP = "skip"


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
# Document names: fixed per kind, as in the official client. The server launches jobs by
# document name, and cross-references between documents then never dangle.

METADATA_NAME_PREFIX = "avatar-metadata-"
SCHEMA_NAME = "schema"
AVATARIZED_SCHEMA_NAME = "schema_avatarized"
PARAMETERS_NAME = "standard"
PRIVACY_METRICS_NAME = "privacy_metrics"
SIGNAL_METRICS_NAME = "signal_metrics"
ADVICE_NAME = "advice_parameters"
REPORT_NAMES: dict[ReportType, str] = {ReportType.BASIC: "report", ReportType.PIA: "report_pia"}
RESULTS_VOLUME = "results"
ADVICE_RESULTS_PATH = "advice"


def report_name(report_type: ReportType) -> str:
    """The document name of a report: ``report`` or ``report_pia``, as the official client."""
    return REPORT_NAMES[report_type]


def escape_table_name(table: str) -> str:
    """A table's name as result files are named after it (``<name>.shuffled.csv``), escaped
    as the official client expects. Here, not in the server, because the rule on table names
    (:func:`avatar_yaml.rules.check_table_name`) bounds the length of this escaped form."""
    for raw, escaped in (("/", "_slash_"), ("&", "_ampersand_"), ("+", "_plus_")):
        table = table.replace(raw, escaped)
    return table.replace(".", "_dot_")


DOCUMENT_OF_JOB_KIND: dict[JobKind, str] = {
    JobKind.STANDARD: PARAMETERS_NAME,
    JobKind.SIGNAL_METRICS: SIGNAL_METRICS_NAME,
    JobKind.PRIVACY_METRICS: PRIVACY_METRICS_NAME,
    JobKind.REPORT: report_name(ReportType.BASIC),
    JobKind.ADVICE: ADVICE_NAME,
}
"""The document a job kind names when it stands for one (the basic report for ``report``)."""

JOB_WORDS: dict[str, str] = {
    PARAMETERS_NAME: "avatarization",
    SIGNAL_METRICS_NAME: "signal metrics",
    PRIVACY_METRICS_NAME: "privacy metrics",
    REPORT_NAMES[ReportType.BASIC]: "report",
    REPORT_NAMES[ReportType.PIA]: "privacy-impact (PIA) report",
    ADVICE_NAME: "parameter advice",
}
"""What each job does, in the words of the person using the client (progress bars, errors):
document names such as ``standard`` are the YAML's, not theirs."""


def job_words(name: str) -> str:
    """The user's words for a job given by document name or job kind (``standard`` ->
    ``avatarization``); a name without words (a newer server's) is returned as it is."""
    if name in JOB_WORDS:
        return JOB_WORDS[name]
    if name in JobKind.__members__.values():
        return JOB_WORDS[DOCUMENT_OF_JOB_KIND[JobKind(name)]]
    return name
