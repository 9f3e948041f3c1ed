"""``client.results``: the files a finished job produced, downloaded as streams."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from avatars_api.api.results import get_results
from avatars_api.models import ResultFileOut, ResultsOut

from avatar_yaml.spreadsheet_safety import neutralize_csv_file
from avatars._http import HttpCore, api_path


class Results:
    def __init__(self, core: HttpCore) -> None:
        self._core = core

    def get_results(self, job_name: str) -> ResultsOut:
        """The job's files (kind, table, name, format, size, sha256); 409 until it is done."""
        return self._core.call(
            get_results.sync_detailed, ResultsOut, idempotent=True, job_name=job_name
        )

    @staticmethod
    def file_path(job_name: str, file_name: str) -> str:
        """The API path one result file downloads from (``GET``, streamed)."""
        return api_path("results", job_name, "files", file_name)

    def file_url(self, job_name: str, file_name: str) -> str:
        """The full URL of one result file: a ``GET`` with this client's credentials
        (``Authorization`` header) streams it."""
        return f"{self._core.root_url}{self.file_path(job_name, file_name)}"

    def download_file(
        self,
        job_name: str,
        file_name: str,
        destination: str | os.PathLike[str],
        *,
        neutralize_formulas: bool = True,
    ) -> Path:
        """Stream one result file to ``destination`` (it appears only once complete).

        A CSV file is meant to be opened in a spreadsheet: its text cells beginning with
        ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get an apostrophe in front, so
        that they are not run as formulas (numbers are never touched; see
        :mod:`avatar_yaml.spreadsheet_safety`). ``neutralize_formulas=False`` keeps the bytes
        exactly as the server stored them."""
        # Not the generated download_result: it reads the whole body into memory.
        path = self.file_path(job_name, file_name)
        target = Path(destination)
        if not (neutralize_formulas and file_name.lower().endswith(".csv")):
            return self._core.download_to(path, target, operation="download_result")
        partial = target.with_name(target.name + ".download")
        try:
            self._core.download_to(path, partial, operation="download_result")
            neutralize_csv_file(partial)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def read_bytes(self, job_name: str, file_name: str) -> bytes:
        """The file exactly as stored (for analysis: nothing is neutralized)."""
        with tempfile.TemporaryDirectory() as folder:
            result = Path(folder) / "result"
            self.download_file(job_name, file_name, result, neutralize_formulas=False)
            return result.read_bytes()

    def read_table(self, job_name: str, entry: ResultFileOut) -> pd.DataFrame:
        payload = io.BytesIO(self.read_bytes(job_name, entry.name))
        if entry.file_format == "parquet":
            return pd.read_parquet(payload)
        return pd.read_csv(payload)

    def read_json(self, job_name: str, entry: ResultFileOut) -> Any:
        return json.loads(self.read_bytes(job_name, entry.name))
