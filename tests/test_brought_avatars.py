"""Metrics-only runs on avatars the user brings (``add_table(..., avatar_data=...)``, the
schema's ``avatars_data.dataset_id``), and ``use_excluded_variables_in_metrics``: real runs on
a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_yaml import (
    AvatarsData,
    ColumnInfo,
    Config,
    ConfigError,
    ExcludeVariablesMethod,
    ResultKind,
)
from avatars import ApiClient, Manager, Runner
from avatars.cli import main as cli_main
from avatars.errors import ValidationError
from tests.server import ServerProcess


def patients(rows: int = 200) -> pd.DataFrame:
    """Mixed columns with gaps and accents, a key and an e-mail set aside."""
    rng = np.random.default_rng(8)
    age = rng.integers(18, 95, rows).astype(float)
    age[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "pid": np.arange(rows) + 10_000,
            "email": [f"patient{i}@clinique-été.fr" for i in range(rows)],
            "age": age,
            "weight": np.round(rng.normal(72, 12, rows), 1),
            "ward": rng.choice(["Pédiatrie", "Urgences", "Gériatrie"], rows),
            "smoker": rng.choice(["oui", "non"], rows),
        }
    )


SET_ASIDE: dict[str, Any] = {"primary_key": "pid", "pseudonymize": {"email": "UUID4"}}


@pytest.fixture
def manager(user: ApiClient) -> Iterator[Manager]:
    yield Manager(api_client=user)


@pytest.fixture
def own_run(manager: Manager) -> tuple[pd.DataFrame, Runner]:
    """A run of the platform's own: its avatars (row for row) and its metrics."""
    frame = patients()
    runner = manager.create_runner("own", seed=2)
    runner.add_table("patients", frame, **SET_ASIDE)
    runner.set_parameters("patients", k=10)
    runner.run(jobs_to_run=["standard", "privacy_metrics", "signal_metrics"])
    return frame, runner


def by_name(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in metrics[0].items() if isinstance(v, float)}


def test_the_metrics_of_brought_avatars_are_those_of_the_same_avatars_made_here(
    manager: Manager, own_run: tuple[pd.DataFrame, Runner]
) -> None:
    frame, own = own_run
    avatars = own.sensitive_unshuffled("patients")
    measured = manager.create_runner("brought", seed=2)
    measured.add_table("patients", frame, avatar_data=avatars, **SET_ASIDE)
    measured.run()  # brought avatars: the metrics alone
    assert set(measured.jobs) == {"privacy_metrics", "signal_metrics"}
    assert "avatars_data:" in measured.get_yaml()

    privacy, reference = (
        by_name(measured.privacy_metrics("patients")),
        by_name(own.privacy_metrics("patients")),
    )
    assert privacy["hidden_rate"] == pytest.approx(reference["hidden_rate"])
    assert privacy["local_cloaking"] == pytest.approx(reference["local_cloaking"])
    assert by_name(measured.signal_metrics("patients")) == pytest.approx(
        by_name(own.signal_metrics("patients"))
    )
    assert measured.privacy_verdict("patients")["status"] in ("pass", "fail")
    assert measured.measured_tables() == ["patients"]
    summary = measured.metrics_summary()
    assert list(summary.index) == ["patients"]
    assert summary["value", "hidden_rate"]["patients"] == pytest.approx(privacy["hidden_rate"])

    # The originals themselves as "avatars": every metric says so, and the verdict fails.
    copied = manager.create_runner("copied", seed=2)
    copied.add_table("patients", frame, avatar_data=frame, **SET_ASIDE)
    copied.run()
    assert by_name(copied.privacy_metrics("patients"))["hidden_rate"] < 5
    assert copied.privacy_verdict("patients")["status"] == "fail"


def metrics_only_file(manager: Manager, own_run: tuple[pd.DataFrame, Runner], folder: Path) -> Path:
    """A run file of our own dialect that measures the avatars of ``own_run`` brought back."""
    frame, own = own_run
    client = manager.auth_client
    original = client.datasets.upload_dataset(frame, name="patients")
    avatars = client.datasets.upload_dataset(own.sensitive_unshuffled("patients"), name="avatars")
    run_file = folder / "metrics-only.yaml"
    run_file.write_text(
        f"""
kind: AvatarMetadata
metadata: {{name: avatar-metadata-from-yaml}}
spec: {{display_name: from-yaml}}
---
kind: AvatarSchema
metadata: {{name: schema}}
spec:
  tables:
  - name: patients
    data: {{dataset_id: {original.id}}}
    avatars_data: {{dataset_id: {avatars.id}}}
    columns:
    - {{field: pid, primary_key: true}}
    - {{field: email, pseudonymization: {{kind: UUID4}}}}
---
kind: AvatarPrivacyMetricsParameters
metadata: {{name: privacy_metrics}}
spec:
  schema: schema_avatarized
  privacy_metrics: {{patients: {{known_variables: [age, ward]}}}}
  results: {{volume: results, path: privacy_metrics}}
---
kind: AvatarSchema
metadata: {{name: schema_avatarized}}
spec:
  schema_ref: schema
  tables:
  - {{name: patients, avatars_data: {{auto: true}}}}
""",
        encoding="utf-8",
    )
    return run_file


def test_brought_avatars_from_a_yaml_file(
    manager: Manager, own_run: tuple[pd.DataFrame, Runner], tmp_path: Path
) -> None:
    run_file = metrics_only_file(manager, own_run, tmp_path)
    own = own_run[1]
    runner = manager.create_runner_from_yaml(run_file, "from-yaml")
    runner.run(jobs_to_run=["privacy_metrics"])
    metrics = by_name(runner.privacy_metrics("patients"))
    assert metrics["hidden_rate"] == pytest.approx(
        by_name(own.privacy_metrics("patients"))["hidden_rate"], abs=15
    )


def test_avatars_run_measures_a_metrics_only_file(
    manager: Manager,
    own_run: tuple[pd.DataFrame, Runner],
    tmp_path: Path,
    server: ServerProcess,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_file = metrics_only_file(manager, own_run, tmp_path)
    monkeypatch.setenv("AVATAR_API_KEY", manager.auth_client.api_keys.create_api_key("cli").key)
    monkeypatch.setenv("AVATAR_PROGRESS", "0")
    out = tmp_path / "out"
    cli_main(["run", str(run_file), "--base-url", server.base_url, "-o", str(out)])
    printed = capsys.readouterr().out
    assert "hidden_rate" in printed and "verdict" in printed.lower()
    assert sorted(p.name for p in out.iterdir()) == [
        "patients.privacy_metrics.json",
        "patients.signal_metrics.json",
        "release_manifest.json",
    ]


def test_brought_avatars_are_refused_with_what_to_do(
    manager: Manager, own_run: tuple[pd.DataFrame, Runner]
) -> None:
    frame, own = own_run
    avatars = own.sensitive_unshuffled("patients")
    runner = manager.create_runner("refusals")
    with pytest.raises(ConfigError, match="has 150 rows and the table 200"):
        runner.add_table("patients", frame, avatar_data=avatars.head(150), **SET_ASIDE)
    with pytest.raises(ConfigError, match=r"lacks the table's columns \['weight'\]"):
        runner.add_table("patients", frame, avatar_data=avatars.drop(columns="weight"), **SET_ASIDE)
    assert runner.config.table_names() == []  # nothing half-added
    runner.add_table("patients", frame, avatar_data=avatars, **SET_ASIDE)
    with pytest.raises(ConfigError, match="also avatarizes"):
        runner.set_parameters("patients", k=5)
    with pytest.raises(ValueError, match="such a run only measures them"):
        runner.run(jobs_to_run=["standard", "privacy_metrics"])
    with pytest.raises(ValueError, match="such a run only measures them"):
        runner.run(jobs_to_run=["privacy_metrics", "signal_metrics", "report"])
    with pytest.raises(ConfigError, match="needs them for every table"):
        runner.add_table("other", frame, **SET_ASIDE)


def test_brought_avatars_carrying_original_identifiers_fail_the_verdict(
    manager: Manager, own_run: tuple[pd.DataFrame, Runner]
) -> None:
    """The server made none of the keys and pseudonyms of avatars you bring: an original value
    there is an identifier released as it was, and the verdict fails on it; a column the table
    does not measure is refused."""
    frame, own = own_run
    clean = own.sensitive_unshuffled("patients")
    leaky = clean.assign(email=frame["email"].to_numpy())
    runner = manager.create_runner("leaky", seed=2)
    runner.add_table("patients", frame, avatar_data=leaky, **SET_ASIDE)
    runner.run()
    verdict = runner.privacy_verdict("patients")
    items = {item["name"]: item for item in verdict["items"]}
    assert verdict["status"] == "fail"
    assert not items["original_identifiers:email"]["passed"]
    assert items["original_identifiers:email"]["count"] == len(frame)
    assert items["original_identifiers:pid"]["passed"]  # new keys: none is an original's

    refused = manager.create_runner("unmeasured")
    with pytest.raises(ConfigError, match=r"holds columns \['ssn'\] that the table does not"):
        refused.add_table("patients", frame, avatar_data=clean.assign(ssn="1 84 12"), **SET_ASIDE)


def test_the_server_checks_brought_avatars_when_the_run_is_stored(
    manager: Manager, own_run: tuple[pd.DataFrame, Runner]
) -> None:
    """A run file posted directly (not through add_table) gets the same rule, as a 422, and
    another user's dataset is not found."""
    frame, own = own_run
    client = manager.auth_client
    original = client.datasets.upload_dataset(frame, name="patients")
    short = client.datasets.upload_dataset(own.sensitive_unshuffled("patients").head(150))
    config = Config.new("posted")
    config.add_table(
        "patients",
        str(original.id),
        columns=[ColumnInfo(field="pid", primary_key=True), ColumnInfo(field="email", drop=True)],
    )
    config.table("patients").avatars_data = AvatarsData(dataset_id=str(short.id))
    config.set_parameters("patients")
    with pytest.raises(ValidationError, match="has 150 rows and the table 200"):
        client.resources.put_resources("posted", config.to_yaml())
    config.table("patients").avatars_data = AvatarsData(dataset_id=str(uuid.uuid4()))
    with pytest.raises(ValidationError, match=r"avatars_data: dataset .* not found"):
        client.resources.put_resources("posted", config.to_yaml())


def _measured_variables(runner: Runner) -> set[str]:
    comparisons = runner._results.json(
        "signal_metrics", ResultKind.VARIABLE_COMPARISONS, "patients"
    )
    return {entry["name"] for entry in comparisons}


def test_excluded_variables_are_measured_when_asked(manager: Manager) -> None:
    frame = patients()
    measured: dict[bool, Runner] = {}
    for flag in (False, True):
        runner = manager.create_runner(f"excluded-{flag}", seed=3)
        runner.add_table("patients", frame, **SET_ASIDE)
        with pytest.warns(UserWarning, match="row_order"):
            runner.set_parameters(
                "patients",
                k=10,
                exclude_variable_names=["weight"],
                exclude_variable_method=ExcludeVariablesMethod.ROW_ORDER,
                use_excluded_variables_in_metrics=flag,
            )
        runner.run(jobs_to_run=["standard", "privacy_metrics", "signal_metrics"])
        measured[flag] = runner
    assert "weight" not in _measured_variables(measured[False])
    assert "weight" in _measured_variables(measured[True])
    # weight comes back on its own person's avatar: measured, it brings the avatars closer
    without, with_weight = (
        by_name(measured[flag].privacy_metrics("patients"))["hidden_rate"] for flag in (False, True)
    )
    print(f"hidden rate without the excluded weight {without:.1f}, with it {with_weight:.1f}")
    assert with_weight < without
