"""Linked tables without a server: how a schema's tables are grouped and ordered, which
declarations the rules refuse (with the facts an upload records), the links advice from names
and facts, and the YAML round trip of a multi-table run."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from avatar_yaml import (
    ColumnInfo,
    Config,
    ConfigError,
    Link,
    LinkMethod,
    LinkTarget,
    PlannedLink,
    TableFacts,
    TableGroup,
    rules,
    table_groups,
)
from avatar_yaml.link_advice import advise_links
from avatar_yaml.rules import ColumnFacts


def _column(spec: tuple[str, int] | tuple[str, int, int]) -> ColumnFacts:
    dtype, distinct, *missing = spec
    return ColumnFacts(dtype=dtype, distinct=distinct, missing=missing[0] if missing else 0)


def _facts(rows: int, **columns: tuple[str, int] | tuple[str, int, int]) -> TableFacts:
    """``column=(dtype, distinct[, missing])``."""
    return TableFacts.of(rows, ((name, _column(spec)) for name, spec in columns.items()))


CLINIC_FACTS = {
    "patient": _facts(
        130,
        p_id=("int64", 130),
        gender=("string", 2),
        height=("float64", 130),
        age=("float64", 130),
        weight=("float64", 130),
    ),
    "doctor": _facts(50, d_id=("int64", 50), job=("string", 2), age=("float64", 50)),
    "visit": _facts(
        300,
        visit_id=("int64", 300),
        patient_id=("int64", 130),
        doctor_id=("int64", 50),
        day_visit=("string", 5),
        exam=("string", 3),
    ),
}


def clinic(
    *, linked: bool = True, order: tuple[str, ...] = ("patient", "doctor", "visit")
) -> Config:
    """The clinic as the official tutorial declares it (tables added in ``order``)."""
    config = Config.new("clinic", seed=42)
    declarations = {
        "patient": (True, [ColumnInfo(field="p_id", primary_key=True)]),
        "doctor": (True, [ColumnInfo(field="d_id", primary_key=True)]),
        "visit": (
            False,
            [
                ColumnInfo(field="visit_id", primary_key=True),
                ColumnInfo(field="patient_id", identifier=True),
                ColumnInfo(field="doctor_id", identifier=True),
            ],
        ),
    }
    for name in order:
        individual, columns = declarations[name]
        config.add_table(
            name, f"ds-{name}", file=f"{name}.csv", individual_level=individual, columns=columns
        )
    if linked:
        config.add_link("patient", "p_id", "visit", "patient_id")
        config.add_link(
            "doctor", "d_id", "visit", "doctor_id", LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT
        )
    return config


def generated(links: list[tuple[str, str]], names: list[str]) -> Config:
    """Tables ``names`` (in schema order), each with a primary key ``<name>_id`` and a foreign
    key ``<parent>_ref`` per parent; ``links`` as (parent, child)."""
    config = Config.new("generated")
    for name in names:
        columns = [ColumnInfo(field=f"{name}_id", primary_key=True)]
        columns += [
            ColumnInfo(field=f"{parent}_ref", identifier=True)
            for parent, child in links
            if child == name
        ]
        config.add_table(name, f"ds-{name}", columns=columns)
    for parent, child in links:
        config.add_link(parent, f"{parent}_id", child, f"{parent}_ref")
    return config


# --------------------------------------------------------------------------------------------
# Planning


def test_the_clinic_is_one_group_parents_first_whatever_the_schema_order() -> None:
    groups = table_groups(clinic(order=("visit", "doctor", "patient")).schema)
    assert groups == [
        TableGroup(
            tables=("doctor", "patient", "visit"),
            links=(
                PlannedLink(
                    "doctor", "d_id", "visit", "doctor_id", LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT
                ),
                PlannedLink(
                    "patient", "p_id", "visit", "patient_id", LinkMethod.LINEAR_SUM_ASSIGNMENT
                ),
            ),
            individual_level={"doctor": True, "patient": True, "visit": False},
        )
    ]


def test_a_chain_is_ordered_from_its_top() -> None:
    (group,) = table_groups(generated([("a", "b"), ("b", "c")], ["c", "b", "a"]).schema)
    assert group.tables == ("a", "b", "c")
    assert [(link.parent, link.child) for link in group.links] == [("b", "c"), ("a", "b")]
    assert group.individual_level == {"a": True, "b": False, "c": False}


def test_a_diamond_puts_the_shared_child_last() -> None:
    links = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    (group,) = table_groups(generated(links, ["d", "c", "b", "a"]).schema)
    assert group.tables == ("a", "c", "b", "d")  # c before b: c comes first in the schema
    assert len(group.links) == 4


def test_unconnected_groups_and_a_single_table_share_a_run() -> None:
    config = generated([("p", "v"), ("x", "y")], ["s", "v", "x", "p", "y"])
    config.table("s").individual_level = None
    groups = table_groups(config.schema)
    assert [group.tables for group in groups] == [("s",), ("p", "v"), ("x", "y")]
    assert groups[0] == TableGroup(tables=("s",), links=(), individual_level={"s": True})
    assert groups == table_groups(copy.deepcopy(config).schema)  # deterministic
    rules.check_supported(config)


def test_an_explicit_individual_level_wins_over_the_default() -> None:
    config = clinic()
    config.table("visit").individual_level = True
    config.table("doctor").individual_level = None
    (group,) = table_groups(config.schema)
    assert group.individual_level == {"patient": True, "doctor": True, "visit": True}


# --------------------------------------------------------------------------------------------
# Refusals, with the upload's facts


def _set_links(table: str, *links: tuple[str, str, str]) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        config.table(table).links = [
            Link(field=field, to=LinkTarget(table=child, field=child_field))
            for field, child, child_field in links
        ]

    return edit


def _individual(**levels: bool | None) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        for name, level in levels.items():
            config.table(name).individual_level = level

    return edit


def _drop(table: str, *columns: str) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        declared = config.table(table).columns or []
        config.table(table).columns = declared + [ColumnInfo(field=c, drop=True) for c in columns]

    return edit


def _method(method: LinkMethod) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        links = config.table("patient").links
        assert links
        links[0].method = method

    return edit


def _time_column(config: Config) -> None:
    config.table("visit").columns = [
        *(config.table("visit").columns or []),
        ColumnInfo(field="day_visit", time_series_time=True),
    ]


CLINIC_REFUSALS: dict[str, tuple[Callable[[Config], None], str]] = {
    "self-link": (
        _set_links("patient", ("p_id", "patient", "p_id")),
        "link patient.p_id -> patient.p_id: a table cannot link to itself",
    ),
    "parent field not the primary key": (
        _set_links("patient", ("gender", "visit", "patient_id")),
        "link patient.gender -> visit.patient_id: 'gender' is not the primary key of table "
        "'patient', and a link starts from the parent's primary key; link from its primary "
        "key 'p_id'",
    ),
    "child field not a declared foreign key": (
        _set_links("patient", ("p_id", "visit", "day_visit")),
        "link patient.p_id -> visit.day_visit: 'day_visit' is not a declared foreign key of "
        "table 'visit'; declare it",
    ),
    "a parent links a child twice": (
        _set_links("patient", ("p_id", "visit", "patient_id"), ("p_id", "visit", "doctor_id")),
        "table 'patient' links to table 'visit' twice ('patient_id' and 'doctor_id')",
    ),
    "a child column linked from two parents": (
        _set_links("doctor", ("d_id", "visit", "patient_id")),
        "column 'patient_id' of table 'visit' is linked from both 'patient' and 'doctor'",
    ),
    "a foreign key linked from no table": (
        _set_links("doctor"),
        "table 'visit': foreign key 'doctor_id' is linked from no table (it would point to no "
        "table of the run)",
    ),
    "a child reaching no individual-level table": (
        _individual(patient=False, doctor=False),
        "table 'visit': none of the tables its links reach (doctor, patient) is individual-level",
    ),
    "a top table that is not individual-level": (
        _individual(doctor=False),
        "table 'doctor' has no parent table, so it must be individual-level",
    ),
    "an assignment link from a parent with nothing to anonymize": (
        _drop("doctor", "job", "age"),
        "link doctor.d_id -> visit.doctor_id uses minimum_distance_assignment, which matches "
        "children to parents on the parents' attributes, but table 'doctor' has none left to "
        "anonymize",
    ),
    "a time series link to a table without a time column": (
        _method(LinkMethod.TIME_SERIES),
        "link patient.p_id -> visit.patient_id: a time_series link needs a series table, and "
        "'visit' has no time column; declare it",
    ),
    "a time column on a table linked by assignment": (
        _time_column,
        "link patient.p_id -> visit.patient_id: table 'visit' is a series table (time column "
        "'day_visit'), linked with linear_sum_assignment: a series goes with its person; link "
        "it with method time_series",
    ),
}


def test_the_clinic_as_declared_is_accepted() -> None:
    rules.check(clinic(), CLINIC_FACTS)


@pytest.mark.parametrize("case", list(CLINIC_REFUSALS))
def test_each_bad_declaration_is_refused_naming_it(case: str) -> None:
    edit, message = CLINIC_REFUSALS[case]
    config = clinic()
    edit(config)
    with pytest.raises(ConfigError) as refused:
        rules.check(config, CLINIC_FACTS)
    assert message in str(refused.value)


def test_a_cycle_is_refused_naming_its_tables() -> None:
    config = generated([("a", "b"), ("b", "c")], ["a", "b", "c"])
    config.table("a").columns = [
        *(config.table("a").columns or []),
        ColumnInfo(field="c_ref", identifier=True),
    ]
    config.add_link("c", "c_id", "a", "c_ref")
    with pytest.raises(ConfigError, match=r"the links form a cycle \(a -> b -> c -> a\)"):
        rules.check_supported(config)


def test_a_link_to_a_table_missing_from_a_config_built_in_python_is_named() -> None:
    config = clinic()
    links = config.table("patient").links
    assert links
    links[0].to.table = "nurse"
    with pytest.raises(
        ConfigError, match=r"link patient\.p_id -> nurse\.patient_id: unknown table 'nurse'"
    ):
        rules.check_supported(config)


def test_a_run_being_built_waits_for_its_links() -> None:
    """Tables added one by one (children first, links last) pass the partial check, and the
    complete check names what is still missing."""
    config = clinic(linked=False, order=("visit", "patient"))
    rules.check(config, CLINIC_FACTS, complete=False)
    with pytest.raises(ConfigError, match="table 'visit' has no parent table"):
        rules.check(config, CLINIC_FACTS)
    config.add_link("patient", "p_id", "visit", "patient_id")
    rules.check(config, CLINIC_FACTS, complete=False)
    with pytest.raises(ConfigError, match="foreign key 'doctor_id' is linked from no table"):
        rules.check(config, CLINIC_FACTS)


def test_a_table_of_its_own_keeps_its_identifiers_set_aside() -> None:
    """A foreign key means a link only in a table that has links: alone, as before linked
    tables, an identifier column is only set aside."""
    config = clinic(linked=False, order=("visit",))
    config.table("visit").individual_level = None
    rules.check(config, CLINIC_FACTS)


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (("int64", 129), "primary key 'p_id' has 129 distinct values in 130 rows"),
        (("int64", 128, 2), "primary key 'p_id' has 2 missing values in 130 rows"),
    ],
)
def test_a_linked_primary_key_must_name_one_row(
    facts: tuple[str, int] | tuple[str, int, int], message: str
) -> None:
    found = dict(CLINIC_FACTS)
    found["patient"] = _facts(130, p_id=facts, gender=("string", 2))
    with pytest.raises(ConfigError, match=message):
        rules.check(clinic(), found)


def test_a_sensitive_link_needs_no_parent_attribute_but_the_table_still_does() -> None:
    config = clinic()
    _drop("doctor", "job", "age")(config)
    links = config.table("doctor").links
    assert links
    links[0].method = LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT
    with pytest.raises(ConfigError, match="table 'doctor': the schema sets every column aside"):
        rules.check(config, CLINIC_FACTS)


# --------------------------------------------------------------------------------------------
# Advice and YAML


def test_advice_finds_the_clinic_links_from_names_and_distinct_counts() -> None:
    """``patient_id`` holds 130 distinct values, more than the 50 doctors: only ``patient``
    can be its parent (high: a single possible parent); ``doctor_id`` fits both, and its name
    matches ``doctor`` (high: names match)."""
    advice = advise_links(clinic(linked=False).schema, CLINIC_FACTS)
    found = [
        (a.parent_table, a.parent_field, a.child_table, a.child_field, a.confidence)
        for a in advice.links
    ]
    assert found == [
        ("patient", "p_id", "visit", "patient_id", "high"),
        ("doctor", "d_id", "visit", "doctor_id", "high"),
    ]
    assert advice.unlinked_foreign_keys == []


def test_advice_ranks_by_name_and_reports_what_it_cannot_place() -> None:
    config = generated([], ["owner", "vet", "shop", "pet"])
    config.table("pet").columns = [
        ColumnInfo(field="pet_id", primary_key=True),
        ColumnInfo(field="main_owner_ref", identifier=True),
        ColumnInfo(field="x", identifier=True),
        ColumnInfo(field="label", identifier=True),
    ]
    facts = {
        "owner": _facts(40, owner_id=("int64", 40)),
        "vet": _facts(40, vet_id=("int64", 40)),
        "shop": _facts(40, shop_id=("int64", 40)),
        "pet": _facts(
            90,
            pet_id=("int64", 90),
            main_owner_ref=("int64", 30),
            x=("int64", 30),
            label=("string", 3),
        ),
    }
    advice = advise_links(config.schema, facts)
    assert [(a.parent_table, a.child_field, a.confidence) for a in advice.links] == [
        ("owner", "main_owner_ref", "medium")
    ]
    unlinked = {(u.field, tuple(u.candidate_tables)) for u in advice.unlinked_foreign_keys}
    # owner already links pet once: x may refer to vet or shop, equally; text refers to none
    assert unlinked == {("x", ("vet", "shop")), ("label", ())}


def test_a_multi_table_run_round_trips_through_yaml() -> None:
    config = clinic()
    text = config.to_yaml()
    again = Config.from_yaml(text)
    assert again == config
    assert again.to_yaml() == text
    assert "individual_level: false" in text and "method: minimum_distance_assignment" in text
    assert table_groups(again.schema) == table_groups(config.schema)


def test_deleting_links_and_tables() -> None:
    config = clinic()
    config.delete_link("doctor", "visit")
    assert config.table("doctor").links is None
    with pytest.raises(KeyError, match="table 'doctor' has no link to table 'visit'"):
        config.delete_link("doctor", "visit")
    config.delete_table("visit")
    assert config.table("patient").links is None
    assert Config.from_yaml(config.to_yaml()) == config
