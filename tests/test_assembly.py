"""Result files streamed from per-batch parts: the same files as the whole table gives (CSV
byte for byte, Parquet once read), memory bounded by a chunk, and every misuse refused before
anything is listed."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import tracemalloc
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from avatar_server.jobs.assembly import (
    PANDAS_CSV_BLOCK_CELLS,
    PART_GROUP_ROWS,
    PartReader,
    csv_chunk_rows,
    write_concatenated,
    write_interleaved,
    write_part,
)
from avatar_server.jobs.results import ResultWriter, table_bytes
from avatar_server.storage import Storage

# --- scenarios, shared with tests/integration/test_assembly_s3.py --------------------------


def mixed_frame(rows: int, seed: int, *, gaps_only: bool = False) -> pd.DataFrame:
    """Rows of every kind of column a result holds; with ``gaps_only`` the columns that may
    be missing are missing in every row (a batch where they are empty)."""
    rng = np.random.default_rng(seed)
    floats = rng.normal(size=rows)
    floats[rng.random(rows) < 0.2] = np.nan
    text = pd.Series(rng.choice(["a", "b,c", 'say "hi"', "é"], rows), dtype="str")
    text[rng.random(rows) < 0.2] = np.nan
    stamps = pd.Series(
        pd.Timestamp("2020-03-01") + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="s")
    )
    stamps = stamps.mask(rng.random(rows) < 0.1)
    counts = pd.array(rng.integers(-5, 5, rows), dtype="Int64")
    counts[rng.random(rows) < 0.3] = pd.NA
    flags: list[Any] = list(rng.choice([True, False], rows))
    for position in np.flatnonzero(rng.random(rows) < 0.2):
        flags[position] = None
    frame = pd.DataFrame(
        {
            "key": rng.integers(0, 10**9, rows),
            "value": floats,
            "label": text,
            "when": stamps,
            "count": counts,
            "flag": flags,
            "ok": rng.random(rows) < 0.5,
            "note": [None if i % 3 else f"n{i}" for i in range(rows)],
        }
    )
    if gaps_only:
        frame["value"] = np.nan
        frame["label"] = pd.Series([np.nan] * rows, dtype="str")
        frame["when"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
        frame["count"] = pd.array([pd.NA] * rows, dtype="Int64")
        frame["flag"] = [None] * rows
        frame["note"] = [None] * rows
    return frame


def store_parts(storage: Storage, frames: list[pd.DataFrame], **options: Any) -> list[str]:
    keys = []
    for number, frame in enumerate(frames):
        key = f"results/u/j/1/parts/t/{number}.parquet"
        assert write_part(storage, key, frame, **options) == len(frame)
        keys.append(key)
    return keys


def interleave_by_hand(frames: list[pd.DataFrame], labels: npt.NDArray[np.int64]) -> pd.DataFrame:
    """Output row i is the next unread row of ``frames[labels[i]]``, counted row by row."""
    starts = np.cumsum([0] + [len(frame) for frame in frames])
    taken = [0] * len(frames)
    positions = []
    for label in labels.tolist():
        positions.append(starts[label] + taken[label])
        taken[label] += 1
    return pd.concat(frames, ignore_index=True).iloc[positions].reset_index(drop=True)


def stored(out: ResultWriter, name: str) -> bytes:
    return b"".join(out.storage.iter_bytes(f"{out.prefix}/{name}"))


def check_same_file(out: ResultWriter, name: str, expected: pd.DataFrame, fmt: str) -> bytes:
    """The streamed file is what ``table_bytes`` gives for the whole table, and its manifest
    entry describes the stored bytes."""
    data = stored(out, name)
    reference = table_bytes(expected, fmt)
    if fmt == "csv":
        assert data == reference
    else:
        pd.testing.assert_frame_equal(
            pd.read_parquet(io.BytesIO(data)), pd.read_parquet(io.BytesIO(reference))
        )
    (entry,) = [entry for entry in out.files if entry["name"] == name]
    assert entry["size"] == len(data)
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["format"] == fmt
    return data


def new_writer(storage: Storage) -> ResultWriter:
    return ResultWriter(storage, uuid.uuid4(), uuid.uuid4().hex, 1)


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return Storage(str(tmp_path / "storage"))


# --- ResultWriter.stream ------------------------------------------------------------------


def test_a_streamed_file_is_listed_as_a_written_one(storage: Storage) -> None:
    out = new_writer(storage)
    with out.stream("avatars", "t", "t.avatars.csv", "csv") as handle:
        for piece in (b"a,b\r\n", b"1,2\r\n", bytearray(b"3,4\r\n")):
            handle.write(piece)
    out.write("avatars", "u", "u.avatars.csv", b"a,b\r\n1,2\r\n3,4\r\n", "csv")
    streamed, written = out.files
    assert stored(out, "t.avatars.csv") == b"a,b\r\n1,2\r\n3,4\r\n"
    assert {**streamed, "table": "u", "name": "u.avatars.csv"} == written
    assert streamed["size"] == 15 and streamed["attempt"] == 1


def test_a_failed_stream_writes_and_lists_nothing(storage: Storage) -> None:
    out = new_writer(storage)
    with pytest.raises(RuntimeError), out.stream("avatars", "t", "t.avatars.csv", "csv") as handle:
        handle.write(b"half a file")
        raise RuntimeError("the batch failed")
    assert out.files == []
    assert not storage.exists(f"{out.prefix}/t.avatars.csv")
    out.write("avatars", "t", "t.avatars.csv", b"whole", "csv")  # the name is still free
    assert stored(out, "t.avatars.csv") == b"whole"


def test_a_name_is_written_once(storage: Storage) -> None:
    out = new_writer(storage)
    out.write("avatars", "t", "t.avatars.csv", b"first", "csv")
    with pytest.raises(ValueError, match="written twice"):
        out.write("avatars", "t", "t.avatars.csv", b"second", "csv")
    with (
        out.stream("avatars", "u", "u.avatars.csv", "csv") as handle,
        pytest.raises(ValueError, match="written twice"),
        out.stream("avatars", "u", "u.avatars.csv", "csv"),
    ):
        handle.write(b"x")
    assert stored(out, "t.avatars.csv") == b"first"
    assert [entry["name"] for entry in out.files] == ["t.avatars.csv", "u.avatars.csv"]


# --- parts ----------------------------------------------------------------------------------


def test_a_part_is_read_back_in_order_one_row_group_at_a_time(storage: Storage) -> None:
    frame = mixed_frame(40_000, seed=1)
    (key,) = store_parts(storage, [frame])
    with storage.open_read(key) as handle:
        groups = pq.ParquetFile(handle).metadata
        sizes = [groups.row_group(i).num_rows for i in range(groups.num_row_groups)]
    assert sizes == [PART_GROUP_ROWS, PART_GROUP_ROWS, 40_000 - 2 * PART_GROUP_ROWS]
    with PartReader(storage, key) as reader:
        pieces = [reader.take(n) for n in (0, 7, PART_GROUP_ROWS, 3, 40_000 - PART_GROUP_ROWS - 10)]
        assert reader.remaining == 0
        with pytest.raises(ValueError, match="1 rows asked, 0 left"):
            reader.take(1)
    assert [piece.num_rows for piece in pieces] == [0, 7, PART_GROUP_ROWS, 3, 23_606]
    read = pd.concat([piece.to_pandas() for piece in pieces], ignore_index=True)
    pd.testing.assert_frame_equal(read, pd.read_parquet(io.BytesIO(table_bytes(frame, "parquet"))))


def test_a_missing_or_broken_part_is_named(storage: Storage) -> None:
    with pytest.raises(FileNotFoundError, match="part 'nowhere' is not in the storage"):
        PartReader(storage, "nowhere")
    with storage.open_write("broken") as handle:
        handle.write(b"not parquet")
    with pytest.raises(ValueError, match="part 'broken' is not a readable Parquet file"):
        PartReader(storage, "broken")


# --- the same files as the whole table gives --------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_concatenated_parts_give_the_whole_tables_file(storage: Storage, fmt: str) -> None:
    # 50 parts of 3,000 rows read 1,000 at a time (CSV: whole pandas blocks); the first part
    # and two others hold nothing but gaps where a column may have gaps.
    frames = [mixed_frame(3_000, seed, gaps_only=seed in (0, 17, 49)) for seed in range(50)]
    keys = store_parts(storage, frames)
    out = new_writer(storage)
    write_concatenated(out, "avatars", "patients", "avatars", fmt, keys, chunk_rows=1_000)
    check_same_file(out, f"patients.avatars.{fmt}", pd.concat(frames, ignore_index=True), fmt)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_interleaved_parts_give_the_shuffled_tables_file(storage: Storage, fmt: str) -> None:
    sizes = [3_000, 0, 1, 2_999, 5_000] + [1_500] * 20
    frames = [mixed_frame(rows, seed, gaps_only=seed in (0, 3)) for seed, rows in enumerate(sizes)]
    keys = store_parts(storage, frames, group_rows=700)
    labels = np.random.default_rng(5).permutation(np.repeat(np.arange(len(sizes)), sizes))
    identifiers = np.arange(len(labels), dtype=np.int64) * 3 + 1
    expected = interleave_by_hand(frames, labels)
    expected.insert(2, "id", identifiers)
    out = new_writer(storage)

    def extra(start: int, stop: int) -> Mapping[str, Any]:
        return {"id": pd.Series(identifiers[start:stop], index=range(start, stop))}

    write_interleaved(
        out,
        "avatars",
        "patients",
        "shuffled",
        fmt,
        keys,
        labels,
        extra=extra,
        column_order=list(expected.columns),
        chunk_rows=1_000,
    )
    check_same_file(out, f"patients.shuffled.{fmt}", expected, fmt)


def test_csv_chunks_follow_pandas_blocks_for_datetimes(storage: Storage) -> None:
    """pandas renders a datetime column per block of 100,000 cells: a block of midnights as
    dates, a block with one time of day as dates and times. The streamed CSV is cut on the
    same blocks, so it renders them alike, whatever ``chunk_rows`` says."""
    rows, block = 60_000, PANDAS_CSV_BLOCK_CELLS // 4
    days = pd.Series(pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(rows) % 300, "D"))
    days[45_000] += pd.Timedelta(seconds=1)  # in the second block
    frame = pd.DataFrame({"a": np.arange(rows), "b": days, "c": days, "d": 0.5})
    keys = store_parts(storage, [frame.iloc[i : i + 7_000] for i in range(0, rows, 7_000)])
    reference = table_bytes(frame, "csv")
    lines = reference.split(b"\r\n")
    # What makes this test bite: the whole file renders the column both ways, and a chunk
    # cut elsewhere than on a block would render its rows as dates alone.
    assert lines[1] == b"0,2021-01-01,2021-01-01,0.5"
    assert lines[1 + block] == b"25000,2021-04-11 00:00:00,2021-04-11 00:00:00,0.5"
    assert lines[1 + 2 * block] == b"50000,2021-07-20,2021-07-20,0.5"
    assert b":" not in table_bytes(frame.iloc[30_000:40_000], "csv")
    assert csv_chunk_rows(10_000, 4) == block
    assert csv_chunk_rows(60_000, 4) == 2 * block
    assert csv_chunk_rows(10, 200_000) == 10  # blocks of one row
    out = new_writer(storage)
    write_concatenated(out, "avatars", "t", "avatars", "csv", keys, chunk_rows=10_000)
    assert stored(out, "t.avatars.csv") == reference


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_parts_without_rows_give_a_file_without_rows(storage: Storage, fmt: str) -> None:
    empty = mixed_frame(0, seed=0)
    keys = store_parts(storage, [empty, empty])
    out = new_writer(storage)
    write_interleaved(
        out,
        "avatars",
        "t",
        "shuffled",
        fmt,
        keys,
        np.array([], dtype=np.int64),
        extra=lambda start, stop: {"id": np.arange(start, stop)},
    )
    expected = empty.assign(id=np.arange(0))
    data = check_same_file(out, f"t.shuffled.{fmt}", expected, fmt)
    if fmt == "csv":
        assert data == b"key,value,label,when,count,flag,ok,note,id\r\n"


def test_a_table_name_is_escaped_as_in_write_table(storage: Storage) -> None:
    keys = store_parts(storage, [pd.DataFrame({"x": [1, 2]})])
    out = new_writer(storage)
    write_concatenated(out, "avatars", "a/b c", "avatars", "csv", keys)
    out.write_table("avatars", "a/b c", "copy", pd.DataFrame({"x": [1, 2]}), "csv")
    streamed, whole = (entry["name"] for entry in out.files)
    assert streamed.removesuffix(".avatars.csv") == whole.removesuffix(".copy.csv")
    assert "/" not in streamed


# --- misuse: refused with a message, nothing listed -------------------------------------------


def _refused(storage: Storage, message: str, write: Callable[[ResultWriter], None]) -> None:
    out = new_writer(storage)
    with pytest.raises(ValueError, match=message):
        write(out)
    assert out.files == []
    assert storage.objects(out.prefix) == {}


def test_bad_labels_are_refused(storage: Storage) -> None:
    keys = store_parts(storage, [pd.DataFrame({"x": [1, 2, 3]}), pd.DataFrame({"x": [4]})])

    def interleave(labels: Any) -> Callable[[ResultWriter], None]:
        return lambda out: write_interleaved(out, "avatars", "t", "s", "csv", keys, labels)

    too_few = r"part 0 \('.*0.parquet'\) 2 times, but it holds 3 rows"
    _refused(storage, too_few, interleave(np.array([0, 1, 0, 1])))
    _refused(storage, "part numbers from 0 to 1", interleave(np.array([0, 0, 2, 1])))
    _refused(storage, "part numbers from 0 to 1", interleave(np.array([0, 0, -1, 1])))
    _refused(storage, "1-D array of part numbers", interleave(np.array([0.0, 0, 0, 1])))
    _refused(storage, "1-D array of part numbers", interleave(np.zeros((2, 2), int)))


def test_bad_extras_formats_and_column_orders_are_refused(storage: Storage) -> None:
    keys = store_parts(storage, [pd.DataFrame({"x": np.arange(5), "y": 1.5})])

    def concatenate(fmt: str = "parquet", **options: Any) -> Callable[[ResultWriter], None]:
        options.setdefault("chunk_rows", 2)
        return lambda out: write_concatenated(out, "avatars", "t", "s", fmt, keys, **options)

    def ids(start: int, stop: int) -> Mapping[str, Any]:
        return {"id": np.arange(start, stop)}

    short = concatenate(extra=lambda start, stop: {"id": np.arange(start, stop - 1)})
    _refused(storage, "'id' gave 1 values for output rows 0 to 2", short)
    late = concatenate(extra=lambda start, stop: {"id": np.arange(start, min(stop, 3))})
    _refused(storage, "'id' gave 1 values for output rows 2 to 4", late)
    clashing = concatenate(extra=lambda start, stop: {"x": np.arange(start, stop)})
    _refused(storage, r"extra columns \['x'\] are already", clashing)
    changing = concatenate(
        extra=lambda start, stop: ids(start, stop) if start < 2 else {"id": ["a"] * 2}
    )
    _refused(storage, "column 'id' changed type between chunks", changing)
    _refused(storage, r"not in the data \['z'\]", concatenate(column_order=["x", "y", "z"]))
    _refused(storage, r"not listed \['id'\]", concatenate(column_order=["x", "y"], extra=ids))
    _refused(storage, r"repeated \['x'\]", concatenate(column_order=["x", "x", "y"]))
    _refused(storage, "unknown result format 'xlsx'", concatenate("xlsx"))
    _refused(storage, "chunk_rows must be at least 1", concatenate(chunk_rows=0))


def test_parts_that_do_not_fit_together_are_refused(storage: Storage) -> None:
    keys = store_parts(
        storage, [pd.DataFrame({"x": [1]}), pd.DataFrame({"y": [1]}), pd.DataFrame({"x": ["a"]})]
    )

    def concatenate(parts: list[str]) -> Callable[[ResultWriter], None]:
        return lambda out: write_concatenated(out, "avatars", "t", "s", "csv", parts)

    _refused(storage, "every part of a table must have the same columns", concatenate(keys))
    _refused(storage, "column types cannot be joined", concatenate([keys[0], keys[2]]))
    _refused(storage, "no parts to assemble", concatenate([]))


# --- memory ---------------------------------------------------------------------------------

PARTS, PART_ROWS, COLUMNS = 40, 20_000, 10
TABLE_BYTES = PARTS * PART_ROWS * COLUMNS * 8


def assembly_peak_bytes(folder: str, interleaved: bool) -> tuple[int, int]:
    """In a fresh process (so Arrow's peak counts only this): store the parts, then assemble
    them into Parquet; returns the peak bytes Arrow and Python (numpy, pandas) held."""
    storage = Storage(folder)
    rng = np.random.default_rng(0)
    names = [f"c{i}" for i in range(COLUMNS)]
    keys = []
    for number in range(PARTS):
        keys.append(f"parts/{number}.parquet")
        frame = pd.DataFrame(rng.normal(size=(PART_ROWS, COLUMNS)), columns=names)
        write_part(storage, keys[-1], frame, group_rows=1_024)
    labels = rng.permutation(np.repeat(np.arange(PARTS), PART_ROWS))
    out = new_writer(storage)
    tracemalloc.start()
    if interleaved:
        write_interleaved(out, "avatars", "t", "s", "parquet", keys, labels, chunk_rows=5_000)
    else:
        write_concatenated(out, "avatars", "t", "s", "parquet", keys, chunk_rows=5_000)
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with storage.open_read(f"{out.prefix}/t.s.parquet") as handle:
        rows = pq.ParquetFile(handle).metadata.num_rows
    assert rows == PARTS * PART_ROWS
    return int(pa.default_memory_pool().max_memory()), python_peak


@pytest.mark.parametrize("interleaved", [False, True], ids=["concatenated", "interleaved"])
def test_assembly_memory_stays_far_below_the_tables_size(tmp_path: Path, interleaved: bool) -> None:
    """A 64 MB table (40 parts of 20,000 rows × 10 floats) assembled 5,000 rows at a time,
    every part open at once when interleaved: what Arrow and Python hold at the peak is
    under a quarter of the table, which any approach holding the whole table exceeds."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        arrow_peak, python_peak = pool.apply(
            assembly_peak_bytes, (str(tmp_path / "storage"), interleaved)
        )
    assert arrow_peak + python_peak < TABLE_BYTES / 4, (arrow_peak, python_peak)
