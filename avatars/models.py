"""The official client's ``avatars.models`` import path, so that its scripts import unchanged.

The official module holds the API's generated models and the enums its scripts name
(``JobKind``, ``JobStatus``; ``LinkMethod``, ``ColumnType`` and the parameter enums come from
``avatar_yaml.models`` there). Here each name is ours, re-exported: the same role under the
official name. The values are ours too (job statuses, for one, are ``pending``, ``running``,
``done``, ``failed``, ``cancelled``); ``docs/official-client.md`` lists every difference.
"""

from __future__ import annotations

from avatars_api.models import BulkDeleteResponse, DatasetOut, JobOut

from avatar_yaml import (
    AlignmentMethod,
    ColumnType,
    DataRecipient,
    DataSubject,
    DataType,
    ExcludeVariablesMethod,
    ImputeMethod,
    JobKind,
    JobStatus,
    LinkMethod,
    PiiType,
    ProjectionType,
    ReportLanguage,
    ReportType,
    ResultsFormat,
    SensitivityLevel,
)

JobResponse = JobOut
"""The official name of a job as the server describes it (``JobOut`` here)."""

__all__ = [
    "AlignmentMethod",
    "BulkDeleteResponse",
    "ColumnType",
    "DataRecipient",
    "DataSubject",
    "DataType",
    "DatasetOut",
    "ExcludeVariablesMethod",
    "ImputeMethod",
    "JobKind",
    "JobOut",
    "JobResponse",
    "JobStatus",
    "LinkMethod",
    "PiiType",
    "ProjectionType",
    "ReportLanguage",
    "ReportType",
    "ResultsFormat",
    "SensitivityLevel",
]
