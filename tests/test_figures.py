"""avatar_figures on small hand-made plot data: the right panels, labels in the asked language,
PNG output. No server: the data formats are the contract between the jobs and the figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from avatar_figures import (
    AVATAR_COLOUR,
    LABELS,
    ORIGINAL_COLOUR,
    aggregate_stats_figure,
    class_projection_figure,
    contribution_figure,
    correlation_difference_figure,
    correlation_figure,
    distribution_figure,
    figure_png,
    metrics_summary_figure,
    normalized_series_figure,
    projection_3d_figure,
    projection_figure,
    raw_series_figure,
)
from avatar_figures.summaries import number_text
from avatar_server.engine.series_metrics import (
    RAW_SERIES_SHOWN,
    normalized_series_plot,
    raw_series_plot,
)
from tests.engine.test_series_metrics import process as walks
from tests.engine.test_series_metrics import side as series_side

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def numeric(name: str, missing: int = 0) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "continuous",
        "original": {"count": 10, "missing": missing},
        "avatars": {"count": 10, "missing": 0},
        "plot": {
            "type": "histogram",
            "edges": [0.0, 0.5, 1.0, 1.5],
            "original": [0.4, 1.2, 0.4],
            "avatars": [0.6, 0.8, 0.6],
        },
    }


def categorical(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "categorical",
        "original": {},
        "avatars": {},
        "plot": {
            "type": "bar",
            "categories": ["a", "b", "__missing__", "__other__"],
            "original": [0.5, 0.3, 0.1, 0.1],
            "avatars": [0.45, 0.35, 0.1, 0.1],
        },
    }


def dates(name: str) -> dict[str, Any]:
    day = 86_400.0
    start = 1_704_067_200.0  # 2024-01-01
    return {
        "name": name,
        "kind": "datetime",
        "original": {"count": 5, "missing": 0},
        "avatars": {"count": 5, "missing": 0},
        "plot": {
            "type": "histogram",
            "edges": [start, start + 100 * day, start + 200 * day],
            "original": [0.5 / (100 * day), 0.5 / (100 * day)],
            "avatars": [0.6 / (100 * day), 0.4 / (100 * day)],
        },
    }


CORRELATIONS = {
    "columns": ["x", "y", "c"],
    "original": [[1.0, 0.8, 0.3], [0.8, 1.0, None], [0.3, None, 1.0]],
    "avatars": [[1.0, 0.7, 0.35], [0.7, 1.0, None], [0.35, None, 1.0]],
    "method": "test",
}

SAMPLE = {
    "original": {"x": [0.0, 1.0, 2.0], "y": [1.0, 0.5, -0.5]},
    "avatars": {"x": [0.1, 0.9], "y": [0.9, 0.4]},
    "explained_variance_ratio": [0.645, 0.224, 0.1],
    "rows": 300,
    "sampled_rows": 3,
}


def drawn(figure: Figure) -> Figure:
    """Tick labels exist only once the figure is drawn."""
    figure_png(figure, dpi=40)
    return figure


def visible_axes(figure: Figure) -> list[Any]:
    return [ax for ax in figure.axes if ax.axison]


def test_labels_have_the_same_keys_in_every_language() -> None:
    assert set(LABELS) == {"en", "fr"}
    assert set(LABELS["en"]) == set(LABELS["fr"])


def test_distribution_grid_has_one_panel_per_variable() -> None:
    comparisons = [numeric("age", missing=2), categorical("city"), dates("visit"), numeric("w")]
    figure = drawn(distribution_figure(comparisons))
    assert len(figure.axes) == 6  # 2 rows of 3
    panels = visible_axes(figure)
    assert [ax.get_title() for ax in panels] == ["age", "city", "visit", "w"]
    legend = figure.legends[0]
    assert [text.get_text() for text in legend.get_texts()] == ["Original", "Avatars"]
    # Bars: two per category, in the two fixed colours; labels of special modalities read.
    bars = panels[1].patches
    assert len(bars) == 8
    assert {tuple(np.round(bar.get_facecolor()[:3], 3)) for bar in bars} == {
        tuple(np.round(_rgb(ORIGINAL_COLOUR), 3)),
        tuple(np.round(_rgb(AVATAR_COLOUR), 3)),
    }
    ticks = [label.get_text() for label in panels[1].get_xticklabels()]
    assert ticks == ["a", "b", "missing", "other"]
    # Gaps of a number are noted under its axis, since a histogram cannot show them.
    assert panels[0].get_xlabel() == "missing: original 16.7%, avatars 0.0%"
    # Bin shares: density × width, so the histogram's y axis reads in % of rows.
    assert panels[0].get_ylim()[1] >= 0.6


def _text_boxes_overlap(figure: Figure) -> list[tuple[str, str]]:
    """Pairs of drawn texts (titles, tick labels, axis labels) whose boxes overlap."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = []
    for ax in visible_axes(figure):
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label]
        (x_low, x_high), (y_low, y_high) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        # Tick labels outside the view are not drawn.
        texts += [t for t in ax.get_xticklabels() if x_low <= t.get_position()[0] <= x_high]
        texts += [t for t in ax.get_yticklabels() if y_low <= t.get_position()[1] <= y_high]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text()]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_far_values_and_many_modalities_stay_readable() -> None:
    """A clipped histogram says how many values lie beyond its axis; a category with many
    modalities shows the 10 most frequent and one bar for the others, named with their count;
    the notes sit under the axis, clear of the title and of each other panel's labels."""
    clipped = numeric("income", missing=3)
    clipped["plot"]["beyond"] = {"original": 4, "avatars": 3}
    names = [f"modality {i}" for i in range(30)] + ["__other__", "__missing__"]
    shares = [0.02] * 30 + [0.3, 0.1]
    many = {
        "name": "city",
        "kind": "categorical",
        "original": {"distinct": 57},
        "avatars": {"distinct": 50},
        "plot": {"type": "bar", "categories": names, "original": shares, "avatars": shares},
    }
    figure = drawn(distribution_figure([clipped, many, numeric("w")]))
    income, city, _ = visible_axes(figure)
    assert income.get_xlabel().splitlines() == [
        "missing: original 23.1%, avatars 0.0%",
        "beyond the axis: 4 original, 3 avatar values",
    ]
    ticks = [label.get_text() for label in city.get_xticklabels()]
    assert len(ticks) == 12 and ticks[:10] == [f"modality {i}" for i in range(10)]
    assert ticks[10:] == ["missing", "other\n(47 modalities)"]  # two short lines
    heights = [bar.get_height() for bar in city.patches]
    assert heights[11] == pytest.approx(20 * 0.02 + 0.3)  # the pooled modalities' share
    assert not _text_boxes_overlap(figure)
    french = drawn(distribution_figure([clipped, many], language="fr"))
    assert "hors de l'axe : 4 valeurs originales, 3 d'avatars" in french.axes[0].get_xlabel()
    assert "autres\n(47 modalités)" in [t.get_text() for t in french.axes[1].get_xticklabels()]


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue


def test_distribution_columns_and_empty_input() -> None:
    assert len(distribution_figure([numeric("a")] * 5, columns=2).axes) == 6
    assert len(distribution_figure([numeric("a")], columns=3).axes) == 1
    empty = distribution_figure([])
    assert empty.axes == [] and empty.texts[0].get_text() == LABELS["en"]["no_variable"]
    with pytest.raises(ValueError, match="columns"):
        distribution_figure([numeric("a")], columns=0)


def test_french_figures_use_french_words_and_decimal_commas() -> None:
    figure = drawn(distribution_figure([numeric("age", missing=3)], language="fr"))
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["Originales", "Avatars"]
    ax = figure.axes[0]
    assert ax.get_ylabel() == "Part des lignes"
    y_ticks = [label.get_text() for label in ax.get_yticklabels() if label.get_text()]
    assert all(text.endswith("\u00a0%") for text in y_ticks), y_ticks
    x_ticks = [label.get_text() for label in ax.get_xticklabels() if label.get_text()]
    assert any("," in text for text in x_ticks) and not any("." in t for t in x_ticks)
    assert ax.get_xlabel().startswith("manquants : originales 23,1")
    projection = drawn(projection_figure(SAMPLE, language="fr"))
    assert projection.axes[0].get_xlabel() == "Axe 1 (64,5\u00a0%)"
    with pytest.raises(ValueError, match="language"):
        distribution_figure([numeric("a")], language="de")


def test_correlation_heatmap_of_each_side() -> None:
    for side in ("original", "avatars"):
        figure = drawn(correlation_figure(CORRELATIONS, side))
        assert len(figure.axes) == 2  # the heatmap and its colour bar
        heatmap = figure.axes[0]
        assert heatmap.get_title() == LABELS["en"][f"correlation_{side}"]
        # One value per defined cell (the two undefined ones stay blank).
        assert len(heatmap.texts) == 9 - 2
        assert [t.get_text() for t in heatmap.get_yticklabels()] == ["x", "y", "c"]
    assert len(drawn(correlation_figure(CORRELATIONS, annotate=False)).axes[0].texts) == 0
    french = drawn(correlation_figure(CORRELATIONS, language="fr")).axes[0]
    assert "0,80" in [text.get_text() for text in french.texts]
    with pytest.raises(ValueError, match="side"):
        correlation_figure(CORRELATIONS, "both")
    with pytest.raises(ValueError, match="3 columns"):
        correlation_figure({**CORRELATIONS, "original": [[1.0]]})


def test_correlation_difference_is_avatars_minus_original() -> None:
    figure = drawn(correlation_difference_figure(CORRELATIONS))
    heatmap = figure.axes[0]
    values = {text.get_text() for text in heatmap.texts}
    assert {"−0.10", "-0.10"} & values and {"0.05"} <= values
    image = heatmap.images[0]
    low, high = image.get_clim()
    assert low == -high and high >= 0.1


def test_projection_scatter_with_explained_variance() -> None:
    figure = drawn(projection_figure(SAMPLE))
    assert len(figure.axes) == 1
    ax = figure.axes[0]
    assert ax.get_xlabel() == "Dim. 1 (64.5%)" and ax.get_ylabel() == "Dim. 2 (22.4%)"
    offsets = [np.asarray(collection.get_offsets()).shape[0] for collection in ax.collections]
    assert offsets == [3, 2]
    assert "3 of 300 rows" in ax.get_title()
    one_axis = drawn(projection_figure({"original": {"x": [1.0, 2.0]}, "avatars": {"x": [1.5]}}))
    assert one_axis.axes[0].get_ylabel() == "Dim. 2"


def test_figure_png_is_a_png() -> None:
    for figure in (
        distribution_figure([numeric("a"), categorical("b")]),
        correlation_figure(CORRELATIONS),
        correlation_difference_figure(CORRELATIONS),
        projection_figure(SAMPLE),
    ):
        png = figure_png(figure)
        assert png.startswith(PNG_MAGIC) and len(png) > 1000
    small = figure_png(projection_figure(SAMPLE), dpi=30)
    assert len(small) < len(figure_png(projection_figure(SAMPLE), dpi=110))


def _texts_outside(figure: Figure) -> list[str]:
    """Drawn texts whose box leaves the figure (1 pixel of rounding allowed): the layout is
    computed from font metrics, not from a drawing, so this checks it left enough room."""
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = figure.bbox.padded(1.0)
    texts = list(figure.texts)
    for ax in visible_axes(figure):
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label]
        (x_low, x_high), (y_low, y_high) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        texts += [t for t in ax.get_xticklabels() if x_low <= t.get_position()[0] <= x_high]
        texts += [t for t in ax.get_yticklabels() if y_low <= t.get_position()[1] <= y_high]
    for legend in figure.legends:
        texts += legend.get_texts()
    outside = []
    for text in texts:
        if not text.get_text():
            continue
        box = text.get_window_extent(renderer)
        if not (
            frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
        ):
            outside.append(text.get_text())
    return outside


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_text_lies_inside_the_figure(language: str) -> None:
    """Long slanted modality names (they reach left of their panel, into the margin or the
    panel beside),
    upright ones, notes under a clipped histogram, dates, a two-line projection title, and
    heatmaps of 22-character names at the report's side-by-side size and at 40 variables:
    nothing is cut by the figure's edge and nothing overlaps."""
    slanted = categorical("a categorical variable with a long name")
    slanted["plot"]["categories"] = ["an extremely long modality name", "b", "c", "d", "e", "f"]
    slanted["plot"]["original"] = [0.5, 0.3, 0.1, 0.05, 0.03, 0.02]
    slanted["plot"]["avatars"] = [0.4, 0.4, 0.1, 0.05, 0.03, 0.02]
    upright = categorical("city")
    upright["plot"]["categories"] = [f"town number {i}" for i in range(9)]
    upright["plot"]["original"] = [1 / 9] * 9
    upright["plot"]["avatars"] = [1 / 9] * 9
    clipped = numeric("income", missing=2)
    clipped["plot"]["beyond"] = {"original": 4, "avatars": 3}
    grid = [slanted, clipped, dates("admission"), upright, slanted, numeric("w")]
    names = [f"{i:02d}_a_very_long_variable_name" for i in range(40)]
    matrix = np.eye(40).tolist()
    wide = {"columns": names, "original": matrix, "avatars": matrix}
    four = {
        "columns": names[:4],
        "original": np.eye(4).tolist(),
        "avatars": (0.9 * np.eye(4)).tolist(),
    }
    figures = {
        "distributions": distribution_figure(grid, language=language),
        "two columns": distribution_figure(grid[:2], language=language, columns=2),
        "heatmap side by side": correlation_figure(four, language=language, size=(3.6, 3.4)),
        "difference": correlation_difference_figure(four, language=language, size=(5.2, 4.6)),
        "40 variables": correlation_figure(wide, "avatars", language=language),
        "projection": projection_figure(SAMPLE, language=language),
    }
    for name, figure in figures.items():
        drawn(figure)
        assert _texts_outside(figure) == [], name
        assert _text_boxes_overlap(figure) == [], name


@pytest.mark.parametrize("language", ["en", "fr"])
def test_series_figures_draw_the_plot_data(language: str) -> None:
    """One panel per variable, each side in its colour, nothing cut by the figure's edge."""

    from avatar_figures import (
        AVATAR_COLOUR,
        ORIGINAL_COLOUR,
    )
    from tests.test_figures import _text_boxes_overlap, _texts_outside, drawn

    rng = np.random.default_rng(4)
    original = series_side(walks(rng, 40), walks(rng, 40))
    avatars = series_side(walks(rng, 40), walks(rng, 40))
    raw = drawn(raw_series_figure(raw_series_plot(original, avatars), language=language))
    panels = [ax for ax in raw.axes if ax.axison]
    assert [ax.get_title() for ax in panels] == ["x", "y"]
    colours = [to_hex(line.get_color()) for line in panels[0].lines]
    assert colours.count(ORIGINAL_COLOUR) == colours.count(AVATAR_COLOUR) == RAW_SERIES_SHOWN
    bands = drawn(
        normalized_series_figure(normalized_series_plot(original, avatars), language=language)
    )
    panel = next(ax for ax in bands.axes if ax.axison)
    assert len(panel.lines) == 2 and len(panel.collections) == 2  # medians and bands
    assert panel.get_xlim() == (0.0, 1.0)
    for figure in (raw, bands):
        assert _texts_outside(figure) == [] and _text_boxes_overlap(figure) == []


# --- the kinds beyond the report's: 3-D, classes, contributions, statistics, metrics ----------

SAMPLE_3D = {
    "original": {"x": [0.0, 1.0, 2.0], "y": [1.0, 0.5, -0.5], "z": [0.1, 0.2, 0.3]},
    "avatars": {"x": [0.1, 0.9], "y": [0.9, 0.4], "z": [0.0, -0.1]},
    "explained_variance_ratio": [0.5, 0.3, 0.2],
    "classes": {
        "ville": {"original": ["Orléans", "Nîmes", None], "avatars": ["Nîmes", "Nîmes"]},
    },
}
CONTRIBUTIONS = {
    "variables": [
        {"name": "âge", "contributions": [70.0, 10.0]},
        {"name": "ville", "contributions": [30.0, 90.0]},
    ],
    "not_projected": ["code postal"],
    "explained_variance_ratio": [0.6, 0.4],
}
STATS = [
    {
        "name": "âge",
        "kind": "continuous",
        "original": {
            "count": 9,
            "missing": 1,
            "mean": 41.25,
            "std": 12345.678,
            "min": 18.0,
            "q25": 30.0,
            "median": 40.0,
            "q75": 50.0,
            "max": 90.0,
        },
        "avatars": {
            "count": 10,
            "missing": 0,
            "mean": 40.0,
            "std": 11.0,
            "min": 20.0,
            "q25": 31.0,
            "median": 41.0,
            "q75": 49.0,
            "max": 80.0,
        },
    },
    {
        "name": "ville",
        "kind": "categorical",
        "original": {
            "count": 9,
            "missing": 1,
            "distinct": 2,
            "counts": {"Orléans": 6, "Nîmes": 3, "__missing__": 1},
        },
        "avatars": {
            "count": 10,
            "missing": 0,
            "distinct": 2,
            "counts": {"Orléans": 5, "Nîmes": 5, "__missing__": 0},
        },
    },
    {
        "name": "visite",
        "kind": "datetime",
        "original": {"count": 2, "missing": 0, "mean": 1_704_067_200.0, "std": 86_400.0},
        "avatars": {"count": 2, "missing": 0, "mean": None, "std": None},
    },
]
METRICS: list[dict[str, Any]] = [
    {"metric": "hidden_rate", "value": 91.5, "target": "> 90", "passed": True},
    {"metric": "hellinger_mean", "value": 0.2, "target": "< 0.1", "passed": False},
    {"metric": "hellinger_std", "value": 0.01, "target": None, "passed": None},
    {"metric": "inference_continuous", "value": None, "target": "> 10", "passed": None},
]


def _cells(figure: Figure, index: int = 0) -> dict[str, list[str]]:
    ax = [ax for ax in figure.axes if ax.tables][index]
    rows: dict[int, dict[int, str]] = {}
    for (row, column), cell in ax.tables[0].get_celld().items():
        rows.setdefault(row, {})[column] = cell.get_text().get_text()
    return {texts[0]: [texts[i] for i in sorted(texts)[1:]] for texts in rows.values()}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_new_kinds_keep_their_texts_inside_the_figure(language: str) -> None:
    figures = {
        "classes": class_projection_figure(SAMPLE_3D, "ville", language=language),
        "contribution": contribution_figure(CONTRIBUTIONS, language=language),
        "statistics": aggregate_stats_figure(STATS, language=language),
        "metrics": metrics_summary_figure("patients", METRICS, language=language),
    }
    for name, figure in figures.items():
        drawn(figure)
        assert _texts_outside(figure) == [], name


def test_3d_projection_needs_a_third_axis() -> None:
    figure = drawn(projection_3d_figure(SAMPLE_3D))
    ax: Any = figure.axes[0]
    assert ax.name == "3d" and ax.get_zlabel() == "Dim. 3 (20.0%)"
    assert [len(c._offsets3d[0]) for c in ax.collections] == [3, 2]
    flat = {**SAMPLE_3D, "original": SAMPLE["original"], "avatars": SAMPLE["avatars"]}
    with pytest.raises(ValueError, match="no third axis"):
        projection_3d_figure(flat)


def test_class_projection_colours_by_category_and_names_missing() -> None:
    figure = drawn(class_projection_figure(SAMPLE_3D, "ville", language="fr"))
    original, avatars = [ax for ax in figure.axes if ax.axison]
    assert (original.get_title(), avatars.get_title()) == ("Originales", "Avatars")
    assert {c.get_label(): np.asarray(c.get_offsets()).shape[0] for c in original.collections} == {
        "Orléans": 1,
        "Nîmes": 1,
        "manquant": 1,
    }
    assert {c.get_label(): np.asarray(c.get_offsets()).shape[0] for c in avatars.collections} == {
        "Nîmes": 2
    }
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["Orléans", "Nîmes", "manquant"]
    with pytest.raises(ValueError, match="no categories for 'âge'"):
        class_projection_figure(SAMPLE_3D, "âge")
    short = {**SAMPLE_3D, "classes": {"ville": {"original": ["a"], "avatars": []}}}
    with pytest.raises(ValueError, match="1 categories for 3 points"):
        class_projection_figure(short, "ville")


def test_contribution_map_holds_the_shares_and_names_what_was_left_out() -> None:
    figure = drawn(contribution_figure(CONTRIBUTIONS))
    ax = figure.axes[0]
    assert np.asarray(ax.images[0].get_array()).tolist() == [[70.0, 10.0], [30.0, 90.0]]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["âge", "ville"]
    assert "not projected: code postal" in ax.get_title()
    assert "70,0" in {
        t.get_text() for t in drawn(contribution_figure(CONTRIBUTIONS, language="fr")).axes[0].texts
    }
    empty = contribution_figure({"variables": []})
    assert empty.texts[0].get_text() == LABELS["en"]["no_variable"]


def test_aggregate_stats_tables_show_each_side() -> None:
    figure = drawn(aggregate_stats_figure(STATS))
    age, town, visit = (_cells(figure, i) for i in range(3))
    assert age["Statistic"] == ["Original", "Avatars"]
    assert age["count"] == ["9", "10"] and age["missing"] == ["1", "0"]
    assert age["mean"] == ["41.25", "40.00"] and age["std"] == ["12,346", "11.00"]
    assert town["rows “Orléans”"] == ["6", "5"] and town["rows “missing”"] == ["1", "0"]
    assert visit["mean"] == ["2024-01-01 00:00", "–"] and visit["std"][0] == "1 d"
    french = _cells(drawn(aggregate_stats_figure(STATS, language="fr")))
    assert french["écart-type"] == ["12\u202f346", "11,00"]
    assert aggregate_stats_figure([]).texts[0].get_text() == LABELS["en"]["no_variable"]
    many = aggregate_stats_figure([{**STATS[0], "name": f"v{i}"} for i in range(45)])
    assert len([ax for ax in many.axes if ax.tables]) == 40
    assert many.get_suptitle().endswith("the first 40 of 45 variables")


def test_numbers_in_tables() -> None:
    assert [number_text(v, "en") for v in (None, float("nan"), 3, 0.5, 1234.5678, 2e10)] == [
        "–",
        "–",
        "3",
        "0.5000",
        "1,235",
        "2e+10",
    ]


def test_metrics_summary_colours_each_verdict() -> None:
    figure = drawn(metrics_summary_figure("patients", METRICS))
    cells = _cells(figure)
    assert cells["Metric"] == ["Value", "Target", "Verdict"]
    assert cells["hidden_rate"] == ["91.50", "> 90", "met"]
    assert cells["hellinger_mean"][2] == "missed"
    assert cells["hellinger_std"][1:] == ["–", "no target"]
    assert cells["inference_continuous"][0::2] == ["–", "not computed"]
    table = next(ax for ax in figure.axes if ax.tables).tables[0].get_celld()
    assert to_hex(table[1, 3].get_facecolor()) == "#d7efd8"
    assert to_hex(table[2, 3].get_facecolor()) == "#f6d3d3"
    assert to_hex(table[3, 3].get_facecolor()) == "#ffffff"
    assert "patients" in figure.axes[0].get_title(loc="left")
