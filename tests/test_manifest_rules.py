"""The release manifest's rules without a server (:mod:`avatar_yaml.manifest`): how parts are
assembled, what the release status says, and the treatment of every kind of column. The
server-backed checks are in tests/test_release_manifest.py."""

from __future__ import annotations

from typing import Any

import pytest

from avatar_yaml import (
    AvatarizationParameters,
    ColumnInfo,
    ExcludeVariables,
    ExcludeVariablesMethod,
    Pseudonymization,
    TableInfo,
)
from avatar_yaml.manifest import (
    assemble_manifest,
    column_treatments,
    file_entries,
    released_files,
    tables_manifest,
)
from avatar_yaml.vocabulary import KeepMode, PseudonymizationKind


def _part(kind: str, tables: dict[str, Any], **fields: Any) -> dict[str, Any]:
    inputs = {name: {"dataset_id": name, "sha256": f"in-{name}"} for name in tables}
    return {
        "part": kind,
        "job": f"job-{kind}",
        "software": {"python": "3"},
        "inputs": inputs,
        "tables": tables,
        **fields,
    }


def _privacy(status: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "privacy": {
            "metrics": [{"hidden_rate": 95.0}],
            "verdict": {"status": status, "items": items},
        }
    }


def _assemble(*parts: dict[str, Any]) -> dict[str, Any]:
    return assemble_manifest(
        parts, jobs=[], set_name="set", display_name="run", assembled_at="2026-01-01T00:00:00"
    )


def test_parts_merge_per_table_and_failing_items_are_named() -> None:
    standard = _part(
        "standard",
        {"a": {"released": [{"kind": "shuffled", "name": "a.csv", "sha256": "x"}]}},
        seed={"value": 3, "drawn": True},
    )
    items = [
        {"name": "hidden_rate", "passed": True},
        {"name": "verbatim_unique_values:email", "passed": False},
    ]
    privacy = _part("privacy_metrics", {"a": _privacy("fail", items)}, parameters={"seed": 0})
    signal = _part("signal_metrics", {"a": {"signal": {"metrics": []}}}, parameters={"seed": 0})
    manifest = _assemble(privacy, standard, signal)
    assert manifest["complete"] is True and manifest["missing_parts"] == []
    assert manifest["seed"] == {"value": 3, "drawn": True}
    table = manifest["tables"]["a"]
    assert table["input"] == {"dataset_id": "a", "sha256": "in-a"}
    assert table["privacy"]["verdict"]["failing"] == ["verbatim_unique_values:email"]
    assert manifest["release_status"] == "fail"
    assert set(manifest["software"]) == {"standard", "privacy_metrics", "signal_metrics"}
    assert [e["kind"] for e in file_entries(manifest)] == ["input", "shuffled"]


def test_the_release_status_needs_every_table_evaluated() -> None:
    passing = _part("privacy_metrics", {"a": _privacy("pass", []), "b": _privacy("pass", [])})
    assert _assemble(passing)["release_status"] == "pass"
    one_missing = _part("privacy_metrics", {"a": _privacy("pass", []), "b": {"privacy": {}}})
    assert _assemble(one_missing)["release_status"] == "not_evaluated"
    manifest = _assemble(_part("standard", {"a": {}}))
    assert manifest["release_status"] == "not_evaluated"
    assert manifest["missing_parts"] == ["privacy_metrics", "signal_metrics"]
    mixed = _assemble(
        _part("privacy_metrics", {"a": _privacy("pass", []), "b": _privacy("fail", [])})
    )
    assert mixed["release_status"] == "fail"
    only_a = tables_manifest(mixed, ["a"])
    assert list(only_a["tables"]) == ["a"] and only_a["release_status"] == "pass"
    assert list(mixed["tables"]) == ["a", "b"]  # the whole manifest is left as it was


def test_parts_are_refused_when_unknown_or_twice() -> None:
    with pytest.raises(ValueError, match="unknown manifest part 'report'"):
        _assemble({"part": "report"})
    with pytest.raises(ValueError, match="two manifest parts of kind 'standard'"):
        _assemble(_part("standard", {}), _part("standard", {}))


def test_only_the_avatars_are_listed_as_released() -> None:
    files: list[dict[str, Any]] = [
        {
            "kind": kind,
            "table": "a",
            "name": f"a.{kind}",
            "format": "csv",
            "size": 1,
            "sha256": kind,
        }
        for kind in ("shuffled", "unshuffled", "original_projections", "run_metadata")
    ]
    files.append(
        {
            "kind": "manifest_part",
            "table": None,
            "name": "m.json",
            "format": "json",
            "size": 1,
            "sha256": "m",
        }
    )
    found = released_files(files, "job")
    assert [entry["kind"] for entry in found["a"]] == ["shuffled", "unshuffled"]
    assert {entry["job"] for entry in found["a"]} == {"job"}


def test_every_treatment_of_a_column() -> None:
    table = TableInfo(
        name="t",
        columns=[
            ColumnInfo(field="id", primary_key=True),
            ColumnInfo(field="parent", identifier=True),
            ColumnInfo(field="notes", drop=True),
            ColumnInfo(
                field="email", pseudonymization=Pseudonymization(kind=PseudonymizationKind.UUID4)
            ),
            ColumnInfo(field="zip", keep=KeepMode.GROUPED),
            ColumnInfo(field="name", keep=KeepMode.AS_IS),
        ],
    )
    columns = [
        {"name": name, "role": role}
        for name, role in (
            ("id", "id_like"),
            ("parent", None),
            ("notes", "free_text"),
            ("email", "direct_identifier"),
            ("zip", "quasi_identifier"),
            ("name", "direct_identifier"),
            ("income", "quasi_identifier"),
            ("age", "quasi_identifier"),
        )
    ]
    chosen = AvatarizationParameters(
        k=5,
        exclude_variables=ExcludeVariables(
            variable_names=["income"], replacement_strategy=ExcludeVariablesMethod.ROW_ORDER
        ),
    )
    found = {c["column"]: c for c in column_treatments(table, columns, chosen)}
    assert {name: c["treatment"] for name, c in found.items()} == {
        "id": "primary_key",
        "parent": "foreign_key",
        "notes": "dropped",
        "email": "pseudonymized",
        "zip": "grouped",
        "name": "kept_as_is",
        "income": "excluded",
        "age": "avatarized",
    }
    assert found["email"]["strategy"] == "UUID4"
    assert found["income"]["reattached"] == "row_order"
    assert found["notes"]["role"] == "free_text"
    measured = column_treatments(table, columns, None, brought=True)  # avatars brought
    assert [c["treatment"] for c in measured][-3:] == ["measured"] * 3
    series = column_treatments(table, columns, None)  # a series table: no parameters of its own
    assert [c["treatment"] for c in series][-3:] == ["kept_as_is", "avatarized", "avatarized"]
