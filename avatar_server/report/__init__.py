"""The run report: HTML and PDF from one Jinja2 template, in English or French.

:func:`render_html` turns a run's results (:class:`ReportData`) into a self-contained HTML page;
:func:`render_pdf` lays that same page out on A4 pages. The report job
(:func:`avatar_server.jobs.handlers.run_report`) gathers the results and writes both files.
"""

from __future__ import annotations

from avatar_server.report.builder import (
    ReportData,
    SeriesResults,
    TableResults,
    build_context,
    render_html,
    render_pdf,
)
from avatar_server.report.formatting import format_number, format_percent, format_target

__all__ = [
    "ReportData",
    "SeriesResults",
    "TableResults",
    "build_context",
    "format_number",
    "format_percent",
    "format_target",
    "render_html",
    "render_pdf",
]
