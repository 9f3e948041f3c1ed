"""Upload and download of a large CSV through the API, beside the floor of the same work.

Reports, as medians of repeated runs: the floor (copying the file on disk; parsing it with the
server's own schema discovery, in-process), the upload through the API (which streams to storage
and discovers the schema), the streamed download, and the server's peak memory, which must stay
far below the file size since uploads are never held in memory whole.

    .venv/bin/python -m bench.transfer [--mb 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from avatar_server.db.models import DatasetFormat
from avatar_server.services.tables import discover_schema
from avatars import ApiClient
from bench.common import write_results
from tests.server import ServerProcess

RESULTS = Path(__file__).parent / "results" / "transfer.md"


def make_csv(path: Path, megabytes: int) -> None:
    rng = np.random.default_rng(0)
    rows_per_block = 100_000
    with path.open("w") as out:
        header = True
        while path.stat().st_size < megabytes * 1024 * 1024:
            block = pd.DataFrame(
                rng.normal(size=(rows_per_block, 16)).round(4), columns=[f"x{i}" for i in range(16)]
            )
            block["k"] = rng.integers(0, 50, rows_per_block)
            block["c"] = rng.choice(["alpha", "beta", "gamma", "delta"], rows_per_block)
            block.to_csv(out, index=False, header=header)
            header = False
            out.flush()


def timed(action: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "big.csv"
        make_csv(source, args.mb)
        size_mb = source.stat().st_size / 1024 / 1024
        copy_s = timed(lambda: shutil.copyfile(source, work / "copy.csv"), args.repeat)

        def parse() -> None:
            with source.open("rb") as handle:
                discover_schema(handle, DatasetFormat.CSV, max_rows=10**9, max_columns=10**4)

        parse_s = timed(parse, args.repeat)
        server = ServerProcess(work / "home", admin_password="bench-password")
        server.start()
        try:
            assert server.process is not None
            idle_mb = peak_rss_mb(server.process.pid)
            with ApiClient(server.base_url, timeout=600) as client:
                client.authenticate("admin", "bench-password")
                ids: list[str] = []
                upload_s = timed(
                    lambda: ids.append(str(client.datasets.upload_dataset(source).id)), args.repeat
                )
                download_s = timed(
                    lambda: client.datasets.download_dataset(ids[0], work / "down.csv"), args.repeat
                )
                assert (work / "down.csv").stat().st_size == source.stat().st_size
                latency_s = timed(client.users.get_me, 200)
            peak_mb = peak_rss_mb(server.process.pid)
        finally:
            server.stop()

    rows = [
        ("floor: copy the file on disk", copy_s),
        ("floor: schema discovery in-process (chunked parse)", parse_s),
        ("upload through the API (stream + discovery)", upload_s),
        ("download through the API (streamed)", download_s),
    ]
    lines = [
        "# Transfer benchmark",
        "",
        f"{size_mb:.0f} MB CSV (18 columns), median of {args.repeat} runs; "
        f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, "
        f"Python {platform.python_version()}. Produced by `make bench-transfer`.",
        "",
        "| step | seconds | MB/s |",
        "|---|---:|---:|",
        *[f"| {name} | {seconds:.2f} | {size_mb / seconds:.0f} |" for name, seconds in rows],
        "",
        f"- API round trip `GET /api/users/me`: median {latency_s * 1000:.1f} ms over 200 calls.",
        f"- Server peak RSS: {idle_mb:.0f} MB after start-up, {peak_mb:.0f} MB after the uploads "
        f"and downloads ({size_mb:.0f} MB file): the file is never held whole in memory.",
        "",
    ]
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
