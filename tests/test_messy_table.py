"""Safe by default on the table people really have (issue 12's acceptance, through the real
server): identifiers, e-mails, phone numbers inside free text, outliers, missing dates, and a
semicolon-separated latin-1 twin of the same table."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatar_yaml import ExcludeVariablesMethod
from avatars import Runner
from avatars.cli import VERDICT_FAILED, main
from avatars.client import ApiClient
from tests.server import ServerProcess

ROWS = 600


def messy_table(rows: int = ROWS, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(10, 0.5, rows), 2)
    income[rng.choice(rows, 4, replace=False)] *= 1000  # a few huge outliers
    visit = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), unit="D")
    visit_text = pd.Series(visit.strftime("%Y-%m-%d"), dtype=object)
    visit_text[rng.random(rows) < 0.15] = None
    streets = ["rue de la Paix", "avenue Foch", "boulevard Voltaire", "chemin des Vignes"]
    notes = [
        f"Called back on 06 {rng.integers(10, 99)} {rng.integers(10, 99)} "
        f"{rng.integers(10, 99)} {rng.integers(10, 99)}, lives {rng.integers(1, 200)} "
        f"{streets[i % 4]}, follow-up in {rng.integers(2, 12)} weeks"
        for i in range(rows)
    ]
    return pd.DataFrame(
        {
            "patient_id": [f"PAT-{104000 + i}" for i in rng.permutation(rows)],
            "email": [f"patient.{i}.{rng.integers(1000, 9999)}@example.org" for i in range(rows)],
            "age": rng.integers(18, 95, rows),
            "sex": rng.choice(["F", "M"], rows),
            "smoker": rng.choice([True, False], rows),
            "income": income,
            "visit_date": visit_text,
            "bmi": np.round(rng.normal(26, 4, rows), 1),
            "notes": notes,
        }
    )


RISKY = ("patient_id", "email", "notes")


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "patients.csv"
    messy_table().to_csv(path, index=False)
    return path


def released_originals(frame: pd.DataFrame, avatars: pd.DataFrame) -> dict[str, int]:
    """Per column, how many avatar values are identifiers, e-mails, phone numbers or values
    a single original holds."""
    found: dict[str, int] = {}
    for column in avatars.columns:
        if column not in frame:
            continue
        counts = frame[column].dropna().astype(str).value_counts()
        singles = set(counts[counts == 1].index)
        values = avatars[column].dropna().astype(str)
        found[column] = int(values.isin(singles).sum())
    text = avatars.to_csv(index=False)
    found["emails"] = len(re.findall(r"patient\.\d+\.\d+@example\.org", text))
    found["phones"] = len(re.findall(r"06 \d\d \d\d \d\d \d\d", text))
    found["ids"] = len(re.findall(r"PAT-1\d{5}", text))
    return found


def test_the_default_run_is_refused_naming_each_risky_column(user: ApiClient, table: Path) -> None:
    runner = Runner(user, "messy_default")
    runner.add_table("patients", table)
    data = runner.config.schema.tables[0].data
    assert data is not None
    roles = {c.name: c.role for c in user.datasets.get_dataset(data.dataset_id).columns}
    assert roles["patient_id"] == "id_like"
    assert roles["email"] == "direct_identifier"
    assert roles["notes"] == "free_text"
    assert all(roles[c] not in ("id_like", "direct_identifier") for c in ("age", "income", "bmi"))
    with pytest.raises(ValueError) as refused:
        runner.advise_parameters("patients")
    message = str(refused.value)
    for column in RISKY:
        assert repr(column) in message
    assert "drop" in message and "pseudonymize" in message and "grouped" in message
    assert runner.jobs.keys() <= {"advice_parameters"}  # nothing was avatarized


def test_dealt_with_the_run_releases_no_identifier(
    user: ApiClient, table: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(table)
    runner = Runner(user, "messy_safe", seed=3)
    runner.add_table(
        "patients",
        table,
        pseudonymize={"patient_id": "UUID4", "email": "HASH_SHA256"},
        keep={"notes": "grouped"},
    )
    runner.set_parameters("patients", k=10)
    runner.run()
    avatars = runner.shuffled("patients")
    leaks = released_originals(frame, avatars)
    assert leaks["emails"] == leaks["phones"] == leaks["ids"] == 0, leaks
    assert all(count == 0 for count in leaks.values()), leaks
    verdict = runner.privacy_verdict("patients")
    failed = [item["name"] for item in verdict["items"] if not item["passed"]]
    assert not [name for name in failed if name.startswith("verbatim_unique_values")], failed
    # The report accounts for every identifying column, after the verdict it opens with.
    report = runner.download_report(tmp_path / "report.html")
    assert isinstance(report, Path)
    page = report.read_text(encoding="utf-8")
    assert page.index("Privacy verdict") < page.index("Identifying columns")
    for entry in (
        "patient_id (id_like): pseudonymized (UUID4)",
        "email (direct_identifier): pseudonymized (HASH_SHA256)",
        "notes (free_text): kept (grouped): 0 of 600 values kept, 100.0% of rows pooled",
    ):
        assert entry in page, entry
    # The conclusion does not claim every distribution is kept: notes lost all its values.
    assert "The distribution of each variable is kept" not in page
    assert "notes was kept grouped: only 0 of its 600 values remain" in page


def test_row_order_reattachment_fails_the_verdict_and_the_cli(
    server: ServerProcess,
    user: ApiClient,
    table: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    runner = Runner(user, "messy_row_order", seed=3)
    runner.add_table("patients", table, columns_to_drop=["patient_id", "email", "notes"])
    with pytest.warns(UserWarning, match="row_order"):
        runner.set_parameters(
            "patients",
            k=10,
            exclude_variable_names=["income"],
            exclude_variable_method=ExcludeVariablesMethod.ROW_ORDER,
        )
    runner.run()
    verdict = runner.privacy_verdict("patients")
    assert verdict["status"] == "fail"
    names = {item["name"]: item for item in verdict["items"]}
    assert not names["row_order_reattachment"]["passed"]
    assert "income" in names["row_order_reattachment"]["reason"]

    monkeypatch.setenv("AVATAR_API_KEY", user.api_keys.create_api_key("cli").key)
    args = [
        "anonymize",
        str(table),
        "-o",
        str(tmp_path / "out"),
        "-q",
        "-k",
        "10",
        "--base-url",
        server.base_url,
        "--keep",
        "patient_id=as_is",
        "--drop",
        "email",
        "--drop",
        "notes",
    ]
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == VERDICT_FAILED
    assert "kept_as_is:patient_id" in capsys.readouterr().out
    main([*args, "--accept-risk"])  # the same run, the risk accepted: exit 0


def test_a_semicolon_latin1_twin_reads_into_its_columns(user: ApiClient, tmp_path: Path) -> None:
    frame = messy_table(60)
    frame["sex"] = np.where(frame["sex"] == "F", "Féminin", "Masculin")
    path = tmp_path / "patients_fr.csv"
    frame.to_csv(path, index=False, sep=";", encoding="latin-1")
    dataset = user.datasets.upload_dataset(path, name="patients_fr")
    assert [c.name for c in dataset.columns] == list(frame.columns)
    back = user.datasets.get_dataset(dataset.id)
    assert back.rows == 60
