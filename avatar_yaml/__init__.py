"""The YAML format of a run, shared by the client (``avatars.yaml_config``) and the server.

It depends on the standard library and PyYAML only, so the server can parse and validate what
clients send without importing the client. Modules, from the bottom up:

- :mod:`~avatar_yaml.vocabulary`: every shared name (enums, document names, job and result
  kinds, job statuses);
- :mod:`~avatar_yaml.fields`: how a document is declared once and read from the declaration;
- :mod:`~avatar_yaml.loader`: strict YAML text to mappings;
- :mod:`~avatar_yaml.documents`: the documents;
- :mod:`~avatar_yaml.rules`: every check beyond one field's type and bounds;
- :mod:`~avatar_yaml.config`: a whole run, built in Python, written and read.
"""

from avatar_yaml import rules
from avatar_yaml.config import Config
from avatar_yaml.documents import (
    Advice,
    AdviceParameters,
    AvatarizationParameters,
    AvatarsData,
    ColumnInfo,
    ExcludeVariables,
    Imputation,
    Link,
    LinkTarget,
    Metadata,
    Parameters,
    PiaMetadata,
    PrivacyMetricsParameters,
    PrivacyMetricsTableParameters,
    ReportParameters,
    Results,
    Schema,
    SignalMetricsParameters,
    SignalMetricsTableParameters,
    TableData,
    TableInfo,
)
from avatar_yaml.fields import ConfigError, Node
from avatar_yaml.loader import load_yaml_documents
from avatar_yaml.rules import TableFacts, check_display_name
from avatar_yaml.vocabulary import (
    ADVICE_NAME,
    AVATARIZED_SCHEMA_NAME,
    DOCUMENT_OF_JOB_KIND,
    FINISHED_STATUSES,
    JOB_KIND_OF_DOCUMENT,
    METADATA_NAME_PREFIX,
    PARAMETERS_NAME,
    PRIVACY_METRICS_NAME,
    REPORT_NAMES,
    SCHEMA_NAME,
    SIGNAL_METRICS_NAME,
    AdvisorType,
    ColumnType,
    DataRecipient,
    DataSubject,
    DataType,
    DocumentKind,
    ExcludeVariablesMethod,
    ImputeMethod,
    JobKind,
    JobStatus,
    LinkMethod,
    ReportFormat,
    ReportLanguage,
    ReportType,
    ResultKind,
    ResultsFormat,
    SensitivityLevel,
    report_name,
)

__all__ = [
    "ADVICE_NAME",
    "AVATARIZED_SCHEMA_NAME",
    "DOCUMENT_OF_JOB_KIND",
    "FINISHED_STATUSES",
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
    "JobStatus",
    "Link",
    "LinkMethod",
    "LinkTarget",
    "Metadata",
    "Node",
    "Parameters",
    "PiaMetadata",
    "PrivacyMetricsParameters",
    "PrivacyMetricsTableParameters",
    "ReportFormat",
    "ReportLanguage",
    "ReportParameters",
    "ReportType",
    "ResultKind",
    "Results",
    "ResultsFormat",
    "Schema",
    "SensitivityLevel",
    "SignalMetricsParameters",
    "SignalMetricsTableParameters",
    "TableData",
    "TableFacts",
    "TableInfo",
    "check_display_name",
    "load_yaml_documents",
    "report_name",
    "rules",
]
