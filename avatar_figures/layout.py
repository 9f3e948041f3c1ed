"""Where a figure's axes go, from the sizes of the texts around them.

Matplotlib's constrained layout finds margins by drawing the whole figure once more, without
output, and measuring every artist: on a report's sixteen figures that was half of the
drawing time. The texts around our axes are few and known (tick labels, titles, notes, a
colour bar's labels), so their extents are measured here from the font's metrics alone and
each axes is placed once. Every length is in points (1/72 inch), the unit of font sizes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

POINTS_PER_INCH = 72.0
LINE_SPACING = 1.2
"""Matplotlib's default ``linespacing``: a line of text takes 1.2 times its font size."""
TEXT_PAD = 3.5
"""Matplotlib's default pad between tick marks and their labels, and around titles."""
_SAFETY = 1.04
"""Rendered text is a little wider than the font's advance widths (hinting, antialiasing)."""


def text_width(text: str, size: float) -> float:
    """Width of the widest line of ``text`` at font ``size``."""
    font = FontProperties(size=size)
    widest = 0.0
    for line in text.split("\n"):
        if line:
            width, _, _ = text_to_path.get_text_width_height_descent(line, font, ismath=False)
            widest = max(widest, float(width))
    return widest * _SAFETY


def text_height(text: str, size: float) -> float:
    """Height of ``text``'s lines at font ``size``, line spacing included."""
    return (text.count("\n") + 1) * LINE_SPACING * size if text else 0.0


def rotated_extent(text: str, size: float, degrees: float) -> tuple[float, float]:
    """(horizontal, vertical) extent of ``text`` turned by ``degrees``: its bounding box."""
    width, height = text_width(text, size), text_height(text, size)
    angle = math.radians(degrees)
    cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
    return width * cos + height * sin, width * sin + height * cos


def tick_labels(axis: Axis) -> list[str]:
    """The major tick labels the axis will draw, from its locator, formatter and limits as
    they stand (which the figure's data has set)."""
    low, high = sorted(axis.get_view_interval())
    span = high - low
    locations = [
        float(x)
        for x in axis.get_major_locator()()
        if low - 1e-9 * abs(span) <= x <= high + 1e-9 * abs(span)
    ]
    formatter = axis.get_major_formatter()
    formatter.set_locs(locations)
    return [str(label) for label in formatter.format_ticks(locations)]


def widest(labels: Sequence[str], size: float) -> float:
    """Width of the widest of ``labels`` (0 for none)."""
    return max((text_width(label, size) for label in labels), default=0.0)


def place(
    figure: Figure, left: float, bottom: float, width: float, height: float
) -> tuple[float, float, float, float]:
    """A rectangle in points from the figure's lower-left corner, as figure fractions."""
    across, up = (float(v) * POINTS_PER_INCH for v in figure.get_size_inches())
    return (left / across, bottom / up, width / across, height / up)
