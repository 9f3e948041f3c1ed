"""Datasets: atomic streamed upload, schema discovery, a typed Parquet copy for jobs
(:mod:`avatar_server.jobs.table_store`), listing, streamed download, erasure."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from avatar_server.db.models import Dataset, DatasetFormat, User
from avatar_server.jobs.table_store import UPLOADED, store_table
from avatar_server.services.errors import NotFoundError, TooLargeError, UnprocessableError
from avatar_server.services.tables import detect_format, discover_schema
from avatar_server.settings import Settings
from avatar_server.storage import Storage
from avatar_yaml.csv_reading import check_encoding, check_separator

_HEAD_BYTES = 4096


def dataset_prefix(user_id: uuid.UUID, dataset_id: uuid.UUID) -> str:
    """Where everything stored for one dataset lives, and is erased with it."""
    return f"datasets/{user_id}/{dataset_id}"


def stored_prefix(dataset: Dataset) -> str:
    """The prefix to erase with ``dataset``: its own folder, or, for a dataset stored by an
    earlier version as a single object (``datasets/<user>/<id>.<format>``), that object."""
    own = dataset_prefix(dataset.user_id, dataset.id)
    return own if dataset.storage_key.startswith(f"{own}/") else dataset.storage_key


class UploadSink:
    """Streams an upload to the new dataset's own storage key, counting and hashing it.

    The object is complete at :meth:`close` but nothing points to it until
    :func:`register_upload` commits the dataset row; :meth:`abort` leaves nothing.
    """

    def __init__(self, storage: Storage, user_id: uuid.UUID, max_bytes: int) -> None:
        self.storage = storage
        self.max_bytes = max_bytes
        self.dataset_id = uuid.uuid4()
        self.prefix = dataset_prefix(user_id, self.dataset_id)
        self.key = f"{self.prefix}/{UPLOADED}"
        self.size = 0
        self.head = b""
        self._sha = hashlib.sha256()
        self._writer = storage.start_write(self.key)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise TooLargeError(f"the upload is larger than {self.max_bytes} bytes, the limit")
        if len(self.head) < _HEAD_BYTES:
            self.head += chunk[: _HEAD_BYTES - len(self.head)]
        self._sha.update(chunk)
        self._writer.write(chunk)

    def close(self) -> None:
        self._writer.commit()

    def abort(self) -> None:
        self._writer.abort()
        self.erase()  # the dataset's folder, in a local storage

    def erase(self) -> None:
        """Remove the received object (a refused upload)."""
        self.storage.delete_tree(self.prefix)


def csv_options(sep: str | None, encoding: str | None) -> tuple[str | None, str | None]:
    """The separator and encoding a user gave for a CSV upload, checked (with the client's
    rules: :mod:`avatar_yaml.csv_reading`); ``UnprocessableError`` names what is wrong."""
    try:
        return (
            None if sep is None else check_separator(sep),
            None if encoding is None else check_encoding(encoding),
        )
    except ValueError as error:
        raise UnprocessableError(str(error)) from None


def register_upload(
    db: Session,
    storage: Storage,
    settings: Settings,
    user: User,
    sink: UploadSink,
    name: str,
    *,
    sep: str | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Validate the received file, store its typed copy beside it (see
    :mod:`~avatar_server.jobs.table_store`; skipped, with a log line, for a table that has
    no faithful one), then make both visible together with the dataset's database row.

    ``sep`` and ``encoding`` say how a CSV is written (checked names, see :func:`csv_options`);
    what is not given is detected, and either way stored with the dataset.

    On any failure the received object is removed, so storage never holds a file without its
    row (a crash before that leaves an orphan, which ``services.orphans`` erases).
    """
    try:
        fmt = detect_format(sink.head, encoding)
        if fmt is DatasetFormat.PARQUET and (sep is not None or encoding is not None):
            raise UnprocessableError(
                "sep and encoding say how a CSV file is written; this file is Parquet, which "
                "says it itself: upload it without them"
            )
        with storage.open_read(sink.key) as handle:
            schema = discover_schema(
                handle,
                fmt,
                max_rows=settings.max_rows,
                max_columns=settings.max_columns,
                max_decoded_bytes=settings.max_decoded_bytes,
                sep=sep,
                encoding=encoding,
            )
        store_table(
            storage,
            sink.key,
            sink.prefix,
            fmt,
            schema.columns,
            schema.dialect,
            rows_per_group=settings.batch_rows,
            max_decoded_bytes=settings.max_decoded_bytes,
        )
        dataset = Dataset(
            id=sink.dataset_id,
            user_id=user.id,
            name=name,
            format=fmt,
            storage_key=sink.key,
            size_bytes=sink.size,
            sha256=sink.sha256,
            rows=schema.rows,
            column_count=len(schema.columns),
            columns=schema.columns,
            csv_dialect=schema.dialect.to_json() if schema.dialect else None,
        )
        db.add(dataset)
        db.commit()
    except BaseException:
        db.rollback()
        sink.erase()
        raise
    return dataset


def list_datasets(db: Session, user: User) -> list[Dataset]:
    query = select(Dataset).where(Dataset.user_id == user.id).order_by(Dataset.created_at.desc())
    return list(db.scalars(query))


def get_dataset(db: Session, user: User, dataset_id: uuid.UUID) -> Dataset:
    """The user's own dataset; another user's answers exactly like a missing one."""
    dataset = db.scalar(select(Dataset).where(Dataset.id == dataset_id, Dataset.user_id == user.id))
    if dataset is None:
        raise NotFoundError("dataset not found")
    return dataset


def iter_dataset_bytes(storage: Storage, dataset: Dataset) -> Iterator[bytes]:
    if not storage.exists(dataset.storage_key):
        raise NotFoundError("the dataset's stored file is missing")
    return storage.iter_bytes(dataset.storage_key)


def delete_dataset(db: Session, storage: Storage, user: User, dataset_id: uuid.UUID) -> None:
    """Erase the stored files first: a failure then leaves a retryable row, never a stray file."""
    dataset = get_dataset(db, user, dataset_id)
    storage.delete_tree(stored_prefix(dataset))
    db.delete(dataset)
    db.commit()
