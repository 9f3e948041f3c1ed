"""Linked tables end to end through the real server: the clinic (patients, doctors, their
visits) and generated shapes (a chain, a diamond, childless parents, two groups in one run).

What must hold whatever the method: every foreign key of every avatar table resolves to an
avatar parent; no released key takes an original key value; the same seed gives the same
tables. What the assignment methods add: the children-per-parent distribution kept exactly
(rank-matched quotas), and the cross-table signal of the clinic (doctor's job x visit's exam).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatar_yaml import JobKind, LinkMethod
from avatars import ApiClient, Manager, Runner
from tests.server import ServerProcess
from tests.test_report import parse

K = {"patient": 15, "doctor": 5, "visit": 10}


@pytest.fixture
def manager(server: ServerProcess, admin: ApiClient) -> Iterator[Manager]:
    name = f"linked-{uuid.uuid4().hex[:10]}"
    admin.users.create_user(name, f"{name}@example.org", f"pw-{name}-long-enough")
    manager = Manager(base_url=server.base_url)
    manager.authenticate(name, f"pw-{name}-long-enough")
    yield manager
    manager.auth_client.close()


@pytest.fixture(scope="module")
def clinic(shared_data: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(shared_data / f"{name}.csv") for name in ("patient", "doctor", "visit")
    }


def clinic_runner(
    manager: Manager,
    clinic: dict[str, pd.DataFrame],
    method: LinkMethod = LinkMethod.LINEAR_SUM_ASSIGNMENT,
    *,
    seed: int = 7,
) -> Runner:
    runner = manager.create_runner(f"clinic_{uuid.uuid4().hex[:6]}", seed=seed)
    runner.add_table("patient", clinic["patient"], primary_key="p_id", individual_level=True)
    runner.add_table("doctor", clinic["doctor"], primary_key="d_id", individual_level=True)
    runner.add_table(
        "visit",
        clinic["visit"],
        primary_key="visit_id",
        foreign_keys=["patient_id", "doctor_id"],
        individual_level=False,
    )
    runner.add_link("patient", "p_id", "visit", "patient_id", method)
    runner.add_link("doctor", "d_id", "visit", "doctor_id", method)
    for name, k in K.items():
        runner.set_parameters(name, k=k)
    return runner


def cramers_v(x: pd.Series, y: pd.Series) -> float:
    table = pd.crosstab(x, y).to_numpy(dtype=float)
    n = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / n / (min(table.shape) - 1)))


def children_counts(parent_keys: pd.Series, child_keys: pd.Series) -> list[int]:
    """Children per parent, sorted (a childless parent counts 0)."""
    counts = child_keys.value_counts()
    return sorted(int(counts.get(key, 0)) for key in parent_keys)


def assert_resolves(parent: pd.DataFrame, key: str, child: pd.DataFrame, fk: str) -> None:
    assert parent[key].is_unique
    assert child[fk].notna().all()
    assert child[fk].isin(parent[key]).all(), f"{fk}: some avatar children have no parent"


def assert_fresh_keys(original: pd.Series, released: pd.Series) -> None:
    assert released.is_unique
    assert not released.isin(original).any(), "a released key takes an original key value"


@pytest.mark.parametrize(
    "method",
    [
        LinkMethod.LINEAR_SUM_ASSIGNMENT,
        LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT,
        LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT,
    ],
)
def test_the_clinic_avatars_join_and_keep_the_relations(
    manager: Manager, clinic: dict[str, pd.DataFrame], method: LinkMethod
) -> None:
    runner = clinic_runner(manager, clinic, method)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    patient, doctor, visit = (runner.shuffled(name) for name in ("patient", "doctor", "visit"))

    assert list(visit.columns) == list(clinic["visit"].columns)
    assert [len(patient), len(doctor), len(visit)] == [130, 50, 300]
    assert_resolves(patient, "p_id", visit, "patient_id")
    assert_resolves(doctor, "d_id", visit, "doctor_id")
    for frame, key in ((patient, "p_id"), (doctor, "d_id"), (visit, "visit_id")):
        name = {"p_id": "patient", "d_id": "doctor", "visit_id": "visit"}[key]
        assert_fresh_keys(clinic[name][key], frame[key])

    # Rank-matched quotas keep the children-per-parent multiset exactly.
    original = clinic["visit"]
    assert children_counts(patient["p_id"], visit["patient_id"]) == children_counts(
        clinic["patient"]["p_id"], original["patient_id"]
    )
    assert children_counts(doctor["d_id"], visit["doctor_id"]) == children_counts(
        clinic["doctor"]["d_id"], original["doctor_id"]
    )

    joined = visit.merge(doctor, left_on="doctor_id", right_on="d_id", suffixes=("", "_doctor"))
    v = cramers_v(joined["job"], joined["exam"])
    pediatrics = joined[joined["exam"] == "pediatrics"]
    on_pediatrician = float((pediatrics["job"] == "pediatrician").mean())
    if method is not LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT:
        assert abs(v - 0.74) <= 0.1, v
        assert on_pediatrician >= 0.8, on_pediatrician


def test_same_seed_same_tables_and_a_run_with_metrics_and_report(
    manager: Manager, clinic: dict[str, pd.DataFrame], tmp_path: Path, server: ServerProcess
) -> None:
    first = clinic_runner(manager, clinic, seed=11)
    first.run()
    second = clinic_runner(manager, clinic, seed=11)
    second.run(jobs_to_run=[JobKind.STANDARD])
    for name in ("patient", "doctor", "visit"):
        pd.testing.assert_frame_equal(first.shuffled(name), second.shuffled(name))

    privacy = {
        (d["metadata"]["computation_type"], d["metadata"]["reference"])
        for d in first.privacy_metrics("visit")
    }
    assert privacy == {
        ("to_bottom_id_propagated", "patient"),
        ("to_bottom_id_propagated", "doctor"),
        ("full_enriched", "patient"),
        ("full_enriched", "doctor"),
    }
    for name in ("patient", "doctor"):
        kinds = {d["metadata"]["computation_type"] for d in first.privacy_metrics(name)}
        assert kinds == {"standalone", "to_top_enriched"}
    signal = {
        (d["metadata"]["computation_type"], d["metadata"]["reference"])
        for d in first.signal_metrics("visit")
    }
    assert signal == {
        ("standalone", "visit"),
        ("to_bottom_information_propagated", "patient"),
        ("to_bottom_information_propagated", "doctor"),
    }
    summary = first.render_privacy_metrics_summary()
    assert set(summary) == {"patient", "doctor", "visit"}
    assert set(summary["visit"]) == {"patient", "doctor"}
    assert all(v is None or 0 <= v <= 100 for row in summary.values() for v in row.values())
    assert set(first.render_signal_metrics_summary()) == {"patient", "doctor", "visit"}
    relations = first.relations()
    assert {(r["parent"], r["child"]) for r in relations} == {
        ("patient", "visit"),
        ("doctor", "visit"),
    }
    assert first.privacy_verdict("visit")["items"]
    # A linked group keeps the method's 5 axes when no ncp is given, and the manifest says so.
    for name in ("patient", "doctor", "visit"):
        effective = first.manifest()["tables"][name]["avatarization"]["effective"]
        assert effective["ncp"] == 5 and "linked" in effective["ncp_rule"], name
    # The attacks hold out whole patients with all their visits; the doctors are all kept.
    for name in ("patient", "visit"):
        attacks = first.privacy_attacks(name)
        assert attacks["audit"]["held_out"] == {
            "persons": "patient",
            "persons_in_audit": 98,
            "persons_held_out": 32,
            "rows_in_neither": 0,
        }
        assert attacks["linkability"]["n_attacks"] > 0 and attacks["inference"]["n_attacks"] > 0
        assert 0 <= attacks["linkage"]["top1"] <= 1
    # The visits' two few-valued columns single no one out: said, not scored 0.
    assert attacks["singling_out"] == {
        "not_computed": "no singling-out attack could be made on this table"
    }
    assert first.privacy_attacks("patient")["singling_out"]["n_attacks"] > 0
    doctor = first.privacy_attacks("doctor")
    # Audited with their own rows as the persons, the 50 doctors are too few to hold out 30.
    assert "the 50 rows of 'doctor'" in doctor["audit"]["not_computed"]
    assert "at least 30" in doctor["audit"]["not_computed"]
    assert "not_computed" in doctor["singling_out"] and "top1" in doctor["linkage"]
    for name in ("patient", "doctor", "visit"):
        judged = {item["name"] for item in first.privacy_verdict(name)["items"]}
        assert "attack_linkage" in judged and "attacks_not_run" not in judged, judged
    assert "attack_singling_out" in {i["name"] for i in first.privacy_verdict("patient")["items"]}
    # The doctors got no audit: their verdict does not pass on the linkage attack alone.
    doctor_items = {i["name"]: i for i in first.privacy_verdict("doctor")["items"]}
    assert doctor_items["attack_audit_not_run"]["passed"] is False
    assert first.privacy_verdict("doctor")["status"] == "fail"
    assert "attack_audit_not_run" not in {
        i["name"] for i in first.privacy_verdict("visit")["items"]
    }
    pdf = first.download_report(tmp_path / "report.pdf")
    assert isinstance(pdf, Path) and pdf.stat().st_size > 10_000
    html_path = first.download_report(tmp_path / "report.html")
    assert isinstance(html_path, Path)
    html = html_path.read_text()
    assert "visit" in html and "doctor" in html
    # The privacy-impact assessment: one document per table, each with its links.
    with pytest.raises(
        ValueError, match=r"one PDF document per table \(patient, doctor, visit\): give a folder"
    ):
        first.download_report(tmp_path / "pia.pdf", "pia")
    pia = first.download_report(tmp_path / "pia", "pia")
    assert isinstance(pia, list)
    assert sorted(path.name for path in pia) == sorted(
        f"report_pia.{name}.{suffix}"
        for name in ("patient", "doctor", "visit")
        for suffix in ("html", "pdf", "docx")
    )
    doctor_pia = (tmp_path / "pia" / "report_pia.doctor.html").read_text()
    assert "d_id" in doctor_pia or "doctor" in doctor_pia
    # Both report jobs drew their figures through the run's shared figures, kept with the
    # signal job's results: the doctor's figures in its privacy-impact document are the
    # basic report's, and each distinct figure was stored once.
    shared = list(
        (server.home / "storage" / "results").glob(
            f"*/{first.jobs['signal_metrics']}/figures/*.png"
        )
    )
    basic_images = {src for _, src in parse(html).images}
    doctor_images = {src for kind, src in parse(doctor_pia).images if kind != "cardinality"}
    assert doctor_images and doctor_images <= basic_images
    every_image = basic_images.union(
        *(
            {
                src
                for _, src in parse(
                    (tmp_path / "pia" / f"report_pia.{name}.html").read_text()
                ).images
            }
            for name in ("patient", "doctor", "visit")
        )
    )
    assert len(shared) == len(every_image)


def test_an_original_order_link_fails_the_verdict(
    manager: Manager, clinic: dict[str, pd.DataFrame]
) -> None:
    runner = clinic_runner(manager, clinic, LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT)
    runner.run(jobs_to_run=[JobKind.STANDARD, JobKind.PRIVACY_METRICS])
    verdict = runner.privacy_verdict("visit")
    assert verdict["status"] == "fail"
    flagged = [i for i in verdict["items"] if i["name"].startswith("sensitive_original_order")]
    assert len(flagged) == 2 and not any(item["passed"] for item in flagged)
    assert runner.privacy_verdict("patient")["items"]


# -- generated shapes --------------------------------------------------------------------------


def people(n: int, rng: np.random.Generator, key: str, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            key: np.arange(start, start + n),
            "age": rng.integers(18, 90, n).astype(float),
            "group": rng.choice(["a", "b", "c"], n),
        }
    )


def children(
    parents: dict[str, pd.Series], n: int, rng: np.random.Generator, key: str, childless: int = 0
) -> pd.DataFrame:
    """``n`` rows pointing at random parents (the first ``childless`` of each never chosen)."""
    frame = pd.DataFrame({key: np.arange(1000, 1000 + n)})
    for fk, keys in parents.items():
        frame[fk] = rng.choice(keys.to_numpy()[childless:], n)
    frame["value"] = rng.normal(10, 2, n)
    frame["kind"] = rng.choice(["x", "y"], n)
    return frame


def test_a_chain_a_diamond_childless_parents_and_two_groups_in_one_run(manager: Manager) -> None:
    rng = np.random.default_rng(3)
    a = people(40, rng, "a_id")
    b = children({"a_id": a["a_id"]}, 90, rng, "b_id", childless=5)
    c = children({"b_id": b["b_id"]}, 200, rng, "c_id")
    # A diamond: d is the person; e and f are its children; g is a child of both e and f.
    d = people(30, rng, "d_id", start=500)
    e = children({"d_id": d["d_id"]}, 60, rng, "e_id")
    f = children({"d_id": d["d_id"]}, 70, rng, "f_id").assign(f_id=lambda x: x["f_id"] + 5000)
    g = children({"e_id": e["e_id"], "f_id": f["f_id"]}, 120, rng, "g_id")
    alone = people(50, rng, "id")

    runner = manager.create_runner(f"shapes_{uuid.uuid4().hex[:6]}", seed=5)
    runner.add_table("a", a, primary_key="a_id")
    runner.add_table("b", b, primary_key="b_id", foreign_keys=["a_id"])
    runner.add_table("c", c, primary_key="c_id", foreign_keys=["b_id"])
    runner.add_table("d", d, primary_key="d_id")
    runner.add_table("e", e, primary_key="e_id", foreign_keys=["d_id"])
    runner.add_table("f", f, primary_key="f_id", foreign_keys=["d_id"])
    runner.add_table("g", g, primary_key="g_id", foreign_keys=["e_id", "f_id"])
    runner.add_table("alone", alone, primary_key="id")
    links = [
        ("a", "a_id", "b", "a_id"),
        ("b", "b_id", "c", "b_id"),
        ("d", "d_id", "e", "d_id"),
        ("d", "d_id", "f", "d_id"),
        ("e", "e_id", "g", "e_id"),
        ("f", "f_id", "g", "f_id"),
    ]
    for parent, key, child, fk in links:
        runner.add_link(parent, key, child, fk)
    for name in ("a", "b", "c", "d", "e", "f", "g", "alone"):
        runner.set_parameters(name, k=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])

    originals = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "alone": alone}
    released = {name: runner.shuffled(name) for name in originals}
    for parent, key, child, fk in links:
        assert_resolves(released[parent], key, released[child], fk)
        assert children_counts(released[parent][key], released[child][fk]) == children_counts(
            originals[parent][key], originals[child][fk]
        ), f"{parent} -> {child}"
    for name, frame in originals.items():
        key = str(frame.columns[0])
        assert len(released[name]) == len(frame)
        assert_fresh_keys(frame[key], released[name][key])
    # The five childless parents of the chain stay five childless avatars.
    assert children_counts(released["a"]["a_id"], released["b"]["a_id"]).count(0) == 5


def test_a_single_table_key_never_takes_an_original_value(manager: Manager) -> None:
    rng = np.random.default_rng(0)
    frame = people(60, rng, "id", start=1)  # 1..60: today's 1..n keys would reuse every one
    runner = manager.create_runner(f"single_{uuid.uuid4().hex[:6]}")
    runner.add_table("people", frame, primary_key="id")
    runner.set_parameters("people", k=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    assert_fresh_keys(frame["id"], runner.shuffled("people")["id"])
    assert_fresh_keys(frame["id"], runner.sensitive_unshuffled("people")["id"])


def test_each_person_table_is_audited_with_its_own_rows_held_out(manager: Manager) -> None:
    """Two individual-level tables in one group: 200 patients (the default persons) with their
    visits, 160 doctors with their licences, visits linking both. The doctors are audited with
    their own rows held out, and so are the licences, which no patient reaches: before, the
    doctors and their licences were kept whole in the patients' audit and never attacked."""
    rng = np.random.default_rng(8)
    patient = people(200, rng, "p_id")
    doctor = people(160, rng, "d_id", start=5000)
    visit = children({"p_id": patient["p_id"], "d_id": doctor["d_id"]}, 400, rng, "v_id")
    licence = children({"d_id": doctor["d_id"]}, 240, rng, "l_id").assign(
        l_id=lambda x: x["l_id"] + 9000
    )
    runner = manager.create_runner(f"persons_{uuid.uuid4().hex[:6]}", seed=2)
    runner.add_table("patient", patient, primary_key="p_id", individual_level=True)
    runner.add_table("doctor", doctor, primary_key="d_id", individual_level=True)
    runner.add_table(
        "visit", visit, primary_key="v_id", foreign_keys=["p_id", "d_id"], individual_level=False
    )
    runner.add_table(
        "licence", licence, primary_key="l_id", foreign_keys=["d_id"], individual_level=False
    )
    for parent, key, child in (
        ("patient", "p_id", "visit"),
        ("doctor", "d_id", "visit"),
        ("doctor", "d_id", "licence"),
    ):
        runner.add_link(parent, key, child, key)
    for name in ("patient", "doctor", "visit", "licence"):
        runner.set_parameters(name, k=5)
    runner.run()
    held = {
        name: runner.privacy_attacks(name)["audit"]["held_out"]
        for name in ("patient", "doctor", "visit", "licence")
    }
    assert {name: facts["persons"] for name, facts in held.items()} == {
        "patient": "patient",
        "doctor": "doctor",
        "visit": "patient",
        "licence": "doctor",
    }
    assert held["doctor"]["persons_held_out"] == 40
    for name in held:
        items = {item["name"] for item in runner.privacy_verdict(name)["items"]}
        assert "attack_audit_not_run" not in items, name
        assert "value" in runner.privacy_attacks(name)["linkability"], name
