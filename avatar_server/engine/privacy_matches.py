"""The match-based privacy metrics of avatar-method.md §2: column and row direct match
protection, categorical hidden rate and correlation protection rate.

They compare values, not distances: exactly, both tables being read in one code space
(:class:`paired_tables.PairedTables`), and for correlation protection's numbers within a window
around the original value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from avatar_server.engine.paired_tables import FloatArray, IntArray, PairedTables
from avatar_server.engine.results import MetricResult, privacy_not_computed, privacy_result

# Correlation protection: a numeric value matches within this share of the column's mean.
CPR_BOUNDARY = 0.05


def column_direct_match(
    tables: PairedTables, progress: Callable[[float], None] = lambda _fraction: None
) -> MetricResult:
    """Per column, the share of the originals' unique values (each identifies its holder) that
    no avatar carries; the weakest column gives the value, 100 when no column has one.
    ``progress(fraction)`` is called after each column (a column of text takes a while)."""
    per_column: dict[str, float | None] = {}
    unique_values: dict[str, int] = {}
    for position, name in enumerate(tables.columns):
        progress(position / len(tables.columns))
        codes = tables.codes(name)
        unique = np.bincount(codes.original, minlength=codes.size) == 1
        if codes.missing is not None:
            unique[codes.missing] = False
        in_avatars = np.bincount(codes.avatars, minlength=codes.size) > 0
        count = int(np.count_nonzero(unique))
        unique_values[name] = count
        if count == 0:
            per_column[name] = None
            continue
        per_column[name] = 100.0 * np.count_nonzero(unique & ~in_avatars) / count
    scored = {name: value for name, value in per_column.items() if value is not None}
    weakest = min(scored, key=lambda name: scored[name]) if scored else None
    value = scored[weakest] if weakest is not None else 100.0
    return privacy_result(
        "column_direct_match_protection",
        value,
        {
            "per_column": per_column,
            "unique_values": unique_values,
            "weakest_column": weakest,
        },
    )


def categorical_hidden_rate(
    tables: PairedTables, variables: list[str], given: bool
) -> MetricResult:
    """The chance an attacker who knows an original's ``variables`` misses its avatar when
    picking among the avatars that share them (``given``: chosen by the caller)."""
    if not variables:
        return privacy_not_computed(
            "categorical_hidden_rate",
            "the table has no categorical or boolean column: pass "
            "categorical_hidden_rate_variables to choose some",
            variables=[],
        )
    key = tables.key(variables)
    matches = np.bincount(key.avatars, minlength=key.size)
    own_matches = key.original == key.avatars
    # The attacker picks one of the avatars sharing the values, uniformly.
    probability = np.where(own_matches, 1.0 / np.maximum(matches[key.original], 1), 0.0)
    return privacy_result(
        "categorical_hidden_rate",
        100.0 * (1.0 - float(np.mean(probability))),
        {
            "variables": variables,
            "variables_given": given,
            "own_avatar_matches": float(np.mean(own_matches)),
            "mean_candidates": float(np.mean(matches[key.original])),
        },
    )


def row_direct_match(tables: PairedTables) -> MetricResult:
    """Share of the originals' *unique* rows that no avatar reproduces identically.

    A row several originals share (41 % of wbcd's rows are such common profiles) identifies
    nobody, so reproducing it is no direct match; like the column metric, only rows unique in
    the original count. With no unique row, nothing can be matched: 100.
    """
    key = tables.key(tables.columns)
    occurrences = np.bincount(key.original, minlength=key.size)
    unique = occurrences[key.original] == 1
    in_avatars = np.bincount(key.avatars, minlength=key.size) > 0
    reproduced = in_avatars[key.original] & unique
    total = int(np.count_nonzero(unique))
    value = 100.0 if total == 0 else 100.0 * (1.0 - np.count_nonzero(reproduced) / total)
    return privacy_result(
        "row_direct_match_protection",
        value,
        {
            "reproduced_unique_rows": int(np.count_nonzero(reproduced)),
            "unique_rows": total,
            "rows": tables.rows,
            "reproduced_shared_rows": int(np.count_nonzero(in_avatars[key.original] & ~unique)),
        },
    )


def _tolerance(values: FloatArray) -> float:
    """The matching window of a numeric column: 5 % of |mean| (of the std if the mean is 0)."""
    present = values[~np.isnan(values)]
    mean = float(np.mean(present))
    scale = abs(mean) if mean != 0 else float(np.std(present))
    return CPR_BOUNDARY * scale


def correlation_protection(
    tables: PairedTables, known: list[str], known_given: bool, hidden_rate: float
) -> MetricResult:
    """avatar-method.md §2.1: originals unique on the known variables, matched by exactly one
    avatar (categories equal, numbers within the window), discounted by the hidden rate."""
    unique_key = tables.key(known)
    unique = np.flatnonzero(
        np.bincount(unique_key.original, minlength=unique_key.size)[unique_key.original] == 1
    )
    tolerances: dict[str, float] = {}
    windows: list[str] = []
    exact: list[str] = []
    for name in known:
        if tables.is_numeric(name):
            tolerances[name] = _tolerance(tables.numbers(name)[0])
        if tables.is_numeric(name) and tolerances[name] > 0:
            windows.append(name)
        else:
            exact.append(name)
    gaps: list[tuple[IntArray, int]] = []
    for name in windows:
        original, avatars = tables.numbers(name)
        gaps.append((np.isnan(np.concatenate([original, avatars])).astype(np.int64), 2))
    # Categories, exact numbers and the gap pattern of windowed numbers must be equal.
    group = tables.key(exact, gaps)
    if windows:
        # In units of each window and with groups 3 apart, "matches" is "within 1" in L∞.
        def coordinates(side: int) -> FloatArray:
            columns = []
            for name in windows:
                values = tables.numbers(name)[side] / tolerances[name]
                columns.append(np.where(np.isnan(values), 0.0, values))
            columns.append(3.0 * (group.original if side == 0 else group.avatars))
            return np.column_stack(columns).astype(np.float64)

        tree = cKDTree(coordinates(1))
        # Only neighbours within the window matter: the bound keeps the search local.
        distances, _ = tree.query(
            coordinates(0)[unique],
            k=2,
            p=np.inf,
            distance_upper_bound=float(np.nextafter(1.0, 2.0)),
            workers=-1,
        )
        once = (distances[:, 0] <= 1.0) & ~(distances[:, 1] <= 1.0)
    else:
        matches = np.bincount(group.avatars, minlength=group.size)
        once = matches[group.original[unique]] == 1
    matched_once = int(np.count_nonzero(once))
    exposed = round(matched_once * (1.0 - hidden_rate / 100.0))
    return privacy_result(
        "correlation_protection_rate",
        (1.0 - exposed / tables.rows) * 100.0,
        {
            "known_variables": known,
            "known_variables_given": known_given,
            "unique_originals": len(unique),
            "matched_by_one_avatar": matched_once,
            "hidden_rate": hidden_rate,
            "boundary": CPR_BOUNDARY,
            "tolerances": tolerances,
        },
    )
