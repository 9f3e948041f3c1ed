"""The report's relations section, from relations measured on the clinic (patient, doctor,
visit): each table avatarized by the engine, visits attached to random parent slots, the
metrics computed for real. The section renders in English and French, in HTML and PDF, and a
report without relations has none."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine import avatarize, privacy_metrics, signal_metrics
from avatar_server.engine.linked_metrics import (
    LinkedTables,
    Relation,
    privacy_views,
    relation_utility,
)
from avatar_server.engine.results import to_official_dicts
from avatar_server.jobs.tables import PreparedTable
from avatar_server.jobs.verdict import table_verdict
from avatar_server.report import ReportData, TableResults, render_html, render_pdf
from avatar_server.report.builder import verdicts
from avatar_server.report.translations import CHOICES, STRINGS
from avatar_yaml import AvatarizationParameters
from tests.test_report import normalise, parse, pdf_text

RELATIONS = [
    Relation("patient", "visit", "patient_id", "linear_sum_assignment"),
    Relation("doctor", "visit", "doctor_id", "sensitive_original_order_assignment"),
]
K = {"patient": 10, "doctor": 5, "visit": 10}


@pytest.fixture(scope="module")
def clinic_report(shared_data: Path) -> ReportData:
    patient = pd.read_csv(shared_data / "patient.csv")
    doctor = pd.read_csv(shared_data / "doctor.csv")
    visit = pd.read_csv(shared_data / "visit.csv")
    rows = {
        ("visit", "patient_id"): pd.Index(patient["p_id"]).get_indexer(visit["patient_id"]),
        ("visit", "doctor_id"): pd.Index(doctor["d_id"]).get_indexer(visit["doctor_id"]),
    }
    originals = {
        "patient": patient.drop(columns="p_id"),
        "doctor": doctor.drop(columns="d_id"),
        "visit": visit.drop(columns=["visit_id", "patient_id", "doctor_id"]),
    }
    # On the method's five axes, as the linked engine avatarizes a group's tables.
    avatars = {
        name: avatarize(table, k=K[name], seed=1, axes_rule=False).unshuffled
        for name, table in originals.items()
    }
    rng = np.random.default_rng(0)
    attached = dict(rows)
    attached[("visit", "patient_id")] = rng.permutation(rows[("visit", "patient_id")])
    group = LinkedTables(
        originals,
        avatars,
        rows,
        attached,
        RELATIONS,
        {"patient": True, "doctor": True, "visit": False},
    )
    views = privacy_views(group)
    tables = []
    for name in originals:
        standalone = views[name][0] if name != "visit" else None
        original = standalone.original if standalone else originals[name]
        tables.append(
            TableResults(
                name=name,
                parameters=AvatarizationParameters(k=K[name]),
                privacy=to_official_dicts(privacy_metrics(original, avatars[name]), name)[0],
                signal=to_official_dicts(signal_metrics(original, avatars[name]), name)[0],
                run_metadata={"rows": len(original), "columns": list(original.columns)},
            )
        )
    relations: list[dict[str, Any]] = []
    for relation in RELATIONS:
        full = next(
            v
            for v in views["visit"]
            if (v.computation_type, v.reference) == ("full_enriched", relation.parent)
        )
        hidden = next(
            r
            for r in privacy_metrics(full.original, full.avatars, persons=full.persons)
            if r.name == "hidden_rate"
        )
        utility = relation_utility(group, relation)
        utility["privacy"] = {
            "hidden_rate": hidden.value,
            "computation_type": "full_enriched",
            "reference": relation.parent,
        }
        relations.append(utility)
    return ReportData(run_name="clinic", tables=tables, relations=relations)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_relations_section_renders_in_both_languages(
    clinic_report: ReportData, language: str, tmp_path: Path
) -> None:
    t, choices = STRINGS[language], CHOICES[language]
    html = render_html(replace(clinic_report, language=language))
    page = parse(html)
    assert t["section_relations"] in page.h2
    assert page.h2.index(t["section_relations"]) == len(page.h2) - 2  # before the conclusion
    # Each table keeps its sections.
    for table in ("patient", "doctor", "visit"):
        assert t["section_privacy"].format(table=table) in page.h2
    kinds = [figure for figure, _ in page.images]
    assert kinds.count("cardinality") == 1
    cardinality = next(src for figure, src in page.images if figure == "cardinality")
    assert cardinality.startswith("data:image/png;base64,")
    text = page.text
    for relation in clinic_report.relations:
        parent, child = relation["parent"], relation["child"]
        title = t["relation_title"].format(parent=parent, child=child, key=relation["child_key"])
        assert normalise(title) in page.headings
        assert normalise(t["integrity_ok"].format(rows=300, child=child, parent=parent)) in text
        assert normalise(choices[f"method.{relation['method']}"]) in text
        privacy = relation["privacy"]
        assert f"{privacy['hidden_rate']:.1f}".replace(".", "," if language == "fr" else ".") in (
            text
        )
    # The copied links (doctor -> visit) are flagged, the optimal ones are not.
    assert text.count(normalise(t["relation_sensitive"])) == 1
    # V(job, exam) of the originals, beside the avatars' (the table shows two decimals).
    decimal = "," if language == "fr" else "."
    pair = association(clinic_report.relations[1], "job", "exam")
    avatars = f"{pair['avatars']:.2f}".replace(".", decimal)
    row = f"job exam {normalise(choices['measure.cramers_v'])} 0{decimal}74 {avatars}"
    assert row in text
    other = "fr" if language == "en" else "en"
    assert STRINGS[other]["section_relations"] not in text
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF")
    pdf_words = normalise(pdf_text(pdf, tmp_path))
    assert normalise(t["section_relations"]) in pdf_words
    assert normalise(t["association"]) in pdf_words


def association(relation: dict[str, Any], parent: str, child: str) -> dict[str, Any]:
    pairs = relation["association"]["pairs"]
    return next(p for p in pairs if (p["parent_column"], p["child_column"]) == (parent, child))


def test_random_slots_show_as_a_lost_association(clinic_report: ReportData) -> None:
    patient_visit = clinic_report.relations[0]
    assert patient_visit["cardinality"]["hellinger"] == 0  # slots keep the counts
    # Women are seen on Monday, Tuesday and Thursday only: V = 0.84, lost at random.
    gender_day = association(patient_visit, "gender", "day_visit")
    assert gender_day["original"] == pytest.approx(0.84, abs=0.005)
    assert gender_day["avatars"] < 0.3
    # The doctor links were copied: the association left is what the visit avatars keep.
    doctor_visit = clinic_report.relations[1]
    assert doctor_visit["cardinality"]["hellinger"] == 0
    assert association(doctor_visit, "job", "exam")["avatars"] > 0.3


def test_a_broken_link_says_so() -> None:
    relation: dict[str, Any] = {
        "parent": "doctor",
        "child": "visit",
        "child_key": "doctor_id",
        "method": "minimum_distance_assignment",
        "sensitive": False,
        "integrity": {"avatar_rows": 300, "orphan_avatar_rows": 4, "ok": False},
        "cardinality": {},
        "association": {"pairs": []},
    }
    data = ReportData(run_name="broken", tables=[], relations=[relation])
    text = parse(render_html(data)).text
    assert (
        normalise(
            STRINGS["en"]["integrity_failed"].format(
                count=4, rows=300, child="visit", parent="doctor"
            )
        )
        in text
    )
    assert STRINGS["en"]["association_none"] in text
    assert STRINGS["en"]["relation_sensitive"] not in text


def test_without_relations_the_report_has_no_relations_section(clinic_report: ReportData) -> None:
    single = replace(clinic_report, tables=clinic_report.tables[:1], relations=[])
    page = parse(render_html(single))
    assert STRINGS["en"]["section_relations"] not in page.h2
    assert not [figure for figure, _ in page.images if figure == "cardinality"]
    assert "data-relation" not in render_html(single)


def test_the_verdict_items_of_a_linked_table_are_worded_in_the_report_language(
    clinic_report: ReportData,
) -> None:
    """A child table's verdict holds items of its further views and of links copied in the
    original order: the report words them in its own language, not the server's English."""
    visit = next(table for table in clinic_report.tables if table.name == "visit")
    view = {
        "metadata": {"computation_type": "full_enriched", "reference": "patient"},
        "hidden_rate": 71.5,
        "targets": {"hidden_rate": "> 90"},
        "passed": {"hidden_rate": False},
    }
    items = table_verdict(
        [visit.privacy, view],
        PreparedTable(name="visit", data=pd.DataFrame()),
        pd.DataFrame(),
        None,
        sensitive_links=["doctor.d_id -> visit.doctor_id"],
    )["items"]
    table = replace(visit, verdict={"status": "fail", "items": items})
    (found,) = verdicts([table], "fr")
    reasons = {item["code"].split("@")[0].split(":")[0]: item for item in found["failed"]}
    assert reasons["hidden_rate"]["lang"] == "fr"
    assert "personnes de patient" in reasons["hidden_rate"]["reason"]
    assert "71,5" in reasons["hidden_rate"]["reason"]
    sensitive = reasons["sensitive_original_order_assignment"]
    assert sensitive["lang"] == "fr" and "recopient les liens" in sensitive["reason"]
