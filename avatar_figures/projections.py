"""Figures of the originals' projection beyond the 2-D scatter: three axes, classes, and what
each variable makes of each axis.

Plot data: the ``sample`` of :mod:`avatar_figures.figures`, which may also hold

* ``"z"`` beside ``"x"`` and ``"y"`` on each side: the third axis (projections with three or
  more axes);
* ``"classes": {variable: {"original": [label | null, ...], "avatars": [...]}}``: the
  category of each sampled row, for categorical variables of few categories, and
  ``"class_refusals": {variable: {"reason": "numeric"} | {"reason": "categories",
  "count": n}}`` for the other variables;
* ``"contributions": {"variables": [{"name": str, "contributions": [share, ...]}, ...],
  "not_projected": [name, ...], "explained_variance_ratio": [...]}``: each variable's share
  (in %) of each axis; the shares of one axis add up to 100.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from avatar_figures.figures import (
    AVATAR_COLOUR,
    ORIGINAL_COLOUR,
    ScalarFormatter,
    empty_figure,
    floats,
    shorten,
)
from avatar_figures.labels import decimal, labels, percent

__all__ = ["class_projection_figure", "contribution_figure", "projection_3d_figure"]

MISSING_COLOUR = "#9a9a9a"
MAX_CONTRIBUTION_AXES = 10


def _axis_label(
    number: int, ratios: Sequence[float], words: Mapping[str, str], language: str
) -> str:
    if len(ratios) >= number:
        return words["axis"].format(number=number, share=percent(ratios[number - 1], language))
    return words["axis_plain"].format(number=number)


def _ratios(data: Mapping[str, Any]) -> list[float]:
    return [float(r) for r in data.get("explained_variance_ratio") or []]


def projection_3d_figure(sample: Mapping[str, Any], *, language: str = "en") -> Figure:
    """Originals and avatars on the first three axes of the originals' projection: the third
    axis shows whether the avatars also cover the cloud in a direction the 2-D plot flattens.
    A sample without a third axis (a projection of fewer axes) is refused."""
    words = labels(language)
    sides = {side: sample.get(side) or {} for side in ("original", "avatars")}
    if any("z" not in points and points.get("x") for points in sides.values()):
        raise ValueError(
            "the projection sample has no third axis: the projection has fewer than three "
            "axes (ncp below 3), or the run was made by a server that stored two only"
        )
    figure = Figure(figsize=(6.4, 5.4), layout="constrained")
    ax: Any = figure.add_subplot(projection="3d")
    drawn = False
    for side, colour in (("original", ORIGINAL_COLOUR), ("avatars", AVATAR_COLOUR)):
        points = sides[side]
        x, y, z = (floats(points.get(axis) or []) for axis in ("x", "y", "z"))
        if x.size == 0:
            continue
        drawn = True
        size = 10.0 if x.size <= 500 else 4.0
        ax.scatter(
            x,
            y,
            z,
            s=size,
            color=colour,
            alpha=0.7,
            linewidths=0,
            depthshade=False,
            label=words[side],
        )
    if not drawn:
        figure.clear()
        return empty_figure(figure, words["no_data"])
    ratios = _ratios(sample)
    for number, setter in ((1, ax.set_xlabel), (2, ax.set_ylabel), (3, ax.set_zlabel)):
        setter(_axis_label(number, ratios, words, language), fontsize=7)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_formatter(ScalarFormatter(language))
    ax.tick_params(labelsize=6)
    ax.set_title(words["projection_3d"], fontsize=9)
    ax.legend(fontsize=8, markerscale=2.0, frameon=False, loc="upper left")
    return figure


def _class_order(original: Sequence[str | None], avatars: Sequence[str | None]) -> list[str]:
    """Categories from the most frequent among the originals; avatar-only ones last."""
    counts = Counter(label for label in original if label is not None)
    order = [label for label, _ in counts.most_common()]
    order += sorted({label for label in avatars if label is not None} - set(order))
    return order


def _class_panel(
    ax: Axes,
    points: Mapping[str, Any],
    classes: Sequence[str | None],
    colours: Mapping[str | None, str],
    names: Mapping[str | None, str],
    title: str,
) -> None:
    x = floats(points.get("x") or [])
    y = floats(points.get("y") or [])
    if y.size != x.size:  # a one-axis projection: everything on the first axis
        y = np.zeros_like(x)
    if len(classes) != x.size:
        raise ValueError(
            f"{title}: {len(classes)} categories for {x.size} points in the projection sample"
        )
    size = 10.0 if x.size <= 500 else 5.0
    for label, colour in colours.items():
        mask = np.array([value == label for value in classes], dtype=bool)
        if mask.any():
            ax.scatter(
                x[mask], y[mask], s=size, color=colour, alpha=0.6, linewidths=0, label=names[label]
            )
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)


def class_projection_figure(
    sample: Mapping[str, Any], variable: str, *, language: str = "en"
) -> Figure:
    """The 2-D projection coloured by the categories of ``variable``, originals beside
    avatars on the same axes: avatars keep a class's place in the cloud when each colour
    covers the same region on both sides. ``variable`` must be one of ``sample["classes"]``
    (the caller says why another one has none)."""
    words = labels(language)
    classes = (sample.get("classes") or {}).get(variable)
    if classes is None:
        raise ValueError(f"the projection sample holds no categories for {variable!r}")
    original, avatars = list(classes.get("original") or []), list(classes.get("avatars") or [])
    order = _class_order(original, avatars)
    palette = colormaps["tab10" if len(order) <= 10 else "tab20"]
    colours: dict[str | None, str] = {
        label: _hex(palette(index)) for index, label in enumerate(order)
    }
    names: dict[str | None, str] = {label: shorten(label, 24) for label in order}
    if None in original or None in avatars:
        colours[None] = MISSING_COLOUR
        names[None] = words["missing"]
    figure = Figure(figsize=(9.0, 4.4), layout="constrained")
    left, right = figure.subplots(1, 2, sharex=True, sharey=True)
    _class_panel(left, sample.get("original") or {}, original, colours, names, words["original"])
    _class_panel(right, sample.get("avatars") or {}, avatars, colours, names, words["avatars"])
    ratios = _ratios(sample)
    for ax in (left, right):
        ax.set_xlabel(_axis_label(1, ratios, words, language), fontsize=8)
        ax.xaxis.set_major_formatter(ScalarFormatter(language))
        ax.yaxis.set_major_formatter(ScalarFormatter(language))
    left.set_ylabel(_axis_label(2, ratios, words, language), fontsize=8)
    figure.suptitle(words["class_projection"].format(variable=shorten(variable, 40)), fontsize=10)
    handles, texts = left.get_legend_handles_labels()
    extra_handles, extra_texts = right.get_legend_handles_labels()
    for handle, text in zip(extra_handles, extra_texts, strict=True):
        if text not in texts:
            handles.append(handle)
            texts.append(text)
    figure.legend(
        handles, texts, loc="outside right center", fontsize=7, markerscale=2.0, frameon=False
    )
    return figure


def _hex(rgba: tuple[float, float, float, float]) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in rgba[:3])


def contribution_figure(
    contributions: Mapping[str, Any], *, language: str = "en", max_axes: int = MAX_CONTRIBUTION_AXES
) -> Figure:
    """Each variable's contribution (in %) to each of the first axes of the originals'
    projection, as a map annotated with the values: which variables the projection, and so
    the neighbours the avatars are drawn from, rests on. Each column adds up to 100."""
    words = labels(language)
    variables = list(contributions.get("variables") or [])
    if not variables:
        return empty_figure(Figure(figsize=(6.4, 2.0)), words["no_variable"])
    names = [str(entry["name"]) for entry in variables]
    matrix = np.array([floats(entry["contributions"]) for entry in variables], dtype=np.float64)
    axes = min(matrix.shape[1], max_axes)
    matrix = matrix[:, :axes]
    ratios = _ratios(contributions)
    height = min(11.0, 1.6 + 0.28 * len(names))
    figure = Figure(figsize=(min(9.0, max(5.6, 2.6 + 0.75 * axes)), height), layout="constrained")
    ax = figure.add_subplot()
    image = ax.imshow(matrix, cmap=colormaps["Blues"], vmin=0.0, vmax=100.0, aspect="auto")
    ax.set_xticks(
        range(axes),
        [_axis_label(i + 1, ratios, words, language).replace(" (", "\n(") for i in range(axes)],
        fontsize=6.5,
    )
    ax.set_yticks(range(len(names)), [shorten(name, 22) for name in names], fontsize=7)
    ax.tick_params(length=0)
    if len(names) <= 40:
        for (row, column), value in np.ndenumerate(matrix):
            ax.text(
                column,
                row,
                decimal(f"{value:.1f}", language),
                ha="center",
                va="center",
                fontsize=6,
                color="white" if value > 60 else "#222222",
            )
    title = words["contribution"]
    left_out = [str(name) for name in contributions.get("not_projected") or []]
    if left_out:
        note = words["not_projected"].format(names=", ".join(left_out))
        title += "\n" + "\n".join(textwrap.wrap(note, 70))
    ax.set_title(title, fontsize=9)
    bar = figure.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(words["contribution_share"], fontsize=7)
    bar.ax.tick_params(labelsize=6)
    return figure
