"""Datasets: streamed upload and download, schema discovery, limits, isolation and erasure."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from avatars_api.models import DatasetOut

from avatar_server.db.models import CsvDialect
from avatar_server.services.errors import UnprocessableError
from avatar_server.services.tables import detect_format, discover_schema
from avatars import ApiClient, NotFoundError, PayloadTooLargeError, ValidationError
from tests.conftest import COLUMN_LIMIT, ROW_LIMIT, UPLOAD_LIMIT
from tests.csv_twin import semicolon_latin1, twin_frame
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
    before = stored_files(server)
    payload = _big_csv(UPLOAD_LIMIT + 2_000_000)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 65536):
            yield payload[start : start + 65536]

    token = user._core.credentials.header()
    assert token is not None
    response = httpx.post(
        f"{server.base_url}/datasets",
        content=chunks(),
        headers={"Authorization": token, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 413
    assert user.datasets.list_datasets() == []
    assert stored_files(server) == before


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
    assert sorted(path.name for path in added) == ["table.parquet", "uploaded"]
    folder = {path.parent for path in added}.pop()
    assert folder.name == str(dataset.id)  # the dataset's own folder, both files in it
    user.datasets.delete_dataset(dataset.id)
    assert not folder.exists()
    with pytest.raises(NotFoundError):
        user.datasets.get_dataset(dataset.id)
    with pytest.raises(NotFoundError):
        user.datasets.delete_dataset(dataset.id)


def test_unknown_and_malformed_ids(user: ApiClient) -> None:
    with pytest.raises(NotFoundError):
        user.datasets.get_dataset("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValueError, match="badly formed"):
        user.datasets.get_dataset("not-a-uuid")


# --- How a CSV is written: detected, or given ----------------------------------------------------


def _dialect(dataset: DatasetOut) -> tuple[str, str, str]:
    assert dataset.csv_dialect is not None
    return (
        dataset.csv_dialect.delimiter,
        dataset.csv_dialect.quotechar,
        dataset.csv_dialect.encoding,
    )


def test_a_semicolon_latin1_file_is_read_into_its_real_columns(
    user: ApiClient, tmp_path: Path
) -> None:
    """The spreadsheet export that used to become one column named 'âge;sexe;...': every column,
    value, gap and quoted separator comes back, the choice is stated, the bytes are kept."""
    frame = twin_frame()
    data = semicolon_latin1(frame)
    assert b'"Besan\xe7on; Doubs"' in data and b'"Le ""Vieux"" Lyon"' in data and b";;" in data
    path = tmp_path / "patients.csv"
    path.write_bytes(data)
    dataset = user.datasets.upload_dataset(path)
    # Latin-1 text is Windows-1252 text too (they differ only where Latin-1 has controls).
    assert _dialect(dataset) == (";", '"', "cp1252")
    assert {c.name: (c.dtype, c.missing, c.distinct) for c in dataset.columns} == {
        name: (dtype, int(frame[name].isna().sum()), frame[name].nunique())
        for name, dtype in zip(
            frame.columns, ["int64", "string", "string", "float64", "string"], strict=True
        )
    }
    pd.testing.assert_frame_equal(user.datasets.read_dataset(dataset.id), frame)
    assert user.datasets.download_dataset(dataset.id, tmp_path / "copy.csv").read_bytes() == data
    assert user.datasets.get_dataset(dataset.id).csv_dialect == dataset.csv_dialect
    assert [d.csv_dialect for d in user.datasets.list_datasets()] == [dataset.csv_dialect]


def test_decimal_commas_are_read_as_numbers(user: ApiClient, tmp_path: Path) -> None:
    """Continental Excel's export: ';'-separated, Windows-1252, weights written 72,5. Read with
    points they were text, each weight a category of its own; the comma is detected, stored
    with the dialect and every reader takes the numbers as numbers."""
    frame = twin_frame()
    path = tmp_path / "poids.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";", decimal=",").encode("cp1252"))
    assert b";70,6;" in path.read_bytes() or b",6;" in path.read_bytes()
    dataset = user.datasets.upload_dataset(path)
    assert dataset.csv_dialect is not None and dataset.csv_dialect.decimal == ","
    assert {c.name: c.dtype for c in dataset.columns}["poids"] == "float64"
    pd.testing.assert_frame_equal(user.datasets.read_dataset(dataset.id), frame)
    # Points in one column and commas in another: no rule tells the mark, the points stay.
    mixed = frame.assign(taille=np.round(np.linspace(1.5, 1.9, len(frame)), 2))
    text = mixed.to_csv(index=False, sep=";", decimal=",").splitlines()
    fixed = [
        line.rsplit(";", 1)[0] + ";" + line.rsplit(";", 1)[1].replace(",", ".") for line in text
    ]
    path.write_text("\n".join(fixed) + "\n", encoding="cp1252")
    dataset = user.datasets.upload_dataset(path)
    assert dataset.csv_dialect is not None and dataset.csv_dialect.decimal == "."
    assert {c.name: c.dtype for c in dataset.columns}["taille"] == "float64"


VARIANTS: dict[str, tuple[Callable[[pd.DataFrame], bytes], tuple[str, str, str]]] = {
    "tab, UTF-8": (lambda f: f.to_csv(index=False, sep="\t").encode(), ("\t", '"', "utf-8")),
    "pipe, UTF-8": (lambda f: f.to_csv(index=False, sep="|").encode(), ("|", '"', "utf-8")),
    "comma, UTF-8 with a byte order mark": (
        lambda f: f.to_csv(index=False).encode("utf-8-sig"),
        (",", '"', "utf-8-sig"),
    ),
    "semicolon, UTF-16 with a byte order mark": (
        lambda f: f.to_csv(index=False, sep=";").encode("utf-16"),
        (";", '"', "utf-16"),
    ),
    "tab, UTF-16 without a byte order mark": (
        lambda f: f.to_csv(index=False, sep="\t").encode("utf-16-le"),
        ("\t", '"', "utf-16-le"),
    ),
    "single quotes": (
        lambda f: f.to_csv(index=False, quotechar="'").encode(),
        (",", "'", "utf-8"),
    ),
}


@pytest.mark.parametrize("case", list(VARIANTS))
def test_separators_and_encodings_are_detected(user: ApiClient, case: str) -> None:
    write, expected = VARIANTS[case]
    frame = twin_frame(20)
    dataset = user.datasets.upload_dataset(io.BytesIO(write(frame)), name="variant")
    assert _dialect(dataset) == expected
    assert [c.name for c in dataset.columns] == list(frame.columns)
    pd.testing.assert_frame_equal(user.datasets.read_dataset(dataset.id), frame)


def _read(data: bytes, sep: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """What the upload finds in ``data`` (in process), read back as a job reads it."""
    schema = discover_schema(
        io.BytesIO(data),
        detect_format(data, encoding),
        max_rows=100_000,
        max_columns=10,
        sep=sep,
        encoding=encoding,
    )
    assert schema.dialect is not None
    frame: pd.DataFrame = pd.read_csv(io.BytesIO(data), **schema.dialect.pandas_options())
    assert [c["name"] for c in schema.columns] == list(frame.columns)
    frame.attrs["dialect"] = schema.dialect
    return frame


RULES: dict[str, tuple[bytes, CsvDialect, dict[str, list[Any]]]] = {
    "a byte undefined in Windows-1252: Latin-1": (
        b"code;label\n1;caf\xe9\n2;x\x81y\n",
        CsvDialect(";", '"', "iso8859-1"),
        {"code": [1, 2], "label": ["café", "x\x81y"]},
    ),
    "the euro sign of Windows-1252": (
        b"item,price\nbook,12 \x80\n",
        CsvDialect(",", '"', "cp1252"),
        {"item": ["book"], "price": ["12 €"]},
    ),
    "the first non-ASCII byte far beyond the head": (
        b"name,n\n" + b"abc,1\n" * 20_000 + "Besançon,2\n".encode("latin-1"),
        CsvDialect(",", '"', "cp1252"),
        {"name": ["abc"] * 20_000 + ["Besançon"], "n": [1] * 20_000 + [2]},
    ),
    "a comma file whose text holds semicolons": (
        b"id,note\n1,a;b\n2,c;d\n3,e;f\n",
        CsvDialect(",", '"', "utf-8"),
        {"id": [1, 2, 3], "note": ["a;b", "c;d", "e;f"]},
    ),
    "a semicolon file with decimal commas in quotes": (
        b'id;note\n1;"2,5"\n2;"3,1"\n',
        CsvDialect(";", '"', "utf-8", ","),
        {"id": [1, 2], "note": [2.5, 3.1]},
    ),
    "a semicolon file with text holding commas": (
        b'id;note\n1;"a,b"\n2;"2,5"\n',
        CsvDialect(";", '"', "utf-8"),
        {"id": [1, 2], "note": ["a,b", "2,5"]},
    ),
    "one column": (b"n\n1\n2\n", CsvDialect(), {"n": [1, 2]}),
    "one quoted column holding semicolons": (
        b'"a;b"\n"1;2"\n',
        CsvDialect(),
        {"a;b": ["1;2"]},
    ),
}


@pytest.mark.parametrize("case", list(RULES))
def test_detection_rules(case: str) -> None:
    data, dialect, values = RULES[case]
    frame = _read(data)
    assert frame.attrs["dialect"] == dialect
    assert frame.to_dict("list") == values


def test_a_file_read_as_one_column_that_looks_separated_is_refused(
    server: ServerProcess, user: ApiClient
) -> None:
    """A ragged row keeps the sniffer from taking ';': the comma then gives one column, which
    is refused naming ';' and how to say it; said, the ragged row is named; told the file is
    one column, it is taken as one."""
    ragged = "âge;sexe;ville\n31;F;Lyon\n45;M\n52;F;Nîmes\n".encode("latin-1")
    before = stored_files(server)
    with pytest.raises(ValidationError) as refused:
        user.datasets.upload_dataset(io.BytesIO(ragged), name="ragged")
    assert refused.value.status_code == 422
    message = str(refused.value)
    assert "single column named 'âge;sexe;ville'" in message
    assert "splits on ';' into 3 names" in message
    assert "record 3, the header being 1, has 2" in message
    assert "sep=';' (CLI: --sep ';')" in message
    assert user.datasets.list_datasets() == [] and stored_files(server) == before
    with pytest.raises(ValidationError, match=r"row 3 \(the header is row 1\) has 2 field") as row:
        user.datasets.upload_dataset(io.BytesIO(ragged), name="ragged", sep=";")
    assert row.value.status_code == 400
    one = user.datasets.upload_dataset(io.BytesIO(ragged), name="one", sep=",")
    assert [c.name for c in one.columns] == ["âge;sexe;ville"] and one.rows == 3
    assert _dialect(one) == (",", '"', "cp1252")
    with pytest.raises(UnprocessableError, match=r"splits on '\\t' \(a tab\) into 2 names"):
        _read(b"a\tb\n1\t2\n3\n")


def test_a_given_encoding_or_separator_is_taken(user: ApiClient) -> None:
    """Central European text detected as Windows-1252 gets wrong letters, which the schema
    states; given its encoding, it is read right. A given encoding the bytes are not is
    refused naming the byte; a given separator is taken over the one that would be found."""
    data = "ville;habitants\nŁódź;670000\nKraków;800000\n".encode("cp1250")
    detected = user.datasets.upload_dataset(io.BytesIO(data), name="detected")
    assert _dialect(detected) == (";", '"', "cp1252")
    assert user.datasets.read_dataset(detected.id)["ville"][0] != "Łódź"
    told = user.datasets.upload_dataset(io.BytesIO(data), name="told", encoding="cp1250")
    assert _dialect(told) == (";", '"', "cp1250")
    assert user.datasets.read_dataset(told.id)["ville"].tolist() == ["Łódź", "Kraków"]
    with pytest.raises(
        ValidationError, match=r"not valid UTF-8: byte 0xA3 at offset 16 \(line 2\)"
    ):
        user.datasets.upload_dataset(io.BytesIO(data), name="utf8", encoding="UTF8")
    latin = user.datasets.upload_dataset(io.BytesIO(data), name="latin", encoding="latin-1")
    assert _dialect(latin) == (";", '"', "iso8859-1")
    piped = user.datasets.upload_dataset(io.BytesIO(b"a|b;c\n1|2;3\n4|5;6\n"), sep="|")
    assert [c.name for c in piped.columns] == ["a", "b;c"]
    tab = user.datasets.upload_dataset(io.BytesIO(b"a\tb\n1\t2\n"), sep="\\t")
    assert _dialect(tab) == ("\t", '"', "utf-8")


def test_bad_separators_and_encodings_are_refused(
    server: ServerProcess, user: ApiClient, tmp_path: Path
) -> None:
    """By the client before sending, and by the server (422) for a client that does not
    check; and neither says anything about a Parquet file, which says it itself."""
    data = b"a,b\n1,2\n"
    cases = [
        ({"sep": ";;"}, "sep ';;' is not one character"),
        ({"sep": "x"}, "sep 'x' cannot separate fields"),
        ({"sep": '"'}, "cannot separate fields"),
        ({"encoding": "klingon"}, "unknown encoding 'klingon'"),
        ({"encoding": "rot13"}, "'rot13' is not a text encoding"),
    ]
    token = user._core.credentials.header()
    assert token is not None
    for options, message in cases:
        with pytest.raises(ValueError, match=message):
            user.datasets.upload_dataset(io.BytesIO(data), **options)
        response = httpx.post(
            f"{server.base_url}/datasets",
            params=options,
            content=data,
            headers={"Authorization": token, "Content-Type": "application/octet-stream"},
        )
        assert response.status_code == 422, response.text
        assert message in response.json()["detail"]
    frame = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(ValueError, match="a DataFrame is sent as Parquet"):
        user.datasets.upload_dataset(frame, sep=";")
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(ValidationError, match="this file is Parquet") as parquet:
        user.datasets.upload_dataset(tmp_path / "t.parquet", encoding="utf-8")
    assert parquet.value.status_code == 422
    assert user.datasets.list_datasets() == []
