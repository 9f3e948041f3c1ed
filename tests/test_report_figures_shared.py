"""A run's report jobs share the figures they draw: each figure is looked up by a digest of
what it is drawn from, drawn only when missing, and kept in the storage beside the signal
job's results. A store that cannot be read or written never fails a report."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO

import pytest

from avatar_server.jobs.figure_store import StoredFigures
from avatar_server.jobs.results import job_prefix
from avatar_server.report import ReportData, TableResults, render_html
from avatar_server.storage import Storage
from avatar_yaml import AvatarizationParameters
from tests.test_figures import CORRELATIONS, SAMPLE, categorical, numeric


class CountingStore:
    """A store in memory that counts what it was asked."""

    def __init__(self) -> None:
        self.figures: dict[str, bytes] = {}
        self.hits = 0
        self.puts = 0

    def get(self, key: str) -> bytes | None:
        found = self.figures.get(key)
        self.hits += found is not None
        return found

    def put(self, key: str, png: bytes) -> None:
        self.puts += 1
        self.figures[key] = png


def report_data(language: str = "en") -> ReportData:
    table = TableResults(
        name="people",
        parameters=AvatarizationParameters(k=5),
        privacy={},
        signal={},
        run_metadata={"rows": 10, "columns": ["x", "y", "c"]},
        comparisons=[numeric("x"), numeric("y"), categorical("c")],
        correlations=CORRELATIONS,
        projection=SAMPLE,
    )
    return ReportData(run_name="run", tables=[table], language=language, software_version="1")


def images(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_a_second_report_of_the_same_results_draws_nothing() -> None:
    store = CountingStore()
    data = report_data()
    first = render_html(data, figures=store)
    drawn = store.puts
    assert drawn == 5  # distributions, both correlation sides, the difference, the projection
    second = render_html(data, figures=store)
    assert store.puts == drawn and store.hits == drawn
    assert images(second) == images(first) == images(render_html(data))
    # Another language is another figure; so is another software version.
    render_html(replace(data, language="fr"), figures=store)
    assert store.puts == 2 * drawn
    render_html(replace(data, software_version="2"), figures=store)
    assert store.puts == 3 * drawn


def test_stored_figures_live_with_the_signal_job_and_are_private(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "storage"))
    user = uuid.uuid4()
    figures = StoredFigures(storage, user, "job-signal")
    key = hashlib.sha256(b"a figure").hexdigest()
    assert figures.get(key) is None
    figures.put(key, b"\x89PNG bytes")
    assert figures.get(key) == b"\x89PNG bytes"
    path = tmp_path / "storage" / job_prefix(user, "job-signal") / "figures" / f"{key}.png"
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # complete, no unfinished write left over
    with pytest.raises(ValueError, match="SHA-256"):
        figures.get("../../other-user/secret")


class FailingStorage(Storage):
    """A storage whose every read and write fails, as a full or unreachable disk does."""

    @contextmanager
    def open_write(self, key: str) -> Iterator[IO[bytes]]:
        raise OSError(28, "No space left on device")
        yield  # pragma: no cover

    @contextmanager
    def open_read(self, key: str, *, exact: bool = False) -> Iterator[IO[bytes]]:
        raise OSError(5, "Input/output error")
        yield  # pragma: no cover


def test_a_store_that_fails_never_fails_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    figures = StoredFigures(FailingStorage(str(tmp_path / "storage")), uuid.uuid4(), "job")
    data = report_data()
    assert images(render_html(data, figures=figures)) == images(render_html(data))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 10  # each of the 5 figures: unreadable, then not kept
    assert all("drawn again" in w or "not kept" in w for w in warnings)
