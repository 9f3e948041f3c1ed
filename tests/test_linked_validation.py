"""Linked tables through the real server: the Runner builds the clinic (children before their
parents, links last), advises its links from names and upload facts, round-trips it through
YAML; every bad declaration is refused by the Runner and, sent anyway, by the server with the
same message (422), leaving nothing stored; orphan foreign keys, which only the values show,
are refused by the server naming the table, the column, the count and examples.

Running a linked avatarization end to end is the job handlers' part, not tested here."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatar_yaml import Config, LinkMethod, table_groups
from avatars import ApiClient, Runner
from avatars.errors import ValidationError
from tests.test_linked_schema import CLINIC_REFUSALS


def clinic_runner(user: ApiClient, data: Path, *, linked: bool = True) -> Runner:
    """The clinic, the visits declared first: a child may be added before its parents."""
    runner = Runner(user, "clinic", seed=42)
    runner.add_table(
        "visit",
        data / "visit.csv",
        primary_key="visit_id",
        foreign_keys=["patient_id", "doctor_id"],
        individual_level=False,
    )
    runner.add_table("patient", data / "patient.csv", primary_key="p_id", individual_level=True)
    runner.add_table("doctor", data / "doctor.csv", primary_key="d_id")
    if linked:
        runner.add_link("patient", "p_id", "visit", "patient_id")
        runner.add_link("doctor", "d_id", "visit", "doctor_id", "minimum_distance_assignment")
    return runner


def stored_state(user: ApiClient, name: str) -> tuple[list[object], list[tuple[str, str]]]:
    """What the server holds for the user: the run's stored sets and every dataset's bytes."""
    datasets = sorted((str(d.id), d.sha256) for d in user.datasets.list_datasets())
    return list(user.resources.list_resources(display_name=name)), datasets


def refused_alike(user: ApiClient, config: Config, name: str, message: str) -> None:
    """The Runner refuses ``config`` with ``message``; the server, sent it anyway, answers
    422 with the same message and stores nothing."""
    before = stored_state(user, name)
    with pytest.raises(ValueError) as client_side:
        Runner(user, name).adopt(copy.deepcopy(config))
    assert message in str(client_side.value)
    with pytest.raises(ValidationError) as server_side:
        user.resources.put_resources(name, config.to_yaml())
    assert server_side.value.status_code == 422
    assert str(client_side.value) in str(server_side.value)
    assert stored_state(user, name) == before


def test_the_runner_builds_the_clinic_and_the_server_accepts_it(
    user: ApiClient, shared_data: Path, tmp_path: Path
) -> None:
    runner = clinic_runner(user, shared_data)
    (group,) = table_groups(runner.config.schema)
    assert group.tables == ("patient", "doctor", "visit")
    assert group.individual_level == {"patient": True, "doctor": True, "visit": False}
    assert [(link.parent, link.method) for link in group.links] == [
        ("patient", LinkMethod.LINEAR_SUM_ASSIGNMENT),
        ("doctor", LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT),
    ]
    path = tmp_path / "clinic.yaml"
    text = runner.get_yaml(path)
    again = Runner(user, "clinic")
    again.from_yaml(path)
    assert again.config == runner.config and again.get_yaml() == text
    stored = user.resources.put_resources("clinic", text)
    assert Config.from_yaml(user.resources.get_resources(stored.set_name).yaml) == runner.config


def test_the_runner_refuses_a_bad_link_at_once(user: ApiClient, shared_data: Path) -> None:
    runner = clinic_runner(user, shared_data, linked=False)
    with pytest.raises(ValueError, match="'gender' is not the primary key of table 'patient'"):
        runner.add_link("patient", "gender", "visit", "patient_id")
    with pytest.raises(ValueError, match="'exam' is not a declared foreign key of table 'visit'"):
        runner.add_link("patient", "p_id", "visit", "exam")
    with pytest.raises(ValueError, match="unknown table 'nurse'"):
        runner.add_link("nurse", "n_id", "visit", "patient_id")
    with pytest.raises(ValueError, match=r"link patient\.p_id -> visit\.patient_id: method"):
        runner.add_link("patient", "p_id", "visit", "patient_id", method="nearest")
    assert runner.config.table("patient").links is None
    with pytest.warns(UserWarning, match="the original links survive"):
        runner.add_link(
            "patient", "p_id", "visit", "patient_id", "sensitive_original_order_assignment"
        )
    # the run is incomplete: storing it (run, advice) is refused before anything is sent
    with pytest.raises(ValueError, match="foreign key 'doctor_id' is linked from no table"):
        runner.advise_parameters()


def test_links_and_tables_can_be_deleted(user: ApiClient, shared_data: Path) -> None:
    runner = clinic_runner(user, shared_data)
    runner.delete_link("doctor", "visit")
    with pytest.raises(ValueError, match="table 'doctor' has no link to table 'visit'"):
        runner.delete_link("doctor", "visit")
    runner.delete_table("patient")
    assert runner.config.table_names() == ["visit", "doctor"]
    with pytest.raises(ValueError, match="unknown table 'patient'"):
        runner.delete_table("patient")


def test_advised_links_are_the_clinic_links(user: ApiClient, shared_data: Path) -> None:
    """The foreign keys are not named like the keys (``patient_id`` for ``p_id``): the advice
    places ``patient_id`` because only ``patient`` has as many keys as its 130 distinct values
    (high: the single possible parent) and ``doctor_id`` by its name (high: names match)."""
    runner = clinic_runner(user, shared_data, linked=False)
    advice = runner.advise_links()
    assert [
        (a.parent_table, a.parent_field, a.child_table, a.child_field, a.confidence)
        for a in advice.links
    ] == [
        ("patient", "p_id", "visit", "patient_id", "high"),
        ("doctor", "d_id", "visit", "doctor_id", "high"),
    ]
    assert advice.unlinked_foreign_keys == []
    assert runner.config.table("patient").links is None  # advice alone changes nothing
    runner.advise_links(apply=True)
    expected = clinic_runner(user, shared_data)
    for table in ("patient", "doctor"):
        assert [
            (link.field, link.to.table, link.to.field)
            for link in runner.config.table(table).links or []
        ] == [
            (link.field, link.to.table, link.to.field)
            for link in expected.config.table(table).links or []
        ]
    user.resources.put_resources("clinic", runner.get_yaml())


def test_every_bad_declaration_is_refused_alike_by_runner_and_server(
    user: ApiClient, shared_data: Path
) -> None:
    base = clinic_runner(user, shared_data).config
    for case, (edit, message) in CLINIC_REFUSALS.items():
        config = copy.deepcopy(base)
        edit(config)
        try:
            refused_alike(user, config, "clinic", message)
        except AssertionError as error:
            raise AssertionError(f"{case}: {error}") from None


def owners_and_pets(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    owners = pd.DataFrame(
        {
            "owner_id": np.arange(100, 140),
            "age": rng.integers(18, 90, 40),
            "city": rng.choice(["Lyon", "Nantes", "Lille"], 40),
        }
    )
    pets = pd.DataFrame(
        {
            "pet_id": np.arange(120),
            "owner_id": rng.integers(100, 140, 120),
            "weight": rng.normal(10, 3, 120).round(1),
            "kind": rng.choice(["cat", "dog"], 120),
        }
    )
    return owners, pets


def pets_runner(user: ApiClient, owners: pd.DataFrame | Path, pets: pd.DataFrame | Path) -> Runner:
    runner = Runner(user, "pets")
    runner.add_table("owner", owners, primary_key="owner_id")
    runner.add_table("pet", pets, primary_key="pet_id", foreign_keys=["owner_id"])
    runner.add_link("owner", "owner_id", "pet", "owner_id")
    return runner


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({5: 104}, "table 'owner': primary key 'owner_id' has 39 distinct values in 40 rows"),
        ({5: None}, "table 'owner': primary key 'owner_id' has 1 missing values in 40 rows"),
    ],
)
def test_a_parent_key_naming_several_rows_or_none_is_refused(
    user: ApiClient, change: dict[int, int | None], message: str
) -> None:
    owners, pets = owners_and_pets()
    owners["owner_id"] = owners["owner_id"].astype("Int64")
    for row, value in change.items():
        owners.loc[row, "owner_id"] = value
    runner = Runner(user, "pets")
    runner.add_table("owner", owners, primary_key="owner_id")
    runner.add_table("pet", pets, primary_key="pet_id", foreign_keys=["owner_id"])
    with pytest.raises(ValueError, match=message):
        runner.add_link("owner", "owner_id", "pet", "owner_id")
    config = copy.deepcopy(runner.config)
    config.add_link("owner", "owner_id", "pet", "owner_id")
    refused_alike(user, config, "pets", message)


def test_self_links_and_cycles_are_refused_alike(user: ApiClient) -> None:
    rng = np.random.default_rng(4)
    staff = pd.DataFrame(
        {
            "emp_id": np.arange(60),
            "manager_id": rng.integers(0, 60, 60),
            "salary": rng.normal(3000, 400, 60).round(),
        }
    )
    runner = Runner(user, "staff")
    runner.add_table("employee", staff, primary_key="emp_id", foreign_keys=["manager_id"])
    with pytest.raises(ValueError, match="a table cannot link to itself"):
        runner.add_link("employee", "emp_id", "employee", "manager_id")
    config = copy.deepcopy(runner.config)
    config.add_link("employee", "emp_id", "employee", "manager_id")
    refused_alike(user, config, "staff", "link employee.emp_id -> employee.manager_id")
    team = pd.DataFrame(
        {
            "team_id": np.arange(60),
            "lead_id": rng.integers(0, 60, 60),
            "size": rng.integers(2, 9, 60),
        }
    )
    runner.add_table("team", team, primary_key="team_id", foreign_keys=["lead_id"])
    runner.add_link("employee", "emp_id", "team", "lead_id")
    with pytest.raises(ValueError, match="the links form a cycle"):
        runner.add_link("team", "team_id", "employee", "manager_id")


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_orphan_foreign_keys_are_refused_by_the_server(
    user: ApiClient, tmp_path: Path, kind: str
) -> None:
    owners, pets = owners_and_pets()
    pets["owner_id"] = pets["owner_id"].astype("Int64")
    pets.loc[7, "owner_id"] = 999
    pets.loc[8, "owner_id"] = None
    pets.loc[9, "owner_id"] = 999
    pets.loc[10, "owner_id"] = 5
    if kind == "csv":
        (tmp_path / "owner.csv").write_text(owners.to_csv(index=False, sep=";"))
        (tmp_path / "pet.csv").write_text(pets.to_csv(index=False))
        runner = pets_runner(user, tmp_path / "owner.csv", tmp_path / "pet.csv")
    else:
        runner = pets_runner(user, owners, pets)
    before = stored_state(user, "pets")
    with pytest.raises(ValidationError) as refused:
        user.resources.put_resources("pets", runner.get_yaml())
    assert refused.value.status_code == 422
    assert (
        "table 'pet': foreign key 'owner_id' has 4 rows that match no row of table 'owner' "
        "(primary key 'owner_id'), e.g. 999, (missing), 5; every child row needs its parent"
    ) in str(refused.value)
    assert stored_state(user, "pets") == before
    fixed = pets.dropna().query("owner_id < 900 and owner_id >= 100")
    accepted = pets_runner(user, owners, fixed)
    user.resources.put_resources("pets", accepted.get_yaml())


def test_text_keys_are_compared_as_written(user: ApiClient, tmp_path: Path) -> None:
    """Codes are compared as text, as the CSV writes them: ``007`` is not ``7``, and a
    parent stored as Parquet is matched by a child stored as CSV."""
    owners, pets = owners_and_pets()
    owners["owner_id"] = [f"{i:03d}" for i in range(40)]
    pets["owner_id"] = [f"{i % 40:03d}" for i in range(120)]
    pets.loc[3, "owner_id"] = "7"
    (tmp_path / "pet.csv").write_text(pets.to_csv(index=False))
    runner = pets_runner(user, owners, tmp_path / "pet.csv")
    with pytest.raises(ValidationError, match=r"has 1 rows that match no row .* e\.g\. 7;"):
        user.resources.put_resources("pets", runner.get_yaml())
    pets.loc[3, "owner_id"] = "007"
    (tmp_path / "pet.csv").write_text(pets.to_csv(index=False))
    user.resources.put_resources("pets", pets_runner(user, owners, tmp_path / "pet.csv").get_yaml())
