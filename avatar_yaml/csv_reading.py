"""How a CSV file may be said to be read: the ``sep`` and ``encoding`` a user can give.

The client checks them before uploading and the server checks them again when they arrive, with
these same functions, so both refuse the same values with the same words.
"""

from __future__ import annotations

import codecs

DETECTED_SEPARATORS = (",", ";", "\t", "|")
"""The separators looked for when none is given."""

_TAB_SPELLINGS = ("\\t", "tab", "TAB")
"""A tab is awkward to type in a shell or a URL: ``--sep '\\t'`` passes a backslash and a
``t``, so that spelling (and the word) is read as the tab it means."""

_SEPARATOR_RULE = "give one punctuation mark such as ',' ';' '|' ':', a space, or a tab ('\\t')"


def check_separator(sep: str) -> str:
    """The one-character separator ``sep`` stands for; ``ValueError`` if it cannot be one.

    Refused: letters and digits (they are data), quote characters (they quote fields), line
    ends, and anything beyond ASCII, which the byte-level CSV parsers cannot split on.
    """
    if not isinstance(sep, str):
        raise ValueError(f"sep must be a string, got {type(sep).__name__}")
    if sep in _TAB_SPELLINGS:
        return "\t"
    if len(sep) != 1:
        raise ValueError(f"sep {sep!r} is not one character: {_SEPARATOR_RULE}")
    if sep == "\t":
        return sep
    if not sep.isascii() or not sep.isprintable() or sep.isalnum() or sep in "\"'":
        raise ValueError(f"sep {sep!r} cannot separate fields: {_SEPARATOR_RULE}")
    return sep


def check_encoding(encoding: str) -> str:
    """Python's canonical name of the text encoding ``encoding`` (``latin-1`` gives
    ``iso8859-1``, ``UTF8`` gives ``utf-8``); ``ValueError`` for a name Python does not know,
    or one that is not a text encoding (such as ``rot13`` or ``base64``)."""
    if not isinstance(encoding, str):
        raise ValueError(f"encoding must be a string, got {type(encoding).__name__}")
    examples = "such as 'utf-8', 'utf-16', 'cp1252' (Windows Western European) or 'latin-1'"
    try:
        name = codecs.lookup(encoding).name
    except (LookupError, TypeError, ValueError):
        raise ValueError(
            f"unknown encoding {encoding!r}: give a text encoding Python knows, {examples}"
        ) from None
    try:
        # A bytes-to-bytes or text-to-text codec (base64, rot13) fails this round trip.
        "a,b".encode(name).decode(name)
    except (LookupError, UnicodeError, TypeError, ValueError):
        raise ValueError(
            f"{encoding!r} is not a text encoding: give one that turns bytes into text, {examples}"
        ) from None
    return name
