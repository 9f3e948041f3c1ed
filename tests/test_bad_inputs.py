"""The bad input matrix: each bad input is refused at the right layer, with a message naming the
problem (and its place), nothing stored is corrupted, and the server keeps serving.

Layers, earliest first:

- **upload** (400, 422 for a file read as one column that looks separated, or 413 beyond a
  size limit): what is not a readable table. A CSV's encoding and separator are detected by
  fixed rules or given (``test_datasets.py`` tests them): a byte that is not text in the
  encoding read is refused naming its offset and line (UTF-8 text followed by a byte that is
  not UTF-8: a mix, or a cut). Every row has the header's number of fields; no CSV line or
  row is longer than 1 MiB (``decoding.MAX_ROW_BYTES``): a one-field "CSV bomb" is refused
  after reading that much of it. Parquet must read to its end with row counts that agree
  (footer, row groups, column chunks, data) and flat columns. A CSV cut exactly inside its
  last field cannot be told from a complete file (the dataset's SHA-256 lets the client check
  it sent everything); one cut anywhere else leaves a short row or an open quote and is
  refused.
- **resource validation** (422): what is known to fail before any job runs. Cases already in
  ``test_jobs.py`` (unknown dataset, k >= rows, k=1, an unknown schema column, a text column
  declared numeric, malformed YAML) are not repeated here.
- **job** (a failed job whose ``error`` names the table and column) or **warning** (the job
  succeeds; ``run_metadata.json`` of the standard job and ``advice.json`` carry warnings naming
  the column): what depends on the values. An identifier-like column is avatarized with a
  warning (its avatars take values like the originals' ones, so an identifier can reappear):
  declared ``identifier`` in the schema, it is set aside instead.

Cases already in ``test_datasets.py`` (empty, blank, header only, binary, UTF-8 then Latin-1,
a given encoding the file is not, a long row, duplicate CSV columns, fake Parquet magic, size,
row and column limits) are not repeated here.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from avatars_api.models import JobOut

from avatar_server.db.models import DatasetFormat
from avatar_server.decoding import MAX_ROW_BYTES
from avatar_server.services.errors import InvalidInputError
from avatar_server.services.tables import discover_schema
from avatar_yaml import (
    ADVICE_NAME,
    AvatarizationParameters,
    ColumnInfo,
    Config,
    ExcludeVariables,
    ExcludeVariablesMethod,
    Imputation,
    ImputeMethod,
    PrivacyMetricsTableParameters,
    ReportFormat,
    ReportLanguage,
    ReportType,
    SignalMetricsTableParameters,
)
from avatars import ApiClient, PayloadTooLargeError, ValidationError
from tests.server import ServerProcess, wait_done

MiB = 1024 * 1024
GOOD_CSV = b"x,y\n1,a\n2,b\n3,c\n"


def storage_files(server: ServerProcess) -> set[Path]:
    return {p for p in (server.home / "storage").rglob("*") if p.is_file()}


def temporary_files(server: ServerProcess) -> set[Path]:
    """Unfinished writes: a write is a hidden ``.partial`` file until it is complete."""
    return set((server.home / "storage").rglob("*.partial"))


# --- upload ------------------------------------------------------------------------------------


def _parquet(table: pa.Table, **options: Any) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    return buffer.getvalue()


def _numbers(rows: int = 1000) -> pa.Table:
    return pa.table({"a": np.arange(rows), "b": np.arange(rows) * 0.5})


def _patch_footer(data: bytes, old: bytes, new: bytes, occurrence: int) -> bytes:
    """``data`` with the ``occurrence``-th ``old`` of its Parquet footer replaced by ``new``
    (same length, so the footer's recorded length still holds)."""
    assert len(old) == len(new)
    length = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - length
    footer = bytearray(data[start:-8])
    positions = [i for i in range(len(footer)) if footer[i : i + len(old)] == old]
    position = positions[occurrence]
    footer[position : position + len(old)] = new
    return data[:start] + bytes(footer) + data[-8:]


# Row counts are thrift varints in the footer: zigzag(1000) = 2000 = D0 0F, zigzag(1001) = D2 0F.
# The footer holds 1000 as the file's rows (1st), column chunk values (2nd...) and row group's
# rows (last).
_THOUSAND, _THOUSAND_AND_ONE = bytes([0xD0, 0x0F]), bytes([0xD2, 0x0F])


def _lying_footer() -> bytes:
    plain = _parquet(_numbers(), compression="none")
    return _patch_footer(plain, _THOUSAND, _THOUSAND_AND_ONE, 0)


def _lying_row_group() -> bytes:
    plain = _parquet(_numbers(), compression="none")
    return _patch_footer(
        _patch_footer(plain, _THOUSAND, _THOUSAND_AND_ONE, 0), _THOUSAND, _THOUSAND_AND_ONE, -1
    )


def _corrupted_page(checksums: bool) -> bytes:
    data = bytearray(
        _parquet(
            _numbers(),
            compression="none" if checksums else "snappy",
            write_page_checksum=checksums,
        )
    )
    for i in range(100, 200):  # inside the first column's data page
        data[i] ^= 0xFF
    return bytes(data)


def _wbcd_cut_mid_row(shared_data: Path) -> bytes:
    """wbcd.csv cut after the third separator of its 100th data row (row 101 of the file)."""
    text = (shared_data / "wbcd.csv").read_bytes()
    start = 0
    for _ in range(100):
        start = text.index(b"\n", start) + 1
    cut = start
    for _ in range(3):
        cut = text.index(b",", cut) + 1
    return text[:cut]


def _mixed_deep() -> bytes:
    return "name,n\nÉlodie,0\n".encode() + b"abc,1\n" * 30_000 + "Besançon,2\n".encode("latin-1")


_MIXED_DEEP_OFFSET = len("name,n\nÉlodie,0\n".encode() + b"abc,1\n" * 30_000) + len("Besan")


UPLOADS: dict[str, tuple[Callable[[Path], bytes], int, str]] = {
    # case: (content, status, message pattern)
    "csv: unbalanced quote": (
        lambda _: b'a,b\n1,2\n3,"open\n4,5\n',
        400,
        r"the quote opened in row 3 \(the header is row 1\) is never closed",
    ),
    "csv: ragged row, short": (
        lambda _: b"a,b,c\n1,2,3\n4,5\n6,7,8\n",
        400,
        r"row 3 \(the header is row 1\) has 2 field\(s\) where the header has 3: it is cut "
        r"short .*'4,5'",
    ),
    "csv: ragged row, long": (
        lambda _: b"a,b\n1,2\n3,4\n5,6,7\n",
        400,
        r"row 4 \(the header is row 1\) has 3 field\(s\) where the header has 2: it is longer",
    ),
    "csv: data rows far wider than the header": (
        lambda _: b"a,b\n1,2\n" + b",".join([b"9"] * 5000) + b"\n",
        400,
        r"row 3 \(the header is row 1\) has 5000 field\(s\) where the header has 2",
    ),
    "csv: truncated mid-row": (
        _wbcd_cut_mid_row,
        400,
        r"row 101 \(the header is row 1\) has 4 field\(s\) where the header has 10: it is cut "
        r"short \(a truncated file",
    ),
    "csv: truncated inside a quoted field": (
        lambda _: b'id,comment\n1,"fine"\n2,"cut in the midd',
        400,
        r"the quote opened in row 3 \(the header is row 1\) is never closed \(an unbalanced "
        r"quote, or a file cut short\)",
    ),
    "csv: UTF-8, then Latin-1 deep in the file": (
        lambda _: _mixed_deep(),
        400,
        rf"not valid UTF-8: byte 0xE7 at offset {_MIXED_DEEP_OFFSET} \(line 30003\): it is "
        r"not UTF-8 text, though the text before it is",
    ),
    "csv: UTF-8 cut inside a character": (
        lambda _: "a,b\n1,é\n2,€".encode()[:-1],
        400,
        r"not valid UTF-8: byte 0xE2 at offset 11 \(line 3\)",
    ),
    "csv: UTF-8 cut inside its only character": (
        lambda _: "a,b\n1,€".encode()[:-1],
        400,
        r"not valid UTF-8: byte 0xE2 at offset 6 \(line 2\): .* cut short",
    ),
    "csv: UTF-16 cut inside a character": (
        lambda _: "name,city\nÉlodie,Besançon\n".encode("utf-16")[:-1],
        400,
        r"not valid utf-16: byte 0x0A at offset 52 \(line 2\)",
    ),
    "csv: a one-column read of a semicolon file": (
        lambda _: b"a;b;c\n1;2;3\n4;5\n",
        422,
        r"single column named 'a;b;c', but its header splits on ';' into 3 names",
    ),
    "csv bomb: one 3.5 MB field": (
        lambda _: b"id,note\n1," + b"x" * 3_500_000 + b"\n2,short\n",
        400,
        rf"line 2 is longer than {MAX_ROW_BYTES} bytes, the limit for a CSV line",
    ),
    "csv bomb: a 3.5 MB quoted field of short lines": (
        lambda _: b'id,note\n1,ok\n2,"' + b"0123456789\n" * 320_000 + b'"\n',
        400,
        rf"row 3 \(the header is row 1\) is longer than {MAX_ROW_BYTES} bytes, the limit for "
        r"a CSV row: a field is too long, or a quote is never closed",
    ),
    "csv bomb: a 3 MB header": (
        lambda _: b"h" * 3_000_000 + b"\n1\n",
        400,
        rf"line 1 is longer than {MAX_ROW_BYTES} bytes",
    ),
    "csv bomb: 100,000 columns": (
        lambda _: (
            ",".join(f"c{i}" for i in range(100_000)).encode() + b"\n" + b"1," * 99_999 + b"1\n"
        ),
        413,
        r"the table has 100000 columns; the limit is 300",
    ),
    "csv: a column without a name": (
        lambda _: b"a,,c\n1,2,3\n",
        400,
        r"column 2 \(counting from 1\) has an empty name",
    ),
    "csv: a trailing separator on every line": (
        lambda _: b"a,b,\n1,2,\n3,4,\n",
        400,
        r"column 3 \(counting from 1\) has an empty name",
    ),
    "csv: a blank first line": (
        lambda _: b"\na,b\n1,2\n",
        400,
        r"line 1 is empty: the first line must be the header",
    ),
    "csv: header only, CRLF": (lambda _: b"a,b\r\n", 400, r"a header but no rows"),
    "csv: header only, no newline": (lambda _: b"a,b", 400, r"a header but no rows"),
    "parquet: truncated footer": (
        lambda _: _parquet(_numbers())[:-20],
        400,
        r"the Parquet file is unreadable: .*(magic bytes|footer)",
    ),
    "parquet: cut in half": (
        lambda _: (lambda d: d[: len(d) // 2])(_parquet(_numbers())),
        400,
        r"the Parquet file is unreadable",
    ),
    "parquet: footer lies about the row count": (
        lambda _: _lying_footer(),
        400,
        r"the Parquet file is inconsistent: its footer declares 1001 rows, its row groups 1000",
    ),
    "parquet: footer and row group lie about the row count": (
        lambda _: _lying_row_group(),
        400,
        r"inconsistent: row group 0 declares 1001 rows, but its column 'a' holds 1000 values",
    ),
    "parquet: corrupted page (compressed)": (
        lambda _: _corrupted_page(checksums=False),
        400,
        r"the Parquet file is unreadable: .*(snappy|[Cc]orrupt)",
    ),
    "parquet: corrupted page (checksum)": (
        lambda _: _corrupted_page(checksums=True),
        400,
        r"the Parquet file is unreadable: .*CRC checksum verification failed",
    ),
    "parquet: damaged pandas metadata": (
        lambda _: _parquet(_numbers().replace_schema_metadata({b"pandas": b"{broken json"})),
        400,
        r"the Parquet file's pandas metadata .* is damaged",
    ),
    "parquet: nested column": (
        lambda _: _parquet(pa.table({"a": [1, 2], "visits": [[1, 2], [3]]})),
        400,
        r"column 'visits' holds nested values \(list<.*>\): only flat columns",
    ),
    "parquet: duplicate column names": (
        lambda _: _parquet(pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], ["a", "a"])),
        400,
        r"duplicate column names: 'a'",
    ),
    "parquet: a column without a name": (
        lambda _: _parquet(pa.table({"a": [1, 2], "": [3, 4]})),
        400,
        r"column 2 \(counting from 1\) has an empty name",
    ),
    "parquet: no rows": (lambda _: _parquet(_numbers(0)), 400, r"a header but no rows"),
}


@pytest.mark.parametrize("case", list(UPLOADS))
def test_bad_uploads_are_refused_and_leave_nothing(
    server: ServerProcess, user: ApiClient, shared_data: Path, case: str
) -> None:
    make, status, message = UPLOADS[case]
    content = make(shared_data)
    stored, temporary = storage_files(server), temporary_files(server)
    expected = PayloadTooLargeError if status == 413 else ValidationError  # 400 or 422
    with pytest.raises(expected, match=message) as caught:
        user.datasets.upload_dataset(io.BytesIO(content), name="bad")
    assert caught.value.status_code == status
    assert user.datasets.list_datasets() == []
    assert temporary_files(server) <= temporary, "a temporary file was left behind"
    assert storage_files(server) <= stored
    # The server keeps serving: a good upload right after is stored and readable.
    good = user.datasets.upload_dataset(io.BytesIO(GOOD_CSV), name="good")
    assert good.rows == 3
    frame = user.datasets.read_dataset(good.id)
    assert frame.to_dict("list") == {"x": [1, 2, 3], "y": ["a", "b", "c"]}
    user.datasets.delete_dataset(good.id)
    assert storage_files(server) <= stored


class _EndlessField(io.RawIOBase):
    """A seekable CSV of ``size`` bytes whose second line is one field, generated on the fly
    (never held), counting the bytes read."""

    def __init__(self, size: int) -> None:
        self.head = b"id,note\n1,"
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        assert whence == io.SEEK_SET
        self.position = offset
        return offset

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), self.size - self.position))
        head = self.head[self.position : self.position + count]
        chunk = head + b"x" * (count - len(head))
        buffer[:count] = chunk
        self.position += count
        self.read_bytes += count
        return count


def test_a_csv_bomb_is_refused_after_reading_one_row_limit() -> None:
    """A 1 GB single-field line (far beyond the test server's upload limit, so checked on the
    reader itself) is refused once the line passes 1 MiB: the rest is never read, and no row is
    ever parsed whole."""
    bomb = _EndlessField(1024 * MiB)
    with pytest.raises(InvalidInputError, match=rf"line 2 is longer than {MAX_ROW_BYTES} bytes"):
        discover_schema(bomb, DatasetFormat.CSV, max_rows=10**9, max_columns=10)  # type: ignore[arg-type]
    assert bomb.read_bytes < 4 * MiB, bomb.read_bytes


class _SlowFile(io.BytesIO):
    """A file that takes a while to answer each read, as a busy disk does."""

    def read(self, size: int | None = -1) -> bytes:
        time.sleep(0.01)
        return super().read(size)


def test_a_long_row_is_named_although_the_reader_was_still_reading_ahead() -> None:
    """pyarrow reads the next blocks on a thread of its own; when a row straddles blocks, that
    thread may still be reading while the row is looked for again from the start. The search
    must not share the file position with it (before the fix, 5 runs in 10 named a wrong row or
    none)."""
    text = (
        b"id,note\n"
        + b"1,ok\n" * 500_000
        + b'2,"'
        + b"0123456789\n" * 320_000
        + b'"\n'
        + b"3,abc\n" * 400_000
    )
    for _ in range(4):
        with pytest.raises(InvalidInputError, match=r"^row 500002 \(the header is row 1\) is "):
            discover_schema(_SlowFile(text), DatasetFormat.CSV, max_rows=10**9, max_columns=10)


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-16", "utf-16-be", "cp1252"], ids=lambda e: f"as {e}"
)
def test_tolerated_csv_variants(user: ApiClient, encoding: str) -> None:
    """What the CSV reader accepts on purpose: CRLF line ends, quoted separators and newlines,
    and a last line without newline, in UTF-8 with a byte order mark (dropped from the first
    name), UTF-16 with or without one, and Windows-1252."""
    text = '\ufeffâge,note\r\n31,"a, b"\r\n45,"two\r\nlines"\r\n52,plain'
    data = (text if encoding == "utf-8-sig" else text[1:]).encode(encoding)
    dataset = user.datasets.upload_dataset(io.BytesIO(data), name="variants")
    assert dataset.csv_dialect is not None and dataset.csv_dialect.encoding == encoding
    assert [c.name for c in dataset.columns] == ["âge", "note"]
    assert dataset.rows == 3
    frame = user.datasets.read_dataset(dataset.id)
    assert frame["note"].tolist() == ["a, b", "two\r\nlines", "plain"]


# --- resource validation -----------------------------------------------------------------------


@pytest.fixture
def people(user: ApiClient) -> str:
    """200 rows: a number, a small integer, a category and a float with a gap."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, 200),
            "children": rng.integers(0, 4, 200),
            "city": rng.choice(["Nantes", "Lyon", "Lille"], 200),
            "income": rng.normal(30_000, 5_000, 200).round(2),
        }
    )
    frame.loc[3, "income"] = None
    return str(user.datasets.upload_dataset(frame, name="people").id)


def full_config(dataset_id: str, table: str = "people") -> Config:
    config = Config.new("run", seed=3)
    config.add_table(table, dataset_id, columns=[ColumnInfo(field="age")])
    config.set_parameters(
        table,
        avatarization=AvatarizationParameters(
            k=5,
            ncp=2,
            column_weights={"age": 2.0},
            imputation=Imputation(method=ImputeMethod.FAST_KNN, k=3, training_fraction=0.5),
            exclude_variables=ExcludeVariables(
                variable_names=["children"],
                replacement_strategy=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
            ),
        ),
        privacy=PrivacyMetricsTableParameters(known_variables=["age"], target="city"),
        signal=SignalMetricsTableParameters(
            exclude_variables=ExcludeVariables(
                variable_names=["children"],
                replacement_strategy=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
            )
        ),
    )
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.HTML)
    return config


def _document(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(
        d for d in documents if d["kind"] == kind and d["metadata"]["name"] != "schema_avatarized"
    )


def _table_spec(documents: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = _document(documents, "AvatarSchema")["spec"]["tables"][0]
    return spec


def _avatarization(documents: list[dict[str, Any]]) -> dict[str, Any]:
    spec = _document(documents, "AvatarParameters")["spec"]["avatarization"]
    table: dict[str, Any] = spec["people"]
    return table


def _privacy(documents: list[dict[str, Any]]) -> dict[str, Any]:
    spec = _document(documents, "AvatarPrivacyMetricsParameters")["spec"]["privacy_metrics"]
    table: dict[str, Any] = spec["people"]
    return table


def _signal(documents: list[dict[str, Any]]) -> dict[str, Any]:
    spec = _document(documents, "AvatarSignalMetricsParameters")["spec"]["signal_metrics"]
    table: dict[str, Any] = spec["people"]
    return table


Edit = Callable[[list[dict[str, Any]]], None]


def _set(get: Callable[[list[dict[str, Any]]], dict[str, Any]], key: str, value: Any) -> Edit:
    def edit(documents: list[dict[str, Any]]) -> None:
        get(documents)[key] = value

    return edit


def _imputation(key: str, value: Any) -> Edit:
    def edit(documents: list[dict[str, Any]]) -> None:
        _avatarization(documents)["imputation"][key] = value

    return edit


def _exclude(get: Callable[[list[dict[str, Any]]], dict[str, Any]], names: list[str]) -> Edit:
    def edit(documents: list[dict[str, Any]]) -> None:
        get(documents)["exclude_variables"]["variable_names"] = names

    return edit


def _columns(*columns: dict[str, Any]) -> Edit:
    return _set(_table_spec, "columns", list(columns))


def _dataset_id(value: str) -> Edit:
    def edit(documents: list[dict[str, Any]]) -> None:
        _table_spec(documents)["data"]["dataset_id"] = value

    return edit


def _rename_parameters_table(documents: list[dict[str, Any]]) -> None:
    spec = _document(documents, "AvatarParameters")["spec"]["avatarization"]
    spec["nobody"] = spec.pop("people")


def _exclude_all_unweighted(documents: list[dict[str, Any]]) -> None:
    _avatarization(documents).pop("column_weights", None)
    _exclude(_avatarization, ["age", "children", "city", "income"])(documents)


RESOURCES: dict[str, tuple[Edit, str]] = {
    # case: (edit of the valid documents, message pattern)
    "dataset_id not a UUID": (_dataset_id("people.csv"), r"dataset_id 'people.csv' is not a UUID"),
    "k: 'abc'": (
        _set(_avatarization, "k", "abc"),
        r"spec.avatarization.people.k: expected an integer, got 'abc'",
    ),
    "k: true": (
        _set(_avatarization, "k", True),
        r"avatarization.people.k: expected an integer, got true",
    ),
    "k: 2.5": (
        _set(_avatarization, "k", 2.5),
        r"avatarization.people.k: expected an integer, got 2.5",
    ),
    "k: 0": (
        _set(_avatarization, "k", 0),
        r"avatarization.people.k: expected an integer >= 2, got 0",
    ),
    "ncp: 0": (
        _set(_avatarization, "ncp", 0),
        r"avatarization.people.ncp: expected an integer >= 1, got 0",
    ),
    "ncp: '5'": (
        _set(_avatarization, "ncp", "5"),
        r"avatarization.people.ncp: expected an integer, got '5'",
    ),
    "ncp beyond the table's dimensions": (
        _set(_avatarization, "ncp", 5000),
        r"table 'people': ncp=5000 is more than the table's dimensions \(at most 200",
    ),
    "imputation training_fraction: 2": (
        _imputation("training_fraction", 2),
        r"imputation.training_fraction: expected a number <= 1, got 2",
    ),
    "imputation training_fraction: 0": (
        _imputation("training_fraction", 0),
        r"imputation.training_fraction: expected a number > 0, got 0",
    ),
    "imputation k: 0": (_imputation("k", 0), r"imputation.k: expected an integer >= 1, got 0"),
    "imputation method: 'nearest'": (
        _imputation("method", "nearest"),
        r"imputation.method: .*'nearest'",
    ),
    "column weight: 'heavy'": (
        _set(_avatarization, "column_weights", {"age": "heavy"}),
        r"column_weights.age: expected a number, got 'heavy'",
    ),
    "column weight: 0": (
        _set(_avatarization, "column_weights", {"age": 0}),
        r"avatarization.people.column_weights.age: expected a number > 0, got 0",
    ),
    "column weight: -1": (
        _set(_avatarization, "column_weights", {"age": -1}),
        r"column_weights.age: expected a number > 0, got -1",
    ),
    "duplicate column in the schema": (
        _columns({"field": "age"}, {"field": "age"}),
        r"spec.tables\[0\].columns\[1\].field: duplicate column 'age'",
    ),
    "known_variables: unknown column": (
        _set(_privacy, "known_variables", ["age", "height"]),
        r"privacy metrics parameters of table 'people': known_variables names unknown columns "
        r"\['height'\]",
    ),
    "target: unknown column": (
        _set(_privacy, "target", "salary"),
        r"privacy metrics parameters of table 'people': target names unknown columns "
        r"\['salary'\]",
    ),
    "target also a known variable": (
        _set(_privacy, "target", "age"),
        r"privacy_metrics.people.target: 'age' cannot also be a known variable",
    ),
    "exclude_variables: unknown column": (
        _exclude(_avatarization, ["children", "pets"]),
        r"avatarization parameters of table 'people': exclude_variables names unknown columns "
        r"\['pets'\]",
    ),
    "column_weights: unknown column": (
        _set(_avatarization, "column_weights", {"weight": 2.0}),
        r"column_weights names unknown columns \['weight'\]",
    ),
    "parameters for a table not in the schema": (
        _rename_parameters_table,
        r"spec.avatarization.nobody: table 'nobody' is not in the schema \(tables: people\)",
    ),
    # Refused up front since this work; each used to fail later, in the job.
    "exclude_variables: every column": (
        _exclude_all_unweighted,
        r"exclude_variables leaves no column to avatarize",
    ),
    "column_weights on an excluded column": (
        _set(_avatarization, "column_weights", {"children": 2.0}),
        r"column_weights names columns \['children'\] that exclude_variables keeps out",
    ),
    "known_variables: a column the schema drops": (
        _columns({"field": "city", "drop": True}),
        r"privacy metrics parameters of table 'people': (known_variables|target) names "
        r"columns \['city'\] that the schema sets aside",
    ),
    "exclude_variables: the primary key": (
        _columns({"field": "children", "primary_key": True}),
        r"exclude_variables names columns \['children'\] that the schema sets aside",
    ),
    "signal exclude_variables: unknown column": (
        _exclude(_signal, ["pets"]),
        r"signal metrics parameters of table 'people': exclude_variables names unknown columns "
        r"\['pets'\]",
    ),
    "the schema sets every column aside": (
        _columns(
            {"field": "age", "identifier": True},
            {"field": "children", "drop": True},
            {"field": "city", "drop": True},
            {"field": "income", "primary_key": True},
        ),
        r"table 'people': the schema sets every column aside",
    ),
}


@pytest.mark.parametrize("case", list(RESOURCES))
def test_bad_resources_are_refused_naming_the_culprit(
    user: ApiClient, people: str, case: str
) -> None:
    edit, message = RESOURCES[case]
    documents = list(yaml.safe_load_all(full_config(people).to_yaml()))
    edit(documents)
    text = yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)
    with pytest.raises(ValidationError, match=message) as caught:
        user.resources.put_resources("run", text)
    assert caught.value.status_code == 422
    assert user.resources.list_resources(display_name="run") == []
    # The valid documents are still accepted.
    assert user.resources.put_resources("run", full_config(people).to_yaml()).set_name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: AvatarMetadata\n\tmetadata: {}\n", r"invalid YAML at line 2, column 1: .*'\\t'"),
        (
            'a: &a ["x", "x"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n',
            r"aliases \(\*a\) are not accepted",
        ),
        ("\x00\x01\x02", r"invalid YAML"),
        (
            "kind: AvatarMetadata\nmetadata: {name: avatar-metadata-run}\n"
            "spec: {display_name: run}\n",
            r"no AvatarSchema",
        ),
    ],
    ids=["tab", "alias bomb", "binary", "no schema"],
)
def test_yaml_that_is_not_a_run_is_refused(user: ApiClient, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        user.resources.put_resources("run", text)
    assert caught.value.status_code == 422
    assert user.resources.list_resources() == []


# --- jobs and warnings -------------------------------------------------------------------------


def upload(client: ApiClient, frame: pd.DataFrame, fmt: str = "csv") -> str:
    if fmt == "csv":
        content = io.BytesIO(frame.to_csv(index=False).encode())
        return str(client.datasets.upload_dataset(content, name="t").id)
    return str(client.datasets.upload_dataset(frame, name="t").id)


def run(
    client: ApiClient,
    dataset_id: str,
    *,
    k: int | None = 5,
    table: str = "t",
    columns: list[ColumnInfo] | None = None,
    documents: tuple[str, ...] = ("standard", ADVICE_NAME),
) -> dict[str, JobOut]:
    """Store a run over one table and run its ``documents`` to their end."""
    config = Config.new("run", seed=7)
    config.add_table(table, dataset_id, columns=columns)
    if k is not None:
        config.set_parameters(table, avatarization=AvatarizationParameters(k=k))
    config.add_advice()
    resource = client.resources.put_resources("run", config.to_yaml())
    jobs = {name: client.jobs.create_job(resource.set_name, name) for name in documents}
    return {name: wait_done(client, job.name) for name, job in jobs.items()}


def run_metadata(client: ApiClient, job: JobOut) -> dict[str, Any]:
    files = client.results.get_results(job.name).files
    entry = next(f for f in files if f.kind == "run_metadata")
    return dict(client.results.read_json(job.name, entry))


def advice_warnings(client: ApiClient, job: JobOut) -> list[str]:
    entry = client.results.get_results(job.name).files[0]
    return list(client.results.read_json(job.name, entry)[0]["advice"]["warnings"])


def shuffled(client: ApiClient, job: JobOut) -> pd.DataFrame:
    files = client.results.get_results(job.name).files
    return client.results.read_table(job.name, next(f for f in files if f.kind == "shuffled"))


@pytest.mark.parametrize("rows", [1, 2])
def test_tables_too_small_for_any_k(user: ApiClient, rows: int) -> None:
    """No k fits (2 <= k < rows): the avatarization is refused up front, the advice fails."""
    dataset = upload(user, pd.DataFrame({"x": [1.5, 2.5][:rows], "g": ["a", "b"][:rows]}))
    config = Config.new("run")
    config.add_table("t", dataset)
    config.set_parameters("t", avatarization=AvatarizationParameters(k=2))
    with pytest.raises(ValidationError, match=rf"k=2 must be smaller than the table's {rows} rows"):
        user.resources.put_resources("run", config.to_yaml())
    advice = run(user, dataset, k=None, documents=(ADVICE_NAME,))[ADVICE_NAME]
    assert advice.status == "failed"
    assert advice.error == (
        f"table 't': the table has {rows} row(s): at least 3 are needed, as k must be at least 2 "
        "and less than the number of rows"
    )


def test_a_three_row_table_runs_with_a_warning(user: ApiClient) -> None:
    dataset = upload(user, pd.DataFrame({"x": [1.5, 2.5, 3.5], "g": ["a", "b", "a"]}))
    jobs = run(user, dataset, k=2)
    assert {job.status for job in jobs.values()} == {"done"}
    too_few = "The table has 3 rows: too few rows to anonymize"
    assert any(too_few in w for w in run_metadata(user, jobs["standard"])["warnings"])
    assert any(too_few in w for w in advice_warnings(user, jobs[ADVICE_NAME]))


def _base(rows: int = 200) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    return {"x": rng.normal(size=rows).round(4), "g": rng.choice(list("abc"), rows)}


def test_an_all_missing_column_fails_the_job_naming_it(user: ApiClient) -> None:
    frame = pd.DataFrame(_base() | {"empty": [None] * 200})
    dataset = upload(user, frame)
    assert user.datasets.get_dataset(dataset).columns[2].dtype == "empty"
    jobs = run(user, dataset)
    standard = jobs["standard"]
    assert standard.status == "failed"
    assert standard.error == (
        "table 't': column 'empty' is entirely missing: drop it before avatarizing"
    )
    assert jobs[ADVICE_NAME].status == "done"
    assert any(
        "'empty'" in w and "entirely missing" in w for w in advice_warnings(user, jobs[ADVICE_NAME])
    )
    # As the message says: dropped in the schema, the run succeeds without it.
    fixed = run(
        user, dataset, columns=[ColumnInfo(field="empty", drop=True)], documents=("standard",)
    )
    assert fixed["standard"].status == "done"
    assert list(shuffled(user, fixed["standard"]).columns) == ["x", "g"]


def test_a_constant_column_is_avatarized_with_a_warning(user: ApiClient) -> None:
    frame = pd.DataFrame(_base() | {"country": ["FR"] * 200})
    jobs = run(user, upload(user, frame))
    assert {job.status for job in jobs.values()} == {"done"}
    avatars = shuffled(user, jobs["standard"])
    assert set(avatars["country"]) == {"FR"}
    for warnings in (
        run_metadata(user, jobs["standard"])["warnings"],
        advice_warnings(user, jobs[ADVICE_NAME]),
    ):
        assert any("Column 'country' has a single value" in w for w in warnings), warnings


def test_a_table_where_nothing_varies_fails_with_a_reason(user: ApiClient) -> None:
    """It used to fail as an internal error (the projection had no axis)."""
    frame = pd.DataFrame({"country": ["FR"] * 50, "year": [2024] * 50})
    jobs = run(user, upload(user, frame))
    standard = jobs["standard"]
    assert standard.status == "failed"
    assert standard.error.startswith("table 't': no column varies ('country', 'year': each holds")
    assert "internal error" not in standard.error
    assert jobs[ADVICE_NAME].status == "done"


@pytest.mark.parametrize("kind", ["text", "integer"])
def test_an_identifier_like_column_is_refused_until_dealt_with(user: ApiClient, kind: str) -> None:
    """An undeclared identifier is refused before any avatarization (it would come out of
    the avatars as it went in); the advice, which releases nothing, still runs and warns.
    Declared ``identifier`` in the schema, it is set aside and the run goes ahead."""
    ids = [f"P{i:05d}" for i in range(200)] if kind == "text" else list(range(10_000, 10_200))
    dataset = upload(user, pd.DataFrame({"patient": ids} | _base()))
    with pytest.raises(ValidationError, match=r"'patient' \(id_like: "):
        run(user, dataset)
    advice = run(user, dataset, k=None, documents=(ADVICE_NAME,))
    needle = "Column 'patient' looks like an identifier (200 distinct values in 200 rows"
    assert any(needle in w for w in advice_warnings(user, advice[ADVICE_NAME]))
    declared = run(user, dataset, columns=[ColumnInfo(field="patient", identifier=True)])
    assert declared["standard"].status == "done"
    assert "patient" not in shuffled(user, declared["standard"]).columns
    metadata = run_metadata(user, declared["standard"])
    assert metadata["set_aside_columns"] == ["patient"]
    assert not any("'patient'" in w for w in metadata["warnings"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_unicode_names_work_end_to_end(user: ApiClient, fmt: str) -> None:
    rng = np.random.default_rng(2)
    names = ["âge", "名前", "emoji 🙂", 'a,b "quoted"']
    frame = pd.DataFrame(
        {
            names[0]: rng.integers(18, 90, 200),
            names[1]: rng.choice(["太郎", "花子", "Zoë"], 200),
            names[2]: rng.normal(size=200).round(3),
            names[3]: rng.choice(["oui", "non"], 200),
        }
    )
    dataset = upload(user, frame, fmt)
    assert [c.name for c in user.datasets.get_dataset(dataset).columns] == names
    jobs = run(user, dataset, table="données 🙂", columns=[ColumnInfo(field=names[1])])
    assert {job.status for job in jobs.values()} == {"done"}, jobs
    avatars = shuffled(user, jobs["standard"])
    assert list(avatars.columns) == names
    assert len(avatars) == 200
    assert set(avatars[names[1]]) <= {"太郎", "花子", "Zoë"}
    assert run_metadata(user, jobs["standard"])["table_name"] == "données 🙂"


def test_the_server_still_serves_after_the_matrix(server: ServerProcess, user: ApiClient) -> None:
    """Last of the module: nothing above left the server unhealthy or its storage dirty."""
    assert user.health.get_health().status == "ok"
    dataset = user.datasets.upload_dataset(
        io.BytesIO(GOOD_CSV), name=f"after-{uuid.uuid4().hex[:6]}"
    )
    assert dataset.rows == 3
