"""What the standard job writes beside a table's avatars, whichever way they were made (whole,
or streamed): the run's metadata and the projection plot's sample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from avatar_server import __version__
from avatar_server.jobs.context import JobContext
from avatar_server.jobs.results import ResultWriter
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import ResultKind
from avatar_yaml.vocabulary import escape_table_name


def write_run_metadata(
    ctx: JobContext,
    out: ResultWriter,
    name: str,
    *,
    seed: int,
    k: int,
    rows: int,
    prepared: PreparedTable,
    batches: int,
    explained_variance_ratio: list[float],
    formula_like: dict[str, int],
    warnings: list[str],
    links: Sequence[dict[str, str]] = (),
    individual_level: bool = True,
    sensitive_links: bool = False,
) -> None:
    """A table's ``run_metadata.json``: what was run on it and what came of it."""
    out.write_json(
        ResultKind.RUN_METADATA,
        name,
        f"{escape_table_name(name)}.run_metadata.json",
        {
            "table_name": name,
            "seed": seed,
            "k": k,
            "rows": rows,
            "columns": list(map(str, prepared.data.columns)),
            "batches": batches,
            "explained_variance_ratio": explained_variance_ratio,
            "set_aside_columns": prepared.dropped
            + ([prepared.primary_key] if prepared.primary_key else []),
            "identifying_columns": prepared.identifying_columns(ctx.table(name)),
            "formula_like_cells": formula_like,
            "individual_level": individual_level,
            "links": list(links),
            "sensitive_links": sensitive_links,
            "warnings": warnings,
            "software_version": __version__,
        },
    )


PROJECTION_SAMPLE_ROWS = 2_000


def _axes(projections: pd.DataFrame, rows: np.ndarray[Any, Any]) -> dict[str, list[float]]:
    """The first two coordinates of the sampled rows (a one-axis projection has no ``y``),
    rounded: a scatter plot needs no more than 5 decimals and the file stays small."""
    values = projections.to_numpy(dtype="float64")[rows]
    axes = {"x": [round(float(v), 5) for v in values[:, 0]]}
    if values.shape[1] > 1:
        axes["y"] = [round(float(v), 5) for v in values[:, 1]]
    return axes


def projection_sample(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    explained_variance_ratio: list[float],
    *,
    seed: int,
    max_rows: int = PROJECTION_SAMPLE_ROWS,
) -> dict[str, Any]:
    """Plot data of the 2D projection: at most ``max_rows`` seeded rows of each side (enough
    to see the shape of the cloud; all rows would make the file and the plot heavy). The two
    sides are sampled independently, so the plot draws no line between an original and its
    own avatar. Format: ``sample`` of :mod:`avatar_figures.figures`."""
    rng = np.random.default_rng(seed)

    def rows(n: int) -> np.ndarray[Any, Any]:
        if n <= max_rows:
            return np.arange(n)
        return np.sort(rng.choice(n, size=max_rows, replace=False))

    picked_o, picked_a = rows(len(original)), rows(len(avatars))
    return {
        "original": _axes(original, picked_o),
        "avatars": _axes(avatars, picked_a),
        "explained_variance_ratio": [float(r) for r in explained_variance_ratio],
        "rows": len(original),
        "sampled_rows": int(max(picked_o.size, picked_a.size)),
    }


__all__ = ["PROJECTION_SAMPLE_ROWS", "projection_sample", "write_run_metadata"]
