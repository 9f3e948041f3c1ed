"""Pseudonymization: replace the values of one column by stand-ins that reveal none of them.

A column that identifies people (a patient number, an email, a name) cannot go through the
avatarization: its values would be copied. It is either dropped or, with ``pseudonymize``,
replaced by values drawn here. The strategies are those of the official client's
``pseudonymized_columns`` (FAKER, HASH_SHA256, UUID4, CONSTANT, INTEGER, SPECIFIC_ID), and each
keeps these promises:

- **No pseudonym is an original value of the column.** Candidates are compared with every
  distinct original, ignoring case and surrounding spaces (``" Bob"`` and ``"bob"`` are the
  same person to a reader), and numbers by their text (``3.0`` is ``"3"``, as a CSV writes it).
  A clashing draw is drawn again; a clashing keyed hash is hashed again with a round number; an
  integer sequence skips the column's own integers; a constant equal to an original is refused.
- **Consistent strategies map equal originals to equal pseudonyms, and distinct originals to
  distinct ones**: one pseudonym is drawn per distinct original (distinct by its text) and
  spread over its rows, and draws are kept only when new. Fake names run out (Faker knows a few
  hundred first names per locale), so when draws stop being new the values are widened
  (hyphenated names, then a number), never repeated.
- **Non-consistent strategies draw per row**: equal originals usually get different pseudonyms.
  Identifiers (UUID4, INTEGER, SPECIFIC_ID) are still distinct per row, so that no two rows look
  like the same person; fake names may repeat, as real names do.
- **Missing values stay missing** and are not values: they never get a pseudonym, do not count
  towards the number of distinct originals, and are not avoided.
- **Nothing of the mapping leaves this module**: ``pseudonymize`` returns the new column only,
  built afresh (no ``attrs``), and keeps no cache. Draws come from a generator seeded with the
  run's ``seed`` *and* a key derived from its ``secret``: the seed is a run parameter, stored
  and shown, and must not be enough to redo the mapping from a list of candidate originals.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from faker import Faker

PSEUDONYMIZATION_KINDS: Final = (
    "FAKER",
    "HASH_SHA256",
    "UUID4",
    "CONSTANT",
    "INTEGER",
    "SPECIFIC_ID",
)
PII_TYPES: Final = (
    "EMAIL",
    "FIRST_NAME",
    "LAST_NAME",
    "FULL_NAME",
    "PHONE",
    "SSN",
    "ADDRESS",
    "FREE_TEXT",
)
LETTER_CASES: Final = ("upper", "lower", "both")

# SPECIFIC_ID patterns: ``#`` stands for a digit, ``@`` for a letter, a backslash makes the next
# character literal (``\#`` is a hash sign). ``#`` is the digit placeholder everywhere (Faker's
# ``numerify``, spreadsheet formats); ``@`` rather than Faker's ``?`` because a question mark
# is ordinary text in many codes and ``@`` rarely is.
DIGIT_PLACEHOLDER: Final = "#"
LETTER_PLACEHOLDER: Final = "@"
ESCAPE: Final = "\\"

# 32 hexadecimal characters are 128 bits of the HMAC: a collision between two of a million
# distinct values has a probability near 1e-27, the key is not weakened by the truncation, and
# the code stays short enough to read and join on. Hex is plain ASCII, safe in any CSV.
HASH_HEX_CHARS: Final = 32
# A shorter secret could be found by trying them all, and with it every hashed value.
MIN_SECRET_BYTES: Final = 16

DEFAULT_LOCALE: Final = "en_US"
# ``high_variability``: names, addresses and phones of several countries (Latin script, so the
# values stay readable in any tool), chosen at random per value.
VARIED_LOCALES: Final = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "nl_NL", "pt_BR")

# SPECIFIC_ID: a pattern with at most this many identifiers is drawn without replacement from
# all of them (exact, even when nearly all are needed); a larger one by rejection.
_ENUMERATE_LIMIT: Final = 1 << 22
# Vectorized string building works on this many rows at a time, to bound its memory.
_CHUNK_ROWS: Final = 1 << 16
_UPPER: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALPHABETS: Final = {"upper": _UPPER, "lower": _UPPER.lower(), "both": _UPPER + _UPPER.lower()}
_HEX: Final = np.array(list("0123456789abcdef"))
_DIGITS: Final = np.array(list("0123456789"))
# Widening levels before giving up: each level widens the values tenfold or more, so reaching
# this means a draw that cannot be widened, a bug rather than a column.
_MAX_LEVEL: Final = 40

Strings = npt.NDArray[np.str_]


@dataclass(frozen=True)
class PseudonymizationSettings:
    """How one column is pseudonymized: the official client's ``pseudonymized_columns`` entry.

    Not avatar_yaml's model: the engine stands alone, the job handlers map one to the other.
    ``kind`` is one of ``PSEUDONYMIZATION_KINDS``; ``pii_type`` (FAKER only) one of
    ``PII_TYPES``; ``high_variability`` (FAKER only) mixes ``VARIED_LOCALES``; ``value`` is
    CONSTANT's constant; ``pattern`` SPECIFIC_ID's pattern (``#`` a digit, ``@`` a letter of
    ``letter_case``, ``\\`` escapes). ``consistent`` means equal originals get equal
    pseudonyms; a keyed hash always is, and a constant trivially.

    A setting that the kind would ignore is refused rather than ignored: someone who wrote it
    expected an effect.
    """

    kind: str
    pii_type: str | None = None
    consistent: bool = True
    high_variability: bool = False
    value: str | None = None
    pattern: str | None = None
    letter_case: str = "upper"

    def __post_init__(self) -> None:
        kind = self.kind
        if kind not in PSEUDONYMIZATION_KINDS:
            raise ValueError(
                f"unknown pseudonymization kind {kind!r}: use one of "
                + ", ".join(PSEUDONYMIZATION_KINDS)
            )
        if self.letter_case not in LETTER_CASES:
            raise ValueError(
                f"unknown letter_case {self.letter_case!r}: use one of " + ", ".join(LETTER_CASES)
            )
        if kind == "FAKER":
            if self.pii_type is None:
                raise ValueError(
                    "FAKER pseudonymization needs a pii_type, the kind of fake value to draw: "
                    + ", ".join(PII_TYPES)
                )
            if self.pii_type not in PII_TYPES:
                raise ValueError(
                    f"unknown pii_type {self.pii_type!r}: use one of " + ", ".join(PII_TYPES)
                )
        elif self.pii_type is not None:
            raise ValueError(f"pii_type is for FAKER pseudonymization only, not {kind}")
        if self.high_variability and kind != "FAKER":
            raise ValueError(f"high_variability is for FAKER pseudonymization only, not {kind}")
        if kind == "CONSTANT":
            if not self.value:
                raise ValueError(
                    "CONSTANT pseudonymization needs a non-empty value (an empty one would be "
                    "read back as missing)"
                )
        elif self.value is not None:
            raise ValueError(f"value is for CONSTANT pseudonymization only, not {kind}")
        if kind == "SPECIFIC_ID":
            if self.pattern is None:
                raise ValueError(
                    "SPECIFIC_ID pseudonymization needs a pattern such as 'EMP-####': "
                    f"{DIGIT_PLACEHOLDER!r} stands for a digit, {LETTER_PLACEHOLDER!r} for a letter"
                )
            _parse_pattern(self.pattern)
        elif self.pattern is not None:
            raise ValueError(f"pattern is for SPECIFIC_ID pseudonymization only, not {kind}")
        if kind == "HASH_SHA256" and not self.consistent:
            raise ValueError(
                "HASH_SHA256 is consistent by nature (a keyed hash of the value); for a "
                "different pseudonym on every row use UUID4 with consistent: false"
            )


def pseudonymize(
    values: pd.Series, settings: PseudonymizationSettings, *, secret: bytes, seed: int
) -> pd.Series:
    """The column ``values`` with every value replaced by its pseudonym, missing ones kept.

    ``secret`` is the run's own random secret (e.g. ``secrets.token_bytes(32)``, at least
    ``MIN_SECRET_BYTES``): it keys HASH_SHA256 and, with ``seed``, every draw, so that neither
    the seed nor a guess of the originals reproduces the pseudonyms. Call again with the same
    secret, seed and column to get the same result; the column's name is part of the draws, so
    two columns pseudonymized alike under one secret do not share their pseudonyms. HASH_SHA256
    alone depends on nothing but the secret and the value: one value hashed in two tables of a
    run gives one code, which can be joined on.

    Returns a new Series with the index and name of ``values``: ``Int64`` for INTEGER, text
    otherwise. Raises ValueError when the settings cannot keep their promises on this column (a
    constant that is one of its values, a pattern with fewer identifiers than needed).
    """
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the pseudonymization secret must be at least {MIN_SECRET_BYTES} random bytes "
            "(e.g. secrets.token_bytes(32)): a short one could be found by trying them all"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"the pseudonymization seed must be a non-negative integer, not {seed!r}")
    column = _Column.of(values)
    kind = settings.kind
    consistent = settings.consistent or kind in ("HASH_SHA256", "CONSTANT")
    need = column.distinct if consistent else column.present
    if kind == "INTEGER":
        numbers = _integers(need, column, _draws(secret, seed, values.name))
        return _integer_series(column.spread(numbers, consistent=consistent), values)
    if kind == "CONSTANT":
        assert settings.value is not None  # checked by the settings
        if _fold(settings.value) in column.forbidden:
            raise ValueError(
                f"the constant {settings.value!r} is one of the values of column "
                f"{values.name!r}: choose a constant that none of its values equals"
            )
        texts: Sequence[str] = [settings.value] * need
    elif kind == "HASH_SHA256":
        texts = _keyed_hashes(column, secret)
    elif kind == "UUID4":
        rng = _draws(secret, seed, values.name)
        texts = _fresh(need, lambda count, _level: _uuid4s(count, rng), column.forbidden)
    elif kind == "SPECIFIC_ID":
        assert settings.pattern is not None  # checked by the settings
        texts = _specific_ids(
            need,
            settings.pattern,
            _ALPHABETS[settings.letter_case],
            column,
            _draws(secret, seed, values.name),
            per=("distinct values" if consistent else "rows"),
        )
    else:
        assert settings.pii_type is not None  # checked by the settings
        faker = _FakeValues(
            settings.pii_type,
            VARIED_LOCALES if settings.high_variability else (DEFAULT_LOCALE,),
            _draws(secret, seed, values.name),
        )
        texts = _fresh(need, faker.draw, column.forbidden, distinct=consistent)
    return _text_series(column.spread(texts, consistent=consistent), values)


# --- the column ---------------------------------------------------------------------------


def _text(value: object) -> str:
    """A value as text, as a CSV file writes it: integral floats without their ``.0``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _fold(text: str) -> str:
    """What "equal" means when a pseudonym is checked against the originals."""
    return text.strip().casefold()


@dataclass(frozen=True)
class _Column:
    """The column as the strategies see it: each row's distinct value, and what to avoid."""

    codes: npt.NDArray[np.intp]  # per row: index into ``texts``, -1 when missing
    texts: list[str]  # each distinct value's text, in order of first appearance
    forbidden: frozenset[str]  # folded texts of the distinct values

    @classmethod
    def of(cls, values: pd.Series) -> _Column:
        # Factorize the raw values (fast, vectorized), then merge those with one text (``3`` and
        # ``3.0`` in an object column): distinct means distinct as written.
        raw_codes, uniques = pd.factorize(values, use_na_sentinel=True)
        raw_texts = [_text(value) for value in uniques]
        merge, texts = pd.factorize(pd.Series(raw_texts, dtype=object))
        codes = np.full(len(raw_codes), -1, dtype=np.intp)
        present = raw_codes >= 0
        codes[present] = merge[raw_codes[present]]
        text_list = [str(text) for text in texts]
        return cls(codes, text_list, frozenset(_fold(text) for text in text_list))

    @property
    def distinct(self) -> int:
        return len(self.texts)

    @property
    def present(self) -> int:
        return int((self.codes >= 0).sum())

    def spread(
        self, pseudonyms: Sequence[object] | npt.NDArray[np.generic], *, consistent: bool
    ) -> npt.NDArray[np.object_]:
        """One value per row: the pseudonym of the row's original, or of the row itself."""
        out = np.full(len(self.codes), None, dtype=object)
        present = self.codes >= 0
        drawn = np.empty(len(pseudonyms), dtype=object)
        drawn[:] = pseudonyms
        out[present] = drawn[self.codes[present]] if consistent else drawn
        return out


def _text_series(cells: npt.NDArray[np.object_], like: pd.Series) -> pd.Series:
    return pd.Series(cells, index=like.index, name=like.name, dtype="str")


def _integer_series(cells: npt.NDArray[np.object_], like: pd.Series) -> pd.Series:
    missing = pd.isna(cells)
    numbers = np.where(missing, 0, cells).astype(np.int64)
    array = pd.arrays.IntegerArray(numbers, missing)
    return pd.Series(array, index=like.index, name=like.name)


# --- randomness ---------------------------------------------------------------------------


def _subkey(secret: bytes, purpose: bytes) -> bytes:
    """A key for one purpose: no value of a column can make one purpose's output another's."""
    return hmac.new(secret, b"avatars pseudonymization\x00" + purpose, hashlib.sha256).digest()


def _draws(secret: bytes, seed: int, name: Hashable) -> np.random.Generator:
    key = _subkey(secret, b"draws\x00" + _text(name).encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([seed, int.from_bytes(key, "big")]))


def _fresh(
    need: int,
    draw: Callable[[int, int], Sequence[str]],
    forbidden: Collection[str],
    *,
    distinct: bool = True,
) -> list[str]:
    """``need`` drawn values none of which is an original (and all different if ``distinct``).

    ``draw(count, level)`` gives ``count`` candidates; when fewer than one in ten is kept, the
    draws have run out of new values and ``level`` goes up, asking for wider ones.
    """
    found: list[str] = []
    seen: set[str] = set()
    level = 0
    while len(found) < need:
        remaining = need - len(found)
        tried = kept = 0
        for candidate in draw(remaining + remaining // 16 + 16, level):
            tried += 1
            if _fold(candidate) in forbidden or (distinct and candidate in seen):
                continue
            if distinct:
                seen.add(candidate)
            found.append(candidate)
            kept += 1
            if len(found) == need:
                break
        if kept * 10 < tried:
            level += 1
            if level > _MAX_LEVEL:
                raise RuntimeError(f"could not draw {need} new pseudonyms")
    return found


def _join(chars: Strings) -> list[str]:
    """The rows of a matrix of single characters, each joined into one string (vectorized)."""
    width = chars.shape[1]
    joined: Strings = np.ascontiguousarray(chars).view(f"<U{width}").ravel()
    return [str(text) for text in joined.tolist()]


# --- keyed hash ---------------------------------------------------------------------------


def _keyed_hashes(column: _Column, secret: bytes) -> list[str]:
    """HMAC-SHA256 of each distinct value, keyed with a key derived from the run's secret.

    A bare hash of an email or a patient number is reversed by hashing the candidates; without
    the key nobody can. On the (astronomically rare) clash with another value's hash or an
    original, the value is hashed again with a round number, which keeps it deterministic.
    """
    key = _subkey(secret, b"hash")
    hashes: list[str] = []
    taken: set[str] = set()
    for text in column.texts:
        message = text.encode("utf-8")
        rounds = 0
        while True:
            digest = hmac.new(key, message, hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]
            if digest not in taken and _fold(digest) not in column.forbidden:
                break
            rounds += 1
            message = text.encode("utf-8") + b"\x00" + str(rounds).encode("ascii")
        taken.add(digest)
        hashes.append(digest)
    return hashes


# --- UUID4 --------------------------------------------------------------------------------


def _uuid4s(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` random version-4 UUIDs in their usual text form (from ``rng``, vectorized).

    Made by chunks: the character matrix of a million UUIDs alone would take 150 MB.
    """
    texts: list[str] = []
    for start in range(0, count, _CHUNK_ROWS):
        texts += _uuid4_chunk(min(_CHUNK_ROWS, count - start), rng)
    return texts


def _uuid4_chunk(count: int, rng: np.random.Generator) -> list[str]:
    octets = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    octets[:, 6] = (octets[:, 6] & 0x0F) | 0x40  # version 4
    octets[:, 8] = (octets[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    nibbles = np.empty((count, 32), dtype=np.uint8)
    nibbles[:, 0::2] = octets >> 4
    nibbles[:, 1::2] = octets & 0x0F
    chars = np.full((count, 36), "-", dtype="<U1")
    chars[:, [i for i in range(36) if i not in (8, 13, 18, 23)]] = _HEX[nibbles]
    return _join(chars)


# --- integer sequence ---------------------------------------------------------------------


def _integers_among(texts: Sequence[str]) -> set[int]:
    """The integers the column holds, whatever their spelling (``7``, ``"007"``, ``"7.0"``)."""
    found: set[int] = set()
    for text in texts:
        stripped = text.strip()
        if not stripped or stripped[0] not in "+-.0123456789":
            continue
        try:
            found.add(int(stripped))
            continue
        except ValueError:
            pass
        try:
            number = float(stripped)
        except ValueError:
            continue
        if math.isfinite(number) and number.is_integer():
            found.add(int(number))
    return found


def _integers(need: int, column: _Column, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """1, 2, 3... skipping the column's own integers, handed out in a random order.

    The order is a seeded permutation: neither the originals' sort order nor their order of
    appearance can be read from the numbers.
    """
    limit = need + len(column.texts)  # at most one skipped number per distinct original
    candidates = np.arange(1, limit + 1, dtype=np.int64)
    own = [number for number in _integers_among(column.texts) if 1 <= number <= limit]
    if own:
        candidates = candidates[~np.isin(candidates, np.array(own, dtype=np.int64))]
    numbers: npt.NDArray[np.int64] = candidates[:need][rng.permutation(need)]
    return numbers


# --- pattern ------------------------------------------------------------------------------

Token = tuple[Literal["digit", "letter", "literal"], str]


def _parse_pattern(pattern: str) -> list[Token]:
    tokens: list[Token] = []
    characters = iter(pattern)
    for character in characters:
        if character == ESCAPE:
            escaped = next(characters, None)
            if escaped is None:
                raise ValueError(
                    f"the pattern {pattern!r} ends with a lone {ESCAPE!r}: write {ESCAPE * 2!r} "
                    "for a backslash"
                )
            tokens.append(("literal", escaped))
        elif character == DIGIT_PLACEHOLDER:
            tokens.append(("digit", character))
        elif character == LETTER_PLACEHOLDER:
            tokens.append(("letter", character))
        else:
            tokens.append(("literal", character))
    if not any(kind != "literal" for kind, _ in tokens):
        raise ValueError(
            f"the pattern {pattern!r} has no placeholder, so every row would get the same "
            f"identifier: put {DIGIT_PLACEHOLDER!r} where a digit goes and "
            f"{LETTER_PLACEHOLDER!r} where a letter goes (e.g. 'EMP-####'), or use CONSTANT"
        )
    return tokens


def _specific_ids(
    need: int,
    pattern: str,
    letters: str,
    column: _Column,
    rng: np.random.Generator,
    *,
    per: str,
) -> list[str]:
    """``need`` distinct identifiers of the pattern, none of them an original.

    A pattern that has room for fewer identifiers than needed (or than needed once the
    originals it spells are set aside) is refused with a ValueError naming both numbers.
    """
    tokens = _parse_pattern(pattern)
    alphabet = np.array(list(letters))
    bases = [10 if kind == "digit" else len(letters) for kind, _ in tokens if kind != "literal"]
    space = math.prod(bases)

    def too_small(reason: str = "") -> ValueError:
        return ValueError(
            f"the pattern {pattern!r} has room for {space} identifiers{reason}, and the column "
            f"needs {need} (one per {per.removesuffix('s')}): add "
            f"{DIGIT_PLACEHOLDER!r} or {LETTER_PLACEHOLDER!r} placeholders"
        )

    if space < need:
        raise too_small()

    def spell(symbols: list[npt.NDArray[np.int64]]) -> list[str]:
        count = len(symbols[0])
        chars = np.empty((count, len(tokens)), dtype="<U1")
        placeholders = iter(symbols)
        for position, (kind, char) in enumerate(tokens):
            if kind == "literal":
                chars[:, position] = char
            else:
                chars[:, position] = (_DIGITS if kind == "digit" else alphabet)[next(placeholders)]
        return _join(chars)

    if space <= _ENUMERATE_LIMIT:
        # Every identifier of the pattern, in a random order, read in chunks until enough.
        order = rng.permutation(space)
        chunk = max(need + need // 4, 4096)
        found: list[str] = []
        for start in range(0, space, chunk):
            indices = order[start : start + chunk]
            symbols = []
            for base in reversed(bases):
                symbols.append(indices % base)
                indices = indices // base
            found += [text for text in spell(symbols[::-1]) if _fold(text) not in column.forbidden]
            if len(found) >= need:
                return found[:need]
        raise too_small(f", {space - len(found)} of them values of the column")

    # Too large to list: drawn at random, new ones kept. With at least half the identifiers free
    # a draw is kept more often than not; with fewer, the last ones could take very long. An
    # original the pattern spells blocks one identifier, or all its case variants.
    spelled = re.compile(
        "".join(
            "[0-9]" if kind == "digit" else "[a-z]" if kind == "letter" else re.escape(_fold(char))
            for kind, char in tokens
        )
    )
    both_cases = len(set(letters.casefold())) < len(letters)
    variants = 2 ** sum(kind == "letter" for kind, _ in tokens) if both_cases else 1
    blocked = variants * sum(1 for text in column.forbidden if spelled.fullmatch(text))
    if 2 * (need + blocked) > space:
        raise too_small(" (a pattern this large is drawn at random and needs twice the room)")

    def draw(count: int, _level: int) -> list[str]:
        return spell([rng.integers(0, base, size=count) for base in bases])

    return _fresh(need, draw, column.forbidden)


# --- fake values --------------------------------------------------------------------------


class _FakeValues:
    """Fake values of one PII type from Faker, seeded from the run's draws.

    Faker instances are made with ``use_weighting=False``: they pick uniformly among the names
    they know rather than by real frequencies, which makes a draw about ten times faster
    (100k fake emails in ~2 s instead of ~18 s) and gives more different values per draw.
    """

    def __init__(self, pii_type: str, locales: Sequence[str], rng: np.random.Generator) -> None:
        self._pii_type = pii_type
        self._rng = rng
        self._fakers: list[Faker] = []
        for locale in locales:
            faker = Faker(locale, use_weighting=False)
            faker.seed_instance(int(rng.integers(0, 2**63 - 1)))
            self._fakers.append(faker)

    def draw(self, count: int, level: int) -> list[str]:
        if len(self._fakers) == 1:
            return [self._one(self._fakers[0], level) for _ in range(count)]
        which = self._rng.integers(0, len(self._fakers), size=count)
        return [self._one(self._fakers[int(index)], level) for index in which]

    def _one(self, faker: Faker, level: int) -> str:
        """A fake value; from ``level`` 1 on, a wider one, for when the plain ones run out."""

        def number(digits: int) -> str:
            return str(faker.random_number(digits=digits, fix_len=True))

        pii_type = self._pii_type
        if pii_type in ("FIRST_NAME", "LAST_NAME", "FULL_NAME"):
            first = faker.first_name
            last = faker.last_name
            if pii_type == "FULL_NAME":
                name = f"{first()} {last()}" if level == 0 else f"{first()} {last()}-{last()}"
            else:
                part = first if pii_type == "FIRST_NAME" else last
                name = part() if level == 0 else f"{part()}-{part()}"  # Mary-Jane, Smith-Jones
            return name if level <= 1 else f"{name} {number(level - 1)}"
        if pii_type == "EMAIL":
            email = faker.email()
            if level == 0:
                return email
            local, _, domain = email.partition("@")
            return f"{local}{number(level)}@{domain}"
        if pii_type == "PHONE":
            value = faker.phone_number()
        elif pii_type == "SSN":
            value = faker.ssn()
        elif pii_type == "ADDRESS":
            # One line: a line break inside a CSV cell trips many tools.
            value = ", ".join(line.strip() for line in faker.address().splitlines())
        else:  # FREE_TEXT: a short sentence, two from level 1 on
            value = faker.sentence() if level == 0 else f"{faker.sentence()} {faker.sentence()}"
            return value if level <= 1 else f"{value} {number(level - 1)}"
        return value if level == 0 else f"{value} {number(level)}"
