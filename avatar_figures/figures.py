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
from typing import Any

import numpy as np
from matplotlib import colormaps, ticker
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from avatar_figures.labels import decimal, labels, percent

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
PANEL_HEIGHT = 1.95
LEGEND_HEIGHT = 0.45
MAX_LABEL_CHARS = 14
SHOWN_MODALITIES = 10
MAX_HEATMAP_LABELS = 40
MAX_HEATMAP_ANNOTATIONS = 15
SPECIAL_MODALITIES = {"__other__": "other", "__missing__": "missing"}
_SECONDS_PER_DAY = 86_400.0

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


# --- shared helpers --------------------------------------------------------------------------


def _floats(values: Sequence[float | None]) -> FloatArray:
    """JSON numbers as floats, ``null`` as NaN (the jobs write NaN as null)."""
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _ScalarFormatter(ticker.ScalarFormatter):
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


def _empty(figure: Figure, text: str) -> Figure:
    figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="#555555")
    return figure


def _legend(figure: Figure, words: Mapping[str, str]) -> None:
    handles = [
        Patch(facecolor=ORIGINAL_COLOUR, alpha=0.45, edgecolor=ORIGINAL_COLOUR),
        Line2D([0], [0], color=AVATAR_COLOUR, linewidth=2.0),
    ]
    figure.legend(
        handles,
        [words["original"], words["avatars"]],
        loc="outside upper center",
        ncols=2,
        frameon=False,
        fontsize=9,
    )


# --- distributions ---------------------------------------------------------------------------


def _histogram_panel(ax: Axes, entry: Mapping[str, Any], language: str) -> None:
    plot = entry["plot"]
    words = labels(language)
    edges = _floats(plot["edges"])
    if edges.size < 2:
        ax.text(0.5, 0.5, words["no_data"], ha="center", va="center", transform=ax.transAxes)
        return
    widths = np.diff(edges)
    original = np.nan_to_num(_floats(plot["original"])) * widths
    avatars = np.nan_to_num(_floats(plot["avatars"])) * widths
    is_date = entry.get("kind") == "datetime"
    x = edges / _SECONDS_PER_DAY + _epoch_days() if is_date else edges
    ax.stairs(original, x, fill=True, color=ORIGINAL_COLOUR, alpha=0.35, linewidth=0)
    ax.stairs(original, x, color=ORIGINAL_COLOUR, linewidth=0.9)
    ax.stairs(avatars, x, color=AVATAR_COLOUR, linewidth=1.5)
    if is_date:
        locator = mdates.AutoDateLocator(minticks=2, maxticks=4)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(_date_formatter(locator, language))
    else:
        # Edges at half-integers: one bin per integer value, so integer ticks only.
        integral = bool(np.allclose(np.mod(edges, 1.0), 0.5))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=4, integer=integral))
        ax.xaxis.set_major_formatter(_ScalarFormatter(language))
    ax.set_ylim(bottom=0)
    _notes(ax, entry, language)


def _missing_share(summary: Mapping[str, Any]) -> float:
    missing = float(summary.get("missing") or 0)
    total = missing + float(summary.get("count") or 0)
    return missing / total if total else 0.0


def _notes(ax: Axes, entry: Mapping[str, Any], language: str) -> None:
    """What the bars leave out, under the axis where it cannot cover a title or a bar:
    missing values (histograms leave gaps out) and values beyond a clipped axis."""
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
    if lines:
        ax.set_xlabel("\n".join(lines), fontsize=6.3, color="#444444", labelpad=2)


def _category_label(category: str, language: str) -> str:
    words = labels(language)
    if category in SPECIAL_MODALITIES:
        return words[SPECIAL_MODALITIES[category]]
    if category in ("True", "False"):
        return words[category.lower()]
    return _short(category)


def _top_modalities(
    entry: Mapping[str, Any], language: str, shown: int = SHOWN_MODALITIES
) -> tuple[list[str], FloatArray, FloatArray]:
    """The ``shown`` most frequent original modalities (missing values apart, always shown),
    the others pooled into one bar labelled with how many modalities it holds: dozens of
    thin bars with unreadable labels tell a reader nothing."""
    plot = entry["plot"]
    names = [str(c) for c in plot["categories"]]
    original = np.nan_to_num(_floats(plot["original"]))
    avatars = np.nan_to_num(_floats(plot["avatars"]))
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


def _bar_panel(ax: Axes, entry: Mapping[str, Any], language: str) -> None:
    categories, original, avatars = _top_modalities(entry, language)
    if not categories:
        ax.text(0.5, 0.5, labels(language)["no_data"], ha="center", va="center")
        return
    positions = np.arange(len(categories), dtype=np.float64)
    width = 0.4
    ax.bar(positions - width / 2, original, width, color=ORIGINAL_COLOUR, alpha=0.75)
    ax.bar(positions + width / 2, avatars, width, color=AVATAR_COLOUR, alpha=0.9)
    many = len(categories) > 6
    ax.set_xticks(
        positions,
        categories,
        rotation=90 if many else 30,
        ha="center" if many else "right",
        rotation_mode="default" if many else "anchor",
        fontsize=5.5 if many else 6.5,
    )
    ax.set_xlim(-0.6, len(categories) - 0.4)


def distribution_figure(
    comparisons: list[dict[str, Any]], *, language: str = "en", columns: int = 3
) -> Figure:
    """One small panel per variable, original against avatars, in a grid of ``columns``.

    Numbers and dates: each bin's share of rows, originals filled, avatars as a line (so both
    stay visible where they overlap). Categories: side-by-side bars of modality shares.
    """
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    words = labels(language)
    if not comparisons:
        return _empty(Figure(figsize=(FIGURE_WIDTH, 1.5)), words["no_variable"])
    columns = min(columns, len(comparisons))
    rows = math.ceil(len(comparisons) / columns)
    width = FIGURE_WIDTH if columns >= 3 else 2.6 * columns
    figure = Figure(figsize=(width, rows * PANEL_HEIGHT + LEGEND_HEIGHT), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(grid.flat):
        if index >= len(comparisons):
            ax.set_axis_off()
            continue
        entry = comparisons[index]
        if entry["plot"]["type"] == "histogram":
            _histogram_panel(ax, entry, language)
        else:
            _bar_panel(ax, entry, language)
        ax.set_title(_short(str(entry["name"]), 32), fontsize=8)
        ax.tick_params(labelsize=6.5, length=2.5)
        ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=4))
        ax.yaxis.set_major_formatter(_PercentFormatter(language))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in grid[:, 0]:
        ax.set_ylabel(words["share"], fontsize=7)
    _legend(figure, words)
    return figure


# --- correlations ----------------------------------------------------------------------------


def _matrix(correlations: Mapping[str, Any], side: str) -> FloatArray:
    columns = correlations["columns"]
    rows = correlations[side]
    matrix = np.array([_floats(row) for row in rows], dtype=np.float64).reshape(
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
    ax = figure.subplots()
    palette = colormaps["RdBu_r"].with_extremes(bad="#d9d9d9")
    image = ax.imshow(
        np.ma.masked_invalid(matrix), cmap=palette, vmin=-limit, vmax=limit, aspect="equal"
    )
    size = len(columns)
    if size <= MAX_HEATMAP_LABELS:
        names = [_short(str(c), 22) for c in columns]
        fontsize = max(4.0, min(7.0, 80.0 / max(size, 1)))
        ax.set_xticks(range(size), names, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(size), names, fontsize=fontsize)
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
    ax.set_title(title, fontsize=9)
    bar = figure.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
    bar.set_label(colourbar, fontsize=7)
    bar.ax.tick_params(labelsize=6)
    bar.ax.yaxis.set_major_formatter(_ScalarFormatter(language))
    return figure


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
) -> Figure:
    """Heatmap of the association matrix of one side (``original`` or ``avatars``), on a
    fixed [-1, 1] scale so the two sides can be compared by eye. Cells carry their value
    when ``annotate`` is true (default: up to 15 variables, beyond which it is unreadable)."""
    if side not in ("original", "avatars"):
        raise ValueError(f"side must be 'original' or 'avatars', got {side!r}")
    words = labels(language)
    columns = [str(c) for c in correlations["columns"]]
    figure = Figure(figsize=_heatmap_size(len(columns)), layout="constrained")
    if not columns:
        return _empty(figure, words["no_variable"])
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
    correlations: dict[str, Any], *, language: str = "en", annotate: bool | None = None
) -> Figure:
    """Heatmap of avatars − original. The colour scale spans the largest difference (at least
    0.1), so small losses are visible; the colour bar gives the actual scale. ``annotate`` as
    in :func:`correlation_figure`."""
    words = labels(language)
    columns = [str(c) for c in correlations["columns"]]
    figure = Figure(figsize=_heatmap_size(len(columns)), layout="constrained")
    if not columns:
        return _empty(figure, words["no_variable"])
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
    x = _floats(side.get("x") or [])
    y = _floats(side.get("y") or [])
    if y.size != x.size:  # a one-axis projection: everything on the first axis
        y = np.zeros_like(x)
    return x, y


def projection_figure(sample: dict[str, Any], *, language: str = "en") -> Figure:
    """Originals and avatars on the first two axes of the originals' projection: avatars
    that cover the same cloud keep the multivariate structure; the axis labels give the share
    of the originals' variance each axis carries."""
    words = labels(language)
    figure = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = figure.subplots()
    x_o, y_o = _points(sample.get("original") or {})
    x_a, y_a = _points(sample.get("avatars") or {})
    if x_o.size == 0 and x_a.size == 0:
        figure.clear()
        return _empty(figure, words["no_data"])
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
    ax.xaxis.set_major_formatter(_ScalarFormatter(language))
    ax.yaxis.set_major_formatter(_ScalarFormatter(language))
    ax.grid(color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, markerscale=2.0, frameon=False, loc="best")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    return figure


# --- output ----------------------------------------------------------------------------------


def figure_png(figure: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes, through the Agg renderer whatever backend is active."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()
