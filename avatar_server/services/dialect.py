"""How a CSV upload is written: its encoding, separator and quote character, detected or given.

A table read with the wrong separator is not refused by anything downstream: a semicolon file
read with commas is one column named ``age;sex;...``, every row a distinct value, and a run on
it copies every row verbatim. So the dialect is found once, at upload, stored with the dataset
(:class:`~avatar_server.db.models.CsvDialect`), shown in its schema, and used by every later
reader (the jobs), never guessed again.

**Encoding.** A byte order mark decides (UTF-8, UTF-16, UTF-32), and so does UTF-16 text
without one (one byte of every pair is NUL). Otherwise the file is read as UTF-8 as long as it
is UTF-8; the first byte that is not switches the reading to Windows-1252 (``cp1252``, what
Excel writes as "CSV" on Western European Windows, a superset of Latin-1's printable
characters), or to Latin-1 (``iso8859-1``) if a byte is undefined in Windows-1252. UTF-8 is
tried first because text in a single-byte encoding is almost never valid UTF-8 once it holds
an accented letter, while the reverse decodes anything into the wrong characters. A switch
only happens while everything before was plain ASCII (where every one of these encodings
agrees): a file whose earlier text was real UTF-8 is refused as a mix, naming the byte. This
is decided over the whole file (the check already streams it), not a head, so an accent on
row 50,000 counts. No statistical guess (charset-normalizer, chardet) is used: its answer on a
mostly-ASCII table varies with the sample, and the rule above is one a user can predict.

**Separator and quote.** Looked for among ``, ; tab |`` in a bounded head of the decoded text
(:data:`SNIFF_BYTES`, plus the whole first line): the standard library's ``csv.Sniffer``
proposes, and a proposal is only taken if every record of the head, parsed with it, has the
header's number of fields, more than one. When the sniffer fails that test, the separator and
quote (``"`` or ``'``) that pass it with the most fields are taken (the first of equals, in
that order); when none does, the comma and ``"`` (the default, whose strict row check then
names the first ragged row). A one-column result whose header would
split on ``;``, a tab or ``|`` is refused (:func:`refuse_one_column`): it is far more often a
separated file with a ragged row than a real one-column table, and reading it as one column
is the silent failure this module exists to prevent. A ``sep`` given by the user is taken as
is, and lifts that refusal.

**Decimal mark.** Excel in continental locales writes ``;``-separated files with decimal
commas (``72,5``), which a reader expecting points takes for text: each weight becomes a
category of its own. In a file not separated by commas, the decimal mark is the comma when, in
the head, some column holds numbers with a comma (every value of it a whole number or digits,
a comma and digits) and no column holds numbers with a point. Either way it is stored with the
dialect, so every job reads the numbers as numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Protocol

from avatar_server.services.errors import UnprocessableError
from avatar_yaml.csv_reading import DETECTED_SEPARATORS

SNIFF_BYTES = 64 * 1024
"""How much text after the header line the separator is looked for in."""
SNIFFER_CHARS = 16 * 1024
QUOTE_CHARS = ('"', "'")
_ONE_COLUMN_SUSPECTS = (";", "\t", "|")
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_WIDE = ("utf-16", "utf-32")
_UTF8_FAMILY = ("utf-8", "utf-8-sig")


# --- encoding ---------------------------------------------------------------------------------


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for text where one byte of most pairs is NUL and the
    other never is (Latin text in UTF-16), else None."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if min(even, odd) != 0 or max(even, odd) < 0.8 * pairs:
        return None
    return "utf-16-be" if even else "utf-16-le"


def declared_encoding(head: bytes) -> str | None:
    """The encoding the first bytes declare by themselves: a byte order mark, or UTF-16
    without one. None when they do not (then it is found while reading, see the module)."""
    if head.startswith(_UTF32_BOMS):  # before UTF-16: UTF-32-LE's mark begins with UTF-16-LE's
        return "utf-32"
    if head.startswith(_UTF8_BOM):
        return "utf-8-sig"
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    return _utf16_without_bom(head)


def is_wide(encoding: str | None) -> bool:
    """UTF-16 or UTF-32: NUL bytes are part of its text, not a sign of a binary file."""
    return encoding is not None and encoding.startswith(_WIDE)


def starting_encoding(head: bytes, given: str | None) -> str | None:
    """The encoding to read with from the first byte, or None to detect it while reading.

    A given ``utf-8`` on a file with a byte order mark reads as ``utf-8-sig``, so the mark does
    not end up in the first column's name.
    """
    if given is None:
        return declared_encoding(head)
    if given == "utf-8" and head.startswith(_UTF8_BOM):
        return "utf-8-sig"
    return given


class NotEncodedError(Exception):
    """Bytes that are not text in the encoding being read. ``start`` indexes ``data``, the
    bytes the decoder held (those of earlier reads it kept back, then the new ones)."""

    def __init__(self, data: bytes, start: int, message: str, encoding: str) -> None:
        super().__init__(message)
        self.data, self.start, self.message, self.encoding = data, start, message, encoding


class TextDecoder(Protocol):
    """Turns a file's bytes, read by read, into UTF-8 (what the CSV parsers are given)."""

    encoding: str

    def feed(self, data: bytes, final: bool) -> bytes: ...


def _hint(encoding: str) -> str:
    if encoding in _UTF8_FAMILY:
        return (
            "save the file as UTF-8 (in Excel: 'CSV UTF-8'), or give its encoding "
            "(encoding='cp1252' for Windows Western European, 'latin-1', ...)"
        )
    return "give the file's real encoding (encoding=...), or save it as UTF-8"


class _Utf8(TextDecoder):
    """UTF-8 as said (by the user, or a byte order mark): checked, passed on unchanged. Bytes
    of a character cut between two reads are held back until it is whole."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, data: bytes, final: bool) -> bytes:
        pending = self._decoder.getstate()[0]
        if not pending and data.isascii():
            return data  # ASCII is UTF-8, and cheap to tell
        whole = pending + data
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError as error:
            raise NotEncodedError(
                whole, error.start, f"it is not UTF-8 text; {_hint(self.encoding)}", "UTF-8"
            ) from None
        return whole[: len(whole) - len(self._decoder.getstate()[0])]


class _Detecting(_Utf8):
    """UTF-8 until a byte is not, then Windows-1252, or Latin-1 once a byte is not even that
    (see the module). ``encoding`` is the answer so far, final once the file is read."""

    def __init__(self) -> None:
        super().__init__("utf-8")
        self._utf8_seen = False

    def feed(self, data: bytes, final: bool) -> bytes:
        if self.encoding not in _UTF8_FAMILY:
            return self._single_byte(data)
        pending = self._decoder.getstate()[0]
        if not pending and data.isascii():
            return data
        whole = pending + data
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as error:
            before = whole[: error.start]
            cut_character = final and error.end == len(whole) and error.end - error.start > 1
            if self._utf8_seen or not before.isascii() or cut_character:
                # Earlier text was real UTF-8 (or a UTF-8 character is cut by the file's end):
                # a switch would decode that text into the wrong characters.
                raise NotEncodedError(
                    whole,
                    error.start,
                    "it is not UTF-8 text, though the text before it is; the file mixes "
                    f"encodings, or is cut short: {_hint(self.encoding)}",
                    "UTF-8",
                ) from None
            self.encoding = "cp1252"
            return self._single_byte(whole)
        # Only a whole character counts: a lead byte held back may yet turn out not to be UTF-8.
        self._utf8_seen = self._utf8_seen or not text.isascii()
        return whole[: len(whole) - len(self._decoder.getstate()[0])]

    def _single_byte(self, data: bytes) -> bytes:
        if self.encoding == "cp1252":
            try:
                return data.decode("cp1252").encode()
            except UnicodeDecodeError:
                self.encoding = "iso8859-1"
        return data.decode("iso8859-1").encode()


class _Transcoding(TextDecoder):
    """Any other encoding, given or declared: decoded strictly and re-encoded as UTF-8."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")

    def feed(self, data: bytes, final: bool) -> bytes:
        try:
            return self._decoder.decode(data, final).encode("utf-8")
        except UnicodeDecodeError as error:
            raise NotEncodedError(
                error.object, error.start, f"it is not {self.encoding} text; {_hint('')}", ""
            ) from None
        except UnicodeError as error:  # codecs that do not say where (idna, punycode...)
            raise NotEncodedError(
                data, 0, f"it cannot be read as {self.encoding}: {error}; {_hint('')}", ""
            ) from None


def text_decoder(encoding: str | None) -> TextDecoder:
    """The decoder for ``encoding`` as :func:`starting_encoding` gives it (None: detect)."""
    if encoding is None:
        return _Detecting()
    if encoding in _UTF8_FAMILY:
        return _Utf8(encoding)
    return _Transcoding(encoding)


# --- separator and quote ------------------------------------------------------------------------


def _records(text: str, delimiter: str, quotechar: str, complete: bool) -> list[list[str]] | None:
    """The non-blank records of ``text`` parsed with this dialect; None if it cannot parse them.

    When ``text`` is only the head of the file, its last record may be cut: it is dropped, and
    a parse error (a quoted field running past the head) ends the records instead of failing.
    """
    rows: list[list[str]] = []
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar=quotechar,
        doublequote=True,
        strict=True,
    )
    try:
        for row in reader:
            rows.append(row)
    except csv.Error:
        if complete or not rows:
            return None
    if not complete and len(rows) > 1:
        rows.pop()
    return [row for row in rows if row]


def _width(rows: list[list[str]] | None, quotechar: str) -> int:
    """The header's number of fields if every record has as many and it is more than one (the
    records fit this dialect), else 0.

    Single quotes fit only if no field begins with a double one: ``"a;b"`` read with ``'``
    splits in two as neatly as a real separator would, but a field that begins with ``"`` was
    quoted with it.
    """
    if not rows or len(rows[0]) < 2 or any(len(row) != len(rows[0]) for row in rows):
        return 0
    if quotechar == "'" and any(field.startswith('"') for row in rows for field in row):
        return 0
    return len(rows[0])


def _sniffer_text(text: str) -> str:
    """The first line and up to :data:`SNIFFER_CHARS` more, cut at a line end: ``csv.Sniffer``
    counts every ASCII character on every line, so it is given less than the fit check."""
    first = text.find("\n") + 1 or len(text)
    end = text.rfind("\n", first, first + SNIFFER_CHARS) + 1
    return text[: end or first]


def sniff_dialect(text: str, *, complete: bool, sep: str | None) -> tuple[str, str]:
    """The separator and quote character of the CSV whose first records are ``text`` (the whole
    file if ``complete``), among ``sep`` alone when given; see the module for the rules."""
    candidates = (sep,) if sep is not None else DETECTED_SEPARATORS
    try:
        sniffed = csv.Sniffer().sniff(_sniffer_text(text), delimiters="".join(candidates))
        proposal = (str(sniffed.delimiter), str(sniffed.quotechar))
        if (
            proposal[0] in candidates
            and proposal[1] in QUOTE_CHARS
            and _width(_records(text, *proposal, complete), proposal[1])
        ):
            return proposal
    except csv.Error:
        pass  # the sniffer found nothing: the candidates are tried one by one
    pairs = [(delimiter, quote) for delimiter in candidates for quote in QUOTE_CHARS]
    widths = {pair: _width(_records(text, *pair, complete), pair[1]) for pair in pairs}
    best = max(pairs, key=lambda pair: widths[pair])  # the first of equals
    if widths[best]:
        return best
    return sep if sep is not None else ",", '"'


_WHOLE = re.compile(r"[+-]?\d+")
_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+")
_POINT_NUMBER = re.compile(r"[+-]?\d*\.\d+")
NUMBER_SHARE = 0.9
"""A column holds numbers written one way when this share of its values in the head are
whole numbers or numbers written that way (a few stray values allowed)."""


def _written_with(values: list[str], number: re.Pattern[str]) -> bool:
    """Whether ``values`` are numbers written with ``number``'s mark: mostly whole numbers or
    such numbers, at least one of the latter."""
    present = [value.strip() for value in values if value.strip()]
    marked = sum(1 for value in present if number.fullmatch(value))
    whole = sum(1 for value in present if _WHOLE.fullmatch(value))
    return marked > 0 and marked + whole >= NUMBER_SHARE * len(present)


def sniff_decimal(text: str, delimiter: str, quotechar: str, *, complete: bool) -> str:
    """The decimal mark of the CSV whose first records are ``text``: ``','`` or ``'.'`` (see
    the module's rule)."""
    if delimiter == ",":
        return "."
    rows = _records(text, delimiter, quotechar, complete)
    if not rows or len(rows) < 2:
        return "."
    width = len(rows[0])
    columns = [[row[i] for row in rows[1:] if len(row) == width] for i in range(width)]
    if any(_written_with(values, _POINT_NUMBER) for values in columns):
        return "."
    if any(_written_with(values, _COMMA_NUMBER) for values in columns):
        return ","
    return "."


def refuse_one_column(
    header: list[str], header_line: str, text: str, *, complete: bool, quotechar: str
) -> None:
    """Refuse a file read as one column whose header line splits on ``;``, a tab or ``|``
    (:class:`UnprocessableError`, 422), naming the likely separator, why it was not taken, and
    how to say it. Called only when the user gave no separator."""
    if len(header) != 1:
        return
    splits = {
        suspect: len(next(csv.reader([header_line], delimiter=suspect, quotechar=quotechar), []))
        for suspect in _ONE_COLUMN_SUSPECTS
    }
    likely = max(splits, key=lambda suspect: splits[suspect])
    if splits[likely] < 2:
        return
    shown = {"\t": "'\\t' (a tab)"}.get(likely, repr(likely))
    written = "'\\t'" if likely == "\t" else repr(likely)
    name = header[0] if len(header[0]) <= 60 else header[0][:60] + "..."
    why = "the file's first rows cannot be parsed with it (a quote is not closed)"
    rows = _records(text, likely, quotechar, complete)
    if rows:
        for number, row in enumerate(rows[1:], start=2):
            if len(row) != len(rows[0]):
                why = (
                    f"not every row has the header's {len(rows[0])} fields with it (record "
                    f"{number}, the header being 1, has {len(row)})"
                )
                break
    raise UnprocessableError(
        f"the file reads as a single column named {name!r}, but its header splits on {shown} "
        f"into {splits[likely]} names: {shown} looks like its separator, and was not taken "
        f"because {why}. If {shown} separates the columns, give it: sep={written} (CLI: "
        f"--sep {written}), and a row that does not fit will be named; if the file really is "
        "one column, give sep=','."
    )
