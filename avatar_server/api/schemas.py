"""Request and response bodies: the shapes frozen into ``openapi.json``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from avatar_server.services.roles import UNDETECTED
from avatar_yaml import RISKY_ROLES, ColumnRole, JobKind, JobStatus, ResultKind
from avatar_yaml.vocabulary import described


class ResponseModel(BaseModel):
    """Response bodies: fields with defaults are still 'required' in the spec, so the generated
    client types them as ``X | None`` rather than ``X | Unset``."""

    model_config = ConfigDict(
        json_schema_serialization_defaults_required=True, from_attributes=True
    )


class ErrorResponse(ResponseModel):
    detail: str


class MessageResponse(ResponseModel):
    message: str


class HealthResponse(ResponseModel):
    status: Literal["ok"]
    version: str


class DatabaseHealthResponse(ResponseModel):
    """The database answers. Which database it is, is not said: the route is public."""

    status: Literal["ok"]


class TokenResponse(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires.")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class ForgottenPasswordRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)


class ResetPasswordRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    token: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=1024)
    new_password_repeated: str = Field(min_length=1, max_length=1024)


class UserOut(ResponseModel):
    id: uuid.UUID
    username: str
    email: str
    is_admin: bool
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    is_admin: bool = False


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    expiration_days: int | None = Field(
        default=None, ge=1, le=3650, description="Days until the key expires; none: never."
    )


class ApiKeyOut(ResponseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When a request last carried the key, to the minute: it is recorded at "
        "most once a minute (AVATAR_API_KEY_LAST_USE_SECONDS). None: never used.",
    )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The API key in clear. It is shown only this once.")


ROLE_DESCRIPTION = (
    f"What the column is, as detected at upload: one of {described(ColumnRole)}. "
    f"{', '.join(RISKY_ROLES)} columns identify people by themselves. A string, not an enum: "
    "roles may be added as detection grows, and a client should show an unknown one as it is. "
    f"Datasets uploaded before roles were detected read as {UNDETECTED.role.value}, with a "
    "reason saying so."
)


class ColumnSchema(ResponseModel):
    name: str
    dtype: str = Field(description="bool, int64, float64, datetime64, string, or empty.")
    missing: int = Field(description="Number of missing values.")
    distinct: int = Field(description="Number of distinct non-missing values.")
    role: str = Field(default=UNDETECTED.role.value, description=ROLE_DESCRIPTION)
    role_reason: str = Field(
        default=UNDETECTED.reason,
        description="Why the column got its role, in words (never quoting a value).",
    )


class CsvDialectOut(ResponseModel):
    """How a CSV file is read: what the upload detected, or was told with ``sep`` and
    ``encoding``. Every job reads the file the same way."""

    delimiter: str = Field(description="The character between fields: ',', ';', a tab, '|'...")
    quotechar: str = Field(description="The character quoting a field: '\"' or \"'\".")
    encoding: str = Field(
        description="Python's name of the text encoding: 'utf-8', 'utf-8-sig' (UTF-8 with a "
        "byte order mark), 'utf-16' or 'utf-32' (with one), 'utf-16-le' or 'utf-16-be' "
        "(without), 'cp1252' (Windows Western European: the file was not UTF-8), 'iso8859-1' "
        "(Latin-1: not even Windows-1252), or the encoding given."
    )
    decimal: str = Field(
        default=".",
        description="The decimal mark of the numbers: '.', or ',' when a file not separated "
        "by commas writes its numbers with commas (72,5) and none with points.",
    )


class DatasetOut(ResponseModel):
    id: uuid.UUID
    name: str
    file_format: Literal["csv", "parquet"] = Field(validation_alias="format")
    size_bytes: int
    sha256: str
    rows: int
    column_count: int
    columns: list[ColumnSchema]
    csv_dialect: CsvDialectOut | None = Field(
        default=None, description="How the CSV file is read; null for Parquet."
    )
    created_at: datetime


# A job name sent in a list. The length bound also makes pydantic check the text is valid
# Unicode: an unconstrained ``str`` lets a lone surrogate (``"\ud800"`` is valid JSON) through
# to the database driver, which cannot encode it (a 500 the fuzzer found).
JobNameRef = Annotated[str, Field(max_length=255)]

JOB_KIND_DESCRIPTION = (
    f"What the job does: one of {described(JobKind)}. A string, not an enum: kinds are added "
    "as the product grows, and a client should show an unknown one as it is."
)
RESULT_KIND_DESCRIPTION = (
    f"What the file holds: one of {described(ResultKind)}. A string, not an enum, for the same "
    "reason as a job's kind."
)


class ResourceSetCreate(BaseModel):
    yaml: str = Field(
        min_length=1,
        max_length=10 * 1024 * 1024,
        description="The run's multi-document YAML (avatars.yaml_config).",
    )


class ResourceSetOut(ResponseModel):
    set_name: uuid.UUID = Field(validation_alias="id")
    display_name: str
    created_at: datetime


class ResourceSetDetail(ResourceSetOut):
    yaml: str


class JobCreate(BaseModel):
    set_name: uuid.UUID
    parameters_name: str = Field(min_length=1, max_length=255)
    depends_on: list[JobNameRef] = Field(default_factory=list, max_length=100)


class JobOut(ResponseModel):
    name: str
    set_name: uuid.UUID
    display_name: str
    parameters_name: str
    kind: str = Field(description=JOB_KIND_DESCRIPTION)
    status: JobStatus
    done: bool = Field(description="True once the job is done, failed or cancelled.")
    progress: float = Field(description="0 to 1.")
    stage: str
    error: str = Field(description="Why the job failed or was cancelled; empty otherwise.")
    depends_on: list[str]
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobList(ResponseModel):
    jobs: list[JobOut]


class BulkDeleteRequest(BaseModel):
    job_names: list[JobNameRef] = Field(max_length=100)


class BulkDeleteResponse(ResponseModel):
    deleted_jobs: list[JobOut]
    failed_jobs: list[str] = Field(description="Names that matched no job of yours.")


class ResultFileOut(ResponseModel):
    kind: str = Field(description=RESULT_KIND_DESCRIPTION)
    table: str | None
    name: str
    file_format: str = Field(validation_alias="format")
    size: int
    sha256: str


class ResultsOut(ResponseModel):
    job_name: str
    status: JobStatus = Field(
        description="The job's status: its files are listed once it is done, never before."
    )
    error: str = Field(description="Why the job failed or was cancelled; empty otherwise.")
    files: list[ResultFileOut] = Field(
        description="The files of a done job; empty while it is pending or running, or if it "
        "failed or was cancelled."
    )


class CompatibilityResponse(ResponseModel):
    status: Literal["compatible", "incompatible", "unknown"]
    message: str
    most_recent_compatible_client: str | None
