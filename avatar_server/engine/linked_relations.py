"""What a link between two avatar tables keeps: integrity, cardinality, cross-table association.

The per-table metrics cannot see a link: avatars of visits can match the visits column by column
while being attached to the wrong doctors. So each link (parent -> child through a foreign key)
is measured on its own, originals against avatars joined through their parent rows:

- *integrity*: avatar child rows whose parent is out of range or missing (must be 0);
- *cardinality*: the distribution of the number of children per parent, with its mean, standard
  deviation (n - 1), maximum and the Hellinger distance between both distributions (exact
  counts, so 0 means the same multiset of children counts);
- *association*: for each pair of a parent column and a child column, joined row by row, the
  association in the originals and in the avatars: Cramér's V between two categories, Pearson r
  between two numbers, the correlation ratio η between a number and a category (the measures
  of :func:`signal.associations`). A link kept at random keeps each table's columns yet loses
  these (V(job, exam) falls from 0.74 to about 0.04 on the clinic).

The result is plain JSON, bounded whatever the tables' width: at most
:data:`MAX_ASSOCIATION_COLUMNS` columns of each side enter the pairs (the first ones, the others
named in the output), the histogram has at most :data:`MAX_CARDINALITY_BINS` bins, and above
:data:`ASSOCIATION_ROWS` child rows the associations are estimated on a seeded sample.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from avatar_server.engine.columns import (
    NUMERIC_KINDS,
    ColumnInfo,
    aligned_codes,
    column_numbers,
    describe_column,
)
from avatar_server.engine.results import json_safe
from avatar_server.engine.signal import _correlation_ratio, _cramers_v, hellinger

if TYPE_CHECKING:
    from avatar_server.engine.linked import Relation
    from avatar_server.engine.linked_metrics import LinkedTables

MAX_ASSOCIATION_COLUMNS = 20
MAX_CARDINALITY_BINS = 30
ASSOCIATION_ROWS = 50_000
SENSITIVE_METHOD = "sensitive_original_order_assignment"

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
# A column ready for association: numbers (gaps at the originals' median), or codes and their
# count, shared by both sides.
_Side = FloatArray | tuple[np.ndarray[Any, np.dtype[np.intp]], int]


def _parent_rows(values: np.ndarray[Any, Any], parents: int) -> tuple[IntArray, int]:
    """Parent rows as integers, -1 where the row is missing or out of range, and how many
    such rows there are."""
    numbers = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    valid = np.isfinite(numbers) & (numbers >= 0) & (numbers < parents)
    valid &= np.equal(np.mod(np.where(valid, numbers, 0.0), 1.0), 0.0)
    rows = np.where(valid, numbers, -1).astype(np.int64)
    return rows, int(np.count_nonzero(~valid))


# --- cardinality ---------------------------------------------------------------------------------


def _describe_counts(counts: IntArray, children: int) -> dict[str, Any]:
    return {
        "parents": int(counts.size),
        "children": children,
        "mean": float(counts.mean()) if counts.size else None,
        "sd": float(counts.std(ddof=1)) if counts.size > 1 else None,
        "min": int(counts.min()) if counts.size else None,
        "max": int(counts.max()) if counts.size else None,
        "childless": int(np.count_nonzero(counts == 0)),
    }


def _count_hellinger(original: IntArray, avatars: IntArray) -> float | None:
    if original.size == 0 or avatars.size == 0:
        return None
    support = np.union1d(original, avatars)
    p = np.bincount(np.searchsorted(support, original), minlength=support.size)
    q = np.bincount(np.searchsorted(support, avatars), minlength=support.size)
    return hellinger(p / p.sum(), q / q.sum())


def _histogram(original: IntArray, avatars: IntArray) -> dict[str, Any]:
    """Parents per number of children, one bin per count up to :data:`MAX_CARDINALITY_BINS`
    counts, equal-width bins of whole counts beyond."""
    both = np.concatenate([original, avatars])
    low, high = (int(both.min()), int(both.max())) if both.size else (0, 0)
    width = max(1, math.ceil((high - low + 1) / MAX_CARDINALITY_BINS))
    edges = np.arange(low, high + width + 1, width, dtype="float64") - 0.5
    edges = edges[: math.ceil((high - low + 1) / width) + 1]
    bins = [
        str(int(start + 0.5)) if width == 1 else f"{int(start + 0.5)}-{int(start + width - 0.5)}"
        for start in edges[:-1]
    ]
    counted = {
        side: np.histogram(values, bins=edges)[0].astype(np.int64)
        for side, values in (("original", original), ("avatars", avatars))
    }
    sizes = {"original": max(original.size, 1), "avatars": max(avatars.size, 1)}
    return {
        "histogram": {
            "bins": bins,
            "original": counted["original"].tolist(),
            "avatars": counted["avatars"].tolist(),
        },
        # The ``histogram`` plot format of avatar_figures (densities over the edges).
        "plot": {
            "type": "histogram",
            "edges": edges.tolist(),
            "original": (counted["original"] / (sizes["original"] * width)).tolist(),
            "avatars": (counted["avatars"] / (sizes["avatars"] * width)).tolist(),
        },
    }


def _cardinality(
    rows_o: IntArray, rows_a: IntArray, parents_o: int, parents_a: int
) -> dict[str, Any]:
    counts_o = np.bincount(rows_o[rows_o >= 0], minlength=parents_o).astype(np.int64)
    counts_a = np.bincount(rows_a[rows_a >= 0], minlength=parents_a).astype(np.int64)
    return {
        "original": _describe_counts(counts_o, int(np.count_nonzero(rows_o >= 0))),
        "avatars": _describe_counts(counts_a, int(np.count_nonzero(rows_a >= 0))),
        "hellinger": _count_hellinger(counts_o, counts_a),
        **_histogram(counts_o, counts_a),
    }


# --- association -------------------------------------------------------------------------------


def _sides(info: ColumnInfo, original: pd.Series, avatars: pd.Series) -> tuple[_Side, _Side]:
    if info.kind in NUMERIC_KINDS:
        values_o = column_numbers(original, info)
        values_a = column_numbers(avatars, info)
        present = values_o[~np.isnan(values_o)]
        median = float(np.median(present)) if present.size else 0.0
        return np.nan_to_num(values_o, nan=median), np.nan_to_num(values_a, nan=median)
    codes_o, codes_a, labels, _ = aligned_codes(original, avatars)
    return (codes_o, len(labels)), (codes_a, len(labels))


def _pearson(a: FloatArray, b: FloatArray) -> float | None:
    a, b = a - a.mean(), b - b.mean()
    scale = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    if scale <= 0.0:
        return None
    return float(np.clip(float((a * b).sum()) / scale, -1.0, 1.0))


def _measure(a: _Side, b: _Side) -> tuple[str, float | None]:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return "cramers_v", _cramers_v(a, b)
    if isinstance(a, tuple):
        assert not isinstance(b, tuple)
        return "correlation_ratio", _correlation_ratio(b, a)
    if isinstance(b, tuple):
        return "correlation_ratio", _correlation_ratio(a, b)
    return "pearson", _pearson(a, b)


def _sample(rows: int, seed: int) -> np.ndarray[Any, np.dtype[np.intp]] | None:
    if rows <= ASSOCIATION_ROWS:
        return None
    chosen = np.random.default_rng(seed).choice(rows, size=ASSOCIATION_ROWS, replace=False)
    return np.sort(chosen).astype(np.intp)


def _take(side: _Side, rows: np.ndarray[Any, np.dtype[np.intp]] | None) -> _Side:
    if rows is None:
        return side
    if isinstance(side, tuple):
        return side[0][rows], side[1]
    return np.asarray(side[rows], dtype="float64")


def _joined_rows(
    parent: pd.DataFrame, child: pd.DataFrame, rows: IntArray, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Child rows with a valid parent (sampled above :data:`ASSOCIATION_ROWS`), and their
    parents' rows, aligned."""
    kept = np.flatnonzero(rows >= 0)
    sample = _sample(kept.size, seed)
    if sample is not None:
        kept = kept[sample]
    return (
        parent.iloc[rows[kept]].reset_index(drop=True),
        child.iloc[kept].reset_index(drop=True),
        int(kept.size),
    )


def _association(
    group: LinkedTables, relation: Relation, rows_o: IntArray, rows_a: IntArray
) -> dict[str, Any]:
    parent_o, parent_a = group.originals[relation.parent], group.avatars[relation.parent]
    child_o, child_a = group.originals[relation.child], group.avatars[relation.child]
    parent_columns = [str(c) for c in parent_o.columns]
    child_columns = [str(c) for c in child_o.columns]
    used_parent = parent_columns[:MAX_ASSOCIATION_COLUMNS]
    used_child = child_columns[:MAX_ASSOCIATION_COLUMNS]
    joined_po, joined_co, used_o = _joined_rows(parent_o, child_o, rows_o, seed=0)
    joined_pa, joined_ca, used_a = _joined_rows(parent_a, child_a, rows_a, seed=1)
    pairs: list[dict[str, Any]] = []
    if used_o >= 2 and used_a >= 2:
        parent_sides = {
            name: _sides(describe_column(name, parent_o[name]), joined_po[name], joined_pa[name])
            for name in used_parent
        }
        child_sides = {
            name: _sides(describe_column(name, child_o[name]), joined_co[name], joined_ca[name])
            for name in used_child
        }
        for parent_name, (side_po, side_pa) in parent_sides.items():
            for child_name, (side_co, side_ca) in child_sides.items():
                measure, original = _measure(side_po, side_co)
                _, avatars = _measure(side_pa, side_ca)
                difference = (
                    None if original is None or avatars is None else abs(original - avatars)
                )
                pairs.append(
                    {
                        "parent_column": parent_name,
                        "child_column": child_name,
                        "measure": measure,
                        "original": original,
                        "avatars": avatars,
                        "difference": difference,
                    }
                )
    differences = [p["difference"] for p in pairs if p["difference"] is not None]
    worst = max(
        (p for p in pairs if p["difference"] is not None),
        key=lambda p: float(p["difference"]),
        default=None,
    )
    return {
        "pairs": pairs,
        "mean_abs_difference": float(np.mean(differences)) if differences else None,
        "max_difference": worst,
        "rows": {"original": used_o, "avatars": used_a},
        "sampled": used_o < int(np.count_nonzero(rows_o >= 0))
        or used_a < int(np.count_nonzero(rows_a >= 0)),
        "columns_cap": MAX_ASSOCIATION_COLUMNS,
        "columns_left_out": {
            "parent": parent_columns[MAX_ASSOCIATION_COLUMNS:],
            "child": child_columns[MAX_ASSOCIATION_COLUMNS:],
        },
        "note": (
            f"pairs of the first {MAX_ASSOCIATION_COLUMNS} columns of each table; above "
            f"{ASSOCIATION_ROWS} child rows, a seeded sample of that many"
        ),
        "method": (
            "each child row joined with its parent row; Cramér's V between two categories, "
            "Pearson r between two numbers, correlation ratio η between a number and a category"
        ),
    }


def relation_utility(group: LinkedTables, relation: Relation) -> dict[str, Any]:
    """What the link ``relation`` keeps, as JSON-ready data (see the module docstring):
    ``parent``, ``child``, ``child_key``, ``method``, ``sensitive`` (the original graph was
    copied), ``integrity``, ``cardinality`` and ``association``."""
    for table in (relation.parent, relation.child):
        if table not in group.originals or table not in group.avatars:
            raise ValueError(
                f"the link {relation.parent} -> {relation.child} names table {table!r}, which "
                "the group does not hold"
            )
    key = (relation.child, relation.child_key)
    for side, mapping in (
        ("original", group.original_parent_rows),
        ("avatar", group.avatar_parent_rows),
    ):
        if key not in mapping:
            raise ValueError(
                f"no {side} parent rows for the foreign key {relation.child_key!r} of table "
                f"{relation.child!r}"
            )
    parents_o = len(group.originals[relation.parent])
    parents_a = len(group.avatars[relation.parent])
    rows_o, orphans_o = _parent_rows(group.original_parent_rows[key], parents_o)
    rows_a, orphans_a = _parent_rows(group.avatar_parent_rows[key], parents_a)
    if len(rows_o) != len(group.originals[relation.child]) or len(rows_a) != len(
        group.avatars[relation.child]
    ):
        raise ValueError(
            f"table {relation.child!r}: the parent rows of {relation.child_key!r} must have one "
            "entry per row"
        )
    utility: dict[str, Any] = json_safe(
        {
            "parent": relation.parent,
            "child": relation.child,
            "child_key": relation.child_key,
            "method": relation.method,
            "sensitive": relation.method == SENSITIVE_METHOD,
            "integrity": {
                "avatar_rows": len(rows_a),
                "orphan_avatar_rows": orphans_a,
                "orphan_original_rows": orphans_o,
                "ok": orphans_a == 0,
            },
            "cardinality": _cardinality(rows_o, rows_a, parents_o, parents_a),
            "association": _association(group, relation, rows_o, rows_a),
        }
    )
    return utility
