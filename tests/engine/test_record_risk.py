"""Per-record risk: counts of the originals worst protected, and remedies, never values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.record_risk import (
    RecordSignals,
    at_risk_by_k,
    column_remedies,
    record_risk,
    record_signals,
)
from tests.engine.attack_tables import avatars_of


def signals(cloaking: list[int], linked: list[bool], rebuilt: list[bool]) -> RecordSignals:
    return RecordSignals(
        local_cloaking=np.array(cloaking, dtype=np.int64),
        linked_top1=np.array(linked, dtype=np.bool_),
        reconstructed=np.array(rebuilt, dtype=np.bool_),
        linkage_targets=len(cloaking),
    )


def test_counts_by_hand() -> None:
    risk = record_risk(
        signals(
            [0, 1, 2, 30, 70, 5],
            [False, True, True, False, False, False],
            [False, False, False, True, False, False],
        )
    )
    assert (risk.worst_covered, risk.linked_top1, risk.reconstructed) == (2, 2, 1)
    assert risk.at_risk == 4  # rows 0, 1, 2 and 3
    assert risk.cloaking_histogram["0"] == 1
    assert risk.cloaking_histogram["20-49"] == 1
    assert risk.cloaking_histogram["50+"] == 1
    assert sum(risk.cloaking_histogram.values()) == 6
    assert risk.remedies == []  # neither k nor the table given: nothing to advise from


def test_a_record_random_draws_rebuild_too_is_not_at_risk_by_reconstruction() -> None:
    rebuilt = [True, True, False, True]
    chance = np.array([True, False, True, False], dtype=np.bool_)
    found = RecordSignals(
        local_cloaking=np.array([9, 9, 9, 1], dtype=np.int64),
        linked_top1=np.zeros(4, dtype=np.bool_),
        reconstructed=np.array(rebuilt, dtype=np.bool_),
        linkage_targets=4,
        chance_rows=chance,
    )
    risk = record_risk(found)
    # Row 0: rebuilt, but so by chance; row 1: rebuilt beyond chance; row 3: worst covered.
    assert (risk.reconstructed, risk.reconstructed_beyond_chance, risk.at_risk) == (3, 2, 2)
    np.testing.assert_array_equal(found.at_risk, [False, True, False, True])
    with pytest.raises(ValueError, match="chance_rows has 2 entries"):
        RecordSignals(found.local_cloaking, found.linked_top1, found.reconstructed, 4, chance[:2])


def test_nobody_at_risk_needs_no_remedy() -> None:
    risk = record_risk(signals([9, 12], [False, False], [False, False]), k=5)
    assert risk.at_risk == 0 and risk.remedies == []


def test_raise_k_measured_picks_the_fewest_at_risk() -> None:
    base = signals([0, 0, 0, 9], [False] * 4, [False] * 4)
    measured = record_risk(base, k=5, measured_k={10: 2, 20: 1, 40: 1})
    remedy = measured.remedies[0]
    assert (remedy.action, remedy.k, remedy.at_risk_after) == ("raise_k", 20, 1)
    assert "measured" in remedy.advice
    guessed = record_risk(base, k=5).remedies[0]
    assert (guessed.k, guessed.at_risk_after) == (10, None)
    assert "not measured" in guessed.advice
    useless = record_risk(base, k=5, measured_k={10: 3}).remedies[0]
    assert "did not help" in useless.advice


def test_the_column_that_makes_records_unique_is_named() -> None:
    """Coarse columns shared by many rows, and a code that alone tells them apart."""
    rng = np.random.default_rng(0)
    rows = 400
    table = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], rows),
            "band": rng.choice(["young", "old"], rows),
            "postcode": [f"P{i:04d}" for i in rng.permutation(rows)],
        }
    )
    at_risk = np.ones(rows, dtype=np.bool_)
    (remedy,) = column_remedies(table, at_risk)
    assert (remedy.action, remedy.column, remedy.records_helped) == (
        "drop_column",
        "postcode",
        rows,
    )
    assert column_remedies(table, np.zeros(rows, dtype=np.bool_)) == []


def test_the_numeric_column_to_coarsen_is_named() -> None:
    """Two numbers in deciles make most rows unique; quartiles of one merge many of them."""
    rng = np.random.default_rng(1)
    rows = 120
    table = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], rows),
            "age": rng.integers(18, 90, rows),
            "income": rng.normal(30_000, 8_000, rows).round(),
        }
    )
    at_risk = np.ones(rows, dtype=np.bool_)
    remedies = {remedy.action: remedy for remedy in column_remedies(table, at_risk)}
    coarsen = remedies["coarsen_column"]
    assert coarsen.column in {"age", "income"} and (coarsen.records_helped or 0) > 0
    assert remedies["drop_column"].column in {"age", "income"}
    assert (remedies["drop_column"].records_helped or 0) >= (coarsen.records_helped or 0)


def test_wbcd_end_to_end_reports_no_value(wbcd: pd.DataFrame) -> None:
    avatars = avatars_of(wbcd, 2)
    found = record_signals(wbcd, avatars, seed=0)
    risk = record_risk(found, original=wbcd, k=2, measured_k=at_risk_by_k(wbcd, [20], seed=1))
    assert risk.n == len(wbcd)
    beyond = risk.reconstructed_beyond_chance
    assert beyond is not None and 0 < beyond < risk.reconstructed
    assert max(risk.worst_covered, risk.linked_top1, beyond) <= risk.at_risk
    assert risk.reconstructed_by_chance is not None
    assert 0 < risk.reconstructed_by_chance < risk.reconstructed
    # A record drawn column by column rebuilds some of those the attack rebuilds: they are
    # what the rule grants on this dense table, not what the avatars give away.
    assert risk.reconstructed - beyond <= risk.reconstructed_by_chance
    assert risk.at_risk <= risk.worst_covered + risk.linked_top1 + beyond
    assert {remedy.action for remedy in risk.remedies} >= {"raise_k", "drop_column"}
    assert all(column in wbcd.columns for column in _named_columns(risk.as_dict()))
    (raise_k,) = [remedy for remedy in risk.remedies if remedy.action == "raise_k"]
    assert raise_k.k == 20 and raise_k.at_risk_after is not None


def test_messy_table_summary_holds_no_cell_value(mixed: pd.DataFrame) -> None:
    table = mixed.assign(email=[f"person{i}@example.org" for i in range(len(mixed))])
    avatars = avatars_of(table, 3)
    risk = record_risk(record_signals(table, avatars, seed=0), original=table, k=3)
    text = json.dumps(risk.as_dict())
    values = {str(v) for name in ("email", "city", "visit") for v in table[name].dropna()}
    assert not any(value in text for value in values)
    assert risk.at_risk > 0
    assert risk.remedies[0].action == "raise_k" and risk.remedies[0].k == 6


def _named_columns(summary: dict[str, object]) -> list[str]:
    remedies = summary["remedies"]
    assert isinstance(remedies, list)
    return [remedy["column"] for remedy in remedies if "column" in remedy]


def test_bad_inputs_are_refused(iris: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="one entry per original"):
        signals([0, 1], [False], [False, True])
    with pytest.raises(ValueError, match="negative"):
        signals([-1], [False], [False])
    with pytest.raises(ValueError, match="at least one original"):
        signals([], [], [])
    with pytest.raises(ValueError, match="rows"):
        record_risk(signals([0, 1], [False, False], [False, False]), original=iris, k=3)
    with pytest.raises(ValueError, match="one entry per original"):
        column_remedies(iris, np.ones(3, dtype=np.bool_))
    with pytest.raises(ValueError, match="one row per original"):
        record_signals(iris, avatars_of(iris, 5).iloc[:-1], seed=0)
