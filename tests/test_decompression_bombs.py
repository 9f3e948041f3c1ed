"""Decompression bombs: a small upload that decodes to a huge table is refused with 413 in
bounded memory, and a large table within the limit is read in bounded memory too.

Parquet stores a repeated value once and a run of it as a count: 400 rows of one 1 MiB string
take 479 bytes with zstd, constant integer columns a few hundred kilobytes for half a gigabyte.
The server's memory is measured from outside, in ``/proc/<pid>/status``: its peak (``VmHWM``,
reset before each upload through ``/proc/<pid>/clear_refs``) and what it keeps after
(``VmRSS``). The server here has ``AVATAR_MAX_DECODED_BYTES`` at 512 MiB, so that a table within
it is larger than the memory bound, and a job reads a stored table under the limit too.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from avatar_server.decoding import MAX_ROW_BYTES
from avatar_yaml import ADVICE_NAME, Config
from avatars import ApiClient, PayloadTooLargeError
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, wait_done

MiB = 1024 * 1024
LIMIT = 512 * MiB
PEAK_GROWTH = 300 * MiB
"""The most the server's resident memory may rise while it reads one upload."""
KEPT_GROWTH = 100 * MiB
"""The most it may keep once it has answered."""
TOO_LARGE = (
    rf"the table takes more than {LIMIT} bytes once decoded, the server's limit "
    r"\(AVATAR_MAX_DECODED_BYTES\)"
)


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", use_dictionary=True)
    return buffer.getvalue()


def repeated_text(rows: int, length: int) -> bytes:
    """``rows`` rows of one ``length``-byte string: a dictionary of one value, and an RLE run."""
    return _parquet(pa.table({"note": pa.array(["x" * length] * rows)}))


def constant_integers(rows: int, columns: int) -> bytes:
    zeros = pa.array(np.zeros(rows, dtype=np.int64))
    return _parquet(pa.table({f"c{i}": zeros for i in range(columns)}))


def empty_fields(rows: int, columns: int) -> bytes:
    """A CSV of empty fields: 2 bytes of text each, 8 bytes of memory (a missing number)."""
    header = ",".join(f"c{i}" for i in range(columns)).encode() + b"\n"
    return header + (b"," * (columns - 1) + b"\n") * rows


def one_long_field(rows: int) -> bytes:
    """A CSV column of short values and one of 1,000,000 bytes."""
    return b"note\n" + b"x" * 1_000_000 + b"\n" + b"y\n" * (rows - 1)


def memory(pid: int) -> dict[str, int]:
    """The process's ``VmRSS`` and ``VmHWM`` (its peak), in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


class MemoryWatch:
    """The server process's peak and kept growth over a block, in bytes."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
        self.before = memory(pid)["VmRSS"]
        self.peak = self.kept = 0

    def stop(self) -> None:
        after = memory(self.pid)
        self.peak = after["VmHWM"] - self.before
        self.kept = after["VmRSS"] - self.before

    def __str__(self) -> str:
        return f"peak +{self.peak / MiB:.0f} MiB, kept +{self.kept / MiB:.0f} MiB"


@pytest.fixture(scope="module")
def bomb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with the default size limits but ``AVATAR_MAX_DECODED_BYTES`` at 512 MiB."""
    process = ServerProcess(
        tmp_path_factory.mktemp("bombs") / "home",
        admin_password=ADMIN_PASSWORD,
        max_decoded_bytes=LIMIT,
        workers=0,
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def client(bomb_server: ServerProcess) -> Iterator[ApiClient]:
    with ApiClient(bomb_server.base_url, timeout=120) as signed_in:
        signed_in.authenticate("admin", ADMIN_PASSWORD)
        yield signed_in


def server_pid(server: ServerProcess) -> int:
    assert server.process is not None
    return server.process.pid


def stored_files(server: ServerProcess) -> set[Path]:
    return {p for p in (server.home / "storage").rglob("*") if p.is_file()}


BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    "parquet: the issue's 400 rows of one 1 MiB string": (
        lambda: repeated_text(400, MiB),
        rf"row 1 takes {MiB + 4} bytes once decoded, more than {MAX_ROW_BYTES}, the limit for "
        r"a row \(as for a CSV line\): a value is too long",
    ),
    "parquet: 800 rows of one 1,000,000-byte string": (
        lambda: repeated_text(800, 1_000_000),
        TOO_LARGE,
    ),
    "parquet: 100 constant int64 columns of 700,000 rows": (
        lambda: constant_integers(700_000, 100),
        TOO_LARGE,
    ),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_bombs_are_refused_in_bounded_memory(
    bomb_server: ServerProcess, client: ApiClient, case: str
) -> None:
    make, message = BOMBS[case]
    content = make()
    assert len(content) < 2 * MiB
    stored = stored_files(bomb_server)
    watch = MemoryWatch(server_pid(bomb_server))
    with pytest.raises(PayloadTooLargeError, match=message) as caught:
        client.datasets.upload_dataset(io.BytesIO(content), name="bomb")
    watch.stop()
    assert caught.value.status_code == 413
    assert watch.peak < PEAK_GROWTH, f"{case} ({len(content)} bytes): {watch}"
    assert watch.kept < KEPT_GROWTH, f"{case}: {watch}"
    assert client.datasets.list_datasets() == []
    assert stored_files(bomb_server) == stored
    good = client.datasets.upload_dataset(io.BytesIO(b"x,y\n1,a\n2,b\n3,c\n"), name="good")
    assert client.datasets.read_dataset(good.id)["x"].tolist() == [1, 2, 3]
    client.datasets.delete_dataset(good.id)


WITHIN: dict[str, tuple[Callable[[], bytes], int]] = {
    "parquet: 500 rows of one 1,000,000-byte string (500 MB decoded)": (
        lambda: repeated_text(500, 1_000_000),
        500,
    ),
    "csv: 40,000 rows of 1,000 empty fields (320 MB decoded)": (
        lambda: empty_fields(40_000, 1_000),
        40_000,
    ),
    "csv: one 1,000,000-byte field in 100,000 rows": (lambda: one_long_field(100_000), 100_000),
}


@pytest.mark.parametrize("case", list(WITHIN))
def test_large_tables_within_the_limit_are_read_in_bounded_memory(
    bomb_server: ServerProcess, client: ApiClient, case: str
) -> None:
    make, rows = WITHIN[case]
    content = make()
    watch = MemoryWatch(server_pid(bomb_server))
    dataset = client.datasets.upload_dataset(io.BytesIO(content), name="large")
    watch.stop()
    assert dataset.rows == rows
    assert watch.peak < PEAK_GROWTH, f"{case} ({len(content)} bytes): {watch}"
    assert watch.kept < KEPT_GROWTH, f"{case}: {watch}"
    client.datasets.delete_dataset(dataset.id)


def test_a_job_refuses_a_stored_table_beyond_a_lowered_limit(
    tmp_path: Path, shared_data: Path
) -> None:
    """A job reads a stored Parquet dataset within the limit of the server that runs it: one
    stored before the limit was lowered fails its job with the reason, not decoded."""
    server = ServerProcess(tmp_path / "home", admin_password=ADMIN_PASSWORD, workers=1)
    server.start()
    try:
        with ApiClient(server.base_url) as client:
            client.authenticate("admin", ADMIN_PASSWORD)
            iris = pd.read_csv(shared_data / "iris.csv")
            dataset = client.datasets.upload_dataset(iris, name="iris")  # sent as Parquet
        server.env["AVATAR_MAX_DECODED_BYTES"] = "4096"
        server.restart()
        with ApiClient(server.base_url) as client:
            client.authenticate("admin", ADMIN_PASSWORD)
            config = Config.new("run")
            config.add_table("iris", str(dataset.id))
            config.add_advice()
            resource = client.resources.put_resources("run", config.to_yaml())
            job = client.jobs.create_job(resource.set_name, ADVICE_NAME)
            ended = wait_done(client, job.name)
    finally:
        server.stop()
    assert ended.status == "failed"
    assert ended.error is not None
    assert ended.error.startswith("table 'iris': the table takes more than 4096 bytes once decoded")
