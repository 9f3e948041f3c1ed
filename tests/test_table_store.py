"""The typed Parquet copy of an upload reads back as exactly the frame the uploaded file gives
when parsed whole (``read_frame``): the fixture tables, the messy ones (semicolons, Latin-1,
decimal commas, gaps, booleans, dates, phone numbers in text), and the cases where pandas'
block-by-block type guessing makes the whole read differ from a naive chunked read. A table
that has no faithful copy is kept only as uploaded, and jobs read it as before."""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from avatar_server.db.models import CsvDialect, Dataset, DatasetFormat
from avatar_server.decoding import DecodedTooLargeError
from avatar_server.jobs.table_store import (
    TABLE_PARQUET,
    UPLOADED,
    pandas_block_rows,
    store_table,
)
from avatar_server.jobs.tables import (
    dataset_row_groups,
    read_dataset,
    read_dataset_groups,
    read_frame,
)
from avatar_server.services.tables import discover_schema
from avatar_server.storage import Storage
from avatars.client import ApiClient
from tests.csv_twin import semicolon_latin1, twin_frame
from tests.server import ServerProcess
from tests.test_messy_table import messy_table

LIMIT = 2**31


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return Storage(str(tmp_path / "storage"))


def upload(
    storage: Storage, data: bytes, fmt: DatasetFormat = DatasetFormat.CSV, *, group_rows: int = 7
) -> tuple[Dataset, bool]:
    """``data`` stored and analysed as the upload does, then its typed copy stored."""
    prefix = f"datasets/u/{uuid.uuid4()}"
    key = f"{prefix}/{UPLOADED}"
    with storage.open_write(key) as handle:
        handle.write(data)
    with storage.open_read(key) as handle:
        schema = discover_schema(
            handle, fmt, max_rows=10**7, max_columns=1000, max_decoded_bytes=LIMIT
        )
    stored = store_table(
        storage,
        key,
        prefix,
        fmt,
        schema.columns,
        schema.dialect,
        rows_per_group=group_rows,
        max_decoded_bytes=LIMIT,
    )
    dataset = Dataset(
        id=uuid.uuid4(),
        storage_key=key,
        format=fmt,
        columns=schema.columns,
        rows=schema.rows,
        csv_dialect=schema.dialect.to_json() if schema.dialect else None,
    )
    return dataset, stored


def parsed_whole(storage: Storage, dataset: Dataset) -> pd.DataFrame:
    """What jobs read before typed copies: the uploaded file parsed whole."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        return read_frame(
            storage,
            dataset.storage_key,
            dataset.format.value,
            CsvDialect.from_json(dataset.csv_dialect),
            max_decoded_bytes=LIMIT,
        )


def assert_same_reads(storage: Storage, dataset: Dataset) -> pd.DataFrame:
    """The typed copy read whole is the uploaded file parsed whole, and each row group (and
    a run of them) is the matching rows of it."""
    expected = parsed_whole(storage, dataset)
    pd.testing.assert_frame_equal(read_dataset(storage, dataset, max_decoded_bytes=LIMIT), expected)
    sizes = dataset_row_groups(storage, dataset)
    assert sizes is not None and sum(sizes) == len(expected)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    picks = [[0], [len(sizes) - 1], list(range(1, min(3, len(sizes))))]
    for groups in picks:
        if not groups:
            continue
        part = read_dataset_groups(storage, dataset, groups)
        pd.testing.assert_frame_equal(
            part, expected.iloc[starts[groups[0]] : starts[groups[-1] + 1]]
        )
    return expected


def test_pandas_parses_a_whole_file_in_blocks_of_the_rows_assumed() -> None:
    """The copy relies on where pandas cuts a whole read into blocks whose types it guesses
    alone: digits in one block and text in the next make integers and strings side by side."""
    for width in (1, 5, 20, 64):
        block = pandas_block_rows(width)
        rows = ["7" + ",0" * (width - 1)] * (block + 10)
        rows[block] = "x" + ",0" * (width - 1)
        text = ",".join(f"c{i}" for i in range(width)) + "\n" + "\n".join(rows) + "\n"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            column = pd.read_csv(io.BytesIO(text.encode()))["c0"]
        assert column.dtype == object, width
        assert isinstance(column[block - 1], int) and column[block] == "x", width


def test_the_fixture_tables_read_back_frame_for_frame(storage: Storage, shared_data: Path) -> None:
    for path in sorted(shared_data.glob("*.csv")):
        dataset, stored = upload(storage, path.read_bytes(), group_rows=64)
        assert stored, path.name
        expected = assert_same_reads(storage, dataset)
        parquet = io.BytesIO()
        expected.to_parquet(parquet)
        as_parquet, stored = upload(
            storage, parquet.getvalue(), DatasetFormat.PARQUET, group_rows=64
        )
        assert stored, path.name
        assert_same_reads(storage, as_parquet)


def test_messy_tables_read_back_frame_for_frame(storage: Storage) -> None:
    messy = messy_table()
    french = messy_table(60).assign(bmi=lambda f: f["bmi"].map(str).str.replace(".", ","))
    french["smoker"] = french["smoker"].astype(object)
    french.loc[[2, 9], "smoker"] = None  # booleans with gaps read as objects
    tables = {
        "messy": messy.to_csv(index=False).encode(),
        "semicolon latin-1, decimal commas": french.to_csv(index=False, sep=";").encode(
            "latin-1", errors="replace"
        ),
        "twin": semicolon_latin1(twin_frame()),
    }
    for name, data in tables.items():
        dataset, stored = upload(storage, data)
        assert stored, name
        frame = assert_same_reads(storage, dataset)
        assert frame["notes" if "notes" in frame else "ville"].dtype == "str", name
    frame = read_dataset(storage, upload(storage, tables["twin"])[0])
    assert "Besançon; Doubs" in set(frame["ville"])
    parquet = io.BytesIO()
    messy.assign(visit_date=pd.to_datetime(messy["visit_date"])).to_parquet(parquet)
    dataset, stored = upload(storage, parquet.getvalue(), DatasetFormat.PARQUET)
    assert stored
    assert read_dataset(storage, dataset)["visit_date"].dtype.kind == "M"
    assert_same_reads(storage, dataset)


def block_boundary_table(rows: int) -> pd.DataFrame:
    """Columns whose whole read depends on pandas' blocks (32,768 rows at this width): gaps
    over a whole block, scattered gaps in booleans, integers with a gap block, an empty
    column."""
    block = pandas_block_rows(20)
    index = np.arange(rows)
    gap_block = (index >= block) & (index < 2 * block)
    frame = pd.DataFrame({f"pad{i}": index % (i + 3) for i in range(14)})
    kept = pd.Series(~gap_block)
    frame["text_gap_block"] = pd.Series("t" + (index % 7).astype(str)).where(kept)
    frame["bool_gaps"] = pd.Series(index % 2 == 0, dtype=object).where(index % 997 != 0)
    frame["bool_gap_block"] = pd.Series(index % 3 == 0, dtype=object).where(kept)
    frame["int_gap_block"] = pd.Series(index, dtype="Int64").where(kept)
    frame["float"] = index / 8
    frame["empty"] = None
    return frame


def test_columns_typed_block_by_block_read_back_as_the_whole_read(storage: Storage) -> None:
    data = block_boundary_table(230_000).to_csv(index=False).encode()
    dataset, stored = upload(storage, data, group_rows=50_001)
    assert stored
    frame = assert_same_reads(storage, dataset)
    assert frame["bool_gaps"].dtype == object and frame["text_gap_block"].dtype == "str"
    assert frame["int_gap_block"].dtype == "float64" and frame["empty"].dtype == "float64"
    assert dataset_row_groups(storage, dataset) == [50_001] * 4 + [30_000 - 4]


def test_integers_a_double_cannot_hold_join_a_gap_block_as_pandas_rounds_them(
    storage: Storage,
) -> None:
    """A block of integers above 2**53 and a later block with a gap: the whole read turns
    them into floats, rounded as numpy rounds (Arrow alone would refuse the cast)."""
    values = [str(2**53 + 1)] * pandas_block_rows(2) + ["", "5"]
    text = "id,big\n" + "\n".join(f"{i},{v}" for i, v in enumerate(values)) + "\n"
    dataset, stored = upload(storage, text.encode(), group_rows=100_000)
    assert stored
    frame = assert_same_reads(storage, dataset)
    assert frame["big"].dtype == "float64" and frame["big"][0] == float(2**53)


def test_a_column_of_numbers_and_text_by_blocks_is_kept_only_as_uploaded(
    storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    """Digits-only phone numbers over exactly one of pandas' blocks (the fifth), written ones
    elsewhere: the whole read holds integers beside strings, which no Parquet column holds;
    nothing is stored, jobs parse the upload and get what they got before. (Chunks not made of
    whole blocks would see only text here, and store a different table.)"""
    block = pandas_block_rows(20)
    index = np.arange(6 * block)
    frame = pd.DataFrame({f"pad{i}": index % (i + 2) for i in range(19)})
    digits = (index >= 4 * block) & (index < 5 * block)
    frame["phone"] = np.where(digits, "06" + index.astype(str), "06 12 34 56 78")
    with caplog.at_level(logging.INFO, logger="avatar_server"):
        dataset, stored = upload(storage, frame.to_csv(index=False).encode(), group_rows=10_000)
    assert not stored
    assert "kept only as uploaded" in caplog.text and "'phone'" in caplog.text
    prefix = dataset.storage_key.rsplit("/", 1)[0]
    assert storage.children(prefix) == [UPLOADED]
    assert dataset_row_groups(storage, dataset) is None
    whole = read_dataset(storage, dataset)
    pd.testing.assert_frame_equal(whole, parsed_whole(storage, dataset))
    assert isinstance(whole["phone"][4 * block], int) and whole["phone"][0] == "06 12 34 56 78"
    with pytest.raises(FileNotFoundError):
        read_dataset_groups(storage, dataset, [0])


def test_datasets_stored_before_typed_copies_are_parsed_as_before(storage: Storage) -> None:
    data = semicolon_latin1(twin_frame())
    dataset, _ = upload(storage, data)
    old_key = f"datasets/u/{uuid.uuid4()}.csv"  # the single-object layout of earlier versions
    with storage.open_write(old_key) as handle:
        handle.write(data)
    older = Dataset(
        storage_key=old_key,
        format=DatasetFormat.CSV,
        columns=dataset.columns,
        csv_dialect=dataset.csv_dialect,
    )
    pd.testing.assert_frame_equal(read_dataset(storage, older), read_dataset(storage, dataset))
    assert dataset_row_groups(storage, older) is None


def test_a_parquet_copy_is_decoded_within_the_limit_as_the_upload_was(storage: Storage) -> None:
    frame = pd.DataFrame({"text": ["x" * 1000] * 200, "n": range(200)})
    parquet = io.BytesIO()
    frame.to_parquet(parquet)
    dataset, stored = upload(storage, parquet.getvalue(), DatasetFormat.PARQUET)
    assert stored
    with pytest.raises(DecodedTooLargeError, match="AVATAR_MAX_DECODED_BYTES"):
        read_dataset(storage, dataset, max_decoded_bytes=50_000)
    pd.testing.assert_frame_equal(read_dataset(storage, dataset, max_decoded_bytes=LIMIT), frame)


def test_an_upload_through_the_server_stores_its_typed_copy_for_jobs(
    server: ServerProcess, user: ApiClient, shared_data: Path
) -> None:
    dataset = user.datasets.upload_dataset(shared_data / "iris.csv", name="iris")
    user_folder = next(
        folder
        for folder in (server.home / "storage" / "datasets").iterdir()
        if (folder / str(dataset.id)).is_dir()
    )
    folder = user_folder / str(dataset.id)
    assert sorted(p.name for p in folder.iterdir()) == [TABLE_PARQUET, UPLOADED]
    assert (folder / TABLE_PARQUET).stat().st_mode & 0o777 == 0o600
    parquet = pq.ParquetFile(folder / TABLE_PARQUET)
    assert parquet.metadata.num_rows == 150
    assert parquet.schema_arrow.names == [c.name for c in dataset.columns]
