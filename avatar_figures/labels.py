"""The words drawn inside figures, per language, and the language-aware number formats.

Figures end up in reports read by people who may not read English (a French data protection
officer), so no string is hard-coded in the drawing code: every label comes from ``LABELS``.
"""

from __future__ import annotations

LANGUAGES = ("en", "fr")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "original": "Original",
        "avatars": "Avatars",
        "share": "Share of rows",
        "other": "other",
        "missing": "missing",
        "missing_note": "missing: original {original}, avatars {avatars}",
        "beyond_note": "beyond the axis: {original} original, {avatars} avatar values",
        "other_modalities": "other\n({count} modalities)",
        "no_variable": "No variable to show",
        "no_data": "No data",
        "association": "Association",
        "difference": "Avatars − original",
        "correlation_original": "Original data",
        "correlation_avatars": "Avatars",
        "correlation_difference": "Difference (avatars − original)",
        "axis": "Dim. {number} ({share})",
        "axis_plain": "Dim. {number}",
        "projection": "Projection on the first two axes",
        "projection_sample": "{shown} of {rows} rows per side",
        "true": "true",
        "false": "false",
        "time": "Time",
        "series_position": "Position in the series (start = 0, end = 1)",
        "series_bands": "Median and 10–90 % band across series",
        "projection_3d": "Projection on the first three axes",
        "class_projection": "Projection on the first two axes, by {variable}",
        "contribution": "Contribution of each variable to the axes (original data)",
        "contribution_share": "Contribution (%)",
        "not_projected": "not projected: {names}",
        "aggregate_stats": "Summary statistics",
        "first_variables": "the first {shown} of {count} variables",
        "statistic": "Statistic",
        "count": "count",
        "distinct": "distinct",
        "mean": "mean",
        "std": "std",
        "min": "min",
        "q25": "25 %",
        "median": "median",
        "q75": "75 %",
        "max": "max",
        "modality_count": "rows “{modality}”",
        "metrics_summary": "Metrics of {table} against their targets",
        "metric": "Metric",
        "value": "Value",
        "target": "Target",
        "verdict": "Verdict",
        "passed": "met",
        "failed": "missed",
        "no_target": "no target",
        "not_computed": "not computed",
    },
    "fr": {
        "original": "Originales",
        "avatars": "Avatars",
        "share": "Part des lignes",
        "other": "autres",
        "missing": "manquant",
        "missing_note": "manquants : originales {original}, avatars {avatars}",
        "beyond_note": "hors de l'axe : {original} valeurs originales, {avatars} d'avatars",
        "other_modalities": "autres\n({count} modalités)",
        "no_variable": "Aucune variable à afficher",
        "no_data": "Aucune donnée",
        "association": "Association",
        "difference": "Avatars − originales",
        "correlation_original": "Données originales",
        "correlation_avatars": "Avatars",
        "correlation_difference": "Différence (avatars − originales)",
        "axis": "Axe {number} ({share})",
        "axis_plain": "Axe {number}",
        "projection": "Projection sur les deux premiers axes",
        "projection_sample": "{shown} lignes sur {rows} de chaque côté",
        "true": "vrai",
        "false": "faux",
        "time": "Temps",
        "series_position": "Position dans la série (début = 0, fin = 1)",
        "series_bands": "Médiane et bande 10–90 % des séries",
        "projection_3d": "Projection sur les trois premiers axes",
        "class_projection": "Projection sur les deux premiers axes, par {variable}",
        "contribution": "Contribution de chaque variable aux axes (données originales)",
        "contribution_share": "Contribution (%)",
        "not_projected": "non projetées : {names}",
        "aggregate_stats": "Statistiques descriptives",
        "first_variables": "les {shown} premières variables sur {count}",
        "statistic": "Statistique",
        "count": "effectif",
        "distinct": "modalités",
        "mean": "moyenne",
        "std": "écart-type",
        "min": "min",
        "q25": "25 %",
        "median": "médiane",
        "q75": "75 %",
        "max": "max",
        "modality_count": "lignes « {modality} »",
        "metrics_summary": "Métriques de {table} face à leurs cibles",
        "metric": "Métrique",
        "value": "Valeur",
        "target": "Cible",
        "verdict": "Verdict",
        "passed": "atteinte",
        "failed": "manquée",
        "no_target": "sans cible",
        "not_computed": "non calculée",
    },
}


def labels(language: str) -> dict[str, str]:
    """The strings of ``language``; an unknown language is an error rather than English, so
    a report asked in a language we do not have never silently comes out in another one."""
    if language not in LABELS:
        raise ValueError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    return LABELS[language]


def decimal(text: str, language: str) -> str:
    """Number text written with the language's decimal mark (French: comma)."""
    return text.replace(".", ",") if language == "fr" else text


def percent(share: float, language: str, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage, e.g. ``12.5%`` / ``12,5 %`` (French puts a
    no-break space before the sign)."""
    text = decimal(f"{share * 100:.{decimals}f}", language)
    return f"{text}\u00a0%" if language == "fr" else f"{text}%"
