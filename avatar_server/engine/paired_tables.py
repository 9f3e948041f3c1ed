"""The originals and their avatars in one code space, for the metrics that compare values.

Matches compare values exactly, so both tables are coded together first: ``1`` and ``1.0`` (or
two spellings of a missing value) get the same code, and a combination of columns gets one
exact code per row (no hashing, so two different rows never collide).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.columns import NUMERIC_KINDS, ColumnInfo, aligned_codes, column_numbers

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class Codes:
    """Integer codes of one column (or a combination of columns) for originals and avatars,
    shared by both sides: equal codes mean equal values. ``missing`` is the code of gaps."""

    original: IntArray
    avatars: IntArray
    size: int
    missing: int | None = None


def _compress(key: IntArray) -> tuple[IntArray, int]:
    codes, uniques = pd.factorize(key)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def combine(parts: Sequence[tuple[IntArray, int]], rows: int) -> tuple[IntArray, int]:
    """One code per row for the combination of several code columns (exact, no hashing)."""
    key = np.zeros(rows, dtype=np.int64)
    size = 1
    for codes, width in parts:
        if size * max(width, 1) >= 2**62:
            key, size = _compress(key)
        key = key * width + codes
        size *= width
    if size > 2 * rows:
        key, size = _compress(key)
    return key, size


class PairedTables:
    """The originals and their avatars, read on the originals' terms, with cached codes."""

    def __init__(self, original: pd.DataFrame, avatars: pd.DataFrame, infos: list[ColumnInfo]):
        self.original = original
        self.avatars = avatars
        self.rows = len(original)
        self.columns = [info.name for info in infos]
        self.info = {info.name: info for info in infos}
        self._numbers: dict[str, tuple[FloatArray, FloatArray]] = {}
        self._codes: dict[str, Codes] = {}

    def is_numeric(self, name: str) -> bool:
        return self.info[name].kind in NUMERIC_KINDS

    def numbers(self, name: str) -> tuple[FloatArray, FloatArray]:
        if name not in self._numbers:
            info = self.info[name]
            self._numbers[name] = (
                column_numbers(self.original[name], info),
                column_numbers(self.avatars[name], info),
            )
        return self._numbers[name]

    def codes(self, name: str) -> Codes:
        if name not in self._codes:
            if self.is_numeric(name):
                self._codes[name] = self._numeric_codes(name)
            else:
                self._codes[name] = self._categorical_codes(name)
        return self._codes[name]

    def _numeric_codes(self, name: str) -> Codes:
        original, avatars = self.numbers(name)
        # + 0.0 turns -0.0 into 0.0: the same number must get the same code.
        codes, uniques = pd.factorize(np.concatenate([original, avatars]) + 0.0)
        codes = np.asarray(codes, dtype=np.int64)
        missing = len(uniques)
        codes[codes < 0] = missing
        return Codes(codes[: self.rows], codes[self.rows :], missing + 1, missing)

    def _categorical_codes(self, name: str) -> Codes:
        """Modalities compared as text, as the projection sees them (``True`` = ``"True"``)."""
        codes_o, codes_a, _, missing = aligned_codes(self.original[name], self.avatars[name])
        return Codes(codes_o, codes_a, missing + 1, missing)

    def key(self, names: Sequence[str], extra: Sequence[tuple[IntArray, int]] = ()) -> Codes:
        """Joint codes of several columns (gaps equal gaps), plus ``extra`` stacked codes."""
        parts: list[tuple[IntArray, int]] = []
        for name in names:
            codes = self.codes(name)
            parts.append((np.concatenate([codes.original, codes.avatars]), codes.size))
        parts.extend(extra)
        key, size = combine(parts, 2 * self.rows)
        return Codes(key[: self.rows], key[self.rows :], size)

    def distinct(self, name: str) -> int:
        """Distinct non-missing values in the original column."""
        codes = self.codes(name)
        present = np.bincount(codes.original, minlength=codes.size) > 0
        if codes.missing is not None:
            present[codes.missing] = False
        return int(np.count_nonzero(present))
