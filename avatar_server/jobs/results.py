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
from typing import Any

import pandas as pd

from avatar_server.storage import Storage
from avatar_yaml.spreadsheet_safety import CSV_LINE_END
from avatar_yaml.vocabulary import escape_table_name

TABLE_FORMATS = ("csv", "parquet")


def job_prefix(user_id: uuid.UUID, job_name: str) -> str:
    return f"results/{user_id}/{job_name}"


def file_key(user_id: uuid.UUID, job_name: str, entry: dict[str, Any]) -> str:
    return f"{job_prefix(user_id, job_name)}/{entry['attempt']}/{entry['name']}"


def table_bytes(frame: pd.DataFrame, file_format: str) -> bytes:
    buffer = io.BytesIO()
    if file_format == "parquet":
        frame.to_parquet(buffer, index=False)
    else:
        frame.to_csv(buffer, index=False, lineterminator=CSV_LINE_END)
    return buffer.getvalue()


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
        # Settings.test_hook_result_pause_seconds: fault tests kill the worker between files.
        self.test_pause_s = test_pause_s

    @property
    def prefix(self) -> str:
        return f"{job_prefix(self.user_id, self.job_name)}/{self.attempt}"

    def write(self, kind: str, table: str | None, name: str, data: bytes, file_format: str) -> None:
        if any(entry["name"] == name for entry in self.files):
            raise ValueError(f"result file {name!r} written twice")
        with self.storage.open_write(f"{self.prefix}/{name}") as handle:
            handle.write(data)
        self.files.append(
            {
                "kind": kind,
                "table": table,
                "name": name,
                "format": file_format,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "attempt": self.attempt,
            }
        )
        if self.test_pause_s > 0:
            time.sleep(self.test_pause_s)

    def write_table(
        self, kind: str, table: str, suffix: str, frame: pd.DataFrame, fmt: str
    ) -> None:
        name = f"{escape_table_name(table)}.{suffix}.{fmt}"
        self.write(kind, table, name, table_bytes(frame, fmt), fmt)

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
