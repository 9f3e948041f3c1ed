"""``Runner``: one avatarization run, from tables and parameters to results.

A runner holds the run's configuration (an :class:`avatar_yaml.Config`, the YAML the server
executes), uploads each table as soon as it is added, and launches the jobs. Mistakes the
client can see (an unknown table or column, ``k`` too large for the table, a misspelt type)
are refused at once with a ValueError, before anything runs, by the same rules the server
applies (:mod:`avatar_yaml.rules`), with the same messages: a run that would fail minutes later
on the server is a worse experience than an error on the line that caused it.

The runner is a facade: keywords become documents in :mod:`avatars.parameters`, jobs and their
results are followed by :class:`avatars.results.RunResults`. Results are read lazily: each
accessor waits for the job that produces it, downloads the file once and keeps it.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import os
import sys
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import pandas as pd
import yaml

from avatar_yaml import (
    ADVICE_NAME,
    PARAMETERS_NAME,
    PRIVACY_METRICS_NAME,
    SIGNAL_METRICS_NAME,
    AlignmentMethod,
    Approver,
    AvatarsData,
    ColumnType,
    Config,
    DataRecipient,
    DataSubject,
    DataType,
    ExcludeVariablesMethod,
    ImputeMethod,
    JobKind,
    KeepMode,
    Link,
    LinkMethod,
    Parameters,
    PiaMetadata,
    ProcessorParameters,
    ProjectionType,
    Pseudonymization,
    PseudonymizationKind,
    ReportFormat,
    ReportLanguage,
    ReportParameters,
    ReportType,
    ResultKind,
    Results,
    ResultsFormat,
    SensitivityLevel,
    TableFacts,
    TableInfo,
    Unalignment,
    check_display_name,
    check_table_name,
    link_advice,
    report_name,
    rules,
)
from avatar_yaml.fields import read_value
from avatar_yaml.link_advice import TablesLinksAdvice
from avatars import parameters
from avatars.all_results import AllResults, collect
from avatars.display import JobList, ResultFiles, runner_html
from avatars.errors import NotFoundError
from avatars.official_yaml import official_yaml, read_run_yaml
from avatars.plots import SERIES_KINDS, PlotKind, render_plot
from avatars.release import run_manifest
from avatars.results import RunResults
from avatars.version import client_version

if TYPE_CHECKING:
    from avatars_api.models import BulkDeleteResponse, DatasetOut, JobOut
    from matplotlib.figure import Figure

    from avatars.client import ApiClient

TableSource = str | os.PathLike[str] | pd.DataFrame
"""A table to upload: a CSV or Parquet file's path, or a DataFrame."""
TableData = TableSource | uuid.UUID
"""What ``add_table`` takes: a table to upload, a file name :meth:`Runner.upload_file` gave, or
the id of a dataset already uploaded."""
NEEDS_A_CHOICE = frozenset({"class_projection_2d"})
"""Plot kinds :meth:`Runner.compute_figures` leaves out: each needs an option of
:meth:`Runner.render_plot` that has no default (its colouring variable)."""
JobSelection = Sequence[JobKind | str] | JobKind | str | None
"""Jobs of a run: every one (None), one kind or name (a bare string is one job), or a list."""

DEFAULT_JOBS: tuple[JobKind, ...] = (
    JobKind.STANDARD,
    JobKind.SIGNAL_METRICS,
    JobKind.PRIVACY_METRICS,
    JobKind.REPORT,
)
"""What :meth:`Runner.run` launches when not told otherwise: avatars, both metrics, reports."""


def _file_name(data: TableSource) -> str | None:
    return None if isinstance(data, pd.DataFrame) else Path(data).name


def _upload_name(table_name: str, data: TableSource) -> str:
    """The name an uploaded file gets, as in the official client: ``<table><suffix>``, the
    suffix of the file (``.parquet`` for a DataFrame, sent as Parquet)."""
    suffix = ".parquet" if isinstance(data, pd.DataFrame) else Path(data).suffix
    return f"{table_name}{suffix}"


class Runner:
    """One avatarization run (a "set" on the server), usually made by
    :meth:`avatars.manager.Manager.create_runner`.

    Args:
        api_client: An authenticated :class:`avatars.client.ApiClient`.
        display_name: The run's name (letters, digits, ``_``, ``-``); several runs may share it.
        seed: Makes the avatarization and the metrics reproducible.
        max_distribution_plots: Cap on the distribution plots of the report.
        output_format: The format of the avatar tables the run writes and
            :meth:`shuffled` downloads: ``csv`` or ``parquet`` (default: the input's).
        compute_figures: Whether the run stores what its figures are drawn from. It always
            does (small summaries, never rows: :meth:`render_plot`, :meth:`compute_figures`),
            so True or None; False is refused rather than ignored.
        pia_data_recipient, pia_data_type, pia_data_subject, pia_sensitivity_level: Facts
            about the data for the privacy-impact (PIA) report.
        approver_name, approver_role, approver_organisation, approver_date: Who approves
            the release of the avatars, printed above the reports' signature lines (the date
            as a ``datetime.date`` or ``"YYYY-MM-DD"``). See :meth:`set_pia`.
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
        output_format: ResultsFormat | str | None = None,
        compute_figures: bool | None = None,
        pia_data_recipient: DataRecipient | str = DataRecipient.UNKNOWN,
        pia_data_type: DataType | str = DataType.UNKNOWN,
        pia_data_subject: DataSubject | str = DataSubject.UNKNOWN,
        pia_sensitivity_level: SensitivityLevel | str = SensitivityLevel.UNDEFINED,
        approver_name: str | None = None,
        approver_role: str | None = None,
        approver_organisation: str | None = None,
        approver_date: datetime.date | str | None = None,
        report_language: ReportLanguage = ReportLanguage.EN,
        show_progress: bool | None = None,
    ) -> None:
        check_display_name(display_name)
        seed = Parameters.read_field("seed", seed, "seed")
        plots = Results.read_field(
            "max_distribution_plots", max_distribution_plots, "max_distribution_plots"
        )
        table_format = Results.read_field("format", output_format, "output_format")
        if compute_figures is not None and not isinstance(compute_figures, bool):
            raise TypeError(
                f"compute_figures: expected True, False or None, got {compute_figures!r}"
            )
        if compute_figures is False:
            raise ValueError(
                "compute_figures=False: this server always stores the small summaries the "
                "figures are drawn from (no rows, no rendering on the server), so there is "
                "nothing to skip; leave compute_figures out"
            )
        self.client = api_client
        self.report_language: ReportLanguage = ReportParameters.read_field(
            "language", report_language, "report_language"
        )
        self._config = Config.new(
            display_name,
            seed=seed,
            annotations={"client_type": "python", "client_version": client_version()},
            max_distribution_plots=plots,
            output_format=table_format,
        )
        self.set_pia(
            pia_data_recipient=pia_data_recipient,
            pia_data_type=pia_data_type,
            pia_data_subject=pia_data_subject,
            pia_sensitivity_level=pia_sensitivity_level,
            approver_name=approver_name,
            approver_role=approver_role,
            approver_organisation=approver_organisation,
            approver_date=approver_date,
        )
        self._set_name: str | None = None
        self._results = RunResults(api_client, display_name, show_progress)
        self._datasets: dict[str, DatasetOut] = {}  # dataset id -> dataset
        self._uploads: dict[str, DatasetOut] = {}  # file name from upload_file -> dataset
        self._advice: dict[str, dict[str, Any]] = {}  # table -> advice from the server

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
        return dict(self._results.jobs)

    @property
    def show_progress(self) -> bool | None:
        return self._results.show_progress

    @show_progress.setter
    def show_progress(self, value: bool | None) -> None:
        self._results.show_progress = value

    def __repr__(self) -> str:
        return f"Runner({self.display_name!r}, set_name={self._set_name!r})"

    def set_pia(
        self,
        *,
        pia_data_recipient: DataRecipient | str | None = None,
        pia_data_type: DataType | str | None = None,
        pia_data_subject: DataSubject | str | None = None,
        pia_sensitivity_level: SensitivityLevel | str | None = None,
        approver_name: str | None = None,
        approver_role: str | None = None,
        approver_organisation: str | None = None,
        approver_date: datetime.date | str | None = None,
    ) -> None:
        """Set the privacy-impact facts and the approver that the reports print (None
        leaves a value as it is). What is still unknown is printed "to be completed", so a
        report can be signed only once someone has filled it in.

        The same values are the ``pia_metadata`` and ``approver`` of the run's metadata
        document in YAML, and ``--data-recipient``, ``--approver-name``... on the command
        line. Raises ValueError on an unknown choice or a malformed date, naming the keyword.
        """
        pia = copy.deepcopy(self._config.metadata.pia_metadata)
        facts: tuple[tuple[str, str, object], ...] = (
            ("datarecipient", "pia_data_recipient", pia_data_recipient),
            ("data_type", "pia_data_type", pia_data_type),
            ("datasubject", "pia_data_subject", pia_data_subject),
            ("sensitivity_level", "pia_sensitivity_level", pia_sensitivity_level),
        )
        for field, keyword, value in facts:
            if value is not None:
                setattr(pia, field, PiaMetadata.read_field(field, value, keyword))
        approver = copy.deepcopy(self._config.metadata.approver) or Approver()
        people: tuple[tuple[str, str, object], ...] = (
            ("name", "approver_name", approver_name),
            ("role", "approver_role", approver_role),
            ("organisation", "approver_organisation", approver_organisation),
            ("date", "approver_date", approver_date),
        )
        for field, keyword, value in people:
            if value is not None:
                setattr(approver, field, Approver.read_field(field, value, keyword))
        self._config.metadata.pia_metadata = pia
        self._config.metadata.approver = approver if approver.to_dict() else None

    def add_annotations(self, annotations: dict[str, str]) -> None:
        """Add labels of your own to the run (a project, a ticket...): stored with its
        configuration (the ``annotations`` of the YAML), read back with the run
        (``manager.create_runner_from_id(...).config.annotations``). A key given before is
        replaced; keys and values are strings, keys not empty."""
        if not isinstance(annotations, dict):
            raise TypeError(
                f"annotations: expected a dict of strings, got {type(annotations).__name__}"
            )
        for key, value in annotations.items():
            if not isinstance(key, str) or not key.strip():
                raise ValueError(f"annotations: a key must be a non-empty string, got {key!r}")
            if not isinstance(value, str):
                raise ValueError(
                    f"annotations[{key!r}]: expected a string, got {type(value).__name__} "
                    f"({value!r}); convert it with str() if that is what you mean"
                )
        self._config.annotations = {**(self._config.annotations or {}), **annotations}

    # -- tables ------------------------------------------------------------------------------

    def _table(self, table_name: str) -> TableInfo:
        try:
            return self._config.table(table_name)
        except KeyError:
            known = ", ".join(self._config.table_names()) or "none; call add_table first"
            raise ValueError(f"unknown table {table_name!r} (tables: {known})") from None

    def _dataset(self, table_name: str) -> DatasetOut:
        return self._dataset_of(self._table(table_name))

    def _dataset_of(self, table: TableInfo) -> DatasetOut:
        """The uploaded dataset of a table (fetched once for a runner loaded from the server)."""
        table_name = table.name
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

    def _facts(self, config: Config) -> dict[str, TableFacts]:
        return {
            table.name: parameters.dataset_facts(self._dataset_of(table))
            for table in config.schema.tables
        }

    def _check(self, config: Config, *, complete: bool = False) -> None:
        """The server's checks of ``config``, against the uploaded tables. While the run is
        being built (``complete=False``), what needs tables or links still to come (a foreign
        key not linked yet, a child declared before its parent) waits for :meth:`run`."""
        rules.check(config, self._facts(config), complete=complete)

    def add_table(
        self,
        table_name: str,
        data: TableData,
        *,
        primary_key: str | None = None,
        foreign_keys: list[str] | None = None,
        time_series_time: str | None = None,
        types: dict[str, ColumnType] | None = None,
        columns_to_drop: list[str] | None = None,
        individual_level: bool | None = None,
        pseudonymize: dict[str, Pseudonymization | PseudonymizationKind | str] | None = None,
        keep: dict[str, KeepMode | str] | None = None,
        sep: str | None = None,
        encoding: str | None = None,
        avatar_data: TableData | None = None,
    ) -> None:
        """Upload a table (CSV or Parquet path, or a DataFrame) and declare it in the run.

        The upload happens now: the server discovers the columns and their roles, and every
        column named here is checked against them. ``types`` overrides the discovered type of
        some columns (a value that does not fit makes the job fail with the column named); the
        primary key and foreign keys are set aside, never mixed into avatars;
        ``columns_to_drop`` are left out.

        Linked tables: a parent's ``primary_key`` and a child's ``foreign_keys`` are joined
        with :meth:`add_link` (tables and links may come in any order; the run is checked
        whole when it is stored). ``individual_level`` says whether each row is one person;
        omitted, it is True for a table with no parent and False for a child. A series table
        (one row per person and time point) names its time column (numbers, or dates) with
        ``time_series_time`` and has exactly one foreign key, to its person.

        Columns that identify people by themselves (roles ``id_like``, ``direct_identifier``,
        ``free_text`` in the dataset's schema) must be dealt with before the table is
        avatarized: dropped, declared as keys, ``pseudonymize={"email": Pseudonymization(
        kind="FAKER", pii_type="EMAIL", consistent=True)}`` (or a kind alone: ``"UUID4"``,
        ``"HASH_SHA256"``, ``"INTEGER"``), or ``keep={"notes": "grouped"}`` (only the values
        at least ``k`` originals hold) or ``keep={"zip": "as_is"}`` (the risk accepted:
        recorded, and the privacy verdict fails). Adding a table under an existing name
        replaces it (its parameters stay). A CSV's separator and encoding are detected; ``sep``
        and ``encoding`` say them instead (see ``client.datasets.upload_dataset``).

        ``data`` may also name a table uploaded already, which is then not sent again: a file
        name :meth:`upload_file` returned (``"patients.csv"``; it wins over a local file of
        that name), or a dataset's id (a ``uuid.UUID``, from ``client.datasets``).

        ``avatar_data`` brings avatars made elsewhere (a path, a DataFrame, or an upload named
        as ``data`` may be) to measure them
        against the table: a metrics-only run (:meth:`run` then launches the metrics alone).
        They must be row for row with the table (row i made from original row i, as
        :meth:`sensitive_unshuffled` gives them): the hidden rate and the local cloaking pair
        each original with its own avatar, so shuffled avatars would look safer than they are.
        """
        where = f"table {table_name!r}: "
        TableInfo.read_field("name", table_name, f"{where}name")
        check_table_name(table_name)
        if not isinstance(data, str | os.PathLike | pd.DataFrame | uuid.UUID):
            raise TypeError(
                f"table {table_name!r}: data must be a file path, a pandas DataFrame, a file "
                f"name from upload_file or a dataset id (UUID), got {type(data).__name__}"
            )
        if avatar_data is not None and not isinstance(
            avatar_data, str | os.PathLike | pd.DataFrame | uuid.UUID
        ):
            raise TypeError(
                f"table {table_name!r}: avatar_data must be a file path, a pandas DataFrame, a "
                f"file name from upload_file or a dataset id (UUID), got "
                f"{type(avatar_data).__name__}"
            )
        columns = parameters.table_columns(
            where,
            primary_key=primary_key,
            foreign_keys=foreign_keys,
            time_series_time=time_series_time,
            types=types,
            columns_to_drop=columns_to_drop,
            pseudonymize=pseudonymize,
            keep=keep,
        )
        individual = TableInfo.read_field(
            "individual_level", individual_level, f"{where}individual_level"
        )

        dataset, file_name, uploaded_now = self._dataset_for(
            table_name, data, sep=sep, encoding=encoding
        )
        uploaded = [dataset]
        order = {column.name: i for i, column in enumerate(dataset.columns)}
        candidate = copy.deepcopy(self._config)
        table = candidate.add_table(
            table_name,
            str(dataset.id),
            file=file_name,
            individual_level=individual,
            columns=sorted(columns.values(), key=lambda c: order.get(c.field, len(order))) or None,
        )
        self._datasets[str(dataset.id)] = dataset
        try:
            if avatar_data is not None:
                avatars, _, avatars_now = self._dataset_for(
                    table_name,
                    avatar_data,
                    sep=sep,
                    encoding=encoding,
                    upload_name=f"{table_name}_avatars",
                )
                if avatars_now:
                    uploaded.append(avatars)
                rules.check_brought_facts(
                    table, parameters.dataset_facts(dataset), parameters.dataset_facts(avatars)
                )
                table.avatars_data = AvatarsData(dataset_id=str(avatars.id))
            self._check(candidate)
        except Exception:
            for made in uploaded[1:]:
                self.client.datasets.delete_dataset(made.id)
            if uploaded_now:  # an earlier upload stays the user's
                self.client.datasets.delete_dataset(dataset.id)
                del self._datasets[str(dataset.id)]
            raise
        self._config = candidate
        self._advice.pop(table_name, None)

    def _dataset_for(
        self,
        table_name: str,
        data: TableData,
        *,
        sep: str | None,
        encoding: str | None,
        upload_name: str | None = None,
    ) -> tuple[DatasetOut, str | None, bool]:
        """The dataset ``data`` names, its file name, and whether it was uploaded now (see
        :meth:`add_table`); an upload is named ``upload_name`` (the table's name if None)."""
        if isinstance(data, str) and data not in self._uploads and not Path(data).exists():
            try:
                data = uuid.UUID(data)  # a dataset id given as text
            except ValueError:
                raise FileNotFoundError(
                    f"table {table_name!r}: {data!r} is no file here, no upload of this runner "
                    "(upload_file names live in the runner that made them) and no dataset id"
                ) from None
        uploaded = isinstance(data, uuid.UUID) or (isinstance(data, str) and data in self._uploads)
        if uploaded and (sep is not None or encoding is not None):
            raise ValueError(
                f"table {table_name!r}: sep and encoding say how to read a file being uploaded; "
                f"{str(data)!r} was uploaded already, as it was read then"
            )
        if isinstance(data, uuid.UUID):
            try:
                dataset = self.client.datasets.get_dataset(data)
            except NotFoundError:
                raise ValueError(
                    f"table {table_name!r}: you have no dataset {data} (client.datasets."
                    "list_datasets() lists yours)"
                ) from None
            return dataset, dataset.name, False
        if isinstance(data, str) and data in self._uploads:
            return self._uploads[data], data, False
        dataset = self.client.datasets.upload_dataset(
            data, name=upload_name or table_name, sep=sep, encoding=encoding
        )
        return dataset, _file_name(data), True

    def upload_file(
        self,
        table_name: str,
        data: TableSource,
        avatar_data: TableSource | None = None,
        *,
        sep: str | None = None,
        encoding: str | None = None,
    ) -> tuple[str, str | None]:
        """Upload a table without declaring it; returns the file names it is known by,
        ``(<table><suffix>, <table>_avatars<suffix> or None)`` as in the official client.

        Then ``add_table(table_name, file_name)`` declares it without sending it again, and a
        YAML run file (:meth:`from_yaml`) may name the file. ``avatar_data`` uploads avatars
        the user brings for the table too (for metrics on them). ``sep`` and ``encoding`` are
        those of :meth:`add_table`. The uploads are datasets of yours on the server
        (``client.datasets.list_datasets()``), under those file names. Uploading a name again
        replaces this runner's earlier upload of it (deleted from the server unless a table
        of the run is that upload).
        """
        TableInfo.read_field("name", table_name, f"table {table_name!r}: name")
        check_table_name(table_name)
        sources: dict[str, TableSource] = {"data": data}
        if avatar_data is not None:
            sources["avatar_data"] = avatar_data
        for keyword, source in sources.items():
            if not isinstance(source, str | os.PathLike | pd.DataFrame):
                raise TypeError(
                    f"upload_file {table_name!r}: {keyword} must be a file path or a pandas "
                    f"DataFrame, got {type(source).__name__}"
                )
        names: list[str | None] = []
        for keyword, source in sources.items():
            stem = table_name if keyword == "data" else f"{table_name}_avatars"
            name = _upload_name(stem, source)
            dataset = self.client.datasets.upload_dataset(
                source, name=name, sep=sep, encoding=encoding
            )
            self._datasets[str(dataset.id)] = dataset
            earlier = self._uploads.get(name)
            self._uploads[name] = dataset
            if earlier is not None and not self._uses(earlier):
                self.client.datasets.delete_dataset(earlier.id)  # replaced, as there
                self._datasets.pop(str(earlier.id), None)
            names.append(name)
        return str(names[0]), (names[1] if len(names) > 1 else None)

    def _uses(self, dataset: DatasetOut) -> bool:
        """Whether a table of the run reads that dataset, as its data or as its avatars."""
        used = {str(dataset.id)}
        return any(
            (table.data is not None and table.data.dataset_id in used)
            or (table.avatars_data is not None and table.avatars_data.dataset_id in used)
            for table in self._config.schema.tables
        )

    def delete_table(self, table_name: str) -> None:
        """Remove a table from the run, with its parameters and the links to and from it
        (its uploaded dataset stays on the server)."""
        self._table(table_name)
        self._config.delete_table(table_name)
        self._advice.pop(table_name, None)

    # -- links -------------------------------------------------------------------------------

    def add_link(
        self,
        parent_table_name: str,
        parent_field: str,
        child_table_name: str,
        child_field: str,
        method: LinkMethod | str = LinkMethod.LINEAR_SUM_ASSIGNMENT,
    ) -> None:
        """Link a parent table's primary key to a child table's foreign key; the child's rows
        are then avatarized with their parents and attached to avatar parents by ``method``
        (``linear_sum_assignment``, ``minimum_distance_assignment``, or
        ``sensitive_original_order_assignment``, which copies the original graph and is
        flagged sensitive). A series table (``add_table(..., time_series_time=...)``) is
        linked from its persons' table with ``time_series``: its curves are avatarized with
        each person. A link between the same two tables is replaced.

        Raises ValueError, with the server's own message, when ``parent_field`` is not the
        parent's primary key, ``child_field`` not a declared foreign key of the child, or the
        links would form a cycle.
        """
        self._table(parent_table_name)
        self._table(child_table_name)
        where = f"link {parent_table_name}.{parent_field} -> {child_table_name}.{child_field}"
        chosen = Link.read_field("method", method, f"{where}: method")
        candidate = copy.deepcopy(self._config)
        candidate.add_link(parent_table_name, parent_field, child_table_name, child_field, chosen)
        self._check(candidate)
        self._config = candidate
        if chosen is LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT:
            warnings.warn(
                f"{where}: sensitive_original_order_assignment gives each avatar child the "
                "avatar of its original parent, so the original links survive (which rows share "
                "a parent, how many each has): the results are flagged sensitive; "
                "linear_sum_assignment or minimum_distance_assignment do not copy them",
                UserWarning,
                stacklevel=2,
            )

    def delete_link(self, parent_table_name: str, child_table_name: str) -> None:
        """Remove the link from a parent table to a child table."""
        self._table(parent_table_name)
        self._table(child_table_name)
        try:
            self._config.delete_link(parent_table_name, child_table_name)
        except KeyError as error:
            raise ValueError(error.args[0]) from None

    def advise_links(self, *, apply: bool = False) -> TablesLinksAdvice:
        """Propose a parent for each declared foreign key not linked yet, from the tables'
        and columns' names and what the upload found (types, distinct counts: a foreign key
        cannot hold more distinct values than its parent's key); no data is read. Each
        proposal has a confidence (``high``: the only possible parent, or the names match;
        ``medium``: the key's name contains the parent's; ``low``); keys it cannot place are
        listed in ``unlinked_foreign_keys`` with their candidate tables. ``apply=True`` adds
        the proposed links (:meth:`add_link`, default method)."""
        if len(self._config.table_names()) < 2:
            raise ValueError("advise_links needs at least two tables: call add_table first")
        advice = link_advice.advise_links(self._config.schema, self._facts(self._config))
        if apply:
            for link in advice.links:
                self.add_link(
                    link.parent_table,
                    link.parent_field,
                    link.child_table,
                    link.child_field,
                    link.method,
                )
        return advice

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
        categorical_hidden_rate_variables: list[str] | None = None,
        quantile_threshold: int | None = None,
        processors: Sequence[ProcessorParameters | Mapping[str, Any]] | None = None,
        use_excluded_variables_in_metrics: bool | None = None,
        time_series_nf: int | None = None,
        time_series_projection_type: ProjectionType | str | None = None,
        time_series_block_weight: float | None = None,
        time_series_nb_points: int | None = None,
        time_series_method: AlignmentMethod | str | None = None,
        time_series_unalignment: Unalignment | str | None = None,
    ) -> None:
        """Set (replace) every parameter of a table: avatarization and both metrics.

        ``k`` (neighbours mixed into each avatar) turns avatarization on for the table; the
        other settings tune the projection, missing values and the privacy attacker model
        (``known_variables``, ``target``, and ``categorical_hidden_rate_variables``, the columns
        the categorical hidden rate matches on). Everything is checked against the uploaded
        table here, by the server's own rules, so a mistake fails now rather than in a job.

        ``processors`` are server-side processors
        (:class:`~avatar_yaml.RelativeDifferenceParameters`,
        :class:`~avatar_yaml.InterRecordRangeDifferenceParameters`, or plain dicts of their
        keys, as the official client writes them): the server applies them to the table in
        list order before avatarization and undoes them in reverse order on the avatars
        (docs/processors.md).

        The metrics leave out the variables excluded from the avatarization (they come back
        by ``exclude_variable_method``, not avatarized); ``use_excluded_variables_in_metrics``
        measures them too, e.g. to see what ``row_order`` gives away.

        A series table (``add_table(..., time_series_time=...)``) takes no ``k``: it is
        avatarized with its persons, and tuned by the ``time_series_*`` keywords only (unset,
        the engine's defaults apply): ``time_series_projection_type`` (``fpca`` or
        ``flatten``), ``time_series_nf`` (fpca components kept per value variable),
        ``time_series_block_weight`` (the series' total weight against the person's own
        columns), ``time_series_method`` (the common grid's length: ``specified`` by
        ``time_series_nb_points``, or the ``max``, ``min`` or ``mean`` number of points) and
        ``time_series_unalignment`` (``uniform``: each generated series back to its avatar's
        own length and span; ``skip``: left on the grid). See docs/concepts.md.
        """
        self._table(table_name)
        values = {name: value for name, value in locals().items() if name in parameters.KEYWORDS}
        self._apply(table_name, values)
        if exclude_variable_names and exclude_variable_method == ExcludeVariablesMethod.ROW_ORDER:
            warnings.warn(
                f"table {table_name!r}: exclude_variable_method=row_order puts each excluded "
                f"value back on its own person's avatar ({', '.join(exclude_variable_names)}): "
                "those columns are not anonymized and the privacy verdict fails",
                UserWarning,
                stacklevel=2,
            )
        if k == 2:
            warnings.warn(
                f"table {table_name!r}: k=2 mixes each avatar from only two records, a weak "
                "protection; check the privacy metrics, or use a larger k",
                UserWarning,
                stacklevel=2,
            )

    def _apply(self, table_name: str, values: dict[str, Any]) -> None:
        documents = parameters.to_documents(table_name, **values)
        candidate = copy.deepcopy(self._config)
        candidate.set_parameters(
            table_name,
            avatarization=documents.avatarization,
            privacy=documents.privacy,
            signal=documents.signal,
            time_series=documents.time_series,
        )
        self._check(candidate)
        self._config = candidate

    def update_parameters(self, table_name: str, **overrides: Any) -> None:
        """Change some parameters of a table and keep the others (``name=None`` unsets one).

        Raises ValueError if the table has no parameters yet (use :meth:`set_parameters`), or
        for a keyword ``set_parameters`` does not take, listing those it does.
        """
        self._table(table_name)
        parameters.check_keywords(table_name, overrides)
        current = parameters.from_documents(self._config, table_name)
        if not current and not parameters.describe(self._config, table_name):
            raise ValueError(
                f"table {table_name!r} has no parameters yet: call set_parameters first"
            )
        self.set_parameters(table_name, **{**current, **overrides})

    def delete_parameters(
        self, table_name: str, parameters_names: Sequence[str] | str | None = None
    ) -> None:
        """Remove parameters of a table: every one (the table is then neither avatarized nor
        measured), or only those named (``set_parameters`` keywords, one as a string or a
        list), the others kept as they are.

        Removing a parameter removes those that only tune it (``exclude_variable_names``
        takes ``exclude_variable_method`` and ``use_excluded_variables_in_metrics`` with it,
        ``imputation_method`` its ``imputation_*`` settings). Raises ValueError, before
        changing anything, for a name ``set_parameters`` does not take (listing those it
        does), or when what is left does not hold together (e.g. ``k`` removed while
        ``processors`` stay: they tune the avatarization).
        """
        self._table(table_name)
        if parameters_names is None:
            self._config.delete_parameters(table_name)
            return
        if isinstance(parameters_names, str):
            names = [parameters_names]
        elif isinstance(parameters_names, Sequence) and all(
            isinstance(name, str) for name in parameters_names
        ):
            names = list(parameters_names)
        else:
            raise TypeError(
                f"table {table_name!r}: delete_parameters: parameters_names must be a "
                f"parameter's name or a list of them, got {parameters_names!r}"
            )
        unknown = [name for name in names if name not in parameters.KEYWORDS]
        if unknown:
            raise ValueError(
                f"table {table_name!r}: delete_parameters: unknown parameter "
                f"{', '.join(map(repr, unknown))}; the parameters are set_parameters' "
                f"keywords: {', '.join(parameters.KEYWORDS)}"
            )
        removed = set(names).union(*(parameters.DEPENDENTS.get(name, ()) for name in names))
        kept = {
            name: value
            for name, value in parameters.from_documents(self._config, table_name).items()
            if name not in removed
        }
        candidate = copy.deepcopy(self._config)
        candidate.delete_parameters(table_name)
        previous, self._config = self._config, candidate
        try:
            if any(value is not None for value in kept.values()):
                self._apply(table_name, kept)
        except ValueError:
            self._config = previous
            raise

    def print_parameters(self, table_name: str | None = None) -> None:
        """Print the parameters of one table, or of every table."""
        tables = [table_name] if table_name is not None else self._config.table_names()
        for name in tables:
            self._table(name)
            entries = parameters.describe(self._config, name)
            text = yaml.safe_dump(entries, sort_keys=False) if entries else "no parameters\n"
            body = "".join(f"  {line}\n" for line in text.splitlines())
            sys.stdout.write(f"table {name}:\n{body}")

    # -- advice ------------------------------------------------------------------------------

    def advise_parameters(self, table_name: str | None = None) -> None:
        """Ask the server to advise parameters for one table (or all), then apply them with
        :meth:`set_parameters`. Waits for the advice job; the advice is kept, for
        :meth:`table_summary` and to skip the job when asked again.

        The advised ``ncp`` is not set: it is the count the avatarization picks by itself when
        no ncp is given (``avatar_server.engine.axes``), and setting it would also move the
        privacy metrics, which measure on the table's ncp when one is set and on 5 axes
        otherwise. Set ``ncp`` yourself to pin it."""
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
            self._results.launch(set_name, ADVICE_NAME)
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
                use_categorical_reduction=advice.get("use_categorical_reduction"),
                imputation_method=imputation.get("method"),
                imputation_k=imputation.get("k"),
                imputation_training_fraction=imputation.get("training_fraction"),
                imputation_return_data_imputed=imputation.get("return_data_imputed"),
            )

    def _load_advice(self) -> None:
        job_name, files = self._results.files(ADVICE_NAME)
        for entry in files:
            if entry.kind != ResultKind.ADVICE:
                continue
            for item in self._results.read_json(job_name, entry):
                if isinstance(item, dict) and isinstance(item.get("advice"), dict):
                    self._advice[str(item["table_name"])] = item["advice"]

    def table_summary(self, table_name: str) -> pd.DataFrame:
        """Per-column statistics of a table (type, missing values, distinct values, range...),
        computed by the advice job: call :meth:`advise_parameters` first."""
        self._table(table_name)
        if table_name not in self._advice and ADVICE_NAME in self._results.jobs:
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
        """Check the finished run as the server will, then send it; the server answers with
        a new set."""
        self._check(self._config, complete=True)
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
        brought = rules.brought_avatars(self._config)
        metrics = {JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS}
        defaults = sorted(metrics) if brought else DEFAULT_JOBS
        requested = read_value(
            list[JobKind], list(defaults if jobs_to_run is None else jobs_to_run), "jobs"
        )
        kinds = set(requested)
        if not kinds:
            raise ValueError("jobs_to_run is empty")
        if JobKind.ADVICE in kinds:
            raise ValueError("advice is not run by run(): call advise_parameters()")
        if brought and not kinds <= metrics:
            raise ValueError(
                f"tables {brought} bring their avatars (avatar_data): such a run only measures "
                "them: run(jobs_to_run=[JobKind.PRIVACY_METRICS, JobKind.SIGNAL_METRICS])"
            )
        if JobKind.STANDARD in kinds and self._config.parameters is None:
            raise ValueError(
                "no table has avatarization parameters: call set_parameters(table, k=...) "
                "or advise_parameters() first"
            )
        if kinds & metrics and JobKind.STANDARD not in kinds and not brought:
            raise ValueError(
                "metrics measure the avatars of the same run: add JobKind.STANDARD, or bring "
                "avatars to measure (add_table(..., avatar_data=...))"
            )
        if brought:
            self._config.add_metrics_documents()  # a table without entries: the defaults
        if JobKind.REPORT in kinds and not metrics <= kinds:
            raise ValueError(
                "the report summarizes both metrics: add JobKind.PRIVACY_METRICS and "
                "JobKind.SIGNAL_METRICS"
            )
        previous = self._results.forget_runs()
        if previous and not ignore_warnings:
            warnings.warn(
                f"this runner already ran (set_name {self._set_name!r}); run() starts a new "
                f"set. The previous results stay available with "
                f"manager.create_runner_from_id({self._set_name!r})",
                UserWarning,
                stacklevel=2,
            )
        if JobKind.REPORT in kinds:
            for report_type in ReportType:
                # The server writes both HTML and PDF, whichever the document names.
                self._config.add_report(report_type, self.report_language, ReportFormat.HTML)
        set_name = self._store()
        launch = self._results.launch
        metrics_names = []
        if JobKind.STANDARD in kinds:
            launch(set_name, PARAMETERS_NAME)
        measured = [] if brought else [PARAMETERS_NAME]
        if JobKind.SIGNAL_METRICS in kinds:
            launch(set_name, SIGNAL_METRICS_NAME, measured)
            metrics_names.append(SIGNAL_METRICS_NAME)
        if JobKind.PRIVACY_METRICS in kinds:
            launch(set_name, PRIVACY_METRICS_NAME, measured)
            metrics_names.append(PRIVACY_METRICS_NAME)
        if JobKind.REPORT in kinds:
            for report_type in ReportType:
                launch(set_name, report_name(report_type), metrics_names)

    # -- jobs --------------------------------------------------------------------------------

    def statuses(self) -> dict[str, str]:
        """The status of each job of the run (``pending``, ``running``, ``done``, ``failed``,
        ``cancelled``), in the order they run; deleted jobs are left out."""
        return {document: str(job.status) for document, job in self._results.job_list().items()}

    def get_status(
        self, job_kind: JobKind | str | None = None, *, job_name: str | None = None
    ) -> str:
        """The status of one job, named by kind (``JobKind.STANDARD``), document name or,
        as ``job_name``, by the server's job name (one of the two; ValueError otherwise)."""
        if (job_kind is None) == (job_name is None):
            raise ValueError("get_status: name the job by job_kind or by job_name (one of them)")
        chosen = job_kind if job_kind is not None else job_name
        assert chosen is not None
        return str(self.client.jobs.get_job(self._results.job_name(chosen)).status)

    def get_job(self, kind_or_name: JobKind | str) -> JobOut:
        """One job of the run as the server describes it (status, stage, progress, error),
        named by kind (``JobKind.STANDARD``), document name or job name."""
        return self.client.jobs.get_job(self._results.job_name(kind_or_name))

    def get_jobs(self) -> JobList:
        """The run's jobs, by document name in the order they run; shown as a table of
        statuses and progress in notebooks."""
        return self._results.job_list()

    def cancel(self, job_names: JobSelection = None) -> list[JobOut]:
        """Cancel the run's unfinished jobs, or those named: one kind or name
        (``"standard"``, ``JobKind.REPORT``; a bare string is one job) or a list. Returns the
        cancelled jobs; finished ones are left as they are."""
        return self._results.cancel(job_names)

    def delete(self, job_names: JobSelection = None) -> BulkDeleteResponse:
        """Delete the run's jobs, or those named (one kind or name, or a list, as for
        :meth:`cancel`), and their results on the server."""
        return self._results.delete(job_names)

    def result_files(self, job: JobKind | str) -> ResultFiles:
        """The files one job produced (waits for it): kind, table, name, format, size."""
        _, files = self._results.files(self._results.document_of(job))
        return ResultFiles(files)

    def get_all_results(self) -> AllResults:
        """Every result of the run, read at once: waits for each of its jobs (raises
        JobFailedError if one failed or was cancelled) and downloads each file once. Fields
        by table: ``shuffled``, ``sensitive_unshuffled``, ``original_projections``,
        ``avatars_projections``, ``privacy_metrics``, ``signal_metrics``,
        ``privacy_verdict``, ``run_metadata``, ``advice``; and, for linked tables, the run's
        ``privacy_metrics_summary``, ``signal_metrics_summary`` and ``relations``; and the
        ``release_manifest`` of every run (None before run())."""
        if ADVICE_NAME in self._results.jobs and not self._advice:
            self._load_advice()
        found = collect(self._results, self._advice)
        if self._ran():
            found.release_manifest = run_manifest(
                self._results, str(self._set_name), self.display_name
            )
        return found

    def _ran(self) -> bool:
        """Whether this runner launched (or adopted) a run's jobs, not only the advice."""
        return self._set_name is not None and any(
            name != ADVICE_NAME for name in self._results.jobs
        )

    def manifest(self) -> dict[str, Any]:
        """The run's release manifest: what ties a released file to its evaluation. Per
        table, the input dataset (id, name, rows, columns, SHA-256 of the uploaded bytes),
        the released files with their SHA-256 and size, the parameters as run (the seed the
        server drew when none was given), the role and treatment of each column, the privacy
        and signal metrics with their targets and the privacy verdict; the jobs, the
        software versions and the manifest's ``schema_version``. The report job's
        ``release_manifest.json`` when the run made reports, else assembled from the other
        jobs' parts (the same rule). Waits for the jobs; check a file with
        :func:`avatars.verify_release`. ValueError before run(), or for a run on a server
        older than the manifest."""
        if not self._ran():
            raise ValueError("this runner has no run yet: call run() first")
        manifest = run_manifest(self._results, str(self._set_name), self.display_name)
        if manifest is None:
            raise ValueError(
                "this run has no release manifest: its server is older than the manifest "
                "(upgrade the server and run again)"
            )
        return manifest

    def get_specific_result(
        self,
        table: str,
        job_kind_or_name: JobKind | str,
        result: ResultKind | str = ResultKind.SHUFFLED,
    ) -> Any:
        """One result of a table, read as the accessors read it: a DataFrame for a table
        file (``shuffled``, ``unshuffled``, the projections), the parsed JSON otherwise
        (metrics, run metadata, plot data...). ``job_kind_or_name``: the job that wrote it,
        as a kind, a document name (``report_pia``) or a job name. Waits for the job.

        Raises ValueError for a table the run does not declare, a job it did not launch, a
        result the job did not write for the table (naming those it wrote), or a report
        (a document to save: :meth:`download_report`).
        """
        self._table(table)
        kind = read_value(ResultKind, result, "result")
        return self._results.specific(self._results.document_of(job_kind_or_name), kind, table)

    def get_specific_result_urls(
        self, job_name: JobKind | str, result: ResultKind | str = ResultKind.SHUFFLED
    ) -> list[str]:
        """Where each ``result`` file of a job downloads from: full URLs to ``GET`` with
        this client's credentials (the ``Authorization`` header). Empty if the job wrote
        none of that kind. Waits for the job (a kind, a document name or a job name)."""
        kind = read_value(ResultKind, result, "result")
        return self._results.urls(self._results.document_of(job_name), kind)

    # -- results -----------------------------------------------------------------------------

    def _table_result(self, document: str, kind: ResultKind, table_name: str) -> pd.DataFrame:
        self._table(table_name)
        return self._results.table(document, kind, table_name)

    def _json_result(
        self, document: str, kind: ResultKind, table_name: str
    ) -> list[dict[str, Any]]:
        self._table(table_name)
        return self._results.json(document, kind, table_name)

    def shuffled(self, table_name: str) -> pd.DataFrame:
        """The table's avatars, in random order: the anonymous data to share."""
        return self._table_result(PARAMETERS_NAME, ResultKind.SHUFFLED, table_name)

    def sensitive_unshuffled(self, table_name: str) -> pd.DataFrame:
        """The avatars in the order of the original rows. Sensitive: row order links each
        avatar to its original record; do not share."""
        return self._table_result(PARAMETERS_NAME, ResultKind.UNSHUFFLED, table_name)

    def projections(self, table_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Coordinates of the original records and of the avatars in the projection space."""
        original = self._table_result(PARAMETERS_NAME, ResultKind.ORIGINAL_PROJECTIONS, table_name)
        avatars = self._table_result(PARAMETERS_NAME, ResultKind.AVATAR_PROJECTIONS, table_name)
        return original, avatars

    def privacy_metrics(self, table_name: str) -> list[dict[str, Any]]:
        """Privacy metrics of the table (``hidden_rate``, ``local_cloaking``...), one dict per
        computation, with their ``targets``."""
        return self._json_result(PRIVACY_METRICS_NAME, ResultKind.PRIVACY_METRICS, table_name)

    def privacy_verdict(self, table_name: str) -> dict[str, Any]:
        """Whether the table's avatars may be shared: ``{"status": "pass" | "fail", "items":
        [{name, passed, reason, remedy}]}``. Items are the privacy metrics with a target, each
        column's verbatim values held by a single original, row-order re-attachments and
        columns kept as is with the risk accepted; a failed item says what would fix it (a
        failed attack item's ``raise_k_to``: the smallest k at which the audit release
        measured it passing, None when no larger k was measured or none passed; its
        ``passes_at_k``: every such k)."""
        (verdict,) = self._json_result(PRIVACY_METRICS_NAME, ResultKind.PRIVACY_VERDICT, table_name)
        return verdict

    def privacy_attacks(self, table_name: str) -> dict[str, Any]:
        """The attacks run on the table's avatars, each with what it found: ``singling_out``,
        ``linkability`` and ``inference`` risks with their 95 % intervals (measured on an audit
        release against originals held out of it, see ``audit``), the ``linkage`` attack
        (an attacker holding one real record ranks the avatars: top-1 / top-5 success against
        chance), the ``reconstruction`` attack (precision and recall of the records it
        rebuilds from the avatars alone) and ``record_risk`` (how many originals are poorly
        covered, and what would cover them). An attack that could not run says why
        (``not_computed``)."""
        (attacks,) = self._json_result(PRIVACY_METRICS_NAME, ResultKind.PRIVACY_ATTACKS, table_name)
        return attacks

    def signal_metrics(self, table_name: str) -> list[dict[str, Any]]:
        """Utility metrics of the table (``hellinger_mean``...), one dict per computation;
        for a series table, one dict per value variable (``pointwise_hellinger_mean``... and
        their ``floor``, the same metrics between two halves of the originals)."""
        return self._json_result(SIGNAL_METRICS_NAME, ResultKind.SIGNAL_METRICS, table_name)

    def _run_wide(self, document: str, kind: ResultKind) -> Any:
        """A result of the whole run (not of one table), written for linked tables only."""
        found = self._results.entry(document, kind, None)
        if found is None:
            raise ValueError(
                f"this run has no {kind}: it is computed for linked tables only (add_link), "
                "and this run links none"
            )
        return self._results.read_json(*found)

    def render_privacy_metrics_summary(self) -> dict[str, dict[str, float | None]]:
        """Per linked table and per computation's reference table, the share (0-100) of its
        privacy metrics with a target that meet it (None: none has a target), as
        ``{table: {reference: value}}``; the reference of a table's own metrics is itself.
        Linked tables only (``ValueError`` otherwise)."""
        summary: dict[str, dict[str, float | None]] = self._run_wide(
            PRIVACY_METRICS_NAME, ResultKind.PRIVACY_METRICS_SUMMARY
        )
        return summary

    def render_signal_metrics_summary(self) -> dict[str, dict[str, float | None]]:
        """As :meth:`render_privacy_metrics_summary`, for the signal metrics."""
        summary: dict[str, dict[str, float | None]] = self._run_wide(
            SIGNAL_METRICS_NAME, ResultKind.SIGNAL_METRICS_SUMMARY
        )
        return summary

    def relations(self) -> list[dict[str, Any]]:
        """Per link, what the avatars kept of it: integrity (every foreign key resolves),
        the children-per-parent distribution, and the association between the parent's and
        the child's columns, originals beside avatars. Linked tables only."""
        relations: list[dict[str, Any]] = self._run_wide(SIGNAL_METRICS_NAME, ResultKind.RELATIONS)
        return relations

    @overload
    def download_report(
        self,
        path: None = None,
        report_type: ReportType | str = ReportType.BASIC,
        *,
        format: ReportFormat | str | None = None,
    ) -> list[Path]: ...

    @overload
    def download_report(
        self,
        path: str | os.PathLike[str],
        report_type: ReportType | str = ReportType.BASIC,
        *,
        format: ReportFormat | str | None = None,
    ) -> Path | list[Path]: ...

    def download_report(
        self,
        path: str | os.PathLike[str] | None = None,
        report_type: ReportType | str = ReportType.BASIC,
        *,
        format: ReportFormat | str | None = None,
    ) -> Path | list[Path]:
        """Wait for the report and save it; returns what was written.

        The format follows ``path``'s suffix: ``report.pdf`` saves the PDF, ``report.html``
        the HTML page (same content: one to sign and archive, one to read in a browser), and
        for the privacy-impact report (``report_type="pia"``) ``pia.docx`` the editable Word
        document a DPO completes and signs. A folder (an existing one, or a path without
        suffix, created if needed) receives every file under the server's names, as does the
        current folder when ``path`` is None; the list of their paths is returned then.
        ``format`` (``"pdf"``, ``"html"`` or ``"docx"``) keeps one format in a folder; with a
        file path it must agree with the suffix. Another suffix or format, or a DOCX of the
        basic report, is refused before waiting. A run of several tables has one
        privacy-impact document per table (``report_pia.<table>.pdf``...): download them to
        a folder.
        """
        chosen = ReportParameters.read_field("report_type", report_type, "report_type")
        wanted = (
            None
            if format is None
            else ReportParameters.read_field("output_format", format, "format")
        )
        return self._results.download_report(path, chosen, wanted)

    def metrics_summary(self) -> pd.DataFrame:
        """Every privacy and signal metric of every measured table (:meth:`measured_tables`),
        one row per table.

        The columns are a two-level index ``(view, metric)``: ``view`` is ``value`` (the
        metric), ``target`` (the server's target, e.g. ``"> 90"``) or ``passed`` (True,
        False, or None for a metric without target or not computed). So
        ``summary["value"]`` is the plain table of values, ``summary["passed"]`` the
        verdicts, and ``summary["value", "hidden_rate"]`` one column. Waits for the metrics
        jobs of the run (those it launched).

        A missed utility target is not a privacy problem: a failed ``hellinger_mean`` means
        some columns' distributions moved (a lower ``k`` helps), a failed
        ``correlation_difference_ratio`` that the relations between columns are less well
        kept than the target while each column's own distribution still holds (a lower ``k``
        or a higher ``ncp`` helps); see "Reading a verdict" in ``docs/concepts.md``.
        """
        return self._results.metrics_summary(self.measured_tables())

    def measured_tables(self) -> list[str]:
        """The tables the run's metrics measure, in the schema's order: the avatarized ones,
        or every table of a run on avatars you bring (``add_table(..., avatar_data=...)``)."""
        brought = rules.brought_avatars(self._config)
        if brought:
            return brought
        standard = self._config.parameters
        avatarized = (standard.avatarization or {}) if standard is not None else {}
        return [name for name in self._config.table_names() if name in avatarized]

    def plot_kinds(self, table_name: str) -> list[PlotKind]:
        """The plot kinds :meth:`render_plot` draws for a table: ``raw_series`` and
        ``normalized_series`` for a series table, every other kind for any other table
        (``class_projection_2d`` with ``variable=``, a categorical column of the table)."""
        table = self._table(table_name)
        series = any(column.time_series_time for column in table.columns or [])
        return [kind for kind in PlotKind if (kind in SERIES_KINDS) == series]

    def render_plot(
        self,
        table_name: str,
        plot_kind: PlotKind | str,
        open_in_browser: bool = False,
        *,
        path: str | os.PathLike[str] | None = None,
        side: str = "original",
        language: ReportLanguage | str | None = None,
        variable: str | None = None,
    ) -> Figure:
        """Draw one plot of a table from the data the run's jobs stored; returns the figure.

        ``plot_kind`` (:class:`avatars.plots.PlotKind`, named as in the official client):
        ``distribution`` (every variable, originals beside avatars), ``correlation`` (one
        side's matrix: ``side="original"`` or ``"avatars"``), ``correlation_difference``,
        ``2d_projection``, ``3d_projection``,
        ``contribution`` (each variable's share of each axis of the originals' projection),
        ``class_projection_2d`` (the 2-D projection coloured by the categorical column named
        by ``variable``, originals beside avatars), ``aggregate_stats`` (summary statistics
        of each variable, both sides) and ``metrics_summary`` (each metric against its
        target); for a series table, ``raw_series`` (a few whole series of each side) and
        ``normalized_series`` (every series on the common grid: median and 10-90 % band per
        side). Only stored summaries are read, never the original rows, so a runner reloaded
        by name can plot.

        ``path`` also writes a PNG (into a folder as ``<table>.<kind>.png``), or the HTML
        page if it ends in ``.html``. ``open_in_browser=True``, or any call outside a
        notebook, writes the plot as one standalone HTML page (image embedded, nothing
        fetched from a network): at ``path`` if it ends in ``.html``, beside the PNG, in the
        ``path`` folder, or else as ``<table>.<kind>.html`` in the current directory;
        ``open_in_browser`` then opens it with :mod:`webbrowser` (third, as in the official
        client's signature).
        ``language`` defaults to the run's report language.
        As a notebook cell's value, the figure displays as an image.
        """
        return self._render(
            table_name,
            plot_kind,
            open_in_browser=open_in_browser,
            path=path,
            side=side,
            language=language,
            variable=variable,
        )

    def _render(
        self,
        table_name: str,
        plot_kind: PlotKind | str,
        *,
        open_in_browser: bool = False,
        path: str | os.PathLike[str] | None = None,
        side: str = "original",
        language: ReportLanguage | str | None = None,
        variable: str | None = None,
        pages: bool = True,
    ) -> Figure:
        table = self._table(table_name)
        chosen = ReportParameters.read_field(
            "language", self.report_language if language is None else language, "language"
        )
        series = any(column.time_series_time for column in table.columns or [])
        return render_plot(
            self._results,
            table_name,
            plot_kind,
            side=side,
            language=chosen,
            path=path,
            series_table=series,
            variable=variable,
            open_in_browser=open_in_browser,
            pages=pages,
        )

    def compute_figures(
        self,
        table_name: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        language: ReportLanguage | str | None = None,
    ) -> dict[str, dict[PlotKind, Figure]]:
        """Draw now every figure of one table, or of every table, that the run's jobs
        stored data for: ``{table: {kind: figure}}``, as :meth:`render_plot` draws each
        with its defaults (a correlation plot shows the originals' matrix). Waits for those
        jobs. ``path`` (a folder, created if needed) also receives each as
        ``<table>.<kind>.png``; no HTML page is written. A kind that needs a choice of yours
        (``class_projection_2d`` its colouring variable) is left to :meth:`render_plot`.

        A table without figures (not avatarized in this run) is left out, or, when named,
        refused with a ValueError; so is a run that launched no job storing figure data.
        """
        from avatars.plots import SOURCES  # where each kind's data is stored

        tables = [table_name] if table_name is not None else self._config.table_names()
        for name in tables:
            self._table(name)
        if path is not None:
            Path(path).mkdir(parents=True, exist_ok=True)
        drawn: dict[str, dict[PlotKind, Figure]] = {}
        for name in tables:
            figures: dict[PlotKind, Figure] = {}
            for kind in self.plot_kinds(name):
                if kind.value in NEEDS_A_CHOICE:
                    continue
                source = SOURCES.get(kind)
                if source is None:  # read from several results: drawn when the run has them
                    with contextlib.suppress(ValueError):
                        figures[kind] = self._render(
                            name, kind, path=path, language=language, pages=False
                        )
                    continue
                if source.document not in self._results.jobs:
                    continue
                if self._results.entry(source.document, source.result_kind, name) is None:
                    continue
                figures[kind] = self._render(name, kind, path=path, language=language, pages=False)
            if figures:
                drawn[name] = figures
        if table_name is not None and not drawn:
            raise ValueError(
                f"the run stored no figure data for table {table_name!r}: figures come from "
                "the avatarization and the signal metrics of a run that avatarized the table "
                "(set_parameters with k, then run())"
            )
        if not drawn:
            raise ValueError(
                "the run stored no figure data: run() with avatarization and signal metrics first"
            )
        return drawn

    def _repr_html_(self) -> str:
        """The run in a notebook: its tables with their parameters, and its jobs."""
        tables = []
        for name in self._config.table_names():
            try:
                dataset = self._dataset(name)
                shape: tuple[object, object] = (dataset.rows, len(dataset.columns))
            except Exception:  # a repr must not raise: show what is known
                shape = ("?", "?")
            tables.append((name, shape, parameters.from_documents(self._config, name)))
        return runner_html(self.display_name, self._set_name, tables, self.get_jobs, self.jobs)

    # -- YAML --------------------------------------------------------------------------------

    def get_yaml(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        dialect: str = "avatars",
        allow_loss: bool = False,
    ) -> str:
        """The run's configuration as YAML (also written to ``path`` if given).

        ``dialect="official"`` writes it as the official client's ``avatar_yaml`` does:
        each table's data becomes ``{volume: input, file}``, the file named after the
        table's dataset (``person`` uploaded from CSV: ``person.csv``), which reads back
        here with :meth:`from_yaml`. What that dialect cannot say (an approver, ``keep``
        treatments, HTML reports...) raises ``ConfigError`` listing it, unless
        ``allow_loss=True``: then it is left out and listed in comments at the top.
        """
        if allow_loss and dialect != "official":
            raise ValueError(
                "allow_loss only applies with dialect='official' (ours says everything the run "
                "holds)"
            )
        if dialect == "avatars":
            text = self._config.to_yaml()
        elif dialect == "official":
            # All the user's datasets: a file name is written only if it reads back to its own.
            datasets = self.client.datasets.list_datasets()
            text = official_yaml(self._config, datasets, allow_loss=allow_loss)
        else:
            raise ValueError(f"unknown dialect {dialect!r}; allowed: avatars, official")
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def from_yaml(self, yaml_path: str | os.PathLike[str]) -> None:
        """Replace the configuration with a YAML file (e.g. from :meth:`get_yaml`).

        The tables keep the datasets the file names, which must be yours on the server; the
        run keeps this runner's display name. The file is checked as the server would.

        A file written by the official client (its ``avatar_yaml``) is read too: each
        table's ``file`` is looked up among your datasets (see
        :class:`avatars.official_yaml.DatasetFiles`; a file this runner uploaded with
        :meth:`upload_file` is that upload, whatever older datasets share its name), its
        spellings are translated, and what this server does not do is refused by name
        (docs/yaml.md).
        """
        text = Path(yaml_path).read_text(encoding="utf-8")
        config = read_run_yaml(self.client, text, uploads=self._uploads)
        self.adopt(config)

    def adopt(
        self, config: Config, set_name: str | None = None, jobs: Iterable[JobOut] = ()
    ) -> None:
        """Take over a configuration (and, for a stored set, its jobs, newest first) so that
        its results can be read without running again."""
        config.metadata.display_name = self.display_name
        if set_name is None:
            self._check(config, complete=True)
        self._config = config
        if config.reports:
            self.report_language = config.reports[0].language
        self._advice.clear()
        if set_name is not None:
            self._set_name = str(uuid.UUID(set_name))
            self._results.adopt(jobs)
