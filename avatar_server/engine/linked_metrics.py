"""Metrics of linked tables: which tables each metric computation compares, and their summary.

A multi-table run measures each table several ways (linked-tables-and-time-series.md §1.6), one
*computation* per way, each a pair of tables (originals, unshuffled avatars) handed to the
single-table privacy and signal metrics:

- an individual-level table (one row per person) is measured ``standalone`` and
  ``to_top_enriched``: its columns plus, per child table, aggregates of each parent's children
  (the mode of each categorical column, the mean of each numeric one, the number of children).
  Avatars are aggregated over the avatar children attached to each avatar parent, so a link that
  carries a person's children to another person's avatar shows in the metrics;
- a non-individual child table (visits) is measured once per individual-level table R its links
  reach, directly or through a chain: for privacy ``to_bottom_id_propagated`` (its own columns,
  each row belonging to R's person) and ``full_enriched`` (its columns plus R's attributes
  broadcast to each row); for utility ``standalone`` and ``to_bottom_information_propagated``
  (its columns plus R's attributes). Avatar rows get their R attributes through the avatar
  assignment (``avatar_parent_rows``), as a reader of the published tables would join them.

Child computations carry ``persons``: for each row, the row of R it belongs to. The privacy
metrics then measure a person-level hidden rate (see :func:`privacy.privacy_metrics`).

:func:`summary_value` turns one computation's metrics into the one figure of the summaries;
:func:`relation_utility` (in :mod:`linked_relations`) measures what each link keeps.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from avatar_server.engine.linked import Relation
from avatar_server.engine.linked_relations import relation_utility
from avatar_server.engine.results import passes

__all__ = [
    "ComputationType",
    "LinkedTables",
    "MetricView",
    "Relation",
    "privacy_views",
    "relation_utility",
    "signal_views",
    "summary_table",
    "summary_value",
]

ComputationType = Literal[
    "standalone",
    "to_top_enriched",
    "to_bottom_id_propagated",
    "full_enriched",
    "to_bottom_information_propagated",
    "person_and_series",  # a series table: its persons' rows with the series' features
]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass
class LinkedTables:
    """One group of linked tables, originals and unshuffled avatars, and how rows link.

    ``originals`` and ``avatars`` hold each table's avatarized columns (no key), row ``i`` of
    the avatars being the avatar of original row ``i``; their order is the group's (parents
    first). ``original_parent_rows[(child, fk)]`` gives, per original child row, the row of its
    parent; ``avatar_parent_rows[(child, fk)]`` the same for the avatars.
    """

    originals: dict[str, pd.DataFrame]
    avatars: dict[str, pd.DataFrame]
    original_parent_rows: dict[tuple[str, str], np.ndarray[Any, Any]]
    avatar_parent_rows: dict[tuple[str, str], np.ndarray[Any, Any]]
    relations: list[Relation]
    individual_level: dict[str, bool]


@dataclass
class MetricView:
    """One computation: the tables the metrics compare (row ``i`` of ``avatars`` is the avatar
    of row ``i`` of ``original``) and, on child tables, the person of each row."""

    table_name: str
    computation_type: ComputationType
    reference: str  # the related table; the table itself for standalone
    original: pd.DataFrame
    avatars: pd.DataFrame
    persons: np.ndarray[Any, Any] | None  # child views: the row of the reference table per row


# --- following links -------------------------------------------------------------------------


def _rows(mapping: dict[tuple[str, str], np.ndarray[Any, Any]], key: tuple[str, str]) -> IntArray:
    if key not in mapping:
        raise ValueError(f"no parent rows for the foreign key {key[1]!r} of table {key[0]!r}")
    return np.asarray(mapping[key], dtype=np.int64)


def _check(group: LinkedTables) -> None:
    for name, original in group.originals.items():
        if name not in group.avatars:
            raise ValueError(f"table {name!r} has no avatars")
        if len(group.avatars[name]) != len(original):
            raise ValueError(
                f"table {name!r}: the unshuffled avatars must have one row per original row "
                f"({len(original)} originals, {len(group.avatars[name])} avatars)"
            )
    for relation in group.relations:
        for table in (relation.parent, relation.child):
            if table not in group.originals:
                raise ValueError(
                    f"the link {relation.parent} -> {relation.child} names table {table!r}, "
                    "which the group does not hold"
                )
        key = (relation.child, relation.child_key)
        for side, mapping in (
            ("original", group.original_parent_rows),
            ("avatar", group.avatar_parent_rows),
        ):
            rows = _rows(mapping, key)
            if len(rows) != len(group.originals[relation.child]):
                raise ValueError(
                    f"table {relation.child!r}: {side} parent rows of {relation.child_key!r} "
                    f"must have one entry per row ({len(rows)} for "
                    f"{len(group.originals[relation.child])} rows)"
                )


def _paths(group: LinkedTables, child: str) -> Iterator[tuple[str, list[Relation]]]:
    """Each individual-level table the child's links reach, with the first path to it
    (breadth first, links in schema order): how a child row finds its person."""
    seen = {child}
    frontier: list[tuple[str, list[Relation]]] = [(child, [])]
    while frontier:
        following: list[tuple[str, list[Relation]]] = []
        for table, path in frontier:
            for relation in group.relations:
                if relation.child != table or relation.parent in seen:
                    continue
                seen.add(relation.parent)
                route = [*path, relation]
                if group.individual_level.get(relation.parent, False):
                    yield relation.parent, route
                following.append((relation.parent, route))
        frontier = following


def _follow(mapping: dict[tuple[str, str], np.ndarray[Any, Any]], path: list[Relation]) -> IntArray:
    """Per row of the path's first child, its row in the path's last parent (-1: none)."""
    rows: IntArray | None = None
    for relation in path:
        step = _rows(mapping, (relation.child, relation.child_key))
        if rows is None:
            rows = step.copy()
        else:
            valid = rows >= 0
            rows = np.where(valid, step[np.where(valid, rows, 0)], -1)
    assert rows is not None
    return rows


def _broadcast(parent: pd.DataFrame, rows: IntArray, prefix: str) -> pd.DataFrame:
    """The parent's attributes on each child row, columns named ``<parent>.<column>``; rows
    without a valid parent get gaps."""
    valid = (rows >= 0) & (rows < len(parent))
    taken = parent.iloc[np.where(valid, rows, 0)].reset_index(drop=True)
    if not valid.all():
        taken = taken.astype(object).where(pd.Series(valid), None)
    taken.columns = [f"{prefix}.{column}" for column in parent.columns]
    return taken


def _joined(own: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    clashes = set(own.columns) & set(extra.columns)
    if clashes:
        raise ValueError(f"enriched columns clash with the table's own columns: {sorted(clashes)}")
    return pd.concat([own.reset_index(drop=True), extra], axis=1)


# --- aggregates of children -------------------------------------------------------------------


def _is_number(column: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
    )


def _mode(values: pd.Series, parents: IntArray, count: int) -> pd.Series:
    """The most frequent value of each parent's children (ties: the first as text), a gap for
    a parent without children or with gaps only. One sort of (parent, value) codes, no
    per-group Python: 300,000 children take a few tens of milliseconds."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    present = codes >= 0
    labels = np.asarray(uniques, dtype=object)
    # Rank each distinct value by its text, so ties break the same way on both sides.
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(np.array([str(v) for v in labels], dtype=object), kind="stable")] = np.arange(
        len(labels)
    )
    width = max(len(labels), 1)
    keys, sizes = np.unique(parents[present] * width + rank[codes[present]], return_counts=True)
    owner, ranked = keys // width, keys % width
    order = np.lexsort((ranked, -sizes, owner))
    owners, first = np.unique(owner[order], return_index=True)
    by_rank = np.empty(len(labels), dtype=np.int64)
    by_rank[rank] = np.arange(len(labels))
    result = pd.Series([None] * count, dtype=object)
    result.iloc[owners] = labels[by_rank[ranked[order][first]]]
    return result


def _aggregates(
    child: pd.DataFrame, reference: pd.DataFrame, rows: IntArray, count: int, name: str
) -> pd.DataFrame:
    """Per parent (``count`` of them), the number of children, the mean of each numeric
    column and the mode of each other column, over the child rows whose parent is ``rows``.
    Whether a column is numeric is read on ``reference`` (the original child table), so both
    sides aggregate a column the same way."""
    valid = (rows >= 0) & (rows < count)
    parents = rows[valid]
    columns: dict[str, pd.Series] = {
        f"count({name})": pd.Series(np.bincount(parents, minlength=count), dtype="int64")
    }
    kept = child.loc[valid].reset_index(drop=True)
    for column in child.columns:
        label = f"{name}.{column}"
        if _is_number(reference[column]):
            numbers = pd.to_numeric(kept[column], errors="coerce").astype("float64")
            present = numbers.notna().to_numpy()
            sums = np.bincount(parents[present], weights=numbers[present], minlength=count)
            counts = np.bincount(parents[present], minlength=count)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
            columns[f"mean({label})"] = pd.Series(means, dtype="float64")
        else:
            columns[f"mode({label})"] = _mode(kept[column], parents, count)
    return pd.DataFrame(columns)


# --- the computations ---------------------------------------------------------------------------


def _children(group: LinkedTables, table: str) -> list[Relation]:
    return [relation for relation in group.relations if relation.parent == table]


def _top_enriched(group: LinkedTables, table: str) -> MetricView | None:
    """The table with its children's aggregates; None for a table without children (the view
    would be the standalone one)."""
    links = _children(group, table)
    if not links:
        return None
    original, avatars = group.originals[table], group.avatars[table]
    extra_o: list[pd.DataFrame] = []
    extra_a: list[pd.DataFrame] = []
    for relation in links:
        key = (relation.child, relation.child_key)
        # One child table linked twice to this parent: name its aggregates by foreign key.
        twice = sum(r.child == relation.child for r in links) > 1
        name = f"{relation.child}.{relation.child_key}" if twice else relation.child
        child_o = group.originals[relation.child]
        extra_o.append(
            _aggregates(
                child_o, child_o, _rows(group.original_parent_rows, key), len(original), name
            )
        )
        extra_a.append(
            _aggregates(
                group.avatars[relation.child],
                child_o,
                _rows(group.avatar_parent_rows, key),
                len(avatars),
                name,
            )
        )
    children = list(dict.fromkeys(relation.child for relation in links))
    return MetricView(
        table_name=table,
        computation_type="to_top_enriched",
        reference="+".join(children),
        original=_joined(original, pd.concat(extra_o, axis=1)),
        avatars=_joined(avatars, pd.concat(extra_a, axis=1)),
        persons=None,
    )


def _standalone(group: LinkedTables, table: str) -> MetricView:
    return MetricView(
        table_name=table,
        computation_type="standalone",
        reference=table,
        original=group.originals[table],
        avatars=group.avatars[table],
        persons=None,
    )


def _person_views(group: LinkedTables, table: str, *, privacy: bool) -> list[MetricView]:
    """The views of a non-individual table, per individual-level table its links reach."""
    views: list[MetricView] = []
    original, avatars = group.originals[table], group.avatars[table]
    reached = list(_paths(group, table))
    if not reached and not any(relation.child == table for relation in group.relations):
        raise ValueError(
            f"table {table!r} has no parent and is not individual-level: a top table must be "
            "declared individual_level"
        )
    if not reached:
        raise ValueError(
            f"table {table!r} is not individual-level and its links reach no individual-level "
            "table: declare one of its ancestors individual_level"
        )
    for reference, path in reached:
        persons = _follow(group.original_parent_rows, path)
        if (persons < 0).any():
            raise ValueError(
                f"table {table!r}: {int((persons < 0).sum())} rows have no {reference!r} row "
                "through their foreign keys"
            )
        enriched_o = _joined(original, _broadcast(group.originals[reference], persons, reference))
        enriched_a = _joined(
            avatars,
            _broadcast(
                group.avatars[reference], _follow(group.avatar_parent_rows, path), reference
            ),
        )
        if privacy:
            views.append(
                MetricView(table, "to_bottom_id_propagated", reference, original, avatars, persons)
            )
            views.append(
                MetricView(table, "full_enriched", reference, enriched_o, enriched_a, persons)
            )
        else:
            views.append(
                MetricView(
                    table,
                    "to_bottom_information_propagated",
                    reference,
                    enriched_o,
                    enriched_a,
                    persons,
                )
            )
    return views


def _individual_views(group: LinkedTables, table: str) -> list[MetricView]:
    """An individual-level table's computations, the same for privacy and signal: the table
    alone, and with its children's aggregates when it has children."""
    enriched = _top_enriched(group, table)
    return [_standalone(group, table), *([enriched] if enriched else [])]


def privacy_views(group: LinkedTables) -> dict[str, list[MetricView]]:
    """Per table (in the group's order), the computations its privacy metrics run on.

    Individual-level tables: ``standalone`` and ``to_top_enriched`` (the latter only when the
    table has children). Other tables, per individual-level table R their links reach:
    ``to_bottom_id_propagated`` and ``full_enriched``, both with R's person of each row.
    """
    _check(group)
    views: dict[str, list[MetricView]] = {}
    for table in group.originals:
        if group.individual_level.get(table, False):
            views[table] = _individual_views(group, table)
        else:
            views[table] = _person_views(group, table, privacy=True)
    return views


def signal_views(group: LinkedTables) -> dict[str, list[MetricView]]:
    """Per table (in the group's order), the computations its signal metrics run on.

    Individual-level tables: ``standalone`` and ``to_top_enriched`` (when it has children).
    Other tables: ``standalone``, then ``to_bottom_information_propagated`` per individual-level
    table R their links reach (R's attributes broadcast to each row).
    """
    _check(group)
    views: dict[str, list[MetricView]] = {}
    for table in group.originals:
        if group.individual_level.get(table, False):
            views[table] = _individual_views(group, table)
        else:
            views[table] = [
                _standalone(group, table),
                *_person_views(group, table, privacy=False),
            ]
    return views


# --- summary ----------------------------------------------------------------------------------


def _judged(entry: dict[str, Any]) -> Iterator[bool]:
    """Whether each metric of one official dict that has both a value and a target meets it."""
    targets = entry.get("targets") or {}
    passed = entry.get("passed") or {}
    for name, target in targets.items():
        value = entry.get(name)
        if target is None or value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        flag = passed.get(name)
        yield bool(flag) if flag is not None else passes(float(value), str(target))


def summary_value(metrics: list[dict[str, Any]]) -> float | None:
    """The summary value of one computation: the share (0-100) of its metrics meeting their
    target, among those that have a target and a value.

    ``metrics`` is what :func:`results.to_official_dicts` returns for that computation (a list
    holding one dict; several dicts are pooled). Metrics without target (``hellinger_std``)
    or not computed (a value of null, its reason in the details) are left out rather than
    counted as failures; None when no metric is left to judge.
    """
    judged = [flag for entry in metrics for flag in _judged(entry)]
    if not judged:
        return None
    return 100.0 * sum(judged) / len(judged)


def summary_table(official: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float | None]]:
    """``{table: {reference: summary value}}`` (the ``privacy_metrics_summary`` /
    ``signal_metrics_summary`` shape) from each table's official dicts, one per computation,
    the reference read from their metadata (the table itself when absent).

    A reference measured by two computations (a child table's ``to_bottom_id_propagated`` and
    ``full_enriched`` privacy, both per individual-level table) keeps the lower value: a
    summary must not hide the weaker of the two; None only when no computation has a value.
    """
    summary: dict[str, dict[str, float | None]] = {}
    for table, entries in official.items():
        values: dict[str, float | None] = {}
        for entry in entries:
            metadata = entry.get("metadata") or {}
            reference = str(metadata.get("reference") or metadata.get("table_name") or table)
            value = summary_value([entry])
            current = values.get(reference)
            if current is not None and value is not None:
                value = min(current, value)
            values[reference] = value if value is not None else current
        summary[table] = values
    return summary
