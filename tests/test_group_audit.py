"""The audit release of a linked or series group (issue 19): whole persons held out with all
their rows, the kept sub-group avatarized the standard job's way, each table's audit made of
the kept persons' rows, their audit avatars and the held-out persons' rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.series import SeriesModel
from avatar_server.engine.series_settings import SeriesSettings
from avatar_server.jobs.attack_audit import AUDIT_SHARE, MIN_CONTROL_ROWS, Audit, AuditNotMade
from avatar_server.jobs.group_audit import (
    group_audit,
    person_split,
    person_table,
    person_tables,
)
from avatar_server.jobs.group_avatarization import GroupAvatarizer, group_avatarizer
from avatar_server.jobs.groups import PreparedGroup, prepare_group
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import (
    AvatarizationParameters,
    LinkMethod,
    PlannedLink,
    Pseudonymization,
    PseudonymizationKind,
    SeriesTable,
    TableGroup,
)

CLINIC_K = {"patient": 15, "doctor": 5, "visit": 10}


def _table(
    name: str, frame: pd.DataFrame, primary: str, foreign: tuple[str, ...] = ()
) -> PreparedTable:
    keys = {column: frame[column] for column in (primary, *foreign)}
    return PreparedTable(
        name=name,
        data=frame.drop(columns=list(keys)),
        primary_key=primary,
        keys=keys,
        column_order=list(frame.columns),
    )


def _link(parent: str, key: str, child: str, fk: str, method: LinkMethod) -> PlannedLink:
    return PlannedLink(parent=parent, parent_key=key, child=child, child_key=fk, method=method)


def clinic_group(shared_data: Path, patients: int | None = None) -> PreparedGroup:
    """The clinic's patients, doctors and visits as the jobs prepare them (``patients``: only
    the first ones, with their visits)."""
    frames = {name: pd.read_csv(shared_data / f"{name}.csv") for name in CLINIC_K}
    if patients is not None:
        frames["patient"] = frames["patient"].head(patients)
        visits = frames["visit"]
        frames["visit"] = visits[visits["patient_id"].isin(frames["patient"]["p_id"])]
    method = LinkMethod.LINEAR_SUM_ASSIGNMENT
    planned = TableGroup(
        tables=("patient", "doctor", "visit"),
        links=(
            _link("patient", "p_id", "visit", "patient_id", method),
            _link("doctor", "d_id", "visit", "doctor_id", method),
        ),
        individual_level={"patient": True, "doctor": True, "visit": False},
    )
    return prepare_group(
        planned,
        {
            "patient": _table("patient", frames["patient"], "p_id"),
            "doctor": _table("doctor", frames["doctor"], "d_id"),
            "visit": _table("visit", frames["visit"], "visit_id", ("patient_id", "doctor_id")),
        },
    )


def _avatarizer() -> GroupAvatarizer:
    return group_avatarizer({}, seed=3, batch_rows=100_000, progress=lambda stage, done: None)


def test_the_held_out_patients_rows_are_never_in_the_audit(shared_data: Path) -> None:
    group = clinic_group(shared_data)
    split = person_split(group, seed=4)
    assert person_table(group) == split.persons == "patient"
    patients = group.tables["patient"].keys["p_id"]
    kept = set(patients.iloc[split.train["patient"]])
    held_out = set(patients.iloc[split.control["patient"]])
    assert len(kept) == round(AUDIT_SHARE * len(patients)) and not kept & held_out
    assert kept | held_out == set(patients)
    visits = group.tables["visit"].keys["patient_id"]
    assert set(visits.iloc[split.train["visit"]]) <= kept
    assert set(visits.iloc[split.control["visit"]]) <= held_out
    # Every visit is on one side: each has one patient.
    assert len(split.train["visit"]) + len(split.control["visit"]) == len(visits)
    # The doctors are kept whole, and their table says why it has no control set.
    assert list(split.train["doctor"]) == list(range(50)) and "doctor" not in split.control
    assert "'patient'" in split.kept_whole["doctor"]
    again = person_split(group, seed=4)
    assert np.array_equal(again.train["visit"], split.train["visit"])
    assert not np.array_equal(person_split(group, seed=5).train["visit"], split.train["visit"])


def test_a_row_whose_links_meet_kept_and_held_out_persons_is_on_neither_side() -> None:
    """A diamond: d rows belong to an a-person through b and through c; where the two paths
    meet different persons, the row is left out of both sides (and counted)."""
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"a_id": range(200), "x": rng.normal(size=200)})
    b = pd.DataFrame(
        {"b_id": range(300), "a_id": rng.integers(0, 200, 300), "y": rng.normal(size=300)}
    )
    c = pd.DataFrame(
        {"c_id": range(300), "a_id": rng.integers(0, 200, 300), "z": rng.normal(size=300)}
    )
    same = rng.integers(0, 300, 400)
    d = pd.DataFrame(
        {
            "d_id": range(400),
            "b_id": same,
            # Half of the d rows reach the same person through c as through b.
            "c_id": np.where(np.arange(400) % 2 == 0, same, rng.integers(0, 300, 400)),
            "w": rng.normal(size=400),
        }
    )
    c.loc[:, "a_id"] = b["a_id"]  # c row i has b row i's person
    method = LinkMethod.LINEAR_SUM_ASSIGNMENT
    planned = TableGroup(
        tables=("a", "b", "c", "d"),
        links=(
            _link("a", "a_id", "b", "a_id", method),
            _link("a", "a_id", "c", "a_id", method),
            _link("b", "b_id", "d", "b_id", method),
            _link("c", "c_id", "d", "c_id", method),
        ),
        individual_level={"a": True, "b": False, "c": False, "d": False},
    )
    group = prepare_group(
        planned,
        {
            "a": _table("a", a, "a_id"),
            "b": _table("b", b, "b_id", ("a_id",)),
            "c": _table("c", c, "c_id", ("a_id",)),
            "d": _table("d", d, "d_id", ("b_id", "c_id")),
        },
    )
    split = person_split(group, seed=1)
    kept = set(split.train["a"])
    person_of_b = b["a_id"].to_numpy()
    for row in split.train["d"]:
        assert person_of_b[d["b_id"][row]] in kept and person_of_b[d["c_id"][row]] in kept
    for row in split.control["d"]:
        assert person_of_b[d["b_id"][row]] not in kept
        assert person_of_b[d["c_id"][row]] not in kept
    sides = len(split.train["d"]) + len(split.control["d"])
    assert split.neither["d"] == len(d) - sides > 0
    assert split.facts("d")["rows_in_neither"] == split.neither["d"]


def test_the_clinic_audit_avatarizes_the_kept_patients_with_all_their_rows(
    shared_data: Path,
) -> None:
    group = clinic_group(shared_data)
    chosen = {name: AvatarizationParameters(k=k) for name, k in CLINIC_K.items()}
    columns = {name: list(table.data.columns) for name, table in group.tables.items()}
    audits = group_audit(group, chosen, columns, _avatarizer(), seed=4)
    split = person_split(group, seed=4)
    for name in ("patient", "visit"):
        audit = audits[name]
        assert isinstance(audit, Audit), audit
        table = group.tables[name].data
        assert audit.train.equals(table.iloc[split.train[name]].reset_index(drop=True))
        assert audit.control.equals(table.iloc[split.control[name]].reset_index(drop=True))
        assert len(audit.avatars) == len(audit.train)
        assert list(audit.avatars.columns) == list(audit.train.columns)
        assert audit.facts()["held_out"] == {
            "persons": "patient",
            "persons_in_audit": 98,
            "persons_held_out": 32,
            "rows_in_neither": 0,
        }
    assert isinstance(audits["doctor"], str) and "kept in the audit" in audits["doctor"]
    # Avatars, not copies of the kept persons.
    patient = audits["patient"]
    assert isinstance(patient, Audit)
    assert (patient.avatars.to_numpy() == patient.train.to_numpy()).all(axis=1).mean() < 0.5


def test_each_individual_level_table_is_audited_with_its_own_rows_held_out(
    shared_data: Path,
) -> None:
    """A clinic with more doctors (160) than patients (130): the default persons are the
    doctors, and the patients kept whole there. Audited with their own rows as the persons,
    the patients are held out with their visits, and every doctor is kept."""
    group = clinic_group(shared_data)
    rng = np.random.default_rng(0)
    doctors = group.tables["doctor"]
    picked = rng.integers(0, len(doctors.data), size=160)
    many = pd.DataFrame(doctors.data.iloc[picked].reset_index(drop=True))
    many.insert(0, "d_id", np.arange(1, 161))
    visits = group.tables["visit"]
    frame = visits.data.assign(
        visit_id=visits.keys["visit_id"].to_numpy(),
        patient_id=visits.keys["patient_id"].to_numpy(),
        doctor_id=rng.integers(1, 161, size=len(visits.data)),
    )
    patients = group.tables["patient"]
    group = prepare_group(
        group.group,
        {
            "patient": _table(
                "patient", patients.data.assign(p_id=patients.keys["p_id"].to_numpy()), "p_id"
            ),
            "doctor": _table("doctor", many, "d_id"),
            "visit": _table("visit", frame, "visit_id", ("patient_id", "doctor_id")),
        },
    )
    assert person_table(group) == "doctor"
    assert person_tables(group) == ["patient", "doctor"]
    chosen = {name: AvatarizationParameters(k=k) for name, k in CLINIC_K.items()}
    columns = {name: list(table.data.columns) for name, table in group.tables.items()}
    default = group_audit(group, chosen, columns, _avatarizer(), seed=4)
    assert isinstance(default["patient"], str) and "kept in the audit" in default["patient"]
    own = group_audit(group, chosen, columns, _avatarizer(), seed=4, persons="patient")
    patient = own["patient"]
    assert isinstance(patient, Audit), patient
    assert patient.facts()["held_out"]["persons"] == "patient"
    assert patient.facts()["held_out"]["persons_held_out"] == 32
    assert isinstance(own["doctor"], str) and "kept in the audit" in own["doctor"]
    with pytest.raises(ValueError, match="'visit' is not an individual-level table"):
        person_split(group, seed=4, persons="visit")


def test_a_group_too_small_to_audit_says_why(shared_data: Path) -> None:
    group = clinic_group(shared_data, patients=100)
    chosen = {name: AvatarizationParameters(k=k) for name, k in CLINIC_K.items()}
    columns = {name: list(table.data.columns) for name, table in group.tables.items()}
    with pytest.raises(AuditNotMade) as refused:
        group_audit(group, chosen, columns, _avatarizer(), seed=4)
    message = str(refused.value)
    assert "the 100 rows of 'patient'" in message and f"at least {MIN_CONTROL_ROWS}" in message


def sensors_group(shared_data: Path) -> PreparedGroup:
    """The sensors: 200 persons, each with one series in each of two series tables."""
    vanilla = pd.read_csv(shared_data / "sensors_vanilla.csv")
    tables = {"vanilla": _table("vanilla", vanilla, "id")}
    links, series = [], []
    for name in ("sensor1", "sensor2"):
        frame = pd.read_csv(shared_data / f"sensors_time{name.replace('sensor', 'series')}.csv")
        tables[name] = _table(name, frame, "primary_key", ("id",))
        link = _link("vanilla", "id", name, "id", LinkMethod.TIME_SERIES)
        links.append(link)
        series.append(SeriesTable(name=name, time="t", link=link))
    planned = TableGroup(
        tables=("vanilla", "sensor1", "sensor2"),
        links=tuple(links),
        individual_level={"vanilla": True, "sensor1": False, "sensor2": False},
        series=tuple(series),
    )
    return prepare_group(planned, tables)


def test_the_sensors_audit_holds_out_persons_with_their_series(shared_data: Path) -> None:
    group = sensors_group(shared_data)
    split = person_split(group, seed=2)
    assert split.persons == "vanilla" and not split.kept_whole
    persons = group.tables["vanilla"].keys["id"]
    kept = set(persons.iloc[split.train["vanilla"]])
    held_out = set(persons.iloc[split.control["vanilla"]])
    for name in ("sensor1", "sensor2"):
        owners = group.tables[name].keys["id"]
        assert set(owners.iloc[split.train[name]]) == kept
        assert set(owners.iloc[split.control[name]]) == held_out
    models = {
        planned.name: SeriesModel.fit(
            planned.name,
            group.tables[planned.name].data,
            planned.time,
            group.parent_rows[(planned.name, "id")],
            len(persons),
            SeriesSettings(),
        )
        for planned in group.group.series
    }
    columns = {"vanilla": list(group.tables["vanilla"].data.columns)}
    chosen = {"vanilla": AvatarizationParameters(k=5)}
    audits = group_audit(group, chosen, columns, _avatarizer(), seed=2, series_models=models)
    person = audits["vanilla"]
    assert isinstance(person, Audit)
    for name in ("sensor1", "sensor2"):
        audit = audits[name]
        assert isinstance(audit, Audit), audit
        # One row per person: the person's columns, then the series features.
        assert [len(audit.train), len(audit.avatars), len(audit.control)] == [150, 150, 50]
        assert audit.train.columns.equals(audit.avatars.columns)
        assert audit.train.columns.equals(audit.control.columns)
        assert audit.train[columns["vanilla"]].equals(person.train)
        assert audit.control[columns["vanilla"]].equals(person.control)
        features = [c for c in audit.train.columns if c.startswith(f"{name}.")]
        assert features and audit.avatars[features].notna().all().all()
        assert audit.facts()["held_out"]["persons_held_out"] == 50


def test_a_messy_linked_group_is_audited() -> None:
    """Text keys, a pseudonymized email set aside, gaps, accents and dates: the audit keeps
    each kept customer's orders whole and holds out the others' with theirs."""
    rng = np.random.default_rng(8)
    n, m = 160, 420
    ids = [f"C-{i:04d}" for i in range(n)]
    age = rng.integers(18, 90, n).astype(float)
    age[::9] = np.nan
    customers = pd.DataFrame(
        {
            "cid": ids,
            "email": [f"client{i}@exemple.fr" for i in range(n)],
            "city": rng.choice(np.array(["Orléans", "Besançon", "Nîmes", None], dtype=object), n),
            "age": age,
        }
    )
    owners = rng.integers(0, n, m)
    amount = rng.gamma(2.0, 40.0, m).round(2)
    amount[::13] = np.nan
    orders = pd.DataFrame(
        {
            "oid": [f"O{i}" for i in range(m)],
            "cid": [ids[i] for i in owners],
            "amount": amount,
            "day": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, m), "D"),
            "channel": rng.choice(np.array(["web", "magasin", None], dtype=object), m),
        }
    )
    person = _table("customer", customers.drop(columns="email"), "cid")
    person.pseudonymized["email"] = (
        customers["email"],
        Pseudonymization(kind=PseudonymizationKind.UUID4),
    )
    method = LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT
    planned = TableGroup(
        tables=("customer", "order"),
        links=(_link("customer", "cid", "order", "cid", method),),
        individual_level={"customer": True, "order": False},
    )
    group = prepare_group(
        planned, {"customer": person, "order": _table("order", orders, "oid", ("cid",))}
    )
    chosen = {"customer": AvatarizationParameters(k=8), "order": AvatarizationParameters(k=8)}
    columns = {name: list(table.data.columns) for name, table in group.tables.items()}
    audits = group_audit(group, chosen, columns, _avatarizer(), seed=6)
    split = person_split(group, seed=6)
    kept = set(customers["cid"].iloc[split.train["customer"]])
    order = audits["order"]
    assert isinstance(order, Audit) and isinstance(audits["customer"], Audit)
    assert len(order.train) + len(order.control) == m
    kept_orders = orders[orders["cid"].isin(kept)]
    assert len(order.train) == len(kept_orders) == len(order.avatars)
    assert order.control["amount"].isna().any() and order.avatars["day"].notna().all()
    assert set(order.avatars["channel"].dropna()) <= {"web", "magasin"}
