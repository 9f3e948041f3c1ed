"""The report as an editable Word document (DOCX): the privacy-impact assessment a data
protection officer completes, signs and files.

It reads the context :func:`avatar_server.report.builder.build_context` makes for the HTML
template, so the DOCX, the HTML page and the PDF say the same things in the same words: every
word comes from the translations and every number arrives formatted. Only the layout lives
here. It uses Word's built-in heading, list and table styles, so the document stays an
ordinary editable document (a DPO adds a paragraph or restyles a heading as anywhere else);
the figures are the same PNGs as the HTML's; each field still "to be completed" is written
with a pencil mark and highlighted in yellow, so it is found and replaced before signing; the
decision and the signature have a table of their own at the end of the approval section.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
from collections.abc import Sequence
from typing import Any

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

PAGE_WIDTH = Cm(21.0)  # A4, as the PDF
PAGE_HEIGHT = Cm(29.7)
MARGIN = Cm(2.0)
TEXT_WIDTH = Cm(17.0)
TEXT_HEIGHT = Cm(23.0)  # what a figure may take below its heading and words
HALF_WIDTH = Cm(8.2)  # two correlation maps side by side, with a little room on the line
DIFFERENCE_WIDTH = Cm(12.2)  # the difference map under the pair (72 % of the text, as the PDF)
PROJECTION_WIDTH = Cm(14.6)
VARIABLE_WIDTHS = (Cm(5.4), Cm(2.4), Cm(2.4), Cm(3.4), Cm(3.4))  # the name gets the room
FACTS_WIDTHS = (Cm(6.5), Cm(10.5))  # label and value (38 % and the rest, as the PDF)
SIGNATURE_HEIGHT = Cm(2.4)
CODE_FONT = "Courier New"

TODO_MARK = "\u270e"  # the pencil the HTML puts before a field to be completed
FILL_IN = WD_COLOR_INDEX.YELLOW
"""The highlight of every place the DPO fills in: Word and LibreOffice find it with their
search by format, and it prints, so a missed field shows on paper too."""

TITLE = RGBColor(0x13, 0x31, 0x5C)
TEXT = RGBColor(0x33, 0x47, 0x5B)
MUTED = RGBColor(0x6B, 0x77, 0x85)
MET = RGBColor(0x1B, 0x6E, 0x2A)
NOT_MET = RGBColor(0xB3, 0x26, 0x1E)
REASON = RGBColor(0x8A, 0x5A, 0x00)
TODO = RGBColor(0x9A, 0x5B, 0x00)
HEADER_FILL = "EEF2F7"

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: object) -> str:
    """``text`` as a Word document can hold it: XML 1.0 has no place for most control
    characters, and a column or table name may hold one; each becomes U+FFFD (shown, not
    silently dropped)."""
    return _NOT_XML.sub("\ufffd", str(text))


def render_docx(context: dict[str, Any]) -> bytes:
    """The report of ``context`` (made by ``build_context``) as DOCX bytes."""
    writer = _Writer(context)
    writer.write()
    buffer = io.BytesIO()
    writer.doc.save(buffer)
    return buffer.getvalue()


# --- small pieces ----------------------------------------------------------------------------


def _png(uri: str) -> bytes:
    """The PNG of a ``data:image/png;base64,`` URI, as the figures module writes them."""
    prefix = "data:image/png;base64,"
    if not uri.startswith(prefix):
        raise ValueError("a report figure is not a PNG data URI")
    try:
        return base64.b64decode(uri[len(prefix) :], validate=True)
    except binascii.Error as error:
        raise ValueError(f"a report figure is not valid base64: {error}") from error


def _fitted_width(png: bytes, width: Length, height: Length = TEXT_HEIGHT) -> Length:
    """``width``, narrowed when the figure at that width would be taller than ``height``
    (a tall figure would otherwise run off the page). The size is read from the PNG header."""
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])
    if pixels_wide == 0 or pixels_high == 0:
        return width
    if width * pixels_high / pixels_wide <= height:
        return width
    return Length(int(height * pixels_wide / pixels_high))


def _set_widths(table: Table, widths: Sequence[Length]) -> None:
    """Column widths, in the table's grid (what LibreOffice reads) and in each cell (what
    Word reads); fixed, so a long value wraps instead of widening its column."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _shade(cell: _Cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_as_header(table: Table) -> None:
    """The first row repeats on each page a long table spans (Word's "header row")."""
    row_properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row_properties.append(header)


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A field Word and LibreOffice compute when laying out (page number, page count)."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _styled(run: Run, *, colour: RGBColor | None = None, size: float | None = None) -> Run:
    if colour is not None:
        run.font.color.rgb = colour
    if size is not None:
        run.font.size = Pt(size)
    return run


def _code(paragraph: Paragraph, text: str) -> Run:
    """A code name (``hidden_rate``) in a small monospace font, as the HTML's ``<code>``."""
    run = paragraph.add_run(xml_text(text))
    run.font.name = CODE_FONT
    return _styled(run, colour=MUTED, size=7.5)


def _status_colour(status: str) -> RGBColor:
    return {"met": MET, "not_met": NOT_MET}.get(status, MUTED)


# --- the document ----------------------------------------------------------------------------


class _Writer:
    """Writes the sections in the HTML template's order, from the same context."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.c = context
        self.t: dict[str, str] = context["t"]
        self.doc: WordDocument = Document()

    # -- set-up --------------------------------------------------------------------------------

    def write(self) -> None:
        self._page_setup()
        self._cover()
        self._verdicts()
        if self.c["pia_first"]:
            self._pia()
        self._context()
        if not self.c["pia_first"]:
            self._pia()
        for table in self.c["tables"]:
            self._table(table)
            for series in table["series"]:
                self._series(series)
        if self.c["relations"]:
            self._relations()
        if self.c.get("manifest"):
            self._manifest(self.c["manifest"])
        self._conclusion()

    def _page_setup(self) -> None:
        """A4 with the PDF's margins, the language for spelling, the document's properties
        (title, author, date) and a "Page n of N" footer."""
        section = self.doc.sections[0]
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.left_margin = section.right_margin = MARGIN
        section.top_margin = section.bottom_margin = MARGIN
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(10)
        language = {"en": "en-GB", "fr": "fr-FR"}.get(self.c["language"], self.c["language"])
        run_properties = normal.element.get_or_add_rPr()
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), language)
        run_properties.append(lang)
        for level in (1, 2, 3):
            self.doc.styles[f"Heading {level}"].font.color.rgb = TITLE
        properties = self.doc.core_properties
        properties.title = xml_text(f"{self.c['title']} — {self.c['run_name']}")
        properties.subject = xml_text(self.c["run_name"])
        properties.author = self.t["product"]
        properties.language = language
        properties.comments = xml_text(self.c["generated"])
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _styled(footer.add_run(f"{self.t['page']} "), colour=MUTED, size=8)
        _field(footer, "PAGE", "1")
        _styled(footer.add_run(f" {self.t['page_of']} "), colour=MUTED, size=8)
        _field(footer, "NUMPAGES", "1")

    # -- helpers -------------------------------------------------------------------------------

    def _heading(self, text: str, level: int, *, new_page: bool = False) -> Paragraph:
        heading: Paragraph = self.doc.add_heading(xml_text(text), level)
        heading.paragraph_format.page_break_before = new_page
        heading.paragraph_format.keep_with_next = True
        return heading

    def _paragraph(
        self, text: str, *, colour: RGBColor | None = TEXT, size: float | None = None
    ) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        _styled(paragraph.add_run(xml_text(text)), colour=colour, size=size)
        return paragraph

    def _note(self, text: str) -> Paragraph:
        return self._paragraph(text, colour=MUTED, size=8.5)

    def _grid(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        numeric: Sequence[int] = (),
        widths: Sequence[Length] = (),
    ) -> Table:
        """A table with a shaded header row repeated on each page, numbers right-aligned."""
        table: Table = self.doc.add_table(rows=1 + len(rows), cols=len(header))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for index, (cell, text) in enumerate(zip(table.rows[0].cells, header, strict=True)):
            paragraph = cell.paragraphs[0]
            _styled(paragraph.add_run(xml_text(text)), colour=TITLE).bold = True
            if index in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _shade(cell, HEADER_FILL)
        _repeat_as_header(table)
        for row, values in zip(table.rows[1:], rows, strict=True):
            for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
                cell.paragraphs[0].add_run(xml_text(text))
                if index in numeric:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if widths:
            _set_widths(table, widths)
        return table

    def _facts(self, rows: Sequence[tuple[str, str, bool]]) -> Table:
        """Label and value per row; a value still to be completed gets the pencil mark, in
        italics, highlighted: a place to fill in."""
        table: Table = self.doc.add_table(rows=len(rows), cols=2)
        table.style = self.doc.styles["Table Grid"]
        for row, (label, value, todo) in zip(table.rows, rows, strict=True):
            cells = row.cells
            _styled(cells[0].paragraphs[0].add_run(xml_text(label)), colour=TEXT).bold = True
            if todo:
                self._fill_in(cells[1].paragraphs[0], value)
            else:
                cells[1].paragraphs[0].add_run(xml_text(value))
        _set_widths(table, FACTS_WIDTHS)
        return table

    @staticmethod
    def _fill_in(paragraph: Paragraph, text: str) -> None:
        run = paragraph.add_run(f"{TODO_MARK}\u00a0{xml_text(text)}")
        run.italic = True
        run.font.highlight_color = FILL_IN
        _styled(run, colour=TODO)

    def _figure(self, uri: str, width: Length, alt: str) -> None:
        png = _png(uri)
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._picture(paragraph, png, _fitted_width(png, width), alt)

    @staticmethod
    def _picture(paragraph: Paragraph, png: bytes, width: Length, alt: str) -> None:
        shape = paragraph.add_run().add_picture(io.BytesIO(png), width=width)
        shape._inline.docPr.set("descr", xml_text(alt))  # read aloud, shown when missing
        for side in ("distT", "distB", "distL", "distR"):
            # No margin around the picture: LibreOffice otherwise adds one, and two maps
            # meant to stand side by side no longer fit on one line.
            shape._inline.set(side, "0")

    # -- sections ------------------------------------------------------------------------------

    def _cover(self) -> None:
        product = self._paragraph(self.t["product"], colour=MUTED, size=8)
        product.runs[0].font.small_caps = True
        self.doc.add_heading(xml_text(self.c["title"]), 0)
        if self.c["subtitle"]:
            self._paragraph(self.c["subtitle"], size=12)
        run_name = self.doc.add_paragraph().add_run(xml_text(self.c["run_name"]))
        run_name.bold = True
        run_name.font.size = Pt(13)
        self._note(self.c["generated"])

    def _verdicts(self) -> None:
        if not self.c["verdicts"]:
            return
        t = self.t
        self._heading(t["section_verdict"], 1)
        for verdict in self.c["verdicts"]:
            words = t["verdict_pass"] if verdict["passed"] else t["verdict_fail"]
            status = self.doc.add_paragraph().add_run(
                xml_text(words.format(table=verdict["table"]))
            )
            status.bold = True
            _styled(status, colour=MET if verdict["passed"] else NOT_MET)
            for item in verdict["failed"]:
                entry = self.doc.add_paragraph(style="List Bullet")
                _styled(entry.add_run(xml_text(item["reason"])), colour=NOT_MET)
                entry.add_run(" ")
                _code(entry, item["code"])
                remedy = self.doc.add_paragraph(style="List Continue")
                remedy.add_run(t["verdict_what_to_do"]).bold = True
                remedy.add_run(" " + xml_text(item["remedy"]))

    def _pia(self) -> None:
        """The declared facts, then the approval block a DPO completes and signs."""
        t = self.t
        self._heading(t["section_pia"], 1)
        self._paragraph(t["pia_intro"])
        self._facts([(r["label"], r["value"], r["todo"]) for r in self.c["pia_rows"]])
        self._heading(t["section_approval"], 1)
        self._paragraph(t["approval_intro"])
        self._facts([(r["label"], r["value"], r["todo"]) for r in self.c["approver_rows"]])
        self.doc.add_paragraph()
        sign = self.doc.add_table(rows=2, cols=2)
        sign.style = self.doc.styles["Table Grid"]
        for row, label in zip(sign.rows, (t["decision"], t["signature"]), strict=True):
            _styled(row.cells[0].paragraphs[0].add_run(label), colour=TEXT).bold = True
        _set_widths(sign, FACTS_WIDTHS)
        decision = sign.rows[0].cells[1]
        for index, choice in enumerate((t["decision_approved"], t["decision_refused"])):
            line = decision.paragraphs[0] if index == 0 else decision.add_paragraph()
            line.add_run("\u2610").font.highlight_color = FILL_IN  # a box to tick
            line.add_run(f" {choice}")
        signature = sign.rows[1]
        signature.height = SIGNATURE_HEIGHT
        signature.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        _shade(signature.cells[1], "FFFDE7")  # the box to sign in, pale so a pen shows

    def _context(self) -> None:
        t, c = self.t, self.c
        self._heading(t["section_context"], 1)
        self._facts(
            [
                (t["run_name"], c["run_name"], False),
                (t["report_date"], c["date"], False),
                (t["software_version"], f"open-avatars {c['avatar_version']}", False),
            ]
        )
        self._heading(t["tables"], 2)
        rows = []
        for table in c["tables"]:
            rows.append([table["name"], table["rows"], table["column_count"], table["seed"]])
            for series in table["series"]:
                label = t["series_of"].format(table=series["name"], parent=series["parent"])
                rows.append([label, series["rows"], series["column_count"], series["seed"]])
        self._grid([t["table"], t["rows"], t["columns"], t["seed"]], rows, numeric=(1, 2, 3))
        for table in c["tables"]:
            self._heading(t["parameters_title"].format(table=table["name"]), 2)
            facts = [(label, value, False) for label, value in table["parameters"]]
            facts.append((t["variables"], table["columns"], False))
            if table["set_aside"]:
                facts.append((t["set_aside"], table["set_aside"], False))
            if table["identifying"]:
                facts.append((t["identifying"], "\n".join(table["identifying"]), False))
            if table["formulas"]:
                facts.append((t["formulas"], table["formulas"], False))
            self._facts(facts)

    def _metrics(self, rows: Sequence[dict[str, Any]]) -> Table:
        """One row per metric: its name in words and code, meaning (and why it was not
        computed), value, target and result, as the HTML's metrics table."""
        t = self.t
        words = {
            "met": f"\u2713 {t['met']}",
            "not_met": f"\u2717 {t['not_met']}",
            "no_target": t["no_target"],
            "not_computed": t["not_computed"],
        }
        table = self._grid(
            [t["metric"], t["value"], t["target"], t["result"]],
            [["", row["value"], row["target"], words[row["status"]]] for row in rows],
            numeric=(1, 2),
            widths=(Cm(9.4), Cm(2.4), Cm(2.4), Cm(2.8)),
        )
        for table_row, row in zip(table.rows[1:], rows, strict=True):
            self._label_and_code(table_row.cells[0].paragraphs[0], row["label"], row["name"])
            meaning = table_row.cells[0].add_paragraph()
            _styled(meaning.add_run(xml_text(row["meaning"])), colour=TEXT, size=8.5)
            if row["reason"]:
                reason = table_row.cells[0].add_paragraph()
                _styled(reason.add_run(xml_text(row["reason"])), colour=REASON, size=8.5)
            result = table_row.cells[3].paragraphs[0].runs[0]
            _styled(result, colour=_status_colour(row["status"]))
            result.bold = row["status"] in ("met", "not_met")
        return table

    @staticmethod
    def _label_and_code(paragraph: Paragraph, label: str, code: str) -> None:
        """A metric or method in words, then its code name, as the HTML writes them."""
        paragraph.add_run(xml_text(label)).bold = True
        paragraph.add_run(" ")
        _code(paragraph, code)

    def _table(self, table: dict[str, Any]) -> None:
        t = self.t
        name = table["name"]
        self._heading(t["section_privacy"].format(table=name), 1, new_page=True)
        self._paragraph(t["privacy_intro"])
        self._metrics(table["privacy"])
        if table.get("attacks"):
            self._heading(t["attacks_title"].format(table=name), 1, new_page=True)
            self._attacks(table)
        self._heading(t["section_signal"].format(table=name), 1, new_page=True)
        self._paragraph(t["signal_intro"])
        self._metrics(table["signal"])
        if table["variables"]:
            self._heading(t["per_variable"].format(table=name), 2)
            self._grid(
                [t["variable"], t["kind"], t["hellinger"], t["original"], t["avatars"]],
                [
                    [row["name"], row["kind"], row["hellinger"], row["original"], row["avatars"]]
                    for row in table["variables"]
                ],
                numeric=(2, 3, 4),
                widths=VARIABLE_WIDTHS,
            )
            self._note(t["per_variable_note"])
        title = t["section_distributions"].format(table=name)
        self._heading(title, 1, new_page=True)
        self._paragraph(t["distributions_intro"])
        if table["distributions_note"]:
            self._note(table["distributions_note"])
        if table["distributions_none"]:
            self._note(t["distributions_none"])
        if not table["variables"]:
            self._note(t["missing_data"])
        for image in table["distributions"]:
            self._figure(image, TEXT_WIDTH, title)
        self._correlations(table)
        title = t["section_projection"].format(table=name)
        self._heading(title, 1, new_page=True)
        self._paragraph(table["projection_intro"])
        if table["projection"]:
            self._figure(table["projection"], PROJECTION_WIDTH, title)
        else:
            self._note(t["missing_data"])

    def _correlations(self, table: dict[str, Any]) -> None:
        t = self.t
        title = t["section_correlations"].format(table=table["name"])
        self._heading(title, 1, new_page=True)
        self._paragraph(t["correlations_intro"])
        correlations = table["correlations"]
        if not correlations:
            self._note(t["missing_data"])
            return
        if table["correlations_note"]:
            self._note(table["correlations_note"])
        if correlations["wide"]:
            self._figure(correlations["original"], TEXT_WIDTH, t["original"])
            self._figure(correlations["avatars"], TEXT_WIDTH, t["avatars"])
            self._figure(correlations["difference"], TEXT_WIDTH, title)
            return
        pair = self.doc.add_paragraph()
        pair.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for side in ("original", "avatars"):
            if side == "avatars":
                pair.add_run(" ")
            png = _png(correlations[side])
            self._picture(pair, png, _fitted_width(png, HALF_WIDTH), t[side])
        self._figure(correlations["difference"], DIFFERENCE_WIDTH, title)

    def _attacks(self, context: dict[str, Any]) -> None:
        """A table's (or series table's) attacks: their rows, what they rest on, remedies."""
        t = self.t
        self._paragraph(t["attacks_intro"])
        self._metrics(context["attacks"])
        for note in context["attack_notes"]:
            self._note(note)
        if context["attack_remedies"]:
            self._note(t["attacks_remedies"])
            for remedy in context["attack_remedies"]:
                entry = self.doc.add_paragraph(style="List Bullet")
                _styled(entry.add_run(xml_text(remedy)), colour=TEXT)

    def _series(self, series: dict[str, Any]) -> None:
        t = self.t
        name, parent = series["name"], series["parent"]
        self._heading(t["section_series"].format(table=name, parent=parent), 1, new_page=True)
        self._paragraph(t["series_intro"].format(parent=parent))
        self._heading(t["series_settings"].format(table=name), 2)
        self._facts([(label, value, False) for label, value in series["settings"]])
        self._heading(t["series_privacy_title"].format(table=name), 2)
        self._paragraph(series["privacy_intro"])
        if series["verdict"]:
            verdict = self.doc.add_paragraph().add_run(xml_text(series["verdict"]["text"]))
            verdict.bold = True
            _styled(verdict, colour=MET if series["verdict"]["passed"] else NOT_MET)
        self._metrics(series["privacy"])
        if series.get("attacks"):
            self._heading(t["series_attacks_title"].format(table=name), 2)
            self._attacks(series)
        self._heading(t["series_signal_title"].format(table=name), 2)
        self._paragraph(t["series_signal_intro"])
        if series["signal"]:
            signal = self._grid(
                [t["variable"], t["metric"], t["series_avatars_value"], t["series_floor"]],
                [
                    [row["variable"] if row["first"] else "", "", row["value"], row["floor"]]
                    for row in series["signal"]
                ],
                numeric=(2, 3),
            )
            for table_row, row in zip(signal.rows[1:], series["signal"], strict=True):
                self._label_and_code(table_row.cells[1].paragraphs[0], row["label"], row["name"])
            self._note(t["series_floor_note"])
        else:
            self._note(t["missing_data"])
        for key, title, intro in (
            ("raw", "series_raw_title", "series_raw_intro"),
            ("normalized", "series_normalized_title", "series_normalized_intro"),
        ):
            heading = t[title].format(table=name)
            self._heading(heading, 2)
            self._paragraph(t[intro])
            if series[key]:
                self._figure(series[key], TEXT_WIDTH, heading)
            else:
                self._note(t["missing_data"])

    def _relations(self) -> None:
        t = self.t
        self._heading(t["section_relations"], 1, new_page=True)
        self._paragraph(t["relations_intro"])
        for image in self.c["cardinality_images"]:
            self._figure(image, TEXT_WIDTH, t["cardinality_figure"])
        for relation in self.c["relations"]:
            self._heading(relation["title"], 2)
            mark = "\u2713" if relation["integrity_ok"] else "\u2717"
            facts = [
                (t["relation_method"], "", False),
                (t["integrity"], f"{mark} {relation['integrity']}", False),
            ]
            if relation["privacy"]:
                facts.append((t["relation_privacy"], relation["privacy"], False))
            method = self._facts(facts).rows[0].cells[1].paragraphs[0]
            method.add_run(xml_text(relation["method"]))
            method.add_run(" ")
            _code(method, relation["method_code"])
            if relation["sensitive"]:
                self._paragraph(t["relation_sensitive"], colour=NOT_MET)
            self._grid(
                [relation["cardinality_title"], t["original"], t["avatars"]],
                [list(row) for row in relation["cardinality"]],
                numeric=(1, 2),
            )
            if relation["hellinger"]:
                self._note(relation["hellinger"])
            self._heading(t["association"], 3)
            if relation["associations"]:
                self._grid(
                    [
                        relation["association_parent"],
                        relation["association_child"],
                        t["measure"],
                        t["original"],
                        t["avatars"],
                        t["difference"],
                    ],
                    [
                        [
                            row["parent_column"],
                            row["child_column"],
                            row["measure"],
                            row["original"],
                            row["avatars"],
                            row["difference"],
                        ]
                        for row in relation["associations"]
                    ],
                    numeric=(3, 4, 5),
                )
            else:
                self._note(t["association_none"])
            for note in relation["association_notes"]:
                self._note(note)

    def _manifest(self, manifest: dict[str, Any]) -> None:
        """The release manifest's hashes, so the signed document names the exact files."""
        t = self.t
        self._heading(t["section_manifest"], 1, new_page=True)
        self._paragraph(manifest["intro"])
        self._facts([(label, value, False) for label, value in manifest["facts"]])
        self._heading(t["manifest_inputs"], 2)
        self._grid(
            [t["manifest_table"], t["manifest_rows"], t["manifest_column_count"], "SHA-256"],
            [[r["table"], r["rows"], r["columns"], r["sha256"]] for r in manifest["inputs"]],
            numeric=(1, 2),
            widths=(Cm(3.4), Cm(1.8), Cm(1.8), Cm(10.0)),
        )
        self._heading(t["manifest_released"], 2)
        self._grid(
            [t["manifest_file"], t["manifest_size"], "SHA-256"],
            [[r["name"], r["size"], r["sha256"]] for r in manifest["released"]],
            numeric=(1,),
            widths=(Cm(5.2), Cm(1.8), Cm(10.0)),
        )
        if manifest["columns"]:
            self._heading(t["manifest_columns"], 2)
            self._grid(
                [
                    t["manifest_table"],
                    t["manifest_column"],
                    t["manifest_role"],
                    t["manifest_treatment"],
                ],
                [[r["table"], r["column"], r["role"], r["treatment"]] for r in manifest["columns"]],
            )

    def _conclusion(self) -> None:
        self._heading(self.t["section_conclusion"], 1)
        paragraphs = self.c["conclusion"]
        for index, text in enumerate(paragraphs):
            paragraph = self._paragraph(text)
            if index == len(paragraphs) - 1:
                paragraph.runs[0].italic = True  # the caveat
