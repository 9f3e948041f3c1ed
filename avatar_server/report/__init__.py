"""The run report: HTML and PDF from one Jinja2 template, DOCX from the same context, in
English or French.

:func:`build_context` turns a run's results (:class:`ReportData`) into everything the report
says; :func:`render_page` makes it a self-contained HTML page (:func:`render_html` does both),
:func:`render_pdf` lays that page out on A4 pages and :func:`render_docx` writes the same
context as an editable Word document. The report job
(:func:`avatar_server.jobs.handlers.run_report`) gathers the results and writes the files.
"""

from __future__ import annotations

from avatar_server.report.builder import (
    ReportData,
    SeriesResults,
    TableResults,
    build_context,
    render_html,
    render_page,
    render_pdf,
)
from avatar_server.report.docx_document import render_docx
from avatar_server.report.formatting import format_number, format_percent, format_target

__all__ = [
    "ReportData",
    "SeriesResults",
    "TableResults",
    "build_context",
    "format_number",
    "format_percent",
    "format_target",
    "render_docx",
    "render_html",
    "render_page",
    "render_pdf",
]
