"""Server settings, read from ``AVATAR_*`` environment variables.

Everything that differs between a laptop and a cluster (database, storage, limits, secrets,
token lifetimes) lives here, so the same code runs embedded, behind ``avatars serve`` and in
production by changing the environment only.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Per-user data folder, following the XDG convention on Linux."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "avatars"


class Settings(BaseSettings):
    """All server settings; each field is ``AVATAR_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="AVATAR_", extra="ignore")

    home: Path = Field(default_factory=default_home)
    database_url: str | None = None
    storage_url: str | None = None

    secret_key: SecretStr | None = None
    access_token_seconds: int = Field(default=3600, ge=1)
    refresh_token_seconds: int = Field(default=14 * 24 * 3600, ge=1)
    reset_token_seconds: int = Field(default=3600, ge=1)

    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1)
    max_request_body_bytes: int = Field(
        default=1024**2,
        ge=1024,
        description="Largest request body of every route but the dataset upload "
        "(AVATAR_MAX_UPLOAD_BYTES) and PUT /resources (AVATAR_MAX_RUN_YAML_BYTES): JSON and "
        "sign-in forms. A body over it is answered 413 as soon as the bound is passed, or at "
        "once when its declared Content-Length is over; it is never read whole.",
    )
    max_run_yaml_bytes: int = Field(
        default=2 * 1024**2,
        ge=1024,
        description="Largest body of PUT /resources, the run's YAML as a JSON string (413 "
        "over it). A run of 5 tables of 2,000 declared columns is 0.5 MB.",
    )
    max_run_yaml_nodes: int = Field(
        default=100_000,
        ge=100,
        description="Most YAML nodes (scalars, lists, mappings) a run may hold, counted by a "
        "scan that builds nothing before the YAML is parsed (422 over it): parsing costs the "
        "API process about 30 s of CPU per million nodes. A run of 5 tables of 2,000 declared "
        "columns has 60,000.",
    )
    max_run_yaml_documents: int = Field(
        default=1_000,
        ge=1,
        description="Most YAML documents a run may hold, counted by the same scan (422 over "
        "it). A run has a few per table.",
    )
    max_rows: int = Field(default=20_000_000, ge=1)
    max_columns: int = Field(default=2_000, ge=1)
    max_decoded_bytes: int = Field(
        default=2 * 1024**3,
        ge=1,
        description="The most memory an uploaded table may take once decoded (Arrow's size: "
        "8 bytes a number, a text's bytes plus 4). Parquet stores a repeated value once, so a "
        "2 KB file can hold gigabytes: such an upload is refused with 413, checked in bounded "
        "memory while it is read, and so is a stored one a job would read. The default is the "
        "default upload limit: what the largest CSV upload decodes to.",
    )
    min_password_length: int = Field(default=8, ge=1)
    login_attempts_per_minute_per_user: int = Field(
        default=10,
        ge=0,
        description="Failed sign-ins allowed per username within the window before /api/login "
        "answers 429 (0: no limit).",
    )
    login_attempts_per_minute_per_address: int = Field(
        default=50,
        ge=0,
        description="Failed sign-ins allowed per client address within the window (0: no limit).",
    )
    login_attempts_window_seconds: float = Field(
        default=60.0,
        gt=0,
        description="The sliding window of the two sign-in limits (a minute unless tests "
        "shorten it).",
    )
    password_reset_requests_per_email: int = Field(
        default=5,
        ge=0,
        description="Password reset requests allowed per email address within the window "
        "before /api/login/forgotten_password answers 429 (0: no limit).",
    )
    password_reset_requests_per_address: int = Field(
        default=20,
        ge=0,
        description="Password reset requests allowed per client address within the window "
        "(0: no limit).",
    )
    password_reset_window_seconds: float = Field(
        default=3600.0, gt=0, description="The sliding window of the two reset request limits."
    )
    mail_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        description="How often the mail sender looks for queued password reset requests.",
    )
    batch_rows: int = Field(
        default=100_000, ge=2, description="Tables above this many rows are avatarized in batches."
    )

    workers: int = Field(
        default=2,
        ge=0,
        description="Job worker processes started with the server (0: none); unused with "
        "AVATAR_DASK_ADDRESS, whose workers run the jobs.",
    )
    dask_address: str | None = Field(
        default=None,
        description="A Dask scheduler (tcp://host:8786) whose workers run the jobs instead of "
        "local worker processes. Needs a database and a storage the workers reach too "
        "(PostgreSQL, S3): SQLite and a local folder are refused.",
    )
    orphan_sweep_seconds: float = Field(
        default=900.0,
        gt=0,
        description="How often the server erases stored objects no database row points to "
        "(uploads refused or cut short, results of lost attempts), each once older than an "
        "hour; it also does at start-up.",
    )
    dask_connect_seconds: float = Field(
        default=10.0, gt=0, description="How long the server waits for the Dask scheduler."
    )
    api_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="HTTP server processes of `avatars serve` sharing its port. One process "
        "uses one core at most; a server polled by many clients wants one per core.",
    )
    api_key_last_use_seconds: float = Field(
        default=60.0,
        gt=0,
        description="An API key's last use is written at most this often: clients poll jobs "
        "with their key many times a second, and a write per request would slow every one.",
    )
    job_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A job's worker renews its lease every third of this, from a heartbeat "
        "independent of progress; a job whose lease ran out (its worker is gone) is re-queued.",
    )
    job_max_attempts: int = Field(default=3, ge=1)
    job_poll_seconds: float = Field(
        default=0.1, gt=0, description="How often idle workers look for a job to claim."
    )
    test_hook_result_pause_seconds: float = Field(
        default=0.0,
        ge=0,
        description="TEST HOOK, never for production (default 0: off): a worker sleeps this "
        "long after writing each result file, so fault tests can kill it mid-write.",
    )
    test_hook_silent_step_seconds: float = Field(
        default=0.0,
        ge=0,
        description="TEST HOOK, never for production (default 0: off): every job first "
        "computes this long without reporting progress, so lease tests can check that a busy "
        "worker keeps its job.",
    )
    local_mode: bool = Field(
        default=False,
        description="Single-user embedded server: unknown users signing in are created (no "
        "password policy). Only for a server bound to 127.0.0.1 for one person.",
    )

    admin_username: str = "admin"
    admin_email: str = "admin@localhost"
    admin_password: SecretStr | None = None

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "avatars@localhost"
    smtp_starttls: bool = True

    cors_origins: list[str] = Field(default_factory=list)
    public_url: str | None = None

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'avatars.db'}"

    @property
    def resolved_storage_url(self) -> str:
        """The fsspec storage root, defaulting to a folder under ``home``."""
        return self.storage_url or str(self.home / "storage")
