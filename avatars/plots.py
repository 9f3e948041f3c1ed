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

import os
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
}

SERIES_KINDS = frozenset({PlotKind.RAW_SERIES, PlotKind.NORMALIZED_SERIES})
"""The kinds drawn for a series table, and the only ones: its curves are features of its
persons, it has no distributions, correlations or projection of its own."""

SIDES = ("original", "avatars")


def build_figure(kind: PlotKind, data: Any, *, side: str, language: str) -> Figure:
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
    return avatar_figures.projection_figure(data, language=language)


def render_plot(
    results: RunResults,
    table_name: str,
    kind: PlotKind | str,
    *,
    side: str,
    language: ReportLanguage,
    path: str | os.PathLike[str] | None,
    series_table: bool = False,
) -> Figure:
    """The figure of ``kind`` for a table, from the run's stored plot data (see
    :meth:`avatars.runner.Runner.render_plot`); also written as PNG to ``path`` if given.
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
    if side not in SIDES:
        raise ValueError(f"side: unknown value {side!r}; allowed: {', '.join(SIDES)}")
    if side != "original" and plot is not PlotKind.CORRELATION:
        raise ValueError("side chooses the matrix of a correlation plot only")
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
    figure = build_figure(
        plot, results.read_json(job_name, entry), side=side, language=language.value
    )
    if path is not None:
        destination = Path(path)
        if destination.is_dir():
            destination = destination / f"{table_name}.{plot.value}.png"
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(figure_png(figure))
    enable_notebook_display()
    return figure


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
