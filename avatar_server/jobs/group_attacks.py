"""The attacks on the tables of a linked or series group, as the privacy job writes them.

Each table is attacked as a single table is (:func:`~attack_metrics.release_attacks`): the
audit attacks on the group's audit release, where whole persons are held out with all their
rows (:mod:`group_audit`), and the linkage and reconstruction attacks on the release itself. A
series table is attacked on its persons' rows with their series features beside them (its
``person_and_series`` view, one row per person), as its privacy metrics measure it; its k is
its persons' table's. The group is avatarized once for the audit of each individual-level
table (its own rows held out as the persons; the other tables are measured on the audit of the
one with the most rows); a larger k (the remedy's measurement) re-avatarizes it with that one
table's k raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from avatar_server.engine.series_sides import person_and_series
from avatar_server.jobs.attack_audit import Audit, AuditNotMade
from avatar_server.jobs.attack_metrics import AuditAt, release_attacks
from avatar_server.jobs.group_audit import group_audit, person_table, person_tables
from avatar_server.jobs.group_avatarization import GroupAvatarizer
from avatar_server.jobs.measured import MeasuredGroup
from avatar_server.jobs.measured_series import MeasuredSeries
from avatar_yaml import AvatarizationParameters

Progress = Callable[[str, float], None]


def _sides(
    group: MeasuredGroup,
    series: Mapping[str, MeasuredSeries],
    excluded: Mapping[str, list[str]],
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Each table's originals and avatars row for row as its attacks read them: its measured
    columns, or for a series table its persons' rows with their series features."""
    sides = {}
    for name, pair in group.pairs.items():
        if name in series:
            measured = series[name]
            person, avatar_person = group.pairs[measured.parent].without(excluded)
            sides[name] = (
                person_and_series(person, measured.original_features, name),
                person_and_series(avatar_person, measured.avatar_features, name),
            )
        else:
            sides[name] = pair.without(excluded)
    return sides


def group_attacks(
    group: MeasuredGroup,
    series: Mapping[str, MeasuredSeries],
    chosen: Mapping[str, AvatarizationParameters],
    excluded: Mapping[str, list[str]],
    avatarize: GroupAvatarizer,
    *,
    seed: int,
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """Each table's attacks result (:func:`~attack_metrics.release_attacks`), from the group's
    audits at the run's parameters: one per individual-level table, holding out its own rows
    (and, for an attack that fails, the same audit with that table's k raised)."""
    report = progress or (lambda stage, fraction: None)
    sides = _sides(group, series, excluded)
    columns = {name: list(sides[name][0].columns) for name in group.pairs if name not in series}
    models = {name: measured.model for name, measured in series.items()}
    made: dict[tuple[str | None, tuple[str, int] | None], dict[str, Audit | str] | str] = {}
    ordered_persons = person_tables(group.group)
    own_persons = set(ordered_persons)
    try:
        default: str | None = person_table(group.group)
    except AuditNotMade:
        default = None  # no person at all: every audit says so

    def audits(persons: str | None, raised: tuple[str, int] | None) -> dict[str, Audit | str] | str:
        """The group's audits holding out the rows of ``persons`` (None: the default person
        table's), with ``raised`` = (table, k) changed (None: as run), or why the group has
        none; each made once."""
        if (persons, raised) not in made:
            parameters = dict(chosen)
            if raised is not None:
                owner, k = raised
                parameters[owner] = replace(chosen[owner], k=k)
            try:
                made[persons, raised] = group_audit(
                    group.group,
                    parameters,
                    columns,
                    avatarize,
                    seed=seed,
                    series_models=models,
                    persons=persons,
                )
            except AuditNotMade as why:
                made[persons, raised] = str(why)
            except ValueError as why:  # a share the engine or the typing refuses
                made[persons, raised] = f"the audit release could not be made: {why}"
        return made[persons, raised]

    def owner_of(name: str) -> str:
        return series[name].parent if name in series else name

    def persons_for(name: str) -> list[str | None]:
        """Whose audits measure ``name``, in order: an individual-level table (or a series of
        one) its own; any other table the default persons', then another individual-level
        table's when the default keeps it whole (a child of the doctors alone)."""
        owner = owner_of(name)
        if owner in own_persons and owner != default:
            return [owner]
        return [None, *(p for p in ordered_persons if p != default)]

    def audit_of(name: str) -> AuditAt:
        owner = owner_of(name)

        def at(k: int) -> Audit:
            why: str | None = None
            for persons in persons_for(name):
                found = audits(persons, None if k == chosen[owner].k else (owner, k))
                audit = found if isinstance(found, str) else found[name]
                if not isinstance(audit, str):
                    return audit
                why = why or audit
            raise AuditNotMade(why or "no audit holds out rows of this table")

        return at

    report("audit release of the persons kept", 0.0)
    audits(None, None)
    found = {}
    count = len(group.pairs)
    for index, name in enumerate(group.pairs):
        original, avatars = sides[name]

        def within(stage: str, fraction: float, index: int = index, name: str = name) -> None:
            report(f"{name}: {stage}", (index + fraction) / count)

        found[name] = release_attacks(
            original,
            avatars,
            audit=audit_of(name),
            k=chosen[owner_of(name)].k,
            seed=seed,
            progress=within,
        )
        # In a group, an audit is what holds whole persons out: a table without one (kept
        # whole, or too few rows held out) must not pass on the release attacks alone.
        found[name].setdefault("audit", {})["group"] = True
        if name in series:
            _name_series_secret(found[name], name)
    return found


def _name_series_secret(attacks: dict[str, Any], table: str) -> None:
    """When the inference attack's worst secret is one of the series' features (named
    ``<table>.<variable>:<j>`` or ``<table>.:length``...), say which series and variable it
    is, so the remedy names what the user can change rather than a column no file holds."""
    inference = attacks.get("inference") or {}
    secret = str(inference.get("secret", ""))
    prefix = f"{table}."
    if secret.startswith(prefix):
        variable = secret[len(prefix) :].split(":", 1)[0]
        inference["series_feature"] = {
            "table": table,
            "feature": secret[len(prefix) :],
            "variable": variable or None,
        }
