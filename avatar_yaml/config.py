"""A whole run: its documents built and edited in Python (:class:`Config`), written as YAML and
read back.

The client's Runner builds a :class:`Config` and sends :meth:`Config.to_yaml`; the server reads
it back with :meth:`Config.from_yaml`. Because both sides use this one package, what the client
can produce is exactly what the server accepts, and ``Config.from_yaml(c.to_yaml()).to_yaml()``
is byte for byte ``c.to_yaml()``.

Document names are fixed by their kind (``schema``, ``standard``, ``report_pia``...), as in the
official client: the server launches jobs by document name, and cross-references between
documents (``schema: schema_avatarized``, ``avatarization_ref: standard``) then never dangle.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import TypeVar

from avatar_yaml import rules
from avatar_yaml.documents import (
    AdviceParameters,
    Approver,
    AvatarizationParameters,
    AvatarsData,
    ColumnInfo,
    Link,
    LinkTarget,
    Metadata,
    Parameters,
    PiaMetadata,
    PrivacyMetricsParameters,
    PrivacyMetricsTableParameters,
    ReportParameters,
    Results,
    Schema,
    SignalMetricsParameters,
    SignalMetricsTableParameters,
    TableData,
    TableInfo,
    TimeSeriesParameters,
)
from avatar_yaml.fields import Bounds, ConfigError, Node, as_mapping, fail, read_value
from avatar_yaml.loader import dump_documents, load_yaml_documents
from avatar_yaml.official_dialect import is_official_dialect
from avatar_yaml.vocabulary import (
    ADVICE_NAME,
    ADVICE_RESULTS_PATH,
    AVATARIZED_SCHEMA_NAME,
    METADATA_NAME_PREFIX,
    PARAMETERS_NAME,
    PRIVACY_METRICS_NAME,
    REPORT_NAMES,
    SCHEMA_NAME,
    SIGNAL_METRICS_NAME,
    DocumentKind,
    LinkMethod,
    ReportFormat,
    ReportLanguage,
    ReportType,
    ResultsFormat,
    report_name,
)

__all__ = ["Config"]

S = TypeVar("S", bound=Node)


def _document(kind: DocumentKind, name: str, spec: Node) -> dict[str, object]:
    return {"kind": kind.value, "metadata": {"name": name}, "spec": spec.to_dict()}


@dataclass(kw_only=True)
class Config:
    """A run: its tables and the parameters of each job, as the documents of one YAML text.

    ``seed``, ``output_format`` and ``max_distribution_plots`` are the defaults given to the
    documents created later (by :meth:`set_parameters`, :meth:`add_report`...); documents
    already present keep their own values.
    """

    metadata: Metadata
    annotations: dict[str, str] | None = None
    schema: Schema = dataclasses.field(default_factory=Schema)
    parameters: Parameters | None = None
    privacy_metrics: PrivacyMetricsParameters | None = None
    signal_metrics: SignalMetricsParameters | None = None
    reports: list[ReportParameters] = dataclasses.field(default_factory=list)
    advice: AdviceParameters | None = None
    # Defaults for documents created later, not documents: two runs with the same documents
    # are equal whatever these say.
    seed: int | None = dataclasses.field(default=None, compare=False)
    output_format: ResultsFormat | None = dataclasses.field(default=None, compare=False)
    max_distribution_plots: int | None = dataclasses.field(default=None, compare=False)

    @classmethod
    def new(
        cls,
        display_name: str,
        *,
        seed: int | None = None,
        pia: PiaMetadata | None = None,
        approver: Approver | None = None,
        annotations: dict[str, str] | None = None,
        max_distribution_plots: int | None = None,
        output_format: ResultsFormat | None = None,
    ) -> Config:
        """An empty run: metadata and a schema without tables."""
        return cls(
            metadata=Metadata(
                display_name=display_name,
                pia_metadata=pia if pia is not None else PiaMetadata(),
                approver=approver,
            ),
            annotations=dict(annotations) if annotations is not None else None,
            seed=seed,
            output_format=output_format,
            max_distribution_plots=max_distribution_plots,
        )

    @property
    def display_name(self) -> str:
        return self.metadata.display_name

    # -- tables ------------------------------------------------------------------------------

    def table_names(self) -> list[str]:
        return [table.name for table in self.schema.tables]

    def table(self, name: str) -> TableInfo:
        for table in self.schema.tables:
            if table.name == name:
                return table
        known = ", ".join(self.table_names()) or "none"
        raise KeyError(f"no table {name!r} in the run (tables: {known})")

    def add_table(
        self,
        name: str,
        dataset_id: str,
        *,
        file: str | None = None,
        individual_level: bool | None = None,
        columns: list[ColumnInfo] | None = None,
    ) -> TableInfo:
        """Declare a table; a table of the same name is replaced where it stands (its links
        and avatars_data go with it; its parameters, keyed by name, stay)."""
        table = TableInfo(
            name=name,
            data=TableData(dataset_id=dataset_id, file=file),
            individual_level=individual_level,
            columns=list(columns) if columns is not None else None,
        )
        names = self.table_names()
        if name in names:
            self.schema.tables[names.index(name)] = table
        else:
            self.schema.tables.append(table)
        return table

    def delete_table(self, name: str) -> None:
        """Remove a table, its parameters, and the links of other tables that point to it."""
        table = self.table(name)
        self.delete_parameters(name)
        self.schema.tables.remove(table)
        for other in self.schema.tables:
            if other.links is not None:
                other.links = [link for link in other.links if link.to.table != name] or None

    def add_link(
        self,
        parent_table: str,
        parent_field: str,
        child_table: str,
        child_field: str,
        method: LinkMethod = LinkMethod.LINEAR_SUM_ASSIGNMENT,
    ) -> Link:
        """Link a parent's key to a child's foreign key; replaces a link between the same two
        tables, since the avatarization pairs a child with one parent table only once."""
        parent = self.table(parent_table)
        self.table(child_table)
        target = LinkTarget(table=child_table, field=child_field)
        link = Link(field=parent_field, to=target, method=method)
        links = [existing for existing in parent.links or [] if existing.to.table != child_table]
        parent.links = [*links, link]
        return link

    def delete_link(self, parent_table: str, child_table: str) -> None:
        """Remove the link from a parent to a child (KeyError naming both if there is none)."""
        parent = self.table(parent_table)
        self.table(child_table)
        links = parent.links or []
        kept = [link for link in links if link.to.table != child_table]
        if len(kept) == len(links):
            linked = ", ".join(link.to.table for link in links) or "none"
            raise KeyError(
                f"table {parent_table!r} has no link to table {child_table!r} "
                f"(it links to: {linked})"
            )
        parent.links = kept or None

    def avatarized_schema(self) -> Schema:
        """The ``schema_avatarized`` document: every table, with the run's avatars as data."""
        return Schema(
            schema_ref=SCHEMA_NAME,
            tables=[
                TableInfo(name=table.name, avatars_data=AvatarsData(auto=True))
                for table in self.schema.tables
            ],
        )

    # -- parameters --------------------------------------------------------------------------

    def _results(self, path: str) -> Results:
        """A new document's results block: the run's output format where tables are written,
        its plot cap where a report draws them (elsewhere they would be refused as ignored)."""
        tables = path == PARAMETERS_NAME
        plots = tables or path in REPORT_NAMES.values()
        return Results(
            path=path,
            format=self.output_format if tables else None,
            max_distribution_plots=self.max_distribution_plots if plots else None,
        )

    def set_parameters(
        self,
        table: str,
        avatarization: AvatarizationParameters | None = None,
        privacy: PrivacyMetricsTableParameters | None = None,
        signal: SignalMetricsTableParameters | None = None,
        time_series: TimeSeriesParameters | None = None,
    ) -> None:
        """Replace all of a table's parameters (None removes that entry).

        The metrics documents exist from the first call on, as with the official client:
        metrics run with their defaults for tables without entries. The ``standard`` document
        exists while some table has avatarization or time series parameters; the metrics
        documents carry a copy of its ``time_series``, as the official client writes them.
        """
        self.table(table)
        self._drop_entries(table)
        if (avatarization is not None or time_series is not None) and self.parameters is None:
            self.parameters = Parameters(results=self._results(PARAMETERS_NAME), seed=self.seed)
        if avatarization is not None and self.parameters is not None:
            self.parameters.avatarization = {
                **(self.parameters.avatarization or {}),
                table: avatarization,
            }
        if time_series is not None and self.parameters is not None:
            self.parameters.time_series = {
                **(self.parameters.time_series or {}),
                table: time_series,
            }
        self.add_metrics_documents()
        assert self.privacy_metrics is not None and self.signal_metrics is not None
        if privacy is not None:
            self.privacy_metrics.privacy_metrics = {
                **(self.privacy_metrics.privacy_metrics or {}),
                table: privacy,
            }
        if signal is not None:
            self.signal_metrics.signal_metrics = {
                **(self.signal_metrics.signal_metrics or {}),
                table: signal,
            }
        self._tidy()

    def add_metrics_documents(self) -> None:
        """Both metrics documents, with their defaults where missing (entries kept)."""
        if self.privacy_metrics is None:
            self.privacy_metrics = PrivacyMetricsParameters(
                results=self._results(PRIVACY_METRICS_NAME), seed=self.seed
            )
        if self.signal_metrics is None:
            self.signal_metrics = SignalMetricsParameters(
                results=self._results(SIGNAL_METRICS_NAME), seed=self.seed
            )
        self._tidy()

    def delete_parameters(self, table: str) -> None:
        """Remove a table's parameters; once no table has any, the parameter and metrics
        documents go too, as if parameters had never been set."""
        self.table(table)
        self._drop_entries(table)
        self._tidy()
        nothing_left = (
            self.parameters is None
            and not (self.privacy_metrics and self.privacy_metrics.privacy_metrics)
            and not (self.signal_metrics and self.signal_metrics.signal_metrics)
        )
        if nothing_left:
            self.privacy_metrics = None
            self.signal_metrics = None

    def _drop_entries(self, table: str) -> None:
        if self.parameters is not None and self.parameters.avatarization is not None:
            self.parameters.avatarization.pop(table, None)
        if self.parameters is not None and self.parameters.time_series is not None:
            self.parameters.time_series.pop(table, None)
        if self.privacy_metrics is not None and self.privacy_metrics.privacy_metrics is not None:
            self.privacy_metrics.privacy_metrics.pop(table, None)
        if self.signal_metrics is not None and self.signal_metrics.signal_metrics is not None:
            self.signal_metrics.signal_metrics.pop(table, None)

    def _tidy(self) -> None:
        """Empty per-table maps become absent; ``standard`` goes when it avatarizes and tunes
        nothing; the metrics documents refer to ``standard`` exactly when it exists, and copy
        its ``time_series``."""
        if self.parameters is not None:
            self.parameters.avatarization = self.parameters.avatarization or None
            self.parameters.time_series = self.parameters.time_series or None
            if self.parameters.avatarization is None and self.parameters.time_series is None:
                self.parameters = None
        reference = PARAMETERS_NAME if self.parameters is not None else None
        series = self.parameters.time_series if self.parameters is not None else None
        if self.privacy_metrics is not None:
            self.privacy_metrics.privacy_metrics = self.privacy_metrics.privacy_metrics or None
            self.privacy_metrics.avatarization_ref = reference
            self.privacy_metrics.time_series = copy.deepcopy(series)
        if self.signal_metrics is not None:
            self.signal_metrics.signal_metrics = self.signal_metrics.signal_metrics or None
            self.signal_metrics.avatarization_ref = reference
            self.signal_metrics.time_series = copy.deepcopy(series)

    def add_report(
        self,
        report_type: ReportType,
        language: ReportLanguage,
        output_format: ReportFormat,
    ) -> ReportParameters:
        """Add a report document, replacing one of the same type (their names are fixed)."""
        name = report_name(report_type)
        report = ReportParameters(
            report_type=report_type,
            output_format=output_format,
            language=language,
            results=self._results(name),
        )
        for i, existing in enumerate(self.reports):
            if existing.report_type == report_type:
                self.reports[i] = report
                return report
        self.reports.append(report)
        return report

    def add_advice(self) -> AdviceParameters:
        """Add (or reset) the ``advice_parameters`` document."""
        self.advice = AdviceParameters(results=self._results(ADVICE_RESULTS_PATH))
        return self.advice

    # -- documents ---------------------------------------------------------------------------

    def _named_documents(self) -> list[tuple[DocumentKind, str, Node]]:
        named: list[tuple[DocumentKind, str, Node]] = [
            (DocumentKind.METADATA, METADATA_NAME_PREFIX + self.display_name, self.metadata),
            (DocumentKind.SCHEMA, SCHEMA_NAME, self.schema),
            (DocumentKind.SCHEMA, AVATARIZED_SCHEMA_NAME, self.avatarized_schema()),
        ]
        if self.advice is not None:
            named.append((DocumentKind.ADVICE, ADVICE_NAME, self.advice))
        if self.parameters is not None:
            named.append((DocumentKind.PARAMETERS, PARAMETERS_NAME, self.parameters))
        if self.privacy_metrics is not None:
            named.append((DocumentKind.PRIVACY_METRICS, PRIVACY_METRICS_NAME, self.privacy_metrics))
        if self.signal_metrics is not None:
            named.append((DocumentKind.SIGNAL_METRICS, SIGNAL_METRICS_NAME, self.signal_metrics))
        named.extend(
            (DocumentKind.REPORT, report_name(report.report_type), report)
            for report in self.reports
        )
        return named

    def documents(self) -> list[dict[str, object]]:
        """The YAML documents, in the order of the official client: metadata, schema,
        avatarized schema, advice, standard, privacy metrics, signal metrics, reports."""
        documents = [_document(kind, name, spec) for kind, name, spec in self._named_documents()]
        if self.annotations is not None:
            documents[0]["annotations"] = dict(self.annotations)
        return documents

    def results_blocks(self) -> list[tuple[str, Results]]:
        """Each document's name and results block."""
        return [
            (name, spec.results)
            for _, name, spec in self._named_documents()
            if isinstance(spec, _WITH_RESULTS)
        ]

    def document_names(self) -> list[str]:
        return [name for _, name, _ in self._named_documents()]

    def document_kind(self, name: str) -> DocumentKind:
        for kind, document_name, _ in self._named_documents():
            if document_name == name:
                return kind
        known = ", ".join(self.document_names())
        raise KeyError(f"no document {name!r} in the run (documents: {known})")

    def to_yaml(self) -> str:
        """The run as YAML, checked by reading it back: what the client sends is what the
        server accepts, and a Config built wrongly in Python fails here, not on the server."""
        text = dump_documents(self.documents())
        Config.from_yaml(text)
        return text

    @classmethod
    def from_yaml(cls, text: str) -> Config:
        """Read and validate a run; raises ConfigError naming the document and the key.

        A run in the official client's dialect is refused with where to read it: its tables
        name files, which only a client that lists the user's datasets can find."""
        documents = load_yaml_documents(text)
        if is_official_dialect(documents):
            raise ConfigError(
                "this YAML is in the official client's dialect (its tables name files in a "
                "volume, not uploaded datasets): read it with runner.from_yaml(path) or "
                "`avatars run`, which find each file among your datasets"
            )
        return cls.from_documents(documents)

    @classmethod
    def from_documents(cls, documents: list[dict[str, object]]) -> Config:
        """Read and validate a run given as YAML documents already parsed (see
        :func:`avatar_yaml.loader.load_yaml_documents`)."""
        return _RunReader().read(documents)


# --------------------------------------------------------------------------------------------
# Reading a whole run

_WITH_RESULTS = (
    Parameters,
    PrivacyMetricsParameters,
    SignalMetricsParameters,
    ReportParameters,
    AdviceParameters,
)
_SPECS: dict[DocumentKind, type[Node]] = {
    DocumentKind.METADATA: Metadata,
    DocumentKind.SCHEMA: Schema,
    DocumentKind.PARAMETERS: Parameters,
    DocumentKind.PRIVACY_METRICS: PrivacyMetricsParameters,
    DocumentKind.SIGNAL_METRICS: SignalMetricsParameters,
    DocumentKind.REPORT: ReportParameters,
    DocumentKind.ADVICE: AdviceParameters,
}


class _RunReader:
    """Reads documents one by one, then checks what only the whole run can tell."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}  # document name -> "document N (Kind 'name')"
        self.numbers: dict[str, int] = {}
        self.specs: dict[str, Node] = {}
        self.reports: list[ReportParameters] = []
        self.annotations: dict[str, str] | None = None

    def read(self, documents: list[dict[str, object]]) -> Config:
        for number, document in enumerate(documents, start=1):
            self._read_document(number, document)
        metadata = self._spec(METADATA_NAME_PREFIX, Metadata)
        if metadata is None:
            raise ConfigError(f"the run has no {DocumentKind.METADATA} document")
        schema = self._spec(SCHEMA_NAME, Schema)
        if schema is None:
            raise ConfigError(f"the run has no {DocumentKind.SCHEMA} document {SCHEMA_NAME!r}")
        config = Config(
            metadata=metadata,
            annotations=self.annotations,
            schema=schema,
            parameters=self._spec(PARAMETERS_NAME, Parameters),
            privacy_metrics=self._spec(PRIVACY_METRICS_NAME, PrivacyMetricsParameters),
            signal_metrics=self._spec(SIGNAL_METRICS_NAME, SignalMetricsParameters),
            reports=self.reports,
            advice=self._spec(ADVICE_NAME, AdviceParameters),
        )
        self._check_avatarized_schema(config)
        rules.check_run(config, self.headers)
        self._set_defaults(config)
        return config

    def _spec(self, name: str, cls: type[S]) -> S | None:
        if name == METADATA_NAME_PREFIX:
            found = [s for n, s in self.specs.items() if n.startswith(name)]
            spec = found[0] if found else None
        else:
            spec = self.specs.get(name)
        return spec if isinstance(spec, cls) else None

    def _read_document(self, number: int, document: dict[str, object]) -> None:
        where = f"document {number}"
        if "kind" not in document:
            raise fail(where, "missing required key 'kind'")
        kind_value = read_value(str, document["kind"], f"{where}: kind")
        try:
            kind = DocumentKind(kind_value)
        except ValueError:
            allowed_kinds = ", ".join(DocumentKind)
            raise fail(
                f"{where}: kind", f"unknown kind {kind_value!r}; allowed: {allowed_kinds}"
            ) from None
        where = f"{where} ({kind})"
        if "metadata" not in document:
            raise fail(where, "missing required key 'metadata'")
        metadata = as_mapping(document["metadata"], f"{where}: metadata")
        for key in metadata:
            if key != "name":
                raise fail(f"{where}: metadata", f"unknown key {key!r}; allowed: name")
        if "name" not in metadata:
            raise fail(f"{where}: metadata", "missing required key 'name'")
        name = read_value(str, metadata["name"], f"{where}: metadata.name")
        header = f"document {number} ({kind} {name!r})"
        allowed = ["kind", "metadata", "spec"]
        if kind is DocumentKind.METADATA:
            allowed.append("annotations")
        for key in document:
            if key not in allowed:
                raise fail(header, f"unknown key {key!r}; allowed: {', '.join(allowed)}")
        if "spec" not in document:
            raise fail(header, "missing required key 'spec'")
        if name in self.numbers:
            raise fail(header, f"duplicate document name {name!r} (document {self.numbers[name]})")
        if kind is DocumentKind.METADATA and self._spec(METADATA_NAME_PREFIX, Metadata):
            raise fail(header, f"a run has one {kind} document, and this is the second")
        if kind is DocumentKind.SCHEMA and name not in (SCHEMA_NAME, AVATARIZED_SCHEMA_NAME):
            raise fail(
                f"{header}: metadata.name",
                f"expected {SCHEMA_NAME!r} or {AVATARIZED_SCHEMA_NAME!r}, got {name!r}",
            )
        self.numbers[name] = number
        self.headers[name] = header
        spec = _SPECS[kind].from_dict(document["spec"], f"{header}: spec")
        if isinstance(spec, Metadata):
            expected = METADATA_NAME_PREFIX + spec.display_name
            if "annotations" in document:
                self.annotations = read_value(
                    dict[str, str],
                    document["annotations"],
                    f"{header}: annotations",
                    Bounds(allow_empty=True),
                )
        elif isinstance(spec, Schema):
            expected = name
        elif isinstance(spec, ReportParameters):
            expected = report_name(spec.report_type)
            self.reports.append(spec)
        else:
            expected = _NAMES[kind]
        if name != expected:
            raise fail(f"{header}: metadata.name", f"expected {expected!r}, got {name!r}")
        self.specs[name] = spec

    def _check_avatarized_schema(self, config: Config) -> None:
        """``schema_avatarized`` is derived from the schema: it may be left out, but if given it
        must be exactly what would be derived, so that no one is misled by a stale copy."""
        avatarized = self.specs.get(AVATARIZED_SCHEMA_NAME)
        if not isinstance(avatarized, Schema):
            return
        expected = config.avatarized_schema()
        if avatarized == expected:
            return
        where = f"{self.headers[AVATARIZED_SCHEMA_NAME]}: spec"
        if avatarized.schema_ref != SCHEMA_NAME:
            raise fail(f"{where}.schema_ref", f"expected {SCHEMA_NAME!r}")
        got = [table.name for table in avatarized.tables]
        if got != config.table_names():
            wanted_names = ", ".join(config.table_names())
            raise fail(
                f"{where}.tables",
                f"expected the tables of {SCHEMA_NAME!r} in order ({wanted_names}),"
                f" got ({', '.join(got)})",
            )
        pairs = zip(avatarized.tables, expected.tables, strict=True)
        for i, (table, wanted) in enumerate(pairs):
            if table != wanted:
                raise fail(
                    f"{where}.tables[{i}]",
                    f"expected exactly {{name: {wanted.name}, avatars_data: {{auto: true}}}}",
                )

    @staticmethod
    def _set_defaults(config: Config) -> None:
        """Documents added later to a run read from YAML get the settings of those present."""
        for seeded in (config.parameters, config.privacy_metrics, config.signal_metrics):
            if seeded is not None and seeded.seed is not None:
                config.seed = seeded.seed
                break
        blocks = [results for _, results in config.results_blocks()]
        formats = [results.format for results in blocks if results.format is not None]
        plots = [r.max_distribution_plots for r in blocks if r.max_distribution_plots is not None]
        config.output_format = formats[0] if formats else None
        config.max_distribution_plots = plots[0] if plots else None


_NAMES: dict[DocumentKind, str] = {
    DocumentKind.PARAMETERS: PARAMETERS_NAME,
    DocumentKind.PRIVACY_METRICS: PRIVACY_METRICS_NAME,
    DocumentKind.SIGNAL_METRICS: SIGNAL_METRICS_NAME,
    DocumentKind.ADVICE: ADVICE_NAME,
}
