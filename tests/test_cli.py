"""The ``avatars`` command line against a remote server (``--base-url`` + ``AVATAR_API_KEY``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from avatars import ApiClient, Manager
from avatars.cli import metrics_lines
from tests.csv_twin import CITIES, semicolon_latin1, twin_frame
from tests.server import ServerProcess, wait_all_done

AVATARS = str(Path(sys.executable).parent / "avatars")


@pytest.fixture
def cli_env(user: ApiClient) -> dict[str, str]:
    key = user.api_keys.create_api_key("cli").key
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATAR_")}
    return env | {"AVATAR_API_KEY": key, "AVATAR_PROGRESS": "0"}


def avatars(
    *args: str, env: dict[str, str], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [AVATARS, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_anonymize_writes_avatars_metrics_and_report(
    server: ServerProcess, cli_env: dict[str, str], shared_data: Path, tmp_path: Path
) -> None:
    shutil.copy(shared_data / "wbcd.csv", tmp_path / "wbcd.csv")
    done = avatars(
        "anonymize",
        "wbcd.csv",
        "-k",
        "15",
        "-o",
        "out",
        "--seed",
        "1",
        "--data-recipient",
        "internal",
        "--data-type",
        "health",
        "--approver-name",
        "Ada Lovelace",
        "--approver-date",
        "2025-03-01",
        "--base-url",
        server.base_url,
        env=cli_env,
        cwd=tmp_path,
    )
    out = tmp_path / "out"
    original = pd.read_csv(tmp_path / "wbcd.csv")
    written = pd.read_csv(out / "wbcd.avatars.csv")
    assert list(written.columns) == list(original.columns) and len(written) == len(original)
    privacy = json.loads((out / "wbcd.privacy_metrics.json").read_text())
    assert privacy[0]["hidden_rate"] > 90
    assert json.loads((out / "wbcd.signal_metrics.json").read_text())[0]["hellinger_mean"] < 0.1
    report = (out / "wbcd.report.html").read_text()
    assert "hidden_rate" in report
    # The privacy-impact facts and the approver given as options; the others to be completed.
    for fact in ("internal use", "health", "Ada Lovelace", "1 March 2025"):
        assert fact in report, fact
    # Data subjects, sensitivity level, the approver's role and organisation:
    assert report.count('<td class="todo">to be completed</td>') == 4
    assert "hidden_rate" in done.stdout and "hellinger_mean" in done.stdout
    assert "out/wbcd.avatars.csv (683 rows)" in done.stdout
    assert "%|" not in done.stderr  # AVATAR_PROGRESS=0 silences the bars

    jobs = avatars(
        "jobs", "--name", "wbcd", "--base-url", server.base_url, env=cli_env, cwd=tmp_path
    )
    assert "standard" in jobs.stdout and "done" in jobs.stdout
    assert " report_pia " in jobs.stdout  # jobs are told apart by document, not kind
    standard = next(line.split()[0] for line in jobs.stdout.splitlines() if " standard " in line)
    results = avatars(
        "results",
        standard,
        "--download",
        "files",
        "--base-url",
        server.base_url,
        env=cli_env,
        cwd=tmp_path,
    )
    assert "wbcd.shuffled.csv" in results.stdout
    assert len(pd.read_csv(tmp_path / "files" / "wbcd.shuffled.csv")) == len(original)
    # The row-linked files are listed but only downloaded when asked for by name.
    assert "wbcd.unshuffled.csv" in results.stdout
    assert not (tmp_path / "files" / "wbcd.unshuffled.csv").exists()
    assert "not downloaded: avatar_projections, original_projections, unshuffled" in results.stdout
    avatars(
        "results",
        standard,
        "--download",
        "all",
        "--sensitive",
        "--base-url",
        server.base_url,
        env=cli_env,
        cwd=tmp_path,
    )
    assert (tmp_path / "all" / "wbcd.unshuffled.csv").exists()


def test_run_replays_a_saved_configuration(
    server: ServerProcess, cli_env: dict[str, str], shared_data: Path, tmp_path: Path
) -> None:
    manager = Manager(base_url=server.base_url, api_key=cli_env["AVATAR_API_KEY"])
    runner = manager.create_runner("saved", approver_name="Ada Lovelace")
    runner.add_table("iris", str(shared_data / "iris.csv"))
    runner.set_parameters("iris", k=10)
    runner.get_yaml(tmp_path / "run.yaml")
    remote = ("--base-url", server.base_url)
    done = avatars("run", "run.yaml", "-o", "out", *remote, env=cli_env, cwd=tmp_path)
    assert "hidden_rate" in done.stdout and "privacy verdict: " in done.stdout
    # It returned after every job, the reports included, and says where each file is.
    ((_, jobs),) = manager.find_ids_by_name("saved")
    assert len(jobs) == 5 and all(str(job.status) == "done" for job in jobs)
    assert "avatarization                  done" in done.stdout
    assert "privacy-impact (PIA) report    done" in done.stdout
    assert "report: out/report.html, out/report.pdf" in done.stdout
    pia = (
        "privacy-impact (PIA) report: out/report_pia.docx, out/report_pia.html, out/report_pia.pdf"
    )
    assert pia in done.stdout
    assert (tmp_path / "out" / "report_pia.pdf").read_bytes().startswith(b"%PDF")
    assert len(pd.read_csv(tmp_path / "out" / "iris.avatars.csv")) == 150
    assert "out/iris.avatars.csv (150 rows)" in done.stdout
    # The release manifest is written beside them, and it names the avatars file written.
    assert "manifest: out/release_manifest.json" in done.stdout
    assert "verify:   avatars verify out/release_manifest.json out/iris.avatars.csv" in done.stdout
    verified = avatars(
        "verify",
        "out/release_manifest.json",
        "out/iris.avatars.csv",
        "--accept-risk",
        env=cli_env,
        cwd=tmp_path,
    )
    assert "is the shuffled file 'iris.shuffled.csv' of table 'iris'" in verified.stdout

    # --no-wait returns at once, saying what still runs and how to get it.
    started = avatars(
        "run", "run.yaml", "--no-wait", "--name", "later", *remote, env=cli_env, cwd=tmp_path
    )
    assert "run: later (set " in started.stdout and "started, still running" in started.stdout
    assert "follow it: avatars jobs --name later" in started.stdout
    assert "avatars results JOB --download DIR" in started.stdout
    wait_all_done(manager.auth_client)

    # PIA and approver options add to the YAML's.
    done = avatars(
        "run",
        "run.yaml",
        "--name",
        "approved",
        "--approver-role",
        "Data protection officer",
        "--sensitivity-level",
        "High",
        "--base-url",
        server.base_url,
        env=cli_env,
        cwd=tmp_path,
    )
    assert "hidden_rate" in done.stdout
    ((set_name, _),) = manager.find_ids_by_name("approved")
    # The YAML's approver is kept, the options add to it.
    metadata = manager.create_runner_from_id(set_name).config.metadata
    assert metadata.approver is not None and metadata.approver.name == "Ada Lovelace"
    assert metadata.approver.role == "Data protection officer"
    assert metadata.pia_metadata.sensitivity_level == "High"
    wrong = avatars(
        "run",
        "run.yaml",
        "--approver-date",
        "1/3/2025",
        "--base-url",
        server.base_url,
        env=cli_env,
        cwd=tmp_path,
        check=False,
    )
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "approver_date: expected a date written YYYY-MM-DD, got '1/3/2025'" in wrong.stderr


def test_a_missed_utility_target_is_explained() -> None:
    """A FAIL beside a utility metric comes with what it means and what to try."""
    signal = [
        {
            "hellinger_mean": 0.01,
            "correlation_difference_ratio": 34.0,
            "targets": {"hellinger_mean": "< 0.1", "correlation_difference_ratio": "< 10"},
            "passed": {"hellinger_mean": True, "correlation_difference_ratio": False},
        }
    ]
    lines = metrics_lines("wbcd", [], signal)
    assert lines[-1] == (
        "  correlation_difference_ratio missed its target: the joint structure between columns "
        "is less well kept than the target; univariate results (each column's distribution, "
        "means and spreads) still hold; try a lower k or a higher ncp"
    )
    assert not any("hellinger_mean missed" in line for line in lines)
    # A table whose own two halves differ by more than the target: noise, not lost relations.
    floor = {"at_run_size": 134.9, "between_halves": 190.8}
    signal = [
        signal[0]
        | {
            "correlation_difference_ratio": 90.2,
            "targets": {"hellinger_mean": "< 0.1", "correlation_difference_ratio": "< 25"},
            "details": {"correlation_difference_ratio": {"floor": floor}},
        }
    ]
    note = metrics_lines("messy", [], signal)[-1]
    assert "already differ by 134.9 % at this size, more than the target < 25" in note
    assert "lower k" not in note
    floor["at_run_size"] = 20.0  # below the target: the plain meaning again
    assert metrics_lines("messy", [], signal)[-1].endswith("try a lower k or a higher ncp")


def test_errors_are_one_line_without_a_trace(
    server: ServerProcess, cli_env: dict[str, str], tmp_path: Path
) -> None:
    missing = avatars(
        "anonymize",
        "nope.csv",
        "--base-url",
        server.base_url,
        env=cli_env,
        cwd=tmp_path,
        check=False,
    )
    assert missing.returncode != 0 and "no such file" in missing.stderr
    unknown = avatars(
        "results",
        "no-such-job",
        "--base-url",
        server.base_url,
        env=cli_env,
        cwd=tmp_path,
        check=False,
    )
    assert unknown.returncode == 1
    assert "not found" in unknown.stderr and "Traceback" not in unknown.stderr
    no_key = {k: v for k, v in cli_env.items() if k != "AVATAR_API_KEY"}
    refused = avatars("jobs", "--base-url", server.base_url, env=no_key, cwd=tmp_path, check=False)
    assert refused.returncode != 0 and "AVATAR_API_KEY" in refused.stderr


def test_anonymize_reads_a_semicolon_latin1_file(
    server: ServerProcess, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """``--sep`` and ``--encoding`` reach the upload: the avatars have the file's real columns.
    Without ``--sep``, a ragged semicolon file is refused (exit 1) saying how to give it."""
    frame = twin_frame()
    (tmp_path / "twin.csv").write_bytes(semicolon_latin1(frame))
    remote = ("--base-url", server.base_url)
    args = (
        "anonymize",
        "twin.csv",
        "-k",
        "5",
        "-o",
        "out",
        "--sep",
        ";",
        "--encoding",
        "latin-1",
        "--accept-risk",
    )
    done = avatars(*args, *remote, env=cli_env, cwd=tmp_path)
    # Warnings read as one line for people, not as Python's warnings with a source line.
    assert "warning: table 'twin'" in done.stderr
    assert "UserWarning" not in done.stderr and ".py:" not in done.stderr
    written = pd.read_csv(tmp_path / "out" / "twin.avatars.csv")
    assert list(written.columns) == list(frame.columns) and len(written) == len(frame)
    assert set(written["ville"].dropna()) <= set(CITIES)

    (tmp_path / "ragged.csv").write_bytes("âge;sexe\n31;F\n45\n".encode("latin-1"))
    refused = avatars("anonymize", "ragged.csv", *remote, env=cli_env, cwd=tmp_path, check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "single column named 'âge;sexe'" in refused.stderr
    assert "--sep ';'" in refused.stderr
    bad = avatars(
        "anonymize",
        "ragged.csv",
        "--encoding",
        "klingon",
        *remote,
        env=cli_env,
        cwd=tmp_path,
        check=False,
    )
    assert bad.returncode == 1 and "unknown encoding 'klingon'" in bad.stderr


def test_version(tmp_path: Path) -> None:
    from avatars.version import client_version

    done = avatars("--version", env=dict(os.environ), cwd=tmp_path)
    assert done.stdout.strip() == f"avatars {client_version()}"
