"""Datasets: streamed upload and download, schema discovery, limits, isolation and erasure."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatars import ApiClient, NotFoundError, PayloadTooLargeError, ValidationError
from tests.conftest import COLUMN_LIMIT, ROW_LIMIT, UPLOAD_LIMIT
from tests.server import ServerProcess


def stored_files(server: ServerProcess) -> set[Path]:
    return {p for p in (server.home / "storage").rglob("*") if p.is_file()}


def test_csv_round_trip_is_byte_exact(user: ApiClient, shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "wbcd.csv"
    dataset = user.datasets.upload_dataset(source)
    assert dataset.name == "wbcd"
    assert dataset.file_format == "csv"
    expected = pd.read_csv(source)
    assert dataset.rows == len(expected)
    assert [c.name for c in dataset.columns] == list(expected.columns)
    by_name = {c.name: c for c in dataset.columns}
    for name in expected.columns:
        assert by_name[name].dtype == "int64"
        assert by_name[name].missing == int(expected[name].isna().sum())
        assert by_name[name].distinct == expected[name].nunique()
    copy = user.datasets.download_dataset(dataset.id, tmp_path / "copy.csv")
    assert copy.read_bytes() == source.read_bytes()
    assert user.datasets.get_dataset(dataset.id).sha256 == dataset.sha256


def test_parquet_file_round_trip_is_byte_exact(user: ApiClient, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "age": [31, 45, None, 52],
            "city": ["Nantes", "Lyon", "Lyon", None],
            "smoker": [True, False, False, True],
            "when": pd.to_datetime(["2024-01-01", "2024-02-03", "2024-03-05", "2024-04-07"]),
        }
    )
    path = tmp_path / "people.parquet"
    frame.to_parquet(path, index=False)
    dataset = user.datasets.upload_dataset(path)
    assert dataset.file_format == "parquet"
    columns = {c.name: (c.dtype, c.missing, c.distinct) for c in dataset.columns}
    assert columns == {
        "age": ("float64", 1, 3),
        "city": ("string", 1, 2),
        "smoker": ("bool", 0, 2),
        "when": ("datetime64", 0, 4),
    }
    copy = user.datasets.download_dataset(dataset.id, tmp_path / "copy.parquet")
    assert copy.read_bytes() == path.read_bytes()


def test_dataframe_upload_keeps_types(user: ApiClient) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=500), "k": rng.integers(0, 5, 500), "c": ["a", "b"] * 250}
    )
    dataset = user.datasets.upload_dataset(frame, name="frame")
    assert (dataset.name, dataset.file_format, dataset.rows) == ("frame", "parquet", 500)
    pd.testing.assert_frame_equal(user.datasets.read_dataset(dataset.id), frame)


def test_file_object_and_unsized_stream_uploads(user: ApiClient, shared_data: Path) -> None:
    data = (shared_data / "iris.csv").read_bytes()
    from_buffer = user.datasets.upload_dataset(io.BytesIO(data), name="iris-buffer")

    class Unsized(io.RawIOBase):
        """A stream of unknown length: sent with chunked transfer encoding."""

        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self.inner.read(min(len(buffer), 1000))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    from_stream = user.datasets.upload_dataset(Unsized(), name="iris-stream")  # type: ignore[arg-type]
    assert from_buffer.sha256 == from_stream.sha256
    assert from_buffer.rows == from_stream.rows == 150


def test_discovered_schema_of_mixed_chunks(user: ApiClient, tmp_path: Path) -> None:
    """Types merge across parse chunks: ints then floats give float64; any text gives string."""
    rows = 250_000 // 5
    frame = pd.DataFrame({"n": np.arange(rows), "f": np.arange(rows), "s": np.arange(rows)})
    frame["f"] = frame["f"].astype(float)
    frame.loc[rows - 1, "f"] = 0.5
    frame["s"] = frame["s"].astype(object)
    frame.loc[rows - 1, "s"] = "text"
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    dataset = user.datasets.upload_dataset(path)
    dtypes = {c.name: c.dtype for c in dataset.columns}
    assert dtypes == {"n": "int64", "f": "float64", "s": "string"}
    assert all(c.distinct == rows for c in dataset.columns)


BAD_FILES = {
    "empty": (b"", "empty"),
    "blank": (b"\n\n  \n", "empty"),
    "header only": (b"a,b,c\n", "no rows"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    "utf-8, then not": ("name,city\nÉlodie,Lyon\n".encode() + b"Ana,Besan\xe7on\n", "UTF-8"),
    "ragged": (b"a,b\n1,2\n3,4,5,6\n", "malformed"),
    "duplicate columns": (b"a,b,a\n1,2,3\n", "duplicate column names: 'a'"),
    "fake parquet": (b"PAR1 this is not parquet at all", "Parquet"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_kept(
    server: ServerProcess, user: ApiClient, case: str
) -> None:
    content, message = BAD_FILES[case]
    before = stored_files(server)
    with pytest.raises(ValidationError, match=message) as error:
        user.datasets.upload_dataset(io.BytesIO(content), name=case.replace(" ", "-"))
    assert error.value.status_code == 400
    assert user.datasets.list_datasets() == []
    assert stored_files(server) == before


def _big_csv(bytes_wanted: int) -> bytes:
    line = b"1234567890,abcdefghij,3.14159\n"
    return b"a,b,c\n" + line * (bytes_wanted // len(line) + 1)


def test_oversize_upload_is_refused_with_413(server: ServerProcess, user: ApiClient) -> None:
    before = stored_files(server)
    with pytest.raises(PayloadTooLargeError, match="larger than"):
        user.datasets.upload_dataset(io.BytesIO(_big_csv(UPLOAD_LIMIT + 1)), name="big")
    assert user.datasets.list_datasets() == []
    assert stored_files(server) == before


def test_oversize_stream_without_length_is_refused(server: ServerProcess, user: ApiClient) -> None:
    payload = _big_csv(UPLOAD_LIMIT + 2_000_000)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 65536):
            yield payload[start : start + 65536]

    import httpx

    token = user._core.credentials.header()
    assert token is not None
    response = httpx.post(
        f"{server.base_url}/datasets",
        content=chunks(),
        headers={"Authorization": token, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 413
    assert user.datasets.list_datasets() == []
    storage = server.home / "storage"
    assert not any(p.relative_to(storage).parts[0] == "tmp" for p in stored_files(server))


def test_row_and_column_limits(user: ApiClient) -> None:
    too_long = pd.DataFrame({"x": np.zeros(ROW_LIMIT + 1)})
    with pytest.raises(PayloadTooLargeError, match=f"more than {ROW_LIMIT} rows"):
        user.datasets.upload_dataset(too_long)
    too_wide = pd.DataFrame(
        np.zeros((2, COLUMN_LIMIT + 1)), columns=[f"c{i}" for i in range(COLUMN_LIMIT + 1)]
    )
    with pytest.raises(PayloadTooLargeError, match=f"the limit is {COLUMN_LIMIT}"):
        user.datasets.upload_dataset(io.BytesIO(too_wide.to_csv(index=False).encode()))
    assert user.datasets.list_datasets() == []


def test_users_never_see_each_others_datasets(
    server: ServerProcess, make_user: object, admin: ApiClient, shared_data: Path, tmp_path: Path
) -> None:
    alice, bob = make_user(), make_user()  # type: ignore[operator]
    dataset = alice.datasets.upload_dataset(shared_data / "iris.csv")
    for other in (bob, admin):
        with pytest.raises(NotFoundError):
            other.datasets.get_dataset(dataset.id)
        with pytest.raises(NotFoundError):
            other.datasets.download_dataset(dataset.id, tmp_path / "stolen.csv")
        with pytest.raises(NotFoundError):
            other.datasets.delete_dataset(dataset.id)
        assert dataset.id not in [d.id for d in other.datasets.list_datasets()]
    assert not (tmp_path / "stolen.csv").exists()
    copy = alice.datasets.download_dataset(dataset.id, tmp_path / "mine.csv")
    assert copy.read_bytes() == (shared_data / "iris.csv").read_bytes()


def test_delete_erases_the_stored_file(
    server: ServerProcess, user: ApiClient, shared_data: Path
) -> None:
    before = stored_files(server)
    dataset = user.datasets.upload_dataset(shared_data / "wbcd.csv")
    added = stored_files(server) - before
    assert len(added) == 1
    (stored,) = added
    assert str(dataset.id) in stored.name
    user.datasets.delete_dataset(dataset.id)
    assert not stored.exists()
    with pytest.raises(NotFoundError):
        user.datasets.get_dataset(dataset.id)
    with pytest.raises(NotFoundError):
        user.datasets.delete_dataset(dataset.id)


def test_unknown_and_malformed_ids(user: ApiClient) -> None:
    with pytest.raises(NotFoundError):
        user.datasets.get_dataset("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValueError, match="badly formed"):
        user.datasets.get_dataset("not-a-uuid")
