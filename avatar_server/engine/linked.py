"""Avatarization of linked tables: parents, their children, and links that still join.

The method (linked-tables-and-time-series.md §1.3), for a group of tables linked by foreign keys:

1. *Bottom-up enrichment*, leaves to roots: each parent gets, per child link, its children
   count and per-parent summaries of the child's (already enriched) columns
   (:mod:`~avatar_server.engine.link_enrichment`). For A → B → C, B is enriched with C first,
   then A with the enriched B.
2. *Roots* are avatarized with their own options on the enriched table. The enrichment columns
   never reach the output, but each avatar parent's avatarized children count ranks it for its
   quota (:mod:`~avatar_server.engine.quotas`).
3. *Children*: each child row is joined with its parents' attributes and avatarized with its own
   options (an intermediate table keeps its own bottom-up summaries, so its avatars rank for
   their own children's quotas). The avatarized parent-like attributes are where the child
   avatar sits for re-attachment.
4. *Re-attachment* per link with the link's method under the quotas
   (:mod:`~avatar_server.engine.link_assignment`), in the parent's space fitted on its original
   attributes (:mod:`~avatar_server.engine.link_space`); ``sensitive_original_order_assignment``
   gives child avatar i the avatar of original child i's parent, copying the original graph.

Children are joined with their parents' *original* attributes, not their avatars'. Measured on
the clinic (k = 10/5/10, 16 seeds; original Cramér's V(doctor job, visit exam) 0.74): with the
original attributes V = 0.70 ± 0.02 (lowest 0.645) and 98.6 % of pediatrics visits on a
pediatrician, with either assignment method; with the avatars' attributes V = 0.66 ± 0.04
(lowest 0.58) and 95 %. The original attributes are the child's real context; an avatar parent
is a blurred stand-in whose attributes the child's own values no longer explain, so the child's
avatarized parent-like attributes, blurred twice, point less clearly at the right kind of parent.
The parents' originals are only an input of the child's avatarization, like the child's own
originals: nothing of them reaches the output except through the avatarization.

Each table is avatarized with its own seed drawn from the group's seed, and shuffled on its own.

Series tables (:class:`SeriesInput`) are not avatarized on their own: each person's series are
turned into features (:mod:`~avatar_server.engine.series`), avatarized jointly with the
person's columns, and turned back into rows for each avatar person, so every avatar person has
exactly one series per series table. Each series table's features form a block whose total
inertia is ``block_weight`` times that of the parent's other columns (see :func:`_series_weights`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from avatar_server.engine.avatarize import (
    DEFAULT_BATCH_ROWS,
    AvatarizationResult,
    BatchMapper,
    avatarize,
)
from avatar_server.engine.link_assignment import greedy_assignment, optimal_assignment
from avatar_server.engine.link_enrichment import children_summary, free_prefix, parent_context
from avatar_server.engine.link_space import DEFAULT_AXES, ParentSpace
from avatar_server.engine.progress import ProgressCallback
from avatar_server.engine.quotas import children_counts, rank_matched_quotas
from avatar_server.engine.series import SeriesModel, check_names
from avatar_server.engine.series_settings import SeriesSettings

LinkMethodName = Literal[
    "linear_sum_assignment",
    "minimum_distance_assignment",
    "sensitive_original_order_assignment",
]
LINK_METHODS: tuple[LinkMethodName, ...] = get_args(LinkMethodName)
TABLE_OPTIONS = frozenset(
    {"k", "ncp", "column_weights", "use_categorical_reduction", "imputation", "exclude_variables"}
)
IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class Relation:
    """A link: each row of ``child`` has one parent in ``parent``, named by ``child_key``."""

    parent: str
    child: str
    child_key: str
    method: LinkMethodName


@dataclass
class TableInput:
    """One table of a group: the columns to avatarize and where each row's parents are."""

    name: str
    data: pd.DataFrame
    parent_rows: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class SeriesInput:
    """A series table: each row a point (time, values) of one person of ``parent``."""

    name: str
    data: pd.DataFrame
    """Its time column and value columns only (keys removed)."""
    time: str
    parent: str
    """The individual-level parent's table name (a :class:`TableInput` of the group)."""
    person_rows: np.ndarray[Any, Any]
    """Per row, the parent row (position in the parent's data) it belongs to."""
    settings: SeriesSettings = field(default_factory=SeriesSettings)


@dataclass
class LinkedTableResult:
    """A table's avatars (own columns only) and, per foreign key, each avatar's parent row."""

    result: AvatarizationResult
    parent_rows: dict[str, IntArray]
    sensitive: bool


@dataclass(frozen=True)
class _Plan:
    tables: dict[str, TableInput]
    order: list[str]
    children: dict[str, list[Relation]]
    parents: dict[str, list[Relation]]
    summary_prefix: dict[Relation, str]
    context_prefix: dict[Relation, str]


def avatarize_group(
    tables: Sequence[TableInput],
    relations: Sequence[Relation],
    *,
    series: Sequence[SeriesInput] = (),
    seed: int | None,
    progress: ProgressCallback | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    map_batches: BatchMapper | None = None,
) -> dict[str, LinkedTableResult]:
    """Avatars of every table of a linked group, with each child avatar's parent avatar rows.

    ``tables`` come parents first. A group of one table with no relation is avatarized exactly
    as :func:`~avatar_server.engine.avatarize.avatarize` would. Errors the user can fix are
    ``ValueError`` naming the table. ``progress(stage, fraction)`` is called between steps and
    within each table's avatarization; an exception it raises stops the work and propagates.

    Each of ``series`` is avatarized with its parent (which must be a table of the group) and
    gets its own result: rows grouped by avatar person, times strictly increasing, and
    ``parent_rows[<parent's name>]`` giving each row's avatar parent row.

    ``map_batches`` runs the batches of each table above ``batch_rows`` rows (see
    :func:`~avatar_server.engine.avatarize.avatarize`).
    """
    plan = _plan(tables, relations)
    check_names(series, [table.name for table in tables])
    models = _fit_series(plan, series)
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**31 - 1))
    if len(tables) == 1 and not relations and not series:
        table = tables[0]
        result = _avatarize_table(table, table.data, seed, progress, batch_rows, map_batches)
        return {table.name: LinkedTableResult(result, {}, sensitive=False)}
    meter = _Meter(progress, plan)
    states = np.random.SeedSequence(seed).generate_state(len(plan.order) + len(relations))
    seeds = {name: int(states[i] >> 1) for i, name in enumerate(plan.order)}
    link_seeds = {r: int(states[len(plan.order) + i]) for i, r in enumerate(relations)}

    meter("enrich", 0.0)
    enriched = _enrich_bottom_up(plan)
    avatars: dict[str, pd.DataFrame] = {}
    results: dict[str, LinkedTableResult] = {}
    for name in plan.order:
        table = plan.tables[name]
        frame = enriched[name]
        for relation in plan.parents[name]:
            joined = parent_context(
                plan.tables[relation.parent].data.reset_index(drop=True),
                table.parent_rows[relation.child_key],
                plan.context_prefix[relation],
            )
            frame = pd.concat([frame, joined], axis=1)
        # A linked table's few-valued numbers (among them the children counts and shares its
        # links add) stay projected as categories, the paper's reading: as numbers, the clinic
        # lost its doctor–exam relation on one run seed in eight (pediatrics visits on a
        # pediatrician 0.78, against 0.94–1.0 otherwise and as categories; docs/fidelity.md).
        # Their modalities are ranked, not drawn, from the scores: drawn, the same relation
        # fell from Cramér's V 0.74 to 0.63 (decoding.SCORE_TEMPERATURE). With no ncp they
        # search on the method's 5 axes: the axes rule (engine.axes) was measured on single
        # tables only.
        options = table.options
        if models[name]:
            frame, options = _with_series(table, frame, models[name])
        options = {"discrete_as_numbers": False, "category_temperature": 0.0} | options
        if options.get("ncp") is None:
            options["axes_rule"] = False
        result = _avatarize_table(
            table, frame, seeds[name], meter.within(name), batch_rows, map_batches, options
        )
        avatars[name] = result.unshuffled
        parent_rows: dict[str, IntArray] = {}
        for number, relation in enumerate(plan.parents[name]):
            tick = meter.assigning(name, number, relation.child_key)
            parent_rows[relation.child_key] = _reattach(
                plan, relation, result.unshuffled, avatars, results, link_seeds[relation], tick
            )
        results[name] = LinkedTableResult(
            result=_own_columns(result, table.data, _warnings(plan, name, result.warnings)),
            parent_rows=parent_rows,
            sensitive=any(
                r.method == "sensitive_original_order_assignment" for r in plan.parents[name]
            ),
        )
        for number, (prefix, model) in enumerate(models[name]):
            meter(f"{model.table}: rows", meter.start[name] + meter.share[name])
            rng = np.random.default_rng(np.random.SeedSequence([seeds[name], number]))
            results[model.table] = _series_result(model, prefix, result, name, rng)
        meter.table_done(name)
    meter.done()
    return results


def _reattach(
    plan: _Plan,
    relation: Relation,
    child_avatars: pd.DataFrame,
    avatars: dict[str, pd.DataFrame],
    results: dict[str, LinkedTableResult],
    seed: int,
    tick: Callable[[float], None],
) -> IntArray:
    """Each child avatar's parent avatar row on ``relation``, by the relation's method."""
    child = plan.tables[relation.child]
    original_rows = np.asarray(child.parent_rows[relation.child_key], dtype=np.int64)
    if relation.method == "sensitive_original_order_assignment":
        return original_rows.copy()
    parent = plan.tables[relation.parent]
    counts = children_counts(original_rows, len(parent.data))
    avatar_counts = avatars[relation.parent][f"{plan.summary_prefix[relation]}count"]
    quotas = rank_matched_quotas(
        avatar_counts.to_numpy(dtype=np.float64), counts, np.random.default_rng(seed)
    )
    space = ParentSpace.fit(parent.data, parent.options.get("ncp") or DEFAULT_AXES)
    parent_points = space.transform(results[relation.parent].result.unshuffled)
    prefix = plan.context_prefix[relation]
    context = child_avatars[[f"{prefix}{i}" for i in range(parent.data.shape[1])]]
    child_points = space.transform(context.set_axis(parent.data.columns, axis=1))
    if relation.method == "linear_sum_assignment":
        return optimal_assignment(parent_points, quotas, child_points, tick=tick)
    return greedy_assignment(parent_points, quotas, child_points, tick=tick)


def _warnings(plan: _Plan, name: str, warnings: list[str]) -> list[str]:
    """The avatarization's warnings with the parent attributes joined to the table named as
    ``parent.column``, and a warning per link re-attached in original order."""
    labels: dict[str, str] = {}
    for relation in plan.parents[name]:
        prefix = plan.context_prefix[relation]
        for i, column in enumerate(plan.tables[relation.parent].data.columns):
            labels[f"{prefix}{i}"] = f"{relation.parent}.{column}"
    readable = []
    for warning in warnings:
        for added in sorted(labels, key=len, reverse=True):
            warning = warning.replace(added, labels[added])
        readable.append(warning)
    for relation in plan.parents[name]:
        if relation.method == "sensitive_original_order_assignment":
            readable.append(
                f"{name}.{relation.child_key} was re-attached to {relation.parent} in original "
                "order (sensitive_original_order_assignment): each avatar keeps its original's "
                "parent, so the number of children of each parent and which rows share a parent "
                "are the originals'"
            )
    return readable


def _own_columns(
    result: AvatarizationResult, data: pd.DataFrame, warnings: list[str]
) -> AvatarizationResult:
    """The result with the table's own columns only, indexed like ``data``."""
    unshuffled = result.unshuffled[list(data.columns)].copy()
    unshuffled.index = data.index
    order = result.shuffle_order
    assert order is not None  # avatarize always sets it
    original_projections = result.original_projections.set_axis(data.index)
    avatar_projections = result.avatar_projections.set_axis(data.index)
    return AvatarizationResult(
        unshuffled=unshuffled,
        shuffled=unshuffled.iloc[order].reset_index(drop=True),
        original_projections=original_projections,
        avatar_projections=avatar_projections,
        seed=result.seed,
        explained_variance_ratio=result.explained_variance_ratio,
        batches=result.batches,
        warnings=warnings,
        shuffle_order=order,
        contributions=_own_contributions(result.contributions, [str(c) for c in data.columns]),
    )


LINKED_FEATURES = "[linked tables]"
"""The name the contribution plot gives the features a table's projection draws from its
linked tables and series (their internal names mean nothing to a user)."""


def _own_contributions(
    contributions: dict[str, Any] | None, own: list[str]
) -> dict[str, Any] | None:
    """The contributions of the table's own columns, and of the features it drew from its
    links pooled as :data:`LINKED_FEATURES`, so that each axis still adds up to 100."""
    if contributions is None:
        return None
    variables = list(contributions["variables"])
    kept = [entry for entry in variables if entry["name"] in own]
    others = [entry["contributions"] for entry in variables if entry["name"] not in own]
    if others:
        pooled = [round(float(sum(shares)), 6) for shares in zip(*others, strict=True)]
        kept.append({"name": LINKED_FEATURES, "contributions": pooled})
    not_projected = [name for name in contributions["not_projected"] if name in own]
    return contributions | {"variables": kept, "not_projected": not_projected}


def _avatarize_table(
    table: TableInput,
    frame: pd.DataFrame,
    seed: int,
    progress: ProgressCallback | None,
    batch_rows: int,
    map_batches: BatchMapper | None,
    options: dict[str, Any] | None = None,
) -> AvatarizationResult:
    try:
        return avatarize(
            frame,
            seed=seed,
            progress=progress,
            batch_rows=batch_rows,
            map_batches=map_batches,
            **(table.options if options is None else options),
        )
    except ValueError as error:
        raise ValueError(f"table {table.name!r}: {error}") from error


def _fit_series(
    plan: _Plan, series: Sequence[SeriesInput]
) -> dict[str, list[tuple[str, SeriesModel]]]:
    """Per table, its series tables fitted on the originals, each with its features' prefix."""
    models: dict[str, list[tuple[str, SeriesModel]]] = {name: [] for name in plan.order}
    for item in series:
        if not isinstance(item, SeriesInput):
            raise ValueError(f"series must be SeriesInput, got {type(item).__name__}")
        if item.parent not in plan.tables:
            raise ValueError(
                f"series table {item.name!r} names parent {item.parent!r}, which is not a "
                "table of the group"
            )
        if not isinstance(item.data, pd.DataFrame):
            raise ValueError(f"table {item.name!r}: data must be a pandas DataFrame")
        parent = plan.tables[item.parent]
        model = SeriesModel.fit(
            item.name, item.data, item.time, item.person_rows, len(parent.data), item.settings
        )
        base = free_prefix(parent.data.columns)
        models[item.parent].append((f"{base}s{len(models[item.parent])}_", model))
    return models


def _with_series(
    table: TableInput, frame: pd.DataFrame, models: list[tuple[str, SeriesModel]]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The parent's frame with its series features, and its options with their weights; the
    curve features' restored variance is drawn from each avatar's neighbours (``avatarize``'s
    ``local_residual``): a series block mixes curves of different kinds."""
    parts = [frame.reset_index(drop=True)]
    for prefix, model in models:
        parts.append(model.features().add_prefix(prefix))
    joined = pd.concat(parts, axis=1)
    weights = dict(table.options.get("column_weights") or {})
    weights.update(_series_weights(joined, frame.shape[1], models, weights))
    curves = [f"{prefix}{name}" for prefix, model in models for name in model.shares()]
    return joined, {
        **table.options,
        "column_weights": weights,
        "local_residual": curves,
        "keep_mix": True,
    }


def _series_weights(
    joined: pd.DataFrame,
    own: int,
    models: list[tuple[str, SeriesModel]],
    column_weights: dict[str, float],
) -> dict[str, float]:
    """Weights of the curve features: each series block's inertia is ``block_weight`` times
    the inertia of the person's other columns (its own, its children's summaries and the
    series' non-constant metadata, each standardised column weighing its weight squared;
    at least 1, for a series-only parent), shared within the block as the model says.

    The projection multiplies a standardised column by its weight, so a column's inertia
    grows as the weight's square.
    """
    curve_names = {f"{prefix}{name}" for prefix, model in models for name in model.shares()}
    others = [
        c
        for c in joined.columns[:own].tolist()
        + [c for c in joined.columns[own:] if c not in curve_names]
        if joined[c].nunique(dropna=True) > 1
    ]
    reference = max(1.0, sum(float(column_weights.get(c, 1.0)) ** 2 for c in others))
    weights: dict[str, float] = {}
    for prefix, model in models:
        total = model.settings.weight * reference
        for name, share in model.shares().items():
            weights[f"{prefix}{name}"] = float(np.sqrt(total * share)) or 1e-12
    return weights


def _series_result(
    model: SeriesModel,
    prefix: str,
    parent: AvatarizationResult,
    parent_name: str,
    rng: np.random.Generator,
) -> LinkedTableResult:
    """A series table's rows made from its parent's avatars (unshuffled and shuffled persons)."""
    names = model.features().columns
    features = parent.unshuffled[[f"{prefix}{c}" for c in names]].set_axis(names, axis=1)
    rows, persons = model.rows(features, rng, mix=parent.mix)
    order = parent.shuffle_order
    assert order is not None  # avatarize always sets it
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    shuffle = np.lexsort((np.arange(persons.size), position[persons]))
    empty = pd.DataFrame(index=pd.RangeIndex(0))
    return LinkedTableResult(
        result=AvatarizationResult(
            unshuffled=rows,
            shuffled=rows.iloc[shuffle].reset_index(drop=True),
            original_projections=empty,
            avatar_projections=empty,
            seed=parent.seed,
            explained_variance_ratio=parent.explained_variance_ratio,
            batches=parent.batches,
            warnings=model.notes(features),
            shuffle_order=shuffle.astype(np.intp),
        ),
        parent_rows={parent_name: persons},
        sensitive=False,
    )


def _enrich_bottom_up(plan: _Plan) -> dict[str, pd.DataFrame]:
    """Each table with its children's summaries, leaves first (a child's own summaries are
    summarised again for its parent)."""
    enriched: dict[str, pd.DataFrame] = {}
    for name in reversed(plan.order):
        table = plan.tables[name]
        parts = [table.data.reset_index(drop=True)]
        for relation in plan.children[name]:
            child = plan.tables[relation.child]
            parts.append(
                children_summary(
                    enriched[relation.child],
                    child.parent_rows[relation.child_key],
                    len(table.data),
                    plan.summary_prefix[relation],
                )
            )
        enriched[name] = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return enriched


def _plan(tables: Sequence[TableInput], relations: Sequence[Relation]) -> _Plan:
    """Checks the group and names the columns each link adds."""
    by_name: dict[str, TableInput] = {}
    for table in tables:
        if table.name in by_name:
            raise ValueError(f"table {table.name!r} is given twice: give each table once")
        if not isinstance(table.data, pd.DataFrame):
            raise ValueError(f"table {table.name!r}: data must be a pandas DataFrame")
        unknown = sorted(set(table.options) - TABLE_OPTIONS)
        if unknown:
            raise ValueError(
                f"table {table.name!r}: unknown options {unknown}; use {sorted(TABLE_OPTIONS)}"
            )
        by_name[table.name] = table
    position = {table.name: i for i, table in enumerate(tables)}
    children: dict[str, list[Relation]] = {name: [] for name in by_name}
    parents: dict[str, list[Relation]] = {name: [] for name in by_name}
    for relation in relations:
        _check_relation(relation, by_name, position)
        if any(r.child_key == relation.child_key for r in parents[relation.child]):
            raise ValueError(
                f"table {relation.child!r}: foreign key {relation.child_key!r} is linked twice; "
                "a foreign key links to one parent only"
            )
        children[relation.parent].append(relation)
        parents[relation.child].append(relation)
    for table in tables:
        keys = {r.child_key for r in parents[table.name]}
        extra = sorted(set(table.parent_rows) - keys)
        if extra:
            raise ValueError(
                f"table {table.name!r}: parent_rows given for {extra}, which no relation uses"
            )
    summary_prefix: dict[Relation, str] = {}
    context_prefix: dict[Relation, str] = {}
    for name, table in by_name.items():
        base = free_prefix(table.data.columns)
        for i, relation in enumerate(children[name]):
            summary_prefix[relation] = f"{base}{i}_"
        for i, relation in enumerate(parents[name]):
            context_prefix[relation] = f"{base}p{i}_"
    return _Plan(
        tables=by_name,
        order=[table.name for table in tables],
        children=children,
        parents=parents,
        summary_prefix=summary_prefix,
        context_prefix=context_prefix,
    )


def _check_relation(
    relation: Relation, tables: dict[str, TableInput], position: dict[str, int]
) -> None:
    for role, name in (("parent", relation.parent), ("child", relation.child)):
        if name not in tables:
            raise ValueError(
                f"the link {relation.parent} → {relation.child} names {role} table {name!r}, "
                "which is not in the group"
            )
    if relation.method not in LINK_METHODS:
        raise ValueError(
            f"table {relation.child!r}: unknown link method {relation.method!r} on "
            f"{relation.child_key!r}; use one of {', '.join(LINK_METHODS)}"
        )
    if position[relation.parent] >= position[relation.child]:
        raise ValueError(
            f"table {relation.parent!r} must come before its child {relation.child!r}: "
            "give the tables parents first"
        )
    child = tables[relation.child]
    parent = tables[relation.parent]
    if relation.child_key not in child.parent_rows:
        raise ValueError(
            f"table {relation.child!r}: no parent_rows for foreign key {relation.child_key!r}"
        )
    if relation.child_key in child.data.columns:
        raise ValueError(
            f"table {relation.child!r}: foreign key {relation.child_key!r} is still among the "
            "columns to avatarize; remove it from the data"
        )
    rows = np.asarray(child.parent_rows[relation.child_key])
    if rows.shape != (len(child.data),):
        raise ValueError(
            f"table {relation.child!r}: parent_rows[{relation.child_key!r}] has {rows.size} "
            f"positions for {len(child.data)} rows; give one per row"
        )
    outside = rows.size > 0 and (rows.min() < 0 or rows.max() >= len(parent.data))
    if not np.issubdtype(rows.dtype, np.integer) or outside:
        raise ValueError(
            f"table {relation.child!r}: parent_rows[{relation.child_key!r}] must hold row "
            f"positions of {relation.parent!r} (integers from 0 to {len(parent.data) - 1}); "
            "a foreign key without a parent row cannot be linked"
        )
    if relation.method != "sensitive_original_order_assignment" and parent.data.shape[1] == 0:
        raise ValueError(
            f"table {relation.parent!r}: the link to {relation.child!r} uses "
            f"{relation.method} but {relation.parent!r} has no column left to anonymize"
        )


class _Meter:
    """Overall progress across the group: each table's avatarization weighs its rows, each of
    its re-attachments half its rows."""

    ASSIGN_WEIGHT = 0.5

    def __init__(self, callback: ProgressCallback | None, plan: _Plan) -> None:
        self.callback = callback
        self.links = {name: len(plan.parents[name]) for name in plan.order}
        weights = {
            name: len(plan.tables[name].data) * (1.0 + self.ASSIGN_WEIGHT * self.links[name])
            for name in plan.order
        }
        total = sum(weights.values()) or 1.0
        self.start: dict[str, float] = {}
        self.share: dict[str, float] = {}
        position = 0.0
        for name in plan.order:
            self.start[name] = position
            self.share[name] = weights[name] / total
            position += self.share[name]

    def __call__(self, stage: str, fraction: float) -> None:
        if self.callback is not None:
            self.callback(stage, min(max(fraction, 0.0), 1.0))

    def _avatarize_share(self, name: str) -> float:
        return self.share[name] / (1.0 + self.ASSIGN_WEIGHT * self.links[name])

    def within(self, name: str) -> ProgressCallback | None:
        """The callback for ``name``'s avatarization, mapped onto its part of the whole."""
        if self.callback is None:
            return None
        start, span = self.start[name], self._avatarize_share(name)

        def report(stage: str, fraction: float) -> None:
            self(f"{name}: {stage}", start + span * fraction)

        return report

    def assigning(self, name: str, link: int, key: str) -> Callable[[float], None]:
        """Reports the start of ``name``'s ``link``-th re-attachment (0-based) and returns the
        callback for its own progress."""
        avatarized = self._avatarize_share(name)
        step = avatarized * self.ASSIGN_WEIGHT
        start = self.start[name] + avatarized + step * link
        stage = f"{name}: assign {key}"
        self(stage, start)
        return lambda fraction: self(stage, start + step * fraction)

    def table_done(self, name: str) -> None:
        self(f"{name}: done", self.start[name] + self.share[name])

    def done(self) -> None:
        self("done", 1.0)


__all__ = [
    "LINK_METHODS",
    "LinkMethodName",
    "LinkedTableResult",
    "Relation",
    "SeriesInput",
    "TableInput",
    "avatarize_group",
]
