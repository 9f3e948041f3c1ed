"""From a run's results to the report: one Jinja2 template, rendered to HTML and to PDF.

The HTML and the PDF come from the same rendered text (WeasyPrint lays the HTML out on A4
pages), so they cannot disagree. Everything the report shows is in that text: tables and
sentences as real text, figures as PNG data URIs, fonts embedded by WeasyPrint. No resource is
fetched while rendering, so a report renders the same on a machine without network access.
"""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jinja2

from avatar_server.report.attacks import attack_notes, attack_remedies, attack_rows
from avatar_server.report.formatting import (
    MISSING,
    format_date,
    format_day,
    format_number,
    format_percent,
    format_target,
    target_threshold,
)
from avatar_server.report.images import (
    FigureStore,
    Images,
    cardinality_images,
    correlation_images,
    distribution_images,
    projection_image,
    series_images,
)
from avatar_server.report.manifest_section import manifest_context
from avatar_server.report.translations import CHOICES, METRICS, STRINGS
from avatar_yaml import Approver, AvatarizationParameters, PiaMetadata

DEFAULT_MAX_DISTRIBUTION_PLOTS = 12
MEAN_STD_KINDS = ("continuous", "discrete")  # shown as mean (std); a datetime as a date

Progress = Callable[[str, float], None]


@dataclass
class TableResults:
    """What the jobs stored about one table. Plot data may be missing (results of an older
    server): the report then says so instead of failing."""

    name: str
    parameters: AvatarizationParameters
    privacy: dict[str, Any]
    signal: dict[str, Any]
    run_metadata: dict[str, Any] | None = None
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    correlations: dict[str, Any] | None = None
    projection: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    attacks: dict[str, Any] | None = None


@dataclass
class SeriesResults:
    """What the jobs stored about one series table, whose people are those of ``parent``: no
    projection, correlation or distribution of its own (its features are part of its
    person's), but its curves' signal metrics against their floors, the privacy of its
    persons joined with their series, and the plot data of its two figures. Missing plot data
    or metadata (results of an older server) is said, not fatal."""

    name: str
    parent: str
    privacy: dict[str, Any]
    signal: list[dict[str, Any]]
    """One entry per value variable, as the signal metrics job writes ``<S>.signal_metrics``."""
    run_metadata: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    raw_plot: dict[str, Any] | None = None
    normalized_plot: dict[str, Any] | None = None
    attacks: dict[str, Any] | None = None
    """The attacks on its persons with their series (``<S>.attacks.json``), when written."""


@dataclass
class ReportData:
    run_name: str
    tables: list[TableResults]
    report_type: str = "basic"
    language: str = "en"
    pia: PiaMetadata = field(default_factory=PiaMetadata)
    approver: Approver | None = None
    max_distribution_plots: int = DEFAULT_MAX_DISTRIBUTION_PLOTS
    software_version: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # One engine.linked_relations.relation_utility dict per link of a multi-table run, each
    # possibly with "privacy": {"hidden_rate", "computation_type", "reference"}.
    relations: list[dict[str, Any]] = field(default_factory=list)
    # The series tables of the run, each shown with its parent (one of ``tables``).
    series: list[SeriesResults] = field(default_factory=list)
    # The run's release manifest (avatar_yaml.manifest), printed in its own section.
    manifest: dict[str, Any] | None = None


@functools.cache
def _environment() -> jinja2.Environment:
    """One environment per process: it caches the compiled templates, which otherwise cost
    about 0.4 s to load and compile again for every report."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("avatar_server.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# --- metrics ---------------------------------------------------------------------------------


def _status(entry: dict[str, Any], name: str) -> str:
    if entry.get(name) is None:
        return "not_computed"
    passed = (entry.get("passed") or {}).get(name)
    if passed is None:
        return "no_target"
    return "met" if passed else "not_met"


def _reason(entry: dict[str, Any], name: str) -> str | None:
    details = (entry.get("details") or {}).get(name)
    if entry.get(name) is None and isinstance(details, dict):
        reason = details.get("reason")
        return str(reason) if reason else None
    return None


def metric_rows(entry: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """One row per metric of a privacy or signal result, in the order the job wrote them
    (the order of its ``targets``), with the value and target as the report prints them."""
    names = list((entry.get("targets") or {}).keys())
    texts = METRICS[language]
    rows = []
    for name in names:
        text = texts.get(name)
        rows.append(
            {
                "name": name,
                "label": text.label if text else name,
                "meaning": text.meaning if text else "",
                "value": format_number(entry.get(name), language),
                "target": format_target((entry.get("targets") or {}).get(name), language),
                "status": _status(entry, name),
                "reason": _reason(entry, name),
            }
        )
    return rows


# --- per-variable table ----------------------------------------------------------------------


def _centre(entry: dict[str, Any], side: str, language: str) -> str:
    """Where a variable sits: mean (sd) of a number, date of the mean of a date, most frequent
    modality (its share) of a category."""
    summary = entry.get(side) or {}
    kind = entry.get("kind")
    if kind in MEAN_STD_KINDS:
        mean, std = summary.get("mean"), summary.get("std")
        if mean is None:
            return MISSING
        spread = format_number(std, language, decimals=2)
        return f"{format_number(mean, language, decimals=2)} ({spread})"
    if kind == "datetime":
        mean = summary.get("mean")
        if mean is None:
            return MISSING
        return datetime.fromtimestamp(float(mean), UTC).date().isoformat()
    frequencies = summary.get("frequencies") or {}
    if not frequencies:
        return MISSING
    modality, share = max(frequencies.items(), key=lambda item: item[1])
    return f"{_modality(str(modality), language)} ({format_percent(100.0 * share, language)})"


def _modality(modality: str, language: str) -> str:
    """A modality as a reader knows it: booleans as yes/no, the engine's placeholders for gaps
    and pooled rare modalities in words."""
    words = {
        "True": "yes",
        "False": "no",
        "__missing__": "modality_missing",
        "__other__": "modality_other",
    }
    return STRINGS[language][words[modality]] if modality in words else modality


def variable_rows(table: TableResults, language: str) -> list[dict[str, str]]:
    per_variable = (
        ((table.signal.get("details") or {}).get("hellinger_mean") or {}).get("per_variable")
    ) or {}
    choices = CHOICES[language]
    rows = []
    for entry in table.comparisons:
        name = str(entry["name"])
        kind = str(entry.get("kind"))
        rows.append(
            {
                "name": name,
                "kind": choices.get(f"kind.{kind}", kind),
                "hellinger": format_number(per_variable.get(name), language, decimals=3),
                "original": _centre(entry, "original", language),
                "avatars": _centre(entry, "avatars", language),
            }
        )
    return rows


# --- parameters ------------------------------------------------------------------------------


def parameter_rows(table: TableResults, language: str) -> list[tuple[str, str]]:
    """The avatarization settings of a table in words, defaults named as such."""
    t, choices = STRINGS[language], CHOICES[language]
    chosen = table.parameters
    metadata = table.run_metadata or {}
    used_axes = len(metadata.get("explained_variance_ratio") or [])
    if chosen.ncp is not None:
        ncp = str(chosen.ncp)
    elif used_axes:
        ncp = f"{used_axes} ({t['default']})"
    else:
        ncp = t["default"]
    weights = chosen.column_weights or {}
    if weights and any(w != 1 for w in weights.values()):
        weight_text = ", ".join(f"{k}: {format_number(w, language)}" for k, w in weights.items())
    else:
        weight_text = t["all_weights_one"]
    if chosen.imputation is not None:
        method = str(chosen.imputation.method)
        imputation = choices.get(f"imputation.{method}", method)
    else:
        imputation = t["default"]
    exclusion = chosen.exclude_variables
    if exclusion is not None and exclusion.variable_names:
        strategy = str(exclusion.replacement_strategy)
        excluded = (
            f"{', '.join(exclusion.variable_names)} "
            f"({choices.get(f'exclusion.{strategy}', strategy)})"
        )
    else:
        excluded = t["none"]
    return [
        (t["k"], str(chosen.k)),
        (t["ncp"], ncp),
        (t["categorical_reduction"], t["yes"] if chosen.use_categorical_reduction else t["no"]),
        (t["column_weights"], weight_text),
        (t["imputation"], imputation),
        (t["excluded_variables"], excluded),
    ]


# --- conclusion ------------------------------------------------------------------------------


def _in_sentence(label: str) -> str:
    """A metric name inside a sentence: lower-case start (labels hold commas, so lists of them
    are separated by semicolons)."""
    return label[:1].lower() + label[1:]


LOST_SHARE = 0.5
"""A variable whose avatars keep fewer than this share of its original modalities (or a
grouped column that kept fewer than this share of its values) has not kept its distribution,
whatever the mean Hellinger distance says."""


def lost_variables(table: TableResults, language: str) -> list[str]:
    """The variables that lost most of their modalities, each in words: a grouped column
    whose rare values were pooled as "(other)" (from the run's metadata, which knows the
    values before grouping), or a category with far fewer modalities in the avatars than in
    the original."""
    t = STRINGS[language]
    lost = []
    grouped = set()
    for entry in (table.run_metadata or {}).get("identifying_columns") or []:
        values, kept = entry.get("values"), entry.get("kept_values")
        if not isinstance(values, int) or not isinstance(kept, int) or values == 0:
            continue
        grouped.add(str(entry["column"]))
        share = float(entry.get("other_share") or 0.0)
        if kept < LOST_SHARE * values or share > LOST_SHARE:
            lost.append(
                t["lost_grouped"].format(
                    column=entry["column"],
                    kept=format_number(kept, language),
                    values=format_number(values, language),
                    share=format_percent(100.0 * share, language),
                )
            )
    for entry in table.comparisons:
        if entry.get("kind") not in ("categorical", "boolean") or entry["name"] in grouped:
            continue
        original = (entry.get("original") or {}).get("distinct")
        avatars = (entry.get("avatars") or {}).get("distinct")
        if not isinstance(original, int) or not isinstance(avatars, int) or original < 3:
            continue
        if avatars < LOST_SHARE * original:
            lost.append(
                t["lost_modalities"].format(
                    column=entry["name"],
                    original=format_number(original, language),
                    avatars=format_number(avatars, language),
                )
            )
    return lost


def _privacy_text(name: str, privacy: dict[str, Any], language: str) -> tuple[str, bool]:
    """A table's privacy in a sentence or three (targets met or not, what was not computed,
    what the hidden rate and local cloaking mean), and whether a target was missed."""
    t = STRINGS[language]
    rows = metric_rows(privacy, language)
    judged = [row for row in rows if row["status"] in ("met", "not_met")]
    failed = [_in_sentence(row["label"]) for row in judged if row["status"] == "not_met"]
    if failed:
        text = t["privacy_some"].format(
            table=name, passed=len(judged) - len(failed), total=len(judged)
        )
        text += " " + t["privacy_failed"].format(metrics="; ".join(failed))
    else:
        text = t["privacy_all"].format(table=name, total=len(judged))
    skipped = [_in_sentence(row["label"]) for row in rows if row["status"] == "not_computed"]
    if skipped:
        text += " " + t["privacy_not_computed"].format(metrics="; ".join(skipped))
    hidden = privacy.get("hidden_rate")
    if hidden is not None:
        text += " " + t["hidden_sentence"].format(hidden=format_percent(hidden, language))
    cloaking = privacy.get("local_cloaking")
    if cloaking is not None:
        text += " " + t["cloaking_sentence"].format(count=format_number(cloaking, language))
    return text, bool(failed)


def _series_conclusion(series: SeriesResults, language: str) -> str:
    """A series table's privacy (its persons joined with their series), then each variable's
    point-by-point distance beside its floor: these have no target, so the sentence gives
    both figures and what they mean rather than a verdict."""
    t = STRINGS[language]
    label = t["series_of"].format(table=series.name, parent=series.parent)
    text, _ = _privacy_text(label, series.privacy, language)
    values = [
        t["series_conclusion_variable"].format(
            variable=_variable_of(entry),
            value=format_number(entry.get("pointwise_hellinger_mean"), language, decimals=3),
            floor=format_number(
                (entry.get("floor") or {}).get("pointwise_hellinger_mean"), language, decimals=3
            ),
        )
        for entry in series.signal
    ]
    if values:
        text += " " + t["series_conclusion_signal"].format(values="; ".join(values))
    return text


def conclusion(
    tables: Sequence[TableResults], language: str, series: Sequence[SeriesResults] = ()
) -> list[str]:
    """The plain-language reading of the metrics, saying only what the figures support:
    targets met, what the hidden rate means for someone trying to re-identify a person,
    whether each variable's distribution is kept (not when a variable lost most of its
    modalities), why means and spreads match, what a missed correlation target means, and
    what to change when a target is missed. A series table is read after its parent: its
    privacy targets and verdict count as any table's; its curves' distances, which have no
    target, are given beside their floor."""
    t = STRINGS[language]
    paragraphs: list[str] = []
    privacy_missed = signal_missed = hellinger_missed = verdict_failed = False
    marginals = False
    for table in tables:
        text, missed = _privacy_text(table.name, table.privacy, language)
        privacy_missed |= missed
        passed_flags = table.signal.get("passed") or {}
        hellinger = table.signal.get("hellinger_mean")
        if hellinger is not None and passed_flags.get("hellinger_mean") is not None:
            value = format_number(hellinger, language)
            lost = lost_variables(table, language)
            if not passed_flags["hellinger_mean"]:
                hellinger_missed = signal_missed = True
                text += " " + t["hellinger_lost"].format(value=value)
            elif lost:
                text += " " + t["hellinger_kept_but"].format(value=value, columns="; ".join(lost))
            else:
                text += " " + t["hellinger_kept"].format(value=value)
        marginals |= bool(table.comparisons)
        correlation = table.signal.get("correlation_difference_ratio")
        if correlation is not None and passed_flags.get("correlation_difference_ratio") is not None:
            value = format_number(correlation, language)
            target = target_threshold(
                (table.signal.get("targets") or {}).get("correlation_difference_ratio"), language
            )
            if passed_flags["correlation_difference_ratio"]:
                text += " " + t["correlation_kept"].format(value=value, target=target)
            else:
                signal_missed = True
                text += " " + t["correlation_lost"].format(value=value, target=target)
                text += " " + t["correlation_meaning"]
        paragraphs.append(text)
        if table.verdict is not None and table.verdict.get("status") != "pass":
            verdict_failed = True
            paragraphs.append(t["verdict_failed_conclusion"].format(table=table.name))
        for entry in series:
            if entry.parent != table.name:
                continue
            paragraphs.append(_series_conclusion(entry, language))
            privacy_missed |= _privacy_text(entry.name, entry.privacy, language)[1]
            if entry.verdict is not None and entry.verdict.get("status") != "pass":
                verdict_failed = True
                paragraphs.append(t["verdict_failed_conclusion"].format(table=entry.name))
    if series:
        paragraphs.append(t["series_conclusion_meaning"])
    if marginals:
        paragraphs.append(t["marginals_sentence"])
    if privacy_missed:
        paragraphs.append(t["advice_privacy"])
    elif hellinger_missed:
        paragraphs.append(t["advice_signal"])
    elif not signal_missed and not verdict_failed:
        paragraphs.append(t["overall_all"])
    paragraphs.append(t["caveat"])
    return paragraphs


# --- figures ---------------------------------------------------------------------------------


def _sampled_rows(correlations: dict[str, Any]) -> int | None:
    sampled = correlations.get("sampled_rows") or {}
    counts = (
        [v for v in sampled.values() if isinstance(v, int)] if isinstance(sampled, dict) else []
    )
    return max(counts) if counts else None


def _treatment(code: str, language: str) -> str:
    """What the run did with an identifying column, in words (``pseudonymized:UUID4``...)."""
    kind, _, detail = code.partition(":")
    words = STRINGS[language][f"treatment_{kind}"]
    return words.format(detail=detail) if detail else words


def _identifying_entry(entry: dict[str, Any], language: str) -> str:
    """One identifying column, its role and treatment; a grouped one with what it kept."""
    t = STRINGS[language]
    text = t["identifying_entry"].format(
        column=entry["column"],
        role=entry["role"],
        treatment=_treatment(str(entry["treatment"]), language),
    )
    if isinstance(entry.get("values"), int) and isinstance(entry.get("kept_values"), int):
        text += ": " + t["grouping_detail"].format(
            kept=format_number(entry["kept_values"], language),
            values=format_number(entry["values"], language),
            share=format_percent(100.0 * float(entry.get("other_share") or 0.0), language),
        )
    return text


def _table_context(
    table: TableResults, data: ReportData, step: Callable[[str], None], images: Images
) -> dict[str, Any]:
    language = data.language
    t = STRINGS[language]
    metadata = table.run_metadata or {}
    step(f"{table.name}: distributions")
    limit = max(0, data.max_distribution_plots)
    distributions = distribution_images(images, table.comparisons[:limit], language)
    correlations = None
    sampled_note = None
    if table.correlations is not None:
        step(f"{table.name}: correlations")
        correlations = correlation_images(images, table.correlations, language)
        sampled = _sampled_rows(table.correlations)
        if sampled is not None and sampled < int(metadata.get("rows") or 0):
            sampled_note = t["sampled_note"].format(rows=format_number(sampled, language))
    projection = None
    projection_intro = t["projection_intro_plain"]
    if table.projection is not None:
        step(f"{table.name}: projection")
        projection = projection_image(images, table.projection, language)
        ratios = [float(r) for r in table.projection.get("explained_variance_ratio") or []]
        if len(ratios) >= 2:
            share = format_percent(100.0 * (ratios[0] + ratios[1]), language)
            projection_intro = t["projection_intro"].format(share=share)
    columns = [str(c) for c in metadata.get("columns") or []]
    return {
        "name": table.name,
        "rows": format_number(metadata.get("rows"), language),
        "column_count": format_number(len(columns), language) if columns else MISSING,
        "columns": ", ".join(columns) if columns else MISSING,
        "set_aside": ", ".join(str(c) for c in metadata.get("set_aside_columns") or []),
        "identifying": [
            _identifying_entry(entry, language)
            for entry in metadata.get("identifying_columns") or []
        ],
        "formulas": _formulas_note(metadata, language),
        "seed": str(metadata["seed"]) if metadata.get("seed") is not None else MISSING,
        "parameters": parameter_rows(table, language),
        "privacy": metric_rows(table.privacy, language),
        "attacks": attack_rows(table.attacks, language) if table.attacks else None,
        "attack_notes": attack_notes(table.attacks, language) if table.attacks else [],
        "attack_remedies": attack_remedies(table.attacks) if table.attacks else [],
        "signal": metric_rows(table.signal, language),
        "variables": variable_rows(table, language),
        "distributions": distributions,
        "distributions_note": (
            t["distributions_shown"].format(
                shown=min(limit, len(table.comparisons)), total=len(table.comparisons)
            )
            if len(table.comparisons) > limit > 0
            else None
        ),
        "distributions_none": limit == 0 and bool(table.comparisons),
        "correlations": correlations,
        "correlations_note": sampled_note,
        "projection": projection,
        "projection_intro": projection_intro,
    }


# --- series tables ---------------------------------------------------------------------------

SERIES_METRICS = (
    "pointwise_hellinger_mean",
    "pointwise_hellinger_std",
    "density_hellinger_mean",
    "density_hellinger_std",
)
"""The signal metrics of one series variable, in the order the report prints them."""


def _variable_of(entry: dict[str, Any]) -> str:
    return str((entry.get("metadata") or {}).get("reference"))


def series_settings_rows(series: SeriesResults, language: str) -> list[tuple[str, str]]:
    """A series table's settings in effect (the run metadata's, engine defaults resolved) and
    what it holds, in words."""
    t, choices = STRINGS[language], CHOICES[language]
    metadata = series.run_metadata or {}
    settings = metadata.get("time_series") or {}
    time = metadata.get("time_column")
    values = [str(c) for c in metadata.get("columns") or [] if c != time]
    projection = settings.get("projection")
    if projection == "fpca" and settings.get("nf") is not None:
        projection_text = t["series_fpca"].format(nf=format_number(settings["nf"], language))
    elif projection is not None:
        projection_text = choices.get(f"projection.{projection}", str(projection))
    else:
        projection_text = MISSING
    method = settings.get("method")
    if method == "specified":
        grid = t["series_grid_specified"].format(
            points=format_number(settings.get("nb_points"), language)
        )
    elif method is not None:
        grid = choices.get(f"alignment.{method}", str(method))
    else:
        grid = MISSING
    unalignment = settings.get("unalignment")
    weight = settings.get("block_weight")
    return [
        (t["series_parent"], series.parent),
        (t["series_time"], str(time) if time else MISSING),
        (t["series_values"], ", ".join(values) if values else MISSING),
        (
            t["series_rows"],
            t["series_rows_value"].format(
                rows=format_number(metadata.get("rows"), language),
                avatar_rows=format_number(metadata.get("avatar_rows"), language),
                persons=format_number(metadata.get("persons"), language),
            ),
        ),
        (t["series_projection"], projection_text),
        (t["series_grid"], grid),
        (
            t["series_unalignment"],
            choices.get(f"unalignment.{unalignment}", str(unalignment))
            if unalignment is not None
            else MISSING,
        ),
        (
            t["series_block_weight"],
            format_number(weight, language) if weight is not None else MISSING,
        ),
    ]


def series_signal_rows(series: SeriesResults, language: str) -> list[dict[str, Any]]:
    """Per value variable, its four distances beside their floor (the same distance between
    two seeded halves of the originals); a null (NaN) value prints as missing."""
    texts = METRICS[language]
    rows = []
    for entry in series.signal:
        variable = _variable_of(entry)
        floor = entry.get("floor") or {}
        for index, name in enumerate(SERIES_METRICS):
            rows.append(
                {
                    "variable": variable,
                    "first": index == 0,
                    "span": len(SERIES_METRICS),
                    "name": name,
                    "label": texts[name].label,
                    "value": format_number(entry.get(name), language, decimals=3),
                    "floor": format_number(floor.get(name), language, decimals=3),
                }
            )
    return rows


def _series_context(
    series: SeriesResults, data: ReportData, step: Callable[[str], None], images: Images
) -> dict[str, Any]:
    language = data.language
    t = STRINGS[language]
    metadata = series.run_metadata or {}
    step(f"{series.name}: series")
    raw, normalized = series_images(images, series.raw_plot, series.normalized_plot, language)
    columns = [str(c) for c in metadata.get("columns") or []]
    verdict = None
    if series.verdict is not None:
        passed = series.verdict.get("status") == "pass"
        verdict = {
            "passed": passed,
            "text": (t["verdict_pass"] if passed else t["verdict_fail"]).format(table=series.name),
        }
    return {
        "name": series.name,
        "parent": series.parent,
        "rows": format_number(metadata.get("rows"), language),
        "column_count": format_number(len(columns), language) if columns else MISSING,
        "seed": str(metadata["seed"]) if metadata.get("seed") is not None else MISSING,
        "settings": series_settings_rows(series, language),
        "privacy": metric_rows(series.privacy, language),
        "privacy_intro": t["series_privacy_intro"].format(parent=series.parent),
        "verdict": verdict,
        "attacks": attack_rows(series.attacks, language) if series.attacks else None,
        "attack_notes": attack_notes(series.attacks, language) if series.attacks else [],
        "attack_remedies": attack_remedies(series.attacks) if series.attacks else [],
        "signal": series_signal_rows(series, language),
        "raw": raw,
        "normalized": normalized,
    }


def _formulas_note(metadata: dict[str, Any], language: str) -> str | None:
    """What the report says of avatar text cells a spreadsheet would run as formulas (see
    ``avatar_yaml.spreadsheet_safety``), or None when there are none."""
    counts: dict[str, int] = metadata.get("formula_like_cells") or {}
    if not counts:
        return None
    columns = ", ".join(
        f"{column}: {format_number(count, language)}" for column, count in counts.items()
    )
    cells = format_number(sum(counts.values()), language)
    return str(STRINGS[language]["formulas_note"].format(cells=cells, columns=columns))


# --- relations -------------------------------------------------------------------------------

SHOWN_ASSOCIATIONS = 12
"""Pairs of columns shown per link, the most associated first: a wide link has hundreds."""


def _strength(pair: dict[str, Any]) -> float:
    values = [abs(float(v)) for v in (pair.get("original"), pair.get("avatars")) if v is not None]
    return max(values, default=-1.0)


def _association_rows(
    relation: dict[str, Any], language: str
) -> tuple[list[dict[str, str]], list[str]]:
    """The most associated pairs of a link as the report prints them, and notes on what the
    table leaves out."""
    t, choices = STRINGS[language], CHOICES[language]
    association = relation.get("association") or {}
    pairs = list(association.get("pairs") or [])
    shown = sorted(pairs, key=_strength, reverse=True)[:SHOWN_ASSOCIATIONS]
    rows = [
        {
            "parent_column": str(pair.get("parent_column")),
            "child_column": str(pair.get("child_column")),
            "measure": choices.get(f"measure.{pair.get('measure')}", str(pair.get("measure"))),
            "original": format_number(pair.get("original"), language, decimals=2),
            "avatars": format_number(pair.get("avatars"), language, decimals=2),
            "difference": format_number(pair.get("difference"), language, decimals=2),
        }
        for pair in shown
    ]
    notes = []
    if len(pairs) > len(shown):
        notes.append(t["association_shown"].format(shown=len(shown), total=len(pairs)))
    if association.get("mean_abs_difference") is not None:
        notes.append(
            t["association_mean"].format(
                total=len(pairs),
                value=format_number(association["mean_abs_difference"], language, decimals=3),
            )
        )
    left_out = association.get("columns_left_out") or {}
    columns = [*(left_out.get("parent") or []), *(left_out.get("child") or [])]
    if columns:
        notes.append(
            t["association_left_out"].format(
                cap=association.get("columns_cap"), columns=", ".join(str(c) for c in columns)
            )
        )
    if association.get("sampled"):
        used = (association.get("rows") or {}).get("original")
        notes.append(t["association_sampled"].format(rows=format_number(used, language)))
    return rows, notes


def _cardinality_rows(relation: dict[str, Any], language: str) -> list[tuple[str, str, str]]:
    t = STRINGS[language]
    cardinality = relation.get("cardinality") or {}
    original, avatars = cardinality.get("original") or {}, cardinality.get("avatars") or {}
    rows = []
    for key, label in (
        ("mean", t["cardinality_mean"]),
        ("sd", t["cardinality_sd"]),
        ("max", t["cardinality_max"]),
        ("childless", t["cardinality_childless"].format(parent=relation.get("parent"))),
    ):
        decimals = 2 if key in ("mean", "sd") else None
        rows.append(
            (
                label,
                format_number(original.get(key), language, decimals=decimals),
                format_number(avatars.get(key), language, decimals=decimals),
            )
        )
    return rows


def relations_context(relations: Sequence[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Each link of a multi-table run as the report prints it: method, integrity, children per
    parent, the most associated pairs of columns, and the privacy the lead job measured."""
    t, choices = STRINGS[language], CHOICES[language]
    shown = []
    for relation in relations:
        parent, child = str(relation.get("parent")), str(relation.get("child"))
        integrity = relation.get("integrity") or {}
        rows = integrity.get("avatar_rows")
        orphans = int(integrity.get("orphan_avatar_rows") or 0)
        if orphans:
            integrity_text = t["integrity_failed"].format(
                count=format_number(orphans, language),
                rows=format_number(rows, language),
                child=child,
                parent=parent,
            )
        else:
            integrity_text = t["integrity_ok"].format(
                rows=format_number(rows, language), child=child, parent=parent
            )
        associations, association_notes = _association_rows(relation, language)
        hellinger = (relation.get("cardinality") or {}).get("hellinger")
        privacy = relation.get("privacy")
        privacy_text = None
        if isinstance(privacy, dict) and privacy.get("hidden_rate") is not None:
            computation = str(privacy.get("computation_type"))
            privacy_text = t["relation_privacy_text"].format(
                child=child,
                computation=choices.get(f"computation.{computation}", computation),
                reference=privacy.get("reference"),
                value=format_percent(float(privacy["hidden_rate"]), language),
            )
        method = str(relation.get("method"))
        shown.append(
            {
                "parent": parent,
                "child": child,
                "title": t["relation_title"].format(
                    parent=parent, child=child, key=relation.get("child_key")
                ),
                "method": choices.get(f"method.{method}", method),
                "method_code": method,
                "sensitive": bool(relation.get("sensitive")),
                "integrity_ok": orphans == 0,
                "integrity": integrity_text,
                "cardinality_title": t["cardinality"].format(child=child, parent=parent),
                "cardinality": _cardinality_rows(relation, language),
                "hellinger": (
                    t["cardinality_hellinger"].format(
                        value=format_number(hellinger, language, decimals=3)
                    )
                    if hellinger is not None
                    else None
                ),
                "association_parent": t["association_parent"].format(parent=parent),
                "association_child": t["association_child"].format(child=child),
                "associations": associations,
                "association_notes": association_notes,
                "privacy": privacy_text,
            }
        )
    return shown


UNDECLARED = ("unknown", "undefined")
"""The privacy-impact values that mean "not declared": printed as to be completed."""


def _fact(label: str, value: str | None, missing: bool, language: str) -> dict[str, Any]:
    """A label and its value, or "to be completed" (marked, so it stands out) when missing."""
    if missing or value is None:
        return {"label": label, "value": STRINGS[language]["to_be_completed"], "todo": True}
    return {"label": label, "value": value, "todo": False}


def build_context(
    data: ReportData, progress: Progress | None = None, figures: FigureStore | None = None
) -> dict[str, Any]:
    """Everything the template prints, already translated and formatted; figures through
    ``figures`` when given (see :mod:`avatar_server.report.images`)."""
    if data.language not in STRINGS:
        raise ValueError(f"unknown report language {data.language!r}")
    language = data.language
    t = STRINGS[language]
    choices = CHOICES[language]
    steps = 1 + 3 * len(data.tables) + len(data.series) + (1 if data.relations else 0)
    done = 0

    def step(stage: str) -> None:
        nonlocal done
        if progress is not None:
            progress(stage, done / steps)
        done += 1

    names = {table.name for table in data.tables}
    orphans = [series.name for series in data.series if series.parent not in names]
    if orphans:
        raise ValueError(
            f"series tables {orphans} are reported without their persons' table: give their "
            "parent among the report's tables"
        )
    images = Images(figures, data.software_version)
    tables = []
    for table in data.tables:
        shown = _table_context(table, data, step, images)
        shown["series"] = [
            _series_context(series, data, step, images)
            for series in data.series
            if series.parent == table.name
        ]
        tables.append(shown)
    relations = relations_context(data.relations, language)
    cardinality: list[str] = []
    if data.relations:
        step("relations")
        cardinality = cardinality_images(images, data.relations, language)
    versions = {
        str(table.run_metadata.get("software_version"))
        for table in data.tables
        if table.run_metadata and table.run_metadata.get("software_version")
    }
    pia = data.pia
    pia_rows = [
        _fact(t[label], choices[f"{key}.{value}"], value in UNDECLARED, language)
        for label, key, value in (
            ("data_recipient", "datarecipient", pia.datarecipient),
            ("data_type", "data_type", pia.data_type),
            ("data_subject", "datasubject", pia.datasubject),
            ("sensitivity_level", "sensitivity_level", pia.sensitivity_level),
        )
    ]
    approver = data.approver or Approver()
    approver_rows = [
        _fact(t["approver_name"], approver.name, approver.name is None, language),
        _fact(t["approver_role"], approver.role, approver.role is None, language),
        _fact(
            t["approver_organisation"],
            approver.organisation,
            approver.organisation is None,
            language,
        ),
        _fact(
            t["approver_date"],
            format_day(approver.date, language) if approver.date is not None else None,
            approver.date is None,
            language,
        ),
    ]
    title = t["title_pia"] if data.report_type == "pia" else t["title_basic"]
    date = format_date(data.generated_at, language)
    return {
        "language": language,
        "t": t,
        "title": title,
        "subtitle": t["subtitle_pia"] if data.report_type == "pia" else None,
        "pia_first": data.report_type == "pia",
        "run_name": data.run_name,
        "date": date,
        "created": data.generated_at.isoformat(timespec="seconds"),
        "version": data.software_version,
        "generated": t["generated"].format(date=date, version=data.software_version),
        "avatar_version": ", ".join(sorted(versions)) or data.software_version,
        "pia_rows": pia_rows,
        "approver_rows": approver_rows,
        "tables": tables,
        "relations": relations,
        "cardinality_images": cardinality,
        "verdicts": verdicts(_in_report_order(data), language),
        "conclusion": conclusion(data.tables, language, data.series),
        "manifest": manifest_context(data.manifest, language),
    }


def _in_report_order(data: ReportData) -> list[TableResults | SeriesResults]:
    """Every table, each series table right after its parent."""
    ordered: list[TableResults | SeriesResults] = []
    for table in data.tables:
        ordered.append(table)
        ordered.extend(series for series in data.series if series.parent == table.name)
    return ordered


def _verdict_item(
    item: dict[str, Any], table: TableResults | SeriesResults, language: str
) -> dict[str, str]:
    """A failed verdict item in the report's language: what failed (a metric with its value
    and target as the metrics table prints them) and what to do. An item this report does not
    know (a newer server's) keeps the server's own English words."""
    t = STRINGS[language]
    name = str(item.get("name"))
    kind, _, suffix = name.partition(":")
    column = str(item.get("column") or suffix)
    fallback = {
        "code": name,
        "reason": str(item.get("reason") or ""),
        "remedy": str(item.get("remedy") or ""),
        "lang": "en",
    }
    metric = METRICS[language].get(name)
    view_metric = METRICS[language].get(str(item.get("metric"))) if "@" in name else None
    if view_metric is not None:
        computation = str(item.get("computation_type"))
        label = t["verdict_view_label"].format(
            label=view_metric.label,
            computation=CHOICES[language].get(f"computation.{computation}", computation),
            reference=item.get("reference"),
        )
        reason = t["verdict_metric_reason"].format(
            label=label,
            value=format_number(item.get("value"), language),
            target=format_target(item.get("target"), language),
        )
        remedy = t.get(f"remedy_{item.get('metric')}", t["remedy_raise_k"])
    elif metric is not None and kind.startswith("attack_"):
        value = format_number(item.get("value"), language)
        if item.get("low") is not None and item.get("high") is not None:
            value = t["attacks_interval"].format(
                value=value,
                low=format_number(item["low"], language),
                high=format_number(item["high"], language),
            )
        reason = t["verdict_metric_reason"].format(
            label=metric.label, value=value, target=format_target(item.get("target"), language)
        )
        # The remedy names the k or the column measured for this table: the server's words.
        return {"code": name, "reason": reason, "remedy": fallback["remedy"], "lang": "en"}
    elif metric is not None:
        reason = t["verdict_metric_reason"].format(
            label=metric.label,
            value=format_number(table.privacy.get(name), language),
            target=format_target((table.privacy.get("targets") or {}).get(name), language),
        )
        if name == "column_direct_match_protection":
            if not item.get("column"):
                return fallback | {"reason": reason, "lang": language}
            remedy = t["remedy_column"].format(column=column)
        else:
            remedy = t.get(f"remedy_{name}", t["remedy_raise_k"])
    elif kind == "verbatim_unique_values" and isinstance(item.get("count"), int):
        reason = t["verdict_verbatim_reason"].format(
            column=column,
            count=format_number(item["count"], language),
            rows=format_number(item.get("rows"), language),
        )
        remedy = t["remedy_column"].format(column=column)
    elif kind == "row_order_reattachment" and isinstance(item.get("variables"), list):
        reason = t["verdict_row_order_reason"].format(variables=", ".join(item["variables"]))
        remedy = t["remedy_row_order"]
    elif kind == "sensitive_original_order_assignment" and item.get("link"):
        reason = t["verdict_sensitive_link_reason"].format(link=item["link"])
        remedy = t["remedy_sensitive_link"]
    elif kind == "kept_as_is" and suffix:
        reason = t["verdict_kept_as_is_reason"].format(column=column)
        remedy = t["remedy_column"].format(column=column)
    else:
        return fallback
    return {"code": name, "reason": reason, "remedy": remedy, "lang": language}


def verdicts(
    tables: Sequence[TableResults | SeriesResults], language: str = "en"
) -> list[dict[str, Any]]:
    """Per table (series tables too), the privacy verdict and its failed items (what failed
    and what to do): what the report opens with, since it decides whether the avatars may be
    shared at all."""
    shown = []
    for table in tables:
        if table.verdict is None:  # results of an older server
            continue
        failed = [
            _verdict_item(item, table, language)
            for item in table.verdict.get("items", [])
            if not item.get("passed")
        ]
        shown.append(
            {"table": table.name, "passed": table.verdict.get("status") == "pass", "failed": failed}
        )
    return shown


def render_html(
    data: ReportData, progress: Progress | None = None, figures: FigureStore | None = None
) -> str:
    """The report as one self-contained HTML page (styles inline, images as data URIs)."""
    return render_page(build_context(data, progress, figures))


def render_page(context: dict[str, Any]) -> str:
    """The HTML page of a context made by :func:`build_context`: a run whose report is also
    written as DOCX builds the context once and hands it to both renderers."""
    return _environment().get_template("report.html.j2").render(**context)


def render_pdf(html: str) -> bytes:
    """The HTML report laid out on A4 pages by WeasyPrint, fonts embedded. Only ``data:``
    URLs are followed: the report needs nothing else, and a run name can never make the
    server fetch something.

    The page's ``<style>`` is handed to WeasyPrint as a stylesheet parsed once per distinct
    text (one per language), not re-parsed with each document. Python's cyclic garbage
    collector is held off while WeasyPrint builds its many short-lived objects: its repeated
    passes over them cost about a tenth of the time."""
    # WeasyPrint's progress ("Step 5 - Creating layout - Page 3") is not worth a log line per
    # page; set before the import, which already parses its default stylesheets.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    import weasyprint  # imported here: it loads pango, which only reports need

    start = html.find(_STYLE_OPEN)
    end = html.find(_STYLE_CLOSE, start)
    stylesheets = []
    if start >= 0 and end >= 0:
        stylesheets.append(_stylesheet(html[start + len(_STYLE_OPEN) : end]))
        html = html[:start] + html[end + len(_STYLE_CLOSE) :]
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    collecting = gc.isenabled()
    gc.disable()
    try:
        pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=stylesheets)
    finally:
        if collecting:
            gc.enable()
    if not isinstance(pdf, bytes):
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


_STYLE_OPEN = "<style>"
_STYLE_CLOSE = "</style>"


@functools.lru_cache(maxsize=8)
def _stylesheet(css: str) -> Any:
    """The report's styles parsed by WeasyPrint. It applies them as a user stylesheet, which
    ranks above its own defaults as the page's author styles would: the report has no other
    styles and no ``!important``."""
    import weasyprint

    return weasyprint.CSS(string=css)
