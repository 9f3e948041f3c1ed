"""The jobs of a run and what they produced: waiting, listing, downloading, each once.

:class:`RunResults` is the part of a :class:`~avatars.runner.Runner` that talks to the jobs and
results endpoints. It knows the run's jobs by document name (``standard``, ``report_pia``...),
waits for a job the first time one of its results is asked for (long-polls with a progress
bar), lists its files once and keeps each downloaded file, so asking twice costs nothing.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from avatars_api.models import BulkDeleteResponse

from avatar_yaml import (
    ADVICE_NAME,
    DOCUMENT_OF_JOB_KIND,
    JOB_WORDS,
    PARAMETERS_NAME,
    PRIVACY_METRICS_NAME,
    REPORT_NAMES,
    SIGNAL_METRICS_NAME,
    JobKind,
    ReportFormat,
    ReportType,
    ResultKind,
    job_words,
    report_name,
)
from avatars._waiting import wait_for_job
from avatars.display import JobList
from avatars.errors import ConflictError

if TYPE_CHECKING:
    from avatars_api.models import JobOut, ResultFileOut

    from avatars.client import ApiClient

_WORK_ORDER = [
    PARAMETERS_NAME,
    SIGNAL_METRICS_NAME,
    PRIVACY_METRICS_NAME,
    *REPORT_NAMES.values(),
    ADVICE_NAME,
]
_KIND_OF_DOCUMENT: dict[str, JobKind] = {
    document: kind for kind, document in DOCUMENT_OF_JOB_KIND.items()
} | dict.fromkeys(REPORT_NAMES.values(), JobKind.REPORT)
_REPORT_SUFFIXES = {
    ".pdf": ReportFormat.PDF,
    ".html": ReportFormat.HTML,
    ".htm": ReportFormat.HTML,
    ".docx": ReportFormat.DOCX,
}
# Keys of a metrics result that are not metrics.
_NOT_METRICS = frozenset({"metadata", "targets", "passed", "details"})
_METRICS_SOURCES = (
    (PRIVACY_METRICS_NAME, ResultKind.PRIVACY_METRICS),
    (SIGNAL_METRICS_NAME, ResultKind.SIGNAL_METRICS),
)


# A job named by the words messages use for it ("avatarization" is the standard job).
_DOCUMENT_OF_WORDS = {words: document for document, words in JOB_WORDS.items()}
# Result files read as DataFrames; JSON files are parsed, other files are documents.
_TABLE_FORMATS = ("csv", "parquet")


def _standalone(computations: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's own metrics among its computations (multi-table runs add others)."""
    for entry in computations:
        if (entry.get("metadata") or {}).get("computation_type") in (None, "standalone"):
            return entry
    return computations[0] if computations else {}


def cancel_unfinished(client: ApiClient, job_names: Sequence[str]) -> list[JobOut]:
    """Cancel the unfinished jobs among ``job_names``; returns them as the server answered.

    Newest first, so dependents go before the jobs they wait for: cancelling a parent first
    would fail them before they could be cancelled. A job that finishes meanwhile is left out.
    """
    jobs = client.jobs.get_jobs(names=list(job_names)).jobs  # newest first
    cancelled = []
    for job in jobs:
        try:
            if client.jobs.get_job(job.name).done:
                continue
            cancelled.append(client.jobs.cancel_job(job.name))
        except ConflictError:  # finished meanwhile
            continue
    return cancelled


class RunResults:
    """The jobs of one run (document name → job name) and a cache of their results."""

    def __init__(self, client: ApiClient, label: str, show_progress: bool | None) -> None:
        self.client = client
        self.label = label
        self.show_progress = show_progress
        self.jobs: dict[str, str] = {}
        self._finished: set[str] = set()  # job names known to be done
        self._files: dict[str, list[ResultFileOut]] = {}  # job name -> its result files
        self._downloads: dict[tuple[str, str], Any] = {}  # (job, file name) -> parsed content

    # -- the jobs ----------------------------------------------------------------------------

    def adopt(self, jobs: Iterable[JobOut]) -> None:
        """Take over a stored run's jobs, newest first: the newest of each document wins."""
        self.jobs = {}
        for job in jobs:
            self.jobs.setdefault(job.parameters_name, job.name)

    def launch(self, set_name: str, document: str, parents: Sequence[str] = ()) -> str:
        """Create the job of ``document``, waiting on the jobs of ``parents`` (documents)."""
        depends_on = [self.jobs[parent] for parent in parents]
        self.jobs[document] = self.client.jobs.create_job(set_name, document, depends_on).name
        return self.jobs[document]

    def forget_runs(self) -> list[str]:
        """Forget the jobs of previous runs (advice aside); returns their documents."""
        previous = [name for name in self.jobs if name != ADVICE_NAME]
        for name in previous:
            del self.jobs[name]
        return previous

    def job_name(self, job: JobKind | str) -> str:
        """The server's name of one of the run's jobs, given as a kind (``standard``), a
        document name (``report_pia``), the words messages use for it (``avatarization``)
        or the job name itself."""
        if isinstance(job, JobKind):
            document = DOCUMENT_OF_JOB_KIND[job]
        elif isinstance(job, str):
            if job in self.jobs.values():
                return job
            document = _DOCUMENT_OF_WORDS.get(job, job)  # "avatarization": standard
        else:
            raise TypeError(f"expected a JobKind or a job name, got {type(job).__name__}")
        if document not in self.jobs:
            raise ValueError(self.missing_job(document))
        return self.jobs[document]

    def missing_job(self, document: str) -> str:
        """Why this runner has no job for ``document``, in the user's words, and what to call."""
        words = job_words(document)
        if document == ADVICE_NAME:
            return f"this runner has not asked for the {words} yet: call advise_parameters() first"
        if document not in JOB_WORDS:
            known = ", ".join(self.jobs) or "none yet"
            return f"this runner has no job {document!r} (its jobs: {known})"
        if not any(name != ADVICE_NAME for name in self.jobs):
            return f"this runner has not run the {words} yet: call run() first"
        kind = _KIND_OF_DOCUMENT[document]
        return (
            f"this runner's last run did not include the {words}: run() runs it by default, "
            f"and jobs_to_run=[...] must name JobKind.{kind.name}"
        )

    def document_of(self, job: JobKind | str) -> str:
        name = self.job_name(job)
        return next(document for document, known in self.jobs.items() if known == name)

    def selected(self, job_names: Sequence[JobKind | str] | JobKind | str | None) -> list[str]:
        """The job names meant: every job of the run (None), one (a kind or a name: a bare
        string is one job, never its letters), or each of a list."""
        if job_names is None:
            return list(self.jobs.values())
        if isinstance(job_names, str):
            return [self.job_name(job_names)]
        return [self.job_name(job) for job in job_names]

    def ordered_documents(self) -> list[str]:
        return sorted(
            self.jobs,
            key=lambda name: _WORK_ORDER.index(name) if name in _WORK_ORDER else len(_WORK_ORDER),
        )

    def job_list(self) -> JobList:
        """The run's jobs, by document in the order they run; deleted jobs are left out."""
        names = list(self.jobs.values())
        found = {job.name: job for job in self.client.jobs.get_jobs(names=names).jobs}
        return JobList(
            (document, found[self.jobs[document]])
            for document in self.ordered_documents()
            if self.jobs[document] in found
        )

    def cancel(
        self, job_names: Sequence[JobKind | str] | JobKind | str | None = None
    ) -> list[JobOut]:
        """Cancel the unfinished jobs (or those named); see :func:`cancel_unfinished`."""
        return cancel_unfinished(self.client, self.selected(job_names))

    def delete(
        self, job_names: Sequence[JobKind | str] | JobKind | str | None = None
    ) -> BulkDeleteResponse:
        """Delete the jobs (or those named) and their results on the server."""
        names = self.selected(job_names)
        answer = self.client.jobs.bulk_delete_jobs(names)
        gone = set(names) - set(answer.failed_jobs)
        for document, name in list(self.jobs.items()):
            if name in gone:
                del self.jobs[document]
                self._files.pop(name, None)
        return answer

    # -- results -----------------------------------------------------------------------------

    def files(self, document: str) -> tuple[str, list[ResultFileOut]]:
        """Wait for the job of ``document`` and list its files (once)."""
        name = self.job_name(document)
        if name not in self._finished:
            label = f"{self.label}: {job_words(document)}"
            wait_for_job(self.client, name, show_progress=self.show_progress, label=label)
            self._finished.add(name)
        if name not in self._files:
            self._files[name] = list(self.client.results.get_results(name).files)
        return name, self._files[name]

    def entry(
        self, document: str, kind: ResultKind, table_name: str | None
    ) -> tuple[str, ResultFileOut] | None:
        """The job name and the ``kind`` file of ``table_name`` (None: the file of the whole
        run), or None if the job wrote none."""
        job_name, files = self.files(document)
        for entry in files:
            if entry.kind == kind and entry.table == table_name:
                return job_name, entry
        return None

    def required_entry(
        self, document: str, kind: ResultKind, table_name: str
    ) -> tuple[str, ResultFileOut]:
        found = self.entry(document, kind, table_name)
        if found is not None:
            return found
        _, files = self.files(document)
        tables = sorted({str(entry.table) for entry in files if entry.kind == kind})
        raise ValueError(
            f"the {job_words(document)} has no {kind} result for table {table_name!r} "
            f"(tables with one: {', '.join(tables) or 'none'}); was it given parameters?"
        )

    def read_json(self, job_name: str, entry: ResultFileOut) -> Any:
        key = (job_name, entry.name)
        if key not in self._downloads:
            self._downloads[key] = self.client.results.read_json(job_name, entry)
        return copy.deepcopy(self._downloads[key])

    def table(self, document: str, kind: ResultKind, table_name: str) -> pd.DataFrame:
        job_name, entry = self.required_entry(document, kind, table_name)
        key = (job_name, entry.name)
        if key not in self._downloads:
            self._downloads[key] = self.client.results.read_table(job_name, entry)
        frame: pd.DataFrame = self._downloads[key]
        return frame.copy()

    def value(self, job_name: str, entry: ResultFileOut) -> Any:
        """A result file's content, read once: a DataFrame for a table (CSV or Parquet),
        the parsed document for JSON. A report (PDF, HTML, DOCX) is a document to save, not
        data to read: ValueError pointing to ``download_report``."""
        if entry.file_format == "json":
            return self.read_json(job_name, entry)
        if entry.file_format not in _TABLE_FORMATS:
            raise ValueError(
                f"result {entry.name!r} is a {entry.file_format} document, not data to read: "
                "save it with download_report(path)"
            )
        key = (job_name, entry.name)
        if key not in self._downloads:
            self._downloads[key] = self.client.results.read_table(job_name, entry)
        frame: pd.DataFrame = self._downloads[key]
        return frame.copy()

    def specific(self, document: str, kind: ResultKind, table_name: str) -> Any:
        """The ``kind`` result of ``table_name`` written by the job of ``document`` (see
        :meth:`avatars.runner.Runner.get_specific_result`)."""
        job_name, files = self.files(document)
        of_kind = [entry for entry in files if entry.kind == kind]
        chosen = [entry for entry in of_kind if entry.table == table_name] or [
            entry
            for entry in of_kind
            if entry.table is None  # a result of the whole run
        ]
        if not chosen:
            written = sorted({str(entry.kind) for entry in files})
            raise ValueError(
                f"the {job_words(document)} job wrote no {kind.value} result for table "
                f"{table_name!r} (it wrote: {', '.join(written) or 'nothing'})"
            )
        values = [self.value(job_name, entry) for entry in chosen]
        return values[0] if len(values) == 1 else values

    def urls(self, document: str, kind: ResultKind) -> list[str]:
        """Where each ``kind`` file of the job of ``document`` downloads from (with the
        client's credentials); empty if it wrote none."""
        job_name, files = self.files(document)
        return [
            self.client.results.file_url(job_name, entry.name)
            for entry in files
            if entry.kind == kind
        ]

    def json(self, document: str, kind: ResultKind, table_name: str) -> list[dict[str, Any]]:
        job_name, entry = self.required_entry(document, kind, table_name)
        payload = self.read_json(job_name, entry)
        return payload if isinstance(payload, list) else [payload]

    def download_report(
        self,
        path: str | os.PathLike[str] | None,
        report_type: ReportType,
        report_format: ReportFormat | None = None,
    ) -> Path | list[Path]:
        """Save a report (see :meth:`avatars.runner.Runner.download_report`)."""
        document = report_name(report_type)
        target = Path.cwd() if path is None else Path(path)
        both = path is None or target.is_dir() or not target.suffix
        by_suffix = _REPORT_SUFFIXES.get(target.suffix.lower())
        if not both and by_suffix is None:
            raise ValueError(
                f"report path {str(target)!r}: the suffix decides the format, use .pdf, .html "
                "or .docx (privacy-impact report only), or a folder for every file"
            )
        if not both and report_format is not None and report_format is not by_suffix:
            raise ValueError(
                f"report path {str(target)!r} names a {by_suffix} file but format= asks for "
                f"{report_format}: give a path ending in .{report_format.value}, or a folder"
            )
        wanted = by_suffix if not both else report_format
        if wanted is ReportFormat.DOCX and report_type is not ReportType.PIA:
            raise ValueError(
                f"the {report_type.value} report has no DOCX (it is PDF and HTML): the "
                "privacy-impact document, which a DPO completes and signs, has one: "
                "download_report(..., report_type='pia')"
            )
        job_name, files = self.files(document)
        reports = [entry for entry in files if entry.kind == ResultKind.REPORT]
        if not reports:
            raise ValueError(f"the {job_words(document)} job produced no report file")
        if both:
            target.mkdir(parents=True, exist_ok=True)
            return [
                self.client.results.download_file(job_name, entry.name, target / entry.name)
                for entry in reports
                if wanted is None or _REPORT_SUFFIXES.get(Path(entry.name).suffix.lower()) is wanted
            ]
        matching = [
            e for e in reports if _REPORT_SUFFIXES.get(Path(e.name).suffix.lower()) is wanted
        ]
        if len(matching) > 1:
            tables = ", ".join(str(entry.table) for entry in matching)
            raise ValueError(
                f"the {job_words(document)} job wrote one {str(wanted).upper()} document per "
                f"table ({tables}): give a folder to download them all"
            )
        for entry in matching:
            return self.client.results.download_file(job_name, entry.name, target)
        written = ", ".join(entry.name for entry in reports)
        raise ValueError(
            f"the {job_words(document)} job wrote no {str(wanted).upper()} file (it wrote: "
            f"{written})"
        )

    def metrics_summary(self, tables: Sequence[str]) -> pd.DataFrame:
        """Every metric of ``tables``, one row per table (see
        :meth:`avatars.runner.Runner.metrics_summary`)."""
        sources = [(doc, kind) for doc, kind in _METRICS_SOURCES if doc in self.jobs]
        if not sources:
            raise ValueError(
                "this run has no metrics job: run() with JobKind.PRIVACY_METRICS and "
                "JobKind.SIGNAL_METRICS"
            )
        metrics: list[str] = []
        rows: dict[str, dict[tuple[str, str], Any]] = {}
        for table in tables:
            row: dict[tuple[str, str], Any] = {}
            for document, kind in sources:
                entry = _standalone(self.json(document, kind, table))
                for name, value in entry.items():
                    if name in _NOT_METRICS:
                        continue
                    if name not in metrics:
                        metrics.append(name)
                    row["value", name] = math.nan if value is None else value
                    row["target", name] = (entry.get("targets") or {}).get(name)
                    row["passed", name] = (entry.get("passed") or {}).get(name)
            rows[table] = row
        columns = pd.MultiIndex.from_tuples(
            [(view, name) for view in ("value", "target", "passed") for name in metrics],
            names=["view", "metric"],
        )
        summary = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
        summary.index.name = "table"
        return summary
