"""The report's section of a series table, from results computed for real on the sensors: the
persons (sensors_vanilla) avatarized with their series (sensors_timeseries1) by the engine, the
series' signal metrics and plot data from ``engine.series_metrics`` (each side aligned by the
engine), the privacy of the persons joined with their series' features. The section renders in
English and French, in HTML and PDF, beside its parent's; the series table gets no projection,
correlation or distribution section, and its verdict counts as any table's."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.db.models import Job, JobStatus
from avatar_server.engine import avatarize, privacy_metrics, signal_metrics
from avatar_server.engine.linked import SeriesInput, TableInput, avatarize_group
from avatar_server.engine.results import to_official_dicts
from avatar_server.engine.series import SeriesModel, align, series_features
from avatar_server.engine.series_alignment import Alignment
from avatar_server.engine.series_metrics import (
    SeriesSide,
    normalized_series_plot,
    raw_series_plot,
    series_signal_metrics,
)
from avatar_server.engine.series_settings import SeriesSettings
from avatar_server.jobs.results import ResultWriter
from avatar_server.jobs.tables import PreparedTable
from avatar_server.jobs.verdict import table_verdict
from avatar_server.report import ReportData, SeriesResults, TableResults, render_html, render_pdf
from avatar_server.report.builder import SERIES_METRICS, conclusion
from avatar_server.report.formatting import format_number
from avatar_server.report.translations import CHOICES, METRICS, STRINGS
from avatar_server.runtime import Runtime
from avatar_server.settings import Settings
from avatar_yaml import (
    AvatarizationParameters,
    JobKind,
    ReportFormat,
    ReportLanguage,
    ReportType,
)
from avatars import ApiClient
from tests.server import ServerProcess, wait_done
from tests.test_report import normalise, parse, pdf_text
from tests.test_series_declaration import sensors_runner

PERSONS, SERIES = "vanilla", "sensors"
SETTINGS = SeriesSettings(projection="fpca", nf=4, method="specified", nb_points=20)


def _side(alignment: Alignment, data: pd.DataFrame, persons: np.ndarray[Any, Any]) -> SeriesSide:
    """One side's series as the metrics take them: the aligned curves, and the raw points
    with their time rescaled to [0, 1] within their own series."""
    times = alignment.time.to_numbers(data["t"])
    duration = alignment.duration[persons]
    positions = np.where(duration > 0, (times - alignment.first[persons]) / duration, 0.0)
    return SeriesSide(
        grid=np.linspace(0.0, 1.0, alignment.grid),
        curves=alignment.curves,
        persons=persons.astype(np.intp),
        times=times,
        positions=positions,
        values={v: data[v].to_numpy(dtype=np.float64) for v in alignment.curves},
    )


def _nulls(value: float) -> float | None:
    return None if math.isnan(value) else value


@pytest.fixture(scope="module")
def sensors_report(shared_data: Path) -> ReportData:
    vanilla = pd.read_csv(shared_data / "sensors_vanilla.csv")
    series = pd.read_csv(shared_data / "sensors_timeseries1.csv")
    own = vanilla.drop(columns="id")
    values = series[["t", "sensor1", "sensor2"]]
    person_rows = pd.Index(vanilla["id"]).get_indexer(series["id"])
    results = avatarize_group(
        [TableInput(PERSONS, own, options={"k": 5})],
        [],
        series=[SeriesInput(SERIES, values, "t", PERSONS, person_rows, SETTINGS)],
        seed=3,
    )
    persons_avatars = results[PERSONS].result.unshuffled
    made = results[SERIES]
    made_rows, made_persons = made.result.unshuffled, made.parent_rows[PERSONS]
    # The originals' model; the avatar series put through its grid and projection.
    model = SeriesModel.fit(SERIES, values, "t", person_rows, len(vanilla), SETTINGS)
    made_alignment = align(made_rows, "t", made_persons, len(vanilla), SETTINGS)
    original_side = _side(model.alignment, values, person_rows)
    avatar_side = _side(made_alignment, made_rows, made_persons)
    signal = [
        {
            "pointwise_hellinger_mean": _nulls(m.pointwise_hellinger_mean),
            "pointwise_hellinger_std": _nulls(m.pointwise_hellinger_std),
            "density_hellinger_mean": _nulls(m.density_hellinger_mean),
            "density_hellinger_std": _nulls(m.density_hellinger_std),
            "floor": {name: _nulls(value) for name, value in m.floor.items()},
            "metadata": {
                "table_name": SERIES,
                "computation_type": "time_series",
                "reference": m.variable,
            },
        }
        for m in series_signal_metrics(original_side, avatar_side)
    ]
    joined = pd.concat([own, model.features()], axis=1)
    joined_avatars = pd.concat(
        [persons_avatars, series_features(made_alignment, model.projection)], axis=1
    )
    privacy = to_official_dicts(
        privacy_metrics(joined, joined_avatars),
        SERIES,
        computation_type="person_and_series",
        reference=PERSONS,
    )[0]
    empty = PreparedTable(name=SERIES, data=pd.DataFrame())
    parent_privacy = to_official_dicts(privacy_metrics(own, persons_avatars), PERSONS)[0]
    parent = TableResults(
        name=PERSONS,
        parameters=AvatarizationParameters(k=5),
        privacy=parent_privacy,
        signal=to_official_dicts(signal_metrics(own, persons_avatars), PERSONS)[0],
        run_metadata={"rows": len(own), "columns": list(own.columns), "seed": 3},
        verdict=table_verdict([parent_privacy], replace(empty, name=PERSONS), pd.DataFrame(), None),
    )
    metadata = {
        "table_name": SERIES,
        "seed": 3,
        "rows": len(series),
        "avatar_rows": len(made_rows),
        "persons": len(vanilla),
        "columns": ["t", "sensor1", "sensor2"],
        "time_column": "t",
        "time_series": {
            "projection": "fpca",
            "nf": 4,
            "nb_points": 20,
            "method": "specified",
            "unalignment": "uniform",
            "block_weight": SETTINGS.weight,
        },
    }
    return ReportData(
        run_name="sensors",
        tables=[parent],
        series=[
            SeriesResults(
                name=SERIES,
                parent=PERSONS,
                privacy=privacy,
                signal=signal,
                run_metadata=metadata,
                verdict=table_verdict([privacy], empty, pd.DataFrame(), None),
                raw_plot=raw_series_plot(original_side, avatar_side),
                normalized_plot=normalized_series_plot(original_side, avatar_side),
            )
        ],
    )


SIGNAL_ROW = re.compile(
    r'<tr data-variable="(?P<variable>[^"]+)" data-metric="(?P<metric>[^"]+)"[^>]*>(?P<cells>.*?)'
    r"</tr>",
    re.S,
)


def series_signal_cells(html: str) -> dict[tuple[str, str], list[str]]:
    """The cells of each (variable, metric) row of the series utility table."""
    found = {}
    for row in SIGNAL_ROW.finditer(html):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row["cells"], re.S)
        found[(row["variable"], row["metric"])] = [
            normalise(re.sub(r"<[^>]+>", " ", cell)) for cell in cells
        ]
    return found


def test_the_engine_results_are_real(sensors_report: ReportData) -> None:
    """What the section prints is measured: every distance and floor strictly between 0 and 1,
    the persons with their series well hidden, eight series of each side to draw."""
    (series,) = sensors_report.series
    assert [entry["metadata"]["reference"] for entry in series.signal] == ["sensor1", "sensor2"]
    for entry in series.signal:
        for name in SERIES_METRICS:
            assert 0.0 < entry[name] < 1.0 and 0.0 < entry["floor"][name] < 1.0
    assert series.privacy["hidden_rate"] > 50.0
    assert series.raw_plot is not None and len(series.raw_plot["original"]) == 8


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_series_section_renders_in_both_languages(
    sensors_report: ReportData, language: str, tmp_path: Path
) -> None:
    t, choices, texts = STRINGS[language], CHOICES[language], METRICS[language]
    (series,) = sensors_report.series
    html = render_html(replace(sensors_report, language=language))
    page = parse(html)
    heading = t["section_series"].format(table=SERIES, parent=PERSONS)
    # After its parent's sections, before the conclusion; none of a flat table's own.
    assert (
        page.h2.index(heading) == page.h2.index(t["section_projection"].format(table=PERSONS)) + 1
    )
    assert page.h2.index(heading) == len(page.h2) - 2
    for section in ("privacy", "signal", "distributions", "correlations", "projection"):
        assert t[f"section_{section}"].format(table=SERIES) not in page.h2
    text = page.text
    # The settings in effect and what the table holds.
    for words in (
        t["series_fpca"].format(nf=4),
        t["series_grid_specified"].format(points=20),
        choices["unalignment.uniform"],
        t["series_rows_value"].format(
            rows=format_number(6000, language),
            avatar_rows=format_number(series.run_metadata["avatar_rows"], language),  # type: ignore[index]
            persons=format_number(200, language),
        ),
    ):
        assert normalise(words) in text
    assert normalise(t["series_of"].format(table=SERIES, parent=PERSONS)) in text
    # Each variable's four distances beside their floors, as the signal list holds them.
    cells = series_signal_cells(html)
    assert len(cells) == 8
    for entry in series.signal:
        variable = entry["metadata"]["reference"]
        for name in SERIES_METRICS:
            label, value, floor = cells[(variable, name)][1:]
            assert label.startswith(normalise(texts[name].label))
            assert value == normalise(format_number(entry[name], language, decimals=3))
            assert floor == normalise(format_number(entry["floor"][name], language, decimals=3))
    assert normalise(t["series_floor_note"]) in text
    # The person-and-series privacy, metric by metric, with its targets.
    privacy = {m: v for (kind, table, m), v in page.metrics.items() if kind == "series-privacy"}
    assert set(privacy) == set(series.privacy["targets"])
    assert privacy["hidden_rate"][1] == normalise(
        format_number(series.privacy["hidden_rate"], language)
    )
    assert normalise(t["series_privacy_intro"].format(parent=PERSONS)) in text
    # The two figures, once each, and the series' verdict beside its parent's.
    kinds = [figure for figure, _ in page.images]
    assert kinds.count("series-raw") == 1 and kinds.count("series-normalized") == 1
    assert all(src.startswith("data:image/png;base64,") for _, src in page.images)
    verdict = t["verdict_pass" if series.verdict["status"] == "pass" else "verdict_fail"]  # type: ignore[index]
    assert text.count(normalise(verdict.format(table=SERIES))) == 2  # top, and in the section
    # The conclusion reads the series after its parent, with each distance and floor.
    value = format_number(series.signal[0]["pointwise_hellinger_mean"], language, decimals=3)
    floor = format_number(
        series.signal[0]["floor"]["pointwise_hellinger_mean"], language, decimals=3
    )
    assert normalise(t["series_conclusion_variable"].format(
        variable="sensor1", value=value, floor=floor
    )) in text  # fmt: skip
    assert normalise(t["series_conclusion_meaning"]) in text
    other = "fr" if language == "en" else "en"
    assert STRINGS[other]["series_floor_note"] not in text
    pdf = render_pdf(html)
    words = normalise(pdf_text(pdf, tmp_path))
    assert normalise(heading) in words
    assert normalise(t["series_floor"]) in words
    assert normalise(t["series_normalized_title"].format(table=SERIES)) in words


def test_a_failed_series_verdict_is_reported_like_any_table(sensors_report: ReportData) -> None:
    """A series table whose persons are found again fails like any table: its item worded in
    the report's language at the top, the conclusion saying the avatars must not be shared."""
    (series,) = sensors_report.series
    exposed = dict(series.privacy)
    exposed["hidden_rate"] = 42.0
    exposed["passed"] = dict(series.privacy["passed"]) | {"hidden_rate": False}
    verdict = table_verdict([exposed], PreparedTable(name=SERIES, data=pd.DataFrame()),
                            pd.DataFrame(), None)  # fmt: skip
    assert verdict["status"] == "fail"
    failed = replace(sensors_report, series=[replace(series, privacy=exposed, verdict=verdict)])
    for language in ("en", "fr"):
        t = STRINGS[language]
        text = parse(render_html(replace(failed, language=language))).text
        assert normalise(t["verdict_fail"].format(table=SERIES)) in text
        assert normalise(t["verdict_failed_conclusion"].format(table=SERIES)) in text
        assert format_number(42.0, language) in text
        paragraphs = conclusion(failed.tables, language, failed.series)
        assert t["overall_all"] not in paragraphs
        assert t["advice_privacy"] in paragraphs


def test_missing_plot_data_is_said_not_fatal(sensors_report: ReportData) -> None:
    (series,) = sensors_report.series
    older = replace(sensors_report, series=[replace(series, raw_plot=None, normalized_plot=None)])
    page, full = parse(render_html(older)), parse(render_html(sensors_report))
    assert not [f for f, _ in page.images if f.startswith("series")]
    missing = STRINGS["en"]["missing_data"]
    assert page.text.count(missing) == full.text.count(missing) + 2


def test_a_series_table_needs_its_parent_in_the_report(sensors_report: ReportData) -> None:
    with pytest.raises(ValueError, match=r"series tables \['sensors'\].*persons' table"):
        render_html(replace(sensors_report, tables=[]))


class CountingStore:
    def __init__(self) -> None:
        self.png: dict[str, bytes] = {}
        self.puts = 0

    def get(self, key: str) -> bytes | None:
        return self.png.get(key)

    def put(self, key: str, png: bytes) -> None:
        self.puts += 1
        self.png[key] = png


def test_the_series_figures_are_drawn_once_per_run(sensors_report: ReportData) -> None:
    """The basic report and the privacy-impact document share the series figures through the
    run's figure store, as they share every other figure."""
    store = CountingStore()
    without = replace(sensors_report, series=[])
    render_html(without, figures=store)
    flat = store.puts
    render_html(sensors_report, figures=store)
    assert store.puts == flat + 2
    render_html(replace(sensors_report, report_type="pia"), figures=store)
    assert store.puts == flat + 2


# --- the report job ---------------------------------------------------------------------------


def _stored_metrics_job(
    runtime: Runtime, standard: Job, kind: JobKind, results: dict[tuple[str, str], Any]
) -> str:
    """A finished metrics job of the run, its results written as the metrics jobs write them
    (``(result kind, table)`` -> JSON): the series metrics jobs are another part's, so the
    report job is checked on what they are specified to write."""
    name = uuid.uuid4().hex
    writer = ResultWriter(runtime.storage, standard.user_id, name, 1)
    for (result_kind, table), payload in results.items():
        writer.write_json(result_kind, table, f"{table}.{result_kind}.json", payload)
    with runtime.sessions() as db, db.begin():
        db.add(
            Job(
                name=name,
                user_id=standard.user_id,
                set_name=standard.set_name,
                display_name=standard.display_name,
                parameters_name=str(kind),
                kind=str(kind),
                status=JobStatus.DONE,
                ready=True,
                depends_on=[standard.name],
                attempts=1,
                results=writer.files,
            )
        )
    return name


SETTINGS_TABLE = re.compile(
    r'<table class="facts series-settings" data-table="(?P<table>[^"]+)">(?P<rows>.*?)</table>',
    re.S,
)


def series_settings(html: str) -> dict[str, dict[str, str]]:
    """Each series table's settings as the report prints them, label -> value."""
    return {
        found["table"]: {
            normalise(unescape(label)): normalise(unescape(value))
            for label, value in re.findall(r"<th>(.*?)</th><td>(.*?)</td>", found["rows"], re.S)
        }
        for found in SETTINGS_TABLE.finditer(html)
    }


def test_the_report_job_shows_each_series_table_with_its_persons(
    user: ApiClient, server: ServerProcess, shared_data: Path, sensors_report: ReportData
) -> None:
    """Through the real server: the avatarization of the sensors (two series tables of the
    persons of vanilla) beside an unlinked iris table, metrics results as the metrics jobs
    write them, then the report jobs, accepted for a series run: the basic report shows each
    series table after vanilla with its settings in effect, its own metrics and both figures;
    the privacy-impact documents are one per table of people, vanilla's with its series,
    iris's without, and none for a series table."""
    runner = sensors_runner(
        user,
        shared_data / "sensors_vanilla.csv",
        shared_data / "sensors_timeseries1.csv",
        shared_data / "sensors_timeseries2.csv",
    )
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=5)
    runner.config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.PDF)
    runner.config.add_report(ReportType.PIA, ReportLanguage.FR, ReportFormat.PDF)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    assert str(wait_done(user, runner.jobs["standard"]).status) == "done"
    runtime = Runtime(Settings(home=server.home))
    with runtime.sessions() as db:
        standard = db.get(Job, runner.jobs["standard"])
        assert standard is not None
        db.expunge(standard)
    (series,) = sensors_report.series
    (parent,) = sensors_report.tables
    iris = pd.read_csv(shared_data / "iris.csv")
    iris_avatars = avatarize(iris, k=5, seed=1).unshuffled
    privacy: dict[tuple[str, str], Any] = {
        ("privacy_metrics", PERSONS): [parent.privacy],
        ("privacy_verdict", PERSONS): parent.verdict,
        ("privacy_metrics", "iris"): to_official_dicts(privacy_metrics(iris, iris_avatars), "iris"),
    }
    signal: dict[tuple[str, str], Any] = {
        ("signal_metrics", PERSONS): [parent.signal],
        ("signal_metrics", "iris"): to_official_dicts(signal_metrics(iris, iris_avatars), "iris"),
    }
    for name in ("sensor1", "sensor2"):
        privacy[("privacy_metrics", name)] = [
            series.privacy | {"metadata": series.privacy["metadata"] | {"table_name": name}}
        ]
        privacy[("privacy_verdict", name)] = series.verdict
        signal[("signal_metrics", name)] = series.signal
        signal[("raw_series", name)] = series.raw_plot
        signal[("normalized_series", name)] = series.normalized_plot
    depends_on = [
        _stored_metrics_job(runtime, standard, JobKind.PRIVACY_METRICS, privacy),
        _stored_metrics_job(runtime, standard, JobKind.SIGNAL_METRICS, signal),
    ]
    set_name = str(standard.set_name)
    documents = {}
    for document in ("report", "report_pia"):
        job = user.jobs.create_job(set_name, document, depends_on)
        assert str(wait_done(user, job.name).status) == "done", wait_done(user, job.name).error
        for entry in user.results.get_results(job.name).files:
            if entry.kind == "release_manifest":  # tests/test_release_manifest.py reads it
                continue
            documents[entry.name] = user.results.read_bytes(job.name, entry.name)
    assert set(documents) == {
        f"{stem}.{fmt}"
        for stem in ("report", "report_pia.vanilla", "report_pia.iris")
        for fmt in ("html", "pdf", *(("docx",) if stem.startswith("report_pia") else ()))
    }
    for stem, language in (("report", "en"), ("report_pia.vanilla", "fr")):
        html = documents[f"{stem}.html"].decode()
        t = STRINGS[language]
        page = parse(html)
        for name in ("sensor1", "sensor2"):
            assert t["section_series"].format(table=name, parent=PERSONS) in page.h2
            assert t["section_projection"].format(table=name) not in page.h2
            assert normalise(t["verdict_pass"].format(table=name)) in page.text
        assert page.h2.count(t["section_projection"].format(table=PERSONS)) == 1
        kinds = [figure for figure, _ in page.images]
        assert kinds.count("series-raw") == 2 and kinds.count("series-normalized") == 2
        # The settings in effect, from the avatarization's metadata: sensor1 flattened on the
        # mean length, sensor2 on 40 specified points, 5 fpca components, block weight 2.
        settings = series_settings(html)
        rows = normalise(
            t["series_rows_value"].format(
                rows=format_number(10000, language),
                avatar_rows=format_number(10000, language),
                persons=format_number(200, language),
            )
        )
        assert settings["sensor2"] == {
            t["series_parent"]: PERSONS,
            t["series_time"]: "t",
            t["series_values"]: "sensor3",
            t["series_rows"]: rows,
            t["series_projection"]: normalise(t["series_fpca"].format(nf=5)),
            t["series_grid"]: normalise(t["series_grid_specified"].format(points=40)),
            t["series_unalignment"]: normalise(CHOICES[language]["unalignment.uniform"]),
            normalise(t["series_block_weight"]): "2",
        }
        assert settings["sensor1"][t["series_projection"]] == normalise(
            CHOICES[language]["projection.flatten"]
        )
        assert settings["sensor1"][t["series_grid"]] == normalise(
            CHOICES[language]["alignment.mean"]
        )
        assert len(SIGNAL_ROW.findall(html)) == 2 * 8  # two variables, four metrics, twice
    assert "iris" in parse(documents["report.html"].decode()).text
    iris_pia = documents["report_pia.iris.html"].decode()
    assert "data-parent" not in iris_pia and "sensor1" not in iris_pia
    assert '<tr data-table="iris">' in iris_pia  # its own manifest rows, no other table's
