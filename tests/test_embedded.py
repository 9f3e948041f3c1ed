"""The embedded default: ``Manager()`` in a fresh interpreter, shared, and gone at exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.server import processes_of_home

SCRIPT = textwrap.dedent(
    """
    import os
    import pandas as pd
    from avatars import Manager

    first, second = Manager(), Manager()
    assert first.auth_client.base_url == second.auth_client.base_url
    assert first.auth_client.base_url.startswith("http://127.0.0.1:")
    first.authenticate("user", "pass")  # created on first use, as the docs assume
    runner = first.create_runner("embedded")
    table = pd.DataFrame({"a": [i % 17 for i in range(60)], "b": ["x", "y", "z"] * 20})
    runner.add_table("t", table)
    runner.set_parameters("t", k=5)
    runner.run(jobs_to_run=["standard"])
    print("rows", len(runner.shuffled("t")))
    # No main guard, no close(): the server and its workers must still go away at exit.
    """
)


def workers_of(home: Path) -> list[int]:
    """Worker processes whose environment points at ``home``."""
    return list(processes_of_home(home, "avatar_server.processes.job_worker"))


def run_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run :data:`SCRIPT` in development mode (``-X dev``: every ResourceWarning shown)."""
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "always::ResourceWarning", "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_manager_without_url_runs_embedded_and_stops_at_exit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATAR_")}
    env |= {"AVATAR_HOME": str(home), "AVATAR_PROGRESS": "0"}
    done = run_script(env)
    assert "rows 60" in done.stdout
    # Nothing a newcomer would have to look up: no unclosed socket at exit, and no word of
    # the administrator account the embedded server makes for itself on its first start.
    assert "ResourceWarning" not in done.stderr and "unclosed" not in done.stderr, done.stderr
    assert "administrator" not in done.stderr and (home / "admin_password").is_file()
    assert (home / "avatars.db").is_file()
    deadline = time.monotonic() + 10
    while workers_of(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers_of(home) == []
    # Run again over the same home: the data folder is reused, nothing is in the way.
    assert "rows 60" in run_script(env).stdout
