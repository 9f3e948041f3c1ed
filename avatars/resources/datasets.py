"""``client.datasets``: streamed upload and download of tables."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, cast

import pandas as pd
from avatars_api.api.datasets import (
    delete_dataset,
    get_dataset,
    list_datasets,
    upload_dataset,
)
from avatars_api.models import DatasetOut
from avatars_api.types import File

from avatar_yaml.csv_reading import check_encoding, check_separator
from avatars._http import HttpCore, api_path

TableSource = str | os.PathLike[str] | IO[bytes] | pd.DataFrame


@contextmanager
def _open_source(data: TableSource) -> Iterator[tuple[IO[bytes], str]]:
    """A readable binary stream for ``data`` and a default dataset name.

    A DataFrame is written to a temporary Parquet file first (types survive, and the upload
    streams from disk like any file).
    """
    if isinstance(data, pd.DataFrame):
        with tempfile.TemporaryFile() as handle:
            data.to_parquet(handle, index=False)
            handle.seek(0)
            yield handle, "dataframe"
    elif isinstance(data, str | os.PathLike):
        path = Path(data)
        with path.open("rb") as handle:
            yield handle, path.stem
    elif hasattr(data, "read"):
        name = Path(str(getattr(data, "name", "dataset"))).stem or "dataset"
        yield data, name
    else:
        raise TypeError(
            f"cannot upload a {type(data).__name__}: pass a path, a binary file object "
            "or a pandas DataFrame"
        )


class Datasets:
    def __init__(self, core: HttpCore) -> None:
        self._core = core

    def upload_dataset(
        self,
        data: TableSource,
        *,
        name: str | None = None,
        sep: str | None = None,
        encoding: str | None = None,
    ) -> DatasetOut:
        """Upload a CSV or Parquet table from a path, a binary file object or a DataFrame.

        The body is streamed, never read whole into memory. Returns the dataset with the schema
        the server discovered (rows, and per column: dtype, missing and distinct counts, and
        the column's role, such as ``id_like`` or ``direct_identifier``, with its reason) and,
        for a CSV, how it was read (``csv_dialect``: separator, quote character, encoding).

        A CSV's separator (among ``,`` ``;`` tab ``|``) and encoding (UTF-8, UTF-16 or UTF-32
        by a byte order mark, else Windows-1252, else Latin-1) are detected; ``sep`` (one
        character, ``"\\t"`` for a tab) and ``encoding`` (a Python codec name such as
        ``"latin-1"``) say them instead. A file that reads as one column whose header holds
        ``;``, a tab or ``|`` is refused unless ``sep`` is given. Raises ``ValueError`` for a
        separator or encoding that cannot be one, before anything is sent.
        """
        try:
            sep = None if sep is None else check_separator(sep)
            encoding = None if encoding is None else check_encoding(encoding)
        except ValueError as error:
            raise ValueError(f"uploading the table: {error}") from None
        if isinstance(data, pd.DataFrame) and (sep is not None or encoding is not None):
            raise ValueError(
                "uploading the table: sep and encoding say how a CSV file is written; a DataFrame "
                "is sent as Parquet, which needs neither"
            )
        with _open_source(data) as (handle, default_name):
            start = handle.tell() if handle.seekable() else None

            def rewind() -> None:
                if start is not None:
                    handle.seek(start)

            return self._core.call(
                upload_dataset.sync_detailed,
                DatasetOut,
                idempotent=False,
                rewind=rewind,
                body=File(payload=cast(BinaryIO, handle), file_name=default_name),
                name=name or default_name,
                sep=sep,
                encoding=encoding,
            )

    def list_datasets(self) -> list[DatasetOut]:
        """The signed-in user's datasets, newest first."""
        return cast(
            list[DatasetOut], self._core.call(list_datasets.sync_detailed, list, idempotent=True)
        )

    def get_dataset(self, dataset_id: uuid.UUID | str) -> DatasetOut:
        return self._core.call(
            get_dataset.sync_detailed,
            DatasetOut,
            idempotent=True,
            dataset_id=uuid.UUID(str(dataset_id)),
        )

    def download_dataset(
        self, dataset_id: uuid.UUID | str, destination: str | os.PathLike[str]
    ) -> Path:
        """Stream the stored file, byte for byte as uploaded, to ``destination``."""
        # Not the generated download_dataset: it reads the whole body into memory.
        path = api_path("datasets", uuid.UUID(str(dataset_id)), "download")
        return self._core.download_to(path, Path(destination), operation="download_dataset")

    def read_dataset(self, dataset_id: uuid.UUID | str) -> pd.DataFrame:
        """Download a dataset and read it as a DataFrame."""
        dataset = self.get_dataset(dataset_id)
        with tempfile.TemporaryDirectory() as folder:
            path = self.download_dataset(dataset.id, Path(folder) / f"data.{dataset.file_format}")
            if dataset.file_format == "parquet":
                return pd.read_parquet(path)
            dialect = dataset.csv_dialect
            if dialect is None:  # not sent for a CSV by this server; a default to be safe
                return pd.read_csv(path)
            return pd.read_csv(
                path,
                sep=dialect.delimiter,
                quotechar=dialect.quotechar,
                encoding=dialect.encoding,
                decimal=dialect.decimal,
            )

    def delete_dataset(self, dataset_id: uuid.UUID | str) -> None:
        """Delete the dataset; the server erases its stored file."""
        self._core.send(
            delete_dataset.sync_detailed, idempotent=True, dataset_id=uuid.UUID(str(dataset_id))
        )
