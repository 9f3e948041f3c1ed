"""Load on loopback: many API-key clients poll a job and list jobs while a large avatarization runs.

A server (subprocess, 2 job workers) avatarizes a large table; meanwhile ``--clients`` clients,
each with its own API key, send ``GET /api/jobs/{name}`` (4 requests in 5) and
``GET /api/jobs?limit=20`` (1 in 5) for ``--duration`` seconds. By default the clients keep a
fixed total rate (``--rate``, open loop: a request's latency counts from when it was due, so a
slow server cannot hide its queue); ``--rate 0`` runs them closed loop, as fast as answered
(the server's capacity). Each run gets a fresh avatarization, cancelled afterwards.

Reports per endpoint: requests/s, p50/p95/p99 latency, errors; the CPU used by the server, its
job workers and the load generator; the run's parameters and the machine. Median of
``--repeat`` runs.

    .venv/bin/python -m bench.load [--clients 50] [--rate 600] [--duration 20] [--repeat 3]

The clients are a minimal asyncio HTTP/1.1 keep-alive client rather than httpx: on a 2-core
machine the load generator shares the CPU with the server it measures, and httpx would spend
several times more of it per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from avatar_yaml.config import AvatarizationParameters, Config
from avatars import ApiClient
from tests.server import ServerProcess

RESULTS = Path(__file__).parent / "results" / "load.md"
PASSWORD = "bench-load-password"
TARGET_RPS = 500.0
TARGET_P99_MS = 100.0
LIST_EVERY = 5  # one request in five lists jobs, the others poll the job's status
STATUS, LIST = "GET /api/jobs/{name}", "GET /api/jobs?limit=20"


class Connection:
    """One keep-alive HTTP/1.1 connection sending GETs with fixed headers."""

    def __init__(self, host: str, port: int, api_key: str) -> None:
        self.host, self.port = host, port
        self.headers = (
            f"Host: {host}:{port}\r\nAuthorization: api-key-v1 {api_key}\r\n"
            "Accept: application/json\r\nUser-Agent: bench-load\r\n\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self.headers)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {STATUS: [], LIST: []})
    errors: dict[str, int] = field(default_factory=lambda: {STATUS: 0, LIST: 0})
    job_states: dict[str, int] = field(default_factory=dict)
    first_error: str = ""


def check(endpoint: str, status: int, body: bytes, samples: Samples) -> bool:
    if status != 200:
        samples.first_error = samples.first_error or f"{endpoint}: HTTP {status} {body[:200]!r}"
        return False
    payload = json.loads(body)
    if endpoint == STATUS:
        samples.job_states[payload["status"]] = samples.job_states.get(payload["status"], 0) + 1
        return "progress" in payload
    return bool(payload["jobs"])


async def client_loop(
    connection: Connection,
    job_name: str,
    interval: float,
    deadline: float,
    samples: Samples,
) -> None:
    """Send requests every ``interval`` seconds (0: back to back) until ``deadline``."""
    loop = asyncio.get_running_loop()
    due = loop.time() + random.uniform(0, interval)
    count = random.randrange(LIST_EVERY)
    while True:
        if interval > 0:
            await asyncio.sleep(max(0.0, due - loop.time()))
        else:
            due = loop.time()
        if due >= deadline:
            return
        count += 1
        endpoint = LIST if count % LIST_EVERY == 0 else STATUS
        path = "/api/jobs?limit=20" if endpoint == LIST else f"/api/jobs/{job_name}"
        try:
            status, body = await connection.get(path)
            ok = check(endpoint, status, body, samples)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            connection.close()
            samples.first_error = samples.first_error or f"{endpoint}: {error!r}"
            ok = False
        if ok:
            samples.latencies[endpoint].append(loop.time() - due)
        else:
            samples.errors[endpoint] += 1
        due += interval


async def generate_load(
    port: int, keys: list[str], job_name: str, rate: float, duration: float
) -> Samples:
    samples = Samples()
    connections = [Connection("127.0.0.1", port, key) for key in keys]
    interval = len(keys) / rate if rate > 0 else 0.0
    deadline = asyncio.get_running_loop().time() + duration
    await asyncio.gather(
        *(client_loop(c, job_name, interval, deadline, samples) for c in connections)
    )
    for connection in connections:
        connection.close()
    return samples


# --- the server side --------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def big_table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {f"x{i}": rng.normal(size=rows) for i in range(5)}
        | {f"c{i}": rng.choice(list("abcd"), size=rows) for i in range(3)}
    )


def wait_running(client: ApiClient, name: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = client.jobs.get_job(name, wait=5)
        if job.status == "running" and job.progress > 0:
            return
        if job.done:
            raise RuntimeError(f"the avatarization ended before the load started: {job}")
    raise RuntimeError("the avatarization never started")


@dataclass
class RunResult:
    rps: dict[str, float]
    p50: dict[str, float]
    p95: dict[str, float]
    p99: dict[str, float]
    errors: dict[str, int]
    server_cpu: float
    workers_cpu: float
    generator_cpu: float
    running_share: float
    first_error: str


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def one_run(
    server: ServerProcess,
    owner: ApiClient,
    set_name: str,
    keys: list[str],
    rate: float,
    duration: float,
) -> RunResult:
    job = owner.jobs.create_job(set_name, "standard")
    wait_running(owner, job.name)
    assert server.process is not None
    pid = server.process.pid
    workers = children(pid)
    before = (cpu_seconds(pid), sum(cpu_seconds(w) for w in workers), time.process_time())
    started = time.perf_counter()
    samples = asyncio.run(generate_load(server.port, keys, job.name, rate, duration))
    elapsed = time.perf_counter() - started
    after = (cpu_seconds(pid), sum(cpu_seconds(w) for w in workers), time.process_time())
    owner.jobs.cancel_job(job.name)
    while not owner.jobs.get_job(job.name, wait=5).done:
        pass
    answered = sum(samples.job_states.values())
    return RunResult(
        rps={e: len(v) / elapsed for e, v in samples.latencies.items()},
        p50={e: percentile(v, 50) for e, v in samples.latencies.items()},
        p95={e: percentile(v, 95) for e, v in samples.latencies.items()},
        p99={e: percentile(v, 99) for e, v in samples.latencies.items()},
        errors=dict(samples.errors),
        server_cpu=(after[0] - before[0]) / elapsed,
        workers_cpu=(after[1] - before[1]) / elapsed,
        generator_cpu=(after[2] - before[2]) / elapsed,
        running_share=samples.job_states.get("running", 0) / answered if answered else 0.0,
        first_error=samples.first_error,
    )


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().split()[1]
    return (
        f"{model}, {os.cpu_count()} cores, {int(memory) / 1024**2:.1f} GiB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True)
        return out.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(args: argparse.Namespace, runs: list[RunResult], load_before: str) -> str:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    endpoints = [STATUS, LIST]
    rows = []
    for endpoint in endpoints:
        rows.append(
            f"| `{endpoint}` | {median([r.rps[endpoint] for r in runs]):.0f} "
            f"| {median([r.p50[endpoint] for r in runs]):.1f} "
            f"| {median([r.p95[endpoint] for r in runs]):.1f} "
            f"| {median([r.p99[endpoint] for r in runs]):.1f} "
            f"| {sum(r.errors[endpoint] for r in runs)} |"
        )
    status_rps = median([r.rps[STATUS] for r in runs])
    status_p99 = median([r.p99[STATUS] for r in runs])
    errors = sum(sum(r.errors.values()) for r in runs)
    met = status_rps >= TARGET_RPS and status_p99 < TARGET_P99_MS and errors == 0
    mode = (
        f"open loop at {args.rate:.0f} requests/s in total"
        if args.rate > 0
        else "closed loop (each client sends its next request when answered)"
    )
    per_run = [
        f"| {i + 1} | {sum(r.rps.values()):.0f} | {r.rps[STATUS]:.0f} | {r.p99[STATUS]:.1f} "
        f"| {r.p99[LIST]:.1f} | {sum(r.errors.values())} | {r.server_cpu:.0%} "
        f"| {r.workers_cpu:.0%} | {r.generator_cpu:.0%} | {r.running_share:.0%} |"
        for i, r in enumerate(runs)
    ]
    lines = [
        "# Load benchmark",
        "",
        f"{args.clients} clients, each with its own API key, {mode}, for {args.duration:.0f} s "
        f"while the server's worker avatarizes {args.rows:,} rows × 8 columns (k=10); median of "
        f"{len(runs)} runs, each with a fresh avatarization. Produced by `make bench-load` "
        "(`bench/load.py`).",
        "",
        f"- Machine: {machine()}; load average before the runs: {load_before}.",
        f"- Server: `python -m avatar_server` on 127.0.0.1, SQLite, {args.workers} job workers; "
        f"code at {git_revision()}.",
        f"- Requests: `GET /api/jobs/{{name}}` (the running job) 4 in 5, "
        f"`GET /api/jobs?limit=20` 1 in 5 (the owner has {args.jobs} jobs).",
        "",
        "| endpoint | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Target (≥ {TARGET_RPS:.0f} status requests/s, p99 < {TARGET_P99_MS:.0f} ms, zero "
        f"errors): **{'met' if met else 'not met'}** — {status_rps:.0f} status requests/s, "
        f"p99 {status_p99:.1f} ms, {errors} errors.",
        "",
        "Per run (CPU: share of one core over the window; *running*: share of status answers "
        "that saw the avatarization still running):",
        "",
        "| run | all req/s | status req/s | status p99 ms | list p99 ms | errors | server CPU "
        "| workers CPU | load generator CPU | running |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *per_run,
        "",
    ]
    first_errors = [r.first_error for r in runs if r.first_error]
    if first_errors:
        lines += [f"First error: `{first_errors[0]}`", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=600.0, help="requests/s in total; 0: max")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--jobs", type=int, default=20, help="jobs the owner has (listed)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(Path(folder) / "home", admin_password=PASSWORD, workers=args.workers)
        server.start()
        try:
            with ApiClient(server.base_url, timeout=600) as admin:
                admin.authenticate("admin", PASSWORD)
                admin.users.create_user("load", "load@example.org", "load-password-1")
            with ApiClient(server.base_url, timeout=600) as owner:
                owner.authenticate("load", "load-password-1")
                keys = [
                    owner.api_keys.create_api_key(f"client-{i}").key for i in range(args.clients)
                ]
                dataset = owner.datasets.upload_dataset(big_table(args.rows), name="big")
                config = Config.new("load", seed=1)
                config.add_table("big", str(dataset.id))
                config.set_parameters("big", avatarization=AvatarizationParameters(k=10))
                set_name = str(owner.resources.put_resources("load", config.to_yaml()).set_name)
                # Jobs to list: metrics jobs without the avatarization they need fail at once.
                for _ in range(args.jobs - 1):
                    owner.jobs.create_job(set_name, "privacy_metrics")
                while not all(job.done for job in owner.jobs.get_jobs().jobs):
                    time.sleep(0.2)
                runs = []
                for index in range(args.repeat):
                    result = one_run(server, owner, set_name, keys, args.rate, args.duration)
                    print(
                        f"run {index + 1}: status {result.rps[STATUS]:.0f} req/s, "
                        f"p99 {result.p99[STATUS]:.1f} ms; list {result.rps[LIST]:.0f} req/s, "
                        f"p99 {result.p99[LIST]:.1f} ms; errors {sum(result.errors.values())}; "
                        f"server CPU {result.server_cpu:.0%}, workers {result.workers_cpu:.0%}, "
                        f"generator {result.generator_cpu:.0%}",
                        flush=True,
                    )
                    runs.append(result)
        finally:
            server.stop()
    text = report(args, runs, load_before)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
