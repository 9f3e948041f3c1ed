"""The audit release behind the attack metrics: a seeded share of the originals avatarized with
the run's parameters, the rest held out as the control set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.axes import FEWEST_AXES
from avatar_server.jobs.attack_audit import (
    AUDIT_MAX_ROWS,
    AUDIT_SHARE,
    AuditNotMade,
    audit_release,
    audit_split,
)
from avatar_server.jobs.attack_metrics import table_attacks
from avatar_server.jobs.tables import PreparedTable
from avatar_server.jobs.verdict import table_verdict
from avatar_yaml import (
    AvatarizationParameters,
    ExcludeVariables,
    ExcludeVariablesMethod,
    InterRecordRangeDifferenceParameters,
    RelativeDifferenceParameters,
)
from avatars.demo import measured_k


def _messy(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    age = rng.integers(18, 90, rows).astype(float)
    age[::11] = np.nan
    return pd.DataFrame(
        {
            "age": age,
            "city": rng.choice(np.array(["Nantes", "Brest", "Orléans", None], dtype=object), rows),
            "care": rng.gamma(2.0, 300.0, rows).round(2),
            "drugs": rng.gamma(2.0, 50.0, rows).round(2),
            "visit": pd.to_datetime("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
        }
    ).assign(bill=lambda d: (d.care + d.drugs + rng.gamma(1.0, 20.0, rows)).round(2))


def test_split_is_seeded_disjoint_and_covers_the_audited_rows() -> None:
    train, control = audit_split(1000, seed=5)
    assert len(train) == round(AUDIT_SHARE * 1000) and len(control) == 1000 - len(train)
    assert not set(train) & set(control)
    assert np.array_equal(train, np.sort(train))
    again, _ = audit_split(1000, seed=5)
    other, _ = audit_split(1000, seed=6)
    assert np.array_equal(train, again) and not np.array_equal(train, other)


def test_a_large_table_is_audited_on_a_sample() -> None:
    train, control = audit_split(AUDIT_MAX_ROWS * 3, seed=0)
    assert len(train) + len(control) == AUDIT_MAX_ROWS
    assert max(train.max(), control.max()) > AUDIT_MAX_ROWS  # drawn from the whole table


def test_the_audit_avatarizes_the_share_with_the_run_parameters(shared_data: Path) -> None:
    wbcd = pd.read_csv(shared_data / "wbcd.csv")
    table = PreparedTable(name="wbcd", data=wbcd)
    audit = audit_release(table, AvatarizationParameters(k=10), list(wbcd.columns), seed=1)
    assert len(audit.avatars) == len(audit.train) == round(AUDIT_SHARE * len(wbcd))
    assert len(audit.control) == len(wbcd) - len(audit.train)
    assert list(audit.avatars.dtypes) == list(audit.train.dtypes)
    # The control rows are originals, none of them in the training share.
    train_rows, control_rows = audit_split(len(wbcd), seed=1)
    assert audit.control.equals(wbcd.iloc[control_rows].reset_index(drop=True))
    assert audit.train.equals(wbcd.iloc[train_rows].reset_index(drop=True))
    # Avatars, not copies: most rows differ from their original.
    same = (audit.avatars.to_numpy() == audit.train.to_numpy()).all(axis=1).mean()
    assert same < 0.5
    assert audit.facts() == {
        "share": AUDIT_SHARE,
        "train_rows": len(audit.train),
        "control_rows": len(audit.control),
        "table_rows": len(wbcd),
        "sampled": False,
        "seed": 1,
        "ncp": FEWEST_AXES,  # no ncp given: the axes rule, on the share (wbcd reads one axis)
    }
    again = audit_release(table, AvatarizationParameters(k=10), list(wbcd.columns), seed=1)
    assert again.avatars.equals(audit.avatars)
    # An ncp given (as the privacy job gives the release's count) is the one searched on.
    pinned = audit_release(table, AvatarizationParameters(k=10, ncp=4), list(wbcd.columns), seed=1)
    assert pinned.facts()["ncp"] == 4


def test_a_messy_table_with_processors_and_exclusions_is_audited() -> None:
    data = _messy()
    table = PreparedTable(name="stays", data=data)
    chosen = AvatarizationParameters(
        k=5,
        exclude_variables=ExcludeVariables(
            variable_names=["city"],
            replacement_strategy=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
        ),
        avatarization_processors_parameters=[
            RelativeDifferenceParameters(target="bill", references=["care", "drugs"])
        ],
    )
    columns = ["age", "care", "drugs", "visit", "bill"]
    audit = audit_release(table, chosen, columns, seed=2)
    assert list(audit.avatars.columns) == columns
    assert audit.avatars["age"].isna().any()  # gaps restored
    assert pd.api.types.is_datetime64_any_dtype(audit.avatars["visit"])
    # The processor was replayed: every audit avatar's bill covers its care and drugs.
    assert (audit.avatars.bill >= audit.avatars.care + audit.avatars.drugs - 0.01).all()


def test_tables_an_audit_cannot_replay_are_refused_with_the_reason() -> None:
    tiny = pd.DataFrame({"a": range(30), "b": [1.5, 2.5, 3.5] * 10})
    with pytest.raises(AuditNotMade, match="30 rows"):
        audit_release(
            PreparedTable(name="t", data=tiny), AvatarizationParameters(k=25), ["a", "b"], seed=0
        )
    data = _messy().assign(person=lambda d: np.arange(len(d)) // 2)
    chosen = AvatarizationParameters(
        k=5,
        avatarization_processors_parameters=[
            InterRecordRangeDifferenceParameters(
                id_variable="person",
                target_start_variable="care",
                target_end_variable="bill",
            )
        ],
    )
    with pytest.raises(AuditNotMade, match="inter-record"):
        audit_release(PreparedTable(name="t", data=data), chosen, ["care", "bill"], seed=0)


def test_a_share_the_engine_refuses_is_an_audit_not_made() -> None:
    """A sparse column whose every value falls among the held-out rows: the audit's share
    holds none of it, which the engine refuses; the audit says why instead of failing."""
    rows = 200
    data = pd.DataFrame({"a": np.arange(rows, dtype=float), "b": np.nan})
    _, control = audit_split(rows, seed=0)
    data.loc[control[:2], "b"] = 1.0
    with pytest.raises(AuditNotMade, match="could not be avatarized"):
        audit_release(
            PreparedTable(name="t", data=data), AvatarizationParameters(k=5), ["a", "b"], seed=0
        )


def test_attacks_on_awkward_tables_say_what_could_not_be_measured() -> None:
    """Two columns (singling out on two conditions, the rest as usual); three yes/no columns
    (avatars too alike to propose a record from): the attacks run or say why, never fail."""
    rng = np.random.default_rng(0)
    two = pd.DataFrame({"x": rng.normal(size=200), "y": rng.normal(size=200)})
    yes_no = pd.DataFrame({c: rng.choice(["yes", "no"], 1000) for c in "abc"})
    for data in (two, yes_no):
        avatars = avatarize(data, k=10, seed=1).unshuffled
        found = table_attacks(
            PreparedTable(name="t", data=data), AvatarizationParameters(k=10), data, avatars, seed=0
        )
        for section in ("singling_out", "linkability", "inference", "reconstruction_risk"):
            assert "value" in found[section] or found[section]["not_computed"], section
        assert set(found["passed"]) <= set(found["targets"])
    assert "value" in found["linkability"]


def test_a_release_no_attack_ran_on_cannot_pass_the_verdict() -> None:
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    table = PreparedTable(name="visit", data=data)
    verdict = table_verdict(
        [{}], table, data, None, attacks={"not_computed": "the attacks job was interrupted"}
    )
    (item,) = [i for i in verdict["items"] if i["name"] == "attacks_not_run"]
    assert not item["passed"] and "interrupted" in item["reason"]
    assert verdict["status"] == "fail"
    # Every attack said why it could not be made: nothing was measured, so it fails too.
    why = "the table has 3 rows"
    silent = {name: {"not_computed": why} for name in ("audit", "linkage", "reconstruction")}
    verdict = table_verdict([{}], table, data, None, attacks=silent | {"passed": {}})
    (item,) = [i for i in verdict["items"] if i["name"] == "attacks_not_run"]
    assert item["reason"] == f"no attack could be measured on this table: {why}"
    assert verdict["status"] == "fail"


def test_a_small_table_without_an_audit_cannot_pass_on_the_release_attacks(
    shared_data: Path,
) -> None:
    """50 rows at k = 5: too few to hold out 30 and avatarize the rest, so no audit. The
    linkage and reconstruction attacks on the release still run and pass, but nothing measured
    singling out, linkability or inference: the verdict fails and says what to do."""
    iris = pd.read_csv(shared_data / "iris.csv").iloc[::3].reset_index(drop=True)
    assert len(iris) == 50
    table = PreparedTable(name="iris", data=iris)
    avatars = avatarize(iris, k=5, seed=0).unshuffled
    found = table_attacks(table, AvatarizationParameters(k=5), iris, avatars, seed=0)
    assert "rows" in found["audit"]["not_computed"]
    verdict = table_verdict([{}], table, avatars, None, attacks=found)
    items = {item["name"]: item for item in verdict["items"]}
    item = items["attack_audit_not_run"]
    assert not item["passed"] and "were not measured on this table" in item["reason"]
    assert "more rows" in item["remedy"] and "linked" not in item["reason"]
    assert "attack_singling_out" not in items
    assert verdict["status"] == "fail"


def test_an_inference_leak_names_the_secret_to_treat(shared_data: Path) -> None:
    """The clinic's patients alone at k = 3: their height is inferred on the audit far past
    the verdict's 0.3; the inference item fails and names the column(s) to treat."""
    patients = pd.read_csv(shared_data / "patient.csv")
    avatars = avatarize(patients, k=3, seed=0).unshuffled
    table = PreparedTable(name="patient", data=patients)
    found = table_attacks(table, AvatarizationParameters(k=3), patients, avatars, seed=0)
    inference = found["inference"]
    assert inference["value"] > 0.5 and inference["secret"] == "height"
    assert set(inference["per_secret"]) == set(patients.columns)
    assert inference["secrets"][0] == inference["secret"] and len(inference["picked"]) == 2
    verdict = table_verdict([{}], table, patients, None, attacks=found)
    item = next(item for item in verdict["items"] if item["name"] == "attack_inference")
    assert not item["passed"]
    columns = " or ".join(map(repr, inference["secrets"]))
    plural = "s" if len(inference["secrets"]) > 1 else ""
    assert f"drop, coarsen or group column{plural} {columns} (the attacker" in item["remedy"]


def test_the_raise_k_remedy_is_measured_on_the_audit(shared_data: Path) -> None:
    """iris fails an attack at k = 20 (reconstruction): the same audit is made at 40 and 80,
    and each failed item's remedy says what the larger k measured."""
    iris = pd.read_csv(shared_data / "iris.csv")
    avatars = avatarize(iris, k=20, seed=0).unshuffled
    table = PreparedTable(name="iris", data=iris)
    found = table_attacks(table, AvatarizationParameters(k=20), iris, avatars, seed=0)
    failing = {name for name, passed in found["passed"].items() if not passed}
    assert "attack_reconstruction" in failing
    tried = found["raised_k"]
    # Doubled until every failed item passes, at most twice.
    assert [entry["k"] for entry in tried] in ([40], [40, 80])
    assert len(tried) == 2 or all(tried[-1]["passed"].values())
    assert all(set(entry["passed"]) <= failing for entry in tried)
    verdict = table_verdict([{}], table, iris, None, attacks=found)
    items = {item["name"]: item for item in verdict["items"]}
    for name in failing - {"attack_linkage"}:
        passes_at = [entry["k"] for entry in tried if entry["passed"][name]]
        expected = "raise k to" if passes_at else "raising k to 80 did not defeat it"
        assert expected in items[name]["remedy"], items[name]["remedy"]
        # The measured k as facts too (what the demo runs again at), None when none passed.
        assert items[name]["raise_k_to"] == (passes_at[0] if passes_at else None)
        assert items[name]["passes_at_k"] == passes_at
        assert "{" not in items[name]["remedy"]  # words, not a dict
    # A run again at the smallest k measured passing for every failed item, if there is one.
    assert measured_k(verdict) is None or measured_k(verdict) in (40, 80)
    passing = {"items": [{"name": "a", "passed": True}]}
    assert measured_k(passing) is None
    both = {
        "items": [
            {"passed": False, "passes_at_k": [40, 80]},
            {"passed": False, "passes_at_k": [80]},
        ]
    }
    assert measured_k(both) == 80
    apart = {
        "items": [{"passed": False, "passes_at_k": [40]}, {"passed": False, "passes_at_k": [80]}]
    }
    assert measured_k(apart) is None  # no k measured passing both
    unmeasured = {"items": [{"passed": False, "passes_at_k": [40]}, {"passed": False}]}
    assert measured_k(unmeasured) is None


def test_a_series_feature_inferred_names_the_series_not_a_column() -> None:
    """On a series table's person_and_series rows the worst secret can be a curve feature,
    which no file holds as a column: the remedy names the series and its variable."""
    data = pd.DataFrame({"t": [0.0, 1.0], "sensor2": [1.0, 2.0]})
    inference = {
        "value": 0.53,
        "low": 0.3,
        "high": 0.77,
        "secret": "sensor1.sensor2:7",
        "series_feature": {"table": "sensor1", "feature": "sensor2:7", "variable": "sensor2"},
    }
    attacks = {"inference": inference, "passed": {"attack_inference": False}, "targets": {}}
    verdict = table_verdict(
        [{}], PreparedTable(name="sensor1", data=data), data, None, attacks=attacks
    )
    (item,) = [i for i in verdict["items"] if i["name"] == "attack_inference"]
    assert "series' curves of variable 'sensor2' ('sensor1.sensor2:7')" in item["remedy"]
    assert "make the series of 'sensor1' coarser" in item["remedy"]
    assert "drop, coarsen or group column 'sensor1.sensor2:7'" not in item["remedy"]


def test_an_inference_figure_pooling_two_secrets_names_both() -> None:
    """When the two halves of the attacks pick different secrets, the figure measures both:
    the remedy names both columns, the more exposed first."""
    data = pd.DataFrame({"age": [30.0, 40.0], "ward": ["a", "b"]})
    inference = {
        "value": 0.41,
        "low": 0.2,
        "high": 0.62,
        "secret": "ward",
        "secrets": ["ward", "age"],
        "picked": ["age", "ward"],
        "clear": False,
    }
    attacks = {"inference": inference, "passed": {"attack_inference": False}, "targets": {}}
    verdict = table_verdict([{}], PreparedTable(name="t", data=data), data, None, attacks=attacks)
    (item,) = [i for i in verdict["items"] if i["name"] == "attack_inference"]
    assert (
        "drop, coarsen or group columns 'ward' or 'age' (the attacker infers them"
        in (item["remedy"])
    )
