"""The release manifest (issue 19, point 4), through the real server on loopback: a messy table
(latin-1, semicolons, an e-mail pseudonymized, a key, a dropped and an excluded column) run
without a seed; the manifest ties each file to its evaluation, and ``verify_release`` tells a
released file from a modified one."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from docx import Document

from avatar_server.report.translations import STRINGS
from avatar_yaml import ExcludeVariablesMethod, JobKind, ResultKind
from avatar_yaml.manifest import MANIFEST_SCHEMA_VERSION, assemble_manifest
from avatars import ApiClient, Manager, Runner, verify_release
from tests.test_messy_table import messy_table
from tests.test_report import parse

pytestmark = pytest.mark.usefixtures("client_env")

ROWS = 300
TABLE = "patients"


def latin1_table(path: Path) -> bytes:
    """The messy table as people export it: semicolons, latin-1, accented towns; returns its
    bytes (what the manifest must hash)."""
    frame = messy_table(ROWS).drop(columns=["visit_date"])
    towns = ["Orléans", "Besançon", "Nîmes", "Saint-Étienne", "Angoulême"]
    frame["town"] = [towns[i % len(towns)] for i in range(len(frame))]
    frame.to_csv(path, sep=";", index=False, encoding="latin-1")
    return path.read_bytes()


@dataclass
class Run:
    runner: Runner
    client: ApiClient
    frame: pd.DataFrame
    uploaded: bytes
    manifest: dict[str, Any]
    folder: Path


def configure(runner: Runner, path: Path) -> None:
    runner.add_table(
        TABLE,
        path,
        sep=";",
        encoding="latin-1",
        primary_key="patient_id",
        pseudonymize={"email": "HASH_SHA256"},
        columns_to_drop=["notes"],
    )
    runner.set_parameters(
        TABLE,
        k=10,
        exclude_variable_names=["income"],
        exclude_variable_method=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
    )


@pytest.fixture(scope="module")
def run(module_manager: Manager, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One complete run (avatars, both metrics, both reports) with no seed given."""
    folder = tmp_path_factory.mktemp("manifest")
    path = folder / "patients.csv"
    uploaded = latin1_table(path)
    frame = pd.read_csv(path, sep=";", encoding="latin-1")
    runner = module_manager.create_runner("manifest_messy")
    configure(runner, path)
    runner.run()
    yield Run(runner, module_manager.auth_client, frame, uploaded, runner.manifest(), folder)


def download(run: Run, entry: dict[str, Any], target: Path) -> Path:
    """A released file exactly as the server stored it."""
    return run.client.results.download_file(
        entry["job"], entry["name"], target, neutralize_formulas=False
    )


def test_the_manifest_is_the_report_jobs_and_complete(run: Run) -> None:
    manifest = run.manifest
    assert manifest["schema_version"] == MANIFEST_SCHEMA_VERSION
    assert manifest["complete"] is True and manifest["missing_parts"] == []
    assert manifest["set_name"] == run.runner.set_name
    kinds = {job["kind"] for job in manifest["jobs"]}
    assert {"standard", "privacy_metrics", "signal_metrics", "report"} <= kinds
    for job in manifest["jobs"]:
        assert job["name"] in run.runner.jobs.values()
        assert job["created_at"] and job["started_at"]
    files = run.runner.result_files(JobKind.REPORT)
    assert "release_manifest.json" in {entry.name for entry in files}
    software = manifest["software"]["standard"]
    for name in ("avatars_server", "python", "numpy", "pandas", "scipy", "scikit-learn", "saiph"):
        assert software[name], name
    assert run.runner.get_all_results().release_manifest == manifest


def test_the_input_hash_is_that_of_the_uploaded_bytes(run: Run) -> None:
    given = run.manifest["tables"][TABLE]["input"]
    assert given["sha256"] == hashlib.sha256(run.uploaded).hexdigest()
    assert given["size"] == len(run.uploaded)
    assert (given["rows"], given["columns"]) == run.frame.shape
    check = verify_release(run.manifest, run.folder / "patients.csv")
    assert check and check.entry is not None
    assert (check.entry["kind"], check.entry["table"]) == ("input", TABLE)
    assert "the original data, not to share" in str(check)


def test_each_released_file_hash_is_that_of_its_bytes(run: Run, tmp_path: Path) -> None:
    released = run.manifest["tables"][TABLE]["released"]
    assert {entry["kind"] for entry in released} == {"shuffled", "unshuffled"}
    for entry in released:
        path = download(run, entry, tmp_path / entry["name"])
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        assert len(data) == entry["size"]
        check = verify_release(run.manifest, path)
        assert check.entry == {"table": TABLE, **entry}
        assert entry["name"] in str(check)
        assert ("not to share" in str(check)) == (entry["kind"] == "unshuffled")


def test_a_modified_file_matches_no_entry(run: Run, tmp_path: Path) -> None:
    entry = next(e for e in run.manifest["tables"][TABLE]["released"] if e["kind"] == "shuffled")
    path = download(run, entry, tmp_path / "avatars.csv")
    avatars = pd.read_csv(path)
    avatars["age"] = avatars["age"] + (avatars.index == 0)  # one cell changed
    avatars.to_csv(path, index=False, lineterminator="\r\n")
    check = verify_release(run.manifest, path)
    assert not check and check.entry is None
    assert "matches no file of the manifest" in str(check)
    # The manifest saved as a file is read the same way.
    saved = tmp_path / "release_manifest.json"
    saved.write_text(json.dumps(run.manifest), encoding="utf-8")
    assert not verify_release(saved, path)
    assert verify_release(saved, run.folder / "patients.csv")


def test_verify_release_refuses_what_is_not_a_manifest(run: Run, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a release manifest"):
        verify_release({"hidden_rate": 0.9}, run.folder / "patients.csv")
    with pytest.raises(ValueError, match="upgrade open-avatars"):
        verify_release(run.manifest | {"schema_version": 99}, run.folder / "patients.csv")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        verify_release(run.manifest, tmp_path / "missing.csv")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a JSON document"):
        verify_release(broken, run.folder / "patients.csv")


def test_columns_say_their_role_and_treatment(run: Run) -> None:
    columns = {c["column"]: c for c in run.manifest["tables"][TABLE]["columns"]}
    assert list(columns) == list(run.frame.columns)
    assert columns["patient_id"]["treatment"] == "primary_key"
    assert columns["email"]["treatment"] == "pseudonymized"
    assert columns["email"]["strategy"] == "HASH_SHA256"
    assert columns["email"]["role"] == "direct_identifier"
    assert columns["notes"]["treatment"] == "dropped"
    assert columns["income"]["treatment"] == "excluded"
    assert columns["income"]["reattached"] == "coordinate_similarity"
    for name in ("age", "sex", "smoker", "bmi", "town"):
        assert columns[name]["treatment"] == "avatarized", name


def test_parameters_as_run_and_the_drawn_seed(run: Run) -> None:
    seed = run.manifest["seed"]
    assert seed["drawn"] is True and isinstance(seed["value"], int)
    avatarization = run.manifest["tables"][TABLE]["avatarization"]
    assert avatarization["given"]["k"] == 10 and "ncp" not in avatarization["given"]
    effective = avatarization["effective"]
    # No ncp given: the axes the run searched on (engine.axes), as its metadata records them.
    axes = len(run.runner.get_all_results().run_metadata[TABLE]["explained_variance_ratio"])
    assert effective["k"] == 10 and effective["ncp"] == axes and 3 <= axes <= 5
    assert "shuffled" in effective["ncp_rule"]
    # The privacy job's audit searched on the release's axes, not on a count of its own share.
    assert run.runner.privacy_attacks(TABLE)["audit"]["ncp"] == axes
    assert effective["imputation"]["method"]  # the engine's default, spelled out
    assert effective["exclude_variables"] == {
        "variable_names": ["income"],
        "replacement_strategy": "coordinate_similarity",
    }
    assert run.manifest["privacy_parameters"]["seed"] == 0


def test_the_recorded_seed_makes_the_same_avatars(
    run: Run, module_manager: Manager, tmp_path: Path
) -> None:
    seed = run.manifest["seed"]["value"]
    again = module_manager.create_runner("manifest_messy_again", seed=seed)
    path = tmp_path / "patients.csv"
    path.write_bytes(run.uploaded)
    configure(again, path)
    again.run(jobs_to_run=[JobKind.STANDARD])
    # The pseudonyms come from a secret drawn per run (never stored): all else is the same.
    first = run.runner.sensitive_unshuffled(TABLE).drop(columns=["email"])
    second = again.sensitive_unshuffled(TABLE).drop(columns=["email"])
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(
        run.runner.shuffled(TABLE).drop(columns=["email"]),
        again.shuffled(TABLE).drop(columns=["email"]),
    )
    # A run without reports nor metrics: its manifest is assembled from the one part there is.
    partial = again.manifest()
    assert partial["seed"] == {"value": seed, "drawn": False}
    assert partial["complete"] is False
    assert partial["missing_parts"] == ["privacy_metrics", "signal_metrics"]
    assert partial["release_status"] == "not_evaluated"
    table = partial["tables"][TABLE]
    assert table["input"]["sha256"] == run.manifest["tables"][TABLE]["input"]["sha256"]
    assert table["input"]["dataset_id"] != run.manifest["tables"][TABLE]["input"]["dataset_id"]
    assert "privacy" not in table and "signal" not in table
    assert table["avatarization"]["table_seed"] == seed


def test_metrics_and_verdict_are_the_privacy_jobs(run: Run) -> None:
    table = run.manifest["tables"][TABLE]
    assert table["privacy"]["metrics"] == run.runner.privacy_metrics(TABLE)
    assert table["signal"]["metrics"] == run.runner.signal_metrics(TABLE)
    verdict = run.runner.privacy_verdict(TABLE)
    assert table["privacy"]["verdict"]["status"] == verdict["status"]
    assert table["privacy"]["verdict"]["items"] == verdict["items"]
    failing = [item["name"] for item in verdict["items"] if not item["passed"]]
    assert table["privacy"]["verdict"]["failing"] == failing
    expected = "pass" if verdict["status"] == "pass" else "fail"
    assert run.manifest["release_status"] == expected
    # Targets and pass/fail travel with the metrics.
    assert table["privacy"]["metrics"][0]["targets"]
    assert table["privacy"]["metrics"][0]["passed"]


def test_the_manifest_holds_no_original_value(run: Run) -> None:
    text = json.dumps(run.manifest, ensure_ascii=False)
    for column in ("patient_id", "email", "notes"):
        for value in run.frame[column].astype(str):
            assert value not in text, (column, value)


def test_assembling_the_report_manifest_parts_again_gives_the_same_tables(run: Run) -> None:
    """The client's assembly (the rule the report job used) of the three parts."""
    results = run.runner._results
    parts = []
    for document in ("standard", "privacy_metrics", "signal_metrics"):
        found = results.entry(document, ResultKind.MANIFEST_PART, None)
        assert found is not None, document
        parts.append(results.read_json(*found))
    again = assemble_manifest(
        parts,
        jobs=run.manifest["jobs"],
        set_name=run.manifest["set_name"],
        display_name=run.manifest["display_name"],
        assembled_at=run.manifest["assembled_at"],
    )
    assert again == run.manifest
    with pytest.raises(ValueError, match="two manifest parts"):
        assemble_manifest(parts + parts[:1], jobs=[], set_name="", display_name="", assembled_at="")


def _hashes(manifest: dict[str, Any]) -> list[str]:
    table = manifest["tables"][TABLE]
    return [table["input"]["sha256"], *(entry["sha256"] for entry in table["released"])]


def test_the_reports_show_the_hashes(run: Run, tmp_path: Path) -> None:
    html = run.runner.download_report(tmp_path / "report.html")
    assert isinstance(html, Path)
    page = html.read_text(encoding="utf-8")
    assert "Release manifest" in page
    for sha in _hashes(run.manifest):
        assert sha in page
    assert str(run.manifest["seed"]["value"]) in page
    status = STRINGS["en"][f"manifest_status_{run.manifest['release_status']}"]
    assert status in parse(page).text
    pdf = run.runner.download_report(tmp_path / "report.pdf")
    assert isinstance(pdf, Path)
    tool = shutil.which("pdftotext")
    assert tool is not None, "pdftotext (poppler-utils) is needed: scripts/system-packages.sh"
    text = subprocess.run([tool, str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    joined = "".join(text.split())  # a hash may break across lines
    for sha in _hashes(run.manifest):
        assert sha in joined
    docx = run.runner.download_report(tmp_path / "pia.docx", "pia")
    assert isinstance(docx, Path)
    document = Document(io.BytesIO(docx.read_bytes()))
    cells = " ".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    for sha in _hashes(run.manifest):
        assert sha in cells
    pia = run.runner.manifest()
    assert pia == run.manifest  # read once, the report job's


# --- linked tables, and avatars the user brings ----------------------------------------------


def clinic(runner: Runner, data: Path) -> None:
    runner.add_table("patient", data / "patient.csv", primary_key="p_id", individual_level=True)
    runner.add_table("doctor", data / "doctor.csv", primary_key="d_id", individual_level=True)
    runner.add_table(
        "visit",
        data / "visit.csv",
        primary_key="visit_id",
        foreign_keys=["patient_id", "doctor_id"],
        individual_level=False,
    )
    runner.add_link("patient", "p_id", "visit", "patient_id")
    runner.add_link("doctor", "d_id", "visit", "doctor_id")
    for name, k in {"patient": 15, "doctor": 5, "visit": 10}.items():
        runner.set_parameters(name, k=k)


def test_a_linked_run_records_the_groups_seed_and_its_keys(
    module_manager: Manager, shared_data: Path
) -> None:
    """The run's seed, not each table's (drawn from it), is what reproduces linked tables."""
    first = module_manager.create_runner("manifest_clinic")
    clinic(first, shared_data)
    first.run(jobs_to_run=[JobKind.STANDARD])
    manifest = first.manifest()
    assert manifest["seed"]["drawn"] is True
    for name in ("patient", "doctor", "visit"):
        table = manifest["tables"][name]
        data = (shared_data / f"{name}.csv").read_bytes()
        assert table["input"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert table["avatarization"]["table_seed"] != manifest["seed"]["value"]
    columns = {c["column"]: c["treatment"] for c in manifest["tables"]["visit"]["columns"]}
    assert columns == {
        "visit_id": "primary_key",
        "patient_id": "foreign_key",
        "doctor_id": "foreign_key",
        "day_visit": "avatarized",
        "exam": "avatarized",
    }
    again = module_manager.create_runner("manifest_clinic_again", seed=manifest["seed"]["value"])
    clinic(again, shared_data)
    again.run(jobs_to_run=[JobKind.STANDARD])
    for name in ("patient", "doctor", "visit"):
        pd.testing.assert_frame_equal(first.shuffled(name), again.shuffled(name))
    released = {e["kind"]: e["sha256"] for e in again.manifest()["tables"]["visit"]["released"]}
    assert released == {e["kind"]: e["sha256"] for e in manifest["tables"]["visit"]["released"]}


def test_brought_avatars_are_the_released_file(
    module_manager: Manager, shared_data: Path, tmp_path: Path
) -> None:
    """A metrics-only run: no avatarization part, the brought avatars are what is released."""
    original = shared_data / "iris.csv"
    avatars = tmp_path / "iris_avatars.csv"
    frame = pd.read_csv(original)
    frame.sample(frac=1.0, random_state=1).to_csv(avatars, index=False)
    runner = module_manager.create_runner("manifest_brought")
    runner.add_table("iris", original, avatar_data=avatars)
    runner.run(jobs_to_run=[JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS])
    manifest = runner.manifest()
    assert manifest["complete"] is True and manifest["seed"] is None
    table = manifest["tables"]["iris"]
    (released,) = table["released"]
    assert released["kind"] == "brought_avatars"
    assert released["sha256"] == hashlib.sha256(avatars.read_bytes()).hexdigest()
    assert "avatarization" not in table
    assert {c["column"]: c["treatment"] for c in table["columns"]} == dict.fromkeys(
        frame.columns, "measured"
    )
    assert table["privacy"]["verdict"]["status"] == runner.privacy_verdict("iris")["status"]
    assert manifest["release_status"] == table["privacy"]["verdict"]["status"]
    check = verify_release(manifest, avatars)
    assert check and check.entry is not None and check.entry["kind"] == "brought_avatars"
