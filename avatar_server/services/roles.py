"""Column roles: what each column of an uploaded table is, guessed from a bounded sample.

A role says whether a column identifies people by itself (``id_like`` keys and codes,
``direct_identifier`` e-mails, phones, bank, card and national numbers, names; ``free_text``),
or is an ordinary column (``quasi_identifier``, ``date``, ``constant``). The risky roles make a
run refuse the column until its owner says what to do with it, so a wrong guess costs either a
leak (a missed identifier) or a needless refusal (a measurement taken for one). The rules lean
on behaviour, never on uniqueness alone: a continuous measurement is unique too (heights,
weights, survey weights, timestamps), and a column of decimal numbers is always a measurement.

Everything is decided from facts the upload gathers anyway (exact counts of present and
distinct values) plus a :class:`ColumnSample` of at most :data:`SAMPLE_SIZE` values per column,
so detection costs the same on a thousand rows and on a billion. Formats are checked by the
libraries that maintain them (``email-validator``, ``phonenumbers``, ``python-stdnum``), never
by hand-written patterns; personal names are matched against Faker's first- and last-name lists
of a few locales, which is best effort: a name missing from those lists goes unseen.

Pure functions over numpy and pandas, without web or database, called by the upload
(``avatar_server.services.tables``). They live among the services rather than in the engine
because they speak the shared vocabulary (``avatar_yaml.ColumnRole``), which the engine, a
library of its own, does not import.
"""

from __future__ import annotations

import functools
import importlib
import re
import string
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
import stdnum.es.dni
import stdnum.fr.nir
import stdnum.gb.nhs
import stdnum.iban
import stdnum.it.codicefiscale
import stdnum.luhn
import stdnum.us.ssn
from email_validator import EmailNotValidError, validate_email

from avatar_yaml.vocabulary import ColumnRole

SAMPLE_SIZE = 1_000
"""Values kept per column. Shares measured on 1,000 random values are within about 3 points
of the column's (95 % of the time), far finer than the thresholds below need."""
SAMPLED_CHARACTERS = 1_000
"""Sampled text is cut to this length: no format checked here is longer, free text is long
well before, and the sample of a column then weighs at most about a megabyte."""
CHECKED_VALUES = 300
"""Distinct sampled values given to the (slower) format libraries: enough to tell a column of
phone numbers from one holding a few, at a bounded cost (a phone number takes up to 0.3 ms)."""
MIN_PRESENT = 20
"""Below this many values every column looks unique: no uniqueness rule applies."""
UNIQUE_SHARE = 0.9
"""Mostly unique: at least this share of the present values are distinct."""
SEQUENCE_SHARE = 0.99
"""A sequence without an identifier's name must be all but unique: small ranges of random whole
numbers (ages in a 30-row table) are often mostly unique, almost never entirely."""
DENSE_SHARE = 0.5
"""Whole numbers fill at least this share of the range between their smallest and largest: a
sequence of codes. Measurements never come close while staying unique: n distinct values drawn
from a range of width R collide unless R is far above n squared, so their share is near 0."""
MIN_CODES = 20
"""A repeated key (foreign key) needs at least this many distinct codes; fewer are a category."""
DIRECT_SHARE = 0.7
"""A clear majority of the sampled values validate as e-mails, phones, bank or card numbers,
national numbers or names."""
FORMAT_SHARE = 0.9
"""Share of sampled values that must have a shape (date, code, number as text) to give it to
the column."""
FREE_TEXT_LENGTH = 30
"""Free text: median length above this many characters..."""
FREE_TEXT_SPACES = 0.8
"""...this share of the values hold a space..."""
FREE_TEXT_DISTINCT_SHARE = 0.1
FREE_TEXT_MIN_DISTINCT = 20
FREE_TEXT_MANY_DISTINCT = 1_000
"""...and distinct values are many: at least 20, and 10 % of the values or 1,000 of them. A
category with long labels has a few dozen values however long the table."""
MIN_NAMES = 20
"""A column of personal names has at least this many distinct values (a category whose labels
happen to be surnames, such as 'White' and 'Black', has a handful)."""
DATE_PROBE = 20
"""Distinct values a date layout is first tried on, before the whole sample."""
MIN_NUMBER_DIGITS = 10
"""Whole numbers are checked as card, national or NHS numbers only when some have this many
digits: shorter ones are none of these."""

PHONE_DIGITS = (8, 14)
"""Widths of a phone number that lost its leading 0 or + (a French mobile: 9 digits; with
its country code: 11), in a column named like a phone."""
UNNAMED_PHONE_WIDTHS = frozenset({9, 11, 12})
"""The same in a column named otherwise: not 10 digits, the width of Unix timestamps in
seconds (1600000000), unique and of one width like codes."""
_MEASURE_WORDS = frozenset(
    {"count", "counts", "nb", "bytes", "data", "minutes", "seconds", "duration", "calls"}
    | {"usage", "size", "volume", "amount", "total", "sum", "mean", "avg", "cost", "price"}
    | {"cents", "population", "weight", "height", "income", "salary", "revenue"}
)
"""Words naming a quantity: such a column is never taken for phone numbers."""
_PHONE_WORDS = frozenset(
    {"phone", "telephone", "tel", "mobile", "portable", "gsm", "cell", "fax", "telefon", "handy"}
)
"""Words naming a phone number: such a column is checked for lost prefixes even when its
values repeat or vary in width."""

# Words that, in a column's name, say it holds identifiers. The strong ones say so even when
# values repeat (a foreign key); the others need mostly unique values too.
_STRONG_ID_WORDS = frozenset({"id", "ids", "key", "pk", "fk", "uuid", "guid", "identifier"})
_ID_WORDS = _STRONG_ID_WORDS | frozenset(
    {"code", "number", "num", "no", "nr", "ref", "reference", "matricule", "account"}
)
_TIME_WORDS = frozenset(
    {"t", "time", "date", "timestamp", "ts", "epoch", "year", "month", "week", "day", "hour"}
)
"""Words naming a time: whole numbers counting time (a year per row, seconds of a log) fill
their range like a sequence, and are times all the same."""
_CODE_PUNCTUATION = frozenset("-_./:#")
_CURRENCIES = "€$£¥"
_UNIT_CHARACTERS = string.ascii_letters + "%°/²³µ"
MAX_UNIT_LENGTH = 5
"""Letters after a number taken for its unit ('kg', 'km/h', 'mmol'); more make it a code."""
_PHONE_CHARACTERS = frozenset("0123456789 +-().\u00a0/")
_PHONE_REGIONS = ("FR", "GB", "US", "DE")
"""Regions tried for phone numbers written without their international prefix."""
_NAME_LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "nl_NL", "pt_PT")
_DATE_FORMATS = (
    "ISO8601",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
)
"""Date layouts tried, each strictly: a lenient parser reads '10th' or 'May' as dates."""


@dataclass(frozen=True)
class RoleGuess:
    """A column's role, and why, in words its owner can check (never quoting a value)."""

    role: ColumnRole
    reason: str


UNDETECTED = RoleGuess(
    ColumnRole.QUASI_IDENTIFIER,
    "not detected: the dataset was uploaded before column roles existed (upload it again to "
    "detect them)",
)
"""The role of a column stored without one. Read as an ordinary column rather than refused:
refusing every old dataset would break runs that worked, and guessing again needs the file
read again. The reason says so wherever the role is shown."""


def stored_role(column: Mapping[str, Any]) -> RoleGuess:
    """The role recorded with a column of a dataset (a dict as the upload stored it)."""
    if "role" not in column:
        return UNDETECTED
    return RoleGuess(ColumnRole(column["role"]), str(column.get("role_reason") or ""))


class ColumnSample:
    """A uniform random sample of a column's non-missing values, of at most ``size`` values
    whatever the column's length, fed chunk by chunk.

    Each chunk gets the number of places that a sample of all the values seen so far would
    give it (a hypergeometric draw), so the result is exactly a uniform sample of the whole
    column, at a cost per chunk proportional to the sample, not to the chunk. What a sample
    cannot tell is kept exactly: how many values were seen, the smallest and largest number,
    and whether every number was whole.
    """

    def __init__(self, size: int = SAMPLE_SIZE, seed: int = 0) -> None:
        self.size = size
        self.seen = 0
        self.values: np.ndarray[Any, np.dtype[np.object_]] = np.empty(0, dtype=object)
        self.low: float | None = None
        self.high: float | None = None
        self.whole = True
        # A fixed seed: the same file gets the same roles at every upload.
        self._rng = np.random.default_rng(seed)

    def add(self, present: pd.Series) -> None:
        """Take a chunk's non-missing values into account."""
        count = len(present)
        if count == 0:
            return
        if present.dtype.kind in "iuf":
            self._add_numbers(present)
        if self.seen + count <= self.size:
            self.values = np.concatenate([self.values, _cut(present.to_numpy(dtype=object))])
        else:
            from_chunk = int(self._rng.hypergeometric(count, self.seen, self.size))
            kept = np.sort(self._rng.choice(self.values.size, self.size - from_chunk, False))
            picked = np.sort(self._rng.choice(count, from_chunk, replace=False))
            taken = _cut(present.iloc[picked].to_numpy(dtype=object))
            self.values = np.concatenate([self.values[kept], taken])
        self.seen += count

    def _add_numbers(self, present: pd.Series) -> None:
        if not self.whole:
            return  # decimals: a measurement, whose range no rule needs
        if present.dtype.kind == "f":
            numbers = present.to_numpy(dtype=np.float64)
            if not np.array_equal(np.floor(numbers), numbers):
                self.whole = False
                return
        low, high = float(present.min()), float(present.max())
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)


def _cut(values: np.ndarray[Any, np.dtype[np.object_]]) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Sampled values with long text cut to :data:`SAMPLED_CHARACTERS`."""
    if values.size and isinstance(values[0], str):
        cut = [v[:SAMPLED_CHARACTERS] if isinstance(v, str) else v for v in values]
        return np.array(cut, dtype=object)
    return values


def detect_role(name: str, dtype: str, distinct: int, sample: ColumnSample) -> RoleGuess:
    """The role of column ``name`` from its ``dtype`` over the whole file (as the upload names
    it: bool, int64, float64, datetime64, string, empty), its exact number of ``distinct``
    non-missing values, and a sample of them."""
    present = sample.seen
    if distinct == 0:
        return RoleGuess(ColumnRole.CONSTANT, "every value is missing")
    if distinct == 1:
        return RoleGuess(ColumnRole.CONSTANT, "a single value (apart from missing ones)")
    if dtype == "datetime64":
        return RoleGuess(ColumnRole.DATE, "stored as dates")
    if dtype == "bool":
        return RoleGuess(ColumnRole.QUASI_IDENTIFIER, "true or false")
    if dtype in ("int64", "float64"):
        return _numeric_role(name, distinct, present, sample)
    return _text_role(name, distinct, present, [str(v).strip() for v in sample.values])


# --------------------------------------------------------------------------------------------
# Numbers


def _numeric_role(name: str, distinct: int, present: int, sample: ColumnSample) -> RoleGuess:
    if not sample.whole:
        return RoleGuess(ColumnRole.QUASI_IDENTIFIER, "decimal numbers: a measurement")
    digits = [_whole_text(v) for v in sample.values]
    if max(map(len, digits), default=0) >= MIN_NUMBER_DIGITS:
        direct = _direct_identifiers(digits, names=False)
        if direct is not None:
            return direct
    lost = _phones_without_prefix(name, digits, distinct, present)
    if lost is not None:
        return lost
    unique = present >= MIN_PRESENT and distinct >= UNIQUE_SHARE * present
    fill = _range_fill(distinct, sample)
    words = _name_words(name)
    if words & _TIME_WORDS and not words & _ID_WORDS:
        return RoleGuess(ColumnRole.QUASI_IDENTIFIER, f"whole numbers named like a time ({name!r})")
    if unique and distinct >= SEQUENCE_SHARE * present and fill >= DENSE_SHARE:
        return RoleGuess(
            ColumnRole.ID_LIKE,
            f"a sequence: {distinct:,} distinct whole numbers in {present:,} values, filling "
            f"{fill:.0%} of the range {_range(sample)}",
        )
    if unique and words & _ID_WORDS:
        return RoleGuess(
            ColumnRole.ID_LIKE,
            f"named like an identifier ({name!r}), with {distinct / present:.0%} distinct values",
        )
    if (
        words & _STRONG_ID_WORDS
        and distinct >= MIN_CODES
        and fill >= DENSE_SHARE
        and (sample.low or 0) >= 0
    ):
        return RoleGuess(
            ColumnRole.ID_LIKE,
            f"named like an identifier ({name!r}), and its {distinct:,} codes fill {fill:.0%} of "
            f"the range {_range(sample)}: a repeated key (a foreign key)",
        )
    if unique:
        return RoleGuess(
            ColumnRole.QUASI_IDENTIFIER,
            f"whole numbers, {distinct / present:.0%} distinct but spread over their range "
            "like a measurement, not a sequence of codes",
        )
    return RoleGuess(ColumnRole.QUASI_IDENTIFIER, f"whole numbers, {distinct:,} distinct")


def _phones_without_prefix(
    name: str, digits: list[str], distinct: int, present: int
) -> RoleGuess | None:
    """Phone numbers a file typed as whole numbers: read as a number, '0612345678' loses its
    leading 0 (612345678) and '+33612345678' written without its + is a plain number, so the
    checks on the values as written miss them, and they would be avatarized as a measurement.

    Tried with the 0 or the + put back on a column named like a phone (not also like a count,
    a time or a measure: ``mobile_data_bytes``), any phone number counting; and on a column
    named neither like a phone nor like an identifier, a time or a measure, whose values are
    nearly all distinct and of a phone number's width, where only *mobile* numbers count: most
    9-digit numbers are some valid number once given a 0 (a French number is 0 and any nine
    digits), but few are mobiles, so amounts, codes and counts are not taken for phones."""
    if not digits:
        return None
    words = _name_words(name)
    named = bool(words & _PHONE_WORDS) and not words & (_MEASURE_WORDS | _TIME_WORDS)
    width, count = Counter(map(len, digits)).most_common(1)[0]
    if named:
        if not PHONE_DIGITS[0] <= width <= PHONE_DIGITS[1]:
            return None
    elif (
        words & (_PHONE_WORDS | _ID_WORDS | _TIME_WORDS | _MEASURE_WORDS)
        or width not in UNNAMED_PHONE_WIDTHS
        or present < MIN_PRESENT
        or distinct < UNIQUE_SHARE * present
        or count < FORMAT_SHARE * len(digits)
    ):
        return None
    prefixes = [("0", "leading 0"), ("+", "leading +"), ("+1", "leading +1")]
    if width >= 11:  # long enough to hold its country code
        prefixes.insert(0, prefixes.pop(1))
    for prefix, lost in prefixes:
        restored = [prefix + value for value in digits]
        if named:
            found = _direct_identifiers(restored, names=False)
            if found is not None:
                what = found.reason.replace("of the sampled values: ", "")
                return RoleGuess(
                    ColumnRole.DIRECT_IDENTIFIER,
                    f"whole numbers named like phone numbers that read as identifiers once "
                    f"given back the {lost} a number loses ({what} of the sampled values)",
                )
            continue
        mobiles = sum(1 for value in restored if _valid(_is_mobile, value))
        if mobiles >= DIRECT_SHARE * len(restored):
            return RoleGuess(
                ColumnRole.DIRECT_IDENTIFIER,
                f"whole numbers that read as mobile phone numbers once given back the {lost} "
                f"a number loses ({_percent(mobiles / len(restored))} of the sampled values)",
            )
    return None


_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def _is_mobile(value: str) -> bool:
    """A valid mobile number (or one its plan cannot tell from a landline), international or
    of one of :data:`_PHONE_REGIONS`."""
    return any(
        phonenumbers.number_type(number) in _MOBILE_TYPES
        for number in _valid_numbers(value, international=value.startswith("+"))
    )


def _whole_text(value: Any) -> str:
    """A whole number as its digits (a float column of whole numbers holds 12.0, not 12)."""
    try:
        return str(int(value))
    except (TypeError, ValueError, OverflowError):
        return str(value)


def _range_fill(distinct: int, sample: ColumnSample) -> float:
    """The share of the whole numbers between the smallest and the largest that are present."""
    if sample.low is None or sample.high is None:
        return 0.0
    return distinct / (sample.high - sample.low + 1)


def _range(sample: ColumnSample) -> str:
    return f"{sample.low:,.0f} to {sample.high:,.0f}"


def _name_words(name: str) -> set[str]:
    """The words of a column name: ``PatientID``, ``patient_id`` and ``patient-id`` all give
    {patient, id}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return {word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word}


# --------------------------------------------------------------------------------------------
# Text


def _text_role(name: str, distinct: int, present: int, values: list[str]) -> RoleGuess:
    counts = Counter(value for value in values if value)
    total = sum(counts.values())
    if total == 0:
        return RoleGuess(ColumnRole.QUASI_IDENTIFIER, "blank text")
    date_layout = _date_layout(counts, total)
    if date_layout is not None:
        return RoleGuess(ColumnRole.DATE, f"text holding dates ({date_layout})")
    direct = _direct_identifiers(values, names=distinct >= MIN_NAMES)
    if direct is not None:
        return direct
    free_text = _free_text(distinct, present, counts, total)
    if free_text is not None:
        return free_text
    unique = present >= MIN_PRESENT and distinct >= UNIQUE_SHARE * present
    codes = _share(counts, total, _code_shaped) >= FORMAT_SHARE or _zero_padded(counts, total)
    numbers = _share(counts, total, _number_text) >= FORMAT_SHARE
    if unique and codes:
        return RoleGuess(
            ColumnRole.ID_LIKE,
            f"codes (letters and digits without spaces, UUIDs or zero-padded numbers), "
            f"{distinct / present:.0%} distinct",
        )
    if unique and not numbers:
        return RoleGuess(
            ColumnRole.ID_LIKE,
            f"labels, {distinct / present:.0%} distinct: each one points at a single row",
        )
    if codes and distinct >= MIN_CODES and _name_words(name) & _STRONG_ID_WORDS:
        return RoleGuess(
            ColumnRole.ID_LIKE,
            f"named like an identifier ({name!r}), and its {distinct:,} values are codes: a "
            "repeated key (a foreign key)",
        )
    if numbers:
        return RoleGuess(ColumnRole.QUASI_IDENTIFIER, "numbers written as text")
    return RoleGuess(ColumnRole.QUASI_IDENTIFIER, f"a category of {distinct:,} values")


def _share(counts: Counter[str], total: int, test: Callable[[str], bool]) -> float:
    return sum(count for value, count in counts.items() if test(value)) / total


def _date_layout(counts: Counter[str], total: int) -> str | None:
    """The first layout that reads most values as dates. Values must hold something besides
    digits: a bare '20210304' or '2021' is more often a code or a year than a date. Each layout
    is tried on a few values first, so a column of codes costs little."""
    if _share(counts, total, _date_shaped) < FORMAT_SHARE:
        return None
    values = pd.Series(list(counts), dtype=object)
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    for layout in _DATE_FORMATS:
        if _dates(values.iloc[:DATE_PROBE], layout).mean() < FORMAT_SHARE:
            continue
        if weights[_dates(values, layout)].sum() >= FORMAT_SHARE * total:
            return "ISO 8601" if layout == "ISO8601" else layout
    return None


def _dates(values: pd.Series, layout: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which values read as dates in ``layout``."""
    try:
        parsed = pd.to_datetime(values, format=layout, errors="coerce", utc=True)
    except (ValueError, TypeError, OverflowError):
        return np.zeros(len(values), dtype=bool)
    return parsed.notna().to_numpy(dtype=bool)


def _date_shaped(value: str) -> bool:
    return 6 <= len(value) <= 40 and any(c.isdigit() for c in value) and not value.isdigit()


def _free_text(distinct: int, present: int, counts: Counter[str], total: int) -> RoleGuess | None:
    lengths = np.repeat(
        np.fromiter(map(len, counts), dtype=np.int64, count=len(counts)),
        np.fromiter(counts.values(), dtype=np.int64, count=len(counts)),
    )
    median = float(np.median(lengths))
    spaced = _share(counts, total, lambda v: any(c.isspace() for c in v))
    many = distinct >= FREE_TEXT_MIN_DISTINCT and (
        distinct >= FREE_TEXT_DISTINCT_SHARE * present or distinct >= FREE_TEXT_MANY_DISTINCT
    )
    if median > FREE_TEXT_LENGTH and spaced >= FREE_TEXT_SPACES and many:
        return RoleGuess(
            ColumnRole.FREE_TEXT,
            f"free text: median length {median:.0f} characters, {spaced:.0%} with spaces, "
            f"{distinct:,} distinct values",
        )
    return None


def _code_shaped(value: str) -> bool:
    """A UUID, or one token of letters and digits (with - _ . / : #), such as 'PAT-104233' or
    a hex token; not a number with a unit ('12.5kg')."""
    if not 3 <= len(value) <= 64:
        return False
    if _is_uuid(value):
        return True
    if not all(c.isalnum() or c in _CODE_PUNCTUATION for c in value):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    return not _number_text(value)


def _is_uuid(value: str) -> bool:
    if len(value) not in (32, 36, 38, 45):  # hex, hyphenated, {braced}, urn:uuid:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _zero_padded(counts: Counter[str], total: int) -> bool:
    """Digits of one width with leading zeros ('000123'): codes, not numbers."""
    if _share(counts, total, str.isdigit) < FORMAT_SHARE:
        return False
    widths: Counter[int] = Counter()
    for value, count in counts.items():
        widths[len(value)] += count
    return widths.most_common(1)[0][1] >= FORMAT_SHARE * total and any(
        value.startswith("0") and len(value) > 1 for value in counts
    )


def _number_text(value: str) -> bool:
    """A number written as text: spaces, a decimal comma or thousands commas allowed
    ('1 234,5', '1,234.5'), a currency sign before it or a short unit after it ('€12',
    '72.5 kg', '12%'): a measurement stored as text is still a measurement. Capitals glued to
    the digits ('51706749N', '104233PAT') are a code's, not a unit."""
    text = value.strip().lstrip(_CURRENCIES)
    number = text.rstrip(_UNIT_CHARACTERS)
    unit = text[len(number) :]
    if len(unit) > MAX_UNIT_LENGTH or (unit.isupper() and not number.endswith(" ")):
        return False
    compact = number.replace(" ", "").replace("\u00a0", "")
    if not compact:
        return False
    for candidate in (compact, compact.replace(",", "."), compact.replace(",", "")):
        try:
            float(candidate)
        except ValueError:
            continue
        return True
    return False


# --------------------------------------------------------------------------------------------
# Direct identifiers


def _is_email(value: str) -> bool:
    if "@" not in value:
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _is_phone(value: str) -> bool:
    """A valid phone number, international or of one of :data:`_PHONE_REGIONS`; a plain number
    ('123456789', '1234567.89') is not taken for one unless it starts with 0 or +."""
    body = value.lower()
    for extension in ("ext.", "ext", "x"):
        body = body.split(extension)[0]
    body = body.strip()
    if not set(body) <= _PHONE_CHARACTERS or not 7 <= sum(c.isdigit() for c in body) <= 15:
        return False
    if _number_text(body) and not body.startswith(("0", "+")):
        return False
    return any(True for _ in _valid_numbers(value, international=body.startswith("+")))


def _valid_numbers(value: str, *, international: bool) -> Iterator[phonenumbers.PhoneNumber]:
    """``value`` read as a valid phone number: as written when ``international``, else in each
    of :data:`_PHONE_REGIONS` in turn (lazily: a caller stops at the first that suits it)."""
    regions: Iterable[str | None] = (None,) if international else _PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            yield number


def _digits(value: str) -> str | None:
    """The digits of a number written with spaces or dashes; None if it holds anything else."""
    if not all(c.isdigit() or c in " -" for c in value):
        return None
    return value.replace(" ", "").replace("-", "")


def _is_card(value: str) -> bool:
    """12 to 19 digits with a valid Luhn check digit, starting like the card networks' numbers
    (2 to 6): random numbers pass the check one time in ten, never as a majority."""
    digits = _digits(value)
    return (
        digits is not None
        and 12 <= len(digits) <= 19
        and digits[0] in "23456"
        and stdnum.luhn.is_valid(digits)
    )


def _is_ssn(value: str) -> bool:
    """A US social security number, written with its dashes: nine bare digits are valid far
    too often to mean anything."""
    return len(value) == 11 and value[3] == value[6] == "-" and stdnum.us.ssn.is_valid(value)


def _is_national(value: str) -> bool:
    """A national number whose check characters hold: French NIR, Spanish DNI, Italian codice
    fiscale, US SSN. (British NHS numbers have ten digits, like many phone numbers: see
    :func:`_is_nhs`.)"""
    compact = value.replace(" ", "").replace("-", "")
    if len(compact) not in (9, 15, 16) or sum(c.isdigit() for c in compact) < 7:
        return False  # none of these lengths (an SSN is 9 digits once compact): skip the checks
    return (
        stdnum.fr.nir.is_valid(value)
        or stdnum.es.dni.is_valid(value)
        or stdnum.it.codicefiscale.is_valid(value)
        or _is_ssn(value)
    )


def _is_nhs(value: str) -> bool:
    return len(value.replace(" ", "")) == 10 and stdnum.gb.nhs.is_valid(value)


def _is_iban(value: str) -> bool:
    compact = value.replace(" ", "")
    return 15 <= len(compact) <= 34 and compact[:2].isalpha() and stdnum.iban.is_valid(compact)


@functools.cache
def _known_names() -> frozenset[str]:
    """First and last names of a few locales, from Faker's lists (casefolded)."""
    names: set[str] = set()
    for locale in _NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female", "last_names"):
            names.update(str(name).casefold() for name in getattr(provider, attribute, ()))
    return frozenset(names)


def _is_name(value: str) -> bool:
    """One to four words of letters, at least one of them a known first or last name."""
    words = value.replace(",", " ").split()
    if not 1 <= len(words) <= 4:
        return False
    if not all(word.replace("-", "").replace("'", "").replace(".", "").isalpha() for word in words):
        return False
    known = _known_names()
    return any(word.casefold() in known for word in words)


_KINDS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("e-mail addresses", _is_email),
    ("IBANs", _is_iban),
    ("national numbers", _is_national),
    ("card numbers", _is_card),
    ("phone numbers", _is_phone),
    ("national numbers", _is_nhs),
)
"""Tried in this order, the first that validates names a value's kind: the stricter checks
first, so a value two of them accept (a ten-digit phone number whose last digit happens to be
a valid NHS check digit) gets the likelier kind."""
_NAMES = ("personal names", _is_name)


def _direct_identifiers(values: list[str], *, names: bool) -> RoleGuess | None:
    """direct_identifier when most sampled values validate as one of the kinds (names only when
    ``names``); the reason says which kinds were found, in which shares."""
    counts = Counter(value for value in values if value)
    if not counts:
        return None
    checked = counts.most_common(CHECKED_VALUES)
    kinds = (*_KINDS, _NAMES) if names else _KINDS
    found: Counter[str] = Counter()
    weight = 0
    for value, count in checked:
        weight += count
        kind = next((label for label, test in kinds if _valid(test, value)), None)
        if kind is not None:
            found[kind] += count
    if sum(found.values()) < DIRECT_SHARE * weight:
        return None
    described = ", ".join(
        f"{_percent(share / weight)} {label}" for label, share in found.most_common()
    )
    return RoleGuess(ColumnRole.DIRECT_IDENTIFIER, f"of the sampled values: {described}")


def _percent(share: float) -> str:
    return "<1%" if share < 0.005 else f"{share:.0%}"


def _valid(test: Callable[[str], bool], value: str) -> bool:
    """A library's verdict; a library that fails on an odd value has not recognised it."""
    try:
        return test(value)
    except Exception:  # third-party validators on arbitrary text
        return False
