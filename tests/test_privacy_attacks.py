"""The attacks the privacy job puts a table's avatars through (issue 19): written as the
table's ``privacy_attacks`` result, judged in the verdict, shown in the report; real runs on a
real server."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.results import ATTACK_FIGURES, ATTACK_TARGETS, passes
from avatars import Manager, Runner

SET_ASIDE: dict[str, Any] = {"primary_key": "pid", "pseudonymize": {"email": "UUID4"}}


def patients(rows: int = 240) -> pd.DataFrame:
    """Mixed columns with gaps and accents, a key and an e-mail set aside."""
    rng = np.random.default_rng(19)
    age = rng.integers(18, 95, rows).astype(float)
    age[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "pid": np.arange(rows) + 50_000,
            "email": [f"patient{i}@clinique-été.fr" for i in range(rows)],
            "age": age,
            "weight": np.round(rng.normal(72, 12, rows), 1),
            "ward": rng.choice(["Pédiatrie", "Urgences", "Gériatrie"], rows),
            "admitted": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 300, rows), unit="D"),
        }
    )


@pytest.fixture(scope="module")
def measured(module_manager: Manager) -> tuple[pd.DataFrame, Runner]:
    frame = patients()
    runner = module_manager.create_runner("attacked", seed=3)
    runner.add_table("patients", frame, **SET_ASIDE)
    runner.set_parameters("patients", k=10)
    runner.run(jobs_to_run=["standard", "privacy_metrics"])
    return frame, runner


def test_every_attack_has_a_figure_or_says_why_not(measured: tuple[pd.DataFrame, Runner]) -> None:
    frame, runner = measured
    attacks = runner.privacy_attacks("patients")
    audit = attacks["audit"]
    assert audit["train_rows"] + audit["control_rows"] == len(frame)
    assert audit["train_rows"] == round(audit["share"] * len(frame))
    for name in ("singling_out", "linkability", "inference", "reconstruction_risk"):
        risk = attacks[name]
        assert 0 <= risk["low"] <= risk["value"] <= risk["high"] <= 1, name
        assert risk["n_attacks"] > 0 and risk["n_control_attacks"] > 0
    assert attacks["inference"]["secret"] in {"age", "weight", "ward", "admitted"}
    assert set(attacks["inference"]["per_secret"]) == {"age", "weight", "ward", "admitted"}
    linkage = attacks["linkage"]
    assert linkage["chance_top1"] == pytest.approx(1 / len(frame))
    assert set(linkage["spaces"]) == {"avatars_famd", "originals_famd"}
    assert linkage["top1"] == max(space["top1"] for space in linkage["spaces"].values())
    release = attacks["reconstruction"]
    assert release["n"] == len(frame) and 0 <= release["precision"] <= 1
    risk = attacks["record_risk"]
    assert risk["n"] == len(frame)
    beyond = risk["reconstructed_beyond_chance"]
    assert beyond <= risk["reconstructed"] == release["originals_reconstructed"]
    assert max(risk["worst_covered"], risk["linked_top1"], beyond) <= risk["at_risk"]
    assert risk["at_risk"] <= len(frame)
    # The judged figures against the one table of targets.
    assert attacks["targets"] == ATTACK_TARGETS
    for name, (section, key) in ATTACK_FIGURES.items():
        assert attacks["passed"][name] == passes(attacks[section][key], ATTACK_TARGETS[name])


def test_the_verdict_has_an_item_per_attack(measured: tuple[pd.DataFrame, Runner]) -> None:
    _, runner = measured
    attacks = runner.privacy_attacks("patients")
    verdict = runner.privacy_verdict("patients")
    items = {item["name"]: item for item in verdict["items"]}
    for name in ATTACK_FIGURES:
        assert items[name]["passed"] == attacks["passed"][name]
        assert items[name]["target"] == ATTACK_TARGETS[name]
        if not items[name]["passed"]:
            assert items[name]["remedy"]
    assert verdict["status"] == ("pass" if all(i["passed"] for i in items.values()) else "fail")


def test_no_record_is_written_in_the_attacks(measured: tuple[pd.DataFrame, Runner]) -> None:
    """Counts, rates and column names only: the result goes into the DPO's report."""
    frame, runner = measured
    text = json.dumps(runner.privacy_attacks("patients"), ensure_ascii=False)
    for column in ("email", "pid"):
        assert not any(str(value) in text for value in frame[column])
    weights = {f"{value:.1f}" for value in frame["weight"]}
    assert not any(f'": {weight},' in text for weight in weights)


def test_avatars_that_copy_the_originals_fail_the_attacks(module_manager: Manager) -> None:
    """Brought avatars that are the originals themselves: the linkage attack finds everyone
    and the verdict fails on it; no audit can replay brought avatars, which is said."""
    frame = patients(120)
    copies = frame.assign(email=[f"someone{i}@example.org" for i in range(len(frame))])
    copies["pid"] = copies["pid"] + 1_000_000
    runner = module_manager.create_runner("copies", seed=3)
    runner.add_table("patients", frame, avatar_data=copies, **SET_ASIDE)
    runner.run()
    attacks = runner.privacy_attacks("patients")
    assert "brought" in attacks["audit"]["not_computed"]
    assert "not_computed" in attacks["singling_out"]
    assert attacks["linkage"]["top1"] > 0.9
    assert attacks["record_risk"]["at_risk"] == len(frame)
    items = {item["name"]: item for item in runner.privacy_verdict("patients")["items"]}
    assert not items["attack_linkage"]["passed"]
    assert "attack_singling_out" not in items  # not computed: not judged
    assert not items["attack_audit_not_run"]["passed"]  # and not passed on its silence
    assert attacks["audit"]["brought"] is True
    assert "brought from elsewhere cannot be audited" in items["attack_audit_not_run"]["remedy"]
