"""Metrics of linked tables on the clinic (patient, doctor, visit): which computations run, the
person-level hidden rate, what a link keeps, and the summary value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.linked_metrics import (
    LinkedTables,
    MetricView,
    Relation,
    privacy_views,
    relation_utility,
    signal_views,
    summary_table,
    summary_value,
)
from avatar_server.engine.privacy import privacy_metrics
from avatar_server.engine.results import MetricResult, metric_result, to_official_dicts
from avatar_server.engine.signal import signal_metrics

RELATIONS = [
    Relation("patient", "visit", "patient_id", "linear_sum_assignment"),
    Relation("doctor", "visit", "doctor_id", "minimum_distance_assignment"),
]
INDIVIDUAL = {"patient": True, "doctor": True, "visit": False}
ParentRows = dict[tuple[str, str], np.ndarray[Any, Any]]


@pytest.fixture(scope="module")
def clinic(shared_data: Path) -> tuple[dict[str, pd.DataFrame], ParentRows]:
    """The tables without their keys, and each visit's patient and doctor row."""
    patient = pd.read_csv(shared_data / "patient.csv")
    doctor = pd.read_csv(shared_data / "doctor.csv")
    visit = pd.read_csv(shared_data / "visit.csv")
    rows: ParentRows = {
        ("visit", "patient_id"): pd.Index(patient["p_id"]).get_indexer(visit["patient_id"]),
        ("visit", "doctor_id"): pd.Index(doctor["d_id"]).get_indexer(visit["doctor_id"]),
    }
    assert all((r >= 0).all() for r in rows.values())
    tables = {
        "patient": patient.drop(columns="p_id"),
        "doctor": doctor.drop(columns="d_id"),
        "visit": visit.drop(columns=["visit_id", "patient_id", "doctor_id"]),
    }
    return tables, rows


def identity(clinic: tuple[dict[str, pd.DataFrame], ParentRows]) -> LinkedTables:
    """Avatars equal to the originals, attached as the originals are."""
    tables, rows = clinic
    avatars = {name: table.copy() for name, table in tables.items()}
    return LinkedTables(tables, avatars, rows, dict(rows), RELATIONS, INDIVIDUAL)


def random_group(clinic: tuple[dict[str, pd.DataFrame], ParentRows], seed: int) -> LinkedTables:
    """Avatars that are the original rows shuffled (each avatar descends from someone else),
    attached to random parents."""
    tables, rows = clinic
    rng = np.random.default_rng(seed)
    avatars = {
        name: table.iloc[rng.permutation(len(table))].reset_index(drop=True)
        for name, table in tables.items()
    }
    attached = {
        ("visit", "patient_id"): rng.integers(0, len(tables["patient"]), len(tables["visit"])),
        ("visit", "doctor_id"): rng.integers(0, len(tables["doctor"]), len(tables["visit"])),
    }
    return LinkedTables(tables, avatars, rows, attached, RELATIONS, INDIVIDUAL)


def computations(views: dict[str, list[MetricView]]) -> dict[str, list[tuple[str, str]]]:
    return {
        table: [(view.computation_type, view.reference) for view in entries]
        for table, entries in views.items()
    }


def hidden_rate(view: MetricView, **options: Any) -> float:
    results = {r.name: r for r in privacy_metrics(view.original, view.avatars, **options)}
    value = results["hidden_rate"].value
    assert value is not None
    return value


# --- which computations ---------------------------------------------------------------------


def test_the_clinic_gets_the_computations_of_the_reference(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    group = identity(clinic)
    assert computations(privacy_views(group)) == {
        "patient": [("standalone", "patient"), ("to_top_enriched", "visit")],
        "doctor": [("standalone", "doctor"), ("to_top_enriched", "visit")],
        "visit": [
            ("to_bottom_id_propagated", "patient"),
            ("full_enriched", "patient"),
            ("to_bottom_id_propagated", "doctor"),
            ("full_enriched", "doctor"),
        ],
    }
    assert computations(signal_views(group)) == {
        "patient": [("standalone", "patient"), ("to_top_enriched", "visit")],
        "doctor": [("standalone", "doctor"), ("to_top_enriched", "visit")],
        "visit": [
            ("standalone", "visit"),
            ("to_bottom_information_propagated", "patient"),
            ("to_bottom_information_propagated", "doctor"),
        ],
    }


def test_views_hold_the_enriched_columns_and_each_rows_person(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    tables, rows = clinic
    views = privacy_views(identity(clinic))
    doctor_top = views["doctor"][1]
    assert list(doctor_top.original.columns) == [
        "job", "age", "count(visit)", "mode(visit.day_visit)", "mode(visit.exam)",
    ]  # fmt: skip
    # Children counts and modes, computed here by pandas on the raw files.
    visit = tables["visit"].assign(doctor=rows[("visit", "doctor_id")])
    counts = visit.groupby("doctor").size()
    assert doctor_top.original["count(visit)"].tolist() == counts.tolist()
    pediatricians = tables["doctor"]["job"] == "pediatrician"
    exams = doctor_top.original.loc[pediatricians, "mode(visit.exam)"]
    assert set(exams) == {"pediatrics", "routine_check"}
    assert list(doctor_top.avatars.columns) == list(doctor_top.original.columns)

    full = views["visit"][1]
    assert (full.computation_type, full.reference) == ("full_enriched", "patient")
    assert list(full.original.columns) == [
        "day_visit", "exam", "patient.gender", "patient.height", "patient.age", "patient.weight",
    ]  # fmt: skip
    assert full.persons is not None
    assert np.array_equal(full.persons, rows[("visit", "patient_id")])
    heights = tables["patient"]["height"].to_numpy()[rows[("visit", "patient_id")]]
    assert np.array_equal(full.original["patient.height"].to_numpy(), heights)


def test_the_avatar_side_is_joined_through_the_avatar_assignment(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    group = random_group(clinic, seed=3)
    full = privacy_views(group)["visit"][3]
    assert (full.computation_type, full.reference) == ("full_enriched", "doctor")
    attached = group.avatar_parent_rows[("visit", "doctor_id")]
    jobs = group.avatars["doctor"]["job"].to_numpy()[attached]
    assert np.array_equal(full.avatars["doctor.job"].to_numpy(), jobs)
    top = privacy_views(group)["patient"][1]
    assert (
        top.avatars["count(visit)"].tolist()
        == np.bincount(group.avatar_parent_rows[("visit", "patient_id")], minlength=130).tolist()
    )


def test_a_chain_reaches_its_individual_level_table_through_the_middle_table() -> None:
    rng = np.random.default_rng(0)
    people = pd.DataFrame({"age": rng.normal(50, 10, 20)})
    stays = pd.DataFrame({"ward": rng.choice(["a", "b"], 40)})
    drugs = pd.DataFrame({"dose": rng.normal(5, 1, 100)})
    stay_person = rng.integers(0, 20, 40)
    drug_stay = rng.integers(0, 40, 100)
    rows: ParentRows = {("stays", "person_id"): stay_person, ("drugs", "stay_id"): drug_stay}
    tables = {"people": people, "stays": stays, "drugs": drugs}
    group = LinkedTables(
        tables,
        {name: table.copy() for name, table in tables.items()},
        rows,
        dict(rows),
        [
            Relation("people", "stays", "person_id", "linear_sum_assignment"),
            Relation("stays", "drugs", "stay_id", "linear_sum_assignment"),
        ],
        {"people": True, "stays": False, "drugs": False},
    )
    views = privacy_views(group)
    assert computations(views)["drugs"] == [
        ("to_bottom_id_propagated", "people"),
        ("full_enriched", "people"),
    ]
    drug_view = views["drugs"][1]
    assert drug_view.persons is not None
    assert np.array_equal(drug_view.persons, stay_person[drug_stay])
    assert list(drug_view.original.columns) == ["dose", "people.age"]
    assert computations(views)["people"] == [("standalone", "people"), ("to_top_enriched", "stays")]
    assert computations(views)["stays"][0] == ("to_bottom_id_propagated", "people")
    # A childless individual-level table would repeat its standalone view: only that one.
    alone = LinkedTables(
        tables, group.avatars, rows, dict(rows), group.relations,
        {"people": True, "stays": False, "drugs": True},
    )  # fmt: skip
    assert computations(privacy_views(alone))["drugs"] == [("standalone", "drugs")]
    orphaned = LinkedTables(
        tables, group.avatars, rows, dict(rows), group.relations, {"people": False}
    )
    with pytest.raises(ValueError, match="table 'people' has no parent and is not individual"):
        privacy_views(orphaned)


# --- person-level hidden rate ---------------------------------------------------------------


def test_identity_avatars_hide_nobody_and_random_ones_hide_everybody(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    for view in [v for views in privacy_views(identity(clinic)).values() for v in views]:
        rate = hidden_rate(view, persons=view.persons)
        if view.computation_type == "to_bottom_id_propagated":
            # A visit's day and exam alone single out nobody: dozens of visits share them.
            # Yet finding another visit of the same patient counts as found, so the
            # person-level rate is below the row-level one.
            assert rate < hidden_rate(view) - 1, view.reference
        else:
            assert rate == 0, (view.table_name, view.computation_type)
    for view in [v for views in privacy_views(random_group(clinic, 1)).values() for v in views]:
        assert hidden_rate(view, persons=view.persons) > 95, (view.table_name, view.reference)


def test_one_person_per_row_gives_the_row_level_hidden_rate(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    view = privacy_views(random_group(clinic, 2))["visit"][1]
    rows = np.arange(len(view.original))
    # Ties included: the tied share of the row-level rule is the person-level one.
    assert hidden_rate(view, persons=rows) == pytest.approx(hidden_rate(view))
    noisy = view.avatars.copy()
    noisy["patient.height"] = view.original["patient.height"] + 1.0
    close = MetricView("visit", "full_enriched", "patient", view.original, noisy, view.persons)
    assert hidden_rate(close, persons=rows) == pytest.approx(hidden_rate(close))


def test_a_person_found_through_another_of_their_rows_is_not_hidden() -> None:
    original = pd.DataFrame({"x": [float(v) for v in range(0, 110, 10)]})
    # Avatar i sits on original i + 1 when both belong to one person (rows 0-1, 2-3, ...).
    avatars = original.copy()
    persons = np.arange(11) // 2
    for first in range(0, 10, 2):
        avatars.iloc[[first, first + 1]] = original.iloc[[first + 1, first]].to_numpy()
    row_level = {r.name: r for r in privacy_metrics(original, avatars)}
    person_level = {r.name: r for r in privacy_metrics(original, avatars, persons=persons)}
    assert row_level["hidden_rate"].value == pytest.approx(100 * 10 / 11)
    assert person_level["hidden_rate"].value == 0
    assert person_level["hidden_rate"].details["level"] == "person"
    assert person_level["hidden_rate"].details["persons"] == 6
    # The other metrics stay row-level.
    assert person_level["local_cloaking"] == row_level["local_cloaking"]


def test_persons_must_name_one_person_per_row() -> None:
    table = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="one person per original row: 3 rows, 2 persons"):
        privacy_metrics(table, table, persons=np.array([0, 1]))
    with pytest.raises(ValueError, match="1 missing entries"):
        privacy_metrics(table, table, persons=np.array([0.0, np.nan, 1.0]))


# --- relations ------------------------------------------------------------------------------


def association(utility: dict[str, Any], parent: str, child: str) -> dict[str, Any]:
    pairs = utility["association"]["pairs"]
    return next(p for p in pairs if (p["parent_column"], p["child_column"]) == (parent, child))


def test_relation_utility_on_identity_keeps_everything(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    group = identity(clinic)
    doctor = relation_utility(group, RELATIONS[1])
    json.dumps(doctor, allow_nan=False)
    assert (doctor["parent"], doctor["child"], doctor["child_key"]) == (
        "doctor", "visit", "doctor_id",
    )  # fmt: skip
    assert doctor["method"] == "minimum_distance_assignment" and not doctor["sensitive"]
    assert doctor["integrity"]["orphan_avatar_rows"] == 0 and doctor["integrity"]["ok"]
    job_exam = association(doctor, "job", "exam")
    assert job_exam["measure"] == "cramers_v"
    assert job_exam["original"] == pytest.approx(0.74, abs=0.005)
    assert job_exam["avatars"] == job_exam["original"] and job_exam["difference"] == 0
    assert association(doctor, "age", "exam")["measure"] == "correlation_ratio"
    cardinality = doctor["cardinality"]
    assert cardinality["hellinger"] == 0
    assert cardinality["original"]["mean"] == pytest.approx(6.0)
    assert cardinality["original"]["sd"] == pytest.approx(2.39, abs=0.005)
    assert (cardinality["original"]["min"], cardinality["original"]["max"]) == (1, 11)
    patient = relation_utility(group, RELATIONS[0])["cardinality"]
    assert patient["original"]["mean"] == pytest.approx(2.31, abs=0.005)
    assert patient["original"]["sd"] == pytest.approx(1.17, abs=0.005)
    assert patient["histogram"]["bins"] == ["1", "2", "3", "4", "5", "6"]
    assert patient["histogram"]["original"] == [38, 43, 26, 18, 4, 1]
    height = association(relation_utility(group, RELATIONS[0]), "height", "exam")
    assert height["measure"] == "correlation_ratio"


def test_random_reattachment_loses_the_cross_table_association(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    tables, rows = clinic
    rng = np.random.default_rng(0)
    # Random slots: the same children counts, shuffled among the visits.
    slots = {key: rng.permutation(value) for key, value in rows.items()}
    avatars = {name: table.copy() for name, table in tables.items()}
    group = LinkedTables(tables, avatars, rows, slots, RELATIONS, INDIVIDUAL)
    doctor = relation_utility(group, RELATIONS[1])
    job_exam = association(doctor, "job", "exam")
    assert job_exam["original"] == pytest.approx(0.74, abs=0.005)
    assert job_exam["avatars"] < 0.15
    assert job_exam["difference"] > 0.55
    assert doctor["cardinality"]["hellinger"] == 0  # the slots keep the counts
    # Uniform random parents change the counts too.
    uniform = random_group(clinic, seed=4)
    cardinality = relation_utility(uniform, RELATIONS[1])["cardinality"]
    assert cardinality["hellinger"] > 0.1
    assert cardinality["avatars"]["children"] == 300


def test_orphan_avatar_children_break_integrity(
    clinic: tuple[dict[str, pd.DataFrame], ParentRows],
) -> None:
    tables, rows = clinic
    broken = dict(rows)
    attached = rows[("visit", "doctor_id")].astype("float64")
    attached[:3] = [50, -1, np.nan]  # out of range, negative, none
    broken[("visit", "doctor_id")] = attached
    group = LinkedTables(tables, dict(tables), rows, broken, RELATIONS, INDIVIDUAL)
    integrity = relation_utility(group, RELATIONS[1])["integrity"]
    assert integrity["orphan_avatar_rows"] == 3 and not integrity["ok"]
    assert relation_utility(group, RELATIONS[1])["cardinality"]["avatars"]["children"] == 297


def test_wide_tables_give_a_bounded_output() -> None:
    from avatar_server.engine.linked_relations import MAX_ASSOCIATION_COLUMNS

    rng = np.random.default_rng(0)
    parent = pd.DataFrame(rng.normal(size=(30, 25)), columns=[f"p{i}" for i in range(25)])
    child = pd.DataFrame(rng.normal(size=(90, 30)), columns=[f"c{i}" for i in range(30)])
    # Up to 89 children on one parent: whole counts pooled in at most 30 bins.
    attach = np.concatenate([np.zeros(60, dtype=int), rng.integers(0, 30, 30)])
    rows: ParentRows = {("c", "p_id"): attach}
    relation = Relation("p", "c", "p_id", "linear_sum_assignment")
    group = LinkedTables(
        {"p": parent, "c": child}, {"p": parent, "c": child}, rows, dict(rows), [relation],
        {"p": True, "c": False},
    )  # fmt: skip
    utility = relation_utility(group, relation)
    assert len(utility["association"]["pairs"]) == MAX_ASSOCIATION_COLUMNS**2
    left_out = utility["association"]["columns_left_out"]
    assert left_out == {"parent": [f"p{i}" for i in range(20, 25)],
                        "child": [f"c{i}" for i in range(20, 30)]}  # fmt: skip
    histogram = utility["cardinality"]["histogram"]
    assert len(histogram["bins"]) <= 30 and sum(histogram["original"]) == 30
    assert len(utility["cardinality"]["plot"]["edges"]) == len(histogram["bins"]) + 1


# --- summaries ------------------------------------------------------------------------------


def results(*entries: tuple[str, float | None, str | None]) -> list[MetricResult]:
    return [metric_result(name, value, target, {}) for name, value, target in entries]


def test_summary_value_is_the_share_of_judged_metrics_meeting_their_target() -> None:
    three_of_four = to_official_dicts(
        results(
            ("hidden_rate", 95.0, "> 90"),
            ("local_cloaking", 2.0, "> 5"),
            ("distance_to_closest", 0.5, "> 0.2"),
            ("closest_distances_ratio", 0.4, "> 0.3"),
            ("correlation_protection_rate", None, "> 95"),  # not computed: left out
        ),
        "visit",
        computation_type="full_enriched",
        reference="patient",
    )
    assert summary_value(three_of_four) == 75.0
    signal = to_official_dicts(
        results(
            ("hellinger_mean", 0.05, "< 0.1"),
            ("hellinger_std", 0.02, None),  # no target: left out
            ("correlation_difference_ratio", 12.0, "< 10"),
        ),
        "visit",
    )
    assert summary_value(signal) == 50.0
    assert summary_value(to_official_dicts(results(("hellinger_std", 0.1, None)), "t")) is None
    assert summary_value([]) is None


def test_official_dicts_name_their_computation_only_when_given() -> None:
    single = to_official_dicts(results(("hidden_rate", 95.0, "> 90")), "patients")
    assert single[0]["metadata"] == {"table_name": "patients", "computation_type": "standalone"}
    linked = to_official_dicts(
        results(("hidden_rate", 95.0, "> 90")),
        "visit",
        computation_type="to_bottom_id_propagated",
        reference="doctor",
    )
    assert linked[0]["metadata"] == {
        "table_name": "visit",
        "computation_type": "to_bottom_id_propagated",
        "reference": "doctor",
    }


def test_summary_table_of_the_clinic(clinic: tuple[dict[str, pd.DataFrame], ParentRows]) -> None:
    group = random_group(clinic, seed=5)
    privacy: dict[str, list[dict[str, Any]]] = {}
    for table, views in privacy_views(group).items():
        privacy[table] = [
            entry
            for view in views
            for entry in to_official_dicts(
                privacy_metrics(view.original, view.avatars, persons=view.persons),
                table,
                computation_type=view.computation_type,
                reference=view.reference,
            )
        ]
    summary = summary_table(privacy)
    assert {table: set(values) for table, values in summary.items()} == {
        "patient": {"patient", "visit"},
        "doctor": {"doctor", "visit"},
        "visit": {"patient", "doctor"},
    }
    by_view = {
        (e["metadata"]["computation_type"], e["metadata"]["reference"]): summary_value([e])
        for e in privacy["visit"]
    }
    for reference in ("patient", "doctor"):
        pair = [by_view[(kind, reference)] for kind in ("to_bottom_id_propagated",
                                                        "full_enriched")]  # fmt: skip
        assert summary["visit"][reference] == min(v for v in pair if v is not None)
    for per_reference in summary.values():
        assert all(v is None or 0 <= v <= 100 for v in per_reference.values())
    signal = {
        table: [
            entry
            for view in views
            for entry in to_official_dicts(
                signal_metrics(view.original, view.avatars),
                table,
                computation_type=view.computation_type,
                reference=view.reference,
            )
        ]
        for table, views in signal_views(group).items()
    }
    assert set(summary_table(signal)["visit"]) == {"visit", "patient", "doctor"}


def test_children_modes_match_a_per_group_count() -> None:
    from avatar_server.engine.linked_metrics import _mode

    rng = np.random.default_rng(0)
    values = pd.Series(
        rng.choice(np.array(["b", "a", "c", None], dtype=object), 2000, p=[0.3, 0.3, 0.3, 0.1])
    )
    parents = rng.integers(0, 300, 2000)
    parents[parents == 7] = 8  # parent 7 has no child
    modes = _mode(values, parents, 301)
    for parent in range(301):
        counts = values[parents == parent].value_counts()
        if counts.empty:
            assert modes[parent] is None
            continue
        best = counts[counts == counts.max()].index
        assert modes[parent] == sorted(best)[0], parent  # ties: the first as text
