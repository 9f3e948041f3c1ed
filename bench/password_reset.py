"""How long ``POST /api/login/forgotten_password`` takes for an address an account uses and for
one no account uses: the answer must not tell them apart, by its time either.

A server (subprocess, loopback, no job workers, the reset limits raised so none is reached)
gets ``--requests`` requests for each address, alternating known and unknown so that drift on
a shared machine hits both alike, over one keep-alive connection, after a warm-up. Reported per
run: median and 90th percentile of each, and the difference of the medians; the table gives the
median of ``--repeat`` runs. The mail sender runs as in production (it mails the known
address's tokens to the outbox in the background, in the server process).

    .venv/bin/python -m bench.password_reset [--requests 200] [--repeat 5] [--before DIR]

``--before DIR`` also measures the server of another checkout (its ``avatar_server`` package,
imported by a server started from ``DIR``), e.g. the version before the requests were queued:
``git archive 966d60d avatar_server | tar -x -C DIR``. Runs of the two alternate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import machine, write_results
from tests.server import ServerProcess

RESULTS = Path(__file__).parent / "results" / "password-reset.md"
KNOWN, UNKNOWN = "root@example.org", "nobody@example.org"
WARM_UP = 20


def _timed(client: httpx.Client, email: str) -> float:
    started = time.perf_counter()
    response = client.post("/login/forgotten_password", json={"email": email})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text
    return elapsed


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def one_run(requests: int, source: Path | None) -> dict[str, float]:
    """One fresh server (of ``source``, or of this checkout); milliseconds per request."""
    with tempfile.TemporaryDirectory(prefix="bench-reset-") as tmp:
        server = ServerProcess(
            Path(tmp) / "home",
            admin_password="bench-reset-password",
            admin_email=KNOWN,
            workers=0,
            password_reset_requests_per_email=10**9,
            password_reset_requests_per_address=10**9,
        )
        if source is not None:
            server.env["PYTHONDONTWRITEBYTECODE"] = "1"
        # ``python -m`` puts its working folder first on the path: started from ``source``,
        # the server imports that checkout's avatar_server.
        here = Path.cwd()
        os.chdir(source or here)
        try:
            server.start()
        finally:
            os.chdir(here)
        try:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                for _ in range(WARM_UP):
                    _timed(client, KNOWN)
                    _timed(client, UNKNOWN)
                known, unknown = [], []
                for _ in range(requests):
                    known.append(_timed(client, KNOWN))
                    unknown.append(_timed(client, UNKNOWN))
        finally:
            server.stop()
    return {
        "known_p50": statistics.median(known),
        "unknown_p50": statistics.median(unknown),
        "known_p90": _percentile(known, 0.9),
        "unknown_p90": _percentile(unknown, 0.9),
        "difference_p50": statistics.median(known) - statistics.median(unknown),
    }


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "log", "-1", "--format=%h"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _rows(label: str, runs: list[dict[str, float]]) -> list[str]:
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    per_run = ", ".join(f"{r['known_p50']:.2f}/{r['unknown_p50']:.2f}" for r in runs)
    return [
        f"| {label} | {medians['known_p50']:.2f} | {medians['unknown_p50']:.2f} | "
        f"{medians['difference_p50']:+.2f} | {medians['known_p90']:.2f} | "
        f"{medians['unknown_p90']:.2f} | {per_run} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout's server, also measured")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    versions: dict[str, Path | None] = {f"this version ({_commit()})": None}
    if args.before is not None:
        versions = {f"before ({args.before})": args.before.resolve(), **versions}
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in versions}
    for _ in range(args.repeat):
        for label, source in versions.items():
            runs[label].append(one_run(args.requests, source))
    lines = [
        "# forgotten_password: time for a known and an unknown address",
        "",
        f"`python -m bench.password_reset --requests {args.requests} --repeat {args.repeat}`: "
        f"{args.requests} requests per address per run, alternating known and unknown, after "
        f"{WARM_UP} of each as warm-up, over one keep-alive connection on loopback; a fresh "
        "server per run. Milliseconds; medians of the runs.",
        "",
        "| server | known p50 | unknown p50 | known - unknown | known p90 | unknown p90 "
        "| p50 per run (known/unknown) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, version_runs in runs.items():
        lines += _rows(label, version_runs)
    lines += ["", machine(load), ""]
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
