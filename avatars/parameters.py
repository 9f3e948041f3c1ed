"""The keyword arguments of :meth:`avatars.runner.Runner.set_parameters` and the run's
documents, both ways.

A table's parameters are spread over three documents (avatarization, privacy metrics, signal
metrics), as in the official client. :func:`to_documents` fills them from keywords, each value
read through the documents' own field declarations, so a keyword gets the same checks and
messages as the YAML key it fills; :func:`from_documents` gives the keywords back, for
:meth:`~avatars.runner.Runner.update_parameters` and for runs loaded from the server.

The metrics documents receive only what the metrics use: the projection of the privacy
metrics takes ``ncp`` and ``column_weights`` (and fills gaps its own way), the signal metrics
project nothing; both leave out the excluded variables. The server refuses the rest rather than
ignoring it (:func:`avatar_yaml.rules.check_supported`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from avatar_yaml import (
    AvatarizationParameters,
    ColumnInfo,
    ColumnType,
    Config,
    ConfigError,
    ExcludeVariables,
    ExcludeVariablesMethod,
    Imputation,
    KeepMode,
    PrivacyMetricsTableParameters,
    Pseudonymization,
    SignalMetricsTableParameters,
    TimeSeriesAlignment,
    TimeSeriesParameters,
    TimeSeriesProjection,
)
from avatar_yaml.fields import Node, plain, read_value
from avatar_yaml.rules import ColumnFacts, TableFacts

if TYPE_CHECKING:
    from avatars_api.models import DatasetOut

N = TypeVar("N", bound=Node)

SERIES_PREFIX = "time_series_"
"""A series table's keywords are its ``time_series`` keys with this prefix (``time_series_nf``
is ``projection.nf``), as in the official client."""
_PROJECTION_KEYS = ("projection_type", "nf", "block_weight")
_ALIGNMENT_KEYS = ("nb_points", "method", "unalignment")

KEYWORDS = (
    "k",
    "ncp",
    "use_categorical_reduction",
    "column_weights",
    "exclude_variable_names",
    "exclude_variable_method",
    "imputation_method",
    "imputation_k",
    "imputation_training_fraction",
    "imputation_return_data_imputed",
    "known_variables",
    "target",
    "categorical_hidden_rate_variables",
    "quantile_threshold",
    "processors",
    "use_excluded_variables_in_metrics",
    *(f"{SERIES_PREFIX}{name}" for name in ("nf", "projection_type", "block_weight")),
    *(f"{SERIES_PREFIX}{name}" for name in ("nb_points", "method", "unalignment")),
)
"""Every keyword of ``set_parameters``, in its signature's order."""

DEPENDENTS = {
    "exclude_variable_names": ("exclude_variable_method", "use_excluded_variables_in_metrics"),
    "imputation_method": (
        "imputation_k",
        "imputation_training_fraction",
        "imputation_return_data_imputed",
    ),
}
"""The keywords that only tune another one: removing that one removes them too."""

DEFAULT_EXCLUSION = ExcludeVariablesMethod.COORDINATE_SIMILARITY
"""How excluded variables come back when no method is named: by the avatar's position in the
projection, not by row order (``row_order`` keeps each value on its own person's avatar, so it
must be asked for, and it fails the privacy verdict)."""

_IMPUTATION_SETTINGS = ("imputation_k", "imputation_training_fraction")
_AVATARIZATION_ONLY = (
    "use_categorical_reduction",
    "imputation_method",
    "processors",
    "use_excluded_variables_in_metrics",
)


@dataclass
class TableDocuments:
    """One table's entries in the three parameter documents (None: no entry)."""

    avatarization: AvatarizationParameters | None
    privacy: PrivacyMetricsTableParameters | None
    signal: SignalMetricsTableParameters | None
    time_series: TimeSeriesParameters | None = None


def check_keywords(table_name: str, values: dict[str, Any]) -> None:
    """Refuse a keyword ``set_parameters`` does not take (a ValueError listing those it does)."""
    unknown = sorted(set(values) - set(KEYWORDS))
    if unknown:
        raise ConfigError(
            f"table {table_name!r}: unknown parameters {unknown}; allowed: {', '.join(KEYWORDS)}"
        )


def to_documents(table_name: str, **values: Any) -> TableDocuments:
    """The documents' entries for a table from ``set_parameters`` keywords (None: not set).

    Raises ConfigError (a ValueError) naming the keyword on any mistake the documents' fields
    and rules can see without the data.
    """
    where = f"table {table_name!r}: "
    check_keywords(table_name, values)
    if values.get("exclude_variable_method") is not None and not values.get(
        "exclude_variable_names"
    ):
        raise ConfigError(f"{where}exclude_variable_method needs exclude_variable_names")
    settings = (*_IMPUTATION_SETTINGS, "imputation_return_data_imputed")
    if values.get("imputation_method") is None and any(values.get(s) is not None for s in settings):
        raise ConfigError(f"{where}{', '.join(settings)} need imputation_method")
    exclusion = (
        ExcludeVariables.build(
            f"{where}exclude_variables: ",
            variable_names=values["exclude_variable_names"],
            replacement_strategy=values.get("exclude_variable_method") or DEFAULT_EXCLUSION,
        )
        if values.get("exclude_variable_names")
        else None
    )
    imputation = (
        Imputation.build(
            f"{where}imputation: ",
            method=values["imputation_method"],
            k=values.get("imputation_k"),
            training_fraction=values.get("imputation_training_fraction"),
            return_data_imputed=values.get("imputation_return_data_imputed"),
        )
        if values.get("imputation_method") is not None
        else None
    )
    weights = values.get("column_weights") or None
    avatarization = (
        AvatarizationParameters.build(
            where,
            k=values["k"],
            ncp=values.get("ncp"),
            use_categorical_reduction=values.get("use_categorical_reduction"),
            column_weights=weights,
            exclude_variables=exclusion,
            imputation=imputation,
            avatarization_processors_parameters=values.get("processors") or None,
        )
        if values.get("k") is not None
        else None
    )
    orphans = [name for name in _AVATARIZATION_ONLY if values.get(name) not in (None, False)]
    if avatarization is None and orphans:
        raise ConfigError(
            f"{where}{', '.join(orphans)} tune the avatarization, which needs k (without k the "
            "table is only measured)"
        )
    measured_exclusion = None if values.get("use_excluded_variables_in_metrics") else exclusion
    if values.get("use_excluded_variables_in_metrics") and exclusion is None:
        raise ConfigError(
            f"{where}use_excluded_variables_in_metrics measures the excluded variables too, "
            "which needs exclude_variable_names"
        )
    privacy = PrivacyMetricsTableParameters.build(
        where,
        ncp=values.get("ncp"),
        known_variables=values.get("known_variables") or None,
        target=values.get("target"),
        categorical_hidden_rate_variables=values.get("categorical_hidden_rate_variables"),
        quantile_threshold=values.get("quantile_threshold"),
        exclude_variables=measured_exclusion,
        column_weights=weights,
    )
    signal = SignalMetricsTableParameters.build(where, exclude_variables=measured_exclusion)
    return TableDocuments(
        avatarization=avatarization,
        privacy=privacy if privacy.to_dict() else None,
        signal=signal if signal.to_dict() else None,
        time_series=_series(where, values),
    )


def _series_node(cls: type[N], where: str, values: dict[str, Any], keys: tuple[str, ...]) -> N:
    """A node of a series table's ``time_series`` entry from its keywords; a mistake names
    the keyword (``time_series_nf``), not the YAML key (``nf``)."""
    chosen = {key: values.get(f"{SERIES_PREFIX}{key}") for key in keys}
    try:
        return cls.build(where, **chosen)
    except ConfigError as error:
        text = str(error)
        for key in keys:
            if text.startswith(f"{where}{key}"):
                text = f"{where}{SERIES_PREFIX}{key}{text[len(where) + len(key) :]}"
        raise ConfigError(text) from None


def _series(where: str, values: dict[str, Any]) -> TimeSeriesParameters | None:
    projection = _series_node(TimeSeriesProjection, where, values, _PROJECTION_KEYS)
    alignment = _series_node(TimeSeriesAlignment, where, values, _ALIGNMENT_KEYS)
    series = TimeSeriesParameters(
        projection=projection if projection.to_dict() else None,
        alignment=alignment if alignment.to_dict() else None,
    )
    return series if series.to_dict() else None


def table_documents(config: Config, table_name: str) -> TableDocuments:
    """A table's current entries in the run's documents."""
    parameters, privacy, signal = config.parameters, config.privacy_metrics, config.signal_metrics
    return TableDocuments(
        avatarization=(parameters.avatarization or {}).get(table_name) if parameters else None,
        privacy=(privacy.privacy_metrics or {}).get(table_name) if privacy else None,
        signal=(signal.signal_metrics or {}).get(table_name) if signal else None,
        time_series=(parameters.time_series or {}).get(table_name) if parameters else None,
    )


def from_documents(config: Config, table_name: str) -> dict[str, Any]:
    """The ``set_parameters`` keywords that give a table's current entries (set ones only):
    ``set_parameters(table, **from_documents(config, table))`` changes nothing."""
    entries = table_documents(config, table_name)
    found: dict[str, Any] = {}
    if entries.avatarization is not None:
        found["k"] = entries.avatarization.k
        found["processors"] = copy.deepcopy(
            entries.avatarization.avatarization_processors_parameters
        )
    nodes = [n for n in (entries.avatarization, entries.privacy, entries.signal) if n is not None]
    for name in ("ncp", "use_categorical_reduction", "column_weights"):
        for node in nodes:
            value = getattr(node, name)
            if value is not None:
                found[name] = copy.deepcopy(value)
                break
    for node in nodes:
        if node.exclude_variables is not None:
            found["exclude_variable_names"] = list(node.exclude_variables.variable_names)
            found["exclude_variable_method"] = node.exclude_variables.replacement_strategy
            break
    if entries.avatarization is not None and entries.avatarization.exclude_variables is not None:
        measured = [n for n in (entries.privacy, entries.signal) if n is not None]
        found["use_excluded_variables_in_metrics"] = not any(
            node.exclude_variables is not None for node in measured
        )
    for node in nodes:
        if node.imputation is not None:
            found["imputation_method"] = node.imputation.method
            found["imputation_k"] = node.imputation.k
            found["imputation_training_fraction"] = node.imputation.training_fraction
            found["imputation_return_data_imputed"] = node.imputation.return_data_imputed
            break
    if entries.privacy is not None:
        for name in (
            "known_variables",
            "target",
            "categorical_hidden_rate_variables",
            "quantile_threshold",
        ):
            found[name] = copy.deepcopy(getattr(entries.privacy, name))
    series = entries.time_series
    parts: tuple[tuple[Node | None, tuple[str, ...]], ...] = (
        (series.projection if series else None, _PROJECTION_KEYS),
        (series.alignment if series else None, _ALIGNMENT_KEYS),
    )
    for part, keys in parts:
        for key in keys if part is not None else ():
            found[f"{SERIES_PREFIX}{key}"] = getattr(part, key)
    return {name: value for name, value in found.items() if value is not None}


def describe(config: Config, table_name: str) -> dict[str, object]:
    """A table's entries as plain dicts, by document: what ``print_parameters`` shows."""
    entries = table_documents(config, table_name)
    shown = {
        "avatarization": entries.avatarization,
        "privacy_metrics": entries.privacy,
        "signal_metrics": entries.signal,
        "time_series": entries.time_series,
    }
    return {name: node.to_dict() for name, node in shown.items() if node is not None}


def table_columns(
    where: str,
    *,
    primary_key: object = None,
    foreign_keys: object = None,
    time_series_time: object = None,
    types: object = None,
    columns_to_drop: object = None,
    pseudonymize: object = None,
    keep: object = None,
) -> dict[str, ColumnInfo]:
    """The schema's column entries from ``add_table`` keywords, each read like its YAML key.

    A pseudonymization strategy may be given as its kind alone (``"UUID4"``). Only columns
    named somewhere get an entry; a column named twice gets one entry holding both choices
    (which the column rules then refuse, naming both).
    """
    foreign = read_value(list[str] | None, foreign_keys, f"{where}foreign_keys") or []
    dropped = read_value(list[str] | None, columns_to_drop, f"{where}columns_to_drop") or []
    chosen = read_value(dict[str, ColumnType] | None, types, f"{where}types") or {}
    if isinstance(pseudonymize, dict):
        pseudonymize = {
            column: {"kind": strategy} if isinstance(strategy, str) else strategy
            for column, strategy in pseudonymize.items()
        }
    strategies = (
        read_value(dict[str, Pseudonymization] | None, plain(pseudonymize), f"{where}pseudonymize")
        or {}
    )
    kept = read_value(dict[str, KeepMode] | None, keep, f"{where}keep") or {}
    for name, value in (("primary_key", primary_key), ("time_series_time", time_series_time)):
        read_value(str | None, value, f"{where}{name}")
    named = [str(n) for n in (primary_key, time_series_time) if n is not None]
    columns: dict[str, ColumnInfo] = {}
    for name in dict.fromkeys([*named, *foreign, *dropped, *chosen, *strategies, *kept]):
        columns[name] = ColumnInfo.build(
            where,
            field=name,
            type=chosen.get(name),
            identifier=True if name in foreign else None,
            primary_key=True if name == primary_key else None,
            time_series_time=True if name == time_series_time else None,
            drop=True if name in dropped else None,
            pseudonymization=strategies.get(name),
            keep=kept.get(name),
        )
    return columns


def dataset_facts(dataset: DatasetOut) -> TableFacts:
    """What the upload found, for the server's own rules (:func:`avatar_yaml.rules.check`)."""

    def role(column: Any, name: str) -> str | None:
        value = getattr(column, name, None)
        return value if isinstance(value, str) else None  # unset on an older server

    return TableFacts.of(
        dataset.rows,
        (
            (
                c.name,
                ColumnFacts(
                    dtype=c.dtype,
                    missing=c.missing,
                    distinct=c.distinct,
                    role=role(c, "role"),
                    role_reason=role(c, "role_reason"),
                ),
            )
            for c in dataset.columns
        ),
    )
