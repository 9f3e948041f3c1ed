"""New primary key values for avatar tables.

An avatar row must never carry an original key value: on ``p_id`` 0..129, numbering the avatars
1..n puts original keys on unrelated rows, and a reader joining the avatar table to the original
one by key would pair each person with a stranger's avatar as if it were theirs. Fresh keys are
drawn at random from a range whose size depends only on how many keys there are (never on their
values), with the original values removed, in random order: they tell nothing of the originals'
values, order or offset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TEXT_KEY_LENGTH = 16
_HEX = np.array(list("0123456789abcdef"))


def fresh_keys(original: pd.Series, count: int, *, seed: int) -> pd.Series:
    """``count`` new unique key values of ``original``'s kind, none equal to an original value.

    Integers stay integers (int64, drawn from ``[1, 10 × (count + originals)]``, at least up to
    ``10**6``), floats holding whole numbers get the same integers as floats, and text stays
    text (16 random lowercase hexadecimal characters). Deterministic per ``seed``.
    """
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    rng = np.random.default_rng(seed)
    dtype = original.dtype
    present = original.dropna()
    if pd.api.types.is_bool_dtype(dtype):
        raise ValueError(
            f"key column {original.name!r} holds booleans: a key needs more than two values; "
            "declare another column as the key"
        )
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        if pd.api.types.is_float_dtype(dtype) and not np.all(np.mod(present.to_numpy(), 1) == 0):
            raise ValueError(
                f"key column {original.name!r} holds non-integer numbers: a numeric key must "
                "hold whole numbers; declare it as text or choose another key"
            )
        values = _fresh_integers(present.to_numpy(), count, rng)
        kind = "int64" if pd.api.types.is_integer_dtype(dtype) else "float64"
        return pd.Series(values, name=original.name, dtype=kind)
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        texts = _fresh_texts({str(value) for value in present}, count, rng)
        text_dtype: Any = dtype if pd.api.types.is_string_dtype(dtype) else object
        keys: pd.Series = pd.Series(texts, name=original.name, dtype=text_dtype)
        return keys
    raise ValueError(
        f"key column {original.name!r} has type {dtype}: keys must be integers or text; "
        "convert it before declaring it as a key"
    )


def _fresh_integers(
    originals: np.ndarray[Any, Any], count: int, rng: np.random.Generator
) -> np.ndarray[Any, np.dtype[np.int64]]:
    taken = np.unique(originals.astype(np.int64))
    span = max(10 * (count + len(taken)), 10**6)
    # Enough draws that at least ``count`` survive the removal of the original values.
    drawn = rng.choice(span, size=count + len(taken), replace=False) + 1
    kept = drawn[~np.isin(drawn, taken)]
    return np.asarray(kept[:count], dtype=np.int64)


def _fresh_texts(taken: set[str], count: int, rng: np.random.Generator) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < count:
        needed = count - len(found)
        letters = _HEX[rng.integers(0, 16, size=(needed, TEXT_KEY_LENGTH))]
        for text in np.ascontiguousarray(letters).view(f"<U{TEXT_KEY_LENGTH}").ravel().tolist():
            if text not in taken and text not in seen:
                seen.add(text)
                found.append(text)
    return found


__all__ = ["fresh_keys"]
