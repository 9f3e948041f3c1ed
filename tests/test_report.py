"""The report job on the real server: the HTML and PDF hold every metric, the PDF is valid,
embeds its fonts and has the pages its content implies, the HTML renders in a browser, and
the French report is French. Plus the plot data the jobs store for the report and the client.

Two runs are made once per module (wbcd with an English basic report and a French PIA report,
iris with an English basic report limited to 2 distribution panels) and inspected by the tests.
"""

from __future__ import annotations

import datetime
import math
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib import image as mpimg

from avatar_server.jobs.table_details import PROJECTION_SAMPLE_ROWS, projection_sample
from avatar_server.report import format_number, format_target
from avatar_server.report.builder import TableResults, conclusion, verdicts
from avatar_server.report.images import PANELS_PER_FIGURE
from avatar_server.report.translations import METRICS, STRINGS
from avatar_yaml import (
    Approver,
    AvatarizationParameters,
    Config,
    DataRecipient,
    DataSubject,
    DataType,
    PiaMetadata,
    ReportFormat,
    ReportLanguage,
    ReportType,
    SensitivityLevel,
    report_name,
)
from avatars import ApiClient
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, wait_for_status

WAIT_S = 180.0
IRIS_PLOTS = 2
APPROVED = datetime.date(2025, 3, 1)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: run `make install` (scripts/system-packages.sh)")
    return path


def normalise(text: str) -> str:
    """Whitespace as single spaces (no-break spaces included): layout is not content."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


# --- HTML ------------------------------------------------------------------------------------


class ReportParser(HTMLParser):
    """The parts of the report the tests read: metric rows, headings, text, images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.metrics: dict[tuple[str, str, str], list[str]] = {}
        self.headings: list[str] = []
        self.h2: list[str] = []
        self.images: list[tuple[str, str]] = []  # (figure class, src)
        self.texts: list[str] = []
        self._table: dict[str, str | None] = {}
        self._row: tuple[str, str, str] | None = None
        self._cells: list[str] = []
        self._cell: list[str] | None = None
        self._heading: tuple[str, list[str]] | None = None
        self._figure = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "table":
            self._table = found
        elif tag == "tr" and "data-metric" in found and "data-kind" in self._table:
            self._row = (
                str(self._table["data-kind"]),
                str(self._table["data-table"]),
                str(found["data-metric"]),
            )
            self._cells = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag in ("h1", "h2", "h3", "th"):
            self._heading = (tag, [])
        elif tag == "figure":
            self._figure = found.get("class") or ""
        elif tag == "img":
            self.images.append((self._figure, found.get("src") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self._cells.append(normalise("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.metrics[self._row] = self._cells
            self._row = None
        elif tag in ("h1", "h2", "h3", "th") and self._heading is not None:
            text = normalise("".join(self._heading[1]))
            self.headings.append(text)
            if self._heading[0] == "h2":
                self.h2.append(text)
            self._heading = None
        elif tag == "table":
            self._table = {}

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading[1].append(data)

    @property
    def text(self) -> str:
        return normalise(" ".join(self.texts))


def parse(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    parser.close()
    return parser


# --- the runs --------------------------------------------------------------------------------


@dataclass
class Run:
    """One finished run: its jobs' results as the tests need them."""

    table: str
    rows: int
    columns: int
    privacy: dict[str, Any]
    signal: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # report file name -> entry
    reports: dict[str, bytes] = field(default_factory=dict)  # report file name -> bytes
    results: dict[str, Any] = field(default_factory=dict)  # other result kinds -> JSON
    manifests: list[str] = field(default_factory=list)  # each report job's manifest file


def _run(client: ApiClient, shared_data: Path, table: str, config: Config) -> Run:
    path = shared_data / f"{table}.csv"
    dataset = client.datasets.upload_dataset(path, name=table)
    config.add_table(table, str(dataset.id))
    config.set_parameters(table, avatarization=AvatarizationParameters(k=15))
    resource = client.resources.put_resources(config.display_name, config.to_yaml())
    jobs = client.jobs
    standard = jobs.create_job(resource.set_name, "standard")
    privacy = jobs.create_job(resource.set_name, "privacy_metrics", [standard.name])
    signal = jobs.create_job(resource.set_name, "signal_metrics", [standard.name])
    reports = [
        jobs.create_job(
            resource.set_name, report_name(document.report_type), [privacy.name, signal.name]
        )
        for document in config.reports
    ]
    for job in (standard, privacy, signal, *reports):
        wait_for_status(client, job.name, "done", timeout=WAIT_S)

    def json_result(job: str, kind: str) -> Any:
        entry = next(e for e in client.results.get_results(job).files if e.kind == kind)
        return client.results.read_json(job, entry)

    frame = pd.read_csv(path)
    run = Run(
        table=table,
        rows=len(frame),
        columns=frame.shape[1],
        privacy=json_result(privacy.name, "privacy_metrics")[0],
        signal=json_result(signal.name, "signal_metrics")[0],
    )
    run.results["correlations"] = json_result(signal.name, "correlations")
    run.results["variable_comparisons"] = json_result(signal.name, "variable_comparisons")
    run.results["projection_sample"] = json_result(standard.name, "projection_sample")
    run.results["run_metadata"] = json_result(standard.name, "run_metadata")
    for job in reports:
        for entry in client.results.get_results(job.name).files:
            if entry.kind == "release_manifest":  # tests/test_release_manifest.py reads it
                run.manifests.append(entry.name)
                continue
            run.files[entry.name] = {"kind": entry.kind, "format": entry.file_format}
            run.reports[entry.name] = client.results.read_bytes(job.name, entry.name)
    return run


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[ApiClient]:
    name = f"report-{uuid.uuid4().hex[:10]}"
    with ApiClient(server.base_url) as admin:
        admin.authenticate("admin", ADMIN_PASSWORD)
        admin.users.create_user(name, f"{name}@example.org", f"pw-{name}")
    with ApiClient(server.base_url) as signed_in:
        signed_in.authenticate(name, f"pw-{name}")
        yield signed_in


@pytest.fixture(scope="module")
def wbcd(client: ApiClient, shared_data: Path) -> Run:
    pia = PiaMetadata(
        datarecipient=DataRecipient.CONTRACTUAL_THIRD_PARTY,
        data_type=DataType.HEALTH,
        datasubject=DataSubject.PATIENTS,
        sensitivity_level=SensitivityLevel.HIGH,
    )
    approver = Approver(
        name="Amélie Durand", role="Déléguée à la protection des données", date=APPROVED
    )
    config = Config.new("wbcd_report", seed=7, pia=pia, approver=approver)
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.HTML)
    config.add_report(ReportType.PIA, ReportLanguage.FR, ReportFormat.PDF)
    return _run(client, shared_data, "wbcd", config)


@pytest.fixture(scope="module")
def iris(client: ApiClient, shared_data: Path) -> Run:
    config = Config.new("iris_report", seed=3, max_distribution_plots=IRIS_PLOTS)
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.PDF)
    return _run(client, shared_data, "iris", config)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode()


def _expected(entry: dict[str, Any], language: str) -> dict[str, tuple[str, str]]:
    """Every metric of a result with its value and target as the report formats them."""
    return {
        name: (
            normalise(format_number(entry.get(name), language)),
            normalise(format_target(target, language)),
        )
        for name, target in entry["targets"].items()
    }


REPORTS = [("wbcd", "report", "en"), ("wbcd", "report_pia", "fr"), ("iris", "report", "en")]


# --- files -----------------------------------------------------------------------------------


def test_each_report_document_gives_its_files(wbcd: Run, iris: Run) -> None:
    """HTML and PDF for every report, whatever its ``output_format`` names; DOCX too for the
    privacy-impact one (tests/test_report_docx.py reads it)."""
    assert set(wbcd.files) == {
        "report.html",
        "report.pdf",
        "report_pia.html",
        "report_pia.pdf",
        "report_pia.docx",
    }
    assert set(iris.files) == {"report.html", "report.pdf"}
    assert wbcd.manifests == ["release_manifest.json"] * 2  # one per report job
    assert iris.manifests == ["release_manifest.json"]
    for run in (wbcd, iris):
        for name, entry in run.files.items():
            assert entry["kind"] == "report"
            assert entry["format"] == name.rsplit(".", 1)[1]
        for name, data in run.reports.items():
            if name.endswith(".pdf"):
                assert data.startswith(b"%PDF-")
            elif name.endswith(".docx"):
                assert data.startswith(b"PK\x03\x04")  # a zip package, as every DOCX
            else:
                assert data.lstrip().lower().startswith(b"<!doctype html>")


# --- every metric, in the HTML and in the PDF ------------------------------------------------


@pytest.mark.parametrize(("table", "document", "language"), REPORTS)
def test_html_holds_every_metric_value_and_target(
    table: str, document: str, language: str, request: pytest.FixtureRequest
) -> None:
    run: Run = request.getfixturevalue(table)
    page = parse(run.reports[f"{document}.html"].decode())
    assert page.lang == language
    for kind, entry in (("privacy", run.privacy), ("signal", run.signal)):
        expected = _expected(entry, language)
        assert len(expected) >= (10 if kind == "privacy" else 3)
        for name, (value, target) in expected.items():
            cells = page.metrics[(kind, run.table, name)]
            label = METRICS[language][name].label
            assert cells[0].startswith(label), cells
            assert cells[1] == value, (name, cells)
            assert cells[2] == target, (name, cells)
            passed = entry["passed"].get(name)
            if entry.get(name) is None:
                status = STRINGS[language]["not_computed"]
            elif passed is None:
                status = STRINGS[language]["no_target"]
            else:
                status = STRINGS[language]["met" if passed else "not_met"]
            assert cells[3].endswith(status), (name, cells)


def _metric_line(lines: list[str], name: str) -> str:
    """The PDF line of a metric: the one naming it, and the line before when the label
    wrapped (the value is on the label's first line: cells are top-aligned)."""
    pattern = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")
    for index, line in enumerate(lines):
        if pattern.search(line):
            return normalise(" ".join(lines[max(0, index - 1) : index + 1]))
    raise AssertionError(f"{name} not in the PDF text")


@pytest.mark.parametrize(("table", "document", "language"), REPORTS)
def test_pdf_text_holds_every_metric_value(
    table: str, document: str, language: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    run: Run = request.getfixturevalue(table)
    text = pdf_text(run.reports[f"{document}.pdf"], tmp_path)
    lines = text.splitlines()
    # The metrics tables come after the verdict, which names failed metrics in its own words.
    heading = normalise(STRINGS[language]["section_privacy"].split("{")[0].strip())
    start = next(i for i, line in enumerate(lines) if heading in normalise(line))
    lines = lines[start:]
    for entry in (run.privacy, run.signal):
        for name, (value, target) in _expected(entry, language).items():
            line = _metric_line(lines, name)
            assert re.search(rf"(?<![\d.,]){re.escape(value)}(?![\d.,])", line), (name, line)
            # pdftotext drops the no-break space between operator and threshold.
            assert target.replace(" ", "") in line.replace(" ", ""), (name, target, line)
    assert normalise(STRINGS[language]["section_conclusion"]) in normalise(text)


# --- the PDF as a file -----------------------------------------------------------------------


@pytest.mark.parametrize(("table", "document", "language"), REPORTS)
def test_pdf_is_valid_and_embeds_its_fonts(
    table: str, document: str, language: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    run: Run = request.getfixturevalue(table)
    path = tmp_path / "report.pdf"
    path.write_bytes(run.reports[f"{document}.pdf"])
    check = subprocess.run([_tool("qpdf"), "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors" in check.stdout
    listing = subprocess.run(
        [_tool("pdffonts"), str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # Header, a dashed rule, then one line per font; "emb" is the 3rd field from the right
    # of the fixed columns (name type encoding emb sub uni object ID).
    fonts = [line.split() for line in listing[2:] if line.strip()]
    assert fonts, listing
    for font in fonts:
        assert font[-5] == "yes", f"font not embedded: {font}"


def expected_pages(variables: int, limit: int) -> int:
    """The page count the layout implies for a one-table report: pages 1 and 2 hold the cover,
    the verdict, the run, the privacy-impact facts and the approval block; then privacy
    metrics, the attacks, utility metrics (with the per-variable table), distributions (one page
    per figure of up to 12 panels), correlations, the projection and the release manifest (with
    the conclusion) each start a page and fit on it, for tables of up to ~15 variables as here."""
    figures = max(1, math.ceil(min(variables, limit) / PANELS_PER_FIGURE))
    return 2 + 3 + figures + 2 + 1


@pytest.mark.parametrize(("table", "document", "language"), REPORTS)
def test_pdf_has_the_pages_its_content_implies(
    table: str, document: str, language: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    run: Run = request.getfixturevalue(table)
    path = tmp_path / "report.pdf"
    path.write_bytes(run.reports[f"{document}.pdf"])
    info = subprocess.run(
        [_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    limit = IRIS_PLOTS if table == "iris" else 12
    expected = expected_pages(run.columns, limit)
    text = pdf_text(run.reports[f"{document}.pdf"], tmp_path)
    # The conclusion may spill onto one more page when the projection figure leaves no room;
    # a failed verdict's items (what failed, what to do) may push the approval onto page 3.
    failed = STRINGS[language]["verdict_fail"].split(":")[1].strip()[:25]
    spill = 2 if failed in " ".join(text.split()) else 1
    assert expected <= pages <= expected + spill, (pages, expected)
    footer = f"{STRINGS[language]['page']} {pages} {STRINGS[language]['page_of']} {pages}"
    assert footer in normalise(text)


# --- plots -----------------------------------------------------------------------------------


def test_reports_embed_one_figure_per_plot(wbcd: Run, iris: Run) -> None:
    for run, limit in ((wbcd, 12), (iris, IRIS_PLOTS)):
        page = parse(run.reports["report.html"].decode())
        assert all(src.startswith("data:image/png;base64,") for _, src in page.images)
        kinds = [figure for figure, _ in page.images]
        shown = min(run.columns, limit)
        assert kinds.count("distribution") == math.ceil(shown / PANELS_PER_FIGURE)
        assert kinds.count("difference") == 1 and kinds.count("projection") == 1
        assert len(kinds) == kinds.count("distribution") + 2 + 1 + 1  # + original, avatars
    iris_text = parse(iris.reports["report.html"].decode()).text
    assert f"{IRIS_PLOTS} of {iris.columns} variables are shown" in iris_text


def test_the_jobs_store_the_plot_data(wbcd: Run) -> None:
    correlations = wbcd.results["correlations"]
    columns = correlations["columns"]
    assert len(columns) == wbcd.columns
    for side in ("original", "avatars"):
        matrix = np.array(correlations[side], dtype=float)
        assert matrix.shape == (len(columns), len(columns))
        assert np.allclose(matrix, matrix.T)
        assert np.allclose(np.diag(matrix), 1.0)
        assert np.nanmin(matrix) >= -1 and np.nanmax(matrix) <= 1
    assert "Pearson" in correlations["method"]
    sample = wbcd.results["projection_sample"]
    assert sample["rows"] == wbcd.rows == sample["sampled_rows"]
    for side in ("original", "avatars"):
        assert len(sample[side]["x"]) == len(sample[side]["y"]) == wbcd.rows
    ratios = wbcd.results["run_metadata"]["explained_variance_ratio"]
    assert sample["explained_variance_ratio"] == ratios


def test_projection_sample_keeps_at_most_2000_seeded_rows() -> None:
    rng = np.random.default_rng(0)
    original = pd.DataFrame(rng.normal(size=(5000, 3)), columns=["Dim. 1", "Dim. 2", "Dim. 3"])
    avatars = original * 0.9
    first = projection_sample(original, avatars, [0.5, 0.3, 0.2], seed=4)
    again = projection_sample(original, avatars, [0.5, 0.3, 0.2], seed=4)
    assert first["original"] == again["original"]  # the seed picks the rows
    for axis in ("x", "y", "z"):  # the same avatars, in an order the seed does not give
        assert sorted(first["avatars"][axis]) == sorted(again["avatars"][axis])
    assert first["rows"] == 5000 and first["sampled_rows"] == PROJECTION_SAMPLE_ROWS
    assert len(first["original"]["x"]) == len(first["avatars"]["y"]) == PROJECTION_SAMPLE_ROWS
    assert len(first["original"]["z"]) == PROJECTION_SAMPLE_ROWS  # a third axis for 3-D plots
    single = projection_sample(original[["Dim. 1"]], avatars[["Dim. 1"]], [1.0], seed=0)
    assert "y" not in single["original"] and "z" not in single["original"]
    assert "classes" not in single and "contributions" not in single


def test_projection_sample_keeps_the_categories_of_its_sampled_rows() -> None:
    """For the class projection: the category of each sampled row on each side, for the
    categorical columns of few categories; the other columns say why they have none."""
    rng = np.random.default_rng(1)
    rows = 3000
    coords = pd.DataFrame(  # the first axis holds the row's position: to find it back
        {"Dim. 1": np.arange(rows, dtype=float), "Dim. 2": rng.normal(size=rows)}
    )
    town = pd.Series(rng.choice(["Orléans", "Nîmes"], rows)).where(rng.random(rows) > 0.3)
    table = pd.DataFrame(
        {
            "town": town,
            "age": rng.integers(18, 90, rows),
            "code": [f"c{i % 40}" for i in range(rows)],
        }
    )
    avatars = table.sample(frac=1.0, random_state=2).reset_index(drop=True)
    sample = projection_sample(
        coords, coords, [0.6, 0.4], seed=3, original_rows=table, avatar_rows=avatars
    )
    assert list(sample["classes"]) == ["town"]
    assert sample["class_refusals"] == {
        "age": {"reason": "numeric"},
        "code": {"reason": "categories", "count": 40},
    }
    labels = sample["classes"]["town"]
    assert len(labels["original"]) == len(labels["avatars"]) == PROJECTION_SAMPLE_ROWS
    assert set(labels["original"]) == {"Orléans", "Nîmes", None}
    # the labels belong to the same sampled rows as the coordinates
    for side, frame in (("original", table), ("avatars", avatars)):
        for value, label in zip(sample[side]["x"], labels[side], strict=True):
            expected = frame["town"].iloc[int(value)]
            assert label == (None if pd.isna(expected) else expected)


def test_projection_sample_does_not_pair_originals_with_their_avatars() -> None:
    """All rows of a small table are kept: the avatars come in a shuffled order, not the
    originals' (which would tell each original's avatar)."""
    coords = pd.DataFrame({"Dim. 1": np.arange(500, dtype=float), "Dim. 2": np.zeros(500)})
    sample = projection_sample(coords, coords, [0.5, 0.5], seed=0)
    assert sample["original"]["x"] == coords["Dim. 1"].tolist()
    assert sorted(sample["avatars"]["x"]) == sample["original"]["x"]
    assert sample["avatars"]["x"] != sample["original"]["x"]
    # The run's seed is stored with its results: a shuffle drawn from it would be undone.
    seeded = np.random.default_rng(0).permutation(500).astype(float).tolist()
    assert sample["avatars"]["x"] != seeded


# --- the HTML in a browser -------------------------------------------------------------------


def screenshot(html: Path, png: Path, profile: Path) -> None:
    """Headless Chromium, without the background services that hang on a closed network."""
    command = [
        _tool("chromium"),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        "--window-size=1280,2000",
        html.as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=False)


def test_html_report_renders_in_chromium(wbcd: Run, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    html.write_bytes(wbcd.reports["report.html"])
    png = tmp_path / "report.png"
    screenshot(html, png, tmp_path / "profile")
    assert png.is_file() and png.stat().st_size > 0, "chromium took no screenshot"
    pixels = mpimg.imread(png)[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    # Not blank: text, tables and figures leave many non-white pixels of many colours.
    ink = (pixels < 0.92).any(axis=2).mean()
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0).shape[0]
    assert ink > 0.03, ink
    assert colours > 200, colours


# --- French ----------------------------------------------------------------------------------


def _english_only() -> list[str]:
    """English strings (up to their first placeholder) that are not French too: none of them
    may appear in a heading of the French report."""
    french = " ".join(STRINGS["fr"].values())
    words = []
    for english in STRINGS["en"].values():
        head = english.split("{")[0].strip()
        if len(head) >= 4 and head not in french:
            words.append(head)
    words += [text.label for text in METRICS["en"].values()]
    return words


def test_french_report_is_french(wbcd: Run, tmp_path: Path) -> None:
    page = parse(wbcd.reports["report_pia.html"].decode())
    assert page.lang == "fr"
    english = _english_only()
    for heading in page.headings:
        assert not [word for word in english if word in heading], heading
    for (_, _, _), cells in page.metrics.items():
        assert not [
            text.label for text in METRICS["en"].values() if cells[0].startswith(text.label)
        ]
    assert "Taux de dissimulation" in page.text
    # Every report opens with the privacy verdict; the PIA report then gives the
    # privacy-impact facts, in French words.
    assert page.h2[:2] == [STRINGS["fr"]["section_verdict"], STRINGS["fr"]["section_pia"]]
    assert "tiers sous contrat" in page.text and "santé" in page.text
    assert "patients" in page.text and "élevé" in page.text  # data subject, sensitivity level
    # Decimal comma: every non-integral metric value is written with one.
    hidden = wbcd.privacy["hidden_rate"]
    cell = page.metrics[("privacy", "wbcd", "hidden_rate")][1]
    if hidden != round(hidden):
        assert "," in cell and "." not in cell
    assert cell == format_number(hidden, "fr")
    text = normalise(pdf_text(wbcd.reports["report_pia.pdf"], tmp_path))
    assert "Taux de dissimulation" in text and "Page 1 sur" in text
    assert "Privacy metrics" not in text and "Hidden rate" not in text


def test_pia_facts_and_approver_are_printed_or_to_be_completed(
    wbcd: Run, iris: Run, tmp_path: Path
) -> None:
    """What was declared is printed; what was not reads "to be completed" (never "unknown"
    or "not specified"), in the approval block with its signature line."""
    french = parse(wbcd.reports["report_pia.html"].decode())
    assert STRINGS["fr"]["section_approval"] in french.h2
    for fact in ("Amélie Durand", "Déléguée à la protection des données", "1 mars 2025"):
        assert fact in french.text, fact
    assert french.text.count(STRINGS["fr"]["to_be_completed"]) >= 1  # the organisation
    english = parse(wbcd.reports["report.html"].decode())
    assert "Amélie Durand" in english.text and "1 March 2025" in english.text
    pdf = normalise(pdf_text(wbcd.reports["report_pia.pdf"], tmp_path))
    assert "Amélie Durand" in pdf and STRINGS["fr"]["signature"] in pdf
    nothing = parse(iris.reports["report.html"].decode())
    assert STRINGS["en"]["section_approval"] in nothing.h2
    todo = nothing.text.count(STRINGS["en"]["to_be_completed"])
    assert todo >= 8, todo  # four PIA facts, four approver fields
    for undeclared in ("not specified", "unknown", "undefined"):
        assert undeclared not in nothing.text.lower()


# --- the pieces, without a server ------------------------------------------------------------


def _table(**values: Any) -> TableResults:
    privacy = {
        "hidden_rate": 97.0,
        "distance_to_closest": 0.15916727301340994,
        "targets": {"hidden_rate": "> 90", "distance_to_closest": "> 0.2"},
        "passed": {"hidden_rate": True, "distance_to_closest": False},
    }
    signal = {
        "hellinger_mean": 0.004,
        "correlation_difference_ratio": 31.0,
        "targets": {"hellinger_mean": "< 0.1", "correlation_difference_ratio": "< 10"},
        "passed": {"hellinger_mean": True, "correlation_difference_ratio": False},
    }
    return TableResults(
        name="patients",
        parameters=AvatarizationParameters(k=10),
        privacy=values.pop("privacy", privacy),
        signal=values.pop("signal", signal),
        **values,
    )


def test_the_verdict_says_what_failed_and_what_to_do_in_the_reports_language() -> None:
    items = [
        {"name": "hidden_rate", "passed": True, "reason": "97.0 (target > 90)", "remedy": None},
        {"name": "distance_to_closest", "passed": False, "reason": "0.159...", "remedy": "x"},
        {"name": "kept_as_is:zip", "passed": False, "reason": "r", "remedy": "m", "column": "zip"},
        {"name": "future_check", "passed": False, "reason": "new reason", "remedy": "new remedy"},
    ]
    table = _table(verdict={"status": "fail", "items": items})
    (english,) = verdicts([table], "en")
    assert not english["passed"]
    assert [item["code"] for item in english["failed"]] == [
        "distance_to_closest",
        "kept_as_is:zip",
        "future_check",
    ]
    metric, kept, unknown = english["failed"]
    assert metric["reason"] == "Distance to closest: 0.159 (target >\u00a00.2)"
    assert metric["remedy"].startswith("raise k")
    assert "zip" in kept["reason"] and kept["remedy"].startswith("drop, pseudonymize or group")
    assert unknown == {"code": "future_check", "reason": "new reason", "remedy": "new remedy",
                       "lang": "en"}  # fmt: skip
    (french,) = verdicts([table], "fr")
    metric, kept, _ = french["failed"]
    assert metric["reason"] == "Distance au plus proche : 0,159 (cible >\u00a00,2)"
    assert metric["remedy"].startswith("augmenter k") and metric["lang"] == "fr"
    assert kept["remedy"].startswith("écarter, pseudonymiser ou regrouper la colonne zip")


def test_the_conclusion_says_only_what_the_figures_support() -> None:
    grouped = {
        "column": "notes", "role": "free_text", "treatment": "keep:grouped",
        "values": 598, "kept_values": 3, "other_share": 0.95,
    }  # fmt: skip
    city = {
        "name": "city", "kind": "categorical",
        "original": {"distinct": 40}, "avatars": {"distinct": 12}, "plot": {},
    }  # fmt: skip
    sex = {"name": "sex", "kind": "categorical", "original": {"distinct": 2},
           "avatars": {"distinct": 2}, "plot": {}}  # fmt: skip
    lossy = _table(run_metadata={"identifying_columns": [grouped]}, comparisons=[city, sex])
    for language in ("en", "fr"):
        t = STRINGS[language]
        text = " ".join(conclusion([lossy], language))
        kept_claim = t["hellinger_kept"].split(":")[0]
        assert kept_claim not in text  # not "the distribution of each variable is kept"
        assert "notes" in text and "598" in text and "city" in text and "40" in text
        assert "sex" not in text  # kept its modalities
        assert t["marginals_sentence"] in text
        assert t["correlation_meaning"] in text  # the correlation target is missed
    faithful = _table(
        comparisons=[sex],
        signal={
            "hellinger_mean": 0.004,
            "correlation_difference_ratio": 3.0,
            "targets": {"hellinger_mean": "< 0.1", "correlation_difference_ratio": "< 10"},
            "passed": {"hellinger_mean": True, "correlation_difference_ratio": True},
        },
    )
    text = " ".join(conclusion([faithful], "en"))
    assert STRINGS["en"]["hellinger_kept"].split(":")[0] in text
    assert STRINGS["en"]["correlation_meaning"] not in text
    assert "(target: below 10%)" in text
    failed = _table(verdict={"status": "fail", "items": []}, comparisons=[sex])
    text = " ".join(conclusion([failed], "en"))
    assert "The privacy verdict fails for table patients" in text
    assert STRINGS["en"]["overall_all"] not in text


def test_the_conclusion_quotes_the_tables_own_correlation_target() -> None:
    noisy = _table(
        signal={
            "hellinger_mean": 0.002,
            "correlation_difference_ratio": 20.41,
            "targets": {"hellinger_mean": "< 0.1", "correlation_difference_ratio": "< 22.53"},
            "passed": {"hellinger_mean": True, "correlation_difference_ratio": True},
        }
    )
    assert "20.41% (target: below 22.53%)" in " ".join(conclusion([noisy], "en"))
    assert "20,41 % (cible : moins de 22,53 %)" in " ".join(conclusion([noisy], "fr"))


@pytest.mark.parametrize(
    ("value", "english", "french"),
    [
        (97.5438, "97.54", "97,54"),
        (100.0, "100", "100"),
        (3.0, "3", "3"),
        (0.13953, "0.140", "0,140"),
        (0.0137401, "0.0137", "0,0137"),
        (-0.0004, "-0.000400", "-0,000400"),
        (0.0, "0", "0"),
        (123456.789, "123,456.79", "123\u00a0456,79"),
        (None, "—", "—"),
        (float("nan"), "—", "—"),
    ],
)
def test_numbers_are_formatted_per_language(value: float | None, english: str, french: str) -> None:
    assert format_number(value, "en") == english
    assert format_number(value, "fr") == french


def test_targets_keep_their_round_thresholds() -> None:
    assert format_target("> 0.2", "en") == "> 0.2".replace(" ", "\u00a0")
    assert format_target("> 0.2", "fr") == ">\u00a00,2"
    assert format_target("< 10", "fr") == "<\u00a010"
    assert format_target(None, "en") == "—" and format_target("", "fr") == "—"


def test_every_string_exists_in_both_languages() -> None:
    from avatar_server.report.translations import CHOICES, MONTHS

    for table in (STRINGS, METRICS, CHOICES):
        assert set(table) == {"en", "fr"}
        assert set(table["en"]) == set(table["fr"])
    assert set(MONTHS) == {"en", "fr"} and len(MONTHS["en"]) == len(MONTHS["fr"]) == 12
    # Every metric the engine computes has a label and a meaning.
    from avatar_server.engine.privacy import TARGETS

    assert set(TARGETS) <= set(METRICS["en"])
    assert {"hellinger_mean", "hellinger_std", "correlation_difference_ratio"} <= set(METRICS["en"])


def test_associations_per_pair_of_variables() -> None:
    from avatar_server.engine.signal import associations

    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    group = np.where(x > 0, "high", "low")
    frame = pd.DataFrame(
        {"x": x, "minus_x": -2 * x, "group": group, "copy": group, "noise": rng.normal(size=400)}
    )
    constant = frame.assign(noise=1.0)
    result = associations(frame, constant)
    assert result["columns"] == list(frame.columns)
    original = np.array(result["original"], dtype=float)
    assert original[0, 1] == pytest.approx(-1.0)  # signed Pearson
    assert original[2, 3] == pytest.approx(1.0)  # Cramér's V of a copy
    assert 0.7 < original[0, 2] <= 1.0  # η: x splits cleanly by group
    assert abs(original[0, 4]) < 0.2
    assert np.allclose(np.diag(original), 1.0)
    avatars = result["avatars"]
    assert avatars[4][4] is None and avatars[0][4] is None  # a constant column: undefined
    sampled = associations(frame, frame, max_rows=100, seed=1)
    assert sampled["sampled_rows"] == {"original": 100, "avatars": 100}
    assert sampled == associations(frame, frame, max_rows=100, seed=1)
