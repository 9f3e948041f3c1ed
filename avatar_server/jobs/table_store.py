"""Each accepted upload stored a second time as Parquet (``table.parquet``, beside ``uploaded``),
typed once, in row groups of ``batch_rows`` rows, so that jobs read typed columns instead of
parsing text again, and can read a table a few row groups at a time.

The stored table must read back as exactly the DataFrame the uploaded file gives when a job
parses it whole (``jobs.tables.read_frame``), or it would change what every job computes. For
a CSV that is the hard part: pandas parses a whole file in blocks of :func:`pandas_block_rows`
rows, guesses each block's column types on its own, and joins the blocks with rules of its own
(a block of integers beside a block of text makes a column of mixed Python objects; a block of
gaps beside text stays text; booleans with gaps become objects). Here the file is read in chunks
of whole blocks, so each block is parsed exactly as in the whole read; each chunk's columns are
checked against the type the upload's analysis recorded (which fixes the Parquet type before the
first row is written) and the dtype the whole read would end with is decided from every chunk
seen, and written in the file's footer. A column whose values would end as mixed Python objects
(numbers and text: digits-only phone numbers beside written ones) has no faithful Parquet type:
then nothing is stored and jobs keep parsing the uploaded file (:class:`NotStorable`).

An uploaded Parquet file is copied batch by batch with its own schema (pandas metadata
included), re-cut into row groups.

Memory is bounded whatever the table's size: one chunk (at most about :data:`CHUNK_ROWS` rows or
:data:`~avatar_server.decoding.BATCH_BYTES` of numbers, but at least one pandas block, which is
at most 2**20 cells) and one row group waiting to be written (at most :data:`GROUP_BYTES`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from avatar_server.db.models import CsvDialect, DatasetFormat
from avatar_server.decoding import BATCH_BYTES, MAX_ROW_BYTES, decoded_batches, read_table
from avatar_server.jobs.allocator import release_freed_memory
from avatar_server.storage import Storage

logger = logging.getLogger("avatar_server")

UPLOADED = "uploaded"
"""The name of a dataset's bytes as uploaded, under its own prefix."""
TABLE_PARQUET = "table.parquet"
"""The name of a dataset's typed copy, next to :data:`UPLOADED`."""
METADATA_KEY = b"avatars.table"
"""Footer key of the JSON document saying where the table came from and, for a CSV, the
pandas dtype each column takes (see :func:`to_frame`)."""
CHUNK_ROWS = 100_000
"""At most about how many CSV rows are parsed at a time (rounded to whole pandas blocks); fewer
for a wide table, so that a chunk takes about :data:`~avatar_server.decoding.BATCH_BYTES`."""
GROUP_BYTES = 2 * BATCH_BYTES
"""A row group is written before it holds ``batch_rows`` rows if it already takes this much
memory (long text values), so that the memory a conversion takes stays bounded."""

_STORED_TYPES = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.large_string(),
}
_ALLOWED = {
    "int64": {"int"},
    "float64": {"int", "float", "null"},
    "bool": {"bool", "bools", "null"},
    "string": {"text", "bool", "bools", "null"},
}


class NotStorable(ValueError):
    """The table cannot be stored as Parquet so that it reads back as the uploaded file does;
    the message names the column and why."""


def table_key(prefix: str) -> str:
    """The key of the typed copy of the dataset stored under ``prefix``."""
    return f"{prefix}/{TABLE_PARQUET}"


def typed_key(upload_key: str) -> str | None:
    """Where the typed copy of the upload stored at ``upload_key`` would be: beside it, when
    the upload has a folder of its own (not for datasets stored as a single object by an
    earlier version)."""
    folder, _, name = upload_key.rpartition("/")
    return table_key(folder) if folder and name == UPLOADED else None


def pandas_block_rows(columns: int) -> int:
    """How many rows pandas' C parser reads per block when it parses a file whole (its
    ``low_memory`` mode): the largest power of two below 2**20 / columns / 2. Each block's
    column types are guessed on their own; ``tests/test_table_store.py`` pins this."""
    heuristic = 2**20 // max(1, columns)
    rows = 1
    while rows * 2 < heuristic:
        rows *= 2
    return rows


def _kind(values: pd.Series) -> str:
    """What one chunk of a column holds, as pandas parsed it: ``int``, ``float``, ``null``
    (nothing but gaps), ``bool``, ``bools`` (booleans and gaps, as objects), ``text``, or
    ``other`` (anything that has no faithful Parquet type, such as numbers mixed with text)."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        return "text"
    if dtype == np.dtype(bool):
        return "bool"
    if dtype == np.dtype(np.int64):
        return "int"
    if dtype == np.dtype(np.float64):
        return "null" if bool(values.isna().all()) else "float"
    if dtype == np.dtype(object):
        if bool(values.isna().all()):
            return "null"
        if pd.api.types.infer_dtype(values, skipna=True) == "boolean":
            return "bools"
    return "other"


def _final_dtype(kinds: set[str]) -> str:
    """The dtype the whole read gives a column whose chunks held ``kinds`` (pandas' rules for
    joining blocks: integers with anything numeric or gaps become floats, text keeps its
    dtype over blocks of gaps, booleans with gaps become objects)."""
    if kinds == {"int"}:
        return "int64"
    if kinds <= {"int", "float", "null"}:
        return "float64"
    if kinds <= {"text", "null"}:
        return "str"
    if kinds == {"bool"}:
        return "bool"
    if kinds <= {"bool", "bools", "null"}:
        return "object"
    raise NotStorable(f"it holds {' and '.join(sorted(kinds))} values in different rows")


@dataclass
class _Column:
    """One CSV column: its Parquet type (from the recorded analysis) and what chunks held."""

    name: str
    recorded: str
    kinds: set[str] = field(default_factory=set)

    @property
    def stored(self) -> pa.DataType:
        return _STORED_TYPES[self.recorded]

    def to_arrow(self, values: pd.Series) -> pa.Array:
        kind = _kind(values)
        if kind not in _ALLOWED[self.recorded]:
            raise NotStorable(
                f"column {self.name!r}: the upload recorded it as {self.recorded}, but some "
                f"rows read as {kind}"
            )
        self.kinds.add(kind)
        if kind == "null":
            return pa.nulls(len(values), self.stored)
        if self.recorded == "string" and kind in ("bool", "bools"):
            text = values.map({True: "True", False: "False"}, na_action="ignore")
            return pa.array(text.to_numpy(object), type=self.stored, from_pandas=True)
        if kind == "text":
            return pa.array(values.array, from_pandas=True).cast(self.stored)
        if kind == "bools":
            return pa.array(values.to_numpy(object), type=self.stored, from_pandas=True)
        if self.recorded == "float64":
            # Cast by numpy, as pandas casts integer blocks joined with float ones (Arrow
            # refuses integers a double cannot hold exactly).
            numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
            return pa.array(numbers, type=self.stored, from_pandas=True)
        return pa.array(values.to_numpy(), type=self.stored, from_pandas=True)

    def describe(self) -> dict[str, str]:
        try:
            dtype = _final_dtype(self.kinds)
        except NotStorable as error:
            raise NotStorable(f"column {self.name!r}: {error}") from None
        return {"name": self.name, "dtype": dtype}


class _RowGroups:
    """Writes what it is given in row groups of ``rows`` rows (the last one fewer), or fewer
    when they would take more than :data:`GROUP_BYTES` in memory (long values), holding at
    most one group and one chunk meanwhile."""

    def __init__(self, writer: pq.ParquetWriter, rows: int) -> None:
        self.writer = writer
        self.rows = rows
        self.pending: list[pa.Table] = []
        self.count = 0
        self.size = 0

    def add(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.count += table.num_rows
        self.size += table.nbytes
        while self.count >= self.rows or (self.count and self.size >= GROUP_BYTES):
            joined = pa.concat_tables(self.pending)
            taken = min(self.rows, self.count)
            self.writer.write_table(joined.slice(0, taken), row_group_size=taken)
            rest = joined.slice(taken)
            self.pending, self.count, self.size = [rest], rest.num_rows, rest.nbytes

    def finish(self) -> None:
        if self.count:
            self.writer.write_table(pa.concat_tables(self.pending), row_group_size=self.count)
        self.pending, self.count, self.size = [], 0, 0


def _csv_chunks(handle: IO[bytes], dialect: CsvDialect, columns: int) -> Iterator[pd.DataFrame]:
    """The rows as a whole read parses them: the same options as ``read_frame``, in chunks of
    whole pandas blocks so each block's types are guessed from the same rows."""
    block = pandas_block_rows(columns)
    wanted = min(CHUNK_ROWS, BATCH_BYTES // (8 * max(1, columns)))
    rows = block * max(1, wanted // block)
    with pd.read_csv(handle, chunksize=rows, **dialect.pandas_options()) as reader:
        yield from reader


def _write_csv(
    handle: IO[bytes],
    out: IO[bytes],
    dialect: CsvDialect,
    recorded: Sequence[dict[str, Any]],
    rows_per_group: int,
) -> None:
    columns = []
    for described in recorded:
        dtype, missing = str(described["dtype"]), int(described.get("missing", 0))
        if dtype == "int64" and missing:
            dtype = "float64"  # integers with gaps are read as floats
        elif dtype == "empty":
            dtype = "float64"  # a column of gaps only is read as NaN floats
        if dtype not in _STORED_TYPES:
            raise NotStorable(f"column {described['name']!r}: a CSV column recorded as {dtype}")
        columns.append(_Column(str(described["name"]), dtype))
    schema = pa.schema([(c.name, c.stored) for c in columns])
    with pq.ParquetWriter(out, schema) as writer:
        groups = _RowGroups(writer, rows_per_group)
        for chunk in _csv_chunks(handle, dialect, len(columns)):
            if [str(name) for name in chunk.columns] != [c.name for c in columns]:
                raise NotStorable("the columns read differ from the ones the upload recorded")
            arrays = [c.to_arrow(chunk[c.name]) for c in columns]
            groups.add(pa.Table.from_arrays(arrays, schema=schema))
        groups.finish()
        document = {"source": "csv", "columns": [c.describe() for c in columns]}
        writer.add_key_value_metadata({METADATA_KEY: json.dumps(document).encode()})


def _write_parquet(
    handle: IO[bytes], out: IO[bytes], rows_per_group: int, max_decoded_bytes: int
) -> None:
    schema = pq.ParquetFile(handle).schema_arrow
    with pq.ParquetWriter(out, schema) as writer:
        groups = _RowGroups(writer, rows_per_group)
        batches: Iterable[pa.RecordBatch] = decoded_batches(
            handle, max_decoded_bytes=max_decoded_bytes, max_row_bytes=MAX_ROW_BYTES
        )
        for batch in batches:
            groups.add(pa.Table.from_batches([batch], schema=schema))
        groups.finish()
        writer.add_key_value_metadata({METADATA_KEY: json.dumps({"source": "parquet"}).encode()})


def store_table(
    storage: Storage,
    upload_key: str,
    prefix: str,
    fmt: DatasetFormat,
    columns: Sequence[dict[str, Any]],
    dialect: CsvDialect | None,
    *,
    rows_per_group: int,
    max_decoded_bytes: int,
) -> bool:
    """Store the accepted upload at ``upload_key`` as :data:`TABLE_PARQUET` under ``prefix``,
    reading it with ``dialect`` (a CSV) and the ``columns`` its analysis recorded.

    Returns False, having stored nothing and said why in a log line, when the table cannot be
    stored faithfully (:class:`NotStorable`, or a file pyarrow cannot write); jobs then parse
    the uploaded file, as they did before. A storage failure raises.
    """
    try:
        with storage.open_read(upload_key) as handle, storage.open_write(table_key(prefix)) as out:
            if fmt is DatasetFormat.PARQUET:
                _write_parquet(handle, out, rows_per_group, max_decoded_bytes)
            else:
                _write_csv(handle, out, dialect or CsvDialect(), columns, rows_per_group)
    except NotStorable as error:
        why = str(error)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError) as error:
        why = f"pyarrow cannot write it: {error}"
    else:
        return True
    finally:
        # What the chunks took goes back to the system, not kept by a process that mostly
        # waits for requests (as after the upload's own checks).
        pa.default_memory_pool().release_unused()
        release_freed_memory()
    logger.info("dataset %s kept only as uploaded (jobs parse it each time): %s", prefix, why)
    return False


@dataclass(frozen=True)
class StoredTable:
    """A typed copy opened for reading: its row groups' sizes, and its rows as frames."""

    handle: IO[bytes]
    parquet: pq.ParquetFile
    document: dict[str, Any]

    @classmethod
    def open(cls, handle: IO[bytes]) -> StoredTable:
        parquet = pq.ParquetFile(handle)
        raw = (parquet.metadata.metadata or {}).get(METADATA_KEY)
        if raw is None:
            raise ValueError("this Parquet file is not a table stored by the server")
        return cls(handle, parquet, json.loads(raw))

    @property
    def from_csv(self) -> bool:
        return bool(self.document["source"] == "csv")

    def group_rows(self) -> list[int]:
        """How many rows each row group holds, in order."""
        metadata = self.parquet.metadata
        return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]

    def read(self, *, max_decoded_bytes: int | None = None) -> pd.DataFrame:
        """The whole table. A copy of an uploaded Parquet file is decoded within
        ``max_decoded_bytes`` (None: no limit), as the uploaded file itself would be."""
        if self.from_csv:
            return self._csv_frame(None)
        if max_decoded_bytes is not None:
            table = read_table(self.handle, max_decoded_bytes=max_decoded_bytes)
        else:
            table = self.parquet.read(use_threads=False)
        frame: pd.DataFrame = table.to_pandas()
        return frame

    def read_groups(self, groups: Sequence[int]) -> pd.DataFrame:
        """The rows of row groups ``groups``, indexed by their row numbers in the whole
        table (as ``frame.iloc`` of the whole read gives them)."""
        groups = list(groups)
        if self.from_csv:
            frame = self._csv_frame(groups)
        else:
            frame = self.parquet.read_row_groups(groups, use_threads=False).to_pandas()
        if isinstance(frame.index, pd.RangeIndex):
            starts = np.concatenate([[0], np.cumsum(self.group_rows())]).astype(np.int64)
            positions = [np.arange(starts[g], starts[g + 1]) for g in groups]
            frame.index = pd.Index(np.concatenate(positions) if positions else [], dtype=np.int64)
            if positions and np.array_equal(
                frame.index, np.arange(starts[groups[0]], starts[groups[0]] + len(frame))
            ):
                frame.index = pd.RangeIndex(starts[groups[0]], starts[groups[0]] + len(frame))
        return frame

    def column_names(self) -> list[str]:
        """The table's columns, in order (as the whole read gives them)."""
        if self.from_csv:
            return [str(column["name"]) for column in self.document["columns"]]
        empty: pd.DataFrame = self.parquet.schema_arrow.empty_table().to_pandas()
        return [str(name) for name in empty.columns]

    def read_columns(self, names: Sequence[str]) -> pd.DataFrame:
        """Columns ``names`` of the whole table, as the whole read gives them (a table too
        large to hold whole is read a column at a time)."""
        if self.from_csv:
            return self._csv_frame(None, list(names))
        table = self.parquet.read(columns=list(names), use_threads=False, use_pandas_metadata=True)
        frame: pd.DataFrame = table.to_pandas()
        return frame

    def _csv_frame(self, groups: list[int] | None, names: list[str] | None = None) -> pd.DataFrame:
        """The rows (of ``groups``, or all) of a CSV's copy, each column in the dtype the whole
        read of the upload gives it (recorded when stored). Read a column at a time, so only
        one column is held twice (as Arrow and as pandas) at once."""
        data: dict[str, Any] = {}
        rows = 0
        for column in self.document["columns"]:
            name = column["name"]
            if names is not None and name not in names:
                continue
            if groups is None:
                part = self.parquet.read(columns=[name], use_threads=False)
            else:
                part = self.parquet.read_row_groups(groups, columns=[name], use_threads=False)
            data[name] = _to_pandas(part.column(name), column["dtype"])
            rows = part.num_rows
        # Each column is already a new array: building the frame need not copy them again
        # (that copy cost more than reading the file).
        return pd.DataFrame(data, index=pd.RangeIndex(rows), copy=False)


def _to_pandas(values: pa.ChunkedArray, dtype: str) -> Any:
    if dtype == "str":
        text = values.cast(pa.large_string())
        return pd.array(text, dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    if dtype == "float64":
        if values.null_count == len(values):
            return np.full(len(values), np.nan)
        array = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return array if array.flags.writeable else array.copy()
    if dtype == "object":
        truth = values if pa.types.is_boolean(values.type) else pc.equal(values, "True")
        out = truth.fill_null(False).to_numpy(zero_copy_only=False).astype(object)
        out[values.is_null().to_numpy(zero_copy_only=False)] = np.nan
        return out
    array = values.to_numpy(zero_copy_only=False)
    # One chunk without gaps is handed out as Arrow's own read-only memory.
    return array if array.flags.writeable else array.copy()
