"""Contains all the data models used in inputs/outputs"""

from .api_key_create import ApiKeyCreate
from .api_key_created import ApiKeyCreated
from .api_key_out import ApiKeyOut
from .bulk_delete_request import BulkDeleteRequest
from .bulk_delete_response import BulkDeleteResponse
from .column_schema import ColumnSchema
from .compatibility_response import CompatibilityResponse
from .compatibility_response_status import CompatibilityResponseStatus
from .context import Context
from .csv_dialect_out import CsvDialectOut
from .database_health_response import DatabaseHealthResponse
from .dataset_out import DatasetOut
from .dataset_out_file_format import DatasetOutFileFormat
from .error_response import ErrorResponse
from .forgotten_password_request import ForgottenPasswordRequest
from .health_response import HealthResponse
from .http_validation_error import HTTPValidationError
from .job_create import JobCreate
from .job_list import JobList
from .job_out import JobOut
from .job_status import JobStatus
from .login_form import LoginForm
from .message_response import MessageResponse
from .refresh_request import RefreshRequest
from .reset_password_request import ResetPasswordRequest
from .resource_set_create import ResourceSetCreate
from .resource_set_detail import ResourceSetDetail
from .resource_set_out import ResourceSetOut
from .result_file_out import ResultFileOut
from .results_out import ResultsOut
from .token_response import TokenResponse
from .user_create import UserCreate
from .user_out import UserOut
from .validation_error import ValidationError

__all__ = (
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyOut",
    "BulkDeleteRequest",
    "BulkDeleteResponse",
    "ColumnSchema",
    "CompatibilityResponse",
    "CompatibilityResponseStatus",
    "Context",
    "CsvDialectOut",
    "DatabaseHealthResponse",
    "DatasetOut",
    "DatasetOutFileFormat",
    "ErrorResponse",
    "ForgottenPasswordRequest",
    "HealthResponse",
    "HTTPValidationError",
    "JobCreate",
    "JobList",
    "JobOut",
    "JobStatus",
    "LoginForm",
    "MessageResponse",
    "RefreshRequest",
    "ResetPasswordRequest",
    "ResourceSetCreate",
    "ResourceSetDetail",
    "ResourceSetOut",
    "ResultFileOut",
    "ResultsOut",
    "TokenResponse",
    "UserCreate",
    "UserOut",
    "ValidationError",
)
