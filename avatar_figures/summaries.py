"""Figures that are tables: per-variable summary statistics of both sides, and the metrics of
a table against their targets.

They are drawn as matplotlib tables rather than returned as data frames so that every plot
kind is one :class:`~matplotlib.figure.Figure` (shown the same way in a notebook, a PNG or a
standalone HTML page); the numbers themselves are in the results (``variable_comparisons``,
the metrics) for whoever wants to compute with them.

Plot data: ``comparisons`` of :mod:`avatar_figures.figures` (categorical summaries may also
hold ``"counts": {modality: rows}`` beside the frequencies), and for the metrics a list of
``{"metric": str, "value": float | None, "target": str | None, "passed": bool | None}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from avatar_figures.figures import SPECIAL_MODALITIES, empty_figure, shorten
from avatar_figures.labels import decimal, labels

__all__ = ["aggregate_stats_figure", "metrics_summary_figure"]

NUMERIC_STATISTICS = ("count", "missing", "mean", "std", "min", "q25", "median", "q75", "max")
CATEGORY_STATISTICS = ("count", "missing", "distinct")
PASSED_COLOUR = "#d7efd8"
FAILED_COLOUR = "#f6d3d3"
HEADER_COLOUR = "#e9eef5"
_ROW_INCHES = 0.2
MAX_STAT_VARIABLES = 40
"""The variables one statistics figure shows (about 80 inches of tables): more would make an
image too tall to open; the statistics of every variable are in ``variable_comparisons``."""


def number_text(value: Any, language: str) -> str:
    """A statistic as a table shows it: integers whole, other numbers with 4 significant
    digits in plain notation (thousands grouped) unless very large or small, absent values as
    a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    number = float(value)
    size = abs(number)
    if size == 0 or math.isinf(number):
        return decimal(f"{number:g}", language)
    if size >= 1e9 or size < 1e-3:
        return decimal(f"{number:.4g}", language)
    decimals = max(0, 3 - math.floor(math.log10(size)))
    text = f"{number:,.{decimals}f}"
    if language == "fr":  # 24 580,5: narrow no-break space between thousands, decimal comma
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def _date_text(name: str, value: Any, language: str) -> str:
    """A datetime statistic (seconds since the epoch) as a date; its spread as days."""
    if value is None or name in ("count", "missing"):
        return number_text(value, language)
    if name == "std":
        return decimal(f"{float(value) / 86_400:.4g}", language) + " d"
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=float(value))
    return moment.strftime("%Y-%m-%d %H:%M")


def _variable_rows(entry: Mapping[str, Any], language: str) -> list[list[str]]:
    words = labels(language)
    original = entry.get("original") or {}
    avatars = entry.get("avatars") or {}
    rows = []
    if entry.get("kind") in ("categorical", "boolean"):
        for name in CATEGORY_STATISTICS:
            rows.append(
                [
                    words[name],
                    number_text(original.get(name), language),
                    number_text(avatars.get(name), language),
                ]
            )
        counts_o = original.get("counts") or {}
        counts_a = avatars.get("counts") or {}
        for modality in counts_o:
            shown = SPECIAL_MODALITIES.get(modality)
            label = words[shown] if shown else shorten(str(modality), 18)
            rows.append(
                [
                    words["modality_count"].format(modality=label),
                    number_text(counts_o.get(modality), language),
                    number_text(counts_a.get(modality), language),
                ]
            )
        return rows
    dates = entry.get("kind") == "datetime"
    for name in NUMERIC_STATISTICS:
        if dates:
            texts = [_date_text(name, side.get(name), language) for side in (original, avatars)]
        else:
            texts = [number_text(side.get(name), language) for side in (original, avatars)]
        rows.append([words[name], *texts])
    return rows


def _draw_table(
    ax: Axes,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str,
    widths: Sequence[float] | None = None,
) -> None:
    ax.axis("off")
    table = ax.table(
        cellText=[list(row) for row in rows],
        colLabels=list(header),
        colWidths=list(widths) if widths is not None else None,
        loc="upper center",
        cellLoc="right",
        colLoc="center",
        bbox=Bbox.from_bounds(0.0, 0.0, 1.0, 1.0),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    for (row, column), cell in table.get_celld().items():
        cell.set_edgecolor("#cccccc")
        cell.set_linewidth(0.5)
        if row == 0:
            cell.set_facecolor(HEADER_COLOUR)
        elif column == 0:
            cell.get_text().set_horizontalalignment("left")
    ax.set_title(title, fontsize=8, loc="left")


def aggregate_stats_figure(
    comparisons: Sequence[Mapping[str, Any]], *, language: str = "en"
) -> Figure:
    """One table per variable, originals beside avatars: counts, gaps, mean, spread and
    quantiles of a number (dates as dates), the number of rows of each modality of a
    category. The same figures as the distribution plot, as numbers. The first
    :data:`MAX_STAT_VARIABLES` variables only, the title saying so."""
    words = labels(language)
    every = list(comparisons)
    if not every:
        return empty_figure(Figure(figsize=(6.4, 2.0)), words["no_variable"])
    entries = every[:MAX_STAT_VARIABLES]
    tables = [_variable_rows(entry, language) for entry in entries]
    heights = [len(rows) + 1 for rows in tables]
    figure = Figure(
        figsize=(5.2, _ROW_INCHES * sum(heights) + 0.45 * len(entries) + 0.4),
        layout="constrained",
    )
    header = (words["statistic"], words["original"], words["avatars"])
    axes = figure.subplots(len(entries), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, entry, rows in zip(axes, entries, tables, strict=True):
        _draw_table(ax, header, rows, shorten(str(entry.get("name")), 40))
    title = words["aggregate_stats"]
    if len(every) > len(entries):
        title += "\n" + words["first_variables"].format(shown=len(entries), count=len(every))
    figure.suptitle(title, fontsize=10)
    return figure


def metrics_summary_figure(
    table: str, metrics: Sequence[Mapping[str, Any]], *, language: str = "en"
) -> Figure:
    """A table's metrics, each with its value, its target and whether the value meets it
    (cells green when met, red when missed): the run's verdict at a glance."""
    words = labels(language)
    if not metrics:
        return empty_figure(Figure(figsize=(6.4, 2.0)), words["no_data"])
    rows = []
    verdicts = []
    for metric in metrics:
        value, target, passed = metric.get("value"), metric.get("target"), metric.get("passed")
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        if missing:
            verdict = words["not_computed"]
        elif passed is None:
            verdict = words["no_target"]
        else:
            verdict = words["passed"] if passed else words["failed"]
        rows.append(
            [
                str(metric.get("metric")),
                number_text(value, language),
                decimal(str(target), language) if target is not None else "–",
                verdict,
            ]
        )
        verdicts.append(None if missing else passed)
    figure = Figure(figsize=(6.4, _ROW_INCHES * (len(rows) + 1) + 0.6), layout="constrained")
    ax = figure.add_subplot()
    header = (words["metric"], words["value"], words["target"], words["verdict"])
    title = words["metrics_summary"].format(table=shorten(table, 40))
    _draw_table(ax, header, rows, title, widths=(0.4, 0.2, 0.2, 0.2))
    cells = ax.tables[0].get_celld()
    for row, passed in enumerate(verdicts, start=1):
        if passed is None:
            continue
        cells[row, 3].set_facecolor(PASSED_COLOUR if passed else FAILED_COLOUR)
    return figure
