"""The report's figures as PNG data URIs, each drawn once per run.

A run's basic report and its privacy-impact documents show the same figures of the same
results, and their jobs run side by side. Drawing is most of a report's work besides the PDF
layout, so each figure is looked up first in a :class:`FigureStore` under a digest of
everything it is drawn from (the drawing function, its arguments, the resolution and the
software version); whichever job draws it first stores it for the others. Without a store
every figure is drawn, as a report built outside a job (tests, a notebook) needs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from matplotlib.figure import Figure

from avatar_figures import (
    correlation_difference_figure,
    correlation_figure,
    distribution_figure,
    figure_png,
    normalized_series_figure,
    projection_figure,
    raw_series_figure,
)
from avatar_server.report.translations import STRINGS

PANELS_PER_FIGURE = 12  # 4 rows of 3: one figure fits on an A4 page with its heading
FIGURE_DPI = 150
SIDE_BY_SIDE_DPI = 200  # half-width heatmaps, drawn small so their labels stay legible
SIDE_BY_SIDE_COLUMNS = 15


class FigureStore(Protocol):
    """PNG bytes by key. ``get`` answers None for a key it does not hold (or cannot read):
    the figure is then drawn, so a store can never make a report fail."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, png: bytes) -> None: ...


@dataclass(frozen=True)
class Images:
    """Draws figures into data URIs, through ``store`` when there is one."""

    store: FigureStore | None = None
    version: str = ""

    def uri(self, draw: Callable[..., Figure], dpi: int = FIGURE_DPI, **arguments: Any) -> str:
        """``draw(**arguments)`` at ``dpi`` as a data URI; ``arguments`` must be JSON data."""
        png = None
        key = ""
        if self.store is not None:
            described = [draw.__module__, draw.__qualname__, dpi, self.version, arguments]
            text = json.dumps(described, sort_keys=True, separators=(",", ":"), allow_nan=True)
            key = hashlib.sha256(text.encode()).hexdigest()
            png = self.store.get(key)
        if png is None:
            png = figure_png(draw(**arguments), dpi=dpi)
            if self.store is not None:
                self.store.put(key, png)
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def distribution_images(
    images: Images, comparisons: Sequence[dict[str, Any]], language: str
) -> list[str]:
    """The per-variable panels, ``PANELS_PER_FIGURE`` to a figure."""
    return [
        images.uri(
            distribution_figure,
            comparisons=list(comparisons[i : i + PANELS_PER_FIGURE]),
            language=language,
        )
        for i in range(0, len(comparisons), PANELS_PER_FIGURE)
    ]


def correlation_images(
    images: Images, correlations: dict[str, Any], language: str
) -> dict[str, Any]:
    """Up to ``SIDE_BY_SIDE_COLUMNS`` variables: both sides at half the page width (drawn at
    that size so their labels stay legible side by side) and the difference, annotated,
    below. Wider tables: each map at its own full width, or the labels would be unreadable."""
    wide = len(correlations.get("columns") or []) > SIDE_BY_SIDE_COLUMNS
    result: dict[str, Any] = {"wide": wide}
    for side in ("original", "avatars"):
        result[side] = images.uri(
            correlation_figure,
            FIGURE_DPI if wide else SIDE_BY_SIDE_DPI,
            correlations=correlations,
            side=side,
            language=language,
            annotate=False,
            size=None if wide else (3.6, 3.4),
        )
    result["difference"] = images.uri(
        correlation_difference_figure,
        correlations=correlations,
        language=language,
        size=None if wide else (5.2, 4.6),
    )
    return result


def projection_image(images: Images, sample: dict[str, Any], language: str) -> str:
    return images.uri(projection_figure, sample=sample, language=language)


def cardinality_images(
    images: Images, relations: Sequence[dict[str, Any]], language: str
) -> list[str]:
    """One panel per link: the share of parents per number of children, originals against
    avatars, drawn as the per-variable distributions are."""
    t = STRINGS[language]
    panels = []
    for relation in relations:
        cardinality = relation.get("cardinality") or {}
        plot = cardinality.get("plot")
        if not isinstance(plot, dict):
            continue
        panels.append(
            {
                "name": t["cardinality_panel"].format(
                    child=relation.get("child"), parent=relation.get("parent")
                ),
                "kind": "discrete",
                "original": {"count": (cardinality.get("original") or {}).get("parents"),
                             "missing": 0},
                "avatars": {"count": (cardinality.get("avatars") or {}).get("parents"),
                            "missing": 0},
                "plot": plot,
            }
        )  # fmt: skip
    return distribution_images(images, panels, language)


def series_images(
    images: Images,
    raw: dict[str, Any] | None,
    normalized: dict[str, Any] | None,
    language: str,
) -> tuple[str | None, str | None]:
    """A series table's two figures, each None when its plot data is missing (an older
    server's results): a few whole series of each side, then the bands of all of them on the
    common grid."""
    return (
        images.uri(raw_series_figure, plot=raw, language=language) if raw is not None else None,
        images.uri(normalized_series_figure, plot=normalized, language=language)
        if normalized is not None
        else None,
    )
