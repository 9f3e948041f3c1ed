"""What the standard job writes beside a table's avatars, whichever way they were made (whole,
or streamed): the run's metadata and the projection plot's sample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

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
MAX_CLASSES = 12
"""The most categories a class projection colours: more colours cannot be told apart."""

_AXIS_NAMES = ("x", "y", "z")


def _axes(projections: pd.DataFrame, rows: np.ndarray[Any, Any]) -> dict[str, list[float]]:
    """The first three coordinates of the sampled rows (a projection with fewer axes has no
    ``y`` or ``z``), rounded: a scatter plot needs no more than 5 decimals and the file stays
    small."""
    values = projections.to_numpy(dtype="float64")[rows]
    return {
        name: [round(float(v), 5) for v in values[:, position]]
        for position, name in enumerate(_AXIS_NAMES[: values.shape[1]])
    }


def _labels(column: pd.Series, rows: np.ndarray[Any, Any]) -> list[str | None]:
    return [None if pd.isna(value) else str(value) for value in column.iloc[rows]]


def _classes(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    picked_o: np.ndarray[Any, Any],
    picked_a: np.ndarray[Any, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The category of each sampled row, per categorical column of few categories (for the
    class projection), and why each other column has none: ``numeric``, or ``categories``
    with their count when there are more than :data:`MAX_CLASSES`."""
    classes: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    for name in original.columns:
        column = original[name]
        if (is_numeric_dtype(column) and not is_bool_dtype(column)) or is_datetime64_any_dtype(
            column
        ):
            refused[str(name)] = {"reason": "numeric"}
            continue
        count = int(column.nunique(dropna=True))
        if count > MAX_CLASSES:
            refused[str(name)] = {"reason": "categories", "count": count}
            continue
        classes[str(name)] = {
            "original": _labels(column, picked_o),
            "avatars": _labels(avatars[name], picked_a) if name in avatars.columns else [],
        }
    return classes, refused


def projection_sample(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    explained_variance_ratio: list[float],
    *,
    seed: int,
    max_rows: int = PROJECTION_SAMPLE_ROWS,
    contributions: dict[str, Any] | None = None,
    original_rows: pd.DataFrame | None = None,
    avatar_rows: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Plot data of the projection plots: at most ``max_rows`` seeded rows of each side
    (enough to see the shape of the cloud; all rows would make the file and the plot heavy).
    The two sides are sampled independently and the avatars stored in a shuffled order, so
    nothing in the file pairs an original with its own avatar. Format: ``sample`` of
    :mod:`avatar_figures.figures`.

    ``contributions``: each variable's share of each axis, stored as is (contribution plot).
    ``original_rows``/``avatar_rows``: the table's rows in the order of ``original`` and
    ``avatars``; with them, the categories of the sampled rows are stored per categorical
    column (class projection plot). The whole coordinates are stored beside (projection
    results), so a sample of categories adds nothing the owner of the run could not read.
    """
    rng = np.random.default_rng(seed)

    def rows(n: int) -> np.ndarray[Any, Any]:
        if n <= max_rows:
            return np.arange(n)
        return np.sort(rng.choice(n, size=max_rows, replace=False))

    picked_o, picked_a = rows(len(original)), rows(len(avatars))
    # The avatars in a shuffled order: in row order, the i-th avatar of the file would be the
    # avatar of the i-th original (the link only sensitive_unshuffled may hold). The order is
    # drawn from fresh entropy: the run's seed is stored, and would undo a seeded shuffle.
    picked_a = np.random.default_rng().permutation(picked_a)
    sample: dict[str, Any] = {
        "original": _axes(original, picked_o),
        "avatars": _axes(avatars, picked_a),
        "explained_variance_ratio": [float(r) for r in explained_variance_ratio],
        "rows": len(original),
        "sampled_rows": int(max(picked_o.size, picked_a.size)),
    }
    if contributions is not None:
        sample["contributions"] = contributions
    if original_rows is not None and avatar_rows is not None:
        sample["classes"], sample["class_refusals"] = _classes(
            original_rows, avatar_rows, picked_o, picked_a
        )
    return sample


__all__ = ["MAX_CLASSES", "PROJECTION_SAMPLE_ROWS", "projection_sample", "write_run_metadata"]
