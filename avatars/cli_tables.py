"""The tables and links of ``avatars anonymize``, read from its arguments.

One table is a file (named by the file's stem, as before linked tables); several are given by
``--table NAME=PATH`` (repeatable) and/or a folder, whose CSV and Parquet files are one table
each, named by their stem. Options naming a column name its table too when there are several:
``--primary-key TABLE=COLUMN``, ``--foreign-key TABLE=COLUMN``, ``--drop TABLE.COLUMN``,
``--pseudonymize TABLE.COLUMN=KIND``; links are ``--link PARENT.KEY=CHILD.FOREIGN_KEY[:METHOD]``.
A series table names its time column (``--time-column TABLE=COLUMN``), is linked from its
persons' table with ``:time_series``, and is tuned by ``--series TABLE.SETTING=VALUE`` (the
``time_series_*`` keywords of ``Runner.set_parameters`` without their prefix).
Everything is read here, before anything is uploaded, and a malformed value is named.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from avatar_yaml import LinkMethod
from avatar_yaml.link_advice import TablesLinksAdvice

TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class TableArgs:
    """One table of the command line and what its options declare about it."""

    name: str
    path: Path
    primary_key: str | None = None
    foreign_keys: list[str] = dataclasses.field(default_factory=list)
    individual_level: bool | None = None
    drop: list[str] = dataclasses.field(default_factory=list)
    pseudonymize: dict[str, str] = dataclasses.field(default_factory=dict)
    keep: dict[str, str] = dataclasses.field(default_factory=dict)
    time_column: str | None = None
    series: dict[str, int | float | str] = dataclasses.field(default_factory=dict)
    """``set_parameters`` keywords of a series table (``time_series_nf``...), values read."""


SERIES_SETTINGS: dict[str, type[int] | type[float] | type[str]] = {
    "projection_type": str,
    "nf": int,
    "block_weight": float,
    "method": str,
    "nb_points": int,
    "unalignment": str,
}
"""What ``--series TABLE.SETTING=VALUE`` sets (``time_series_<SETTING>``) and how its value
reads; the choices and bounds are the Runner's (the YAML's)."""


@dataclass(frozen=True)
class LinkArgs:
    parent: str
    parent_field: str
    child: str
    child_field: str
    method: LinkMethod = LinkMethod.LINEAR_SUM_ASSIGNMENT


def run_name(path: Path) -> str:
    """A valid run name from a file's stem or a folder's name (letters, digits, '_', '-')."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", path.name if path.is_dir() else path.stem)
    return name.strip("_")[:200] or "tables"


def _folder_tables(folder: Path) -> list[tuple[str, Path]]:
    files = sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in TABLE_SUFFIXES
    )
    if not files:
        raise ValueError(f"folder {folder}: no CSV or Parquet file in it (one table per file)")
    return [(path.stem, path) for path in files]


def table_paths(data: str | None, tables: Sequence[str]) -> list[tuple[str, Path]]:
    """Each table's name and file, from the positional FILE-or-FOLDER and ``--table``s."""
    found: list[tuple[str, Path]] = []
    if data is not None:
        path = Path(data)
        if path.is_dir():
            found += _folder_tables(path)
        elif path.is_file():
            found.append((run_name(path) if not tables else path.stem, path))
        else:
            raise ValueError(f"no such file or folder: {path}")
    for value in tables:
        name, sep, file = value.partition("=")
        if not sep or not name or not file:
            raise ValueError(f"--table {value!r}: expected NAME=PATH")
        if not Path(file).is_file():
            raise ValueError(f"--table {value!r}: no such file: {file}")
        found.append((name, Path(file)))
    if not found:
        raise ValueError(
            "no table: give a file, a folder of CSV/Parquet files, or --table NAME=PATH"
        )
    names = [name for name, _ in found]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(
            f"tables named twice: {', '.join(twice)}; name them with --table NAME=PATH"
        )
    return found


def _split_table(value: str, option: str, names: Sequence[str], separator: str) -> tuple[str, str]:
    """``TABLE<separator>REST`` to (table, rest); with one table, ``REST`` alone names it."""
    matches = [name for name in names if value.startswith(name + separator)]
    if matches:
        table = max(matches, key=len)
        rest = value[len(table) + len(separator) :]
        if rest:
            return table, rest
    if len(names) == 1:
        return names[0], value
    raise ValueError(
        f"{option} {value!r}: expected TABLE{separator}... naming one of the tables "
        f"({', '.join(names)})"
    )


def _pair(value: str, option: str) -> tuple[str, str]:
    key, sep, choice = value.rpartition("=")
    if not sep or not key or not choice:
        raise ValueError(f"{option} {value!r}: expected COLUMN=VALUE")
    return key, choice


def _boolean(value: str, option: str) -> bool:
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if value.lower() not in words:
        raise ValueError(f"{option}: {value!r} is not true or false")
    return words[value.lower()]


def parse_link(value: str, names: Sequence[str]) -> LinkArgs:
    """``PARENT.KEY=CHILD.FOREIGN_KEY[:METHOD]``."""
    option = "--link"
    parent_side, sep, child_side = value.partition("=")
    if not sep:
        raise ValueError(f"{option} {value!r}: expected PARENT.KEY=CHILD.FOREIGN_KEY[:METHOD]")
    method = LinkMethod.LINEAR_SUM_ASSIGNMENT
    head, colon, tail = child_side.rpartition(":")
    if colon and tail in {m.value for m in LinkMethod}:
        child_side, method = head, LinkMethod(tail)
    elif colon and tail and "." not in tail:
        choices = ", ".join(m.value for m in LinkMethod)
        raise ValueError(f"{option} {value!r}: unknown method {tail!r}; one of {choices}")
    parent, parent_field = _split_table(parent_side, option, names, ".")
    child, child_field = _split_table(child_side, option, names, ".")
    return LinkArgs(parent, parent_field, child, child_field, method)


def declared_tables(
    paths: Sequence[tuple[str, Path]],
    *,
    primary_keys: Sequence[str] = (),
    foreign_keys: Sequence[str] = (),
    individual_level: Sequence[str] = (),
    drop: Sequence[str] = (),
    pseudonymize: Sequence[str] = (),
    keep: Sequence[str] = (),
    links: Sequence[str] = (),
    time_columns: Sequence[str] = (),
    series: Sequence[str] = (),
) -> tuple[list[TableArgs], list[LinkArgs]]:
    """The tables with their declarations, and the links, from the options' raw values."""
    tables = {name: TableArgs(name, path) for name, path in paths}
    names = list(tables)
    for value in primary_keys:
        table, column = _split_table(value, "--primary-key", names, "=")
        if tables[table].primary_key not in (None, column):
            raise ValueError(f"--primary-key: table {table!r} is given two primary keys")
        tables[table].primary_key = column
    for value in foreign_keys:
        table, column = _split_table(value, "--foreign-key", names, "=")
        tables[table].foreign_keys.append(column)
    for value in individual_level:
        table, flag = _split_table(value, "--individual-level", names, "=")
        tables[table].individual_level = _boolean(flag, f"--individual-level {value!r}")
    for value in drop:
        table, column = _split_table(value, "--drop", names, ".")
        tables[table].drop.append(column)
    for option, values, target in (
        ("--pseudonymize", pseudonymize, "pseudonymize"),
        ("--keep", keep, "keep"),
    ):
        for value in values:
            qualified, choice = _pair(value, option)
            table, column = _split_table(qualified, option, names, ".")
            chosen: dict[str, str] = getattr(tables[table], target)
            chosen[column] = choice
    for value in time_columns:
        table, column = _split_table(value, "--time-column", names, "=")
        if tables[table].time_column not in (None, column):
            raise ValueError(f"--time-column: table {table!r} is given two time columns")
        tables[table].time_column = column
    for value in series:
        table, setting, read = _series_setting(value, names)
        tables[table].series[f"time_series_{setting}"] = read
    return list(tables.values()), [parse_link(value, names) for value in links]


def _series_setting(value: str, names: Sequence[str]) -> tuple[str, str, int | float | str]:
    """``TABLE.SETTING=VALUE`` (``SETTING=VALUE`` for a single table), the value read."""
    option = "--series"
    qualified, raw = _pair(value, option)
    table, setting = _split_table(qualified, option, names, ".")
    kind = SERIES_SETTINGS.get(setting)
    if kind is None:
        raise ValueError(
            f"{option} {value!r}: unknown setting {setting!r}; one of {', '.join(SERIES_SETTINGS)}"
        )
    try:
        return table, setting, kind(raw)
    except ValueError:
        wanted = "an integer" if kind is int else "a number"
        raise ValueError(f"{option} {value!r}: {setting} takes {wanted}, got {raw!r}") from None


def advice_lines(advice: TablesLinksAdvice) -> list[str]:
    """What ``--advise-links`` found: the links it added, and the keys it could not place."""
    lines = [
        f"advised link: {link.parent_table}.{link.parent_field} -> {link.child_table}."
        f"{link.child_field} ({link.confidence} confidence), added"
        for link in advice.links
    ]
    for key in advice.unlinked_foreign_keys:
        candidates = ", ".join(key.candidate_tables) or "none"
        lines.append(
            f"not linked: {key.table}.{key.field} (candidate tables: {candidates}); "
            "link it with --link"
        )
    return lines
