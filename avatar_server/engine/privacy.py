"""Privacy metrics: how hard it is to single out an original individual among the avatars.

Names, definitions and targets follow avatar-method.md §2. This module checks the arguments,
builds what the metrics share (the originals' projection, the tables in one code space, the
rows sampled, the attacker's known variables) and runs the three families in turn, reporting
progress between them: distances in the projection (:mod:`privacy_distances`), value matches
(:mod:`privacy_matches`) and the attacker's inference (:mod:`privacy_inference`).

The link between an original and its avatar is positional: row ``i`` of ``unshuffled`` is the
avatar of row ``i`` of ``original``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.codec import with_text_labels
from avatar_server.engine.metric_space import DEFAULT_METRIC_NCP, metric_space
from avatar_server.engine.paired_tables import IntArray, PairedTables
from avatar_server.engine.privacy_distances import distance_metrics, hidden_and_cloaking
from avatar_server.engine.privacy_inference import inference, inference_targets
from avatar_server.engine.privacy_matches import (
    categorical_hidden_rate,
    column_direct_match,
    correlation_protection,
    row_direct_match,
)
from avatar_server.engine.progress import Progress
from avatar_server.engine.results import PRIVACY_TARGETS as TARGETS
from avatar_server.engine.results import MetricResult, privacy_not_computed

__all__ = [
    "TARGETS",
    "privacy_metrics",
]

DEFAULT_KNOWN_VARIABLES = 3
DEFAULT_LOCAL_CLOAKING_CAP = 64
DEFAULT_SAMPLE_ROWS = 100_000
DEFAULT_LOCAL_CLOAKING_SAMPLE_ROWS = 20_000
# Shares of the work, as measured at 100k rows × 20 columns.
_STAGES = {
    "projection": 2.0,
    "hidden_rate": 4.0,
    "distance_to_closest": 1.0,
    "column_direct_match_protection": 0.2,
    "categorical_hidden_rate": 0.1,
    "row_direct_match_protection": 0.2,
    "correlation_protection_rate": 0.3,
    "inference": 2.0,
}


def _check_names(names: Sequence[str], columns: list[str], parameter: str) -> None:
    for name in names:
        if name not in columns:
            raise ValueError(f"{parameter} names an unknown column: {name!r}")


def check_same_columns(original: pd.DataFrame, avatars: pd.DataFrame) -> None:
    """Refuse avatars whose columns are not the original's, in order, saying which differ:
    every measure and attack pairs the two tables column by column."""
    original_columns = [str(c) for c in original.columns]
    avatar_columns = [str(c) for c in avatars.columns]
    if original_columns != avatar_columns:
        missing = [c for c in original_columns if c not in avatar_columns]
        extra = [c for c in avatar_columns if c not in original_columns]
        if not missing and not extra:
            raise ValueError("the avatars have the original's columns but in another order")
        raise ValueError(
            "the avatars must have the original's columns "
            f"(missing: {missing}, unexpected: {extra})"
        )


def _check_tables(original: pd.DataFrame, unshuffled: pd.DataFrame) -> None:
    if original.shape[1] == 0 or len(original) == 0:
        raise ValueError("the original table is empty")
    if unshuffled.shape[1] == 0 or len(unshuffled) == 0:
        raise ValueError("the avatar table is empty")
    check_same_columns(original, unshuffled)
    if len(original) != len(unshuffled):
        raise ValueError(
            "the unshuffled avatars must have one row per original row: "
            f"{len(original)} originals, {len(unshuffled)} avatars"
        )
    if len(original) < 2:
        raise ValueError("privacy metrics need at least 2 rows")


def _person_codes(persons: np.ndarray[Any, Any] | None, rows: int) -> IntArray | None:
    """``persons`` as integer codes (equal codes: the same person), after checking it has one
    entry per row and no gap."""
    if persons is None:
        return None
    values = np.asarray(persons)
    if values.ndim != 1 or len(values) != rows:
        raise ValueError(
            f"persons must give one person per original row: {rows} rows, {values.size} persons"
        )
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError(
            f"persons has {int((codes < 0).sum())} missing entries: every row must belong to "
            "a person"
        )
    return np.asarray(codes, dtype=np.int64)


def _default_known(tables: PairedTables, exclude: str | None) -> list[str]:
    """The columns with the most distinct values (column order breaks ties), leaving at least
    one column for the attacker to infer when no target is given."""
    candidates = [c for c in tables.columns if c != exclude]
    size = min(DEFAULT_KNOWN_VARIABLES, len(candidates) - (0 if exclude else 1))
    ranked = sorted(candidates, key=lambda c: -tables.distinct(c))
    chosen = set(ranked[: max(size, 0)])
    return [c for c in tables.columns if c in chosen]


def privacy_metrics(
    original: pd.DataFrame,
    unshuffled: pd.DataFrame,
    *,
    ncp: int = DEFAULT_METRIC_NCP,
    column_weights: dict[str, float] | None = None,
    known_variables: list[str] | None = None,
    target: str | None = None,
    categorical_hidden_rate_variables: list[str] | None = None,
    local_cloaking_cap: int = DEFAULT_LOCAL_CLOAKING_CAP,
    seed: int = 0,
    progress: Callable[[str, float], None] | None = None,
    sample_rows: int | None = DEFAULT_SAMPLE_ROWS,
    local_cloaking_sample_rows: int | None = DEFAULT_LOCAL_CLOAKING_SAMPLE_ROWS,
    persons: np.ndarray[Any, Any] | None = None,
) -> list[MetricResult]:
    """Every privacy metric of avatar-method.md §2 (``closest_rate`` aside: it needs a holdout).

    ``unshuffled`` row ``i`` is the avatar of ``original`` row ``i``. ``column_weights`` weigh
    columns in the space the distance metrics are measured in, as avatarize weighs them in its
    projection (pass the avatarization's weights to measure the space the avatars were made
    in); the details of those metrics record them beside ``ncp``. Without
    ``known_variables`` the attacker knows the 3 columns with the most distinct values; without
    ``target`` the first numeric and the first categorical column outside them are inferred.
    ``progress`` is called between metrics; whatever it raises (cancellation) propagates.
    Above ``sample_rows`` rows, the distance metrics (hidden rate, local cloaking, DCR, NNDR)
    are estimated on a seeded uniform sample of that many rows, queried against every row of
    the other table (standard error of a rate at 100,000 rows: under 0.16 points); ``None``
    measures every row. Local cloaking, a median and quantiles of counts up to
    ``local_cloaking_cap`` (its costliest query, ``cap`` neighbours per row), is estimated on
    ``local_cloaking_sample_rows`` of those rows (the median of a 20,000-row sample lies within
    about 1 % of rank of the full one); the hidden rate is always measured on every row.

    ``persons`` makes the hidden rate person-level, for tables where one person has several
    rows (a patient's visits): ``persons[i]`` is the person original row ``i`` belongs to, and
    avatar row ``i`` descends from that same person. An original row is then *not hidden* when
    its nearest avatar descends from the same person, even if it is another row's avatar:
    finding any avatar of the right person is a re-identification. Among avatars tied for
    nearest, the row counts as hidden by the share of them that belong to someone else. The
    other metrics stay row-level.
    """
    _check_tables(original, unshuffled)
    person_codes = _person_codes(persons, len(original))
    if local_cloaking_cap < 1:
        raise ValueError(f"local_cloaking_cap must be at least 1, got {local_cloaking_cap}")
    for name, size in (
        ("sample_rows", sample_rows),
        ("local_cloaking_sample_rows", local_cloaking_sample_rows),
    ):
        if size is not None and size < 1:
            raise ValueError(f"{name} must be at least 1 (or None for every row), got {size}")
    original = with_text_labels(original).reset_index(drop=True)
    unshuffled = with_text_labels(unshuffled).reset_index(drop=True)
    columns = list(original.columns)
    if known_variables is not None:
        _check_names(known_variables, columns, "known_variables")
        known_variables = list(dict.fromkeys(known_variables))
    if target is not None:
        _check_names([target], columns, "target")
        if known_variables is not None and target in known_variables:
            raise ValueError(f"the target {target!r} cannot also be a known variable")
    if categorical_hidden_rate_variables is not None:
        _check_names(
            categorical_hidden_rate_variables, columns, "categorical_hidden_rate_variables"
        )

    step = Progress(progress, _STAGES)
    step("projection")
    space = metric_space(
        original,
        unshuffled,
        ncp=ncp,
        seed=seed,
        column_weights=column_weights,
        progress=lambda part: step("projection", part),
    )
    if not (np.isfinite(space.original).all() and np.isfinite(space.avatars).all()):
        raise ValueError(
            "some avatars could not be placed in the originals' projection: in a column with "
            "few distinct values (projected as categories) they hold values the originals never "
            "take, or spell them differently (5.0 for 5)"
        )
    tables = PairedTables(original, unshuffled, space.codec.columns)

    known_given = known_variables is not None
    known = known_variables if known_variables is not None else _default_known(tables, target)
    targets, reasons = inference_targets(tables, known, target)

    step("hidden_rate")
    where: dict[str, Any] = {"ncp": space.projection.ncp}
    if column_weights:
        where["column_weights"] = {name: float(w) for name, w in column_weights.items()}
    sample: IntArray | None = None
    rng = np.random.default_rng(seed)
    if sample_rows is not None and len(original) > sample_rows:
        sample = np.sort(rng.choice(len(original), size=sample_rows, replace=False))
        where["sampled_rows"] = sample_rows
    rows = np.arange(len(original)) if sample is None else sample
    cloaking_rows = rows
    if local_cloaking_sample_rows is not None and len(rows) > local_cloaking_sample_rows:
        cloaking_rows = np.sort(rng.choice(rows, size=local_cloaking_sample_rows, replace=False))
    hidden, cloaking, hidden_rate = hidden_and_cloaking(
        space.original, space.avatars, local_cloaking_cap, where, rows, cloaking_rows, person_codes
    )
    results = [hidden, cloaking]
    step("distance_to_closest")
    results.extend(distance_metrics(space.original, space.avatars, where, sample))
    step("column_direct_match_protection")
    results.append(
        column_direct_match(tables, lambda part: step("column_direct_match_protection", part))
    )
    step("categorical_hidden_rate")
    chr_variables = categorical_hidden_rate_variables or [
        c for c in columns if not tables.is_numeric(c)
    ]
    results.append(
        categorical_hidden_rate(tables, chr_variables, bool(categorical_hidden_rate_variables))
    )
    step("row_direct_match_protection")
    results.append(row_direct_match(tables))
    step("correlation_protection_rate")
    if known:
        results.append(correlation_protection(tables, known, known_given, hidden_rate))
    else:
        results.append(
            privacy_not_computed(
                "correlation_protection_rate",
                "no known_variables: the attacker has nothing to match on",
                known_variables=[],
            )
        )
    step("inference")
    results.extend(inference(tables, known, known_given, targets, reasons, target is not None))
    step.done()
    return results
