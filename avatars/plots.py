"""Plots of a run, drawn on the client from the plot data its jobs store.

The jobs keep small, anonymous summaries next to their results (binned distributions, the two
correlation matrices, a sample of projected points), never the original rows: so a runner
reloaded with :meth:`avatars.manager.Manager.create_runner_from_name`, on another machine and
without the original table, can draw the same figures as the report. The figures themselves
come from ``avatar_figures``, the package the server's report uses too, so a plot in a notebook
and the same plot in the PDF are one drawing.

:meth:`avatars.runner.Runner.render_plot` is the entry point; this module holds what it needs:
the kinds, where each kind's data lives, and the notebook display hook.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avatar_yaml import (
    PARAMETERS_NAME,
    SIGNAL_METRICS_NAME,
    ReportLanguage,
    ResultKind,
    job_words,
)
from avatar_yaml.fields import read_value
from avatars import plot_pages

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from avatars.results import RunResults

__all__ = [
    "SERIES_KINDS",
    "PlotKind",
    "PlotSource",
    "build_figure",
    "enable_notebook_display",
    "figure_png",
    "render_plot",
]


class PlotKind(StrEnum):
    """What :meth:`avatars.runner.Runner.render_plot` can draw."""

    DISTRIBUTION = "distribution"
    """Each variable's distribution, originals beside avatars (histogram or bar chart)."""
    CORRELATION = "correlation"
    """The correlation matrix of the originals, or of the avatars (``side="avatars"``)."""
    CORRELATION_DIFFERENCE = "correlation_difference"
    """Avatars minus originals, pair by pair: where the avatars loosen or tighten a relation."""
    PROJECTION_2D = "2d_projection"
    """Originals and avatars on the first two axes of the projection the method works in."""
    RAW_SERIES = "raw_series"
    """A series table: a few whole series of each side as measured, one panel per variable."""
    NORMALIZED_SERIES = "normalized_series"
    """A series table: every series on the common grid (time rescaled to [0, 1]), the median
    and 10-90 % band of each side at each point."""
    PROJECTION_3D = "3d_projection"
    """Originals and avatars on the first three axes (a projection of at least three axes)."""
    CONTRIBUTION = "contribution"
    """Each variable's contribution (in %) to each axis of the originals' projection."""
    CLASS_PROJECTION_2D = "class_projection_2d"
    """The 2-D projection coloured by a categorical variable (``variable=``), originals
    beside avatars."""
    AGGREGATE_STATS = "aggregate_stats"
    """Per-variable summary statistics, originals beside avatars: count, missing, mean, std,
    quantiles; each modality's number of rows for a category."""
    METRICS_SUMMARY = "metrics_summary"
    """The table's privacy and signal metrics, each against its target."""


@dataclass(frozen=True)
class PlotSource:
    """Where the data of a plot kind is stored: a result ``kind`` of one job of the run."""

    document: str  # the job's document name, as in Runner.jobs
    result_kind: ResultKind


SOURCES: dict[PlotKind, PlotSource] = {
    PlotKind.DISTRIBUTION: PlotSource(SIGNAL_METRICS_NAME, ResultKind.VARIABLE_COMPARISONS),
    PlotKind.CORRELATION: PlotSource(SIGNAL_METRICS_NAME, ResultKind.CORRELATIONS),
    PlotKind.CORRELATION_DIFFERENCE: PlotSource(SIGNAL_METRICS_NAME, ResultKind.CORRELATIONS),
    PlotKind.PROJECTION_2D: PlotSource(PARAMETERS_NAME, ResultKind.PROJECTION_SAMPLE),
    PlotKind.RAW_SERIES: PlotSource(SIGNAL_METRICS_NAME, ResultKind.RAW_SERIES),
    PlotKind.NORMALIZED_SERIES: PlotSource(SIGNAL_METRICS_NAME, ResultKind.NORMALIZED_SERIES),
    PlotKind.PROJECTION_3D: PlotSource(PARAMETERS_NAME, ResultKind.PROJECTION_SAMPLE),
    PlotKind.CONTRIBUTION: PlotSource(PARAMETERS_NAME, ResultKind.PROJECTION_SAMPLE),
    PlotKind.CLASS_PROJECTION_2D: PlotSource(PARAMETERS_NAME, ResultKind.PROJECTION_SAMPLE),
    PlotKind.AGGREGATE_STATS: PlotSource(SIGNAL_METRICS_NAME, ResultKind.VARIABLE_COMPARISONS),
}
"""Where each kind's data is; ``metrics_summary`` reads both metrics jobs' results instead."""

SERIES_KINDS = frozenset({PlotKind.RAW_SERIES, PlotKind.NORMALIZED_SERIES})
"""The kinds drawn for a series table, and the only ones: its curves are features of its
persons, it has no distributions, correlations or projection of its own."""

SIDES = ("original", "avatars")


def build_figure(
    kind: PlotKind, data: Any, *, side: str, language: str, variable: str | None = None
) -> Figure:
    """The figure of ``kind`` from its stored data (see :data:`SOURCES`)."""
    # Imported here: matplotlib takes a noticeable time to import, and most sessions never plot.
    import avatar_figures

    if kind is PlotKind.DISTRIBUTION:
        return avatar_figures.distribution_figure(list(data), language=language)
    if kind is PlotKind.CORRELATION:
        return avatar_figures.correlation_figure(data, side, language=language)
    if kind is PlotKind.CORRELATION_DIFFERENCE:
        return avatar_figures.correlation_difference_figure(data, language=language)
    if kind is PlotKind.RAW_SERIES:
        return avatar_figures.raw_series_figure(data, language=language)
    if kind is PlotKind.NORMALIZED_SERIES:
        return avatar_figures.normalized_series_figure(data, language=language)
    if kind is PlotKind.PROJECTION_3D:
        return avatar_figures.projection_3d_figure(data, language=language)
    if kind is PlotKind.CONTRIBUTION:
        return avatar_figures.contribution_figure(data["contributions"], language=language)
    if kind is PlotKind.CLASS_PROJECTION_2D:
        assert variable is not None  # checked by _check_options
        return avatar_figures.class_projection_figure(data, variable, language=language)
    if kind is PlotKind.AGGREGATE_STATS:
        return avatar_figures.aggregate_stats_figure(list(data), language=language)
    return avatar_figures.projection_figure(data, language=language)


def _check_options(plot: PlotKind, table_name: str, side: str, variable: str | None) -> None:
    """Refuse an option the kind does not take, so that no argument is silently ignored."""
    if side not in SIDES:
        raise ValueError(f"side: unknown value {side!r}; allowed: {', '.join(SIDES)}")
    if side != "original" and plot is not PlotKind.CORRELATION:
        raise ValueError("side chooses the matrix of a correlation plot only")
    if variable is not None and plot is not PlotKind.CLASS_PROJECTION_2D:
        raise ValueError("variable names the colouring variable of class_projection_2d only")
    if variable is None and plot is PlotKind.CLASS_PROJECTION_2D:
        raise ValueError(
            f"class_projection_2d needs variable=: a categorical column of {table_name!r} "
            "whose categories colour the points"
        )


def _check_data(plot: PlotKind, table_name: str, data: Any, variable: str | None) -> None:
    """Refuse clearly what the stored data cannot draw (data from an older server, a
    numeric or unknown colouring variable)."""
    again = "runs made by a server without this plot data need to run again"
    if plot is PlotKind.CONTRIBUTION and "contributions" not in data:
        raise ValueError(f"the standard job stored no contributions for {table_name!r}: {again}")
    if plot is PlotKind.PROJECTION_3D and "z" not in (data.get("original") or {}):
        axes = len(data.get("explained_variance_ratio") or [])
        if axes and axes < 3:
            raise ValueError(
                f"3d_projection needs three axes, and the projection of {table_name!r} has "
                f"{axes}: set_parameters({table_name!r}, ncp=3) or more, and run again"
            )
        raise ValueError(f"the standard job stored no third axis for {table_name!r}: {again}")
    if plot is not PlotKind.CLASS_PROJECTION_2D:
        return
    classes = data.get("classes")
    if classes is None:
        raise ValueError(
            f"the standard job stored no categories for {table_name!r}: tables avatarized "
            f"in streamed batches have none, and {again}"
        )
    if variable in classes:
        return
    refusal = (data.get("class_refusals") or {}).get(variable)
    if refusal is not None and refusal.get("reason") == "numeric":
        raise ValueError(
            f"class_projection_2d: {variable!r} is numeric; colour by a categorical variable "
            f"({', '.join(classes) or 'the table has none'}), or declare it one "
            f"(add_table(..., types={{{variable!r}: ColumnType.CATEGORY}})) and run again"
        )
    if refusal is not None:
        raise ValueError(
            f"class_projection_2d: {variable!r} has {refusal.get('count')} categories, more "
            "than the plot can tell apart by colour; group rare ones (GroupModalitiesProcessor) "
            f"or choose another ({', '.join(classes) or 'none'})"
        )
    raise ValueError(
        f"class_projection_2d: {table_name!r} has no column {variable!r}; categorical "
        f"columns: {', '.join(classes) or 'none'}"
    )


def _metrics_rows(results: RunResults, table_name: str) -> list[dict[str, Any]]:
    """Each metric of the table with its value, target and verdict (as metrics_summary)."""
    import numpy as np  # here for the same reason as matplotlib: plotting is rare

    summary = results.metrics_summary([table_name])
    rows = []
    for metric in summary["value"].columns:
        value = summary["value", metric].iloc[0]
        target = summary["target", metric].iloc[0]
        passed = summary["passed", metric].iloc[0]
        try:
            number: float | None = float(value)
        except (TypeError, ValueError):
            number = None
        rows.append(
            {
                "metric": str(metric),
                "value": None if number is None or number != number else number,
                "target": None if target is None or target != target else str(target),
                "passed": bool(passed) if isinstance(passed, bool | np.bool_) else None,
            }
        )
    return rows


def render_plot(
    results: RunResults,
    table_name: str,
    kind: PlotKind | str,
    *,
    side: str,
    language: ReportLanguage,
    path: str | os.PathLike[str] | None,
    series_table: bool = False,
    variable: str | None = None,
    open_in_browser: bool = False,
    pages: bool = True,
) -> Figure:
    """The figure of ``kind`` for a table, from the run's stored plot data (see
    :meth:`avatars.runner.Runner.render_plot`); also written as PNG to ``path`` if given, and
    as a standalone HTML page with ``open_in_browser``, a ``.html`` path, or outside a
    notebook (unless ``pages`` is False).
    ``series_table``: the table is a series table (series kinds only, and only for one)."""
    plot = read_value(PlotKind, kind, "plot kind")
    if series_table and plot not in SERIES_KINDS:
        raise ValueError(
            f"table {table_name!r} is a series table: its plots are raw_series and "
            f"normalized_series ({plot.value} plots are drawn for its persons' table)"
        )
    if not series_table and plot in SERIES_KINDS:
        raise ValueError(
            f"{plot.value} plots are drawn for series tables only, and {table_name!r} is not one"
        )
    _check_options(plot, table_name, side, variable)
    if plot is PlotKind.METRICS_SUMMARY:
        import avatar_figures

        figure = avatar_figures.metrics_summary_figure(
            table_name, _metrics_rows(results, table_name), language=language.value
        )
    else:
        source = SOURCES[plot]
        if source.document not in results.jobs:
            raise ValueError(
                f"{plot.value} plots come from the {job_words(source.document)}, and "
                f"{results.missing_job(source.document)}"
            )
        found = results.entry(source.document, source.result_kind, table_name)
        if found is None:
            raise ValueError(
                f"the {source.document} job stored no {source.result_kind} data for table "
                f"{table_name!r}: was the table avatarized in this run? (runs from a server "
                "without plot data need to run again)"
            )
        job_name, entry = found
        data = results.read_json(job_name, entry)
        _check_data(plot, table_name, data, variable)
        figure = build_figure(plot, data, side=side, language=language.value, variable=variable)
    stem = ".".join([table_name, plot.value] + ([_file_safe(variable)] if variable else []))
    if path is not None and Path(path).suffix.lower() != ".html":
        destination = Path(path)
        if destination.is_dir():
            destination = destination / f"{stem}.png"
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(figure_png(figure))
    page_asked = path is not None and Path(path).suffix.lower() == ".html"
    by_default = pages and not plot_pages.in_notebook()
    if open_in_browser or page_asked or by_default:
        page = plot_pages.page_destination(path, stem)
        title = f"{table_name} — {plot.value}" + (f" ({variable})" if variable else "")
        plot_pages.write_page(plot_pages.plot_page(figure, title, language=language.value), page)
        if open_in_browser:
            plot_pages.open_page(page)
    enable_notebook_display()
    return figure


def _file_safe(name: str) -> str:
    """A column name as part of a file name: ``/``, ``..``, ``:`` and the like replaced, and a
    short hash of the name added when anything was, so two names never share a file."""
    safe = re.sub(r"[^\w.-]", "_", name).strip(".") or "_"
    if safe == name:
        return safe
    return f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def figure_png(figure: Figure) -> bytes:
    """The figure as PNG, at the resolution the report uses."""
    import avatar_figures

    return avatar_figures.figure_png(figure)


def enable_notebook_display() -> None:
    """Make matplotlib figures display as images in the running IPython/Jupyter session.

    A ``matplotlib.figure.Figure`` has no image repr of its own: Jupyter shows one as an image
    only once the inline backend has registered a PNG formatter for the type, which happens
    when ``matplotlib.pyplot`` is imported, and ``avatar_figures`` does not use pyplot. Without
    this, ``runner.render_plot(...)`` as a cell's value would print ``<Figure size ...>``.
    Registering a formatter (rather than calling ``display()`` here) shows the figure once, as
    the cell's value, like any other object; outside IPython this does nothing.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return
    shell = ipython.get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters.get("image/png")
    if formatter is None:
        return
    from matplotlib.figure import Figure

    try:
        formatter.lookup_by_type(Figure)
    except KeyError:  # nothing registered yet (no pyplot in this session)
        formatter.for_type(Figure, figure_png)
