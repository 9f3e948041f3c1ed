"""Decoding an uploaded Parquet file within a memory bound, however well it compresses.

Parquet stores a repeated value once (a dictionary page) and a run of it as a count (RLE), so a
tiny file can hold a huge table: 400 rows of one 1 MiB string take 479 bytes with zstd, and
decode to 400 MiB; constant integer columns expand the same way. The footer's
``total_uncompressed_size`` counts the pages, not this expansion, so it cannot bound it.

Here every variable-width column (text, binary) is read as a dictionary: indices into the values
its pages hold, as small as the file is. The decoded size of a batch (each value's bytes, taken
by its index, plus the fixed-width columns' width) is then computed before any value is copied,
and the batch is decoded only in slices of at most ``batch_bytes``, after the running total and
each row were checked against their limits. Fixed-width columns are bounded up front: rows times
width is exact. Peak memory is thus a few ``batch_bytes`` whatever the file holds.

What this cannot bound is one page's decompression, which allocates the size the page's own
header declares (at most 2 GiB, Arrow's limit): a hand-edited footer can hide it. A page written
honestly is bounded by its column chunk's declared size, which is checked.

Both the upload's validation and the job workers read uploaded Parquet through
:func:`decoded_batches`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MAX_ROW_BYTES = 1024 * 1024
"""The longest row accepted, in bytes: a CSV line as read, a Parquet row once decoded. Room for
2,000 columns of 500 bytes, and a bound on what a single row, parsed whole, can cost."""
BATCH_BYTES = 32 * 1024 * 1024
"""The decoded size of the slices handed out: the memory one batch costs, before pandas."""
MAX_BATCH_ROWS = 100_000


class DecodedTooLargeError(ValueError):
    """The table, one of its rows or one of its column chunks decodes beyond a limit; the
    message says which and what to do."""


def too_large_message(limit: int) -> str:
    return (
        f"the table takes more than {limit} bytes once decoded, the server's limit "
        "(AVATAR_MAX_DECODED_BYTES): Parquet stores repeated values once, so a small file can "
        "hold a very large table; upload a smaller table or ask the administrator to raise the "
        "limit"
    )


def _variable_width(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary_view(kind)
    )


def _fixed_width(kind: pa.DataType) -> int:
    """Bytes per value of a fixed-width type in memory (a boolean counted as a byte, as pandas
    holds it); 0 for the null type."""
    if pa.types.is_dictionary(kind):
        return _fixed_width(kind.index_type)
    if pa.types.is_null(kind):
        return 0
    width: int = kind.bit_width
    return max(1, width // 8)


def _offset_width(kind: pa.DataType) -> int:
    if pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
        return 8
    if pa.types.is_string_view(kind) or pa.types.is_binary_view(kind):
        return 16
    return 4


def _value_bytes(values: pa.Array) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Each value's decoded size: its bytes and offset, or its type's width."""
    kind = values.type
    if _variable_width(kind):
        lengths = pc.binary_length(values).fill_null(0).to_numpy(zero_copy_only=False)
        return np.asarray(lengths, dtype=np.int64) + _offset_width(kind)
    return np.full(len(values), _fixed_width(kind), dtype=np.int64)


def _cell_bytes(column: pa.Array, decode: bool) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Each cell's decoded size. A column read as a dictionary only because it is text
    (``decode``) takes its values' sizes; one the file itself stores as a dictionary (a pandas
    categorical) stays one, and takes its index's width."""
    if isinstance(column, pa.DictionaryArray) and decode:
        sizes = pa.array(_value_bytes(column.dictionary))
        taken = pc.take(sizes, column.indices).fill_null(0).to_numpy(zero_copy_only=False)
        return np.asarray(taken, dtype=np.int64)
    if _variable_width(column.type):
        return _value_bytes(column)
    return np.full(len(column), _fixed_width(column.type), dtype=np.int64)


def _check_declared(parquet: pq.ParquetFile, max_decoded_bytes: int) -> None:
    """What the footer alone proves too large: the fixed-width columns' rows times width, and a
    column chunk whose pages, as declared, decompress beyond the limit."""
    schema = parquet.schema_arrow
    fixed = sum(_fixed_width(f.type) for f in schema if not _variable_width(f.type))
    if parquet.metadata.num_rows * fixed > max_decoded_bytes:
        raise DecodedTooLargeError(too_large_message(max_decoded_bytes))
    metadata = parquet.metadata
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            if row_group.column(index).total_uncompressed_size > max_decoded_bytes:
                raise DecodedTooLargeError(too_large_message(max_decoded_bytes))


def _slices(sizes: np.ndarray[Any, np.dtype[np.int64]], batch_bytes: int) -> Iterator[slice]:
    """Consecutive rows whose sizes add up to at most ``batch_bytes`` (one row at least)."""
    ends = np.cumsum(sizes)
    start, before = 0, 0
    while start < len(sizes):
        stop = max(start + 1, int(np.searchsorted(ends, before + batch_bytes, side="right")))
        yield slice(start, stop)
        before = int(ends[stop - 1])
        start = stop


def decoded_batches(
    handle: IO[bytes] | pa.NativeFile,
    *,
    max_decoded_bytes: int,
    max_row_bytes: int,
    batch_bytes: int = BATCH_BYTES,
    page_checksum_verification: bool = True,
) -> Iterator[pa.RecordBatch]:
    """The rows of the Parquet file in ``handle``, as record batches of the file's own schema,
    each at most ``batch_bytes`` once decoded.

    Raises :class:`DecodedTooLargeError` as soon as the table is known to take more than
    ``max_decoded_bytes`` decoded, or one row more than ``max_row_bytes``, before decoding it;
    Arrow's own errors for a damaged file.
    """
    plain = pq.ParquetFile(handle, page_checksum_verification=page_checksum_verification)
    schema = plain.schema_arrow
    _check_declared(plain, max_decoded_bytes)
    text = {i for i, f in enumerate(schema) if _variable_width(f.type)}
    parquet = pq.ParquetFile(
        handle,
        page_checksum_verification=page_checksum_verification,
        read_dictionary=sorted(text),
    )
    read_width = sum(4 if i in text else _fixed_width(f.type) for i, f in enumerate(schema))
    rows = min(MAX_BATCH_ROWS, max(1, batch_bytes // max(1, read_width)))
    total, seen = 0, 0
    for batch in parquet.iter_batches(batch_size=rows, use_threads=False):
        sizes = np.zeros(batch.num_rows, dtype=np.int64)
        for index, column in enumerate(batch.columns):
            sizes += _cell_bytes(column, decode=index in text)
        total += int(sizes.sum())
        if total > max_decoded_bytes:
            raise DecodedTooLargeError(too_large_message(max_decoded_bytes))
        if batch.num_rows and int(sizes.max()) > max_row_bytes:
            row = seen + int(sizes.argmax()) + 1
            raise DecodedTooLargeError(
                f"row {row} takes {int(sizes.max())} bytes once decoded, more than "
                f"{max_row_bytes}, the limit for a row (as for a CSV line): a value is too long"
            )
        for part in _slices(sizes, batch_bytes):
            yield _decode(batch.slice(part.start, part.stop - part.start), schema, text)
        seen += batch.num_rows


def _decode(batch: pa.RecordBatch, schema: pa.Schema, text: set[int]) -> pa.RecordBatch:
    """``batch`` with the columns read as dictionaries back to the file's types."""
    columns = [
        column.dictionary_decode().cast(schema.field(i).type)
        if i in text and isinstance(column, pa.DictionaryArray)
        else column
        for i, column in enumerate(batch.columns)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def read_table(
    handle: IO[bytes] | pa.NativeFile, *, max_decoded_bytes: int, max_row_bytes: int = MAX_ROW_BYTES
) -> pa.Table:
    """The whole table, read through :func:`decoded_batches` (so refused beyond its limits
    before it is decoded)."""
    batches = list(
        decoded_batches(handle, max_decoded_bytes=max_decoded_bytes, max_row_bytes=max_row_bytes)
    )
    schema = pq.ParquetFile(handle).schema_arrow
    return pa.Table.from_batches(batches, schema=schema)
