"""Result files of one job attempt.

An attempt writes under its own prefix (``results/<user>/<job>/<attempt>/``); the list of files
(the manifest) reaches the job row only in the update that marks the job done. A rerun or a
crashed attempt therefore never mixes files with a committed one, and its prefix is erased.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import pandas as pd

from avatar_server.storage import Storage
from avatar_yaml.spreadsheet_safety import CSV_LINE_END
from avatar_yaml.vocabulary import escape_table_name

TABLE_FORMATS = ("csv", "parquet")


def job_prefix(user_id: uuid.UUID, job_name: str) -> str:
    return f"results/{user_id}/{job_name}"


def file_key(user_id: uuid.UUID, job_name: str, entry: dict[str, Any]) -> str:
    return f"{job_prefix(user_id, job_name)}/{entry['attempt']}/{entry['name']}"


def table_file_name(table: str, suffix: str, file_format: str) -> str:
    """The name of a table's result file (the table name escaped for a file name)."""
    return f"{escape_table_name(table)}.{suffix}.{file_format}"


def table_bytes(frame: pd.DataFrame, file_format: str) -> bytes:
    buffer = io.BytesIO()
    if file_format == "parquet":
        frame.to_parquet(buffer, index=False)
    else:
        frame.to_csv(buffer, index=False, lineterminator=CSV_LINE_END)
    return buffer.getvalue()


class DigestingWriter:
    """A binary handle that counts and hashes what goes through it to the object it wraps, so
    a streamed file's manifest entry (size, sha256) never needs the object read back."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:
            raise ValueError("write to a closed result file")
        self._digest.update(data)
        self._handle.write(data)
        written = memoryview(data).nbytes
        self.size += written
        return written

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._handle.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        """Refuse further writes. The object itself is committed (or aborted) only by the
        :meth:`ResultWriter.stream` that opened it: whatever writes into this handle cannot
        finish the object early by closing it."""
        self.closed = True

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


class ResultWriter:
    """Writes one attempt's files and lists them for the manifest."""

    def __init__(
        self,
        storage: Storage,
        user_id: uuid.UUID,
        job_name: str,
        attempt: int,
        *,
        test_pause_s: float = 0.0,
    ) -> None:
        self.storage = storage
        self.user_id = user_id
        self.job_name = job_name
        self.attempt = attempt
        self.files: list[dict[str, Any]] = []
        self._open_names: set[str] = set()
        # Settings.test_hook_result_pause_seconds: fault tests kill the worker between files.
        self.test_pause_s = test_pause_s

    @property
    def prefix(self) -> str:
        return f"{job_prefix(self.user_id, self.job_name)}/{self.attempt}"

    @contextmanager
    def stream(
        self, kind: str, table: str | None, name: str, file_format: str
    ) -> Iterator[DigestingWriter]:
        """Write result file ``name`` through the handle this yields, without holding it whole.

        The file is listed (with its size and hash, computed as the bytes go by) only when the
        block ends normally; if it raises, the object is not written and nothing is listed.
        """
        if name in self._open_names or any(entry["name"] == name for entry in self.files):
            raise ValueError(f"result file {name!r} written twice")
        self._open_names.add(name)
        try:
            with self.storage.open_write(f"{self.prefix}/{name}") as handle:
                digesting = DigestingWriter(handle)
                yield digesting
                digesting.close()
        finally:
            self._open_names.discard(name)
        self.files.append(
            {
                "kind": kind,
                "table": table,
                "name": name,
                "format": file_format,
                "size": digesting.size,
                "sha256": digesting.sha256,
                "attempt": self.attempt,
            }
        )
        if self.test_pause_s > 0:
            time.sleep(self.test_pause_s)

    def write(self, kind: str, table: str | None, name: str, data: bytes, file_format: str) -> None:
        with self.stream(kind, table, name, file_format) as handle:
            handle.write(data)

    def write_table(
        self, kind: str, table: str, suffix: str, frame: pd.DataFrame, fmt: str
    ) -> None:
        self.write(kind, table, table_file_name(table, suffix, fmt), table_bytes(frame, fmt), fmt)

    def write_json(self, kind: str, table: str | None, name: str, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False).encode()
        self.write(kind, table, name, data, "json")

    def discard(self) -> None:
        self.storage.delete_tree(self.prefix)

    def discard_earlier_attempts(self) -> None:
        """Erase what crashed attempts of this job left: never listed, but still stored.

        Only the worker holding the job calls this, before writing; no earlier attempt can be
        committed then (a job is claimed only while pending).
        """
        prefix = job_prefix(self.user_id, self.job_name)
        for attempt in self.storage.children(prefix):
            if attempt != str(self.attempt):
                self.storage.delete_tree(f"{prefix}/{attempt}")
