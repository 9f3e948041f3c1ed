"""Text cells a spreadsheet would run as formulas, and how CSV files are written safely.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking for one) is read by Excel, LibreOffice and Google Sheets as a
formula when the CSV is opened: ``=HYPERLINK("http://…?"&A1)`` sends a neighbouring cell away,
``=cmd|…`` once ran programs. The shuffled avatars are the file meant to leave the
organisation and be opened by someone else, so CSV files the client writes prefix such cells
with an apostrophe (the OWASP convention): the spreadsheet then shows the text as it is.

Numbers are never touched, negative ones included: a numeric column is left alone by type, and
a text cell that reads as a plain number (``-12.5``, ``+33``) is not a formula either. Data read
back into pandas by the client (``Runner.shuffled``) is never neutralized: the apostrophe is for
files a person opens, not for analysis.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula."""

CSV_LINE_END = "\r\n"
"""RFC 4180's line end. Python's CSV writer quotes a field holding a character of the line
end: with ``\n`` alone, a text cell holding a carriage return was written bare, and read back
as two rows."""

FORMULA_STARTS_IN_WORDS = "=, +, -, @, a tab or a carriage return"

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(cell: str) -> bool:
    """True if a spreadsheet would read the text ``cell`` as a formula."""
    return cell.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(cell) is None


def neutralize_cell(cell: str) -> str:
    """``cell`` with an apostrophe in front if it is formula-like, else unchanged."""
    return f"'{cell}" if is_formula_like(cell) else cell


def _is_text(column: pd.Series) -> bool:
    return bool(
        pd.api.types.is_object_dtype(column.dtype)
        or pd.api.types.is_string_dtype(column.dtype)
        or isinstance(column.dtype, pd.CategoricalDtype)
    )


def formula_like_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many formula-like text cells each text column holds (columns with none left out)."""
    counts: dict[str, int] = {}
    for name in frame.columns:
        column = frame[name]
        if not _is_text(column):
            continue
        # Each distinct value is looked at once: a million rows hold far fewer of them.
        found = sum(
            int(count)
            for value, count in column.value_counts(sort=False).items()
            if isinstance(value, str) and is_formula_like(value)
        )
        if found:
            counts[str(name)] = found
    return counts


def neutralized_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns (and column names) have their formula-like cells
    neutralized; numeric, boolean and date columns are returned as they are."""
    safe = frame.copy()
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if _is_text(column):
            cells = [
                neutralize_cell(value) if isinstance(value, str) else value for value in column
            ]
            safe.isetitem(position, pd.array(cells, dtype=object))
    safe.columns = pd.Index(
        [neutralize_cell(name) if isinstance(name, str) else name for name in frame.columns]
    )
    return safe


def write_neutralized_csv(frame: pd.DataFrame, path: Path) -> int:
    """Write ``frame`` as CSV at ``path`` with formula-like text cells neutralized; returns how
    many cells (column names included) were."""
    count = sum(formula_like_counts(frame).values())
    count += sum(1 for name in frame.columns if isinstance(name, str) and is_formula_like(name))
    neutralized_frame(frame).to_csv(path, index=False, lineterminator=CSV_LINE_END)
    return count


def _neutralized_rows(rows: Iterable[list[str]], counter: list[int]) -> Iterable[list[str]]:
    for row in rows:
        safe = [neutralize_cell(cell) for cell in row]
        counter[0] += sum(1 for before, after in zip(row, safe, strict=True) if before != after)
        yield safe


def neutralize_csv_file(path: Path) -> int:
    """Rewrite the CSV file at ``path`` (UTF-8, comma-separated, as the server writes result
    tables) with formula-like cells neutralized, row by row so a file of any size fits in
    memory; returns how many cells were. The file is replaced only once fully rewritten."""
    partial = path.with_name(path.name + ".neutralizing")
    counter = [0]
    try:
        with (
            path.open(newline="", encoding="utf-8") as source,
            partial.open("w", newline="", encoding="utf-8") as target,
        ):
            csv.writer(target, lineterminator=CSV_LINE_END).writerows(
                _neutralized_rows(csv.reader(source), counter)
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return counter[0]
