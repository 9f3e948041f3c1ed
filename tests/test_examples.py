"""The examples and the docs keep working: every script in ``examples/`` runs as a user would
run it (a subprocess, a fresh ``AVATAR_HOME`` for the embedded ones), the API reference
builds, and the user guide's relative links lead somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from avatars import ApiClient
from tests.server import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One AVATAR_HOME for the embedded examples, so reload_a_run finds the first run."""
    return tmp_path_factory.mktemp("examples") / "home"


def clean_env(shared_data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATAR_")}
    return env | {"AVATAR_PROGRESS": "0", "AVATAR_SHARED_DATA": str(shared_data)} | extra


def run_example(
    name: str, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "%|" not in done.stderr  # AVATAR_PROGRESS=0 silences the bars
    return done


def test_every_example_is_tested() -> None:
    tested = set(re.findall(r'"(\w+\.py)"', Path(__file__).read_text(encoding="utf-8")))
    assert {path.name for path in EXAMPLES.glob("*.py")} <= tested


def test_anonymize_then_reload_on_the_embedded_server(
    home: Path, shared_data: Path, tmp_path: Path
) -> None:
    env = clean_env(shared_data, AVATAR_HOME=str(home))
    first = run_example("anonymize_one_table.py", "out", env=env, cwd=tmp_path)
    assert "683 avatars of 683 records" in first.stdout
    assert re.search(r"hidden_rate\s+\d+\.\d+\s+(pass|FAIL)", first.stdout)
    assert (tmp_path / "out" / "wbcd.avatars.csv").stat().st_size > 10_000
    assert (tmp_path / "out" / "wbcd.report.pdf").read_bytes().startswith(b"%PDF")
    assert "wbcd" in (tmp_path / "out" / "wbcd.report.html").read_text(encoding="utf-8")

    again = run_example("reload_a_run.py", "example_one_table", "plots", env=env, cwd=tmp_path)
    assert "reloaded 'example_one_table' (set " in again.stdout and "hidden_rate" in again.stdout
    for kind in ("distribution", "correlation", "correlation_difference", "2d_projection"):
        assert (tmp_path / "plots" / f"wbcd.{kind}.png").read_bytes().startswith(PNG_MAGIC)
        page = (tmp_path / "plots" / f"wbcd.{kind}.html").read_text(encoding="utf-8")
        assert "data:image/png;base64," in page
    for kind in ("contribution", "3d_projection", "aggregate_stats", "metrics_summary"):
        assert (tmp_path / "plots" / f"wbcd.{kind}.png").read_bytes().startswith(PNG_MAGIC)
    counts = re.search(r"nothing ran again: (\d+) jobs before, (\d+) after", again.stdout)
    assert counts and counts[1] == counts[2]

    missing = subprocess.run(
        [sys.executable, str(EXAMPLES / "reload_a_run.py"), "never_ran"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 1 and "anonymize_one_table.py first" in missing.stderr


def test_linked_tables(home: Path, shared_data: Path, tmp_path: Path) -> None:
    env = clean_env(shared_data, AVATAR_HOME=str(home))
    done = run_example("linked_tables.py", "linked", env=env, cwd=tmp_path)
    assert "300 avatar visits, 300 of them joined to an avatar doctor" in done.stdout
    assert "patient -> visit: children per parent, mean 2.31 in the originals, 2.31" in done.stdout
    visits = (tmp_path / "linked" / "visit.avatars.csv").read_text(encoding="utf-8")
    assert visits.startswith("visit_id,patient_id,doctor_id,day_visit,exam")
    assert (tmp_path / "linked" / "clinic.report.pdf").read_bytes().startswith(b"%PDF")


def test_yaml_round_trip(home: Path, shared_data: Path, tmp_path: Path) -> None:
    env = clean_env(shared_data, AVATAR_HOME=str(home))
    done = run_example("yaml_round_trip.py", "yaml", env=env, cwd=tmp_path)
    text = (tmp_path / "yaml" / "run.yaml").read_text(encoding="utf-8")
    assert "k: 10" in text and "ncp: 3" in text
    assert "replayed as 'example_yaml_replay': 150 avatars" in done.stdout


def test_remote_server_with_an_api_key(
    server: ServerProcess, user: ApiClient, shared_data: Path, tmp_path: Path
) -> None:
    key = user.api_keys.create_api_key("examples").key
    env = clean_env(shared_data, AVATAR_BASE_URL=server.base_url, AVATAR_API_KEY=key)
    done = run_example("remote_server_with_api_key.py", env=env, cwd=tmp_path)
    assert f"server {server.base_url}: ok" in done.stdout
    assert re.search(r"150 avatars; hidden_rate \d+\.\d % \(target > 90\)", done.stdout)
    names = {job.display_name for job in user.jobs.get_jobs(limit=100).jobs}
    assert names == {"example_remote"}

    unset = clean_env(shared_data)
    refused = subprocess.run(
        [sys.executable, str(EXAMPLES / "remote_server_with_api_key.py")],
        env=unset,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1 and "AVATAR_API_KEY" in refused.stderr


def test_the_demo_ends_with_where_the_reports_are(shared_data: Path, tmp_path: Path) -> None:
    """``make demo``: the last lines printed are the HTML and the PDF report, both written."""
    done = subprocess.run(
        [sys.executable, "-m", "avatars.demo", "--rows", "300", "--home", "home", "--out", "demo"],
        env=clean_env(shared_data),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *_, html_line, pdf_line = done.stdout.strip().splitlines()
    assert html_line == "report (HTML): demo/output/patients.report.html"
    assert pdf_line == "report (PDF):  demo/output/patients.report.pdf"
    assert "hidden_rate" in (tmp_path / "demo/output/patients.report.html").read_text("utf-8")
    assert (tmp_path / "demo/output/patients.report.pdf").read_bytes().startswith(b"%PDF")


# -- docs -------------------------------------------------------------------------------------


def test_the_api_reference_builds(tmp_path: Path) -> None:
    """``make docs`` runs this same pdoc command into docs/api."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pdoc",
            "avatars",
            "avatar_yaml",
            "-o",
            str(tmp_path),
            "--docformat",
            "google",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (tmp_path / "index.html").is_file()
    page = (tmp_path / "avatars.html").read_text(encoding="utf-8")
    for anchor in ("Manager", "Runner", "Runner.render_plot", "Runner.download_report"):
        assert f'id="{anchor}"' in page, anchor
    assert "Wait for the report and save it" in page  # docstrings, not only names
    assert (tmp_path / "avatar_yaml.html").is_file()


def test_the_user_guide_links_resolve() -> None:
    pages = sorted(DOCS.glob("*.md"))
    assert {"index.md", "quickstart.md", "concepts.md", "reading-the-report.md", "cli.md"} <= {
        page.name for page in pages
    }
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):  # an absolute URL
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
