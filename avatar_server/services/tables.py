"""Reading uploaded tables chunk by chunk: format detection, validation and schema discovery.

Files are never loaded whole: CSV is parsed in chunks and Parquet in record batches, and each
column's distinct values are kept as 64-bit hashes, so memory grows with the number of distinct
values, not with the file.

What an upload must be, each refusal naming the problem (and its place when there is one):

- **CSV**: UTF-8 text (a UTF-8 byte order mark is allowed). Other encodings are refused, never
  guessed, since decoding with a wrong guess would silently store other names and values than
  the owner's: a Latin-1 file is refused naming the offset and line of its first byte that is
  not UTF-8, a UTF-16 one is recognised and named. The first line is the header: every
  column named, no name twice, at most ``max_columns`` columns. Every row has exactly the
  header's number of fields: a short row (a file cut mid-row, a missing separator) is refused
  like a long one, naming the row, and so is a quote never closed. No line, and no row, may be
  longer than :data:`MAX_ROW_BYTES` (a "CSV bomb" of one huge field is refused after reading
  that many bytes of it, before it is parsed). A file cut inside its last field cannot be told
  from a complete one; the upload's SHA-256 lets a client check it sent everything.
- **Parquet**: readable to the end (page checksums are verified when the file has them), flat
  columns only, and row counts that agree: the footer's, its row groups' and the data's.
- Either: at least one row; at most ``max_rows`` rows.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from avatar_server.db.models import DatasetFormat
from avatar_server.engine.roles import ColumnSample, detect_role
from avatar_server.services.errors import InvalidInputError, TooLargeError

CHUNK_ROWS = 100_000
_MERGE_AT = 1_000_000
PARQUET_MAGIC = b"PAR1"
MAX_ROW_BYTES = 1024 * 1024
"""The longest CSV line or row accepted, in bytes: room for 2,000 columns of 500 bytes, and a
bound on what a single row, parsed whole, can cost."""
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_QUOTED_SAMPLE = 60

# Lattice used to merge the dtypes pandas infers chunk by chunk into the dtype of the column.
_NUMERIC = {"int64", "float64"}


def _looks_like_utf16(head: bytes) -> bool:
    """A UTF-16 byte order mark, or text where one byte of most pairs is NUL and the other
    never is (latin text in UTF-16)."""
    if head.startswith(_UTF16_BOMS):
        return True
    pairs = len(head) // 2
    if pairs < 2:
        return False
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    return min(even, odd) == 0 and max(even, odd) >= 0.8 * pairs


def detect_format(head: bytes) -> DatasetFormat:
    """Parquet by its magic number; otherwise it must look like UTF-8 text to be a CSV."""
    if head.startswith(PARQUET_MAGIC):
        return DatasetFormat.PARQUET
    if _looks_like_utf16(head):
        raise InvalidInputError(
            "the file is UTF-16 text: CSV files must be UTF-8; save it as UTF-8 (in Excel: "
            "'CSV UTF-8')"
        )
    if not head.strip():
        raise InvalidInputError("the file is empty")
    if b"\x00" in head:
        raise InvalidInputError("the file is neither CSV text nor Parquet (it holds binary data)")
    return DatasetFormat.CSV


def _sorted_unique(
    values: np.ndarray[Any, np.dtype[np.uint64]],
) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """Sorted distinct values; a plain sort beats ``np.unique``'s hash path on uint64 here."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


@dataclass
class _ColumnStats:
    """Running statistics of one column. Distinct values are kept as sorted unique 64-bit
    hashes; new chunks' hashes wait in ``pending`` and are merged in amortised batches, so the
    cost stays n log n however many chunks there are."""

    name: str
    dtype: str | None = None
    missing: int = 0
    hashes: np.ndarray[Any, np.dtype[np.uint64]] = field(
        default_factory=lambda: np.empty(0, dtype=np.uint64)
    )
    pending: list[np.ndarray[Any, np.dtype[np.uint64]]] = field(default_factory=list)
    pending_size: int = 0
    sample: ColumnSample | None = field(default_factory=ColumnSample)
    """A bounded sample of the values, from which the column's role is guessed (None: no
    role, for benchmarks measuring what detection costs)."""

    def update(self, series: pd.Series) -> None:
        present = series.dropna()
        self.missing += int(len(series) - len(present))
        if present.empty:
            return
        self.dtype = _merge_dtype(self.dtype, _dtype_name(present))
        if self.sample is not None:
            self.sample.add(present)
        values = present.to_numpy()
        if values.dtype.kind in "iub":
            values = values.astype("float64")
        elif values.dtype.kind == "O":
            values = values.astype(str)
        hashed = _sorted_unique(pd.util.hash_array(values))
        self.pending.append(hashed)
        self.pending_size += hashed.size
        if self.pending_size > max(_MERGE_AT, self.hashes.size):
            self._merge()

    def _merge(self) -> None:
        if self.pending:
            self.hashes = _sorted_unique(np.concatenate([self.hashes, *self.pending]))
            self.pending, self.pending_size = [], 0

    def describe(self) -> dict[str, Any]:
        self._merge()
        described: dict[str, Any] = {
            "name": self.name,
            "dtype": self.dtype or "empty",
            "missing": self.missing,
            "distinct": int(self.hashes.size),
        }
        if self.sample is not None:
            guess = detect_role(self.name, described["dtype"], described["distinct"], self.sample)
            described |= {"role": guess.role.value, "role_reason": guess.reason}
        return described


def _dtype_name(series: pd.Series) -> str:
    kind = series.dtype.kind
    if kind == "b":
        return "bool"
    if kind in "iu":
        return "int64"
    if kind == "f":
        return "float64"
    if kind == "M":
        return "datetime64"
    return "string"


def _merge_dtype(current: str | None, new: str) -> str:
    if current is None or current == new:
        return new
    if {current, new} <= _NUMERIC:
        return "float64"
    return "string"


@dataclass(frozen=True)
class TableSchema:
    rows: int
    columns: list[dict[str, Any]]


def discover_schema(
    handle: IO[bytes], fmt: DatasetFormat, *, max_rows: int, max_columns: int, roles: bool = True
) -> TableSchema:
    """Validate the table in ``handle`` and describe its columns, with their roles unless
    ``roles`` is False (see :mod:`avatar_server.engine.roles`).

    Raises ``InvalidInputError`` for anything that is not a readable, non-empty table and
    ``TooLargeError`` beyond the row or column limits.
    """
    chunks = (
        _csv_chunks(handle, max_columns)
        if fmt is DatasetFormat.CSV
        else _parquet_chunks(handle, max_columns)
    )
    stats: list[_ColumnStats] | None = None
    rows = 0
    # Closed here, while ``handle`` is still open, whether the table is read to its end or not.
    with contextlib.closing(chunks):
        for chunk in chunks:
            if stats is None:
                stats = [
                    _ColumnStats(str(name), sample=ColumnSample() if roles else None)
                    for name in chunk.columns
                ]
            rows += len(chunk)
            if rows > max_rows:
                raise TooLargeError(f"the table has more than {max_rows} rows, the limit")
            for column_stats, (_, series) in zip(stats, chunk.items(), strict=True):
                column_stats.update(series)
    if not stats:
        raise InvalidInputError("the table has no columns")
    if rows == 0:
        raise InvalidInputError("the table has a header but no rows")
    return TableSchema(rows=rows, columns=[s.describe() for s in stats])


def _check_columns(names: list[str], max_columns: int) -> None:
    if len(names) > max_columns:
        raise TooLargeError(f"the table has {len(names)} columns; the limit is {max_columns}")
    unnamed = [str(number) for number, name in enumerate(names, start=1) if not name.strip()]
    if unnamed:
        raise InvalidInputError(
            f"column {', '.join(unnamed[:10])}{', ...' if len(unnamed) > 10 else ''} (counting "
            "from 1) has an empty name: every column needs a name"
        )
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise InvalidInputError(f"duplicate column names: {', '.join(map(repr, duplicates))}")


class _CsvGuard(io.RawIOBase):
    """The bytes of a CSV file, passed through unchanged once checked: UTF-8 (the error names
    the offset and line of the first bad byte), and no line longer than ``max_line_bytes``.

    Reads are at most ``max_line_bytes`` long, so a line inside one read is shorter than the
    limit: only the line running across reads needs counting.
    """

    def __init__(self, inner: IO[bytes], max_line_bytes: int) -> None:
        super().__init__()
        self.inner = inner
        self.limit = max_line_bytes
        self.offset = 0
        self.lines = 0
        self.line_bytes = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self.inner.read(min(len(view), self.limit))
        if not chunk:
            if not self._finished:
                self._finished = True
                self._check_utf8(b"", final=True)
            return 0
        self._check_utf8(chunk)
        self._check_lines(chunk)
        view[: len(chunk)] = chunk
        self.offset += len(chunk)
        return len(chunk)

    def _check_utf8(self, chunk: bytes, final: bool = False) -> None:
        pending = len(self._decoder.getstate()[0])
        if not pending and chunk.isascii():
            return  # ASCII is UTF-8, and cheap to tell
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            position = self.offset - pending + error.start
            line = self.lines + chunk[: max(0, position - self.offset)].count(b"\n") + 1
            byte = error.object[error.start]
            raise InvalidInputError(
                f"the CSV file is not valid UTF-8: byte 0x{byte:02X} at offset {position} (line "
                f"{line}) is not UTF-8 text; save the file as UTF-8 (in Excel: 'CSV UTF-8')"
            ) from None

    def _check_lines(self, chunk: bytes) -> None:
        first = chunk.find(b"\n")
        running = self.line_bytes + (len(chunk) if first < 0 else first)
        if running > self.limit:
            raise InvalidInputError(
                f"line {self.lines + 1} is longer than {self.limit} bytes, the limit for a CSV line"
            )
        if first < 0:
            self.line_bytes = running
            return
        self.lines += chunk.count(b"\n")
        self.line_bytes = len(chunk) - chunk.rfind(b"\n") - 1


def _csv_header(handle: IO[bytes], max_columns: int) -> list[str]:
    """The header's names, from the first line (read through the guard, so bounded)."""
    guard = _CsvGuard(handle, MAX_ROW_BYTES)
    line = io.BufferedReader(guard).readline(MAX_ROW_BYTES + 1)
    text = line.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise InvalidInputError("line 1 is empty: the first line must be the header")
    try:
        header = next(csv.reader([text]), [])
    except csv.Error as error:
        raise InvalidInputError(f"the header (line 1) is malformed: {error}") from None
    _check_columns(header, max_columns)
    return header


def _sample(text: str) -> str:
    return repr(text if len(text) <= _QUOTED_SAMPLE else text[:_QUOTED_SAMPLE] + "...")


def _check_csv_rows(handle: IO[bytes], columns: int) -> None:
    """Parse every row once, strictly (as text, no type inference, in bounded blocks): each
    row has the header's number of fields and none is longer than :data:`MAX_ROW_BYTES`."""
    guard = _CsvGuard(handle, MAX_ROW_BYTES)
    names = [f"c{i}" for i in range(columns)]
    bad: list[str] = []

    def invalid(row: Any) -> str:
        why = (
            "cut short (a truncated file or a missing separator)"
            if (row.actual_columns < row.expected_columns)
            else "longer than the header (an extra separator, or an unquoted one in a value)"
        )
        where = f"row {row.number} (the header is row 1)" if row.number is not None else "a row"
        bad.append(
            f"{where} has {row.actual_columns} field(s) where the header has "
            f"{row.expected_columns}: it is {why}: {_sample(row.text)}"
        )
        return "error"

    try:
        reader = pa_csv.open_csv(
            guard,
            read_options=pa_csv.ReadOptions(
                use_threads=False, block_size=MAX_ROW_BYTES, skip_rows=1, column_names=names
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), check_utf8=False
            ),
        )
        for _ in reader:
            pass
    except pa.ArrowInvalid as error:
        if "Could not skip initial" in str(error):
            return  # the header alone, without a newline: no rows, which the parse reports
        if bad:
            raise InvalidInputError(f"the CSV file is malformed: {bad[0]}") from None
        if "straddling" in str(error):
            where = _long_row(handle)
            raise InvalidInputError(
                f"{where} is longer than {MAX_ROW_BYTES} bytes, the limit for a CSV row: a field "
                "is too long, or a quote is never closed"
            ) from None
        raise InvalidInputError(f"the CSV file is malformed: {error}") from None


def _long_row(handle: IO[bytes]) -> str:
    """Which row is too long, found again (only on that error) with the csv module: its fields
    are capped by ``csv.field_size_limit`` (128 KiB), so the scan stays bounded too."""
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
    number = 0
    try:
        for number, row in enumerate(csv.reader(text), start=1):  # noqa: B007
            if sum(map(len, row)) > MAX_ROW_BYTES:
                break
        else:
            return "a row"
    except csv.Error:
        number += 1
    finally:
        text.detach()
    return f"row {number} (the header is row 1)"


_PANDAS_UNCLOSED = re.compile(r"EOF inside string starting at row (\d+)")


def _parser_message(error: Exception) -> str:
    text = str(error).removeprefix("Error tokenizing data. C error: ").strip()
    unclosed = _PANDAS_UNCLOSED.search(text)
    if unclosed:
        return (
            f"the CSV file is malformed: the quote opened in row {int(unclosed[1]) + 1} (the "
            "header is row 1) is never closed (an unbalanced quote, or a file cut short)"
        )
    return f"the CSV file is malformed: {text}"


def _csv_chunks(handle: IO[bytes], max_columns: int) -> Generator[pd.DataFrame]:
    header = _csv_header(handle, max_columns)
    handle.seek(0)
    _check_csv_rows(handle, len(header))
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        with pd.read_csv(text, chunksize=CHUNK_ROWS, low_memory=False) as reader:
            yield from reader
    except UnicodeDecodeError as exc:  # checked before; kept as a safety net
        raise InvalidInputError(f"the CSV file is not valid UTF-8: {exc}") from None
    except pd.errors.EmptyDataError as exc:
        raise InvalidInputError("the file is empty") from exc
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InvalidInputError(_parser_message(exc)) from None
    finally:
        text.detach()


def _to_pandas(data: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """The batch as pandas sees it, following the file's pandas metadata (a JSON document in
    the footer) when there is one."""
    try:
        frame: pd.DataFrame = data.to_pandas()
        return frame
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        if b"pandas" not in (data.schema.metadata or {}):
            raise
        raise InvalidInputError(
            f"the Parquet file's pandas metadata (a JSON document in its footer) is damaged: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


_PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError, KeyError, TypeError, IndexError)
"""What reading a damaged Parquet file raises: Arrow's errors, and those of decoding its pandas
metadata (a JSON document in the footer) when that is what the damage hit."""


def _check_row_groups(metadata: pq.FileMetaData) -> None:
    """The footer's row count is its row groups' sum, and every (flat) column chunk of a row
    group holds one value per row of it, gaps included."""
    in_groups = 0
    for group_index in range(metadata.num_row_groups):
        group = metadata.row_group(group_index)
        in_groups += group.num_rows
        for column_index in range(group.num_columns):
            chunk = group.column(column_index)
            if chunk.num_values != group.num_rows:
                raise InvalidInputError(
                    f"the Parquet file is inconsistent: row group {group_index} declares "
                    f"{group.num_rows} rows, but its column {chunk.path_in_schema!r} holds "
                    f"{chunk.num_values} values"
                )
    if in_groups != metadata.num_rows:
        raise InvalidInputError(
            f"the Parquet file is inconsistent: its footer declares {metadata.num_rows} rows, "
            f"its row groups {in_groups}"
        )


def _parquet_chunks(handle: IO[bytes], max_columns: int) -> Generator[pd.DataFrame]:
    try:
        parquet = pq.ParquetFile(handle, page_checksum_verification=True)
        schema = parquet.schema_arrow
        _check_columns(list(schema.names), max_columns)
        for column in schema:
            if pa.types.is_nested(column.type):
                raise InvalidInputError(
                    f"column {column.name!r} holds nested values ({column.type}): only flat "
                    "columns (numbers, text, booleans, dates) can be anonymized"
                )
        metadata = parquet.metadata
        declared = metadata.num_rows
        _check_row_groups(metadata)
        if declared == 0:
            yield _to_pandas(schema.empty_table())
        rows = 0
        for batch in parquet.iter_batches(batch_size=CHUNK_ROWS):
            rows += batch.num_rows
            yield _to_pandas(batch)
        if rows != declared:
            raise InvalidInputError(
                f"the Parquet file is inconsistent: its footer declares {declared} rows, its "
                f"data holds {rows}"
            )
    except InvalidInputError:
        raise
    except _PARQUET_ERRORS as exc:
        raise InvalidInputError(f"the Parquet file is unreadable: {exc}") from exc
