"""Figures of time series, originals against avatars, from the series plot data the jobs store
(:mod:`avatar_server.engine.series_metrics` describes both formats):

- ``raw_series``: a few whole series of each side as they were measured, one panel per value
  variable — what one series looks like;
- ``normalized_series``: every series on the common grid (time rescaled to [0, 1] within each
  series), summarised per side by the median and the 10–90 % band across series at each point —
  whether the avatars keep the level, the spread and the shape over time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from avatar_figures.figures import (
    AVATAR_COLOUR,
    FIGURE_WIDTH,
    ORIGINAL_COLOUR,
    Overhang,
    Panel,
    ScalarFormatter,
    dress_panel,
    empty_figure,
    floats,
    place_grid,
    side_legend,
    x_ticks_room,
)
from avatar_figures.labels import labels
from avatar_figures.layout import text_height

__all__ = ["normalized_series_figure", "raw_series_figure"]

_COLUMNS = 2


def _grid(
    variables: list[str],
    draw: Callable[[Axes, str], None],
    x_label: str,
    language: str,
) -> Figure:
    """One panel per variable, two to a row, laid out as the distribution grid is."""
    words = labels(language)
    if not variables:
        return empty_figure(Figure(figsize=(FIGURE_WIDTH, 1.5)), words["no_variable"])
    columns = min(_COLUMNS, len(variables))
    rows = math.ceil(len(variables) / columns)
    width = FIGURE_WIDTH if columns == _COLUMNS else FIGURE_WIDTH / 2 + 0.6
    figure = Figure(figsize=(width, 2.0 * rows))
    panels = []
    for index in range(rows * columns):
        ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        if index >= len(variables):
            ax.set_axis_off()
            panels.append(Panel(ax, 0.0, 0.0, Overhang(0.0, 0.0)))
            continue
        draw(ax, variables[index])
        left = dress_panel(ax, variables[index], ScalarFormatter(language))
        ax.set_xlabel(x_label, fontsize=7.0, labelpad=2.0)
        below = x_ticks_room() + 2.0 + text_height(x_label, 7.0)
        panels.append(Panel(ax, left, below, Overhang(0.0, 0.0)))
    side_legend(figure, words, lines=True)
    place_grid(figure, panels, rows, columns)
    return figure


def raw_series_figure(plot: Mapping[str, Any], *, language: str = "en") -> Figure:
    """A few whole series of each side per variable (plot kind ``raw_series``), on the time
    column's scale (dates as epoch seconds are drawn as numbers of days since 1970)."""
    words = labels(language)
    variables = [str(v) for v in plot.get("variables") or []]

    def draw(ax: Axes, variable: str) -> None:
        for side, colour in (("original", ORIGINAL_COLOUR), ("avatars", AVATAR_COLOUR)):
            for series in plot.get(side) or []:
                ax.plot(
                    floats(series["t"]),
                    floats(series[variable]),
                    color=colour,
                    linewidth=0.9,
                    alpha=0.7,
                )
        ax.xaxis.set_major_formatter(ScalarFormatter(language))

    return _grid(variables, draw, words["time"], language)


def normalized_series_figure(plot: Mapping[str, Any], *, language: str = "en") -> Figure:
    """Per variable and side, the median (line) and the 10–90 % band (shaded) across series at
    each point of the common grid (plot kind ``normalized_series``)."""
    words = labels(language)
    grid = floats(plot.get("grid") or [])
    variables: Mapping[str, Any] = plot.get("variables") or {}

    def draw(ax: Axes, variable: str) -> None:
        for side, colour in (("original", ORIGINAL_COLOUR), ("avatars", AVATAR_COLOUR)):
            low, median, high = (floats(row) for row in variables[variable][side])
            ax.fill_between(grid, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(grid, median, color=colour, linewidth=1.5)
        ax.set_xlim(0.0, 1.0)
        ax.xaxis.set_major_formatter(ScalarFormatter(language))

    return _grid(list(variables), draw, words["series_position"], language)
