"""``Runner``: one avatarization run, from tables and parameters to results.

A runner holds the run's configuration (an :class:`avatar_yaml.config.Config`, the YAML the
server executes), uploads each table as soon as it is added, and launches the jobs. Mistakes
the client can see (an unknown table or column, ``k`` too large for the table, a misspelt
type) are refused at once with a ValueError, before anything runs: a run that would fail
minutes later on the server is a worse experience than an error on the line that caused it.

Results are read lazily: each accessor waits for the job that produces it (long-polls with a
progress bar), downloads the file once and keeps it for the next call.
"""

from __future__ import annotations

import copy
import html
import math
import os
import re
import sys
import uuid
import warnings
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import pandas as pd
import yaml
from avatars_api.models import BulkDeleteResponse

from avatar_yaml.config import (
    ADVICE_NAME,
    PARAMETERS_NAME,
    PRIVACY_METRICS_NAME,
    SIGNAL_METRICS_NAME,
    AvatarizationParameters,
    ColumnInfo,
    ColumnType,
    Config,
    DataRecipient,
    DataSubject,
    DataType,
    ExcludeVariables,
    ExcludeVariablesMethod,
    Imputation,
    ImputeMethod,
    JobKind,
    PiaMetadata,
    PrivacyMetricsTableParameters,
    ReportFormat,
    ReportLanguage,
    ReportType,
    SensitivityLevel,
    SignalMetricsTableParameters,
    TableInfo,
    report_name,
)
from avatars._waiting import wait_for_job
from avatars.display import JOB_HEADERS, JobList, ResultFiles, html_table, job_rows
from avatars.errors import ConflictError, NotFoundError
from avatars.plots import (
    SIDES,
    SOURCES,
    PlotKind,
    build_figure,
    enable_notebook_display,
    figure_png,
)
from avatars.version import client_version

if TYPE_CHECKING:
    from avatars_api.models import DatasetOut, JobOut, ResultFileOut
    from matplotlib.figure import Figure

    from avatars.client import ApiClient

E = TypeVar("E", bound=StrEnum)

TableSource = str | os.PathLike[str] | pd.DataFrame

DEFAULT_JOBS: tuple[JobKind, ...] = (
    JobKind.STANDARD,
    JobKind.SIGNAL_METRICS,
    JobKind.PRIVACY_METRICS,
    JobKind.REPORT,
)
"""What :meth:`Runner.run` launches when not told otherwise: avatars, both metrics, reports."""

_REPORTS = [report_name(report_type) for report_type in ReportType]
_WORK_ORDER = [
    PARAMETERS_NAME,
    SIGNAL_METRICS_NAME,
    PRIVACY_METRICS_NAME,
    *_REPORTS,
    ADVICE_NAME,
]
_DOCUMENT_OF_KIND = {
    JobKind.STANDARD: PARAMETERS_NAME,
    JobKind.SIGNAL_METRICS: SIGNAL_METRICS_NAME,
    JobKind.PRIVACY_METRICS: PRIVACY_METRICS_NAME,
    JobKind.REPORT: report_name(ReportType.BASIC),
    JobKind.ADVICE: ADVICE_NAME,
}
_REPORT_SUFFIXES = {".pdf": "PDF", ".html": "HTML", ".htm": "HTML"}
# Keys of a metrics result that are not metrics.
_NOT_METRICS = frozenset({"metadata", "targets", "passed", "details"})
# The server's rule for display names (PUT /resources/{display_name}).
_DISPLAY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def check_display_name(display_name: object) -> str:
    """Refuse, before any request, a name the server would refuse at the first ``run()``."""
    if not isinstance(display_name, str) or not _DISPLAY_NAME.match(display_name):
        raise ValueError(
            f"run name {display_name!r}: use 1 to 255 letters, digits, '_' or '-' "
            "(the server stores runs under this name)"
        )
    return display_name


def _choice(cls: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``cls`` (a member or its string value), else a ValueError
    that lists the allowed values: a typo should be fixed from the message alone."""
    if isinstance(value, cls):
        return value
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise ValueError(f"{what}: unknown value {value!r}; allowed: {allowed}") from None


def _integer(value: object, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what}: expected an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{what}: must be at least {minimum}, got {value}")
    return value


def _flag(value: object, what: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{what}: expected True or False, got {value!r}")
    return value


def _names(value: object, what: str) -> list[str] | None:
    """A list of column names; a lone string is refused (it would be read letter by letter)."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{what}: expected a list of column names, got {value!r}")
    names = list(value)
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"{what}: column names are strings, got {name!r}")
    return names


def _empty(node: PrivacyMetricsTableParameters | SignalMetricsTableParameters) -> bool:
    return not node.to_dict()


def _standalone(computations: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's own metrics among its computations (multi-table runs add others)."""
    for entry in computations:
        if (entry.get("metadata") or {}).get("computation_type") in (None, "standalone"):
            return entry
    return computations[0] if computations else {}


def _file_name(data: TableSource) -> str | None:
    return None if isinstance(data, pd.DataFrame) else Path(data).name


class Runner:
    """One avatarization run (a "set" on the server), usually made by
    :meth:`avatars.manager.Manager.create_runner`.

    Args:
        api_client: An authenticated :class:`avatars.client.ApiClient`.
        display_name: The run's name (letters, digits, ``_``, ``-``); several runs may share it.
        seed: Makes the avatarization and the metrics reproducible.
        max_distribution_plots: Cap on the distribution plots of the results.
        pia_data_recipient, pia_data_type, pia_data_subject, pia_sensitivity_level: Facts
            about the data for the privacy-impact (PIA) report.
        report_language: Language of the reports.
        show_progress: Show a progress bar while waiting for jobs; None follows the
            ``AVATAR_PROGRESS`` variable (default on).
    """

    def __init__(
        self,
        api_client: ApiClient,
        display_name: str,
        *,
        seed: int | None = None,
        max_distribution_plots: int | None = None,
        pia_data_recipient: DataRecipient = DataRecipient.UNKNOWN,
        pia_data_type: DataType = DataType.UNKNOWN,
        pia_data_subject: DataSubject = DataSubject.UNKNOWN,
        pia_sensitivity_level: SensitivityLevel = SensitivityLevel.UNDEFINED,
        report_language: ReportLanguage = ReportLanguage.EN,
        show_progress: bool | None = None,
    ) -> None:
        check_display_name(display_name)
        if seed is not None:
            _integer(seed, "seed", 0)
        if max_distribution_plots is not None:
            _integer(max_distribution_plots, "max_distribution_plots", 0)
        pia = PiaMetadata(
            datarecipient=_choice(DataRecipient, pia_data_recipient, "pia_data_recipient"),
            data_type=_choice(DataType, pia_data_type, "pia_data_type"),
            datasubject=_choice(DataSubject, pia_data_subject, "pia_data_subject"),
            sensitivity_level=_choice(
                SensitivityLevel, pia_sensitivity_level, "pia_sensitivity_level"
            ),
        )
        self.client = api_client
        self.report_language = _choice(ReportLanguage, report_language, "report_language")
        self.show_progress = show_progress
        self._config = Config.new(
            display_name,
            seed=seed,
            pia=pia,
            annotations={"client_type": "python", "client_version": client_version()},
            max_distribution_plots=max_distribution_plots,
        )
        self._set_name: str | None = None
        self._jobs: dict[str, str] = {}  # parameters name -> job name, for the current set
        self._finished: set[str] = set()  # job names known to be done
        self._datasets: dict[str, DatasetOut] = {}  # dataset id -> dataset
        self._files: dict[str, list[ResultFileOut]] = {}  # job name -> its result files
        self._downloads: dict[tuple[str, str], Any] = {}  # (job, file name) -> parsed content
        self._advice: dict[str, dict[str, Any]] = {}  # table -> advice from the server
        self._parametrized: set[str] = set()

    # -- state -------------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        return self._config.display_name

    @property
    def set_name(self) -> str | None:
        """The server's id of the last stored configuration (None before the first
        :meth:`advise_parameters` or :meth:`run`); every run stores a new one."""
        return self._set_name

    @property
    def config(self) -> Config:
        """The run's configuration, exactly what :meth:`get_yaml` writes."""
        return self._config

    @property
    def jobs(self) -> dict[str, str]:
        """The jobs of the current run: document name (``standard``, ``report``...) to the
        server's job name."""
        return dict(self._jobs)

    def __repr__(self) -> str:
        return f"Runner({self.display_name!r}, set_name={self._set_name!r})"

    # -- tables ------------------------------------------------------------------------------

    def _table(self, table_name: str) -> TableInfo:
        try:
            return self._config.table(table_name)
        except KeyError:
            known = ", ".join(self._config.table_names()) or "none; call add_table first"
            raise ValueError(f"unknown table {table_name!r} (tables: {known})") from None

    def _dataset(self, table_name: str) -> DatasetOut:
        """The uploaded dataset of a table (fetched once for a runner loaded from the server)."""
        table = self._table(table_name)
        if table.data is None:  # pragma: no cover - a schema table always has data
            raise ValueError(f"table {table_name!r} has no data")
        dataset_id = table.data.dataset_id
        if dataset_id not in self._datasets:
            try:
                self._datasets[dataset_id] = self.client.datasets.get_dataset(dataset_id)
            except (NotFoundError, ValueError):
                raise ValueError(
                    f"table {table_name!r}: its dataset {dataset_id} no longer exists on the "
                    "server; add the table again with add_table"
                ) from None
        return self._datasets[dataset_id]

    def _columns(self, table_name: str) -> list[str]:
        return [column.name for column in self._dataset(table_name).columns]

    def add_table(
        self,
        table_name: str,
        data: TableSource,
        *,
        primary_key: str | None = None,
        foreign_keys: list[str] | None = None,
        time_series_time: str | None = None,
        types: dict[str, ColumnType] | None = None,
        columns_to_drop: list[str] | None = None,
        individual_level: bool | None = None,
    ) -> None:
        """Upload a table (CSV or Parquet path, or a DataFrame) and declare it in the run.

        The upload happens now: the server discovers the columns, and every column named here
        is checked against them. ``types`` overrides the discovered type of some columns (a
        value that does not fit makes the job fail with the column named); the primary key and
        foreign keys are set aside, never mixed into avatars; ``columns_to_drop`` are left out.
        Adding a table under an existing name replaces it (its parameters stay).
        """
        if not isinstance(table_name, str) or not table_name.strip():
            raise ValueError(f"table name {table_name!r}: expected a non-empty string")
        if not isinstance(data, str | os.PathLike | pd.DataFrame):
            raise TypeError(
                f"table {table_name!r}: data must be a file path or a pandas DataFrame, "
                f"got {type(data).__name__}"
            )
        where = f"table {table_name!r}"
        foreign = _names(foreign_keys, f"{where}: foreign_keys") or []
        dropped = _names(columns_to_drop, f"{where}: columns_to_drop") or []
        if types is not None and not isinstance(types, dict):
            raise ValueError(f"{where}: types must map column names to ColumnType values")
        chosen = {
            column: _choice(ColumnType, kind, f"{where}: types[{column!r}]")
            for column, kind in (types or {}).items()
        }
        _flag(individual_level, f"{where}: individual_level")
        self._check_roles(where, primary_key, foreign, time_series_time, dropped)

        dataset = self.client.datasets.upload_dataset(data, name=table_name)
        available = [column.name for column in dataset.columns]
        named = [primary_key, time_series_time, *foreign, *dropped, *chosen]
        unknown = sorted({name for name in named if name is not None and name not in available})
        if unknown:
            self.client.datasets.delete_dataset(dataset.id)
            raise ValueError(f"{where}: unknown columns {unknown}; its columns: {available}")

        columns = []
        for name in available:
            info = ColumnInfo(
                field=name,
                type=chosen.get(name),
                identifier=True if name in foreign else None,
                primary_key=True if name == primary_key else None,
                time_series_time=True if name == time_series_time else None,
                drop=True if name in dropped else None,
            )
            if len(info.to_dict()) > 1:  # more than the bare field name
                columns.append(info)
        self._datasets[str(dataset.id)] = dataset
        self._config.add_table(
            table_name,
            str(dataset.id),
            file=_file_name(data),
            individual_level=individual_level,
            columns=columns or None,
        )
        self._advice.pop(table_name, None)

    @staticmethod
    def _check_roles(
        where: str,
        primary_key: str | None,
        foreign: list[str],
        time_column: str | None,
        dropped: list[str],
    ) -> None:
        """A column has one role: the same name as key, time and dropped column is a mistake."""
        for value, what in ((primary_key, "primary_key"), (time_column, "time_series_time")):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{where}: {what} must be a column name, got {value!r}")
        if primary_key is not None and primary_key == time_column:
            raise ValueError(f"{where}: {primary_key!r} cannot be both primary key and time")
        if primary_key is not None and primary_key in foreign:
            raise ValueError(f"{where}: {primary_key!r} cannot be both primary and foreign key")
        if time_column is not None and time_column in foreign:
            raise ValueError(f"{where}: {time_column!r} cannot be both time and foreign key")
        keys = {primary_key, time_column, *foreign}
        clash = sorted(name for name in dropped if name in keys)
        if clash:
            raise ValueError(f"{where}: keys and the time column cannot be dropped: {clash}")

    # -- parameters --------------------------------------------------------------------------

    def set_parameters(
        self,
        table_name: str,
        *,
        k: int | None = None,
        ncp: int | None = None,
        use_categorical_reduction: bool | None = None,
        column_weights: dict[str, float] | None = None,
        exclude_variable_names: list[str] | None = None,
        exclude_variable_method: ExcludeVariablesMethod | None = None,
        imputation_method: ImputeMethod | None = None,
        imputation_k: int | None = None,
        imputation_training_fraction: float | None = None,
        imputation_return_data_imputed: bool | None = None,
        known_variables: list[str] | None = None,
        target: str | None = None,
        quantile_threshold: int | None = None,
    ) -> None:
        """Set (replace) every parameter of a table: avatarization and both metrics.

        ``k`` (neighbours mixed into each avatar) turns avatarization on for the table; the
        other settings tune the projection, missing values and the privacy attacker model
        (``known_variables``, ``target``). Everything is checked against the uploaded table
        here, so a mistake fails now rather than in a job.
        """
        where = f"table {table_name!r}"
        rows = self._dataset(table_name).rows
        columns = set(self._columns(table_name))

        def check_columns(names: Iterable[str], what: str) -> None:
            unknown = sorted({name for name in names if name not in columns})
            if unknown:
                raise ValueError(
                    f"{where}: {what} names unknown columns {unknown}; "
                    f"its columns: {sorted(columns)}"
                )

        if k is not None:
            k = _integer(k, f"{where}: k", 2)
            if k >= rows:
                raise ValueError(f"{where}: k={k} must be smaller than the table's {rows} rows")
        if ncp is not None:
            ncp = _integer(ncp, f"{where}: ncp", 1)
        _flag(use_categorical_reduction, f"{where}: use_categorical_reduction")
        _flag(imputation_return_data_imputed, f"{where}: imputation_return_data_imputed")
        weights: dict[str, float] | None = None
        if column_weights is not None:
            if not isinstance(column_weights, dict):
                raise ValueError(f"{where}: column_weights must map column names to weights")
            check_columns(column_weights, "column_weights")
            for column, weight in column_weights.items():
                if isinstance(weight, bool) or not isinstance(weight, int | float):
                    raise ValueError(f"{where}: column_weights[{column!r}] must be a number")
                if not (math.isfinite(weight) and weight > 0):
                    raise ValueError(f"{where}: column_weights[{column!r}] must be positive")
            weights = dict(column_weights) or None
        excluded = _names(exclude_variable_names, f"{where}: exclude_variable_names") or None
        if excluded:
            check_columns(excluded, "exclude_variable_names")
        method = (
            None
            if exclude_variable_method is None
            else _choice(
                ExcludeVariablesMethod, exclude_variable_method, f"{where}: exclude_variable_method"
            )
        )
        if method is not None and not excluded:
            raise ValueError(f"{where}: exclude_variable_method needs exclude_variable_names")
        impute = (
            None
            if imputation_method is None
            else _choice(ImputeMethod, imputation_method, f"{where}: imputation_method")
        )
        if imputation_k is not None:
            imputation_k = _integer(imputation_k, f"{where}: imputation_k", 1)
        if imputation_training_fraction is not None:
            fraction = imputation_training_fraction
            if isinstance(fraction, bool) or not isinstance(fraction, int | float):
                raise ValueError(f"{where}: imputation_training_fraction must be a number")
            if not 0 < fraction <= 1:
                raise ValueError(
                    f"{where}: imputation_training_fraction must be in (0, 1], got {fraction}"
                )
        settings = (imputation_k, imputation_training_fraction, imputation_return_data_imputed)
        if impute is None and any(value is not None for value in settings):
            raise ValueError(
                f"{where}: imputation_k, imputation_training_fraction and "
                "imputation_return_data_imputed need imputation_method"
            )
        known = _names(known_variables, f"{where}: known_variables") or None
        if known:
            check_columns(known, "known_variables")
        if target is not None:
            if not isinstance(target, str):
                raise ValueError(f"{where}: target must be a column name, got {target!r}")
            check_columns([target], "target")
            if known and target in known:
                raise ValueError(f"{where}: the target {target!r} cannot be a known variable")
        if quantile_threshold is not None:
            quantile_threshold = _integer(quantile_threshold, f"{where}: quantile_threshold", 0)

        exclusion = (
            ExcludeVariables(
                variable_names=list(excluded),
                replacement_strategy=method or ExcludeVariablesMethod.ROW_ORDER,
            )
            if excluded
            else None
        )
        imputation = (
            Imputation(
                method=impute,
                k=imputation_k,
                training_fraction=imputation_training_fraction,
                return_data_imputed=imputation_return_data_imputed,
            )
            if impute is not None
            else None
        )
        avatarization = (
            AvatarizationParameters(
                k=k,
                ncp=ncp,
                use_categorical_reduction=use_categorical_reduction,
                column_weights=weights,
                exclude_variables=exclusion,
                imputation=imputation,
            )
            if k is not None
            else None
        )
        privacy = PrivacyMetricsTableParameters(
            ncp=ncp,
            use_categorical_reduction=use_categorical_reduction,
            known_variables=known,
            target=target,
            quantile_threshold=quantile_threshold,
            imputation=copy.deepcopy(imputation),
            exclude_variables=copy.deepcopy(exclusion),
            column_weights=dict(weights) if weights else None,
        )
        signal = SignalMetricsTableParameters(
            ncp=ncp,
            use_categorical_reduction=use_categorical_reduction,
            imputation=copy.deepcopy(imputation),
            column_weights=dict(weights) if weights else None,
            exclude_variables=copy.deepcopy(exclusion),
        )
        if k == 2:
            warnings.warn(
                f"{where}: k=2 mixes each avatar from only two records, a weak protection; "
                "check the privacy metrics, or use a larger k",
                UserWarning,
                stacklevel=2,
            )
        self._config.set_parameters(
            table_name,
            avatarization=avatarization,
            privacy=None if _empty(privacy) else privacy,
            signal=None if _empty(signal) else signal,
        )
        self._parametrized.add(table_name)

    def _current_parameters(self, table_name: str) -> dict[str, Any]:
        """The keyword arguments of :meth:`set_parameters` that give the table's current
        parameters (read from the configuration, so it also works for a loaded run)."""
        config = self._config
        parameters, privacy_doc, signal_doc = (
            config.parameters,
            config.privacy_metrics,
            config.signal_metrics,
        )
        avatarization = (parameters.avatarization or {}).get(table_name) if parameters else None
        privacy = (privacy_doc.privacy_metrics or {}).get(table_name) if privacy_doc else None
        signal = (signal_doc.signal_metrics or {}).get(table_name) if signal_doc else None
        found: dict[str, Any] = {}
        if avatarization is not None:
            found["k"] = avatarization.k
        shared = [node for node in (avatarization, privacy, signal) if node is not None]
        for name in ("ncp", "use_categorical_reduction", "column_weights"):
            for node in shared:
                value = getattr(node, name)
                if value is not None:
                    found[name] = copy.deepcopy(value)
                    break
        for node in shared:
            if node.exclude_variables is not None:
                found["exclude_variable_names"] = list(node.exclude_variables.variable_names)
                found["exclude_variable_method"] = node.exclude_variables.replacement_strategy
                break
        for node in shared:
            if node.imputation is not None:
                found["imputation_method"] = node.imputation.method
                found["imputation_k"] = node.imputation.k
                found["imputation_training_fraction"] = node.imputation.training_fraction
                found["imputation_return_data_imputed"] = node.imputation.return_data_imputed
                break
        if privacy is not None:
            found["known_variables"] = copy.deepcopy(privacy.known_variables)
            found["target"] = privacy.target
            found["quantile_threshold"] = privacy.quantile_threshold
        return {name: value for name, value in found.items() if value is not None}

    def update_parameters(self, table_name: str, **overrides: Any) -> None:
        """Change some parameters of a table and keep the others (``name=None`` unsets one).

        Raises ValueError if the table has no parameters yet: use :meth:`set_parameters`.
        """
        self._table(table_name)
        current = self._current_parameters(table_name)
        if table_name not in self._parametrized and not current:
            raise ValueError(
                f"table {table_name!r} has no parameters yet: call set_parameters first"
            )
        self.set_parameters(table_name, **{**current, **overrides})

    def delete_parameters(self, table_name: str) -> None:
        """Remove every parameter of a table (it is then neither avatarized nor measured)."""
        self._table(table_name)
        self._config.delete_parameters(table_name)
        self._parametrized.discard(table_name)

    def print_parameters(self, table_name: str | None = None) -> None:
        """Print the parameters of one table, or of every table."""
        tables = [table_name] if table_name is not None else self._config.table_names()
        config = self._config
        for name in tables:
            self._table(name)
            entries: dict[str, object] = {}
            if config.parameters is not None and name in (config.parameters.avatarization or {}):
                entries["avatarization"] = (config.parameters.avatarization or {})[name].to_dict()
            if config.privacy_metrics is not None and name in (
                config.privacy_metrics.privacy_metrics or {}
            ):
                entries["privacy_metrics"] = (config.privacy_metrics.privacy_metrics or {})[
                    name
                ].to_dict()
            if config.signal_metrics is not None and name in (
                config.signal_metrics.signal_metrics or {}
            ):
                entries["signal_metrics"] = (config.signal_metrics.signal_metrics or {})[
                    name
                ].to_dict()
            text = yaml.safe_dump(entries, sort_keys=False) if entries else "no parameters\n"
            body = "".join(f"  {line}\n" for line in text.splitlines())
            sys.stdout.write(f"table {name}:\n{body}")

    # -- advice ------------------------------------------------------------------------------

    def advise_parameters(self, table_name: str | None = None) -> None:
        """Ask the server to advise parameters for one table (or all), then apply them with
        :meth:`set_parameters`. Waits for the advice job; the advice is kept, for
        :meth:`table_summary` and to skip the job when asked again."""
        tables = [table_name] if table_name is not None else self._config.table_names()
        if not tables:
            raise ValueError("the run has no table: call add_table first")
        for name in tables:
            self._table(name)
        if any(name not in self._advice for name in tables):
            self._config.add_advice()
            try:
                set_name = self._store()
            finally:
                self._config.advice = None  # the advice document belongs to its own set only
            job = self.client.jobs.create_job(set_name, ADVICE_NAME)
            self._jobs[ADVICE_NAME] = job.name
            self._load_advice()
        for name in tables:
            advice = self._advice.get(name)
            if advice is None:
                raise ValueError(f"the server gave no advice for table {name!r}")
            for message in advice.get("warnings") or []:
                warnings.warn(f"table {name!r}: {message}", UserWarning, stacklevel=2)
            imputation = advice.get("imputation") or {}
            self.set_parameters(
                name,
                k=advice.get("k"),
                ncp=advice.get("ncp"),
                use_categorical_reduction=advice.get("use_categorical_reduction"),
                imputation_method=imputation.get("method"),
                imputation_k=imputation.get("k"),
                imputation_training_fraction=imputation.get("training_fraction"),
                imputation_return_data_imputed=imputation.get("return_data_imputed"),
            )

    def _load_advice(self) -> None:
        job_name, files = self._results_of(ADVICE_NAME)
        for entry in files:
            if entry.kind != "advice":
                continue
            for item in self._read_json(job_name, entry):
                if isinstance(item, dict) and isinstance(item.get("advice"), dict):
                    self._advice[str(item["table_name"])] = item["advice"]

    def table_summary(self, table_name: str) -> pd.DataFrame:
        """Per-column statistics of a table (type, missing values, distinct values, range...),
        computed by the advice job: call :meth:`advise_parameters` first."""
        self._table(table_name)
        if table_name not in self._advice and ADVICE_NAME in self._jobs:
            self._load_advice()
        advice = self._advice.get(table_name)
        if advice is None:
            raise ValueError(
                f"no summary for table {table_name!r}: it comes with the advice, "
                "call advise_parameters() first"
            )
        stats = (advice.get("summary") or {}).get("stats") or []
        return pd.DataFrame(stats)

    # -- running -----------------------------------------------------------------------------

    def _store(self) -> str:
        """Send the configuration; the server checks it and answers with a new set."""
        stored = self.client.resources.put_resources(self.display_name, self._config.to_yaml())
        self._set_name = str(stored.set_name)
        return self._set_name

    def run(
        self, jobs_to_run: Sequence[JobKind | str] | None = None, ignore_warnings: bool = False
    ) -> None:
        """Store the configuration as a new set and launch its jobs; returns without waiting.

        Default jobs: avatarization (``standard``), signal and privacy metrics (which start
        when the avatars are ready) and the reports (when both metrics are). Results are read
        with :meth:`shuffled`, :meth:`privacy_metrics`... which wait for their job. A runner
        that already ran warns, with the previous ``set_name`` to reload those results,
        unless ``ignore_warnings``.
        """
        requested = list(DEFAULT_JOBS if jobs_to_run is None else jobs_to_run)
        kinds = {_choice(JobKind, kind, "jobs_to_run") for kind in requested}
        if not kinds:
            raise ValueError("jobs_to_run is empty")
        if JobKind.ADVICE in kinds:
            raise ValueError("advice is not run by run(): call advise_parameters()")
        if JobKind.STANDARD in kinds and self._config.parameters is None:
            raise ValueError(
                "no table has avatarization parameters: call set_parameters(table, k=...) "
                "or advise_parameters() first"
            )
        metrics = {JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS}
        if kinds & metrics and JobKind.STANDARD not in kinds:
            raise ValueError("metrics measure the avatars of the same run: add JobKind.STANDARD")
        if JobKind.REPORT in kinds and not metrics <= kinds:
            raise ValueError(
                "the report summarizes both metrics: add JobKind.PRIVACY_METRICS and "
                "JobKind.SIGNAL_METRICS"
            )
        previous = [name for name in self._jobs if name != ADVICE_NAME]
        if previous and not ignore_warnings:
            warnings.warn(
                f"this runner already ran (set_name {self._set_name!r}); run() starts a new "
                f"set. The previous results stay available with "
                f"manager.create_runner_from_id({self._set_name!r})",
                UserWarning,
                stacklevel=2,
            )
        for name in previous:
            del self._jobs[name]
        if JobKind.REPORT in kinds:
            for report_type in ReportType:
                # The server writes HTML reports, whatever the type.
                self._config.add_report(report_type, self.report_language, ReportFormat.HTML)
        set_name = self._store()

        def launch(document: str, parents: Sequence[str]) -> None:
            depends_on = [self._jobs[parent] for parent in parents]
            self._jobs[document] = self.client.jobs.create_job(set_name, document, depends_on).name

        metrics_names = []
        if JobKind.STANDARD in kinds:
            launch(PARAMETERS_NAME, [])
        if JobKind.SIGNAL_METRICS in kinds:
            launch(SIGNAL_METRICS_NAME, [PARAMETERS_NAME])
            metrics_names.append(SIGNAL_METRICS_NAME)
        if JobKind.PRIVACY_METRICS in kinds:
            launch(PRIVACY_METRICS_NAME, [PARAMETERS_NAME])
            metrics_names.append(PRIVACY_METRICS_NAME)
        if JobKind.REPORT in kinds:
            for report in _REPORTS:
                launch(report, metrics_names)

    def _job_name(self, job: JobKind | str) -> str:
        """The server's name of one of this runner's jobs, given as a kind (``standard``), a
        document name (``report_pia``) or the job name itself."""
        if isinstance(job, JobKind):
            document = _DOCUMENT_OF_KIND[job]
        elif isinstance(job, str):
            if job in self._jobs.values():
                return job
            document = job
        else:
            raise TypeError(f"expected a JobKind or a job name, got {type(job).__name__}")
        if document not in self._jobs:
            launched = ", ".join(self._jobs) or "none: call run() first"
            raise ValueError(f"this runner has no {document!r} job (jobs: {launched})")
        return self._jobs[document]

    def _fetch_jobs(self, names: Sequence[str]) -> dict[str, JobOut]:
        return {job.name: job for job in self.client.jobs.get_jobs(names=names).jobs}

    def statuses(self) -> dict[str, str]:
        """The status of each job of the run (``pending``, ``running``, ``done``, ``failed``,
        ``cancelled``), in the order they run; deleted jobs are left out."""
        found = self._fetch_jobs(list(self._jobs.values()))
        return {
            document: str(found[self._jobs[document]].status)
            for document in self._ordered_documents()
            if self._jobs[document] in found
        }

    def _ordered_documents(self) -> list[str]:
        return sorted(
            self._jobs,
            key=lambda name: _WORK_ORDER.index(name) if name in _WORK_ORDER else len(_WORK_ORDER),
        )

    def get_status(self, job_kind: JobKind | str) -> str:
        """The status of one job, named by kind (``JobKind.STANDARD``) or document name."""
        return str(self.client.jobs.get_job(self._job_name(job_kind)).status)

    def _selected(self, job_names: Sequence[JobKind | str] | None) -> list[str]:
        if job_names is None:
            return list(self._jobs.values())
        return [self._job_name(job) for job in job_names]

    def cancel(self, job_names: Sequence[JobKind | str] | None = None) -> list[JobOut]:
        """Cancel the run's unfinished jobs (or those named); returns the cancelled jobs.

        Dependents are cancelled before the jobs they wait for: cancelling a parent first
        would fail them (with the parent's reason) before they could be cancelled.
        """
        cancelled = []
        for name in reversed(self._selected(job_names)):
            try:
                if self.client.jobs.get_job(name).done:
                    continue
                cancelled.append(self.client.jobs.cancel_job(name))
            except ConflictError:  # finished meanwhile
                continue
        return cancelled

    def delete(self, job_names: Sequence[JobKind | str] | None = None) -> BulkDeleteResponse:
        """Delete the run's jobs (or those named) and their results on the server."""
        names = self._selected(job_names)
        answer = self.client.jobs.bulk_delete_jobs(names)
        gone = set(names) - set(answer.failed_jobs)
        for document, name in list(self._jobs.items()):
            if name in gone:
                del self._jobs[document]
                self._files.pop(name, None)
        return answer

    # -- results -----------------------------------------------------------------------------

    def _results_of(self, document: str) -> tuple[str, list[ResultFileOut]]:
        """Wait for the job of ``document`` and list its files (once)."""
        name = self._job_name(document)
        if name not in self._finished:
            label = f"{self.display_name} {document}"
            wait_for_job(self.client, name, show_progress=self.show_progress, label=label)
            self._finished.add(name)
        if name not in self._files:
            self._files[name] = list(self.client.results.get_results(name).files)
        return name, self._files[name]

    def _entry(self, document: str, kind: str, table_name: str) -> tuple[str, ResultFileOut]:
        self._table(table_name)
        job_name, files = self._results_of(document)
        for entry in files:
            if entry.kind == kind and entry.table == table_name:
                return job_name, entry
        tables = sorted({str(entry.table) for entry in files if entry.kind == kind})
        raise ValueError(
            f"the {document} job has no {kind} result for table {table_name!r} "
            f"(tables with one: {', '.join(tables) or 'none'}); was it given parameters?"
        )

    def _read_json(self, job_name: str, entry: ResultFileOut) -> Any:
        key = (job_name, entry.name)
        if key not in self._downloads:
            self._downloads[key] = self.client.results.read_json(job_name, entry)
        return copy.deepcopy(self._downloads[key])

    def _table_result(self, document: str, kind: str, table_name: str) -> pd.DataFrame:
        job_name, entry = self._entry(document, kind, table_name)
        key = (job_name, entry.name)
        if key not in self._downloads:
            self._downloads[key] = self.client.results.read_table(job_name, entry)
        frame: pd.DataFrame = self._downloads[key]
        return frame.copy()

    def _json_result(self, document: str, kind: str, table_name: str) -> list[dict[str, Any]]:
        job_name, entry = self._entry(document, kind, table_name)
        payload = self._read_json(job_name, entry)
        return payload if isinstance(payload, list) else [payload]

    def shuffled(self, table_name: str) -> pd.DataFrame:
        """The table's avatars, in random order: the anonymous data to share."""
        return self._table_result(PARAMETERS_NAME, "shuffled", table_name)

    def sensitive_unshuffled(self, table_name: str) -> pd.DataFrame:
        """The avatars in the order of the original rows. Sensitive: row order links each
        avatar to its original record; do not share."""
        return self._table_result(PARAMETERS_NAME, "unshuffled", table_name)

    def projections(self, table_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Coordinates of the original records and of the avatars in the projection space."""
        original = self._table_result(PARAMETERS_NAME, "original_projections", table_name)
        avatars = self._table_result(PARAMETERS_NAME, "avatar_projections", table_name)
        return original, avatars

    def privacy_metrics(self, table_name: str) -> list[dict[str, Any]]:
        """Privacy metrics of the table (``hidden_rate``, ``local_cloaking``...), one dict per
        computation, with their ``targets``."""
        return self._json_result(PRIVACY_METRICS_NAME, "privacy_metrics", table_name)

    def signal_metrics(self, table_name: str) -> list[dict[str, Any]]:
        """Utility metrics of the table (``hellinger_mean``...), one dict per computation."""
        return self._json_result(SIGNAL_METRICS_NAME, "signal_metrics", table_name)

    @overload
    def download_report(
        self, path: None = None, report_type: ReportType | str = ReportType.BASIC
    ) -> list[Path]: ...

    @overload
    def download_report(
        self, path: str | os.PathLike[str], report_type: ReportType | str = ReportType.BASIC
    ) -> Path | list[Path]: ...

    def download_report(
        self,
        path: str | os.PathLike[str] | None = None,
        report_type: ReportType | str = ReportType.BASIC,
    ) -> Path | list[Path]:
        """Wait for the report and save it; returns what was written.

        The format follows ``path``'s suffix: ``report.pdf`` saves the PDF, ``report.html``
        the HTML page (same content: one to sign and archive, one to read in a browser). A
        folder (an existing one, or a path without suffix, created if needed) receives both
        files under the server's names, as does the current folder when ``path`` is None;
        the list of their paths is returned then. Another suffix is refused before waiting.
        """
        document = report_name(_choice(ReportType, report_type, "report_type"))
        target = Path.cwd() if path is None else Path(path)
        both = path is None or target.is_dir() or not target.suffix
        wanted = _REPORT_SUFFIXES.get(target.suffix.lower())
        if not both and wanted is None:
            raise ValueError(
                f"report path {str(target)!r}: the suffix decides the format, use .pdf or "
                ".html (or a folder, for both files)"
            )
        job_name, files = self._results_of(document)
        reports = [entry for entry in files if entry.kind == "report"]
        if not reports:
            raise ValueError(f"the {document} job produced no report file")
        if both:
            target.mkdir(parents=True, exist_ok=True)
            return [
                self.client.results.download_file(job_name, entry.name, target / entry.name)
                for entry in reports
            ]
        for entry in reports:
            if _REPORT_SUFFIXES.get(Path(entry.name).suffix.lower()) == wanted:
                return self.client.results.download_file(job_name, entry.name, target)
        written = ", ".join(entry.name for entry in reports)
        raise ValueError(f"the {document} job wrote no {wanted} report (it wrote: {written})")

    # -- plots and summaries -----------------------------------------------------------------

    def render_plot(
        self,
        table_name: str,
        kind: PlotKind | str,
        *,
        path: str | os.PathLike[str] | None = None,
        side: str = "original",
        language: ReportLanguage | str | None = None,
    ) -> Figure:
        """Draw one plot of a table from the data the run's jobs stored; returns the figure.

        Kinds (:class:`avatars.plots.PlotKind`): ``distribution`` (every variable, originals
        beside avatars), ``correlation`` (one side's matrix: ``side="original"`` or
        ``"avatars"``), ``correlation_difference`` and ``2d_projection``. Only stored
        summaries are read, never the original rows, so a runner reloaded by name can plot.
        ``path`` also writes a PNG (into a folder as ``<table>.<kind>.png``). ``language``
        defaults to the run's report language. As a notebook cell's value, the figure
        displays as an image.
        """
        plot = _choice(PlotKind, kind, "plot kind")
        self._table(table_name)
        if side not in SIDES:
            raise ValueError(f"side: unknown value {side!r}; allowed: {', '.join(SIDES)}")
        if side != "original" and plot is not PlotKind.CORRELATION:
            raise ValueError("side chooses the matrix of a correlation plot only")
        chosen = _choice(
            ReportLanguage,
            self.report_language if language is None else language,
            "language",
        )
        source = SOURCES[plot]
        if source.document not in self._jobs:
            launched = ", ".join(self._jobs) or "none: call run() first"
            raise ValueError(
                f"{plot.value} plots are drawn from the {source.document} job, which this run "
                f"did not launch (jobs: {launched}); run() with JobKind.{source.job_kind.name}"
            )
        job_name, files = self._results_of(source.document)
        entry = next(
            (f for f in files if f.kind == source.result_kind and f.table == table_name), None
        )
        if entry is None:
            raise ValueError(
                f"the {source.document} job stored no {source.result_kind} data for table "
                f"{table_name!r}: was the table avatarized in this run? (runs from a server "
                "without plot data need to run again)"
            )
        figure = build_figure(
            plot, self._read_json(job_name, entry), side=side, language=chosen.value
        )
        if path is not None:
            destination = Path(path)
            if destination.is_dir():
                destination = destination / f"{table_name}.{plot.value}.png"
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(figure_png(figure))
        enable_notebook_display()
        return figure

    def metrics_summary(self) -> pd.DataFrame:
        """Every privacy and signal metric of every avatarized table, one row per table.

        The columns are a two-level index ``(view, metric)``: ``view`` is ``value`` (the
        metric), ``target`` (the server's target, e.g. ``"> 90"``) or ``passed`` (True,
        False, or None for a metric without target or not computed). So
        ``summary["value"]`` is the plain table of values, ``summary["passed"]`` the
        verdicts, and ``summary["value", "hidden_rate"]`` one column. Waits for the metrics
        jobs of the run (those it launched).
        """
        sources = [
            (document, kind)
            for document, kind in (
                (PRIVACY_METRICS_NAME, "privacy_metrics"),
                (SIGNAL_METRICS_NAME, "signal_metrics"),
            )
            if document in self._jobs
        ]
        if not sources:
            raise ValueError(
                "this run has no metrics job: run() with JobKind.PRIVACY_METRICS and "
                "JobKind.SIGNAL_METRICS"
            )
        parameters = self._config.parameters
        tables = [
            name
            for name in self._config.table_names()
            if parameters is not None and name in (parameters.avatarization or {})
        ]
        metrics: list[str] = []
        rows: dict[str, dict[tuple[str, str], Any]] = {}
        for table in tables:
            row: dict[tuple[str, str], Any] = {}
            for document, kind in sources:
                entry = _standalone(self._json_result(document, kind, table))
                for name, value in entry.items():
                    if name in _NOT_METRICS:
                        continue
                    if name not in metrics:
                        metrics.append(name)
                    row["value", name] = math.nan if value is None else value
                    row["target", name] = (entry.get("targets") or {}).get(name)
                    row["passed", name] = (entry.get("passed") or {}).get(name)
            rows[table] = row
        columns = pd.MultiIndex.from_tuples(
            [(view, name) for view in ("value", "target", "passed") for name in metrics],
            names=["view", "metric"],
        )
        summary = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
        summary.index.name = "table"
        return summary

    # -- notebook views ----------------------------------------------------------------------

    def get_job(self, job: JobKind | str) -> JobOut:
        """One job of the run as the server describes it (status, stage, progress, error),
        named by kind (``JobKind.STANDARD``), document name or job name."""
        return self.client.jobs.get_job(self._job_name(job))

    def get_jobs(self) -> JobList:
        """The run's jobs, by document name in the order they run; shown as a table of
        statuses and progress in notebooks."""
        found = self._fetch_jobs(list(self._jobs.values()))
        return JobList(
            (document, found[self._jobs[document]])
            for document in self._ordered_documents()
            if self._jobs[document] in found
        )

    def result_files(self, job: JobKind | str) -> ResultFiles:
        """The files one job produced (waits for it): kind, table, name, format, size."""
        _, files = self._results_of(self._document_of(job))
        return ResultFiles(files)

    def _document_of(self, job: JobKind | str) -> str:
        name = self._job_name(job)
        return next(document for document, known in self._jobs.items() if known == name)

    def _repr_html_(self) -> str:
        """The run in a notebook: its tables with their parameters, and its jobs."""
        title = f"<strong>Runner {html.escape(self.display_name)}</strong>"
        if self._set_name is not None:
            title += f" <small>set {html.escape(self._set_name)}</small>"
        parts = [f"<div>{title}</div>"]
        table_rows = []
        for name in self._config.table_names():
            parameters = self._current_parameters(name)
            try:
                dataset = self._dataset(name)
                shape: tuple[object, object] = (dataset.rows, len(dataset.columns))
            except Exception:  # a repr must not raise: show what is known
                shape = ("?", "?")
            shown = ", ".join(f"{key}={value}" for key, value in parameters.items())
            table_rows.append([name, *shape, shown or "no parameters"])
        parts.append(
            html_table(("table", "rows", "columns", "parameters"), table_rows, caption="tables")
            if table_rows
            else "<div><em>no tables yet: add_table()</em></div>"
        )
        if self._jobs:
            try:
                jobs = self.get_jobs()
            except Exception as error:  # a repr must not raise: the server may be away
                parts.append(f"<div><em>jobs unavailable: {html.escape(str(error))}</em></div>")
            else:
                parts.append(html_table(JOB_HEADERS, job_rows(jobs.items()), caption="jobs"))
        else:
            parts.append("<div><em>not run yet: run()</em></div>")
        return "".join(parts)

    # -- YAML --------------------------------------------------------------------------------

    def get_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The run's configuration as YAML (also written to ``path`` if given)."""
        text = self._config.to_yaml()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def from_yaml(self, yaml_path: str | os.PathLike[str]) -> None:
        """Replace the configuration with a YAML file (e.g. from :meth:`get_yaml`).

        The tables keep the datasets the file names, which must be yours on the server; the
        run keeps this runner's display name.
        """
        config = Config.from_yaml(Path(yaml_path).read_text(encoding="utf-8"))
        self._adopt(config)

    def _adopt(
        self,
        config: Config,
        set_name: str | None = None,
        jobs: Iterable[JobOut] = (),
    ) -> None:
        """Take over a configuration (and, for a stored set, its jobs, newest first) so that
        its results can be read without running again."""
        config.metadata.display_name = self.display_name
        self._config = config
        if config.reports:
            self.report_language = config.reports[0].language
        self._advice.clear()
        self._parametrized = {
            name for name in config.table_names() if self._current_parameters(name)
        }
        if set_name is not None:
            self._set_name = str(uuid.UUID(set_name))
            self._jobs = {}
            for job in jobs:
                self._jobs.setdefault(job.parameters_name, job.name)
