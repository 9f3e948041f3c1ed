"""Pseudonymization keeps its promises, strategy by strategy (issue 12, item 3).

No pseudonym is an original value of its column; a consistent strategy is one-to-one (equal
originals, equal pseudonyms; distinct originals, distinct pseudonyms); a per-row one draws per
row; missing stays missing; the keyed hash is keyed; and only the new column comes back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from email_validator import validate_email

import avatar_server.engine.pseudonyms as pseudonyms_module
from avatar_server.engine import (
    LETTER_CASES,
    PII_TYPES,
    PSEUDONYMIZATION_KINDS,
    PseudonymizationSettings,
    pseudonymize,
)
from avatar_yaml.vocabulary import LetterCase, PiiType, PseudonymizationKind

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))

FAKERS = {
    f"faker-{pii.lower()}": PseudonymizationSettings("FAKER", pii_type=pii) for pii in PII_TYPES
}
CONSISTENT: dict[str, PseudonymizationSettings] = {
    **FAKERS,
    "faker-varied": PseudonymizationSettings("FAKER", pii_type="FULL_NAME", high_variability=True),
    "hash": PseudonymizationSettings("HASH_SHA256"),
    "uuid4": PseudonymizationSettings("UUID4"),
    "integer": PseudonymizationSettings("INTEGER"),
    "pattern-upper": PseudonymizationSettings("SPECIFIC_ID", pattern="EMP-@@####"),
    "pattern-lower": PseudonymizationSettings(
        "SPECIFIC_ID", pattern="emp-@@####", letter_case="lower"
    ),
    "pattern-both": PseudonymizationSettings("SPECIFIC_ID", pattern="@@@-##", letter_case="both"),
}
PER_ROW = {
    f"{name}-per-row": replace(settings, consistent=False)
    for name, settings in CONSISTENT.items()
    if settings.kind != "HASH_SHA256"
}
IDENTIFIERS = {name for name, settings in PER_ROW.items() if settings.kind != "FAKER"}
EVERY = {
    **CONSISTENT,
    **PER_ROW,
    "constant": PseudonymizationSettings("CONSTANT", value="REDACTED"),
}


def _run(
    values: pd.Series,
    settings: PseudonymizationSettings,
    *,
    secret: bytes = SECRET,
    seed: int = 0,
) -> pd.Series:
    return pseudonymize(values, settings, secret=secret, seed=seed)


def _folded(series: pd.Series) -> set[str]:
    return {str(value).strip().casefold() for value in series.dropna()}


def _people(distinct: int, rows: int, seed: int = 0) -> pd.Series:
    """``rows`` rows holding each of ``distinct`` identifiers at least once, in random order."""
    rng = np.random.default_rng(seed)
    codes = np.concatenate([np.arange(distinct), rng.integers(0, distinct, rows - distinct)])
    rng.shuffle(codes)
    return pd.Series([f"person {code}" for code in codes], name="who")


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "SHA1"}, "unknown pseudonymization kind 'SHA1'"),
        ({"kind": "FAKER"}, "needs a pii_type"),
        ({"kind": "FAKER", "pii_type": "IBAN"}, "unknown pii_type 'IBAN'"),
        ({"kind": "UUID4", "pii_type": "EMAIL"}, "pii_type is for FAKER"),
        ({"kind": "INTEGER", "high_variability": True}, "high_variability is for FAKER"),
        ({"kind": "CONSTANT"}, "needs a non-empty value"),
        ({"kind": "CONSTANT", "value": ""}, "needs a non-empty value"),
        ({"kind": "HASH_SHA256", "value": "x"}, "value is for CONSTANT"),
        ({"kind": "SPECIFIC_ID"}, "needs a pattern"),
        ({"kind": "SPECIFIC_ID", "pattern": "EMP-0001"}, "has no placeholder"),
        ({"kind": "SPECIFIC_ID", "pattern": "EMP-\\#\\@"}, "has no placeholder"),
        ({"kind": "SPECIFIC_ID", "pattern": "EMP-##\\"}, "ends with a lone"),
        ({"kind": "UUID4", "pattern": "##"}, "pattern is for SPECIFIC_ID"),
        ({"kind": "SPECIFIC_ID", "pattern": "##", "letter_case": "title"}, "letter_case"),
        ({"kind": "HASH_SHA256", "consistent": False}, "consistent by nature"),
    ],
)
def test_settings_refuse_what_they_cannot_do(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        PseudonymizationSettings(**fields)  # type: ignore[arg-type]


def test_the_engine_knows_the_run_format_choices() -> None:
    """The engine names the choices itself (it imports nothing of avatar_yaml): the same ones."""
    assert set(PSEUDONYMIZATION_KINDS) == {kind.value for kind in PseudonymizationKind}
    assert set(PII_TYPES) == {pii.value for pii in PiiType}
    assert set(LETTER_CASES) == {case.value for case in LetterCase}
    # The enums themselves are accepted (they are strings).
    PseudonymizationSettings(
        PseudonymizationKind.SPECIFIC_ID, pattern="#", letter_case=LetterCase.BOTH
    )


@pytest.mark.parametrize(
    ("secret", "seed", "message"),
    [
        (b"short", 0, "at least 16 random bytes"),
        ("a string, not bytes", 0, "at least 16 random bytes"),
        (SECRET, -1, "non-negative integer"),
        (SECRET, True, "non-negative integer"),
    ],
)
def test_the_secret_and_seed_are_checked(secret: object, seed: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pseudonymize(pd.Series(["a"]), CONSISTENT["uuid4"], secret=secret, seed=seed)  # type: ignore[arg-type]


# --- never an original --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONSISTENT | PER_ROW))
def test_no_pseudonym_is_an_original(name: str) -> None:
    """The column is poisoned with the very pseudonyms it would get (same secret, seed and name,
    so the draws start alike), also upper-cased and padded: none may come out."""
    settings = EVERY[name]
    plain = _people(300, 600)
    first = _run(plain, settings)
    drawn = [str(value) for value in first.dropna()]
    poisoned = pd.Series(
        plain.tolist() + drawn + [f"  {value.upper()} " for value in drawn], name=plain.name
    )
    again = _run(poisoned, settings)
    assert again.notna().all()
    assert not _folded(again) & _folded(poisoned)


def test_integers_avoid_the_column_own_numbers_however_written() -> None:
    values = pd.Series([*range(1, 1001), "0007", 1500.0, "1e3", " 1200 ", "x"], dtype=object)
    numbers = _run(values, CONSISTENT["integer"])
    held = {*range(1, 1001), 1500, 1200}
    assert not set(numbers.astype(int)) & held
    # The sequence skips them and stays short: 1001... without 1200 and 1500, one number for
    # each of the 1,005 distinct texts ("0007" is not written as 7).
    expected = [number for number in range(1, 3000) if number not in held][: values.nunique()]
    assert values.nunique() == 1005
    assert set(numbers.astype(int)) == set(expected)


def test_a_constant_that_is_an_original_is_refused() -> None:
    values = pd.Series(["alice", " Redacted ", None], name="who")
    with pytest.raises(ValueError, match="'REDACTED' is one of the values of column 'who'"):
        _run(values, EVERY["constant"])
    other = _run(values, PseudonymizationSettings("CONSTANT", value="someone"))
    assert other.tolist()[:2] == ["someone", "someone"]


def test_identifiers_of_a_small_pattern_avoid_the_originals_it_spells() -> None:
    """'@#' has 260 identifiers; the column spells 100 of them: all 150 pseudonyms are others."""
    spelled = [f"{letter}{digit}" for letter in "ABCDEFGHIJ" for digit in range(10)]
    values = pd.Series(spelled + [f"other {i}" for i in range(50)])
    ids = _run(values, PseudonymizationSettings("SPECIFIC_ID", pattern="@#"))
    assert ids.nunique() == 150
    assert not set(ids) & set(spelled)
    assert ids.str.fullmatch(r"[A-Z][0-9]").all()


# --- consistent and per row ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONSISTENT))
def test_consistent_strategies_are_one_to_one_on_50k_values(name: str) -> None:
    values = _people(50_000, 80_000)
    pseudonyms = _run(values, CONSISTENT[name])
    table = pd.DataFrame({"original": values, "pseudonym": pseudonyms})
    # Equal originals -> equal pseudonyms, and as many pseudonyms as originals: a bijection.
    assert (table.groupby("original")["pseudonym"].nunique() == 1).all()
    assert pseudonyms.nunique() == values.nunique() == 50_000


@pytest.mark.parametrize("name", sorted(PER_ROW))
def test_per_row_strategies_draw_for_each_row(name: str) -> None:
    values = pd.Series([f"person {i % 20}" for i in range(2000)], name="who")
    pseudonyms = _run(values, PER_ROW[name])
    per_original = pd.DataFrame({"o": values, "p": pseudonyms}).groupby("o")["p"].nunique()
    if name in IDENTIFIERS:
        assert pseudonyms.is_unique  # no two rows look like one person
    else:
        assert (per_original > 50).all()  # fake values may repeat, as real ones do


def test_values_equal_as_written_are_one_original() -> None:
    """3, 3.0 and "3" are written alike in a CSV file: one original, one pseudonym."""
    values = pd.Series([3, 3.0, "3", 4, "4 "], dtype=object)
    uuids = _run(values, CONSISTENT["uuid4"]).tolist()
    assert uuids[0] == uuids[1] == uuids[2] != uuids[3] != uuids[4]


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["b", "a", "b", "c"], dtype="category"),
        pd.Series([10, 20, 10, 30]),
        pd.Series(pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-02", "2021-05-05"])),
        pd.Series([True, False, True, None], dtype=object),
    ],
    ids=["category", "int", "datetime", "bool"],
)
def test_any_column_type_is_pseudonymized(values: pd.Series) -> None:
    for settings in CONSISTENT.values():
        pseudonyms = _run(values, settings)
        assert pseudonyms.iloc[0] == pseudonyms.iloc[2]
        assert pseudonyms.iloc[0] != pseudonyms.iloc[1]


# --- missing values -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EVERY))
def test_missing_stays_missing(name: str) -> None:
    values = pd.Series(["a", None, "b", np.nan, "a", pd.NA, "c"], dtype=object, name="c")
    pseudonyms = _run(values, EVERY[name])
    assert pseudonyms.isna().tolist() == values.isna().tolist()
    empty = pd.Series([None, np.nan], dtype=object)
    assert _run(empty, EVERY[name]).isna().all()


def test_missing_values_are_not_values() -> None:
    """A pattern with 10 identifiers serves 10 originals among any number of missing rows, and
    the integer sequence counts only values."""
    values = pd.Series([*map(str, range(10)), *[None] * 50], dtype=object)
    ids = _run(values, PseudonymizationSettings("SPECIFIC_ID", pattern="X#"))
    assert ids.dropna().nunique() == 10
    assert set(_run(values, CONSISTENT["integer"]).dropna()) == set(range(10, 20))


# --- determinism and keys -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONSISTENT))
def test_the_run_secret_and_seed_decide_the_pseudonyms(name: str) -> None:
    settings = CONSISTENT[name]
    values = _people(200, 300)
    first = _run(values, settings)
    pd.testing.assert_series_equal(_run(values, settings), first)
    assert not _run(values, settings, secret=OTHER_SECRET).equals(first)
    if settings.kind != "HASH_SHA256":
        assert not _run(values, settings, seed=1).equals(first)
        # Two columns pseudonymized alike in one run do not share their pseudonyms.
        assert not _run(values.rename("other"), settings).equals(first)


def test_fake_values_ignore_the_global_random_state() -> None:
    import random

    values = _people(100, 100)
    settings = CONSISTENT["faker-varied"]
    random.seed(1)
    np.random.seed(1)
    first = _run(values, settings)
    random.seed(2)
    np.random.seed(2)
    pd.testing.assert_series_equal(_run(values, settings), first)


def test_the_hash_is_keyed_with_the_run_secret() -> None:
    values = pd.Series(["alice@example.org", "bob@example.org", "12345"], name="email")
    hashes = _run(values, CONSISTENT["hash"])
    assert hashes.str.fullmatch(r"[0-9a-f]{32}").all()
    for value, digest in zip(values, hashes, strict=True):
        bare = hashlib.sha256(value.encode()).hexdigest()
        assert digest not in (bare, bare[:32], bare[-32:])
        salted = hashlib.sha256(SECRET + value.encode()).hexdigest()
        assert digest != salted[:32]
    other = _run(values, CONSISTENT["hash"], secret=OTHER_SECRET)
    assert not set(other) & set(hashes)
    # One value, one hash under one secret: whatever the seed, column name or row order, so
    # two tables of a run can still be joined on it.
    reordered = _run(values[::-1].rename("other"), CONSISTENT["hash"], seed=9)
    assert reordered[::-1].tolist() == hashes.tolist()


# --- integers -----------------------------------------------------------------------------


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(pd.Series(a).rank(), pd.Series(b).rank())[0, 1])


def test_integers_reveal_neither_sort_order_nor_appearance_order() -> None:
    rng = np.random.default_rng(3)
    originals = np.array([f"P{i:05d}" for i in range(2000)])
    rows = originals[np.concatenate([np.arange(2000), rng.integers(0, 2000, 3000)])]
    values = pd.Series(rows)
    numbers = _run(values, CONSISTENT["integer"])
    assert set(numbers) == set(range(1, 2001))
    by_original = pd.Series(numbers.to_numpy(), index=values).groupby(level=0).first()
    sort_rank = np.arange(2000)  # originals are named in their sort order
    appearance = pd.Index(pd.unique(values)).get_indexer(by_original.index)
    assert abs(_rank_correlation(sort_rank, by_original.to_numpy())) < 0.1
    assert abs(_rank_correlation(appearance, by_original.to_numpy())) < 0.1
    per_row = _run(values, PER_ROW["integer-per-row"])
    assert sorted(per_row) == list(range(1, 5001))
    assert abs(_rank_correlation(np.arange(5000), per_row.to_numpy(dtype=int))) < 0.1


# --- patterns -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "shape"),
    [("upper", r"Id-[A-Z]{2}[0-9]{3}"), ("lower", r"Id-[a-z]{2}[0-9]{3}"), ("both", None)],
)
def test_pattern_letters_follow_the_letter_case(case: str, shape: str | None) -> None:
    values = _people(5000, 5000)
    ids = _run(
        values, PseudonymizationSettings("SPECIFIC_ID", pattern="Id-@@###", letter_case=case)
    )
    if shape is None:  # both cases, and both present
        assert ids.str.fullmatch(r"Id-[A-Za-z]{2}[0-9]{3}").all()
        assert ids.str.contains(r"-[a-z]").any() and ids.str.contains(r"-[A-Z]").any()
    else:  # the literal "Id" is kept as written
        assert ids.str.fullmatch(shape).all()


def test_pattern_escapes_make_placeholders_literal() -> None:
    settings = PseudonymizationSettings("SPECIFIC_ID", pattern="\\#\\@\\\\-##")
    ids = _run(pd.Series(["a", "b", "c"]), settings)
    assert ids.str.fullmatch(r"#@\\-[0-9]{2}").all()


def test_a_pattern_too_small_for_the_column_is_refused() -> None:
    values = pd.Series([f"person {i}" for i in range(11)])
    with pytest.raises(ValueError, match=r"room for 10 identifiers.*needs 11 \(one per distinct"):
        _run(values, PseudonymizationSettings("SPECIFIC_ID", pattern="X#"))
    one_person = pd.Series(["same"] * 11)
    assert _run(one_person, PseudonymizationSettings("SPECIFIC_ID", pattern="X#")).nunique() == 1
    with pytest.raises(ValueError, match=r"needs 11 \(one per row\)"):
        _run(one_person, PseudonymizationSettings("SPECIFIC_ID", pattern="X#", consistent=False))
    # Room for 100, but the column spells 60 of them and needs 60.
    spelled = pd.Series([f"{i:02d}" for i in range(60)])
    with pytest.raises(ValueError, match="room for 100 identifiers, 60 of them values"):
        _run(spelled, PseudonymizationSettings("SPECIFIC_ID", pattern="##"))


def test_a_large_pattern_is_drawn_at_random_with_room_to_spare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beyond what can be listed, identifiers are drawn at random: still distinct, still not
    originals, and refused when fewer than half would stay free (the last draws would crawl)."""
    monkeypatch.setattr(pseudonyms_module, "_ENUMERATE_LIMIT", 100)
    spelled = [f"A{i:02d}" for i in range(100)]
    values = pd.Series(spelled + [f"person {i}" for i in range(1000)])
    ids = _run(values, PseudonymizationSettings("SPECIFIC_ID", pattern="@##"))
    assert ids.nunique() == 1100 and not set(ids) & set(spelled)
    with pytest.raises(ValueError, match=r"room for 2600 identifiers .*needs twice the room"):
        _run(pd.Series(range(1301)), PseudonymizationSettings("SPECIFIC_ID", pattern="@##"))


def test_a_pattern_can_be_filled_to_the_last_identifier() -> None:
    values = pd.Series([f"person {i}" for i in range(260)])
    ids = _run(values, PseudonymizationSettings("SPECIFIC_ID", pattern="@#"))
    assert ids.nunique() == 260


# --- fake values --------------------------------------------------------------------------

LOOKS_LIKE: dict[str, Callable[[str], bool]] = {
    "EMAIL": lambda text: validate_email(text, check_deliverability=False) is not None,
    "FIRST_NAME": lambda text: " " not in text and text[0].isupper(),
    "LAST_NAME": lambda text: " " not in text.strip() and text != "",
    "FULL_NAME": lambda text: len(text.split()) >= 2,
    "PHONE": lambda text: sum(char.isdigit() for char in text) >= 7,
    "SSN": lambda text: re.fullmatch(r"[0-9]{3}-[0-9]{2}-[0-9]{4}", text) is not None,
    "ADDRESS": lambda text: "\n" not in text and any(char.isdigit() for char in text),
    "FREE_TEXT": lambda text: text.endswith(".") and " " in text and len(text) < 200,
}


@pytest.mark.parametrize("pii", PII_TYPES)
def test_fake_values_look_like_their_type(pii: str) -> None:
    values = _people(300, 300)
    for consistent in (True, False):
        settings = PseudonymizationSettings("FAKER", pii_type=pii, consistent=consistent)
        fakes = _run(values, settings)
        assert all(LOOKS_LIKE[pii](text) for text in fakes), fakes.head().tolist()


def test_fake_names_widen_rather_than_repeat() -> None:
    """Faker knows a few hundred first names: 5,000 people get 5,000 different ones, the
    later ones hyphenated (Mary-Jane), none a repeat."""
    fakes = _run(_people(5000, 5000), CONSISTENT["faker-first_name"])
    assert fakes.is_unique
    assert fakes.str.fullmatch(r"[^\s-]+(-[^\s-]+)?").all()


def test_high_variability_mixes_locales() -> None:
    values = pd.Series(["someone"] * 5000)
    plain = _run(values, PseudonymizationSettings("FAKER", pii_type="ADDRESS", consistent=False))
    varied = _run(
        values,
        PseudonymizationSettings(
            "FAKER", pii_type="ADDRESS", consistent=False, high_variability=True
        ),
    )
    us_state_zip = r".* [A-Z]{2} [0-9]{5}"  # "..., MD 85414", "..., APO AE 09782"
    assert plain.str.fullmatch(us_state_zip).mean() > 0.95
    assert varied.str.fullmatch(us_state_zip).mean() < 0.3
    assert varied.str.contains("[äöüéèàçãñ]").any()


# --- what comes back ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["faker-email", "hash", "integer", "pattern-upper", "constant"])
def test_only_the_new_column_comes_back(name: str) -> None:
    """No mapping to store by accident: a plain new Series, the input untouched, nothing kept
    in the module between calls."""
    values = pd.Series(["b", "a", None, "b"], index=[10, 11, 12, 13], name="who")
    values.attrs["note"] = "kept on the input only"
    before = values.copy()
    state = {key: repr(value) for key, value in vars(pseudonyms_module).items()}
    result = _run(values, EVERY[name])
    assert type(result) is pd.Series
    assert result.attrs == {}
    assert result.name == "who" and result.index.tolist() == [10, 11, 12, 13]
    pd.testing.assert_series_equal(values, before)
    assert {key: repr(value) for key, value in vars(pseudonyms_module).items()} == state
