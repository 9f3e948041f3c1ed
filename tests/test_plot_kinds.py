"""Every plot kind of a single table through the real server, on a small messy table (gaps,
accented names and categories in a semicolon-separated latin-1 file, an identifier column left
out): each draws a Figure holding the run's numbers, and each becomes a standalone HTML page
(image inside, no network address)."""

from __future__ import annotations

import base64
import re
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from avatar_yaml import ColumnType
from avatars import Manager, PlotKind, Runner
from avatars.plots import SERIES_KINDS, _check_data

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROWS = 160
TOWNS = ["Orléans", "Besançon", "Nîmes", "Saint-Étienne"]
SINGLE_TABLE_KINDS = [kind for kind in PlotKind if kind not in SERIES_KINDS]


def messy_patients(rows: int = ROWS, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    town = rng.choice(TOWNS, rows, p=[0.4, 0.3, 0.2, 0.1])
    age = np.round(rng.normal(45, 12, rows) + (town == "Nîmes") * 15).astype(float)
    age[rng.random(rows) < 0.12] = np.nan
    smoker = pd.Series(rng.choice(["oui", "non"], rows), dtype=object)
    smoker[rng.random(rows) < 0.08] = None
    return pd.DataFrame(
        {
            "patient_id": [f"PAT-{200000 + i}" for i in rng.permutation(rows)],
            "âge": age,
            "ville": town,
            "fumeur": smoker,
            "revenu": np.round(rng.lognormal(10, 0.4, rows), 2),
            "imc": np.round(rng.normal(25, 4, rows), 1),
            "stade": rng.integers(1, 4, rows),  # coded as numbers, declared a category
            "service": [f"Sce-{i % 16:02d}" for i in range(rows)],  # too many to colour by
        }
    )


@pytest.fixture(scope="module")
def manager(module_manager: Manager) -> Manager:
    return module_manager


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return messy_patients()


@pytest.fixture(scope="module")
def run(manager: Manager, table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    path = tmp_path_factory.mktemp("kinds") / "patients.csv"
    table.to_csv(path, index=False, sep=";", encoding="latin-1")  # as spreadsheets export
    runner = manager.create_runner("plot_kinds", seed=0)
    runner.show_progress = False
    runner.add_table(
        "patients",
        path,
        columns_to_drop=["patient_id"],
        types={"stade": ColumnType.CATEGORY},
    )
    runner.set_parameters("patients", k=5, ncp=4)
    runner.run()
    runner.result_files("report")  # every job of the run is over
    return runner


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a notebook each plot also lands as a page in the current folder: a test's own."""
    monkeypatch.chdir(tmp_path)


def visible_axes(figure: Figure) -> list[Axes]:
    return [ax for ax in figure.axes if ax.get_visible()]


def table_cells(ax: Axes) -> dict[str, list[str]]:
    """A drawn table's rows by their first cell (the header row included)."""
    cells = ax.tables[0].get_celld()
    rows: dict[int, dict[int, str]] = {}
    for (row, column), cell in cells.items():
        rows.setdefault(row, {})[column] = cell.get_text().get_text()
    return {texts[0]: [texts[i] for i in sorted(texts)[1:]] for texts in rows.values()}


def assert_standalone_page(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", text), "the page refers to a network address"
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 1
    png = base64.b64decode(images[0])
    assert png.startswith(PNG_MAGIC) and len(png) > 5_000


@pytest.mark.parametrize("kind", SINGLE_TABLE_KINDS)
def test_each_kind_draws_a_figure_and_a_standalone_page(
    run: Runner, kind: PlotKind, tmp_path: Path
) -> None:
    variable = "ville" if kind is PlotKind.CLASS_PROJECTION_2D else None
    figure = run.render_plot("patients", kind, variable=variable)
    assert isinstance(figure, Figure)
    assert visible_axes(figure)
    stem = f"patients.{kind.value}" + (".ville" if variable else "")
    assert_standalone_page(tmp_path / f"{stem}.html")  # outside a notebook: in the cwd
    assert [p.name for p in tmp_path.iterdir()] == [f"{stem}.html"]


def test_the_kinds_offered_are_every_single_table_kind(run: Runner) -> None:
    assert run.plot_kinds("patients") == SINGLE_TABLE_KINDS
    assert {kind.value for kind in SINGLE_TABLE_KINDS} >= {
        "correlation",
        "correlation_difference",
        "contribution",
        "2d_projection",
        "3d_projection",
        "distribution",
        "aggregate_stats",
        "class_projection_2d",
        "metrics_summary",
    }


def test_contribution_shares_add_up_to_100_per_axis(run: Runner) -> None:
    figure = run.render_plot("patients", PlotKind.CONTRIBUTION)
    ax = visible_axes(figure)[0]
    shares = np.asarray(ax.images[0].get_array())
    assert shares.shape == (7, 4)  # the seven variables left, the four axes of ncp=4
    assert shares.sum(axis=0) == pytest.approx(100.0, abs=1e-3)
    assert (shares >= 0).all()
    variables = [label.get_text() for label in ax.get_yticklabels()]
    assert variables == [
        "âge",
        "ville",
        "fumeur",
        "revenu",
        "imc",
        "stade",
        "service",
    ]  # no patient_id
    axes = [label.get_text() for label in ax.get_xticklabels()]
    assert axes[0].startswith("Dim. 1\n(") and axes[3].startswith("Dim. 4")
    annotations = {text.get_text() for text in ax.texts}
    assert f"{shares[0, 0]:.1f}" in annotations


def test_aggregate_stats_count_what_the_table_holds(run: Runner, table: pd.DataFrame) -> None:
    figure = run.render_plot("patients", PlotKind.AGGREGATE_STATS)
    panels = {ax.get_title(loc="left"): table_cells(ax) for ax in visible_axes(figure)}
    assert list(panels) == ["âge", "ville", "fumeur", "revenu", "imc", "stade", "service"]
    avatars = run.shuffled("patients")
    for name, cells in panels.items():
        assert cells["Statistic"] == ["Original", "Avatars"]
        assert cells["count"] == [str(table[name].count()), str(avatars[name].count())]
        assert cells["missing"] == [str(table[name].isna().sum()), str(avatars[name].isna().sum())]
    age = panels["âge"]
    assert float(age["mean"][0]) == pytest.approx(table["âge"].mean(), rel=1e-3)
    assert float(age["median"][0]) == pytest.approx(table["âge"].median(), rel=1e-3)
    assert float(age["std"][1]) == pytest.approx(avatars["âge"].std(), rel=1e-3)
    for town in TOWNS:
        expected = [str((table["ville"] == town).sum()), str((avatars["ville"] == town).sum())]
        assert panels["ville"][f"rows “{town}”"] == expected
    assert panels["fumeur"]["rows “missing”"][0] == str(table["fumeur"].isna().sum())


def test_class_projection_colours_each_side_by_the_chosen_category(
    run: Runner, table: pd.DataFrame
) -> None:
    figure = run.render_plot("patients", PlotKind.CLASS_PROJECTION_2D, variable="ville")
    original, avatars = visible_axes(figure)
    assert (original.get_title(), avatars.get_title()) == ("Original", "Avatars")
    assert figure.get_suptitle() == "Projection on the first two axes, by ville"
    legend = figure.legends[0]
    assert [text.get_text() for text in legend.get_texts()] == TOWNS  # most frequent first
    for ax, side in ((original, table["ville"]), (avatars, run.shuffled("patients")["ville"])):
        counts = {
            str(collection.get_label()): np.asarray(collection.get_offsets()).shape[0]
            for collection in ax.collections
        }
        assert sum(counts.values()) == ROWS
        assert counts == {town: int((side == town).sum()) for town in TOWNS if (side == town).any()}
    smokers = run.render_plot("patients", PlotKind.CLASS_PROJECTION_2D, variable="fumeur")
    names = [text.get_text() for text in smokers.legends[0].get_texts()]
    assert sorted(names) == ["missing", "non", "oui"]
    stages = run.render_plot("patients", PlotKind.CLASS_PROJECTION_2D, variable="stade")
    names = [text.get_text() for text in stages.legends[0].get_texts()]
    assert sorted(names) == ["1", "2", "3"]  # numbers declared a category colour the plot


def test_class_projection_refuses_by_name(run: Runner) -> None:
    with pytest.raises(ValueError, match=r"'âge' is numeric; colour by a categorical variable"):
        run.render_plot("patients", PlotKind.CLASS_PROJECTION_2D, variable="âge")
    with pytest.raises(
        ValueError, match=r"no column 'patient_id'; categorical columns: ville, fumeur, stade"
    ):
        run.render_plot("patients", PlotKind.CLASS_PROJECTION_2D, variable="patient_id")
    with pytest.raises(ValueError, match=r"'service' has 16 categories, more than the plot can"):
        run.render_plot("patients", PlotKind.CLASS_PROJECTION_2D, variable="service")
    with pytest.raises(ValueError, match="class_projection_2d needs variable="):
        run.render_plot("patients", PlotKind.CLASS_PROJECTION_2D)
    with pytest.raises(ValueError, match="variable names the colouring variable"):
        run.render_plot("patients", PlotKind.CONTRIBUTION, variable="ville")


def test_3d_projection_draws_three_axes(run: Runner) -> None:
    figure = run.render_plot("patients", PlotKind.PROJECTION_3D)
    ax: Any = visible_axes(figure)[0]
    assert ax.name == "3d"
    assert ax.get_zlabel().startswith("Dim. 3 (")
    points = [len(collection._offsets3d[0]) for collection in ax.collections]
    assert points == [ROWS, ROWS]


def test_metrics_summary_shows_each_metric_against_its_target(run: Runner) -> None:
    figure = run.render_plot("patients", PlotKind.METRICS_SUMMARY)
    (ax,) = visible_axes(figure)
    cells = table_cells(ax)
    summary = run.metrics_summary()
    assert cells.pop("Metric") == ["Value", "Target", "Verdict"]
    assert list(cells) == list(summary["value"].columns)
    hidden_rate = summary["value", "hidden_rate"].loc["patients"]
    assert float(cells["hidden_rate"][0]) == pytest.approx(hidden_rate, rel=1e-3)
    assert cells["hidden_rate"][1] == str(summary["target", "hidden_rate"].loc["patients"])
    passed = summary["passed", "hidden_rate"].loc["patients"]
    assert cells["hidden_rate"][2] == ("met" if passed else "missed")
    french = run.render_plot("patients", "metrics_summary", language="fr")
    assert table_cells(visible_axes(french)[0])["Métrique"] == ["Valeur", "Cible", "Verdict"]


def test_open_in_browser_writes_the_page_and_asks_the_browser_for_it(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url))
    run.render_plot("patients", PlotKind.CONTRIBUTION, True)  # third, as the official client
    page = tmp_path / "patients.contribution.html"
    assert_standalone_page(page)
    assert opened == [page.resolve().as_uri()]

    chosen = tmp_path / "pages" / "mine.html"  # a .html path: the page goes there
    run.render_plot("patients", "aggregate_stats", path=chosen, open_in_browser=True)
    assert_standalone_page(chosen)
    assert opened[-1] == chosen.resolve().as_uri()

    png = tmp_path / "pngs" / "distribution.png"  # a PNG path: the page goes beside it
    run.render_plot("patients", "distribution", path=png)
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert_standalone_page(png.with_suffix(".html"))
    assert len(opened) == 2  # not asked to open: nothing opened


def test_in_a_notebook_only_open_in_browser_writes_a_page(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a notebook the figure shows as the cell's value (IPython is faked: it is not a
    dependency); a page is written only when asked for."""
    shell = types.SimpleNamespace(
        kernel=object(), display_formatter=types.SimpleNamespace(formatters={})
    )
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url))
    run.render_plot("patients", PlotKind.PROJECTION_2D)
    assert list(tmp_path.iterdir()) == []
    run.render_plot("patients", PlotKind.PROJECTION_2D, open_in_browser=True)
    assert_standalone_page(tmp_path / "patients.2d_projection.html")
    assert opened == [(tmp_path / "patients.2d_projection.html").resolve().as_uri()]


def test_3d_projection_of_a_two_axis_projection_is_refused(
    manager: Manager, table: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "two.csv"
    table[["âge", "imc"]].to_csv(path, index=False)
    runner = manager.create_runner("plot_kinds_two_axes", seed=0)
    runner.show_progress = False
    runner.add_table("two", path)
    runner.set_parameters("two", k=5, ncp=2)
    from avatar_yaml import JobKind

    runner.run(jobs_to_run=[JobKind.STANDARD])
    with pytest.raises(
        ValueError, match=r"3d_projection needs three axes, and the projection of 'two' has 2"
    ):
        runner.render_plot("two", PlotKind.PROJECTION_3D)
    with pytest.raises(ValueError, match="plots come from the signal metrics"):
        runner.render_plot("two", PlotKind.AGGREGATE_STATS)
    with pytest.raises(ValueError, match="this run has no metrics job"):
        runner.render_plot("two", PlotKind.METRICS_SUMMARY)


def test_data_stored_by_an_older_server_is_refused_with_what_to_do() -> None:
    """Runs made before the contributions, the third axis and the categories were stored."""
    old = {
        "original": {"x": [0.0], "y": [1.0]},
        "avatars": {"x": [0.5], "y": [0.5]},
        "explained_variance_ratio": [0.4, 0.3, 0.2],
    }
    again = "need to run again"
    with pytest.raises(ValueError, match=f"stored no contributions for 'patients': .*{again}"):
        _check_data(PlotKind.CONTRIBUTION, "patients", old, None)
    with pytest.raises(ValueError, match=f"stored no third axis for 'patients': .*{again}"):
        _check_data(PlotKind.PROJECTION_3D, "patients", old, None)
    with pytest.raises(ValueError, match=f"stored no categories for 'patients': .*{again}"):
        _check_data(PlotKind.CLASS_PROJECTION_2D, "patients", old, "ville")
    _check_data(PlotKind.PROJECTION_2D, "patients", old, None)  # what it has, it draws
