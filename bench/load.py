"""Load on loopback: many API-key clients poll a job and list jobs while a large avatarization runs.

A server (subprocess, 2 job workers; 2 HTTP processes, then 1) avatarizes a large table;
meanwhile clients, each with
its own API key, send ``GET /api/jobs/{name}`` (4 requests in 5) and ``GET /api/jobs?limit=20``
(1 in 5) for ``--duration`` seconds per phase:

* *target*: ``--clients`` clients keeping a fixed total rate (``--rate``, open loop: a request's
  latency counts from when it was due, so a slow server cannot hide its queue);
* *capacity*: ``--capacity-clients`` clients closed loop (each sends its next request when
  answered): the throughput the server sustains, and the latency it gives at it.

Reports per phase and endpoint: requests/s, p50/p95/p99 latency, errors; the CPU used by the
server, its job workers and the load generator; the parameters and the machine. Each phase of a
run gets a fresh avatarization (cancelled afterwards); median of ``--repeat`` runs.

    .venv/bin/python -m bench.load [--clients 50] [--rate 650] [--duration 20] [--repeat 3]
                                   [--api-processes 2,1]

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
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from avatar_yaml import AvatarizationParameters, Config
from avatars import ApiClient
from avatars.errors import AvatarError
from tests.server import ServerProcess

RESULTS = Path(__file__).parent / "results" / "load.md"
PASSWORD = "bench-load-password"
TARGET_RPS = 500.0
TARGET_P99_MS = 100.0
REQUEST_TIMEOUT_S = 10.0  # an answer later than this counts as an error
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
    missed: int = 0  # requests due before the end that a late client never sent


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
        if loop.time() >= deadline:  # behind schedule at the end: the rest is never sent
            samples.missed += int((deadline - due) / interval) + 1 if interval > 0 else 0
            return
        count += 1
        endpoint = LIST if count % LIST_EVERY == 0 else STATUS
        path = "/api/jobs?limit=20" if endpoint == LIST else f"/api/jobs/{job_name}"
        try:
            status, body = await asyncio.wait_for(connection.get(path), REQUEST_TIMEOUT_S)
            ok = check(endpoint, status, body, samples)
        except (OSError, asyncio.IncompleteReadError, ValueError, KeyError, TimeoutError) as error:
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


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


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


def stop_job(owner: ApiClient, name: str) -> None:
    """Cancel the run's avatarization; a server still digesting the load may answer 5xx."""
    deadline = time.monotonic() + 300
    while True:
        try:
            if owner.jobs.get_job(name).done:
                return
            owner.jobs.cancel_job(name)
            while not owner.jobs.get_job(name, wait=5).done:
                pass
            return
        except AvatarError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


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
    missed: int


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


@dataclass(frozen=True)
class Phase:
    name: str
    clients: int
    rate: float  # requests/s in total; 0: closed loop

    def describe(self) -> str:
        if self.rate > 0:
            return f"{self.clients} clients, open loop at {self.rate:.0f} requests/s in total"
        return f"{self.clients} clients, closed loop (each sends its next request when answered)"


def measure(
    server: ServerProcess, keys: list[str], job_name: str, phase: Phase, duration: float
) -> RunResult:
    assert server.process is not None
    pid = server.process.pid
    kids = children(pid)
    workers = [k for k in kids if b"avatar_server.processes.job_worker" in command_line(k)]
    serving = [pid] + [k for k in kids if k not in workers]  # + the HTTP processes, if any

    def cpu() -> tuple[float, float, float]:
        return (
            sum(cpu_seconds(p) for p in serving),
            sum(cpu_seconds(w) for w in workers),
            time.process_time(),
        )

    before = cpu()
    started = time.perf_counter()
    samples = asyncio.run(
        generate_load(server.port, keys[: phase.clients], job_name, phase.rate, duration)
    )
    elapsed = time.perf_counter() - started
    after = cpu()
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
        missed=samples.missed,
    )


def one_run(
    server: ServerProcess,
    owner: ApiClient,
    set_name: str,
    keys: list[str],
    phases: list[Phase],
    duration: float,
) -> dict[str, RunResult]:
    """Each phase in turn, each against a fresh avatarization (cancelled after it)."""
    results = {}
    for phase in phases:
        job = owner.jobs.create_job(set_name, "standard")
        wait_running(owner, job.name)
        results[phase.name] = measure(server, keys, job.name, phase, duration)
        stop_job(owner, job.name)
    return results


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


def report(
    args: argparse.Namespace,
    phases: list[Phase],
    configs: dict[int, list[dict[str, RunResult]]],
    load_before: str,
) -> str:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    judged = args.api_processes[0]
    lines = [
        "# Load benchmark",
        "",
        f"Clients with an API key each poll a job and list jobs for {args.duration:.0f} s per "
        f"phase while the server's job worker avatarizes {args.rows:,} rows × 8 columns (k=10); "
        f"median of {args.repeat} runs, each phase with a fresh avatarization; the same runs "
        "for each server configuration (its number of HTTP processes, `AVATAR_API_PROCESSES`). "
        "Produced by `make bench-load` (`bench/load.py`).",
        "",
        f"- Machine: {machine()}; load average before the runs: {load_before}.",
        f"- Server: `python -m avatar_server` on 127.0.0.1 (uvicorn + httptools, access log "
        f"on), SQLite, {args.workers} job workers at nice 10; code at {git_revision()}.",
        f"- Requests: `{STATUS}` (the running job) 4 in 5, `{LIST}` 1 in 5 (the owner has "
        f"{args.jobs} jobs); minimal asyncio HTTP/1.1 keep-alive clients; open-loop latency "
        "counts from when a request was due.",
        f"- The target is judged on {judged} HTTP process{'es' if judged > 1 else ''}.",
        "",
    ]
    target = phases[0]
    for processes, runs in configs.items():
        for phase in phases:
            results = [run[phase.name] for run in runs]
            lines += [
                f"## {processes} HTTP process{'es' if processes > 1 else ''} — "
                f"{phase.name}: {phase.describe()}",
                "",
                "| endpoint | requests/s | p50 ms | p95 ms | p99 ms | errors |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for endpoint in (STATUS, LIST):
                lines.append(
                    f"| `{endpoint}` | {median([r.rps[endpoint] for r in results]):.0f} "
                    f"| {median([r.p50[endpoint] for r in results]):.1f} "
                    f"| {median([r.p95[endpoint] for r in results]):.1f} "
                    f"| {median([r.p99[endpoint] for r in results]):.1f} "
                    f"| {sum(r.errors[endpoint] for r in results)} |"
                )
            lines.append("")
            if phase == target:
                status_rps = median([r.rps[STATUS] for r in results])
                status_p99 = median([r.p99[STATUS] for r in results])
                errors = sum(sum(r.errors.values()) for r in results)
                met = status_rps >= TARGET_RPS and status_p99 < TARGET_P99_MS and errors == 0
                lines += [
                    f"Target (≥ {TARGET_RPS:.0f} status requests/s, p99 < {TARGET_P99_MS:.0f} "
                    f"ms, zero errors): **{'met' if met else 'not met'}** — {status_rps:.0f} "
                    f"status requests/s, p99 {status_p99:.1f} ms, {errors} errors.",
                    "",
                ]
    lines += [
        "## Per run",
        "",
        "CPU: share of one core over the phase (*server*: every process serving HTTP). "
        "*running*: share of status answers that saw the avatarization running. *not sent*: "
        "requests due that clients held up by slow answers never sent.",
        "",
        "| HTTP processes | run | phase | all req/s | status req/s | status p99 ms | list p99 ms "
        "| errors | server CPU | workers CPU | load generator CPU | running | not sent |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for processes, runs in configs.items():
        for index, run in enumerate(runs):
            for phase in phases:
                r = run[phase.name]
                lines.append(
                    f"| {processes} | {index + 1} | {phase.name} | {sum(r.rps.values()):.0f} "
                    f"| {r.rps[STATUS]:.0f} | {r.p99[STATUS]:.1f} | {r.p99[LIST]:.1f} "
                    f"| {sum(r.errors.values())} | {r.server_cpu:.0%} | {r.workers_cpu:.0%} "
                    f"| {r.generator_cpu:.0%} | {r.running_share:.0%} | {r.missed} |"
                )
    before = RESULTS.with_name("load-before.md")
    if before.exists() and args.output != before:
        lines += [
            "",
            "The same bench before its first fixes (deadlock, connection pool, thread "
            f"hand-offs, job priority): `{before.name}`.",
        ]
    first_errors = [
        r.first_error for runs in configs.values() for run in runs for r in run.values()
    ]
    first_errors = [error for error in first_errors if error]
    if first_errors:
        lines += ["", f"First error: `{first_errors[0]}`"]
    lines.append("")
    return "\n".join(lines)


def bench_server(
    args: argparse.Namespace, processes: int, phases: list[Phase]
) -> list[dict[str, RunResult]]:
    """Every run of every phase on a fresh server with ``processes`` HTTP processes."""
    key_count = max(phase.clients for phase in phases)
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(
            Path(folder) / "home",
            admin_password=PASSWORD,
            workers=args.workers,
            api_processes=processes,
        )
        server.start()
        try:
            with ApiClient(server.base_url, timeout=600) as admin:
                admin.authenticate("admin", PASSWORD)
                admin.users.create_user("load", "load@example.org", "load-password-1")
            with ApiClient(server.base_url, timeout=600) as owner:
                owner.authenticate("load", "load-password-1")
                keys = [owner.api_keys.create_api_key(f"client-{i}").key for i in range(key_count)]
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
                    result = one_run(server, owner, set_name, keys, phases, args.duration)
                    for name, r in result.items():
                        print(
                            f"{processes} HTTP processes, run {index + 1} {name}: status "
                            f"{r.rps[STATUS]:.0f} req/s, p99 {r.p99[STATUS]:.1f} ms; list "
                            f"{r.rps[LIST]:.0f} req/s, p99 {r.p99[LIST]:.1f} ms; errors "
                            f"{sum(r.errors.values())}; server CPU {r.server_cpu:.0%}, "
                            f"workers {r.workers_cpu:.0%}, generator {r.generator_cpu:.0%}",
                            flush=True,
                        )
                    runs.append(result)
        finally:
            server.stop()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="clients of the target phase")
    parser.add_argument(
        "--rate",
        type=float,
        default=TARGET_RPS * LIST_EVERY / (LIST_EVERY - 1) + 25,
        help="target phase requests/s in total (default: 500 status requests/s and the lists "
        "that go with them, plus 25)",
    )
    parser.add_argument(
        "--capacity-clients", type=int, default=8, help="closed-loop clients (0: no phase)"
    )
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--jobs", type=int, default=20, help="jobs the owner has (listed)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--api-processes",
        type=lambda text: [int(v) for v in text.split(",")],
        default=[2, 1],
        help="server configurations to compare, comma-separated; the target is judged on the "
        "first (default 2,1)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    # Stopped (SIGTERM), the bench still stops its server and the server its workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    phases = [Phase("target", args.clients, args.rate)]
    if args.capacity_clients > 0:
        phases.append(Phase("capacity", args.capacity_clients, 0.0))
    configs = {processes: bench_server(args, processes, phases) for processes in args.api_processes}
    text = report(args, phases, configs, load_before)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
