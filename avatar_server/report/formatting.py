"""Numbers, targets and dates as the report writes them, per language.

One function per kind of value, used by the template and by the tests: a test that looks for
a metric value in the report formats it with :func:`format_number`, so the report and the test
cannot disagree about how many decimals a value gets.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from avatar_server.report.translations import MONTHS

MISSING = "—"
NBSP = "\u00a0"
# Numbers this large get thousands separators; smaller ones read better without.
GROUPING_FROM = 10_000


def _decimals(value: float) -> int:
    """Whole numbers without decimals, others with 2, small ones with 3 significant digits
    (0.0137, 0.140): enough to compare against a target, not so many as to suggest a
    precision the metrics do not have."""
    magnitude = abs(value)
    if value == round(value):
        return 0
    if magnitude >= 1:
        return 2
    return min(6, 2 - math.floor(math.log10(magnitude)))


def format_number(value: float | int | None, language: str, *, decimals: int | None = None) -> str:
    """``value`` with the language's decimal mark (French: comma) and thousands separator
    (English: comma, French: no-break space); ``—`` when there is no value."""
    if value is None or isinstance(value, bool):
        return MISSING
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    places = _decimals(number) if decimals is None else decimals
    grouped = abs(number) >= GROUPING_FROM
    text = f"{number:,.{places}f}" if grouped else f"{number:.{places}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0.00"
    if language == "fr":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def format_percent(value: float | None, language: str, *, decimals: int = 1) -> str:
    """A value already in percent, with its sign: ``87.3%`` / ``87,3 %``."""
    if value is None or not math.isfinite(value):
        return MISSING
    text = format_number(value, language, decimals=decimals)
    return f"{text}{NBSP}%" if language == "fr" else f"{text}%"


def _threshold_text(threshold: str, language: str) -> str | None:
    """A target's threshold in the language's format (None: not a number). Thresholds are
    round numbers: written as short as they are (0.2, not 0.200)."""
    try:
        text = f"{float(threshold):g}"
    except ValueError:
        return None
    return text.replace(".", ",") if language == "fr" else text


def target_threshold(target: str | None, language: str) -> str:
    """The threshold of a target written ``"<operator> <threshold>"`` (``"< 22.53"``), in the
    language's format: the number a sentence quotes, since a table may set its own."""
    _, _, threshold = (target or "").strip().partition(" ")
    text = _threshold_text(threshold, language)
    return (threshold or MISSING) if text is None else text


def format_target(target: str | None, language: str) -> str:
    """A target written ``"<operator> <threshold>"`` (``"> 0.2"``) with the threshold in the
    language's format; ``—`` for a metric without target."""
    if not target:
        return MISSING
    operator, _, threshold = target.strip().partition(" ")
    text = _threshold_text(threshold, language)
    return target if text is None else f"{operator}{NBSP}{text}"


def format_date(moment: datetime, language: str) -> str:
    """A date and time in words, e.g. ``3 March 2025, 14:05 UTC`` / ``3 mars 2025 à 14:05 UTC``
    (no locale needed: the month names come from the translations)."""
    month = MONTHS[language][moment.month - 1]
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    zone = moment.tzname() or ""
    joiner = " à " if language == "fr" else ", "
    return f"{moment.day} {month} {moment.year}{joiner}{clock} {zone}".rstrip()


def format_day(day: date, language: str) -> str:
    """A calendar date in words, e.g. ``1 March 2025`` / ``1 mars 2025``."""
    return f"{day.day} {MONTHS[language][day.month - 1]} {day.year}"
