"""Reading uploaded tables chunk by chunk: format detection, validation and schema discovery.

Files are never loaded whole: CSV is parsed in chunks and Parquet in record batches, and each
column's distinct values are kept as 64-bit hashes, so memory grows with the number of distinct
values, not with the file.

What an upload must be, each refusal naming the problem (and its place when there is one):

- **CSV**: text whose encoding, separator and quote character are given or detected by fixed
  rules (:mod:`avatar_server.services.dialect`): UTF-8, UTF-16 or UTF-32 (a byte order mark
  is allowed), else Windows-1252 or Latin-1; separated by ``,``, ``;``, a tab or ``|``. The
  choice is stored with the dataset and shown in its schema; a byte that is not text in the
  encoding read is refused naming its offset and line, and a file read as one column whose
  header splits on ``;``, a tab or ``|`` is refused naming that separator. The first line is
  the header: every column named, no name twice, at most ``max_columns`` columns. Every row
  has exactly the header's number of fields: a short row (a file cut mid-row, a missing
  separator) is refused like a long one, naming the row, and so is a quote never closed. No
  line, and no row, may be longer than :data:`MAX_ROW_BYTES` (a "CSV bomb" of one huge field
  is refused after reading that many bytes of it, before it is parsed). A file cut inside its
  last field cannot be told from a complete one; the upload's SHA-256 lets a client check it
  sent everything.
- **Parquet**: readable to the end (page checksums are verified when the file has them), flat
  columns only, and row counts that agree: the footer's, its row groups' and the data's. No
  row may take more than :data:`MAX_ROW_BYTES` once decoded, like a CSV line.
- Either: at least one row; at most ``max_rows`` rows; at most ``max_decoded_bytes`` in memory
  once decoded (413 beyond: a Parquet file of a few kilobytes can hold gigabytes of repeated
  values, see :mod:`avatar_server.decoding`; a CSV of empty fields decodes to 8 bytes each).
  Either is read in chunks of about :data:`~avatar_server.decoding.BATCH_BYTES` decoded, so
  validating costs that much memory whatever the file holds.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import threading
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from avatar_server.db.models import CsvDialect, DatasetFormat
from avatar_server.decoding import (
    BATCH_BYTES,
    MAX_ROW_BYTES,
    DecodedTooLargeError,
    decoded_batches,
    too_large_message,
)
from avatar_server.jobs.allocator import release_freed_memory
from avatar_server.services.dialect import (
    SNIFF_BYTES,
    NotEncodedError,
    is_wide,
    refuse_one_column,
    sniff_decimal,
    sniff_dialect,
    starting_encoding,
    text_decoder,
)
from avatar_server.services.errors import InvalidInputError, TooLargeError
from avatar_server.services.roles import ColumnSample, detect_role

CHUNK_ROWS = 100_000
_MERGE_AT = 1_000_000
PARQUET_MAGIC = b"PAR1"
_QUOTED_SAMPLE = 60
_READ_PARTS = 5
_DECLARED_BYTES = 4096
"""The head an encoding's own mark (or UTF-16's NUL bytes) is looked for in: as much as the
upload keeps to tell the format, so both see the same bytes."""

# Lattice used to merge the dtypes pandas infers chunk by chunk into the dtype of the column.
_NUMERIC = {"int64", "float64"}


def detect_format(head: bytes, encoding: str | None = None) -> DatasetFormat:
    """Parquet by its magic number; otherwise it must look like text to be a CSV (NUL bytes
    are binary, unless the text is UTF-16 or UTF-32, detected or ``encoding``)."""
    if head.startswith(PARQUET_MAGIC):
        return DatasetFormat.PARQUET
    if not head.strip():
        raise InvalidInputError("the file is empty")
    if b"\x00" in head and not is_wide(starting_encoding(head, encoding)):
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
            # Each value as text, as objects: numpy's ``astype(str)`` would make every cell
            # as wide as the longest (one 1 MiB value in 100,000 rows: 373 GiB).
            values = _as_text(values)
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


_as_text = np.frompyfunc(str, 1, 1)


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
    dialect: CsvDialect | None = None
    """How the CSV was read (None for Parquet)."""


def discover_schema(
    handle: IO[bytes],
    fmt: DatasetFormat,
    *,
    max_rows: int,
    max_columns: int,
    sep: str | None = None,
    encoding: str | None = None,
    roles: bool = True,
    max_decoded_bytes: int | None = None,
) -> TableSchema:
    """Validate the table in ``handle`` and describe its columns, with their roles unless
    ``roles`` is False (see :mod:`avatar_server.services.roles`), and, for a CSV, how it is
    written (``sep`` and ``encoding`` when given, checked names; detected otherwise).

    Raises ``InvalidInputError`` for anything that is not a readable, non-empty table,
    ``UnprocessableError`` for a CSV read as one column that looks separated, and
    ``TooLargeError`` beyond the row, column or decoded size (None: no limit) limits.
    """
    limit = max_decoded_bytes if max_decoded_bytes is not None else np.iinfo(np.int64).max
    dialect = None
    if fmt is DatasetFormat.CSV:
        dialect = read_csv_dialect(handle, max_columns, sep=sep, encoding=encoding)
        chunks = _csv_chunks(handle, dialect, limit)
    else:
        chunks = _parquet_chunks(handle, max_columns, limit)
    stats: list[_ColumnStats] | None = None
    rows = 0
    # Closed here, while ``handle`` is still open, whether the table is read to its end or not.
    with _handing_memory_back(), contextlib.closing(chunks):
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
    return TableSchema(rows=rows, columns=[s.describe() for s in stats], dialect=dialect)


@contextlib.contextmanager
def _handing_memory_back() -> Generator[None]:
    """Once the table is read, Arrow's allocator and glibc's hand back to the system what the
    chunks took (measured: a 320 MB CSV of empty fields kept 90 MiB without, 22 MiB with), rather
    than keep it in a process that mostly waits for requests."""
    try:
        yield
    finally:
        pa.default_memory_pool().release_unused()
        release_freed_memory()


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
    """The text of a CSV file as UTF-8 bytes, once checked: text in ``encoding`` (None: found
    while reading; the error names the offset and line of the first byte that is not), and no
    line longer than ``max_line_bytes``. UTF-8 and ASCII pass through unchanged; other
    encodings are decoded and re-encoded.

    The file is read :data:`_READ_PARTS` times less than ``max_line_bytes`` at a time, so that
    what one read gives (at most 4 UTF-8 bytes per byte read) stays below the limit: only the
    line running across reads needs counting.
    """

    def __init__(self, inner: IO[bytes], max_line_bytes: int, encoding: str | None) -> None:
        super().__init__()
        self.inner = inner
        self.limit = max_line_bytes
        self.decoder = text_decoder(encoding)
        self.offset = 0
        self.lines = 0
        self.line_bytes = 0
        self._out = b""
        self._out_at = 0
        self._finished = False
        self._reading = threading.Lock()
        self._released = False

    @property
    def encoding(self) -> str:
        """The encoding read with; when detected, final once the file is read to its end."""
        return self.decoder.encoding

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Fills ``buffer`` whole unless the file ends: the parsers take a short read for the
        end of a block, and would then see a long line before this guard does."""
        view = memoryview(buffer).cast("B")
        count = 0
        while count < len(view):
            if self._out_at >= len(self._out):
                if self._finished:
                    break
                self._out, self._out_at = self._next(), 0
                continue
            taken = min(len(view) - count, len(self._out) - self._out_at)
            view[count : count + taken] = self._out[self._out_at : self._out_at + taken]
            self._out_at += taken
            count += taken
        return count

    def release(self) -> None:
        """Stops reading ``inner`` for good, once a read in flight has ended.

        pyarrow's streaming reader reads ahead on a thread of its own, which may still be
        reading when the parse has failed; whoever reads ``inner`` again must first release it,
        or the two reads move the same file position.
        """
        with self._reading:
            self._released = True
            self._finished = True

    def _next(self) -> bytes:
        with self._reading:
            if self._released:
                return b""
            chunk = self.inner.read(self.limit // _READ_PARTS)
        self._finished = not chunk
        try:
            text = self.decoder.feed(chunk, final=self._finished)
        except NotEncodedError as error:
            raise InvalidInputError(self._not_encoded(error, len(chunk))) from None
        self.offset += len(chunk)
        self._check_lines(text)
        return text

    def _not_encoded(self, error: NotEncodedError, read: int) -> str:
        """Where the bad byte is: its offset in the file, and its line (those before the bytes
        the decoder held, plus the line ends decoded before it)."""
        position = self.offset - (len(error.data) - read) + error.start
        before = error.data[: error.start].decode(self.encoding, errors="replace")
        line = self.lines + before.count("\n") + 1
        at = error.data[error.start : error.start + 1]
        byte = f"byte 0x{at[0]:02X}" if at else "the end"
        name = error.encoding or self.encoding
        return (
            f"the CSV file is not valid {name}: {byte} at offset {position} (line {line}): "
            f"{error.message}"
        )

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


def read_csv_dialect(
    handle: IO[bytes], max_columns: int, *, sep: str | None = None, encoding: str | None = None
) -> CsvDialect:
    """How the CSV in ``handle`` is written, its header and every row checked against it.

    ``sep`` and ``encoding`` (checked names) are taken when given; otherwise the separator and
    quote come from the head of the file and the encoding from all of it, as
    :mod:`avatar_server.services.dialect` describes.
    """
    handle.seek(0)
    first = handle.read(_DECLARED_BYTES)
    handle.seek(0)
    start = starting_encoding(first, encoding)
    header_line, head, complete = _csv_head(handle, start)
    delimiter, quotechar = sniff_dialect(head, complete=complete, sep=sep)
    header = _csv_header(header_line, delimiter, quotechar, max_columns)
    if sep is None:
        refuse_one_column(header, header_line, head, complete=complete, quotechar=quotechar)
    handle.seek(0)
    final = _check_csv_rows(handle, len(header), delimiter, quotechar, start)
    decimal = sniff_decimal(head, delimiter, quotechar, complete=complete)
    return CsvDialect(delimiter=delimiter, quotechar=quotechar, encoding=final, decimal=decimal)


def _csv_head(handle: IO[bytes], encoding: str | None) -> tuple[str, str, bool]:
    """The first line, and the text of the first line and up to :data:`SNIFF_BYTES` more, read
    through the guard (so bounded, and decoded as the rest will be), and whether that is the
    whole file. A character cut at the end of a head that is not the whole file is left out."""
    reader = io.BufferedReader(_CsvGuard(handle, MAX_ROW_BYTES, encoding))
    line = reader.readline(MAX_ROW_BYTES + 1)
    rest = reader.read(SNIFF_BYTES)
    complete = len(rest) < SNIFF_BYTES
    head = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(line + rest, complete)
    first = line.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return first, head.removeprefix("\ufeff"), complete


def _csv_header(line: str, delimiter: str, quotechar: str, max_columns: int) -> list[str]:
    """The header's names, from the first line."""
    if not line.strip():
        raise InvalidInputError("line 1 is empty: the first line must be the header")
    try:
        header = next(csv.reader([line], delimiter=delimiter, quotechar=quotechar), [])
    except csv.Error as error:
        raise InvalidInputError(f"the header (line 1) is malformed: {error}") from None
    _check_columns(header, max_columns)
    return header


def _sample(text: str) -> str:
    return repr(text if len(text) <= _QUOTED_SAMPLE else text[:_QUOTED_SAMPLE] + "...")


def _check_csv_rows(
    handle: IO[bytes], columns: int, delimiter: str, quotechar: str, encoding: str | None
) -> str:
    """Parse every row once, strictly (as text, no type inference, in bounded blocks): each
    row has the header's number of fields and none is longer than :data:`MAX_ROW_BYTES`.

    Returns the encoding the file was read with: when it is detected, this pass, which reads
    every byte, is what settles it.
    """
    guard = _CsvGuard(handle, MAX_ROW_BYTES, encoding)
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
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char=quotechar,
                newlines_in_values=True,
                invalid_row_handler=invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), check_utf8=False
            ),
        )
        for _ in reader:
            pass
    except pa.ArrowInvalid as error:
        guard.release()
        if "Could not skip initial" in str(error):
            return guard.encoding  # the header alone, without a newline: no rows, reported later
        if bad:
            raise InvalidInputError(f"the CSV file is malformed: {bad[0]}") from None
        if "straddling" in str(error):
            where = _long_row(handle, CsvDialect(delimiter, quotechar, guard.encoding))
            raise InvalidInputError(
                f"{where} is longer than {MAX_ROW_BYTES} bytes, the limit for a CSV row: a field "
                "is too long, or a quote is never closed"
            ) from None
        raise InvalidInputError(f"the CSV file is malformed: {error}") from None
    return guard.encoding


def _long_row(handle: IO[bytes], dialect: CsvDialect) -> str:
    """Which row is too long, found again (only on that error) with the csv module: its fields
    are capped by ``csv.field_size_limit`` (128 KiB), so the scan stays bounded too."""
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=dialect.encoding, errors="replace", newline="")
    number = 0
    try:
        rows = csv.reader(text, delimiter=dialect.delimiter, quotechar=dialect.quotechar)
        for number, row in enumerate(rows, start=1):  # noqa: B007
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


def _csv_chunk_rows(handle: IO[bytes], dialect: CsvDialect) -> int:
    """Rows per chunk: :data:`CHUNK_ROWS`, fewer for a wide table, so that a chunk's numbers
    (8 bytes each, from as little as an empty field) take at most :data:`BATCH_BYTES`: 100,000
    rows of 2,000 empty fields are 200 MB of text, but 1.6 GB of numbers."""
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=dialect.encoding, newline="")
    try:
        header = next(csv.reader(text, delimiter=dialect.delimiter, quotechar=dialect.quotechar))
    finally:
        text.detach()
    return min(CHUNK_ROWS, max(1, BATCH_BYTES // (8 * max(1, len(header)))))


def _csv_chunks(handle: IO[bytes], dialect: CsvDialect, limit: int) -> Generator[pd.DataFrame]:
    """The rows, parsed by pandas as a job will parse them (:meth:`CsvDialect.pandas_options`),
    from a file :func:`read_csv_dialect` has checked; ``TooLargeError`` once they take more
    than ``limit`` bytes in memory."""
    rows = _csv_chunk_rows(handle, dialect)
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=dialect.encoding, newline="")
    options = dialect.pandas_options()
    del options["encoding"]  # the text is decoded by the wrapper
    decoded = 0
    try:
        with pd.read_csv(text, chunksize=rows, low_memory=False, **options) as reader:
            for chunk in reader:
                decoded += int(chunk.memory_usage(index=False).sum())
                if decoded > limit:
                    raise TooLargeError(too_large_message(limit))
                yield chunk
    except UnicodeError as exc:  # checked before; kept as a safety net
        raise InvalidInputError(f"the CSV file is not valid {dialect.encoding}: {exc}") from None
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


def _parquet_chunks(handle: IO[bytes], max_columns: int, limit: int) -> Generator[pd.DataFrame]:
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
        batches = decoded_batches(handle, max_decoded_bytes=limit, max_row_bytes=MAX_ROW_BYTES)
        for batch in batches:
            rows += batch.num_rows
            yield _to_pandas(batch)
        if rows != declared:
            raise InvalidInputError(
                f"the Parquet file is inconsistent: its footer declares {declared} rows, its "
                f"data holds {rows}"
            )
    except InvalidInputError:
        raise
    except DecodedTooLargeError as exc:
        raise TooLargeError(str(exc)) from None
    except _PARQUET_ERRORS as exc:
        raise InvalidInputError(f"the Parquet file is unreadable: {exc}") from exc
