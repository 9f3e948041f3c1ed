"""No avatar copies an original row that no other original holds; marginals are untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.copies import (
    break_unique_copies,
    copies_left_warning,
    unique_copy_rows,
)


def test_wbcd_avatars_copy_no_unique_original(wbcd: pd.DataFrame) -> None:
    """wbcd's 1–10 scores make unique copies by chance; the swaps remove them and move values
    between avatars only, so each column holds exactly the values it held without them."""
    for seed in (0, 1):
        kept = avatarize(wbcd, k=20, seed=seed).unshuffled
        plain = avatarize(wbcd, k=20, seed=seed, avoid_unique_copies=False).unshuffled
        assert len(unique_copy_rows(wbcd, plain)) > 5, seed
        assert len(unique_copy_rows(wbcd, kept)) == 0, seed
        for column in wbcd.columns:
            assert sorted(kept[column]) == sorted(plain[column]), column
        changed = int((kept != plain).any(axis=1).sum())
        assert 0 < changed < len(wbcd) // 5, seed


def test_shared_rows_may_be_copied_and_gaps_and_text_are_handled() -> None:
    """A row many originals hold is no disclosure and stays; a unique one is broken, through
    a text column when no number can move, and the frame keeps its dtypes."""
    original = pd.DataFrame(
        {
            "n": [1, 1, 1, 2, 3, 4],
            "city": ["a", "a", "a", "b", None, "c"],
        }
    )
    avatars = pd.DataFrame({"n": [1, 1, 2, 4, 4, 3], "city": ["a", "a", "b", "c", "b", None]})
    assert list(unique_copy_rows(original, avatars)) == [2, 3, 5]  # (3, gap) too
    fixed, left = break_unique_copies(original, avatars, np.random.default_rng(0))
    assert left == 0
    assert len(unique_copy_rows(original, fixed)) == 0
    # Each copy moves one cell with one partner: at most two rows per copy change.
    assert int((fixed.fillna("") != avatars.fillna("")).any(axis=1).sum()) <= 6
    shared = pd.DataFrame({"n": [1, 1], "city": ["a", "a"]})
    assert len(unique_copy_rows(original, shared)) == 0  # held by three originals: no copy
    assert sorted(fixed["n"]) == sorted(avatars["n"])
    assert sorted(fixed["city"].fillna("")) == sorted(avatars["city"].fillna(""))
    assert list(fixed.dtypes) == list(avatars.dtypes)

    text = pd.DataFrame({"city": ["a", "b", "b", "c", "c"], "kind": ["x", "y", "y", "x", "x"]})
    fixed_text, left = break_unique_copies(text, text.copy(), np.random.default_rng(0))
    assert left == 0
    assert len(unique_copy_rows(text, fixed_text)) == 0
    for column in text.columns:
        assert sorted(fixed_text[column]) == sorted(text[column])


def test_a_copy_that_cannot_move_is_counted() -> None:
    """When no arrangement of the avatars' values avoids a unique row, what is left is counted
    (avatarize then warns)."""
    original = pd.DataFrame({"n": [7, 8]})
    avatars = pd.DataFrame({"n": [7, 7]})
    fixed, left = break_unique_copies(original, avatars, np.random.default_rng(0))
    assert left == 2
    assert list(fixed["n"]) == [7, 7]
    assert copies_left_warning(left).startswith("2 avatar(s) still equal an original row")


def test_a_value_only_one_original_holds_cannot_be_swapped_away() -> None:
    original = pd.DataFrame({"city": ["a", "b", "b"]})
    fixed, left = break_unique_copies(original, original.copy(), np.random.default_rng(0))
    assert left == 1
    assert sorted(fixed["city"]) == ["a", "b", "b"]
