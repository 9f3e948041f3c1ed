"""The privacy-impact report as DOCX, through the real server: the report job writes it beside
the HTML and PDF, the client downloads it, python-docx reads it back (every section the HTML
has, the same figures, the metrics the API gives, the places a DPO fills in and signs), and
LibreOffice converts it to a PDF whose pages are not blank. A messy table (accents, quotes, a
very long column name, control characters) gives a document that still opens and converts.

Two runs are made once per module: wbcd in English, partly declared, and the messy table in
French.
"""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_COLOR_INDEX
from docx.table import Table
from docx.text.paragraph import Paragraph
from matplotlib import image as mpimg

from avatar_server.engine.results import ATTACK_FIGURES
from avatar_server.report import format_number, format_target
from avatar_server.report.docx_document import TODO_MARK, xml_text
from avatar_server.report.translations import CHOICES, METRICS, STRINGS
from avatar_yaml import ConfigError, ReportFormat, ReportLanguage, ReportType
from avatars import ApiClient, Manager, Runner
from avatars.errors import ValidationError
from tests.server import ServerProcess, wait_done
from tests.test_report import _tool, normalise, parse

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LONG_NAME = (
    "Pression artérielle systolique mesurée au repos lors de la visite annuelle de contrôle, "
    "en millimètres de mercure (mmHg), moyenne de trois mesures « successives »"
)
QUOTED_NAME = 'catégorie "principale"'


@pytest.fixture(scope="module")
def manager(module_manager: Manager) -> Manager:
    return module_manager


@pytest.fixture(scope="module")
def wbcd_run(manager: Manager, shared_data: Path) -> Runner:
    """Two facts declared (the data type, the approver's name), six left to the DPO."""
    runner = manager.create_runner(
        "docx_wbcd", seed=0, pia_data_type="health", approver_name="Claire Martin"
    )
    runner.show_progress = False
    runner.add_table("wbcd", shared_data / "wbcd.csv")
    runner.set_parameters("wbcd", k=15)
    runner.run()
    # Every test may read the reports, whichever runs first (alone, or on a pytest worker).
    for kind in ("report", "report_pia"):
        wait_done(runner.client, runner.get_job(kind).name)
    return runner


def messy_frame(rows: int = 300, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    categories = ["Île-de-France", 'l\'"Hôpital" Saint-Éloi', "Zürich & Co <b>", "naïve"]
    return pd.DataFrame(
        {
            "âge": rng.integers(18, 95, rows),
            QUOTED_NAME: rng.choice(categories, rows),
            LONG_NAME: np.round(rng.normal(125, 15, rows), 1),
            "poids (kg)": np.round(rng.normal(72, 12, rows), 1),
            "sexe": rng.choice(["F", "M"], rows),
            "bip\x07code": rng.choice(["a\x01", "b"], rows),  # control characters, kept as is
        }
    )


@pytest.fixture(scope="module")
def messy_run(manager: Manager) -> Runner:
    runner = manager.create_runner("docx_messy", seed=1, report_language=ReportLanguage.FR)
    runner.show_progress = False
    runner.add_table("patients été", messy_frame())
    runner.set_parameters("patients été", k=10)
    runner.run()
    return runner


def download(runner: Runner, folder: Path) -> tuple[WordDocument, Path]:
    path = runner.download_report(folder / "pia.docx", report_type=ReportType.PIA)
    assert isinstance(path, Path) and path.name == "pia.docx"
    return Document(str(path)), path


# --- reading the document back ---------------------------------------------------------------


def headings(doc: WordDocument, style: str) -> list[str]:
    return [
        normalise(block.text)
        for block in doc.iter_inner_content()
        if isinstance(block, Paragraph) and block.style is not None and block.style.name == style
    ]


def tables_with_header(doc: WordDocument, header: list[str]) -> list[Table]:
    return [table for table in doc.tables if [c.text for c in table.rows[0].cells] == header]


def metric_cells(doc: WordDocument, language: str) -> dict[str, tuple[str, str, str]]:
    """Per metric code name: the value, target and result cells of the metrics tables."""
    t = STRINGS[language]
    found = {}
    for table in tables_with_header(doc, [t["metric"], t["value"], t["target"], t["result"]]):
        for row in table.rows[1:]:
            label, _, code = row.cells[0].paragraphs[0].text.rpartition(" ")
            assert label == METRICS[language][code].label
            found[code] = (row.cells[1].text, row.cells[2].text, row.cells[3].text)
    return found


def document_texts(doc: WordDocument) -> list[str]:
    """The text of each paragraph, in the body and in table cells, whitespace normalised."""
    paragraphs = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    return [text for text in (normalise(p.text) for p in paragraphs) if text]


def pictures(doc: WordDocument) -> list[bytes]:
    """The PNG of each picture, in the document's order."""
    blobs = []
    for shape in doc.inline_shapes:
        embed = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        blobs.append(doc.part.related_parts[embed].blob)
    return blobs


def fill_ins(doc: WordDocument) -> list[tuple[str, str]]:
    """Each highlighted place to fill in: the label of its row and its text."""
    places = []
    for table in doc.tables:
        for row in table.rows:
            for run in (run for p in row.cells[-1].paragraphs for run in p.runs):
                if run.font.highlight_color == WD_COLOR_INDEX.YELLOW:
                    places.append((row.cells[0].text, run.text))
    return places


# --- LibreOffice -----------------------------------------------------------------------------


def convert_to_pdf(docx: Path, folder: Path) -> Path:
    """The DOCX as LibreOffice lays it out; fails (does not skip) without LibreOffice."""
    libreoffice = _tool("libreoffice")
    profile = folder / "lo-profile"  # its own profile: no clash with another LibreOffice
    done = subprocess.run(
        [
            libreoffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(docx),
        ],
        capture_output=True,
        timeout=180,
    )
    pdf = folder / f"{docx.stem}.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr.decode(errors="replace")
    return pdf


def page_texts(pdf: Path) -> list[str]:
    done = subprocess.run([_tool("pdftotext"), str(pdf), "-"], capture_output=True, check=True)
    return [normalise(page) for page in done.stdout.decode().split("\f")[:-1]]


INK = 0.8  # a pixel darker than this (0 black, 1 white) is ink
LEAST_INK = 0.003
"""The share of ink below which a page counts as blank: the footer alone is far below it,
the shortest real page (a heading and a paragraph) far above."""


def ink_shares(pdf: Path, folder: Path) -> list[float]:
    """Per page, the share of pixels that are not near-white, from pdftoppm's images."""
    prefix = folder / "page"
    subprocess.run([_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(prefix)], check=True)
    shares = []
    for image in sorted(folder.glob("page-*.png")):
        pixels = np.asarray(mpimg.imread(image))[..., :3]
        shares.append(float((pixels < INK).any(axis=-1).mean()))
    return shares


# --- the tests -------------------------------------------------------------------------------


def test_the_docx_has_every_section_and_figure_of_the_html(
    wbcd_run: Runner, tmp_path: Path
) -> None:
    doc, _ = download(wbcd_run, tmp_path)
    html = wbcd_run.download_report(tmp_path / "pia.html", report_type="pia")
    assert isinstance(html, Path)
    page = parse(html.read_text())
    t = STRINGS["en"]
    assert headings(doc, "Title") == [t["title_pia"]]
    assert headings(doc, "Heading 1") == page.h2
    assert headings(doc, "Heading 1")[:3] == [t["section_verdict"], t["section_pia"],
                                              t["section_approval"]]  # fmt: skip
    html_pngs = [base64.b64decode(src.partition(",")[2]) for _, src in page.images]
    docx_pngs = pictures(doc)
    assert len(docx_pngs) == len(html_pngs) >= 5  # distributions, 3 correlations, projection
    assert set(docx_pngs) == set(html_pngs)  # the very same figures
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in docx_pngs)
    # Every word of the DOCX is in the HTML: one content, two layouts.
    html_text = page.text
    for text in document_texts(doc):
        assert text.removeprefix(f"{TODO_MARK} ") in html_text, text
    assert doc.core_properties.language == "en-GB"
    assert doc.core_properties.title == f"{t['title_pia']} — docx_wbcd"


def test_the_metrics_tables_hold_the_apis_metrics(wbcd_run: Runner, tmp_path: Path) -> None:
    doc, _ = download(wbcd_run, tmp_path)
    cells = metric_cells(doc, "en")
    t = STRINGS["en"]
    words = {True: f"\u2713 {t['met']}", False: f"\u2717 {t['not_met']}"}
    expected = [wbcd_run.privacy_metrics("wbcd")[0], wbcd_run.signal_metrics("wbcd")[0]]
    names = [name for entry in expected for name in entry["targets"]]
    attacks = wbcd_run.privacy_attacks("wbcd")
    assert sorted(cells) == sorted(names + list(ATTACK_FIGURES)) and len(names) >= 13
    for name, (section, key) in ATTACK_FIGURES.items():
        value, shown_target, result = cells[name]
        assert value.startswith(format_number(attacks[section][key], "en")), name
        assert shown_target == format_target(attacks["targets"][name], "en"), name
        assert result == words[attacks["passed"][name]], name
    for entry in expected:
        for name, target in entry["targets"].items():
            value, shown_target, result = cells[name]
            assert value == format_number(entry[name], "en"), name
            assert shown_target == format_target(target, "en"), name
            passed = entry["passed"].get(name)
            if entry[name] is not None and passed is not None:
                assert result == words[passed], name
    hidden = cells["hidden_rate"][0]
    assert float(hidden) == pytest.approx(wbcd_run.metrics_summary().loc["wbcd", ("value",
                                          "hidden_rate")], abs=0.01)  # fmt: skip


def test_what_the_dpo_fills_in_is_marked(wbcd_run: Runner, tmp_path: Path) -> None:
    """The six facts not declared read "to be completed", highlighted; the declared ones are
    printed plain; the decision has two boxes to tick and the signature a box of its own."""
    doc, _ = download(wbcd_run, tmp_path)
    t = STRINGS["en"]
    places = fill_ins(doc)
    todo = f"{TODO_MARK}\u00a0{t['to_be_completed']}"
    assert sorted(label for label, text in places if text == todo) == sorted(
        t[key]
        for key in (
            "data_recipient",
            "data_subject",
            "sensitivity_level",
            "approver_role",
            "approver_organisation",
            "approver_date",
        )
    )
    assert [text for label, text in places if label == t["decision"]] == ["\u2610", "\u2610"]
    assert len(places) == 8
    facts = {row.cells[0].text: row.cells[1].text for table in doc.tables for row in table.rows}
    assert facts[t["approver_name"]] == "Claire Martin"
    assert facts[t["data_type"]] == CHOICES["en"]["data_type.health"]
    assert t["decision_approved"] in facts[t["decision"]]
    assert t["decision_refused"] in facts[t["decision"]]
    (signature,) = [row for table in doc.tables for row in table.rows
                    if row.cells[0].text == t["signature"]]  # fmt: skip
    assert signature.cells[1].text == "" and signature.height is not None
    assert signature.height.cm >= 2


def test_libreoffice_converts_the_docx_to_pages_that_are_not_blank(
    wbcd_run: Runner, tmp_path: Path
) -> None:
    doc, path = download(wbcd_run, tmp_path)
    pdf = convert_to_pdf(path, tmp_path)
    pages = page_texts(pdf)
    t = STRINGS["en"]
    assert len(pages) >= 6  # a page each for privacy, utility, distributions, correlations...
    text = " ".join(pages)
    for heading in headings(doc, "Heading 1"):
        assert heading in text, heading
    assert "Claire Martin" in text and t["to_be_completed"] in text
    for number, page in enumerate(pages, start=1):  # the footer's fields, computed
        assert f"{t['page']} {number} {t['page_of']} {len(pages)}" in page
    shares = ink_shares(pdf, tmp_path)
    assert len(shares) == len(pages)
    assert min(shares) > LEAST_INK, shares


def test_a_messy_table_gives_a_docx_that_opens_and_converts(
    messy_run: Runner, tmp_path: Path
) -> None:
    doc, path = download(messy_run, tmp_path)
    t = STRINGS["fr"]
    (variables,) = tables_with_header(
        doc, [t["variable"], t["kind"], t["hellinger"], t["original"], t["avatars"]]
    )
    names = [row.cells[0].text for row in variables.rows[1:]]
    assert names == [xml_text(column) for column in messy_frame().columns]
    assert names[-1] == "bip\ufffdcode"  # XML has no place for the bell: shown replaced
    assert headings(doc, "Title") == [t["title_pia"]]
    assert t["section_privacy"].format(table="patients été") in headings(doc, "Heading 1")
    assert len(pictures(doc)) >= 5
    pdf = convert_to_pdf(path, tmp_path)
    pages = page_texts(pdf)
    text = " ".join(pages)
    assert QUOTED_NAME in text and "patients été" in text and "docx_messy" in text
    assert normalise(LONG_NAME)[:40] in text
    assert min(ink_shares(pdf, tmp_path)) > LEAST_INK


# --- formats asked for -----------------------------------------------------------------------


def test_the_docx_is_served_as_a_word_document(
    wbcd_run: Runner, server: ServerProcess, tmp_path: Path
) -> None:
    job = wbcd_run.get_job("report_pia")
    token = wbcd_run.client._core.credentials.header()
    assert token is not None
    response = httpx.get(
        f"{server.base_url}/results/{job.name}/files/report_pia.docx",
        headers={"Authorization": token},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX_MEDIA_TYPE
    assert Document(io.BytesIO(response.content)).paragraphs  # a document python-docx reads
    missing = httpx.get(
        f"{server.base_url}/results/{job.name}/files/report_pia.odt",
        headers={"Authorization": token},
    )
    assert missing.status_code == 404


def test_download_report_format(wbcd_run: Runner, tmp_path: Path) -> None:
    only = wbcd_run.download_report(tmp_path / "pia", report_type="pia", format="docx")
    assert [path.name for path in only] == ["report_pia.docx"]  # type: ignore[union-attr]
    every = wbcd_run.download_report(tmp_path / "all", report_type="pia")
    assert sorted(path.name for path in every) == [  # type: ignore[union-attr]
        "report_pia.docx",
        "report_pia.html",
        "report_pia.pdf",
    ]
    basic = wbcd_run.download_report(tmp_path / "basic", format=ReportFormat.PDF)
    assert [path.name for path in basic] == ["report.pdf"]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"the basic report has no DOCX .* report_type='pia'"):
        wbcd_run.download_report(tmp_path / "report.docx")
    with pytest.raises(ValueError, match=r"the basic report has no DOCX"):
        wbcd_run.download_report(tmp_path / "basic", format="docx")
    with pytest.raises(ValueError, match=r"names a pdf file but format= asks for docx"):
        wbcd_run.download_report(tmp_path / "pia.pdf", report_type="pia", format="docx")
    with pytest.raises(ConfigError, match=r"format: unknown value 'odt'; allowed: pdf, html"):
        wbcd_run.download_report(tmp_path, report_type="pia", format="odt")
    with pytest.raises(ValueError, match=r"use \.pdf, \.html or \.docx"):
        wbcd_run.download_report(tmp_path / "pia.odt", report_type="pia")


def test_the_server_refuses_an_unknown_report_format(user: ApiClient, shared_data: Path) -> None:
    """``output_format`` names one of pdf, html, docx (docx for the privacy-impact document
    only): anything else is a 422 naming the field and the allowed values."""
    runner = Manager(api_client=user).create_runner("docx_formats")
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=10)
    runner.config.add_report(ReportType.PIA, ReportLanguage.EN, ReportFormat.DOCX)
    text = runner.config.to_yaml()
    accepted = user.resources.put_resources("docx_formats", text)
    assert accepted.set_name
    unknown = text.replace("output_format: docx", "output_format: odt")
    assert unknown != text
    with pytest.raises(ValidationError) as refused:
        user.resources.put_resources("docx_formats_odt", unknown)
    assert refused.value.status_code == 422
    assert "output_format" in str(refused.value) and "odt" in str(refused.value)
    assert "allowed: pdf, html, docx" in str(refused.value)


def test_text_word_cannot_hold_is_shown_replaced() -> None:
    """A control character (from a column name) would make the DOCX unreadable: it is
    replaced by U+FFFD; tabs, new lines and every printable character are kept."""
    assert xml_text("a\x07b\x00c") == "a\ufffdb\ufffdc"
    kept = "é «x» \"q\" 'a' <b> & \t\n 𝄞 \u00a0"
    assert xml_text(kept) == kept
