"""What notebooks show for jobs and result files: small HTML tables instead of long reprs.

Jupyter renders an object's ``_repr_html_`` when it is a cell's value. The containers here are
plain ``dict`` and ``list`` subclasses, so code that indexes, iterates or compares the values
returned by :meth:`avatars.manager.Manager.get_last_jobs` and friends keeps working; only the
notebook view changes. Every value is escaped: job errors and file names come from the server
and from user data.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

from avatars_api.models import JobOut, ResultFileOut

from avatar_yaml import JobStatus

__all__ = ["JobList", "ResultFiles", "ResultSummaries", "html_table"]

_STATUS_COLOURS: dict[str, str] = {  # StrEnum keys: a status string finds its colour
    JobStatus.DONE: "#1a7f37",
    JobStatus.FAILED: "#cf222e",
    JobStatus.CANCELLED: "#9a6700",
    JobStatus.RUNNING: "#0969da",
    JobStatus.PENDING: "#57606a",
}


class _Markup(str):
    """Text that is already HTML (built here from escaped parts), not to be escaped again."""


def _cell(value: object, tag: str = "td") -> str:
    text = value if isinstance(value, _Markup) else html.escape("" if value is None else str(value))
    return f"<{tag}>{text}</{tag}>"


def html_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], caption: str | None = None
) -> str:
    """An HTML table of ``rows`` under ``headers``; cells are escaped unless built here.

    No styling beyond the status colours: notebooks style tables themselves, as they do
    DataFrames, so these look like the rest of the notebook.
    """
    head = "".join(_cell(header, "th") for header in headers)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def status_badge(status: str) -> str:
    """A job status in its colour, so a failed job stands out in a long list."""
    colour = _STATUS_COLOURS.get(status, "#57606a")
    return _Markup(f"<span style='color:{colour};font-weight:600'>{html.escape(status)}</span>")


def progress_text(job: JobOut) -> str:
    """``42 %`` and the stage the server reports, e.g. ``42 % (hidden_rate)``."""
    share = f"{min(max(job.progress, 0.0), 1.0):.0%}"
    stage = job.stage if job.stage and job.stage != str(job.status) else ""
    return f"{share} ({stage})" if stage and not job.done else share


def job_rows(jobs: Iterable[tuple[str, JobOut]]) -> list[list[object]]:
    return [
        [
            label,
            job.display_name,
            job.kind,
            status_badge(str(job.status)),
            progress_text(job),
            f"{job.created_at:%Y-%m-%d %H:%M:%S}",
            job.error or "",
        ]
        for label, job in jobs
    ]


JOB_HEADERS = ("job", "run", "kind", "status", "progress", "created", "error")


class JobList(dict[str, JobOut]):
    """Jobs by name (or, from a runner, by document name): a ``dict`` that notebooks show as
    a table of statuses and progress."""

    def _repr_html_(self) -> str:
        if not self:
            return "<em>no jobs</em>"
        return html_table(JOB_HEADERS, job_rows(self.items()))


class ResultFiles(list[ResultFileOut]):
    """The files one job produced: a ``list`` that notebooks show as a table."""

    def _repr_html_(self) -> str:
        if not self:
            return "<em>no result files</em>"
        rows = [
            [entry.kind, entry.table or "", entry.name, entry.file_format, _size(entry.size)]
            for entry in self
        ]
        return html_table(("kind", "table", "file", "format", "size"), rows)


class ResultSummaries(list[dict[str, list[str]]]):
    """One ``{result kind: [file names]}`` map per job, newest first: a ``list`` that notebooks
    show as one table."""

    def _repr_html_(self) -> str:
        if not self:
            return "<em>no results</em>"
        rows = [
            [index, kind, ", ".join(names)]
            for index, files in enumerate(self)
            for kind, names in files.items()
        ]
        return html_table(("#", "kind", "files"), rows)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def runner_html(
    display_name: str,
    set_name: str | None,
    tables: Sequence[tuple[str, tuple[object, object], dict[str, object]]],
    jobs: Callable[[], JobList],
    launched: dict[str, str],
) -> str:
    """A runner in a notebook: its ``(table, (rows, columns), parameters)`` and, once it ran,
    its jobs (``jobs`` is only called then; an unreachable server is shown, not raised)."""
    title = f"<strong>Runner {html.escape(display_name)}</strong>"
    if set_name is not None:
        title += f" <small>set {html.escape(set_name)}</small>"
    parts = [f"<div>{title}</div>"]
    rows = []
    for name, shape, chosen in tables:
        shown = ", ".join(f"{key}={value}" for key, value in chosen.items())
        rows.append([name, *shape, shown or "no parameters"])
    parts.append(
        html_table(("table", "rows", "columns", "parameters"), rows, caption="tables")
        if rows
        else "<div><em>no tables yet: add_table()</em></div>"
    )
    if not launched:
        parts.append("<div><em>not run yet: run()</em></div>")
        return "".join(parts)
    try:
        listed = jobs()
    except Exception as error:  # a repr must not raise: the server may be away
        parts.append(f"<div><em>jobs unavailable: {html.escape(str(error))}</em></div>")
    else:
        parts.append(html_table(JOB_HEADERS, job_rows(listed.items()), caption="jobs"))
    return "".join(parts)
