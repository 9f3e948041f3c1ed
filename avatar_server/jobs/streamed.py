"""The standard job on a single table larger than one batch: read from its typed copy a column
or a row group at a time, never whole (see :mod:`~avatar_server.engine.streamed` for the
method's side).

1. **Columns**, one at a time, whole: the declared types, the grouping of rare values, the new
   keys and the pseudonyms (which need a whole column to be unique and consistent), the codec
   and the warnings, exactly as :func:`~avatar_server.jobs.tables.prepare_table` and the
   in-memory job make them.
2. **Sample**: a seeded sample of rows (with one of each modality the projection encodes),
   read row group by row group; the projection is fitted on it.
3. **Batches**: each row group of the typed copy (a small last one joins the one before) is a
   task (:func:`~avatar_server.jobs.batches.current_task_mapper`: here, or on the Dask
   cluster): it reads its rows, avatarizes them and writes them as *parts* under the attempt's
   prefix: its avatars in row order, the same in their release order, both sides'
   coordinates.
4. **Assembly**: the result files are written from the parts, a chunk at a time
   (:mod:`~avatar_server.jobs.assembly`): the unshuffled avatars and the projections in row
   order; the released avatars in a uniformly random order of the whole table (each part is in
   its own random order, and the parts are interleaved at random), with the new keys and the
   pseudonyms beside them.

The job holds one column (and the new keys and pseudonyms: a few bytes per row), the sample,
and a few integers per row for the release order; each task holds one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.db.models import Dataset
from avatar_server.engine.advice import ColumnWarnings
from avatar_server.engine.codec import TableCodec
from avatar_server.engine.columns import describe_column
from avatar_server.engine.keys import fresh_keys
from avatar_server.engine.pseudonyms import pseudonymize
from avatar_server.engine.streamed import (
    StreamModel,
    StreamSettings,
    avatarize_rows,
    covering_positions,
    fit_stream_model,
    sample_positions,
)
from avatar_server.jobs.assembly import write_concatenated, write_interleaved, write_part
from avatar_server.jobs.batches import current_task_mapper
from avatar_server.jobs.context import JobContext, JobInputError
from avatar_server.jobs.parameters import pseudonymization_settings
from avatar_server.jobs.results import ResultWriter
from avatar_server.jobs.table_details import (
    PROJECTION_SAMPLE_ROWS,
    projection_sample,
    write_run_metadata,
)
from avatar_server.jobs.table_store import StoredTable, typed_key
from avatar_server.jobs.tables import OTHER, PreparedTable, apply_types, group_rare_values
from avatar_server.storage import Storage
from avatar_yaml import KeepMode, TableInfo
from avatar_yaml.spreadsheet_safety import formula_like_counts
from avatar_yaml.vocabulary import ResultKind, escape_table_name

Progress = Callable[[str, float], None]
IntArray = np.ndarray[Any, np.dtype[np.intp]]


@dataclass(frozen=True)
class StoredRows:
    """A dataset's typed copy, read a row group (or a column) at a time, in any process that
    can reach the storage."""

    storage: Storage
    key: str
    group_rows: tuple[int, ...]

    @property
    def rows(self) -> int:
        return sum(self.group_rows)

    def starts(self) -> IntArray:
        return np.concatenate([[0], np.cumsum(self.group_rows)]).astype(np.intp)

    def read_groups(self, groups: Sequence[int]) -> pd.DataFrame:
        with self.storage.open_read(self.key) as handle:
            return StoredTable.open(handle).read_groups(groups)

    def read_column(self, name: str) -> pd.Series:
        with self.storage.open_read(self.key) as handle:
            return StoredTable.open(handle).read_columns([name])[name]

    def columns(self) -> list[str]:
        with self.storage.open_read(self.key) as handle:
            stored = StoredTable.open(handle)
            return stored.column_names()


def stored_rows(storage: Storage, dataset: Dataset) -> StoredRows | None:
    """The dataset's typed copy when it holds more than one row group (a table larger than one
    batch when it was stored); None otherwise (the table is read whole)."""
    key = typed_key(dataset.storage_key)
    if key is None:
        return None
    try:
        with storage.open_read(key) as handle:
            groups = StoredTable.open(handle).group_rows()
    except FileNotFoundError:
        return None
    if len(groups) < 2:
        return None
    return StoredRows(storage=storage, key=key, group_rows=tuple(groups))


@dataclass(frozen=True)
class RowsPlan:
    """How each chunk of rows becomes what the engine sees: the columns it keeps (the
    excluded ones included), cast as the schema declares, in the dtype the whole column has,
    rare values of grouped columns replaced by :data:`OTHER`."""

    table: TableInfo
    columns: tuple[str, ...]
    dtypes: dict[str, Any]
    common: dict[str, frozenset[str]]
    """Per grouped column, the values at least ``k`` originals hold (as text)."""

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        chunk = apply_types(frame[list(self.columns)], self.table)
        for name in self.columns:
            if chunk[name].dtype != self.dtypes[name]:
                chunk[name] = chunk[name].astype(self.dtypes[name])
        for name, common in self.common.items():
            text = chunk[name].map(lambda v: v if pd.isna(v) else str(v)).astype(object)
            chunk[name] = text.where(text.isna() | text.isin(common), OTHER)
        return chunk


@dataclass
class ColumnPass:
    """What the whole columns said: the engine's codec and plan, and what is set beside."""

    plan: RowsPlan
    codec: TableCodec
    covering: IntArray
    warnings: list[str]
    prepared: PreparedTable
    released: dict[str, pd.Series] = field(default_factory=dict)
    """New keys and pseudonyms, row for row with the originals."""


def read_columns(
    rows: StoredRows,
    dataset: Dataset,
    table: TableInfo,
    settings: StreamSettings,
    *,
    seed: int,
    secret: bytes,
    progress: Progress,
) -> ColumnPass:
    """Step 1: each column of the table, whole, one at a time."""
    names = rows.columns()
    n = rows.rows
    declared = {column.field: column for column in table.columns or []}
    excluded = set(settings.exclusion.variable_names) if settings.exclusion else set()
    prepared = PreparedTable(
        name=table.name,
        data=pd.DataFrame(),
        file_format=dataset.format.value,
        column_order=names,
        roles={str(c["name"]): str(c["role"]) for c in dataset.columns if c.get("role")},
    )
    warnings = ColumnWarnings(n)
    infos = []
    kept: list[str] = []
    dtypes: dict[str, Any] = {}
    common: dict[str, frozenset[str]] = {}
    covering: list[IntArray] = []
    released: dict[str, pd.Series] = {}
    for number, name in enumerate(names):
        progress("reading columns", number / len(names))
        column = declared.get(name)
        if column is not None and (column.drop or column.identifier) and not column.primary_key:
            prepared.dropped.append(name)
            continue
        values = apply_types(pd.DataFrame({name: rows.read_column(name)}), table)[name]
        values = values.reset_index(drop=True)
        if column is not None and column.primary_key:
            prepared.primary_key = name
            released[name] = fresh_keys(values, n, seed=seed)
            continue
        if column is not None and column.pseudonymization is not None:
            made = pseudonymize(
                values, pseudonymization_settings(column.pseudonymization), secret=secret, seed=seed
            )
            released[name] = made.reset_index(drop=True)
            prepared.pseudonymized[name] = (values.iloc[:0], column.pseudonymization)
            continue
        if column is not None and column.keep is KeepMode.GROUPED:
            prepared.grouped.append(name)
            grouped = group_rare_values(values, settings.k)
            common[name] = frozenset(str(v) for v in grouped.dropna().unique() if v != OTHER)
            prepared.grouping[name] = {
                "values": int(values.nunique()),
                "kept_values": int(grouped[grouped != OTHER].nunique()),
                "other_share": float((grouped == OTHER).mean()) if len(grouped) else 0.0,
            }
            values = grouped
        elif column is not None and column.keep is KeepMode.AS_IS:
            prepared.kept_as_is.append(name)
        kept.append(name)
        dtypes[name] = values.dtype
        if name in excluded:
            continue
        info = warnings.add(name, values)
        if info is None:
            describe_column(name, values)  # raises the error that makes it unusable
            raise AssertionError(f"column {name!r} has no description")  # pragma: no cover
        infos.append(info)
        covering.append(
            covering_positions(info, values, reduction=settings.use_categorical_reduction)
        )
    progress("reading columns", 1.0)
    if not kept:
        raise ValueError("the table has no column left to avatarize")
    prepared.data = pd.DataFrame(columns=kept)
    return ColumnPass(
        plan=RowsPlan(table=table, columns=tuple(kept), dtypes=dtypes, common=common),
        codec=TableCodec(columns=infos) if infos else TableCodec.fit(pd.DataFrame()),
        covering=np.unique(np.concatenate(covering)) if covering else np.empty(0, np.intp),
        warnings=warnings.finish(),
        prepared=prepared,
        released=released,
    )


@dataclass(frozen=True)
class SampleTask:
    rows: StoredRows
    plan: RowsPlan


def read_sample(shared: SampleTask, item: tuple[int, IntArray]) -> pd.DataFrame:
    """The sample's rows of one row group (``item``: the group, positions within it)."""
    group, positions = item
    frame = shared.plan.prepare(shared.rows.read_groups([group]))
    return frame.iloc[positions]


@dataclass(frozen=True)
class BatchTask:
    rows: StoredRows
    plan: RowsPlan
    model: StreamModel
    prefix: str
    """Where the parts go (under the job attempt's prefix)."""


@dataclass(frozen=True)
class BatchItem:
    number: int
    groups: tuple[int, ...]
    start: int
    release: IntArray
    """The batch's rows (positions within it) in the order the released file lists them."""
    picked_original: IntArray
    picked_avatars: IntArray


@dataclass(frozen=True)
class BatchOutcome:
    number: int
    rows: int
    formula_like: dict[str, int]
    original: np.ndarray[Any, np.dtype[np.float64]]
    avatars: np.ndarray[Any, np.dtype[np.float64]]


PART_KINDS = ("unshuffled", "shuffled", "original", "avatars")


def part_key(prefix: str, kind: str, number: int) -> str:
    return f"{prefix}/{kind}/{number:06d}.parquet"


def avatarize_batch_part(shared: BatchTask, item: BatchItem) -> BatchOutcome:
    """One batch, from its row groups to its parts in storage."""
    frame = shared.plan.prepare(shared.rows.read_groups(item.groups))
    made = avatarize_rows(shared.model, frame, item.number)
    avatars = made.avatars.reset_index(drop=True)
    storage = shared.rows.storage
    write_part(storage, part_key(shared.prefix, "unshuffled", item.number), avatars)
    released = avatars.iloc[item.release].reset_index(drop=True)
    write_part(storage, part_key(shared.prefix, "shuffled", item.number), released)
    axes = [f"Dim. {i + 1}" for i in range(made.coords.shape[1])]
    for kind, coords in (("original", made.coords), ("avatars", made.avatar_coords)):
        write_part(
            storage,
            part_key(shared.prefix, kind, item.number),
            pd.DataFrame(coords, columns=axes),
        )
    return BatchOutcome(
        number=item.number,
        rows=len(avatars),
        formula_like=formula_like_counts(avatars),
        original=made.coords[item.picked_original],
        avatars=made.avatar_coords[item.picked_avatars],
    )


def batch_groups(group_rows: Sequence[int]) -> list[tuple[int, ...]]:
    """The row groups of each batch: one each, but a last group smaller than half the first
    joins the one before (a batch that small would search neighbours among few rows)."""
    batches: list[tuple[int, ...]] = [(number,) for number in range(len(group_rows))]
    if len(batches) > 1 and group_rows[-1] * 2 < group_rows[0]:
        last = batches.pop()
        batches[-1] = batches[-1] + last
    return batches


def _picked(n: int, seed: int) -> tuple[IntArray, IntArray]:
    """Rows of the projection plot, each side drawn on its own (as ``projection_sample``)."""
    rng = np.random.default_rng(seed)

    def rows() -> IntArray:
        if n <= PROJECTION_SAMPLE_ROWS:
            return np.arange(n, dtype=np.intp)
        return np.sort(rng.choice(n, size=PROJECTION_SAMPLE_ROWS, replace=False))

    return rows(), rows()


def run_streamed_table(
    ctx: JobContext,
    out: ResultWriter,
    name: str,
    rows: StoredRows,
    settings: StreamSettings,
    *,
    seed: int,
    secret: bytes,
    fmt: str,
    progress: Progress,
) -> None:
    """The standard job's results for table ``name``, read from ``rows``."""
    table = ctx.table(name)
    dataset = ctx.dataset(name)
    try:
        columns = read_columns(
            rows, dataset, table, settings, seed=seed, secret=secret, progress=progress
        )
        n, starts, mapper = rows.rows, rows.starts(), current_task_mapper()
        positions = sample_positions(n, columns.covering, seed)
        group_of = np.searchsorted(starts, positions, side="right") - 1
        wanted = [
            (int(group), positions[group_of == group] - starts[group])
            for group in np.unique(group_of)
        ]
        parts = list(mapper(read_sample, SampleTask(rows, columns.plan), wanted))
        progress("sampling", 1.0)
        sample = pd.concat(parts).sort_index()
        del parts
        model = fit_stream_model(
            sample,
            columns.codec,
            settings,
            seed=seed,
            progress=lambda stage, fraction: progress(f"fitting: {stage}", fraction),
        )
        del sample
    except ValueError as error:
        raise JobInputError(f"table {name!r}: {error}") from None

    batches = batch_groups(rows.group_rows)
    batch_starts = np.asarray([starts[groups[0]] for groups in batches] + [n], dtype=np.intp)
    release = np.random.default_rng(np.random.SeedSequence([seed, 0x5E1EA5E])).permutation(n)
    labels = (np.searchsorted(batch_starts, release, side="right") - 1).astype(np.int32)
    by_batch = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[by_batch], np.arange(len(batches) + 1))
    picked_original, picked_avatars = _picked(n, seed)
    items = []
    for number, groups in enumerate(batches):
        first, stop = batch_starts[number], batch_starts[number + 1]
        mine = release[by_batch[bounds[number] : bounds[number + 1]]] - first
        in_batch = (picked_original >= first) & (picked_original < stop)
        avatar_side = (picked_avatars >= first) & (picked_avatars < stop)
        items.append(
            BatchItem(
                number=number,
                groups=groups,
                start=int(first),
                release=mine.astype(np.intp),
                picked_original=picked_original[in_batch] - first,
                picked_avatars=picked_avatars[avatar_side] - first,
            )
        )
    del by_batch
    parts_root = f"{out.prefix}/parts"
    prefix = f"{parts_root}/{escape_table_name(name)}"
    task = BatchTask(rows=rows, plan=columns.plan, model=model, prefix=prefix)
    outcomes: dict[int, BatchOutcome] = {}
    try:
        for outcome in mapper(avatarize_batch_part, task, items):
            outcomes[outcome.number] = outcome
            progress("avatarizing", len(outcomes) / len(items))
    except ValueError as error:
        raise JobInputError(f"table {name!r}: {error}") from None
    _assemble(
        out,
        name,
        columns,
        model,
        outcomes,
        release,
        labels,
        fmt=fmt,
        prefix=prefix,
        progress=progress,
    )
    ordered = [outcomes[number] for number in range(len(items))]
    original = pd.DataFrame(np.vstack([o.original for o in ordered]))
    avatars = pd.DataFrame(np.vstack([o.avatars for o in ordered]))
    sample_plot = projection_sample(original, avatars, model.explained_variance_ratio, seed=seed)
    sample_plot["rows"] = n
    out.write_json(
        ResultKind.PROJECTION_SAMPLE,
        name,
        f"{escape_table_name(name)}.projection_sample.json",
        sample_plot,
    )
    formula_like: dict[str, int] = {}
    for outcome in ordered:
        for column, count in outcome.formula_like.items():
            formula_like[column] = formula_like.get(column, 0) + count
    for column, values in columns.released.items():
        formula_like.update(formula_like_counts(pd.DataFrame({column: values})))
    write_run_metadata(
        ctx,
        out,
        name,
        seed=seed,
        k=settings.k,
        rows=n,
        prepared=columns.prepared,
        batches=len(items),
        explained_variance_ratio=model.explained_variance_ratio,
        formula_like=formula_like,
        warnings=columns.warnings + list(model.warnings),
    )
    ctx.storage.delete_tree(parts_root)  # (a folder storage would keep an empty folder)


def _assemble(
    out: ResultWriter,
    name: str,
    columns: ColumnPass,
    model: StreamModel,
    outcomes: dict[int, BatchOutcome],
    release: IntArray,
    labels: np.ndarray[Any, np.dtype[np.int32]],
    *,
    fmt: str,
    prefix: str,
    progress: Progress,
) -> None:
    """Step 4: the result files, from the parts."""
    count = len(outcomes)
    order = [
        c for c in columns.prepared.column_order if c in columns.released or c in model.columns
    ]
    released = columns.released

    def in_row_order(start: int, stop: int) -> dict[str, Any]:
        return {column: values.iloc[start:stop] for column, values in released.items()}

    def in_release_order(start: int, stop: int) -> dict[str, Any]:
        rows = release[start:stop]
        return {column: values.iloc[rows] for column, values in released.items()}

    def parts(kind: str) -> list[str]:
        return [part_key(prefix, kind, number) for number in range(count)]

    progress("writing", 0.0)
    write_interleaved(
        out,
        ResultKind.SHUFFLED,
        name,
        "shuffled",
        fmt,
        parts("shuffled"),
        labels,
        extra=in_release_order,
        column_order=order,
    )
    progress("writing", 0.4)
    write_concatenated(
        out,
        ResultKind.UNSHUFFLED,
        name,
        "unshuffled",
        fmt,
        parts("unshuffled"),
        extra=in_row_order,
        column_order=order,
    )
    progress("writing", 0.8)
    write_concatenated(
        out,
        ResultKind.ORIGINAL_PROJECTIONS,
        name,
        "projections.original",
        fmt,
        parts("original"),
    )
    write_concatenated(
        out,
        ResultKind.AVATAR_PROJECTIONS,
        name,
        "projections.avatars",
        fmt,
        parts("avatars"),
    )
    progress("writing", 1.0)


__all__ = ["StoredRows", "run_streamed_table", "stored_rows"]
