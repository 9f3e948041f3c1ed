"""Figures of originals against avatars, drawn with matplotlib from the jobs' plot data.

Shared by the server's report job and the client's ``Runner.render_plot``: both draw the same
figures from the same stored data, so what a notebook shows is what the report shows. The
package needs matplotlib (and numpy, which matplotlib requires) and nothing else; the data
formats are described in :mod:`avatar_figures.figures`.
"""

from __future__ import annotations

from avatar_figures.figures import (
    AVATAR_COLOUR,
    ORIGINAL_COLOUR,
    correlation_difference_figure,
    correlation_figure,
    distribution_figure,
    figure_png,
    projection_figure,
)
from avatar_figures.labels import LABELS
from avatar_figures.projections import (
    class_projection_figure,
    contribution_figure,
    projection_3d_figure,
)
from avatar_figures.series import normalized_series_figure, raw_series_figure
from avatar_figures.summaries import aggregate_stats_figure, metrics_summary_figure

__all__ = [
    "AVATAR_COLOUR",
    "LABELS",
    "ORIGINAL_COLOUR",
    "aggregate_stats_figure",
    "class_projection_figure",
    "contribution_figure",
    "correlation_difference_figure",
    "correlation_figure",
    "distribution_figure",
    "figure_png",
    "metrics_summary_figure",
    "normalized_series_figure",
    "projection_3d_figure",
    "projection_figure",
    "raw_series_figure",
]
