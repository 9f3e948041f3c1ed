"""``avatars anonymize -o DIR`` leaves what a data-protection officer can check: the avatars as
the server wrote them, ``release_manifest.json`` beside them, and ``avatars verify`` telling the
released file from a modified copy, the unshuffled avatars or the input. One real run through
the server on loopback, on a messy table (latin-1, semicolons, an id, e-mails, free text, gaps,
outliers, and text cells a spreadsheet would run as formulas)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_yaml.spreadsheet_safety import is_formula_like
from avatars import Manager
from avatars.cli import VERDICT_FAILED
from avatars.cli_release import VERIFY_REFUSED
from tests.server import ServerProcess
from tests.test_cli import avatars
from tests.test_messy_table import messy_table

ROWS = 300
TABLE = "patients"
STATUSES = ('=HYPERLINK("http://evil.example")', "@risk", "-done", "fine")


@dataclass
class CliRun:
    env: dict[str, str]
    folder: Path
    out: Path
    stdout: str
    returncode: int
    manifest: dict[str, Any]
    manager: Manager
    base_url: str

    def verify(self, *args: str) -> tuple[int, str, str]:
        done = avatars("verify", *args, env=self.env, cwd=self.folder, check=False)
        return done.returncode, done.stdout, done.stderr

    def released(self, kind: str) -> dict[str, Any]:
        entries = self.manifest["tables"][TABLE]["released"]
        return next(entry for entry in entries if entry["kind"] == kind)


def messy_latin1(path: Path) -> None:
    """The messy table as exported from a French spreadsheet, with a status column whose text
    cells begin with = @ -."""
    frame = messy_table(ROWS).drop(columns=["visit_date"])
    rng = np.random.default_rng(11)
    frame.loc[rng.random(ROWS) < 0.1, "bmi"] = np.nan  # gaps
    frame["status"] = rng.choice(STATUSES, ROWS)
    towns = ["Orléans", "Besançon", "Nîmes", "Saint-Étienne"]
    frame["town"] = [towns[i % len(towns)] for i in range(ROWS)]
    frame.to_csv(path, sep=";", index=False, encoding="latin-1")


@pytest.fixture(scope="module")
def cli_run(
    server: ServerProcess, module_manager: Manager, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CliRun]:
    folder = tmp_path_factory.mktemp("cli_manifest")
    messy_latin1(folder / "patients.csv")
    key = module_manager.auth_client.api_keys.create_api_key("cli").key
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATAR_")}
    env |= {"AVATAR_API_KEY": key, "AVATAR_PROGRESS": "0"}
    done = avatars(
        "anonymize",
        "patients.csv",
        "--sep",
        ";",
        "--encoding",
        "latin-1",
        "--primary-key",
        "patient_id",
        "--pseudonymize",
        "email=HASH_SHA256",
        "--drop",
        "notes",
        "-k",
        "10",
        "-o",
        "out",
        "--base-url",
        server.base_url,
        env=env,
        cwd=folder,
        check=False,
    )
    assert done.returncode in (0, VERDICT_FAILED), done.stderr[-3000:]
    manifest = json.loads((folder / "out" / "release_manifest.json").read_text(encoding="utf-8"))
    yield CliRun(
        env,
        folder,
        folder / "out",
        done.stdout,
        done.returncode,
        manifest,
        module_manager,
        server.base_url,
    )


def test_the_written_avatars_are_the_servers_bytes(cli_run: CliRun) -> None:
    written = cli_run.out / f"{TABLE}.avatars.csv"
    data = written.read_bytes()
    entry = cli_run.released("shuffled")
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert len(data) == entry["size"]
    # The manifest is the run's: its seed was drawn, its input the uploaded latin-1 bytes.
    manifest = cli_run.manifest
    uploaded = (cli_run.folder / "patients.csv").read_bytes()
    assert manifest["tables"][TABLE]["input"]["sha256"] == hashlib.sha256(uploaded).hexdigest()
    assert manifest["seed"]["drawn"] is True
    assert manifest["display_name"] == TABLE
    # Exit status as before: 3 exactly when the verdict fails.
    verdict = manifest["tables"][TABLE]["privacy"]["verdict"]["status"]
    assert cli_run.returncode == (0 if verdict == "pass" else VERDICT_FAILED)
    # The avatars keep the messy columns (accents read back from UTF-8).
    avatars_frame = pd.read_csv(written)
    assert len(avatars_frame) == ROWS and "notes" not in avatars_frame.columns
    assert set(avatars_frame["town"]) <= {"Orléans", "Besançon", "Nîmes", "Saint-Étienne"}
    assert f"out/{TABLE}.avatars.csv ({ROWS} rows), as the server wrote it" in cli_run.stdout
    manifest_line = "manifest: out/release_manifest.json"
    verify_line = f"verify:   avatars verify out/release_manifest.json out/{TABLE}.avatars.csv"
    assert manifest_line in cli_run.stdout and verify_line in cli_run.stdout


def test_formula_like_cells_are_kept_and_a_protected_copy_is_written(cli_run: CliRun) -> None:
    raw = pd.read_csv(cli_run.out / f"{TABLE}.avatars.csv")
    copy = cli_run.out / f"{TABLE}.avatars.spreadsheet-safe.csv"
    safe = pd.read_csv(copy)
    assert raw["status"].map(is_formula_like).any()  # the server's bytes, formulas and all
    expected = [f"'{s}" if s != "fine" else s for s in raw["status"]]
    assert safe["status"].tolist() == expected
    pd.testing.assert_series_equal(safe["age"], raw["age"])
    cells = int(raw["status"].map(is_formula_like).sum())
    assert f"{cells:,} text cell(s) begin with =, +, -, @" in cli_run.stdout
    assert f"out/{copy.name}: the same with an apostrophe in front of each" in cli_run.stdout
    # The copy is for opening, not sharing: the manifest does not name it.
    status, stdout, stderr = cli_run.verify("out/release_manifest.json", f"out/{copy.name}")
    assert status == VERIFY_REFUSED and "matches no file of the manifest" in stdout
    assert "share the shuffled avatars exactly as the server wrote them" in stderr


def test_verify_passes_on_the_released_avatars(cli_run: CliRun) -> None:
    status, stdout, _ = cli_run.verify("out/release_manifest.json", f"out/{TABLE}.avatars.csv")
    verdict = cli_run.manifest["tables"][TABLE]["privacy"]["verdict"]["status"]
    assert f"is the shuffled file '{cli_run.released('shuffled')['name']}'" in stdout
    assert f"privacy verdict of table '{TABLE}': {verdict.upper()}" in stdout
    assert status == (0 if verdict == "pass" else VERDICT_FAILED)
    accepted, _, _ = cli_run.verify(
        "out/release_manifest.json", f"out/{TABLE}.avatars.csv", "--accept-risk"
    )
    assert accepted == 0


def test_verify_fails_on_a_modified_copy(cli_run: CliRun) -> None:
    original = (cli_run.out / f"{TABLE}.avatars.csv").read_bytes()
    modified = cli_run.folder / "modified.avatars.csv"
    lines = original.split(b"\r\n") if b"\r\n" in original else original.split(b"\n")
    modified.write_bytes(b"\n".join(lines[:-2]) + b"\n")  # one row left out
    status, stdout, stderr = cli_run.verify("out/release_manifest.json", "modified.avatars.csv")
    assert status == VERIFY_REFUSED
    assert "matches no file of the manifest: it was modified, or comes from another run" in stdout
    assert "Traceback" not in stderr


def test_verify_fails_on_the_unshuffled_avatars_and_the_input(cli_run: CliRun) -> None:
    entry = cli_run.released("unshuffled")
    client = cli_run.manager.auth_client
    target = cli_run.folder / "unshuffled.csv"
    client.results.download_file(entry["job"], entry["name"], target, neutralize_formulas=False)
    status, stdout, _ = cli_run.verify("out/release_manifest.json", "unshuffled.csv")
    assert status == VERIFY_REFUSED
    assert "sensitive (the avatars in the originals' row order), not to share" in stdout
    status, stdout, _ = cli_run.verify("out/release_manifest.json", "patients.csv")
    assert status == VERIFY_REFUSED and "the original data, not to share" in stdout
    # Several files: the worst one decides.
    both = cli_run.verify(
        "out/release_manifest.json", f"out/{TABLE}.avatars.csv", "patients.csv", "--accept-risk"
    )
    assert both[0] == VERIFY_REFUSED


def test_verify_errors_are_one_line(cli_run: CliRun) -> None:
    status, _, stderr = cli_run.verify("out/release_manifest.json", "nope.csv")
    assert status == 1 and "file to verify nope.csv does not exist" in stderr
    status, _, stderr = cli_run.verify("patients.csv", f"out/{TABLE}.avatars.csv")
    assert status == 1 and "is not a JSON document" in stderr
    assert "Traceback" not in stderr


def test_a_parquet_run_that_fails_its_verdict(
    server: ServerProcess, cli_run: CliRun, tmp_path: Path
) -> None:
    """A Parquet table gets the server's Parquet avatars; with an e-mail kept as it is the
    verdict fails: anonymize exits 3, and verify refuses the avatars with 3 too."""
    frame = messy_table(ROWS).drop(columns=["visit_date", "notes"])
    frame.to_parquet(tmp_path / "people.parquet", index=False)
    done = avatars(
        "anonymize",
        "people.parquet",
        "--primary-key",
        "patient_id",
        "--keep",
        "email=as_is",
        "-k",
        "10",
        "-o",
        "out",
        "--base-url",
        server.base_url,
        env=cli_run.env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == VERDICT_FAILED, done.stderr[-3000:]
    written = tmp_path / "out" / "people.avatars.parquet"
    assert not (tmp_path / "out" / "people.avatars.csv").exists()
    assert f"out/people.avatars.parquet ({ROWS} rows), as the server wrote it" in done.stdout
    assert "spreadsheet-safe" not in done.stdout  # a Parquet file is not opened as text
    manifest = json.loads((tmp_path / "out" / "release_manifest.json").read_text("utf-8"))
    entry = next(e for e in manifest["tables"]["people"]["released"] if e["kind"] == "shuffled")
    assert entry["format"] == "parquet"
    assert hashlib.sha256(written.read_bytes()).hexdigest() == entry["sha256"]
    assert pd.read_parquet(written)["email"].isin(frame["email"]).all()  # kept as it is
    verdict = manifest["tables"]["people"]["privacy"]["verdict"]
    assert verdict["status"] == "fail" and verdict["failing"]
    verified = avatars(
        "verify",
        "out/release_manifest.json",
        "out/people.avatars.parquet",
        env=cli_run.env,
        cwd=tmp_path,
        check=False,
    )
    assert verified.returncode == VERDICT_FAILED
    failing = ", ".join(verdict["failing"])
    assert f"privacy verdict of table 'people': FAIL (failed: {failing})" in verified.stdout
    assert "did not clear this file for sharing" in verified.stdout
    accepted = avatars(
        "verify",
        "out/release_manifest.json",
        "out/people.avatars.parquet",
        "--accept-risk",
        env=cli_run.env,
        cwd=tmp_path,
    )
    assert "FAIL" in accepted.stdout


def test_verify_says_when_nothing_evaluated_the_file(
    cli_run: CliRun, shared_data: Path, tmp_path: Path
) -> None:
    """A run of the avatarization alone: its manifest (assembled from the one part) names the
    avatars, but no privacy verdict clears them, and verify says so."""
    runner = cli_run.manager.create_runner("avatarization_only")
    runner.add_table("iris", str(shared_data / "iris.csv"))
    runner.set_parameters("iris", k=10)
    runner.run(jobs_to_run=["standard"])
    manifest = runner.manifest()
    assert manifest["complete"] is False and manifest["release_status"] == "not_evaluated"
    (tmp_path / "release_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    entry = next(e for e in manifest["tables"]["iris"]["released"] if e["kind"] == "shuffled")
    cli_run.manager.auth_client.results.download_file(
        entry["job"], entry["name"], tmp_path / "iris.avatars.csv", neutralize_formulas=False
    )
    done = avatars(
        "verify",
        "release_manifest.json",
        "iris.avatars.csv",
        env=cli_run.env,
        cwd=tmp_path,
        check=False,
    )
    assert "note: this manifest is incomplete (no part from: privacy_metrics" in done.stdout
    assert "is the shuffled file 'iris.shuffled.csv' of table 'iris'" in done.stdout
    assert "privacy verdict of table 'iris': not evaluated" in done.stdout
    # Nothing cleared the file: a script gating on the exit status must not read it as cleared.
    assert done.returncode == VERDICT_FAILED
    accepted = avatars(
        "verify",
        "release_manifest.json",
        "iris.avatars.csv",
        "--accept-risk",
        env=cli_run.env,
        cwd=tmp_path,
    )
    assert accepted.returncode == 0
