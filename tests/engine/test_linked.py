"""Linked tables avatarized together: the clinic (patients, doctors, their visits) and generated
chains, diamonds and childless parents.

The clinic's cross-table signal is that pediatrics visits happen only with pediatricians and
vaccines only with general practitioners (Cramér's V(doctor job, visit exam) = 0.74); children
re-attached at random keep about 0.04 of it, and 7 of the 42 pediatrics visits on a pediatrician.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.axes import MOST_AXES
from avatar_server.engine.keys import fresh_keys
from avatar_server.engine.link_assignment import (
    assignment_cost,
    greedy_assignment,
    optimal_assignment,
)
from avatar_server.engine.link_space import ParentSpace
from avatar_server.engine.linked import (
    LINK_METHODS,
    LINKED_FEATURES,
    LinkedTableResult,
    LinkMethodName,
    Relation,
    TableInput,
    avatarize_group,
)
from avatar_server.engine.progress import Cancelled
from avatar_server.engine.quotas import rank_matched_quotas

ASSIGNMENTS: tuple[LinkMethodName, ...] = (
    "linear_sum_assignment",
    "minimum_distance_assignment",
)
ORIGINAL_V = 0.74


def positions(keys: pd.Series, foreign: pd.Series) -> np.ndarray[Any, Any]:
    """Each foreign key's row position among ``keys``."""
    index = pd.Index(keys)
    found = index.get_indexer(foreign)
    assert (found >= 0).all()
    return np.asarray(found, dtype=np.int64)


@pytest.fixture(scope="module")
def clinic(shared_data: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(shared_data / f"{name}.csv") for name in ("patient", "doctor", "visit")
    }


def clinic_group(
    clinic: dict[str, pd.DataFrame], method: LinkMethodName
) -> tuple[list[TableInput], list[Relation]]:
    patient, doctor, visit = clinic["patient"], clinic["doctor"], clinic["visit"]
    tables = [
        TableInput("patient", patient.drop(columns="p_id"), {}, {"k": 10}),
        TableInput("doctor", doctor.drop(columns="d_id"), {}, {"k": 5}),
        TableInput(
            "visit",
            visit.drop(columns=["visit_id", "patient_id", "doctor_id"]),
            {
                "patient_id": positions(patient["p_id"], visit["patient_id"]),
                "doctor_id": positions(doctor["d_id"], visit["doctor_id"]),
            },
            {"k": 10},
        ),
    ]
    relations = [
        Relation("patient", "visit", "patient_id", method),
        Relation("doctor", "visit", "doctor_id", method),
    ]
    return tables, relations


def cramers_v(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    table = pd.crosstab(a, b).to_numpy(dtype=float)
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def sorted_counts(rows: np.ndarray[Any, Any], parents: int) -> list[int]:
    return sorted(np.bincount(rows, minlength=parents).tolist())


def job_of_visits(results: dict[str, LinkedTableResult]) -> np.ndarray[Any, Any]:
    doctors = results["doctor"].result.unshuffled
    return np.asarray(doctors["job"].to_numpy()[results["visit"].parent_rows["doctor_id"]])


@pytest.mark.parametrize("method", LINK_METHODS)
def test_every_foreign_key_resolves_to_a_parent_avatar(
    clinic: dict[str, pd.DataFrame], method: LinkMethodName
) -> None:
    tables, relations = clinic_group(clinic, method)
    results = avatarize_group(tables, relations, seed=1)
    assert set(results) == {"patient", "doctor", "visit"}
    sizes = {"patient_id": len(clinic["patient"]), "doctor_id": len(clinic["doctor"])}
    visit = results["visit"]
    assert set(visit.parent_rows) == set(sizes)
    for key, parents in sizes.items():
        rows = visit.parent_rows[key]
        assert rows.shape == (len(clinic["visit"]),)
        assert np.issubdtype(rows.dtype, np.integer)
        assert rows.min() >= 0 and rows.max() < parents
    for table in tables:
        result = results[table.name].result
        # Own columns only: no count, summary or parent column reaches the output.
        assert list(result.unshuffled.columns) == list(table.data.columns)
        assert list(result.shuffled.columns) == list(table.data.columns)
        assert result.shuffle_order is not None
        pd.testing.assert_frame_equal(
            result.shuffled,
            result.unshuffled.iloc[result.shuffle_order].reset_index(drop=True),
        )
    assert visit.sensitive is (method == "sensitive_original_order_assignment")
    assert not results["patient"].sensitive and not results["doctor"].sensitive


@pytest.mark.parametrize("method", ASSIGNMENTS)
def test_default_quotas_keep_the_children_per_parent_distribution_exactly(
    clinic: dict[str, pd.DataFrame], method: LinkMethodName
) -> None:
    tables, relations = clinic_group(clinic, method)
    results = avatarize_group(tables, relations, seed=3)
    visit = tables[2]
    for key, parents in (("patient_id", 130), ("doctor_id", 50)):
        original = sorted_counts(visit.parent_rows[key], parents)
        assert sorted_counts(results["visit"].parent_rows[key], parents) == original
    # Not a copy of the original graph: the avatar visits of one patient are other visits.
    copied = results["visit"].parent_rows["patient_id"] == visit.parent_rows["patient_id"]
    assert copied.mean() < 0.2


@pytest.mark.parametrize("method", ASSIGNMENTS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_link_keeps_the_association_between_doctor_job_and_visit_exam(
    clinic: dict[str, pd.DataFrame], method: LinkMethodName, seed: int
) -> None:
    visit = clinic["visit"]
    original_job = clinic["doctor"]["job"].to_numpy()[
        positions(clinic["doctor"]["d_id"], visit["doctor_id"])
    ]
    assert cramers_v(original_job, visit["exam"].to_numpy()) == pytest.approx(ORIGINAL_V, abs=0.01)
    tables, relations = clinic_group(clinic, method)
    results = avatarize_group(tables, relations, seed=seed)
    exam = results["visit"].result.unshuffled["exam"].to_numpy()
    job = job_of_visits(results)
    assert cramers_v(job, exam) == pytest.approx(ORIGINAL_V, abs=0.1)
    pediatrics = exam == "pediatrics"
    assert (job[pediatrics] == "pediatrician").mean() >= 0.8
    # The signal is carried by the link: the same avatars attached at random lose it.
    shuffled_job = np.random.default_rng(seed).permutation(job)
    assert cramers_v(shuffled_job, exam) < 0.3


def test_sensitive_order_copies_the_original_graph(clinic: dict[str, pd.DataFrame]) -> None:
    tables, relations = clinic_group(clinic, "sensitive_original_order_assignment")
    results = avatarize_group(tables, relations, seed=0)
    for key in ("patient_id", "doctor_id"):
        np.testing.assert_array_equal(results["visit"].parent_rows[key], tables[2].parent_rows[key])
    warnings = results["visit"].result.warnings
    assert any("visit.doctor_id was re-attached to doctor in original order" in w for w in warnings)


def test_same_seed_same_outputs_other_seed_other_outputs(clinic: dict[str, pd.DataFrame]) -> None:
    tables, relations = clinic_group(clinic, "linear_sum_assignment")
    first = avatarize_group(tables, relations, seed=11)
    again = avatarize_group(tables, relations, seed=11)
    other = avatarize_group(tables, relations, seed=12)
    for name in first:
        pd.testing.assert_frame_equal(first[name].result.shuffled, again[name].result.shuffled)
        for key, rows in first[name].parent_rows.items():
            np.testing.assert_array_equal(rows, again[name].parent_rows[key])
    assert not first["visit"].result.unshuffled.equals(other["visit"].result.unshuffled)
    assert not np.array_equal(
        first["visit"].parent_rows["patient_id"], other["visit"].parent_rows["patient_id"]
    )


def test_a_group_of_one_table_is_plain_avatarize(wbcd: pd.DataFrame) -> None:
    data = wbcd.drop(columns=["Class"])
    results = avatarize_group([TableInput("wbcd", data, {}, {"k": 10})], [], seed=5)
    plain = avatarize(data, k=10, seed=5)
    pd.testing.assert_frame_equal(results["wbcd"].result.unshuffled, plain.unshuffled)
    pd.testing.assert_frame_equal(results["wbcd"].result.shuffled, plain.shuffled)
    assert results["wbcd"].parent_rows == {}
    assert results["wbcd"].sensitive is False


def test_progress_grows_to_one_and_a_raise_cancels(clinic: dict[str, pd.DataFrame]) -> None:
    tables, relations = clinic_group(clinic, "linear_sum_assignment")
    seen: list[tuple[str, float]] = []
    avatarize_group(tables, relations, seed=0, progress=lambda s, f: seen.append((s, f)))
    fractions = [fraction for _, fraction in seen]
    assert fractions == sorted(fractions)
    assert seen[-1] == ("done", 1.0)
    assert any(stage.startswith("visit: assign") for stage, _ in seen)

    def cancel(stage: str, _fraction: float) -> None:
        if stage.startswith("doctor"):
            raise Cancelled

    with pytest.raises(Cancelled):
        avatarize_group(tables, relations, seed=0, progress=cancel)


def test_batch_rows_reach_each_table(clinic: dict[str, pd.DataFrame]) -> None:
    tables, relations = clinic_group(clinic, "minimum_distance_assignment")
    results = avatarize_group(tables, relations, seed=0, batch_rows=150)
    assert results["visit"].result.batches == 2
    assert results["patient"].result.batches == 1


# --- generated groups ------------------------------------------------------------------------


def generated_table(rows: int, rng: np.random.Generator, signal: np.ndarray[Any, Any]) -> Any:
    """Two numbers and a category, all following ``signal`` (one value per row)."""
    return pd.DataFrame(
        {
            "x": np.round(signal + rng.normal(0, 0.3, rows), 3),
            "y": np.round(rng.normal(10, 2, rows), 2),
            "kind": np.where(signal + rng.normal(0, 0.5, rows) > 0, "high", "low"),
        }
    )


def children_of(
    parent_signal: np.ndarray[Any, Any], rows: int, rng: np.random.Generator, childless: float
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Parent positions of ``rows`` children (a share ``childless`` of parents gets none) and
    each child's signal, inherited from its parent."""
    parents = len(parent_signal)
    with_children = rng.permutation(parents)[: round(parents * (1 - childless))]
    weights = rng.gamma(2.0, 1.0, len(with_children))
    picks = rng.choice(with_children, size=rows - len(with_children), p=weights / weights.sum())
    parent_rows = rng.permutation(np.concatenate([with_children, picks]))
    return parent_rows, parent_signal[parent_rows] + rng.normal(0, 0.2, rows)


def test_chain_of_three_tables_keeps_each_level() -> None:
    rng = np.random.default_rng(0)
    a_signal = rng.normal(0, 1, 80)
    b_rows, b_signal = children_of(a_signal, 240, rng, childless=0.1)
    c_rows, c_signal = children_of(b_signal, 600, rng, childless=0.2)
    tables = [
        TableInput("a", generated_table(80, rng, a_signal), {}, {"k": 5}),
        TableInput("b", generated_table(240, rng, b_signal), {"a_id": b_rows}, {"k": 5}),
        TableInput("c", generated_table(600, rng, c_signal), {"b_id": c_rows}, {"k": 5}),
    ]
    relations = [
        Relation("a", "b", "a_id", "linear_sum_assignment"),
        Relation("b", "c", "b_id", "minimum_distance_assignment"),
    ]
    results = avatarize_group(tables, relations, seed=4)
    assert sorted_counts(results["b"].parent_rows["a_id"], 80) == sorted_counts(b_rows, 80)
    # B's avatars carry their own quotas for C (B was enriched with C's counts).
    assert sorted_counts(results["c"].parent_rows["b_id"], 240) == sorted_counts(c_rows, 240)
    # Childless parents stay childless in the same number: 10 % of A, 20 % of B.
    assert sorted_counts(results["b"].parent_rows["a_id"], 80).count(0) == 8
    assert sorted_counts(results["c"].parent_rows["b_id"], 240).count(0) == 48
    # The signal flows down the chain: a child's x follows its grandparent's x.
    a_x = results["a"].result.unshuffled["x"].to_numpy()
    c_x = results["c"].result.unshuffled["x"].to_numpy()
    grandparent = results["b"].parent_rows["a_id"][results["c"].parent_rows["b_id"]]
    original = tables[0].data["x"].to_numpy()[b_rows[c_rows]]
    assert np.corrcoef(tables[2].data["x"], original)[0, 1] > 0.8  # 0.87
    assert np.corrcoef(c_x, a_x[grandparent])[0, 1] > 0.6  # 0.72
    for table in tables:
        assert list(results[table.name].result.unshuffled.columns) == ["x", "y", "kind"]


def test_diamond_links_every_child_to_both_parents() -> None:
    rng = np.random.default_rng(1)
    a_signal = rng.normal(0, 1, 60)
    b_rows, b_signal = children_of(a_signal, 150, rng, childless=0.0)
    c_rows, c_signal = children_of(a_signal, 120, rng, childless=0.2)
    d_b_rows, d_signal = children_of(b_signal, 400, rng, childless=0.1)
    d_c_rows = rng.integers(0, 120, 400)
    tables = [
        TableInput("a", generated_table(60, rng, a_signal), {}, {"k": 5}),
        TableInput("b", generated_table(150, rng, b_signal), {"a_id": b_rows}, {"k": 5}),
        TableInput("c", generated_table(120, rng, c_signal), {"a_id": c_rows}, {"k": 5}),
        TableInput(
            "d",
            generated_table(400, rng, d_signal),
            {"b_id": d_b_rows, "c_id": d_c_rows},
            {"k": 8},
        ),
    ]
    relations = [
        Relation("a", "b", "a_id", "linear_sum_assignment"),
        Relation("a", "c", "a_id", "minimum_distance_assignment"),
        Relation("b", "d", "b_id", "linear_sum_assignment"),
        Relation("c", "d", "c_id", "sensitive_original_order_assignment"),
    ]
    results = avatarize_group(tables, relations, seed=2)
    assert sorted_counts(results["b"].parent_rows["a_id"], 60) == sorted_counts(b_rows, 60)
    assert sorted_counts(results["c"].parent_rows["a_id"], 60) == sorted_counts(c_rows, 60)
    assert sorted_counts(results["d"].parent_rows["b_id"], 150) == sorted_counts(d_b_rows, 150)
    np.testing.assert_array_equal(results["d"].parent_rows["c_id"], d_c_rows)
    assert results["d"].sensitive and not results["b"].sensitive and not results["c"].sensitive


def test_every_kind_of_column_on_both_sides_of_a_link(mixed: pd.DataFrame) -> None:
    """Numbers with gaps, text, booleans, date text and datetimes in the child (summarised for
    the parent) and in the parent (joined to each child, and the re-attachment space); column
    labels that are not text."""
    rng = np.random.default_rng(6)
    parents = mixed.sample(150, random_state=1).reset_index(drop=True)
    parents.columns = list(range(parents.shape[1]))
    parent_rows, _ = children_of(rng.normal(0, 1, 150), len(mixed), rng, childless=0.15)
    tables = [
        TableInput("parent", parents, {}, {"k": 5}),
        TableInput("child", mixed, {"parent_id": parent_rows}, {"k": 8}),
    ]
    for method in ASSIGNMENTS:
        relations = [Relation("parent", "child", "parent_id", method)]
        results = avatarize_group(tables, relations, seed=0)
        rows = results["child"].parent_rows["parent_id"]
        assert sorted_counts(rows, 150) == sorted_counts(parent_rows, 150)
        assert results["parent"].result.unshuffled.columns.equals(pd.Index(range(8)))
        assert list(results["child"].result.unshuffled.columns) == list(mixed.columns)
        assert results["child"].result.unshuffled.dtypes.equals(mixed.dtypes)


def test_warnings_name_parent_attributes_as_parent_dot_column() -> None:
    rng = np.random.default_rng(2)
    parents = pd.DataFrame(
        {"code": [f"c{i % 250}" for i in range(500)], "size": rng.normal(0, 1, 500)}
    )
    parent_rows, _ = children_of(rng.normal(0, 1, 500), 1000, rng, childless=0.1)
    children = pd.DataFrame({"amount": rng.normal(0, 1, 1000)})
    tables = [
        TableInput("shop", parents, {}, {"k": 5}),
        TableInput("sale", children, {"shop_id": parent_rows}, {"k": 5}),
    ]
    relations = [Relation("shop", "sale", "shop_id", "linear_sum_assignment")]
    warnings = avatarize_group(tables, relations, seed=0)["sale"].result.warnings
    assert any("shop.code (" in warning for warning in warnings), warnings
    assert not any("_link" in warning for warning in warnings), warnings


# --- assignment methods ----------------------------------------------------------------------


def brute_force_cost(
    parents: np.ndarray[Any, Any], quotas: np.ndarray[Any, Any], children: np.ndarray[Any, Any]
) -> float:
    slots = np.repeat(np.arange(len(parents)), quotas)
    return min(
        assignment_cost(parents, children, slots[list(order)])
        for order in itertools.permutations(range(len(slots)))
    )


@pytest.mark.parametrize("case", range(6))
def test_optimal_assignment_matches_brute_force_on_small_cases(case: int) -> None:
    rng = np.random.default_rng(case)
    parents = rng.normal(size=(4 if case % 2 else 6, 3))
    quotas = np.array([3, 0, 2, 1], dtype=np.int64) if case % 2 else np.ones(6, dtype=np.int64)
    children = rng.normal(size=(6, 3))
    assigned = optimal_assignment(parents, quotas, children)
    np.testing.assert_array_equal(np.bincount(assigned, minlength=len(parents)), quotas)
    best = brute_force_cost(parents, quotas, children)
    assert assignment_cost(parents, children, assigned) == pytest.approx(best)
    greedy = greedy_assignment(parents, quotas, children)
    np.testing.assert_array_equal(np.bincount(greedy, minlength=len(parents)), quotas)
    assert assignment_cost(parents, children, greedy) >= best - 1e-9


def test_optimal_cost_is_at_most_greedy_and_blocks_keep_quotas() -> None:
    rng = np.random.default_rng(3)
    parents = rng.normal(size=(400, 4))
    quotas = rng.multinomial(1500, np.full(400, 1 / 400)).astype(np.int64)
    children = rng.normal(size=(1500, 4))
    optimal = optimal_assignment(parents, quotas, children)
    greedy = greedy_assignment(parents, quotas, children)
    assert assignment_cost(parents, children, optimal) <= assignment_cost(parents, children, greedy)
    # Above the exact limit the problem is solved in blocks: quotas still hold exactly.
    many_quotas = rng.multinomial(5000, np.full(400, 1 / 400)).astype(np.int64)
    many = rng.normal(size=(5000, 4))
    blocked = optimal_assignment(parents, many_quotas, many, block_size=500)
    np.testing.assert_array_equal(np.bincount(blocked, minlength=400), many_quotas)
    blocked_greedy = greedy_assignment(parents, many_quotas, many)
    np.testing.assert_array_equal(np.bincount(blocked_greedy, minlength=400), many_quotas)
    random_cost = assignment_cost(parents, many, rng.permutation(blocked))
    assert assignment_cost(parents, many, blocked) < 0.8 * random_cost


def test_rank_matched_quotas_hand_out_the_original_counts_in_avatar_order() -> None:
    rng = np.random.default_rng(0)
    original = np.array([0, 1, 1, 2, 3, 5], dtype=np.int64)
    avatar_counts = np.array([2.4, 0.2, 4.1, 1.0, 1.0, 2.9])
    quotas = rank_matched_quotas(avatar_counts, original, rng)
    assert quotas.sum() == original.sum()
    assert sorted(quotas.tolist()) == sorted(original.tolist())
    assert quotas[2] == 5 and quotas[1] == 0 and quotas[5] == 3 and quotas[0] == 2
    assert sorted(quotas[[3, 4]].tolist()) == [1, 1]


def test_parent_space_keeps_the_first_ncp_axes_of_a_wide_parent() -> None:
    rng = np.random.default_rng(0)
    trait = rng.normal(size=(500, 1))
    wide = pd.DataFrame(trait + 0.1 * rng.normal(size=(500, 12)))
    wide["kind"] = np.where(trait[:, 0] > 0, "a", "b")
    assert ParentSpace.fit(wide.iloc[:, :3]).transform(wide).shape == (500, 3)
    space = ParentSpace.fit(wide)
    points = space.transform(wide)
    assert points.shape == (500, 5)
    # The first axis is the shared trait: it orders the parents as the trait does.
    assert abs(np.corrcoef(points[:, 0], trait[:, 0])[0, 1]) > 0.95
    assert ParentSpace.fit(wide, max_axes=2).transform(wide).shape == (500, 2)


# --- bad inputs ------------------------------------------------------------------------------


def test_bad_groups_are_refused_naming_the_table(clinic: dict[str, pd.DataFrame]) -> None:
    tables, relations = clinic_group(clinic, "linear_sum_assignment")
    with pytest.raises(ValueError, match="'patient' must come before its child 'visit'"):
        avatarize_group([tables[2], tables[0], tables[1]], relations, seed=0)
    visit = tables[2]
    with_key = TableInput(
        "visit",
        visit.data.assign(patient_id=clinic["visit"]["patient_id"]),
        visit.parent_rows,
        visit.options,
    )
    with pytest.raises(ValueError, match=r"'visit'.*'patient_id' is still among the columns"):
        avatarize_group([tables[0], tables[1], with_key], relations, seed=0)
    orphan_rows = dict(visit.parent_rows, doctor_id=visit.parent_rows["doctor_id"] + 10)
    orphan = TableInput("visit", visit.data, orphan_rows, visit.options)
    with pytest.raises(ValueError, match=r"'visit'.*row positions of 'doctor'"):
        avatarize_group([tables[0], tables[1], orphan], relations, seed=0)
    too_big = TableInput("doctor", tables[1].data, {}, {"k": 60})
    with pytest.raises(ValueError, match="table 'doctor': k=60"):
        avatarize_group([tables[0], too_big, visit], relations, seed=0)


# --- keys ------------------------------------------------------------------------------------


def test_fresh_integer_keys_are_new_unique_int64_and_seeded() -> None:
    original = pd.Series(np.arange(130), name="p_id")
    keys = fresh_keys(original, 130, seed=3)
    assert keys.dtype == np.int64 and keys.name == "p_id"
    assert keys.is_unique and len(keys) == 130
    assert not keys.isin(original).any()
    assert not keys.is_monotonic_increasing
    pd.testing.assert_series_equal(keys, fresh_keys(original, 130, seed=3))
    assert not keys.equals(fresh_keys(original, 130, seed=4))
    # Nothing of the originals' values: keys far from them are drawn the same.
    shifted = fresh_keys(original + 10**9, 130, seed=3)
    pd.testing.assert_series_equal(keys, shifted)
    more = fresh_keys(original, 1000, seed=3)
    assert more.is_unique and not more.isin(original).any()


def test_fresh_text_keys_stay_text() -> None:
    original = pd.Series([f"visit-{i}" for i in range(300)], name="visit_id")
    keys = fresh_keys(original, 300, seed=0)
    assert pd.api.types.is_string_dtype(keys.dtype)
    assert keys.is_unique and not keys.isin(original).any()
    assert keys.str.fullmatch(r"[0-9a-f]{16}").all()
    pd.testing.assert_series_equal(keys, fresh_keys(original, 300, seed=0))


def test_fresh_keys_refuse_kinds_that_cannot_be_keys() -> None:
    with pytest.raises(ValueError, match="'flag' holds booleans"):
        fresh_keys(pd.Series([True, False], name="flag"), 2, seed=0)
    with pytest.raises(ValueError, match="'score' holds non-integer numbers"):
        fresh_keys(pd.Series([1.5, 2.0], name="score"), 2, seed=0)


def test_contributions_name_own_columns_and_pool_the_linked_features(
    clinic: dict[str, pd.DataFrame],
) -> None:
    """A parent's projection also draws on features of its children (counts, summaries):
    the contribution plot shows them pooled under one name, and each axis still adds to 100."""
    tables, relations = clinic_group(clinic, "linear_sum_assignment")
    results = avatarize_group(tables, relations, seed=1)
    for table in tables:
        contributions = results[table.name].result.contributions
        assert contributions is not None
        names = [entry["name"] for entry in contributions["variables"]]
        own = [name for name in names if name != LINKED_FEATURES]
        assert own == [str(c) for c in table.data.columns], table.name
        shares = np.array([entry["contributions"] for entry in contributions["variables"]])
        assert np.allclose(shares.sum(axis=0), 100.0, atol=1e-3), table.name
    patient = results["patient"].result.contributions
    assert patient is not None and patient["variables"][-1]["name"] == LINKED_FEATURES


def test_a_linked_group_searches_on_the_method_s_axes_unless_told(
    clinic: dict[str, pd.DataFrame],
) -> None:
    """The axes rule (engine.axes) was measured on single tables only: a linked group's tables
    keep the method's 5 axes when no ncp is given, and a given ncp still takes effect."""
    tables, relations = clinic_group(clinic, "linear_sum_assignment")
    results = avatarize_group(tables, relations, seed=1)
    for table in tables:
        assert len(results[table.name].result.explained_variance_ratio) == MOST_AXES, table.name
    pinned = [
        replace(t, options=t.options | {"ncp": 3}) if t.name == "visit" else t for t in tables
    ]
    visit = avatarize_group(pinned, relations, seed=1)["visit"].result
    assert len(visit.explained_variance_ratio) == 3
