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

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.db.models import Dataset
from avatar_server.engine.advice import ColumnWarnings
from avatar_server.engine.codec import TableCodec
from avatar_server.engine.columns import ColumnInfo, describe_column
from avatar_server.engine.contributions import variable_contributions
from avatar_server.engine.copies import copies_left_warning
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
from avatar_server.jobs.results import ResultWriter, table_file_name
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

logger = logging.getLogger("avatar_server.worker")
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
        with self.storage.open_read(self.key, exact=True) as handle:
            return StoredTable.open(handle).read_groups(groups)

    def column_names(self) -> list[str]:
        with self.storage.open_read(self.key, exact=True) as handle:
            return StoredTable.open(handle).column_names()

    def read_column(self, name: str) -> pd.Series:
        with self.storage.open_read(self.key, exact=True) as handle:
            return StoredTable.open(handle).read_columns([name])[name]


class _Phases:
    """Seconds each step took, for the log (where an operator sees what a large job spent)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = now - self.last
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in self.seconds.items())


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


@dataclass(frozen=True)
class ColumnTask:
    rows: StoredRows
    table: TableInfo
    settings: StreamSettings
    seed: int
    secret: bytes


@dataclass
class ColumnFacts:
    """What one whole column said (a column task's result)."""

    name: str
    role: str
    """``dropped``, ``key``, ``pseudonymized`` or ``kept`` (the engine sees it)."""
    released: pd.Series | None = None
    dtype: Any = None
    info: ColumnInfo | None = None
    covering: IntArray = field(default_factory=lambda: np.empty(0, np.intp))
    warnings: ColumnWarnings | None = None
    common: frozenset[str] | None = None
    grouping: dict[str, float] | None = None


def column_facts(shared: ColumnTask, name: str) -> ColumnFacts:
    """Step 1 for one column, read whole: what needs a whole column to be made."""
    table, settings = shared.table, shared.settings
    column = next((c for c in table.columns or [] if c.field == name), None)
    if column is not None and (column.drop or column.identifier) and not column.primary_key:
        return ColumnFacts(name, "dropped")
    values = apply_types(pd.DataFrame({name: shared.rows.read_column(name)}), table)[name]
    values = values.reset_index(drop=True)
    n = len(values)
    if column is not None and column.primary_key:
        return ColumnFacts(name, "key", released=fresh_keys(values, n, seed=shared.seed))
    if column is not None and column.pseudonymization is not None:
        strategy = pseudonymization_settings(column.pseudonymization)
        made = pseudonymize(values, strategy, secret=shared.secret, seed=shared.seed)
        return ColumnFacts(name, "pseudonymized", released=made.reset_index(drop=True))
    facts = ColumnFacts(name, "kept")
    if column is not None and column.keep is KeepMode.GROUPED:
        grouped = group_rare_values(values, settings.k)
        facts.common = frozenset(str(v) for v in grouped.dropna().unique() if v != OTHER)
        facts.grouping = {
            "values": int(values.nunique()),
            "kept_values": int(grouped[grouped != OTHER].nunique()),
            "other_share": float((grouped == OTHER).mean()) if len(grouped) else 0.0,
        }
        values = grouped
    facts.dtype = values.dtype
    excluded = settings.exclusion.variable_names if settings.exclusion else ()
    if name in excluded:
        return facts
    facts.warnings = ColumnWarnings(n)
    facts.info = facts.warnings.add(name, values)
    if facts.info is None:
        describe_column(name, values)  # raises the error that makes it unusable
        raise AssertionError(f"column {name!r} has no description")  # pragma: no cover
    facts.covering = covering_positions(
        facts.info, values, reduction=settings.use_categorical_reduction
    )
    return facts


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
    """Step 1: each column of the table, whole, one at a time (a task each)."""
    names = rows.column_names()
    declared = {column.field: column for column in table.columns or []}
    task = ColumnTask(rows=rows, table=table, settings=settings, seed=seed, secret=secret)
    found: dict[str, ColumnFacts] = {}
    for facts in current_task_mapper()(column_facts, task, names):
        found[facts.name] = facts
        progress("reading columns", len(found) / len(names))
    prepared = PreparedTable(
        name=table.name,
        data=pd.DataFrame(),
        file_format=dataset.format.value,
        column_order=names,
        roles={str(c["name"]): str(c["role"]) for c in dataset.columns if c.get("role")},
    )
    warnings = ColumnWarnings(rows.rows)
    infos, kept, covering = [], [], []
    for name in names:
        facts, column = found[name], declared.get(name)
        if facts.role == "dropped":
            prepared.dropped.append(name)
        elif facts.role == "key":
            prepared.primary_key = name
        elif facts.role == "pseudonymized":
            assert column is not None and column.pseudonymization is not None
            prepared.pseudonymized[name] = (pd.Series([], dtype=object), column.pseudonymization)
        else:
            kept.append(name)
            if facts.grouping is not None:
                prepared.grouped.append(name)
                prepared.grouping[name] = facts.grouping
            elif column is not None and column.keep is KeepMode.AS_IS:
                prepared.kept_as_is.append(name)
            if facts.warnings is not None and facts.info is not None:
                warnings.merge(facts.warnings)
                infos.append(facts.info)
                covering.append(facts.covering)
    if not kept:
        raise ValueError("the table has no column left to avatarize")
    prepared.data = pd.DataFrame(columns=kept)
    plan = RowsPlan(
        table=table,
        columns=tuple(kept),
        dtypes={name: found[name].dtype for name in kept},
        common={name: c for name in kept if (c := found[name].common) is not None},
    )
    return ColumnPass(
        plan=plan,
        codec=TableCodec(columns=infos) if infos else TableCodec.fit(pd.DataFrame()),
        covering=np.unique(np.concatenate(covering)) if covering else np.empty(0, np.intp),
        warnings=warnings.finish(),
        prepared=prepared,
        released={
            name: released for name in names if (released := found[name].released) is not None
        },
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
    unique_copies_left: int = 0


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
        unique_copies_left=made.unique_copies_left,
    )


def batch_groups(group_rows: Sequence[int], batch_rows: int) -> list[tuple[int, ...]]:
    """The row groups of each batch: consecutive groups until the batch holds ``batch_rows``
    rows (one group each, as stored; several when groups were cut short by their size in
    bytes), and a last batch under half that joins the one before (a batch that small would
    search neighbours among few rows)."""
    batches: list[tuple[int, ...]] = []
    current: list[int] = []
    held = 0
    for number, rows in enumerate(group_rows):
        current.append(number)
        held += rows
        if held >= batch_rows:
            batches.append(tuple(current))
            current, held = [], 0
    if current:
        if batches and held * 2 < batch_rows:
            batches[-1] = batches[-1] + tuple(current)
        else:
            batches.append(tuple(current))
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
    phases = _Phases()
    table = ctx.table(name)
    dataset = ctx.dataset(name)
    try:
        columns = read_columns(
            rows, dataset, table, settings, seed=seed, secret=secret, progress=progress
        )
        phases.done("columns")
        n, starts, mapper = rows.rows, rows.starts(), current_task_mapper()
        positions = sample_positions(n, columns.covering, seed)
        group_of = np.searchsorted(starts, positions, side="right") - 1
        wanted = [
            (int(group), positions[group_of == group] - starts[group])
            for group in np.unique(group_of)
        ]
        parts = list(mapper(read_sample, SampleTask(rows, columns.plan), wanted))
        progress("sampling", 1.0)
        phases.done("sample")
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
        phases.done("fit")
    except ValueError as error:
        raise JobInputError(f"table {name!r}: {error}") from None

    batches = batch_groups(rows.group_rows, ctx.settings.batch_rows)
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
    phases.done("batches")
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
    phases.done("assembly")
    ordered = [outcomes[number] for number in range(len(items))]
    original = pd.DataFrame(np.vstack([o.original for o in ordered]))
    avatars = pd.DataFrame(np.vstack([o.avatars for o in ordered]))
    sample_plot = projection_sample(
        original,
        avatars,
        model.explained_variance_ratio,
        seed=seed,
        contributions=variable_contributions(model.batch.projection, model.batch.codec),
    )
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
        warnings=columns.warnings + list(model.warnings) + _copies_warnings(ordered),
    )
    ctx.storage.delete_tree(parts_root)  # (a folder storage would keep an empty folder)
    phases.done("cleanup")
    logger.info("table %r streamed in %d batches: %s", name, len(items), phases)


def _copies_warnings(outcomes: Sequence[BatchOutcome]) -> list[str]:
    left = sum(outcome.unique_copies_left for outcome in outcomes)
    return [copies_left_warning(left)] if left else []


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

    def shuffled() -> None:
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

    def unshuffled() -> None:
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

    def projections(kind: str, suffix: str, side: str) -> Callable[[], None]:
        return lambda: write_concatenated(out, kind, name, suffix, fmt, parts(side))

    files = {
        "shuffled": shuffled,
        "unshuffled": unshuffled,
        "projections.original": projections(
            ResultKind.ORIGINAL_PROJECTIONS, "projections.original", "original"
        ),
        "projections.avatars": projections(
            ResultKind.AVATAR_PROJECTIONS, "projections.avatars", "avatars"
        ),
    }
    progress("writing", 0.0)
    listed = len(out.files)
    # Written side by side: each mostly waits for its reads and writes (an object store's
    # round trips), so together they take little more than the longest (on S3 at 1M rows,
    # 6.7 s one after the other). Progress is reported (and a cancel seen) here, between files.
    with ThreadPoolExecutor(max_workers=len(files), thread_name_prefix="assembly") as pool:
        futures = [pool.submit(write) for write in files.values()]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            progress("writing", done / len(files))
    names = [table_file_name(name, suffix, fmt) for suffix in files]
    out.files[listed:] = sorted(out.files[listed:], key=lambda entry: names.index(entry["name"]))


__all__ = ["StoredRows", "run_streamed_table", "stored_rows"]
