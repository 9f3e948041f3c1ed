"""Figures comparing originals and avatars, drawn from the plot data the jobs store.

Every figure is a :class:`matplotlib.figure.Figure` built without pyplot: no global state is
touched, so the server can draw reports in worker threads and a notebook's own pyplot figures
are never disturbed. The data formats are plain JSON, so a client can draw the figures from
downloaded results without the original table.

Plot data formats
-----------------

``comparisons`` (result kind ``variable_comparisons``, ``<table>.comparisons.json``): a list,
one entry per variable::

    {"name": str, "kind": "continuous" | "discrete" | "datetime" | "boolean" | "categorical",
     "original": summary, "avatars": summary,
     "plot": {"type": "histogram", "edges": [e0, ..., en],
              "original": [density, ...], "avatars": [density, ...]}
           | {"type": "bar", "categories": [label, ...],
              "original": [share, ...], "avatars": [share, ...]}}

Histogram densities integrate to 1 over the edges (the originals' range; datetimes in seconds
since the epoch); the figure draws each bin's share of rows (density × width), which reads the
same way as the categories' shares. A numeric summary holds ``count`` and ``missing``. When a
few values lie far out, the edges cover a robust range instead and the plot also holds
``"beyond": {"original": n, "avatars": m}``, the values left out of the bars (the figure says
how many). A categorical summary holds ``distinct``, the count of modalities: the figure shows
the most frequent ones and pools the others in one "other (N modalities)" bar.

``correlations`` (result kind ``correlations``, ``<table>.correlations.json``)::

    {"columns": [name, ...], "original": [[a_ij, ...], ...], "avatars": [[...], ...],
     "method": str}

a square association matrix per side, in [-1, 1], ``null`` where undefined (a constant
column). The server's method is described in :func:`avatar_server.engine.signal.associations`.

``sample`` (result kind ``projection_sample``, ``<table>.projection_sample.json``)::

    {"original": {"x": [...], "y": [...]}, "avatars": {"x": [...], "y": [...]},
     "explained_variance_ratio": [r1, r2, ...], "rows": n, "sampled_rows": m}

coordinates on the first two axes of the projection fitted on the originals, for a seeded
sample of at most ``m`` rows of each side out of ``n``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
from matplotlib import colormaps, ticker
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from avatar_figures.labels import decimal, labels, percent
from avatar_figures.layout import (
    POINTS_PER_INCH,
    TEXT_PAD,
    place,
    rotated_extent,
    text_height,
    tick_labels,
    widest,
)

__all__ = [
    "AVATAR_COLOUR",
    "ORIGINAL_COLOUR",
    "correlation_difference_figure",
    "correlation_figure",
    "distribution_figure",
    "figure_png",
    "projection_figure",
]

# A blue and an orange: told apart by colour-blind readers and in greyscale print.
ORIGINAL_COLOUR = "#1f5fa8"
AVATAR_COLOUR = "#e8830c"
FIGURE_WIDTH = 7.5  # inches: the text width of an A4 page with usual margins
MAX_LABEL_CHARS = 14
# Layout, in points (see avatar_figures.layout): font sizes, then the room around texts.
_TICK_SIZE = 6.5
_TICK_LENGTH = 2.5
_TITLE_SIZE = 8.0
_AXIS_LABEL_SIZE = 7.0
_NOTE_SIZE = 6.3
_LABEL_PAD = 4.0  # matplotlib's default axes.labelpad
_MARGIN = 4.0  # points between the outermost texts and the figure's edge
_DEFAULT_TICK_LENGTH = 3.5  # matplotlib's default major tick length
_RIGHT_ROOM = 8.0  # for half of a last tick label centred on the axes' right end
PLOT_HEIGHT = 1.3 * POINTS_PER_INCH  # a distribution panel's plotting area
_COLUMN_GAP = 8.0
_ROW_GAP = 6.0
_LEGEND_BAND = 22.0
_TITLE_PAD = 6.0  # matplotlib's default axes.titlepad
HEATMAP_TITLE_SIZE = 9.0
_BAR_WIDTH = 10.0  # a heatmap's colour bar
_BAR_GAP = 6.0
SHOWN_MODALITIES = 10
MAX_HEATMAP_LABELS = 40
MAX_HEATMAP_ANNOTATIONS = 15
SPECIAL_MODALITIES = {"__other__": "other", "__missing__": "missing"}
_SECONDS_PER_DAY = 86_400.0

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


# --- shared helpers --------------------------------------------------------------------------


def floats(values: Sequence[float | None]) -> FloatArray:
    """JSON numbers as floats, ``null`` as NaN (the jobs write NaN as null)."""
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def shorten(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ScalarFormatter(ticker.ScalarFormatter):
    """Matplotlib's default tick labels, with the language's decimal mark."""

    def __init__(self, language: str) -> None:
        super().__init__(useOffset=False)
        self.language = language

    def __call__(self, x: float, pos: int | None = None) -> str:
        return decimal(super().__call__(x, pos), self.language)

    def get_offset(self) -> str:
        return decimal(super().get_offset(), self.language)


class _PercentFormatter(ticker.Formatter):
    """Shares in [0, 1] as percentages written as short as they are (``18%``, ``2.5%``),
    with the language's decimal mark and spacing."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = f"{x * 100:.2f}".rstrip("0").rstrip(".")
        text = decimal("0" if text == "-0" else text, self.language)
        return f"{text}\u00a0%" if self.language == "fr" else f"{text}%"


def _date_formatter(locator: mdates.AutoDateLocator, language: str) -> mdates.ConciseDateFormatter:
    """Numeric dates (no month names, which would need a locale): ISO order in English,
    day/month/year in French."""
    if language == "fr":
        formats = ["%Y", "%m/%Y", "%d/%m", "%H:%M", "%H:%M", "%S,%f"]
        zero = ["", "%Y", "%m/%Y", "%d/%m", "%H:%M", "%H:%M"]
        offset = ["", "%Y", "%m/%Y", "%d/%m/%Y", "%d/%m/%Y", "%d/%m/%Y %H:%M"]
    else:
        formats = ["%Y", "%Y-%m", "%m-%d", "%H:%M", "%H:%M", "%S.%f"]
        zero = ["", "%Y", "%Y-%m", "%m-%d", "%H:%M", "%H:%M"]
        offset = ["", "%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]
    # matplotlib.dates has no type annotations: the ignores below are for that only.
    return mdates.ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator, formats=formats, zero_formats=zero, offset_formats=offset
    )


def _epoch_days() -> float:
    """Matplotlib's date number of the Unix epoch (its own epoch is configurable)."""
    return float(mdates.date2num(datetime(1970, 1, 1, tzinfo=UTC)))  # type: ignore[no-untyped-call]


def empty_figure(figure: Figure, text: str) -> Figure:
    figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="#555555")
    return figure


def side_legend(figure: Figure, words: Mapping[str, str], *, lines: bool = False) -> None:
    """Originals and avatars, drawn as the figure draws them: a filled original and an
    avatar line (distributions), or two lines (series)."""
    original = (
        Line2D([0], [0], color=ORIGINAL_COLOUR, linewidth=2.0)
        if lines
        else Patch(facecolor=ORIGINAL_COLOUR, alpha=0.45, edgecolor=ORIGINAL_COLOUR)
    )
    handles = [original, Line2D([0], [0], color=AVATAR_COLOUR, linewidth=2.0)]
    figure.legend(
        handles,
        [words["original"], words["avatars"]],
        loc="upper center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=2,
        frameon=False,
        fontsize=9,
    )


# --- distributions ---------------------------------------------------------------------------


def _histogram_panel(ax: Axes, entry: Mapping[str, Any], language: str) -> float:
    """Draws the panel; returns the room its labels take below the axes, in points."""
    plot = entry["plot"]
    words = labels(language)
    edges = floats(plot["edges"])
    below = x_ticks_room()
    if edges.size < 2:
        ax.text(0.5, 0.5, words["no_data"], ha="center", va="center", transform=ax.transAxes)
        return below
    widths = np.diff(edges)
    original = np.nan_to_num(floats(plot["original"])) * widths
    avatars = np.nan_to_num(floats(plot["avatars"])) * widths
    is_date = entry.get("kind") == "datetime"
    x = edges / _SECONDS_PER_DAY + _epoch_days() if is_date else edges
    ax.stairs(original, x, fill=True, color=ORIGINAL_COLOUR, alpha=0.35, linewidth=0)
    ax.stairs(original, x, color=ORIGINAL_COLOUR, linewidth=0.9)
    ax.stairs(avatars, x, color=AVATAR_COLOUR, linewidth=1.5)
    if is_date:
        locator = mdates.AutoDateLocator(minticks=2, maxticks=4)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(_date_formatter(locator, language))
        below += text_height("0", _TICK_SIZE)  # the offset (year, day) under the dates
    else:
        # Edges at half-integers: one bin per integer value, so integer ticks only.
        integral = bool(np.allclose(np.mod(edges, 1.0), 0.5))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=4, integer=integral))
        ax.xaxis.set_major_formatter(ScalarFormatter(language))
    ax.set_ylim(bottom=0)
    return below + _notes(ax, entry, language)


def _missing_share(summary: Mapping[str, Any]) -> float:
    missing = float(summary.get("missing") or 0)
    total = missing + float(summary.get("count") or 0)
    return missing / total if total else 0.0


def _notes(ax: Axes, entry: Mapping[str, Any], language: str) -> float:
    """What the bars leave out, under the axis where it cannot cover a title or a bar:
    missing values (histograms leave gaps out) and values beyond a clipped axis. Returns the
    room the notes take."""
    words = labels(language)
    lines = []
    original = _missing_share(entry.get("original") or {})
    avatars = _missing_share(entry.get("avatars") or {})
    if original > 0 or avatars > 0:
        lines.append(
            words["missing_note"].format(
                original=percent(original, language), avatars=percent(avatars, language)
            )
        )
    beyond = entry["plot"].get("beyond") if entry.get("plot") else None
    if isinstance(beyond, Mapping):
        lines.append(
            words["beyond_note"].format(
                original=int(beyond.get("original") or 0), avatars=int(beyond.get("avatars") or 0)
            )
        )
    if not lines:
        return 0.0
    note = "\n".join(lines)
    ax.set_xlabel(note, fontsize=_NOTE_SIZE, color="#444444", labelpad=2)
    return 2.0 + text_height(note, _NOTE_SIZE)


def _category_label(category: str, language: str) -> str:
    words = labels(language)
    if category in SPECIAL_MODALITIES:
        return words[SPECIAL_MODALITIES[category]]
    if category in ("True", "False"):
        return words[category.lower()]
    return shorten(category)


def _top_modalities(
    entry: Mapping[str, Any], language: str, shown: int = SHOWN_MODALITIES
) -> tuple[list[str], FloatArray, FloatArray]:
    """The ``shown`` most frequent original modalities (missing values apart, always shown),
    the others pooled into one bar labelled with how many modalities it holds: dozens of
    thin bars with unreadable labels tell a reader nothing."""
    plot = entry["plot"]
    names = [str(c) for c in plot["categories"]]
    original = np.nan_to_num(floats(plot["original"]))
    avatars = np.nan_to_num(floats(plot["avatars"]))
    regular = [i for i, name in enumerate(names) if name not in SPECIAL_MODALITIES]
    missing = [i for i, name in enumerate(names) if name == "__missing__"]
    pooled = [i for i, name in enumerate(names) if name == "__other__"]
    if len(regular) > shown:
        order = sorted(regular, key=lambda i: -original[i])
        kept, rest = sorted(order[:shown]), order[shown:]
        pooled = pooled + rest
    else:
        kept = regular
    keep = kept + missing
    categories = [_category_label(names[i], language) for i in keep]
    values_o = [float(original[i]) for i in keep]
    values_a = [float(avatars[i]) for i in keep]
    if pooled:
        distinct = (entry.get("original") or {}).get("distinct")
        count = int(distinct) - len(kept) if isinstance(distinct, int | float) else None
        words = labels(language)
        if count is not None and count > 0:
            categories.append(words["other_modalities"].format(count=count))
        else:
            categories.append(words["other"])
        values_o.append(float(sum(original[i] for i in pooled)))
        values_a.append(float(sum(avatars[i] for i in pooled)))
    return categories, np.array(values_o), np.array(values_a)


class Overhang(NamedTuple):
    """How far a panel's first x label reaches left of its tick, in points, and where that
    tick sits, as a fraction of the panel's width from its left side."""

    reach: float
    tick: float


def _bar_panel(ax: Axes, entry: Mapping[str, Any], language: str) -> tuple[float, Overhang]:
    """Draws the panel; returns the room its labels take below the axes and the overhang of
    the first (slanted) label."""
    categories, original, avatars = _top_modalities(entry, language)
    if not categories:
        ax.text(0.5, 0.5, labels(language)["no_data"], ha="center", va="center")
        return _TICK_LENGTH + TEXT_PAD, Overhang(0.0, 0.0)
    positions = np.arange(len(categories), dtype=np.float64)
    width = 0.4
    ax.bar(positions - width / 2, original, width, color=ORIGINAL_COLOUR, alpha=0.75)
    ax.bar(positions + width / 2, avatars, width, color=AVATAR_COLOUR, alpha=0.9)
    many = len(categories) > 6
    rotation, size = (90.0, 5.5) if many else (30.0, 6.5)
    ax.set_xticks(
        positions,
        categories,
        rotation=rotation,
        ha="center" if many else "right",
        rotation_mode="default" if many else "anchor",
        fontsize=size,
    )
    ax.set_xlim(-0.6, len(categories) - 0.4)
    extents = [rotated_extent(category, size, rotation) for category in categories]
    below = _TICK_LENGTH + TEXT_PAD + max(vertical for _, vertical in extents)
    # A slanted label ends at its tick, so the whole of it lies left of the tick; an upright
    # one is centred on it.
    reach = extents[0][0] if not many else extents[0][0] / 2
    return below, Overhang(reach, 0.6 / (len(categories) + 0.2))


def x_ticks_room() -> float:
    """The room a grid panel's row of horizontal x tick labels takes below it, in points."""
    return _TICK_LENGTH + TEXT_PAD + text_height("0", _TICK_SIZE)


def dress_panel(ax: Axes, title: str, y_format: ticker.Formatter) -> float:
    """A grid panel's title, small ticks, four y ticks in ``y_format`` and open top and right;
    returns the room its y tick labels take left of it, in points."""
    ax.set_title(shorten(title, 32), fontsize=_TITLE_SIZE)
    ax.tick_params(labelsize=_TICK_SIZE, length=_TICK_LENGTH)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=4))
    ax.yaxis.set_major_formatter(y_format)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _TICK_LENGTH + TEXT_PAD + widest(tick_labels(ax.yaxis), _TICK_SIZE)


def distribution_figure(
    comparisons: list[dict[str, Any]], *, language: str = "en", columns: int = 3
) -> Figure:
    """One small panel per variable, original against avatars, in a grid of ``columns``.

    Numbers and dates: each bin's share of rows, originals filled, avatars as a line (so both
    stay visible where they overlap). Categories: side-by-side bars of modality shares.
    The figure is as tall as its rows need: each row gets the room its labels take below.
    """
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    words = labels(language)
    if not comparisons:
        return empty_figure(Figure(figsize=(FIGURE_WIDTH, 1.5)), words["no_variable"])
    columns = min(columns, len(comparisons))
    rows = math.ceil(len(comparisons) / columns)
    width = FIGURE_WIDTH if columns >= 3 else 2.6 * columns
    figure = Figure(figsize=(width, rows * 2.0))  # the height is set by place_grid
    grid = [figure.add_axes((0.0, 0.0, 1.0, 1.0)) for _ in range(rows * columns)]
    panels: list[Panel] = []
    for index, ax in enumerate(grid):
        if index >= len(comparisons):
            ax.set_axis_off()
            panels.append(Panel(ax, 0.0, 0.0, Overhang(0.0, 0.0)))
            continue
        entry = comparisons[index]
        overhang = Overhang(0.0, 0.0)
        if entry["plot"]["type"] == "histogram":
            below = _histogram_panel(ax, entry, language)
        else:
            below, overhang = _bar_panel(ax, entry, language)
        left = dress_panel(ax, str(entry["name"]), _PercentFormatter(language))
        if index % columns == 0:
            ax.set_ylabel(words["share"], fontsize=_AXIS_LABEL_SIZE)
            left += _LABEL_PAD + text_height(words["share"], _AXIS_LABEL_SIZE)
        panels.append(Panel(ax, left, below, overhang))
    side_legend(figure, words)
    place_grid(figure, panels, rows, columns)
    return figure


class Panel(NamedTuple):
    """A panel's axes and the room its labels take left of and below it, in points."""

    ax: Axes
    left: float
    below: float
    overhang: Overhang


def place_grid(figure: Figure, panels: Sequence[Panel], rows: int, columns: int) -> None:
    """Columns as wide as the figure allows once each column's left labels have their room;
    rows as tall as a plot plus their title and their tallest labels below; the figure's
    height set to the sum."""
    width = float(figure.get_size_inches()[0]) * POINTS_PER_INCH
    lefts = [max(p.left for p in panels[c::columns]) for c in range(columns)]
    share = (width - sum(lefts) - _MARGIN - _RIGHT_ROOM - (columns - 1) * _COLUMN_GAP) / columns
    # A slanted first label may reach further left than the tick labels: give it room.
    lefts = [
        max([lefts[c]] + [p.overhang.reach - p.overhang.tick * share for p in panels[c::columns]])
        for c in range(columns)
    ]
    share = max(
        1.0, (width - sum(lefts) - _MARGIN - _RIGHT_ROOM - (columns - 1) * _COLUMN_GAP) / columns
    )
    title = _TITLE_PAD + text_height("X", _TITLE_SIZE)
    belows = [max(p.below for p in panels[r * columns : (r + 1) * columns]) for r in range(rows)]
    height = _LEGEND_BAND + sum(title + PLOT_HEIGHT + b for b in belows) + rows * _ROW_GAP
    figure.set_size_inches(width / POINTS_PER_INCH, (height + _MARGIN) / POINTS_PER_INCH)
    top = height + _MARGIN - _LEGEND_BAND
    for r in range(rows):
        bottom = top - title - PLOT_HEIGHT
        x = _MARGIN
        for c in range(columns):
            x += lefts[c]
            panels[r * columns + c].ax.set_position(place(figure, x, bottom, share, PLOT_HEIGHT))
            x += share + _COLUMN_GAP
        top = bottom - belows[r] - _ROW_GAP


# --- correlations ----------------------------------------------------------------------------


def _matrix(correlations: Mapping[str, Any], side: str) -> FloatArray:
    columns = correlations["columns"]
    rows = correlations[side]
    matrix = np.array([floats(row) for row in rows], dtype=np.float64).reshape(
        len(rows), -1 if rows else 0
    )
    if matrix.shape != (len(columns), len(columns)):
        raise ValueError(
            f"the {side} matrix is {matrix.shape[0]}×{matrix.shape[1]} for {len(columns)} columns"
        )
    return matrix


def _heatmap(
    figure: Figure,
    matrix: FloatArray,
    columns: Sequence[str],
    *,
    limit: float,
    title: str,
    colourbar: str,
    language: str,
    annotate: bool | None,
) -> Figure:
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    palette = colormaps["RdBu_r"].with_extremes(bad="#d9d9d9")
    image = ax.imshow(
        np.ma.masked_invalid(matrix), cmap=palette, vmin=-limit, vmax=limit, aspect="equal"
    )
    size = len(columns)
    names: list[str] = []
    label_size = max(4.0, min(7.0, 80.0 / max(size, 1)))
    if size <= MAX_HEATMAP_LABELS:
        names = [shorten(str(c), 22) for c in columns]
        ax.set_xticks(range(size), names, rotation=90, fontsize=label_size)
        ax.set_yticks(range(size), names, fontsize=label_size)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    ax.tick_params(length=0)
    if annotate if annotate is not None else size <= MAX_HEATMAP_ANNOTATIONS:
        fontsize = 6.0 if size <= 10 else 4.5
        for (i, j), value in np.ndenumerate(matrix):
            if math.isnan(value):
                continue
            strong = abs(value) > 0.6 * limit
            ax.text(
                j,
                i,
                decimal(f"{value:.2f}", language),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if strong else "#222222",
            )
    ax.set_title(title, fontsize=HEATMAP_TITLE_SIZE)
    bar_ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    bar = figure.colorbar(image, cax=bar_ax)
    bar.set_label(colourbar, fontsize=7)
    bar.ax.tick_params(labelsize=6)
    bar.ax.yaxis.set_major_formatter(ScalarFormatter(language))
    _place_heatmap(figure, ax, bar_ax, widest(names, label_size))
    return figure


def _place_heatmap(figure: Figure, ax: Axes, bar_ax: Axes, label_width: float) -> None:
    """The square map as large as the figure allows once its labels (left and below, turned
    upright), its title and the colour bar with its tick labels and label have their room;
    the group centred. The bar is 80 % of the map's height, beside it."""
    width, height = (float(v) * POINTS_PER_INCH for v in figure.get_size_inches())
    labels_room = label_width + TEXT_PAD if label_width else 0.0
    left = _MARGIN + labels_room
    bottom = _MARGIN + labels_room
    top = _MARGIN + text_height("X", HEATMAP_TITLE_SIZE) + 6.0
    bar_ticks = widest(tick_labels(bar_ax.yaxis), 6.0)
    right = (
        _BAR_GAP + _BAR_WIDTH + TEXT_PAD + bar_ticks + TEXT_PAD + text_height("X", 7.0) + _MARGIN
    )
    side = max(1.0, min(width - left - right, height - bottom - top))
    left += max(0.0, (width - left - right - side) / 2)
    bottom += max(0.0, (height - bottom - top - side) / 2)
    ax.set_position(place(figure, left, bottom, side, side))
    bar_height = 0.8 * side
    bar_bottom = bottom + (side - bar_height) / 2
    bar_ax.set_position(place(figure, left + side + _BAR_GAP, bar_bottom, _BAR_WIDTH, bar_height))


def _heatmap_size(count: int) -> tuple[float, float]:
    """Room for long variable names below and left of the cells, growing with the count."""
    side = min(7.0, 3.0 + 0.12 * count)
    return side + 1.2, side + 0.6


def correlation_figure(
    correlations: dict[str, Any],
    side: str = "original",
    *,
    language: str = "en",
    annotate: bool | None = None,
    size: tuple[float, float] | None = None,
) -> Figure:
    """Heatmap of the association matrix of one side (``original`` or ``avatars``), on a
    fixed [-1, 1] scale so the two sides can be compared by eye. Cells carry their value
    when ``annotate`` is true (default: up to 15 variables, beyond which it is unreadable).
    ``size`` in inches (default: growing with the number of variables); the map and its
    labels are laid out for that size, so set it here rather than resizing the figure."""
    if side not in ("original", "avatars"):
        raise ValueError(f"side must be 'original' or 'avatars', got {side!r}")
    words = labels(language)
    columns = [str(c) for c in correlations["columns"]]
    figure = Figure(figsize=size or _heatmap_size(len(columns)))
    if not columns:
        return empty_figure(figure, words["no_variable"])
    return _heatmap(
        figure,
        _matrix(correlations, side),
        columns,
        limit=1.0,
        title=words[f"correlation_{side}"],
        colourbar=words["association"],
        language=language,
        annotate=annotate,
    )


def correlation_difference_figure(
    correlations: dict[str, Any],
    *,
    language: str = "en",
    annotate: bool | None = None,
    size: tuple[float, float] | None = None,
) -> Figure:
    """Heatmap of avatars − original. The colour scale spans the largest difference (at least
    0.1), so small losses are visible; the colour bar gives the actual scale. ``annotate``
    and ``size`` as in :func:`correlation_figure`."""
    words = labels(language)
    columns = [str(c) for c in correlations["columns"]]
    figure = Figure(figsize=size or _heatmap_size(len(columns)))
    if not columns:
        return empty_figure(figure, words["no_variable"])
    difference = _matrix(correlations, "avatars") - _matrix(correlations, "original")
    largest = float(np.nanmax(np.abs(difference))) if np.isfinite(difference).any() else 0.0
    limit = min(2.0, max(0.1, math.ceil(largest * 20) / 20))
    return _heatmap(
        figure,
        difference,
        columns,
        limit=limit,
        title=words["correlation_difference"],
        colourbar=words["difference"],
        language=language,
        annotate=annotate,
    )


# --- projection ------------------------------------------------------------------------------


def _points(side: Mapping[str, Any]) -> tuple[FloatArray, FloatArray]:
    x = floats(side.get("x") or [])
    y = floats(side.get("y") or [])
    if y.size != x.size:  # a one-axis projection: everything on the first axis
        y = np.zeros_like(x)
    return x, y


def projection_figure(sample: dict[str, Any], *, language: str = "en") -> Figure:
    """Originals and avatars on the first two axes of the originals' projection: avatars
    that cover the same cloud keep the multivariate structure; the axis labels give the share
    of the originals' variance each axis carries."""
    words = labels(language)
    figure = Figure(figsize=(6.4, 4.6))
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    x_o, y_o = _points(sample.get("original") or {})
    x_a, y_a = _points(sample.get("avatars") or {})
    if x_o.size == 0 and x_a.size == 0:
        figure.clear()
        return empty_figure(figure, words["no_data"])
    count = max(x_o.size, x_a.size)
    size = 10.0 if count <= 500 else 5.0
    ax.scatter(
        x_o, y_o, s=size, color=ORIGINAL_COLOUR, alpha=0.5, linewidths=0, label=words["original"]
    )
    ax.scatter(
        x_a, y_a, s=size, color=AVATAR_COLOUR, alpha=0.5, linewidths=0, label=words["avatars"]
    )
    ratios = [float(r) for r in sample.get("explained_variance_ratio") or []]
    for number, setter in ((1, ax.set_xlabel), (2, ax.set_ylabel)):
        if len(ratios) >= number:
            share = percent(ratios[number - 1], language)
            setter(words["axis"].format(number=number, share=share), fontsize=8)
        else:
            setter(words["axis_plain"].format(number=number), fontsize=8)
    rows = sample.get("rows")
    sampled = sample.get("sampled_rows")
    title = words["projection"]
    if isinstance(rows, int) and isinstance(sampled, int) and sampled < rows:
        title += "\n" + words["projection_sample"].format(shown=sampled, rows=rows)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_formatter(ScalarFormatter(language))
    ax.yaxis.set_major_formatter(ScalarFormatter(language))
    ax.grid(color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, markerscale=2.0, frameon=False, loc="best")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    _place_single(figure, ax, title)
    return figure


def _place_single(figure: Figure, ax: Axes, title: str) -> None:
    """One axes filling the figure once its title, axis labels and tick labels have room."""
    width, height = (float(v) * POINTS_PER_INCH for v in figure.get_size_inches())
    ticks = _DEFAULT_TICK_LENGTH + TEXT_PAD
    left = (
        _MARGIN
        + text_height(ax.get_ylabel(), 8.0)
        + _LABEL_PAD
        + widest(tick_labels(ax.yaxis), 7.0)
        + ticks
    )
    bottom = (
        _MARGIN + text_height(ax.get_xlabel(), 8.0) + _LABEL_PAD + text_height("0", 7.0) + ticks
    )
    top = _MARGIN + _TITLE_PAD + text_height(title, 9.0)
    ax.set_position(place(figure, left, bottom, width - left - _RIGHT_ROOM, height - bottom - top))


# --- output ----------------------------------------------------------------------------------


def figure_png(figure: Figure, dpi: int = 110) -> bytes:
    """The figure as an RGB PNG on white, through the Agg renderer whatever backend is
    active. No alpha channel: the figures are opaque, and a PDF writer splits every image
    with one into two (colour and mask), which cost a tenth of a report's PDF time."""
    canvas = FigureCanvasAgg(figure)
    dpi_before, face_before = figure.get_dpi(), figure.get_facecolor()
    figure.set_dpi(dpi)
    figure.set_facecolor("white")
    try:
        # The Agg canvas has no type annotations: the ignores are for that only.
        canvas.draw()  # type: ignore[no-untyped-call]
        rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
        image = Image.fromarray(rgba[..., :3])
    finally:
        figure.set_dpi(dpi_before)
        figure.set_facecolor(face_before)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
