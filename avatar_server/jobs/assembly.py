"""Result files assembled from per-batch parts, streamed: no table is ever held whole.

A large table is avatarized batch by batch, possibly on other machines; each batch writes its
rows as a Parquet *part* under the attempt's prefix (:func:`write_part`). The job process then
writes each result file by reading the parts a little at a time (:class:`PartReader`), either
one after the other (:func:`write_concatenated`) or interleaved row by row as a label array
says (:func:`write_interleaved`: the released file, whose row order must not follow batches).

A streamed file is the file ``results.table_bytes`` gives for the whole table:

* CSV, byte for byte. Each chunk goes to pandas as ``pd.read_parquet`` would give it and is
  written with the same ``to_csv`` options. pandas itself formats a frame in blocks of
  ``100_000 // columns`` rows and picks a datetime column's rendering (date only, seconds,
  fractions) per block, so CSV chunks are cut on those blocks' boundaries.
* Parquet, equal once read (``pd.read_parquet``, dtypes included). Parts may disagree on a
  column's Arrow type (a batch where a column is empty stores it as ``null``): the parts'
  schemas are unified once, up front (a part without rows has no say), every chunk is cast to
  that schema, and the file keeps the parts' pandas metadata (dtypes such as Int64 need it).

Memory is bounded whatever the number of rows: one chunk of output rows (``chunk_rows``, at
least one pandas CSV block of 100,000 cells for CSV), plus one decoded row group per open part
(:data:`PART_GROUP_ROWS` rows).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, suppress
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from avatar_server.jobs.results import (
    TABLE_FORMATS,
    DigestingWriter,
    ResultWriter,
    table_file_name,
)
from avatar_server.storage import Storage
from avatar_yaml.spreadsheet_safety import CSV_LINE_END

PART_GROUP_ROWS = 16_384
"""Rows per row group of a part: a reader decodes one group at a time, and the interleaved
assembly keeps one open per part, so groups are small."""
CHUNK_ROWS = 100_000
"""Output rows assembled at a time by default."""
READ_BLOCK_BYTES = 1024 * 1024
"""Read-ahead of each open part on S3. The interleaved assembly opens every part at once;
the storage's own 8 MiB reads would hold 8 MiB per part (800 MiB for 100 parts)."""
PANDAS_CSV_BLOCK_CELLS = 100_000
"""How many cells ``DataFrame.to_csv`` formats at a time (pandas' ``_DEFAULT_CHUNKSIZE_CELLS``);
``tests/test_assembly.py`` pins it through the datetime rendering it decides."""

Extra = Callable[[int, int], Mapping[str, Any]]
"""``extra(start, stop)``: columns (name -> numpy array, Series or list) for output rows
``[start, stop)``. It is first called for no rows, ``(0, 0)``, to learn the columns' names; their
types are those of the first chunk (a later chunk that cannot be cast to them is refused)."""


def write_part(
    storage: Storage, key: str, frame: pd.DataFrame, *, group_rows: int = PART_GROUP_ROWS
) -> int:
    """Store ``frame``'s rows (not its index) as a part at ``key``; returns how many."""
    if group_rows < 1:
        raise ValueError(f"group_rows must be at least 1, not {group_rows}")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with storage.open_write(key) as handle:
        pq.write_table(table, handle, row_group_size=group_rows)
    rows: int = table.num_rows
    return rows


class PartReader:
    """A part's rows handed out in order, holding at most one decoded row group (plus what
    :meth:`take` returned, which shares its memory)."""

    def __init__(self, storage: Storage, key: str) -> None:
        self.key = key
        try:
            self._handle = storage.fs.open(storage.path(key), "rb", block_size=READ_BLOCK_BYTES)
        except FileNotFoundError:
            raise FileNotFoundError(f"part {key!r} is not in the storage") from None
        try:
            self._file = pq.ParquetFile(self._handle)
        except (pa.ArrowInvalid, OSError) as error:
            self._handle.close()
            raise ValueError(f"part {key!r} is not a readable Parquet file: {error}") from None
        self.schema: pa.Schema = self._file.schema_arrow
        self.rows: int = self._file.metadata.num_rows
        self.remaining = self.rows
        self._next_group = 0
        self._group: pa.Table | None = None
        self._offset = 0

    def take(self, n: int) -> pa.Table:
        """The next ``n`` rows of the part."""
        if n < 0 or n > self.remaining:
            raise ValueError(f"part {self.key!r}: {n} rows asked, {self.remaining} left")
        pieces = []
        wanted = n
        while wanted:
            if self._group is None or self._offset == self._group.num_rows:
                self._group = self._file.read_row_group(self._next_group, use_threads=False)
                self._next_group += 1
                self._offset = 0
            piece = self._group.slice(self._offset, wanted)
            self._offset += piece.num_rows
            wanted -= piece.num_rows
            pieces.append(piece)
        self.remaining -= n
        if self.remaining == 0:
            self._group = None
        return pa.concat_tables(pieces) if pieces else self.schema.empty_table()

    def close(self) -> None:
        self._group = None
        self._handle.close()

    def __enter__(self) -> PartReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _pandas_document(schema: pa.Schema) -> dict[str, Any] | None:
    raw = (schema.metadata or {}).get(b"pandas")
    return None if raw is None else dict(json.loads(raw))


def _column_entries(document: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The pandas metadata of each column of ``document`` (by Arrow field name)."""
    if document is None:
        return {}
    return {str(entry["field_name"]): entry for entry in document["columns"]}


def _with_pandas_document(
    schema: pa.Schema, base: dict[str, Any] | None, entries: Mapping[str, dict[str, Any]]
) -> pa.Schema:
    """``schema`` carrying a pandas document for its columns, in its order (no index: the
    result files are written without one)."""
    if base is None:
        return schema.remove_metadata()
    document = dict(base)
    document["index_columns"] = []
    document["columns"] = [entries[name] for name in schema.names if name in entries]
    return schema.with_metadata({b"pandas": json.dumps(document).encode()})


class _Layout:
    """What the parts hold together: their keys, row counts and one schema for all."""

    def __init__(self, storage: Storage, parts: Sequence[str]) -> None:
        if not parts:
            raise ValueError("no parts to assemble: a result file needs at least one part")
        self.storage = storage
        self.parts = list(parts)
        schemas = []
        self.rows: list[int] = []
        for key in self.parts:
            with PartReader(storage, key) as reader:
                schemas.append(reader.schema)
                self.rows.append(reader.rows)
        self.schema = self._unify(schemas)
        self.names: list[str] = self.schema.names

    def _unify(self, schemas: list[pa.Schema]) -> pa.Schema:
        names = schemas[0].names
        if len(set(names)) != len(names):
            raise ValueError(f"part {self.parts[0]!r} has duplicate column names: {names}")
        for key, schema in zip(self.parts, schemas, strict=True):
            if sorted(schema.names) != sorted(names):
                raise ValueError(
                    f"part {key!r} has columns {schema.names}, but part {self.parts[0]!r} "
                    f"has {names}: every part of a table must have the same columns"
                )
        # A part without rows says nothing about its columns' types (pandas makes an empty
        # column float64): only the others decide, unless no part has rows.
        typed = [schema for schema, rows in zip(schemas, self.rows, strict=True) if rows]
        typed = typed or schemas
        try:
            unified = pa.unify_schemas(
                [schema.remove_metadata() for schema in typed], promote_options="permissive"
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise ValueError(f"the parts' column types cannot be joined: {error}") from None
        # The pandas metadata (which gives back extension dtypes such as Int64) is the same
        # in every part written from one table's frames but for columns a part holds empty,
        # which the Arrow types above settle.
        document = _pandas_document(typed[0])
        ordered = pa.schema([unified.field(name) for name in names])
        return _with_pandas_document(ordered, document, _column_entries(document))

    def conform(self, rows: pa.Table, key: str) -> pa.Table:
        """``rows`` of part ``key`` in the common schema."""
        try:
            return rows.select(self.names).cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise ValueError(
                f"part {key!r} does not fit the parts' common types: {error}"
            ) from None

    @property
    def total_rows(self) -> int:
        return sum(self.rows)


def _extra_frame(extra: Extra | None, start: int, stop: int) -> pd.DataFrame:
    """The extra columns of output rows ``[start, stop)``, indexed from 0 like a chunk."""
    rows = stop - start
    if extra is None:
        return pd.DataFrame(index=pd.RangeIndex(rows))
    data: dict[str, pd.Series] = {}
    for name, values in extra(start, stop).items():
        # A Series keeps its dtype but not its index (the coordinator may slice a whole one).
        series = (
            values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)
        )
        if len(series) != rows:
            raise ValueError(
                f"extra column {name!r} gave {len(series)} values for output rows "
                f"{start} to {stop} ({rows} rows)"
            )
        data[str(name)] = series
    return pd.DataFrame(data, index=pd.RangeIndex(rows))


def _final_order(
    part_names: list[str], extra_names: list[str], column_order: Sequence[str] | None
) -> list[str]:
    clashing = sorted(set(part_names) & set(extra_names))
    if clashing:
        raise ValueError(f"extra columns {clashing} are already columns of the parts")
    available = part_names + extra_names
    if column_order is None:
        return available
    order = [str(name) for name in column_order]
    repeated = sorted({name for name in order if order.count(name) > 1})
    missing = [name for name in order if name not in available]
    unlisted = [name for name in available if name not in order]
    if repeated or missing or unlisted:
        raise ValueError(
            "column_order must list every column of the result once: "
            f"repeated {repeated}, not in the data {missing}, not listed {unlisted}"
        )
    return order


def csv_chunk_rows(chunk_rows: int, columns: int) -> int:
    """``chunk_rows`` rounded down to whole ``to_csv`` blocks (at least one block), so that
    every block of the streamed file is formatted from the same rows as in the whole file."""
    block = (PANDAS_CSV_BLOCK_CELLS // (columns or 1)) or 1
    return block * max(1, chunk_rows // block)


class _CsvSink:
    def __init__(self, handle: DigestingWriter) -> None:
        self.handle = handle
        self.header = True

    def write(self, rows: pa.Table, extras: pd.DataFrame, order: list[str]) -> None:
        frame: pd.DataFrame = rows.to_pandas()  # what pd.read_parquet does with the table
        if len(extras.columns):
            frame = pd.concat([frame, extras], axis=1)
        text = frame[order].to_csv(index=False, header=self.header, lineterminator=CSV_LINE_END)
        self.handle.write(text.encode("utf-8"))
        self.header = False

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        pass


class _ParquetSink:
    def __init__(self, handle: DigestingWriter, parts_schema: pa.Schema) -> None:
        self.handle = handle
        self.parts_schema = parts_schema
        self.schema: pa.Schema | None = None
        self.writer: pq.ParquetWriter | None = None

    def _open(self, extras: pa.Table | None, order: list[str]) -> pa.Schema:
        """The file's schema: the parts' common one, and the extras' types and pandas
        metadata as their first chunk has them."""
        fields = {field.name: field for field in self.parts_schema}
        entries = _column_entries(_pandas_document(self.parts_schema))
        base = _pandas_document(self.parts_schema)
        if extras is not None:
            fields.update({field.name: field for field in extras.schema})
            entries.update(_column_entries(_pandas_document(extras.schema)))
            base = base or _pandas_document(extras.schema)
        schema = _with_pandas_document(pa.schema([fields[name] for name in order]), base, entries)
        self.schema = schema
        self.writer = pq.ParquetWriter(self.handle, schema)
        return schema

    def write(self, rows: pa.Table, extras: pd.DataFrame, order: list[str]) -> None:
        extra_table = None
        if len(extras.columns):
            extra_table = pa.Table.from_pandas(extras, preserve_index=False)
        schema = self.schema or self._open(extra_table, order)
        columns = {name: rows.column(name) for name in rows.column_names}
        if extra_table is not None:
            columns.update({name: extra_table.column(name) for name in extra_table.column_names})
        arrays = []
        for field in schema:
            try:
                arrays.append(columns[field.name].cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
                raise ValueError(
                    f"column {field.name!r} changed type between chunks (it is {field.type} "
                    f"from its first chunk): {error}"
                ) from None
        assert self.writer is not None
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def abandon(self) -> None:
        """Close the Parquet writer now, into the object its caller is about to drop: left to
        the garbage collector, it would write its footer into a closed file."""
        with suppress(Exception):
            self.close()


def _assemble(
    out: ResultWriter,
    kind: str,
    table: str,
    suffix: str,
    fmt: str,
    layout: _Layout,
    chunks: Callable[[int], Iterator[pa.Table]],
    extra: Extra | None,
    column_order: Sequence[str] | None,
    chunk_rows: int,
) -> None:
    """Write the result file from ``chunks(size)``: the output rows in order, ``size`` at a
    time, each in the parts' common schema."""
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"unknown result format {fmt!r}: use one of {', '.join(TABLE_FORMATS)}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    extra_names = [str(name) for name in _extra_frame(extra, 0, 0).columns]
    order = _final_order(layout.names, extra_names, column_order)
    size = chunk_rows if fmt == "parquet" else csv_chunk_rows(chunk_rows, len(order))
    with out.stream(kind, table, table_file_name(table, suffix, fmt), fmt) as handle:
        sink = _CsvSink(handle) if fmt == "csv" else _ParquetSink(handle, layout.schema)
        try:
            start = 0
            for rows in chunks(size):
                stop = start + rows.num_rows
                extras = _extra_frame(extra, start, stop)
                if [str(name) for name in extras.columns] != extra_names:
                    raise ValueError(
                        f"extra gave columns {list(extras.columns)} for rows {start} to {stop}, "
                        f"but {extra_names} for none: it must give the same columns every time"
                    )
                sink.write(rows, extras, order)
                start = stop
            if start == 0:  # no rows: the header, or the schema, still makes a valid file
                sink.write(layout.schema.empty_table(), _extra_frame(extra, 0, 0), order)
        except BaseException:
            sink.abandon()
            raise
        sink.close()


def write_concatenated(
    out: ResultWriter,
    kind: str,
    table: str,
    suffix: str,
    fmt: str,
    parts: Sequence[str],
    *,
    extra: Extra | None = None,
    column_order: Sequence[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> None:
    """Write result file ``<table>.<suffix>.<fmt>`` whose rows are the rows of ``parts`` (keys
    in ``out.storage``), one part after the other; one part is open at a time."""
    layout = _Layout(out.storage, parts)

    def chunks(size: int) -> Iterator[pa.Table]:
        keys = iter(layout.parts)
        left = layout.total_rows
        reader: PartReader | None = None
        try:
            while left:
                wanted = min(size, left)
                pieces = []
                while wanted:
                    while reader is None or reader.remaining == 0:
                        if reader is not None:
                            reader.close()
                        reader = PartReader(layout.storage, next(keys))
                    piece = reader.take(min(wanted, reader.remaining))
                    pieces.append(layout.conform(piece, reader.key))
                    wanted -= piece.num_rows
                chunk = pa.concat_tables(pieces)
                left -= chunk.num_rows
                yield chunk
        finally:
            if reader is not None:
                reader.close()

    _assemble(out, kind, table, suffix, fmt, layout, chunks, extra, column_order, chunk_rows)


def _checked_labels(labels: npt.ArrayLike, layout: _Layout) -> npt.NDArray[np.intp]:
    """``labels`` as part numbers, once it is sure they take each part's rows exactly."""
    array = np.asarray(labels)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 1-D array of part numbers, not {array.dtype} values")
    parts = len(layout.parts)
    if len(array) and (int(array.min()) < 0 or int(array.max()) >= parts):
        raise ValueError(f"labels must be part numbers from 0 to {parts - 1}")
    array = array.astype(np.intp, copy=False)
    counts = np.bincount(array, minlength=parts)
    for number, (key, labelled, stored) in enumerate(
        zip(layout.parts, counts, layout.rows, strict=True)
    ):
        if labelled != stored:
            raise ValueError(
                f"labels name part {number} ({key!r}) {labelled} times, but it holds "
                f"{stored} rows: each part's rows must be labelled exactly once"
            )
    return array


def write_interleaved(
    out: ResultWriter,
    kind: str,
    table: str,
    suffix: str,
    fmt: str,
    parts: Sequence[str],
    labels: npt.ArrayLike,
    *,
    extra: Extra | None = None,
    column_order: Sequence[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> None:
    """Like :func:`write_concatenated`, but output row ``i`` is the next unread row of part
    ``labels[i]``: each part is read in its own order, all parts are open at once."""
    layout = _Layout(out.storage, parts)
    part_of_row = _checked_labels(labels, layout)

    def chunks(size: int) -> Iterator[pa.Table]:
        with ExitStack() as stack:
            readers = [stack.enter_context(PartReader(layout.storage, key)) for key in parts]
            for start in range(0, len(part_of_row), size):
                chunk_labels = part_of_row[start : start + size]
                counts = np.bincount(chunk_labels, minlength=len(readers))
                grouped = pa.concat_tables(
                    [
                        layout.conform(reader.take(int(count)), reader.key)
                        for reader, count in zip(readers, counts, strict=True)
                        if count
                    ]
                )
                # ``grouped`` holds the chunk's rows sorted by part (a stable sort keeps each
                # part's own order): output row i sits where a stable argsort puts i.
                by_part = np.argsort(chunk_labels, kind="stable")
                positions = np.empty_like(by_part)
                positions[by_part] = np.arange(len(by_part))
                yield grouped.take(pa.array(positions))

    _assemble(out, kind, table, suffix, fmt, layout, chunks, extra, column_order, chunk_rows)
