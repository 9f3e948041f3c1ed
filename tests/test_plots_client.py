"""The client's view of a finished run: plots drawn from stored plot data, the reports, the
metrics summary and what notebooks display. One wbcd run (module scope) serves every test."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from avatar_yaml import JobKind
from avatars import JobList, Manager, PlotKind, ResultFiles, ResultSummaries, Runner
from avatars.display import html_table
from avatars.plots import SERIES_KINDS, enable_notebook_display

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def manager(module_manager: Manager) -> Manager:
    return module_manager


@pytest.fixture(scope="module")
def wbcd_run(manager: Manager, shared_data: Path) -> Runner:
    runner = manager.create_runner("plots_wbcd", seed=0)
    runner.show_progress = False
    runner.add_table("wbcd", shared_data / "wbcd.csv")
    runner.set_parameters("wbcd", k=15)
    runner.run()
    return runner


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a notebook each plot also lands as a page in the current folder: a test's own."""
    monkeypatch.chdir(tmp_path)


# -- render_plot ------------------------------------------------------------------------------

WITHOUT_OPTIONS = [
    kind
    for kind in PlotKind
    if kind not in SERIES_KINDS and kind is not PlotKind.CLASS_PROJECTION_2D
]
"""The kinds drawn with no option (wbcd has no categorical column to colour a class projection
by: that kind is tested in tests/test_plot_kinds.py)."""


@pytest.mark.parametrize("kind", WITHOUT_OPTIONS)
def test_render_plot_draws_each_kind_and_writes_a_png(
    wbcd_run: Runner, kind: PlotKind, tmp_path: Path
) -> None:
    path = tmp_path / f"{kind.value}.png"
    figure = wbcd_run.render_plot("wbcd", kind, path=path)
    assert isinstance(figure, Figure)
    assert [ax for ax in figure.axes if ax.get_visible() and (ax.has_data() or ax.tables)]
    png = path.read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 5_000


def test_plot_kinds_are_those_render_plot_draws(wbcd_run: Runner) -> None:
    kinds = wbcd_run.plot_kinds("wbcd")
    assert kinds == [kind for kind in PlotKind if kind not in SERIES_KINDS]
    for kind in WITHOUT_OPTIONS:
        wbcd_run.render_plot("wbcd", kind)
    with pytest.raises(ValueError, match="'Class' is numeric; colour by a categorical variable"):
        wbcd_run.render_plot("wbcd", PlotKind.CLASS_PROJECTION_2D, variable="Class")


def test_render_plot_options(wbcd_run: Runner, tmp_path: Path) -> None:
    avatars_side = wbcd_run.render_plot("wbcd", "correlation", side="avatars")
    assert isinstance(avatars_side, Figure)
    french = wbcd_run.render_plot("wbcd", PlotKind.PROJECTION_2D, language="fr")
    assert isinstance(french, Figure)
    wbcd_run.render_plot("wbcd", "distribution", path=tmp_path)  # a folder: a name is chosen
    assert (tmp_path / "wbcd.distribution.png").read_bytes().startswith(PNG_MAGIC)


def test_render_plot_refuses_clearly(wbcd_run: Runner, manager: Manager, shared_data: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown table 'nope' \(tables: wbcd\)"):
        wbcd_run.render_plot("nope", PlotKind.DISTRIBUTION)
    with pytest.raises(ValueError, match=r"allowed: distribution, correlation, .*2d_projection"):
        wbcd_run.render_plot("wbcd", "pie")
    with pytest.raises(ValueError, match="allowed: original, avatars"):
        wbcd_run.render_plot("wbcd", "correlation", side="both")
    with pytest.raises(ValueError, match="correlation plot only"):
        wbcd_run.render_plot("wbcd", "distribution", side="avatars")
    with pytest.raises(ValueError, match="language: unknown value 'de'"):
        wbcd_run.render_plot("wbcd", "distribution", language="de")

    only_avatars = manager.create_runner("plots_standard_only", seed=0)
    only_avatars.show_progress = False
    only_avatars.add_table("iris", shared_data / "iris.csv")
    only_avatars.set_parameters("iris", k=5)
    only_avatars.run(jobs_to_run=[JobKind.STANDARD])
    missing = "plots come from the signal metrics, and this runner's last run did not include"
    with pytest.raises(ValueError, match=missing):
        only_avatars.render_plot("iris", PlotKind.CORRELATION)
    assert isinstance(only_avatars.render_plot("iris", PlotKind.PROJECTION_2D), Figure)


def test_a_runner_reloaded_by_name_plots_without_the_originals(
    wbcd_run: Runner, manager: Manager, tmp_path: Path
) -> None:
    wbcd_run.shuffled("wbcd")  # the run is over
    jobs_before = {job.name for job in manager.auth_client.jobs.get_jobs(limit=1000).jobs}
    reloaded = manager.create_runner_from_name("plots_wbcd")
    reloaded.show_progress = False
    for kind in WITHOUT_OPTIONS:
        path = tmp_path / f"{kind.value}.png"
        assert isinstance(reloaded.render_plot("wbcd", kind, path=path), Figure)
        assert path.read_bytes().startswith(PNG_MAGIC)
    jobs_after = {job.name for job in manager.auth_client.jobs.get_jobs(limit=1000).jobs}
    assert jobs_after == jobs_before  # nothing ran again


# -- download_report --------------------------------------------------------------------------


def test_download_report_follows_the_suffix(
    wbcd_run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = wbcd_run.download_report(tmp_path / "report.pdf")
    assert isinstance(pdf, Path) and pdf.read_bytes().startswith(b"%PDF")
    page = wbcd_run.download_report(tmp_path / "report.html")
    assert isinstance(page, Path)
    text = page.read_text(encoding="utf-8")
    hidden_rate = wbcd_run.privacy_metrics("wbcd")[0]["hidden_rate"]
    assert "hidden rate" in text.lower() or f"{hidden_rate:.1f}" in text

    both = wbcd_run.download_report(tmp_path / "both")  # no suffix: a folder, created
    assert sorted(p.name for p in both) == ["report.html", "report.pdf"]  # type: ignore[union-attr]
    monkeypatch.chdir(tmp_path / "both")
    here = wbcd_run.download_report()
    assert sorted(p.name for p in here) == ["report.html", "report.pdf"]
    assert all(p.parent == tmp_path / "both" for p in here)

    with pytest.raises(ValueError, match=r"use \.pdf, \.html or \.docx"):
        wbcd_run.download_report(tmp_path / "report.odt")
    with pytest.raises(ValueError, match=r"the basic report has no DOCX"):
        wbcd_run.download_report(tmp_path / "report.docx")
    with pytest.raises(ValueError, match="report_type: unknown value 'full'"):
        wbcd_run.download_report(tmp_path / "report.pdf", report_type="full")


# -- metrics_summary and notebook views -------------------------------------------------------


def test_metrics_summary_has_a_row_per_table_with_values_targets_and_verdicts(
    wbcd_run: Runner,
) -> None:
    summary = wbcd_run.metrics_summary()
    assert isinstance(summary, pd.DataFrame)
    assert list(summary.index) == ["wbcd"]
    assert list(summary.columns.get_level_values(0).unique()) == ["value", "target", "passed"]
    privacy = wbcd_run.privacy_metrics("wbcd")[0]
    signal = wbcd_run.signal_metrics("wbcd")[0]
    values = summary["value"].loc["wbcd"]
    assert values["hidden_rate"] == pytest.approx(privacy["hidden_rate"])
    assert values["hellinger_mean"] == pytest.approx(signal["hellinger_mean"])
    assert summary["target", "hidden_rate"].loc["wbcd"] == privacy["targets"]["hidden_rate"]
    assert summary["passed", "hidden_rate"].loc["wbcd"] == privacy["passed"]["hidden_rate"]
    expected = {
        name
        for entry in (privacy, signal)
        for name in entry
        if name not in {"metadata", "targets", "passed", "details"}
    }
    assert set(summary["value"].columns) == expected


def test_notebook_views_show_the_jobs_and_files(wbcd_run: Runner, manager: Manager) -> None:
    for document in ("report", "report_pia"):  # the last jobs: once they are done, all are
        wbcd_run.result_files(document)
    page = wbcd_run._repr_html_()
    assert "plots_wbcd" in page and "wbcd" in page and "k=15" in page
    for document in ("standard", "signal_metrics", "privacy_metrics", "report"):
        assert f"<td>{document}</td>" in page
    statuses = wbcd_run.statuses()
    assert set(statuses.values()) == {"done"}
    assert page.count(">done</span>") == len(statuses)

    jobs = wbcd_run.get_jobs()
    assert isinstance(jobs, JobList) and list(jobs) == list(statuses)
    assert ">done</span>" in jobs._repr_html_()
    last = manager.get_last_jobs(3)
    assert isinstance(last, dict) and isinstance(last, JobList) and len(last) == 3
    assert "<table>" in last._repr_html_()
    results = manager.get_last_results(2)
    assert isinstance(results, list) and isinstance(results, ResultSummaries)
    assert "<table>" in results._repr_html_()
    files = wbcd_run.result_files(JobKind.STANDARD)
    assert isinstance(files, ResultFiles)
    assert "wbcd.shuffled.csv" in files._repr_html_()
    assert wbcd_run.get_job("standard").status == "done"


def test_html_views_escape_what_the_server_sends() -> None:
    page = html_table(("name",), [["<script>alert(1)</script>"]])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert JobList()._repr_html_() == "<em>no jobs</em>"


def test_figures_display_as_images_in_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare Figure has only a text repr in IPython until a PNG formatter is registered for
    the type; enable_notebook_display registers one (IPython is faked: it is not a dependency)."""
    registered: dict[type, object] = {}

    class Formatter:
        def lookup_by_type(self, kind: type) -> object:
            return registered[kind]

        def for_type(self, kind: type, function: object) -> None:
            registered[kind] = function

    shell = types.SimpleNamespace(
        display_formatter=types.SimpleNamespace(formatters={"image/png": Formatter()})
    )
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    enable_notebook_display()
    assert Figure in registered
    first = registered[Figure]
    enable_notebook_display()  # idempotent: an existing formatter (e.g. the inline backend) wins
    assert registered[Figure] is first
    monkeypatch.setattr(fake, "get_ipython", lambda: None)
    enable_notebook_display()  # plain Python: nothing to do
