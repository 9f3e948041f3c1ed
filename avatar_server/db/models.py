"""The tables. Every user-owned row carries ``user_id`` so queries can be scoped to its owner."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from avatar_server.db.types import UTCDateTime, utcnow
from avatar_yaml import FINISHED_STATUSES, JobStatus

__all__ = ["FINISHED_STATUSES", "JobStatus"]  # re-exported: the server's code reads them here


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the password changes: tokens carrying an older generation stop working.
    token_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Usernames are unique whatever their letter case ("Alice" and "alice" are one person), and
# sign-in looks them up by this expression, so it is the index too.
Index("uq_users_lower_username", func.lower(User.username), unique=True)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Written at most once per Settings.api_key_last_use_seconds (services.auth).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginAttempt(Base):
    """An attempt counted by a rate limit: a failed (or still running) sign-in, or a password
    reset request (``services.rate_limit``).

    Kept in the database so that every server process counts the same attempts. ``key_hash``
    is a digest of the username, email or client address: people type passwords into the
    username field, so what they typed is not stored. ``scope`` says which limiter counts the
    attempt: each forgets its own attempts when they leave its window, which differ.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(32), server_default="sign-in")
    key_hash: Mapped[str] = mapped_column(String(64))
    # Seconds since the epoch: every process of every host compares the same clock.
    at: Mapped[float] = mapped_column(Float, index=True)

    __table_args__ = (Index("ix_login_attempts_key_hash_at", "key_hash", "at"),)


class PasswordResetRequest(Base):
    """A ``forgotten_password`` request waiting for the mail sender (``services.password_reset``).

    The request only adds this row, whether or not an account uses the address: who owns the
    address, the reset token and the mail are the sender's work, off the request path. The row
    goes once the sender has taken it.
    """

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RefreshToken(Base):
    """An issued refresh token (its ``jti``), usable once: refreshing marks it used and issues
    the next of its ``family`` (the chain that began at one sign-in). A used token presented
    again means it leaked, so the whole family is revoked (``services.auth.refresh``)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DatasetFormat(enum.StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True)
class CsvDialect:
    """How a stored CSV file is read, by the upload's checks and by every job after it (kept
    in :attr:`Dataset.csv_dialect`; found by ``services.dialect``).

    ``encoding`` is Python's codec name: ``utf-8``, ``utf-8-sig`` (UTF-8 with a byte order
    mark), ``utf-16``/``utf-32`` (with one), ``utf-16-le``/``utf-16-be`` (without),
    ``cp1252``, ``iso8859-1`` (Latin-1), or whatever the user gave.
    """

    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    decimal: str = "."
    """The decimal mark of the numbers: ``.``, or ``,`` (continental Excel's ``;`` files).
    Dialects stored before it was detected read as ``.``, as they were read."""

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, stored: Mapping[str, Any] | None) -> CsvDialect:
        """The stored dialect; None (a Parquet dataset's) gives the defaults, comma-separated
        double-quoted UTF-8, which is also how the server writes its own CSV results."""
        return cls(**stored) if stored else cls()

    def pandas_options(self) -> dict[str, Any]:
        """The ``pandas.read_csv`` arguments that read the file as the upload did."""
        return {
            "sep": self.delimiter,
            "quotechar": self.quotechar,
            "encoding": self.encoding,
            "decimal": self.decimal,
        }


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    format: Mapped[DatasetFormat] = mapped_column(
        Enum(
            DatasetFormat,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(BigInteger)
    column_count: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # How a CSV is read (:class:`CsvDialect`: delimiter, quotechar, encoding); NULL
    # for Parquet. One JSON value rather than three columns: it is only ever read whole, by the
    # upload that finds it and the jobs that read the file again, and can grow (a decimal
    # mark) without a migration each time.
    csv_dialect: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResourceSet(Base):
    """One run's YAML documents. Every ``PUT /resources/{display_name}`` makes a new set."""

    __tablename__ = "resource_sets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(255), index=True)
    yaml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _string_enum(enum_class: type[enum.StrEnum]) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Job(Base):
    """A unit of work on a resource set; the row is the source of truth for its state.

    A worker holds a job through ``worker`` + ``lease_expires_at`` and renews the lease as it
    reports progress; ``results`` (the committed files) is set in the same update that marks the
    job done, so a result is visible only once complete.
    """

    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    set_name: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resource_sets.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(255), index=True)
    parameters_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[JobStatus] = mapped_column(_string_enum(JobStatus), index=True)
    # All dependencies are done: a worker may claim the job.
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    depends_on: Mapped[list[str]] = mapped_column(JSON, default=list)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
