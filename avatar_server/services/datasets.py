"""Datasets: atomic streamed upload, schema discovery, listing, streamed download, erasure."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from avatar_server.db.models import Dataset, DatasetFormat, User
from avatar_server.services.errors import NotFoundError, TooLargeError, UnprocessableError
from avatar_server.services.tables import detect_format, discover_schema
from avatar_server.settings import Settings
from avatar_server.storage import Storage
from avatar_yaml.csv_reading import check_encoding, check_separator

_HEAD_BYTES = 4096


class UploadSink:
    """Receives an upload's chunks into a temporary storage object, counting and hashing them."""

    def __init__(self, storage: Storage, max_bytes: int) -> None:
        self.storage = storage
        self.max_bytes = max_bytes
        self.temp_key = storage.new_temp_key()
        self.size = 0
        self.head = b""
        self._sha = hashlib.sha256()
        self._context = storage.open_write(self.temp_key)
        self._handle = self._context.__enter__()

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
        self._handle.write(chunk)

    def close(self) -> None:
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        try:
            self._context.__exit__(None, None, None)
        finally:
            self.storage.delete(self.temp_key)


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
    """Validate the received file, then make it visible together with its database row.

    ``sep`` and ``encoding`` say how a CSV is written (checked names, see :func:`csv_options`);
    what is not given is detected, and either way stored with the dataset.

    On any failure both the temporary and the published object are removed, so storage never
    holds a file without its row.
    """
    published: str | None = None
    try:
        fmt = detect_format(sink.head, encoding)
        if fmt is DatasetFormat.PARQUET and (sep is not None or encoding is not None):
            raise UnprocessableError(
                "sep and encoding say how a CSV file is written; this file is Parquet, which "
                "says it itself: upload it without them"
            )
        with storage.open_read(sink.temp_key) as handle:
            schema = discover_schema(
                handle,
                fmt,
                max_rows=settings.max_rows,
                max_columns=settings.max_columns,
                max_decoded_bytes=settings.max_decoded_bytes,
                sep=sep,
                encoding=encoding,
            )
        dataset_id = uuid.uuid4()
        extension = "csv" if fmt is DatasetFormat.CSV else "parquet"
        dataset = Dataset(
            id=dataset_id,
            user_id=user.id,
            name=name,
            format=fmt,
            storage_key=f"datasets/{user.id}/{dataset_id}.{extension}",
            size_bytes=sink.size,
            sha256=sink.sha256,
            rows=schema.rows,
            column_count=len(schema.columns),
            columns=schema.columns,
            csv_dialect=schema.dialect.to_json() if schema.dialect else None,
        )
        db.add(dataset)
        db.flush()
        storage.publish(sink.temp_key, dataset.storage_key)
        published = dataset.storage_key
        db.commit()
    except BaseException:
        db.rollback()
        storage.delete(sink.temp_key)
        if published is not None:
            storage.delete(published)
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
    """Erase the stored file first: a failure then leaves a retryable row, never a stray file."""
    dataset = get_dataset(db, user, dataset_id)
    storage.delete(dataset.storage_key)
    db.delete(dataset)
    db.commit()
