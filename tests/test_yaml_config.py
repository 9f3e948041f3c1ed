"""The run YAML format: exact round trips, strict reading with precise errors, Config edits.

No server: ``avatars.yaml_config`` is pure (standard library and PyYAML).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable

import pytest

from avatar_yaml import (
    JOB_KIND_OF_DOCUMENT,
    Advice,
    AdviceParameters,
    AdvisorType,
    Approver,
    AvatarizationParameters,
    AvatarsData,
    ColumnInfo,
    ColumnType,
    Config,
    ConfigError,
    DataRecipient,
    DataSubject,
    DataType,
    DocumentKind,
    ExcludeVariables,
    ExcludeVariablesMethod,
    Imputation,
    ImputeMethod,
    JobKind,
    Link,
    LinkMethod,
    LinkTarget,
    Metadata,
    Parameters,
    PiaMetadata,
    PrivacyMetricsParameters,
    PrivacyMetricsTableParameters,
    ReportFormat,
    ReportLanguage,
    ReportParameters,
    ReportType,
    Results,
    ResultsFormat,
    Schema,
    SensitivityLevel,
    SignalMetricsParameters,
    SignalMetricsTableParameters,
    TableData,
    TableInfo,
    load_yaml_documents,
)


def full_config() -> Config:
    """A run with every optional field of the format set somewhere."""
    config = Config.new(
        "clinic",
        seed=42,
        pia=PiaMetadata(
            datarecipient=DataRecipient.CONTRACTUAL_THIRD_PARTY,
            data_type=DataType.HEALTH,
            datasubject=DataSubject.PATIENTS,
            sensitivity_level=SensitivityLevel.HIGH,
        ),
        approver=Approver(
            name="Amélie Durand",
            role="Déléguée à la protection des données",
            organisation="CHU",
            date=datetime.date(2025, 3, 1),
        ),
        annotations={"client_type": "python", "client_version": "0.1.0", "note": "été"},
        max_distribution_plots=3,
        output_format=ResultsFormat.PARQUET,
    )
    config.add_table(
        "patients",
        "ds-patients",
        file="patients.csv",
        individual_level=True,
        columns=[
            ColumnInfo(field="pid", type=ColumnType.INT, primary_key=True),
            ColumnInfo(field="âge", type=ColumnType.FLOAT),
            ColumnInfo(field="smoker", type=ColumnType.BOOL),
        ],
    )
    stays = config.add_table(
        "séjours",
        "ds-séjours",
        file="séjours.parquet",
        individual_level=False,
        columns=[
            ColumnInfo(field="stay_id", type=ColumnType.INT, primary_key=True, drop=False),
            ColumnInfo(field="patient_ref", type=ColumnType.INT, identifier=True),
            ColumnInfo(field="admis_le", type=ColumnType.DATETIME_TZ, time_series_time=True),
            ColumnInfo(field="sorti_le", type=ColumnType.DATETIME),
            ColumnInfo(field="service", type=ColumnType.CATEGORY),
            ColumnInfo(field="commentaire", drop=True),
        ],
    )
    stays.avatars_data = AvatarsData(dataset_id="ds-séjours-avatars")
    stays.links = []
    config.add_link(
        "patients", "pid", "séjours", "patient_ref", LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT
    )
    config.set_parameters(
        "patients",
        AvatarizationParameters(
            k=10,
            ncp=4,
            use_categorical_reduction=True,
            column_weights={"âge": 0.1, "smoker": 1e-05, "poids": 2},
            exclude_variables=ExcludeVariables(
                variable_names=["pid"],
                replacement_strategy=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
            ),
            imputation=Imputation(
                method=ImputeMethod.FAST_KNN, k=5, training_fraction=0.25, return_data_imputed=False
            ),
        ),
        PrivacyMetricsTableParameters(
            ncp=4,
            use_categorical_reduction=False,
            known_variables=["âge"],
            target="smoker",
            quantile_threshold=80,
            imputation=Imputation(method=ImputeMethod.FAST_KNN),
            exclude_variables=ExcludeVariables(
                variable_names=[], replacement_strategy=ExcludeVariablesMethod.ROW_ORDER
            ),
            column_weights={"âge": 0.5},
        ),
        SignalMetricsTableParameters(
            ncp=3,
            use_categorical_reduction=True,
            imputation=Imputation(method=ImputeMethod.MEDIAN),
            column_weights={"smoker": 3.5},
            exclude_variables=ExcludeVariables(
                variable_names=["pid"], replacement_strategy=ExcludeVariablesMethod.ROW_ORDER
            ),
        ),
    )
    config.set_parameters(
        "séjours",
        AvatarizationParameters(k=5, imputation=Imputation(method=ImputeMethod.MODE)),
        PrivacyMetricsTableParameters(known_variables=[]),
        None,
    )
    config.add_report(ReportType.BASIC, ReportLanguage.FR, ReportFormat.PDF)
    config.add_report(ReportType.PIA, ReportLanguage.EN, ReportFormat.DOCX)
    config.add_advice()
    return config


# -- round trips ---------------------------------------------------------------------------------


def test_full_config_round_trips_byte_for_byte() -> None:
    config = full_config()
    text = config.to_yaml()
    again = Config.from_yaml(text)
    assert again == config
    assert again.to_yaml() == text
    # the details the byte identity is about are really in the text, written plainly
    for fragment in (
        "- field: âge\n",
        "name: séjours\n",
        "note: été\n",
        "âge: 0.1\n",
        "smoker: 1.0e-05\n",
        "poids: 2\n",
        "variable_names: []\n",
        "known_variables: []\n",
        "links:\n    - field: pid\n",
        "sensitivity_level: High\n",
        "training_fraction: 0.25\n",
        "date: '2025-03-01'\n",
    ):
        assert fragment in text
    assert "\\u" not in text and "&id" not in text
    assert again.parameters is not None and again.parameters.avatarization is not None
    weights = again.parameters.avatarization["patients"].column_weights
    assert weights == {"âge": 0.1, "smoker": 1e-05, "poids": 2}
    assert type(weights["poids"]) is int  # written back as 2, not 2.0


def test_full_config_documents_come_in_the_official_order() -> None:
    config = full_config()
    assert config.document_names() == [
        "avatar-metadata-clinic",
        "schema",
        "schema_avatarized",
        "advice_parameters",
        "standard",
        "privacy_metrics",
        "signal_metrics",
        "report",
        "report_pia",
    ]
    documents = config.documents()
    assert [document["kind"] for document in documents] == [
        "AvatarMetadata",
        "AvatarSchema",
        "AvatarSchema",
        "AvatarAdviceParameters",
        "AvatarParameters",
        "AvatarPrivacyMetricsParameters",
        "AvatarSignalMetricsParameters",
        "AvatarReportParameters",
        "AvatarReportParameters",
    ]
    assert list(documents[0]) == ["kind", "metadata", "spec", "annotations"]
    assert all(list(document) == ["kind", "metadata", "spec"] for document in documents[1:])
    assert documents[2]["spec"] == {
        "schema_ref": "schema",
        "tables": [
            {"name": "patients", "avatars_data": {"auto": True}},
            {"name": "séjours", "avatars_data": {"auto": True}},
        ],
    }


MINIMAL_YAML = """\
kind: AvatarMetadata
metadata:
  name: avatar-metadata-clinic
spec:
  display_name: clinic
  pia_metadata:
    datarecipient: unknown
    data_type: unknown
    datasubject: unknown
    sensitivity_level: undefined
---
kind: AvatarSchema
metadata:
  name: schema
spec:
  tables: []
---
kind: AvatarSchema
metadata:
  name: schema_avatarized
spec:
  schema_ref: schema
  tables: []
"""


def test_minimal_config_is_written_exactly_and_round_trips() -> None:
    config = Config.new("clinic")
    assert config.to_yaml() == MINIMAL_YAML
    again = Config.from_yaml(MINIMAL_YAML)
    assert again == config
    assert again.to_yaml() == MINIMAL_YAML


def test_documents_in_any_order_are_written_back_in_the_canonical_order() -> None:
    text = full_config().to_yaml()
    documents = text.split("---\n")
    shuffled = "---\n".join(reversed(documents[:-1])) + "---\n" + documents[-1]
    assert shuffled != text
    assert Config.from_yaml(shuffled).to_yaml() == text


def test_to_dict_keys_follow_the_format_order_and_omit_none() -> None:
    config = full_config()
    assert config.parameters is not None and config.parameters.avatarization is not None
    avatarization = config.parameters.avatarization["patients"].to_dict()
    assert list(avatarization) == [
        "k",
        "ncp",
        "use_categorical_reduction",
        "column_weights",
        "exclude_variables",
        "imputation",
    ]
    assert avatarization["imputation"] == {
        "method": "fast_knn",
        "k": 5,
        "training_fraction": 0.25,
        "return_data_imputed": False,
    }
    imputation = avatarization["imputation"]
    assert isinstance(imputation, dict)
    assert type(imputation["method"]) is str  # a plain string, which safe_dump can write
    assert config.privacy_metrics is not None and config.privacy_metrics.privacy_metrics
    assert list(config.privacy_metrics.privacy_metrics["patients"].to_dict()) == [
        "ncp",
        "use_categorical_reduction",
        "known_variables",
        "target",
        "quantile_threshold",
        "imputation",
        "exclude_variables",
        "column_weights",
    ]
    assert list(config.privacy_metrics.to_dict()) == [
        "schema",
        "avatarization_ref",
        "privacy_metrics",
        "results",
        "seed",
    ]
    assert config.signal_metrics is not None and config.signal_metrics.signal_metrics
    assert list(config.signal_metrics.signal_metrics["patients"].to_dict()) == [
        "ncp",
        "use_categorical_reduction",
        "imputation",
        "column_weights",
        "exclude_variables",
    ]
    assert list(config.table("séjours").to_dict()) == [
        "name",
        "data",
        "individual_level",
        "avatars_data",
        "columns",
        "links",
    ]
    assert list(config.parameters.to_dict()) == ["schema", "avatarization", "results", "seed"]
    assert config.parameters.results.to_dict() == {
        "volume": "results",
        "path": "standard",
        "format": "parquet",
        "max_distribution_plots": 3,
    }
    assert ColumnInfo(field="a").to_dict() == {"field": "a"}
    assert list(
        ColumnInfo(
            field="a",
            type=ColumnType.INT,
            identifier=False,
            primary_key=True,
            time_series_time=False,
            drop=False,
        ).to_dict()
    ) == ["field", "type", "identifier", "primary_key", "time_series_time", "drop"]


# -- a hand-written run --------------------------------------------------------------------------

HAND_WRITTEN = """\
kind: AvatarMetadata
metadata: {name: avatar-metadata-clinic}
spec:
  display_name: clinic
  pia_metadata: {datarecipient: internal, data_type: health, datasubject: patients, \
sensitivity_level: High}
annotations: {client_type: python, client_version: 1.30.0}
---
kind: AvatarSchema
metadata: {name: schema}
spec:
  tables:
  - name: person
    data: {dataset_id: ds-person, file: person.csv}
    individual_level: true
    columns:
    - {field: pid, primary_key: true}
    - {field: âge, type: float}
    links:
    - {field: pid, to: {table: stay, field: person_ref}, method: minimum_distance_assignment}
  - name: stay
    data: {dataset_id: ds-stay}
    individual_level: false
    columns:
    - {field: stay_id, type: int, primary_key: true}
    - {field: person_ref, type: int, identifier: true}
    - {field: ward, type: category}
    - {field: days, type: float}
---
kind: AvatarSchema
metadata: {name: schema_avatarized}
spec:
  schema_ref: schema
  tables:
  - {name: person, avatars_data: {auto: true}}
  - {name: stay, avatars_data: {auto: true}}
---
kind: AvatarParameters
metadata: {name: standard}
spec:
  schema: schema
  avatarization:
    person: {k: 10, ncp: 4}
    stay:
      k: 5
      exclude_variables: {variable_names: [ward], replacement_strategy: coordinate_similarity}
  results: {volume: results, path: standard}
  seed: 7
---
kind: AvatarPrivacyMetricsParameters
metadata: {name: privacy_metrics}
spec:
  schema: schema_avatarized
  avatarization_ref: standard
  privacy_metrics:
    person: {ncp: 4, known_variables: [âge], target: pid}
  results: {volume: results, path: privacy_metrics}
  seed: 7
---
kind: AvatarSignalMetricsParameters
metadata: {name: signal_metrics}
spec: {schema: schema_avatarized, avatarization_ref: standard, \
results: {volume: results, path: signal_metrics}, seed: 7}
---
kind: AvatarReportParameters
metadata: {name: report}
spec: {report_type: basic, output_format: pdf, language: fr, \
results: {volume: results, path: report}}
"""


def test_hand_written_yaml_loads_into_the_expected_objects() -> None:
    config = Config.from_yaml(HAND_WRITTEN)
    assert config.display_name == "clinic"
    assert config.metadata == Metadata(
        display_name="clinic",
        pia_metadata=PiaMetadata(
            datarecipient=DataRecipient.INTERNAL,
            data_type=DataType.HEALTH,
            datasubject=DataSubject.PATIENTS,
            sensitivity_level=SensitivityLevel.HIGH,
        ),
    )
    assert config.annotations == {"client_type": "python", "client_version": "1.30.0"}
    assert config.schema == Schema(
        tables=[
            TableInfo(
                name="person",
                data=TableData(dataset_id="ds-person", file="person.csv"),
                individual_level=True,
                columns=[
                    ColumnInfo(field="pid", primary_key=True),
                    ColumnInfo(field="âge", type=ColumnType.FLOAT),
                ],
                links=[
                    Link(
                        field="pid",
                        to=LinkTarget(table="stay", field="person_ref"),
                        method=LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT,
                    )
                ],
            ),
            TableInfo(
                name="stay",
                data=TableData(dataset_id="ds-stay"),
                individual_level=False,
                columns=[
                    ColumnInfo(field="stay_id", type=ColumnType.INT, primary_key=True),
                    ColumnInfo(field="person_ref", type=ColumnType.INT, identifier=True),
                    ColumnInfo(field="ward", type=ColumnType.CATEGORY),
                    ColumnInfo(field="days", type=ColumnType.FLOAT),
                ],
            ),
        ]
    )
    assert config.parameters == Parameters(
        avatarization={
            "person": AvatarizationParameters(k=10, ncp=4),
            "stay": AvatarizationParameters(
                k=5,
                exclude_variables=ExcludeVariables(
                    variable_names=["ward"],
                    replacement_strategy=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
                ),
            ),
        },
        results=Results(path="standard"),
        seed=7,
    )
    assert config.privacy_metrics == PrivacyMetricsParameters(
        avatarization_ref="standard",
        privacy_metrics={
            "person": PrivacyMetricsTableParameters(ncp=4, known_variables=["âge"], target="pid")
        },
        results=Results(path="privacy_metrics"),
        seed=7,
    )
    assert config.signal_metrics == SignalMetricsParameters(
        avatarization_ref="standard", results=Results(path="signal_metrics"), seed=7
    )
    assert config.reports == [
        ReportParameters(
            report_type=ReportType.BASIC,
            output_format=ReportFormat.PDF,
            language=ReportLanguage.FR,
            results=Results(path="report"),
        )
    ]
    assert config.advice is None
    assert config.seed == 7
    assert config.document_kind("report") is DocumentKind.REPORT
    assert config.document_kind("schema_avatarized") is DocumentKind.SCHEMA
    # and what it reads, it writes back stably
    text = config.to_yaml()
    assert Config.from_yaml(text).to_yaml() == text


def test_schema_avatarized_may_be_left_out_and_is_derived() -> None:
    documents = HAND_WRITTEN.split("---\n")
    assert "schema_avatarized" in documents[2]
    text = "---\n".join(documents[:2] + documents[3:])
    config = Config.from_yaml(text)
    assert config == Config.from_yaml(HAND_WRITTEN)
    assert "name: schema_avatarized" in config.to_yaml()


def test_a_run_read_from_yaml_gives_its_settings_to_new_documents() -> None:
    config = Config.from_yaml(full_config().to_yaml())
    assert config.seed == 42
    assert config.output_format is ResultsFormat.PARQUET
    assert config.max_distribution_plots == 3
    config.reports.clear()
    report = config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.HTML)
    # a report draws plots but writes no table: it gets the plot cap, not the table format
    assert report.results == Results(path="report", max_distribution_plots=3)


# -- invalid input -------------------------------------------------------------------------------


def replaced(old: str, new: str, text: str = HAND_WRITTEN) -> str:
    """``text`` with one exact occurrence of ``old`` changed (so a drifting base is noticed)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def without_document(index: int) -> str:
    documents = HAND_WRITTEN.split("---\n")
    return "---\n".join(documents[:index] + documents[index + 1 :])


def with_document(document: str) -> str:
    return HAND_WRITTEN + "---\n" + document


STANDARD = "document 4 (AvatarParameters 'standard')"


def test_an_approval_date_reads_from_yaml_or_iso_text() -> None:
    quoted = HAND_WRITTEN.replace(
        "sensitivity_level: High}\n", "sensitivity_level: High}\n  approver: {date: '2025-03-01'}\n"
    )
    plain = quoted.replace("'2025-03-01'", "2025-03-01")
    for text in (quoted, plain):
        approver = Config.from_yaml(text).metadata.approver
        assert approver == Approver(date=datetime.date(2025, 3, 1))
    assert Approver.read_field("date", "2025-03-01", "approver_date") == datetime.date(2025, 3, 1)
    for bad in ("2025-02-30", "1/3/2025", "20250301", "2025-03-01 10:00:00"):
        with pytest.raises(ConfigError, match=r"spec\.approver\.date: expected a date written"):
            Config.from_yaml(quoted.replace("'2025-03-01'", bad))


BAD_INPUTS: list[tuple[str, Callable[[], str], list[str]]] = [
    (
        "k as a string",
        lambda: replaced("person: {k: 10", "person: {k: abc"),
        [f"{STANDARD}: spec.avatarization.person.k: expected an integer, got 'abc'"],
    ),
    (
        "k as a boolean",
        lambda: replaced("person: {k: 10", "person: {k: true"),
        [f"{STANDARD}: spec.avatarization.person.k: expected an integer, got true"],
    ),
    (
        "k as a float",
        lambda: replaced("person: {k: 10", "person: {k: 2.5"),
        ["spec.avatarization.person.k: expected an integer, got 2.5"],
    ),
    (
        "k below 1",
        lambda: replaced("person: {k: 10", "person: {k: 0"),
        ["spec.avatarization.person.k: expected an integer >= 2, got 0"],
    ),
    (
        "k missing",
        lambda: replaced("person: {k: 10, ncp: 4}", "person: {ncp: 4}"),
        [f"{STANDARD}: spec.avatarization.person: missing required key 'k'"],
    ),
    (
        "unknown key",
        lambda: replaced("person: {k: 10", "person: {kk: 10"),
        [f"{STANDARD}: spec.avatarization.person: unknown key 'kk'", "allowed: k, ncp"],
    ),
    (
        "unknown top-level key",
        lambda: replaced("metadata: {name: standard}", "metadata: {name: standard}\nextra: 1"),
        [f"{STANDARD}: unknown key 'extra'; allowed: kind, metadata, spec"],
    ),
    (
        "unknown column type",
        lambda: replaced("{field: ward, type: category}", "{field: ward, type: categorical}"),
        [
            "document 2 (AvatarSchema 'schema'): spec.tables[1].columns[2].type: "
            "unknown value 'categorical'; allowed: int, bool, category, float, datetime, "
            "datetime_tz"
        ],
    ),
    (
        "unknown replacement strategy",
        lambda: replaced("replacement_strategy: coordinate_similarity", "replacement_strategy: x"),
        [
            "spec.avatarization.stay.exclude_variables.replacement_strategy: unknown value 'x'; "
            "allowed: row_order, coordinate_similarity"
        ],
    ),
    (
        "unknown sensitivity level (case matters)",
        lambda: replaced("sensitivity_level: High", "sensitivity_level: high"),
        [
            "document 1 (AvatarMetadata 'avatar-metadata-clinic'): "
            "spec.pia_metadata.sensitivity_level: unknown value 'high'; "
            "allowed: undefined, Low, Medium, High"
        ],
    ),
    (
        "unknown kind",
        lambda: replaced("kind: AvatarReportParameters", "kind: AvatarReport"),
        ["document 7: kind: unknown kind 'AvatarReport'", "AvatarReportParameters"],
    ),
    (
        "missing kind",
        lambda: replaced("kind: AvatarReportParameters\n", ""),
        ["document 7: missing required key 'kind'"],
    ),
    (
        "duplicate names",
        lambda: with_document(HAND_WRITTEN.split("---\n")[-1]),
        [
            "document 8 (AvatarReportParameters 'report'): "
            "duplicate document name 'report' (document 7)"
        ],
    ),
    (
        "a second metadata document",
        lambda: with_document(
            "kind: AvatarMetadata\nmetadata: {name: avatar-metadata-other}\n"
            "spec: {display_name: other}\n"
        ),
        ["document 8 (AvatarMetadata 'avatar-metadata-other')", "second"],
    ),
    (
        "parameters for an unknown table",
        lambda: replaced("person: {k: 10, ncp: 4}", "ghost: {k: 10, ncp: 4}"),
        [
            f"{STANDARD}: spec.avatarization.ghost: table 'ghost' is not in the schema "
            "(tables: person, stay)"
        ],
    ),
    (
        "privacy metrics for an unknown table",
        lambda: replaced("person: {ncp: 4, known_variables", "ghost: {ncp: 4, known_variables"),
        [
            "document 5 (AvatarPrivacyMetricsParameters 'privacy_metrics'): "
            "spec.privacy_metrics.ghost: table 'ghost' is not in the schema"
        ],
    ),
    (
        "a link to an unknown table",
        lambda: replaced("to: {table: stay,", "to: {table: ghost,"),
        ["spec.tables[0].links[0].to.table: unknown table 'ghost'"],
    ),
    (
        "duplicate tables",
        lambda: replaced("  - name: stay\n", "  - name: person\n"),
        ["document 2 (AvatarSchema 'schema'): spec.tables[1].name: duplicate table 'person'"],
    ),
    (
        "duplicate columns",
        lambda: replaced("{field: days, type: float}", "{field: ward, type: float}"),
        ["spec.tables[1].columns[3].field: duplicate column 'ward'"],
    ),
    (
        "a table without data",
        lambda: replaced("    data: {dataset_id: ds-stay}\n", ""),
        ["document 2 (AvatarSchema 'schema'): spec.tables[1]: missing required key 'data'"],
    ),
    (
        "a table read from a volume, not a dataset (the official client's dialect)",
        lambda: replaced("{dataset_id: ds-stay}", "{volume: input, file: stay.csv}"),
        ["this YAML is in the official client's dialect", "runner.from_yaml(path)"],
    ),
    (
        "schema_avatarized missing a table",
        lambda: replaced("  - {name: stay, avatars_data: {auto: true}}\n", ""),
        [
            "document 3 (AvatarSchema 'schema_avatarized'): spec.tables: "
            "expected the tables of 'schema' in order (person, stay), got (person)"
        ],
    ),
    (
        "schema_avatarized with other avatars",
        lambda: replaced("{name: stay, avatars_data: {auto: true}}", "{name: stay}"),
        ["document 3 (AvatarSchema 'schema_avatarized'): spec.tables[1]: expected exactly"],
    ),
    (
        "a parameters document with another name",
        lambda: replaced("metadata: {name: standard}", "metadata: {name: params}"),
        ["document 4 (AvatarParameters 'params'): metadata.name: expected 'standard'"],
    ),
    (
        "a pia report named report",
        lambda: replaced("report_type: basic", "report_type: pia"),
        ["metadata.name: expected 'report_pia', got 'report'"],
    ),
    (
        "a reference to another schema",
        lambda: replaced("  schema: schema\n  avatarization:", "  schema: other\n  avatarization:"),
        [f"{STANDARD}: spec.schema: expected 'schema', got 'other'"],
    ),
    (
        "avatarization_ref without a standard document",
        lambda: without_document(3),
        [
            "document 4 (AvatarPrivacyMetricsParameters 'privacy_metrics'): "
            "spec.avatarization_ref: there is no AvatarParameters document 'standard'"
        ],
    ),
    (
        "no metadata document",
        lambda: without_document(0),
        ["the run has no AvatarMetadata document"],
    ),
    (
        "no schema document",
        lambda: without_document(1),
        ["the run has no AvatarSchema document 'schema'"],
    ),
    (
        "metadata name not matching the display name",
        lambda: replaced("{name: avatar-metadata-clinic}", "{name: avatar-metadata-x}"),
        ["metadata.name: expected 'avatar-metadata-clinic', got 'avatar-metadata-x'"],
    ),
    (
        "missing results",
        lambda: replaced(", results: {volume: results, path: report}}", "}"),
        ["document 7 (AvatarReportParameters 'report'): spec: missing required key 'results'"],
    ),
    (
        "a training fraction above 1",
        lambda: replaced(
            "person: {k: 10, ncp: 4}",
            "person: {k: 10, imputation: {method: fast_knn, training_fraction: 1.5}}",
        ),
        ["spec.avatarization.person.imputation.training_fraction: expected a number <= 1,"],
    ),
    (
        "a column weight that is not a number",
        lambda: replaced("person: {k: 10, ncp: 4}", "person: {k: 10, column_weights: {âge: x}}"),
        ["spec.avatarization.person.column_weights.âge: expected a number, got 'x'"],
    ),
    (
        "a column weight that is not finite",
        lambda: replaced("person: {k: 10, ncp: 4}", "person: {k: 10, column_weights: {âge: .nan}}"),
        ["spec.avatarization.person.column_weights.âge: expected a finite number"],
    ),
    (
        "a column weight that is a boolean",
        lambda: replaced("person: {k: 10, ncp: 4}", "person: {k: 10, column_weights: {âge: no}}"),
        ["spec.avatarization.person.column_weights.âge: expected a number, got false"],
    ),
    (
        "known variables that are not a list",
        lambda: replaced("known_variables: [âge]", "known_variables: âge"),
        ["spec.privacy_metrics.person.known_variables: expected a list, got 'âge'"],
    ),
    (
        "an annotation that is not a string",
        lambda: replaced("client_version: 1.30.0", "client_version: 1.3"),
        [
            "document 1 (AvatarMetadata 'avatar-metadata-clinic'): annotations.client_version: "
            "expected a string, got 1.3"
        ],
    ),
    (
        "avatars_data with neither dataset nor auto",
        lambda: replaced(
            "{name: person, avatars_data: {auto: true}}",
            "{name: person, avatars_data: {auto: false}}",
        ),
        ["spec.tables[0].avatars_data: expected exactly one of dataset_id or auto: true"],
    ),
    (
        "a mapping key that is not a string",
        lambda: replaced("person: {k: 10, ncp: 4}", "1: {k: 10, ncp: 4}"),
        [f"{STANDARD}: spec.avatarization: keys must be strings, got 1"],
    ),
    (
        "invalid YAML",
        lambda: "kind: AvatarMetadata\nmetadata: {name: x\nspec: {}\n",
        ["invalid YAML at line 3, column 5", "while parsing a flow mapping at line 2"],
    ),
    (
        "a tab in the indentation",
        lambda: "kind: AvatarMetadata\nmetadata:\n\tname: x\n",
        ["invalid YAML at line 3, column 1"],
    ),
    (
        "a document that is a list",
        lambda: with_document("- kind: AvatarReportParameters\n"),
        ["document 8: expected a mapping, got a list"],
    ),
    (
        "a document that is a scalar",
        lambda: "just text\n",
        ["document 1: expected a mapping, got 'just text'"],
    ),
    (
        "an empty document in the middle",
        lambda: replaced("---\nkind: AvatarParameters", "---\n---\nkind: AvatarParameters"),
        ["document 4: empty document"],
    ),
    (
        "an alias",
        lambda: replaced("person: {k: 10, ncp: 4}", "person: &p {k: 10, ncp: 4}").replace(
            "  results: {volume: results, path: standard}",
            "    other: *p\n  results: {volume: results, path: standard}",
        ),
        ["invalid YAML at line 46, column 12: aliases (*p) are not accepted"],
    ),
    (
        "a duplicate key",
        lambda: replaced("person: {k: 10, ncp: 4}", "person: {k: 10, k: 4}"),
        ["invalid YAML at line 42, column 21: duplicate key 'k'"],
    ),
    (
        "no documents at all",
        lambda: "",
        ["the run has no AvatarMetadata document"],
    ),
]


@pytest.mark.parametrize(
    ("make", "fragments"),
    [pytest.param(make, fragments, id=name) for name, make, fragments in BAD_INPUTS],
)
def test_bad_input_is_refused_with_its_place(make: Callable[[], str], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_yaml(make())
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_the_unchanged_base_of_the_bad_inputs_is_valid() -> None:
    """Without this, a broken HAND_WRITTEN would make every bad-input case pass vacuously."""
    Config.from_yaml(HAND_WRITTEN)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_to_yaml_refuses_what_from_yaml_would_refuse() -> None:
    config = Config.new("clinic")
    config.add_table("t", "ds-t")
    config.set_parameters("t", AvatarizationParameters(k=0))
    with pytest.raises(ConfigError, match=r"spec\.avatarization\.t\.k: expected an integer >= 2"):
        config.to_yaml()
    config.set_parameters("t", AvatarizationParameters(k=3))
    config.schema.tables.append(TableInfo(name="orphan"))
    with pytest.raises(ConfigError, match=r"spec\.tables\[1\]: missing required key 'data'"):
        config.to_yaml()


def test_from_dict_names_the_place_it_was_given() -> None:
    with pytest.raises(ConfigError) as caught:
        AvatarizationParameters.from_dict({"k": 3, "imputation": {"method": "magic"}}, "x.wbcd")
    assert str(caught.value).startswith("x.wbcd.imputation.method: unknown value 'magic'")
    assert "knn, mode, median, mean, fast_knn" in str(caught.value)
    parsed = AvatarizationParameters.from_dict({"k": 3, "ncp": None}, "x")
    assert parsed == AvatarizationParameters(k=3)


# -- load_yaml_documents -------------------------------------------------------------------------


def test_load_yaml_documents_returns_mappings_and_drops_a_trailing_separator() -> None:
    assert load_yaml_documents("---\na: 1\n---\nb: [x]\n---\n") == [{"a": 1}, {"b": ["x"]}]
    assert load_yaml_documents("") == []
    with pytest.raises(ConfigError, match=r"^invalid YAML at line 2, column 1: .*quoted scalar"):
        load_yaml_documents("a: 'unterminated\n")


# -- editing a run -------------------------------------------------------------------------------


def two_tables() -> Config:
    config = Config.new("run", seed=5, output_format=ResultsFormat.CSV)
    config.add_table("a", "ds-a")
    config.add_table("b", "ds-b")
    return config


def test_no_parameter_documents_before_set_parameters() -> None:
    config = two_tables()
    assert config.document_names() == ["avatar-metadata-run", "schema", "schema_avatarized"]
    assert config.parameters is None and config.privacy_metrics is None


def test_set_parameters_replaces_a_tables_entries_and_creates_the_metrics_documents() -> None:
    config = two_tables()
    privacy = PrivacyMetricsTableParameters(known_variables=["x"], target="y")
    signal = SignalMetricsTableParameters(ncp=2)
    config.set_parameters("a", AvatarizationParameters(k=5), privacy, signal)
    assert config.parameters == Parameters(
        avatarization={"a": AvatarizationParameters(k=5)},
        results=Results(path="standard", format=ResultsFormat.CSV),
        seed=5,
    )
    assert config.privacy_metrics == PrivacyMetricsParameters(
        avatarization_ref="standard",
        privacy_metrics={"a": privacy},
        results=Results(path="privacy_metrics"),
        seed=5,
    )
    assert config.signal_metrics == SignalMetricsParameters(
        avatarization_ref="standard",
        signal_metrics={"a": signal},
        results=Results(path="signal_metrics"),
        seed=5,
    )

    # replacing: what is not given again is gone, the metrics documents stay
    config.set_parameters("a", AvatarizationParameters(k=7))
    assert config.parameters is not None
    assert config.parameters.avatarization == {"a": AvatarizationParameters(k=7)}
    assert config.privacy_metrics is not None and config.privacy_metrics.privacy_metrics is None
    assert config.signal_metrics is not None and config.signal_metrics.signal_metrics is None

    # metrics-only parameters for b leave a's avatarization alone
    config.set_parameters("b", None, privacy, None)
    assert config.parameters.avatarization == {"a": AvatarizationParameters(k=7)}
    assert config.privacy_metrics.privacy_metrics == {"b": privacy}

    # without any avatarization, there is no standard document and nothing refers to it
    config.set_parameters("a", None, None, None)
    assert config.parameters is None
    assert config.privacy_metrics.avatarization_ref is None
    assert config.signal_metrics.avatarization_ref is None
    assert "standard" not in config.document_names()
    assert Config.from_yaml(config.to_yaml()) == config

    with pytest.raises(KeyError, match="ghost"):
        config.set_parameters("ghost", AvatarizationParameters(k=3))


def test_delete_parameters_of_the_last_table_removes_the_documents() -> None:
    config = two_tables()
    config.set_parameters("a", AvatarizationParameters(k=5))
    config.set_parameters("b", AvatarizationParameters(k=6))
    config.delete_parameters("a")
    assert config.parameters is not None
    assert config.parameters.avatarization == {"b": AvatarizationParameters(k=6)}
    assert config.privacy_metrics is not None
    config.delete_parameters("b")
    assert config.parameters is None
    assert config.privacy_metrics is None
    assert config.signal_metrics is None
    assert config.document_names() == ["avatar-metadata-run", "schema", "schema_avatarized"]


def test_delete_table_removes_its_parameters_and_the_links_to_it() -> None:
    config = two_tables()
    config.add_table("c", "ds-c")
    config.add_link("a", "id", "b", "a_id")
    config.add_link("a", "id", "c", "a_id", LinkMethod.TIME_SERIES)
    config.set_parameters("a", AvatarizationParameters(k=5))
    config.set_parameters("b", AvatarizationParameters(k=6), PrivacyMetricsTableParameters(ncp=2))
    config.delete_table("b")
    assert config.table_names() == ["a", "c"]
    assert config.table("a").links == [
        Link(field="id", to=LinkTarget(table="c", field="a_id"), method=LinkMethod.TIME_SERIES)
    ]
    assert config.parameters is not None
    assert config.parameters.avatarization == {"a": AvatarizationParameters(k=5)}
    assert config.privacy_metrics is not None and config.privacy_metrics.privacy_metrics is None
    text = config.to_yaml()
    assert "name: b\n" not in text
    with pytest.raises(KeyError, match="'b'"):
        config.delete_table("b")


def test_add_table_replaces_a_same_named_table_in_place() -> None:
    config = two_tables()
    config.add_table("c", "ds-c")
    replacement = config.add_table("b", "ds-b2", file="b.csv", individual_level=False)
    assert config.table_names() == ["a", "b", "c"]
    assert config.table("b") is replacement
    assert replacement.data == TableData(dataset_id="ds-b2", file="b.csv")
    assert replacement.individual_level is False


def test_table_lookup_names_the_missing_table_and_the_known_ones() -> None:
    config = two_tables()
    with pytest.raises(KeyError) as caught:
        config.table("ghost")
    assert "'ghost'" in str(caught.value) and "a, b" in str(caught.value)


def test_add_link_replaces_the_link_between_the_same_tables() -> None:
    config = two_tables()
    config.add_link("a", "id", "b", "a_id")
    config.add_link("a", "key", "b", "a_key", LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT)
    assert config.table("a").links == [
        Link(
            field="key",
            to=LinkTarget(table="b", field="a_key"),
            method=LinkMethod.MINIMUM_DISTANCE_ASSIGNMENT,
        )
    ]
    with pytest.raises(KeyError, match="ghost"):
        config.add_link("a", "id", "ghost", "a_id")


def test_reports_are_named_by_type_and_replaced_by_type() -> None:
    config = two_tables()
    config.add_report(ReportType.PIA, ReportLanguage.FR, ReportFormat.DOCX)
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.PDF)
    config.add_report(ReportType.PIA, ReportLanguage.EN, ReportFormat.DOCX)
    assert [report.report_type for report in config.reports] == [ReportType.PIA, ReportType.BASIC]
    assert config.reports[0].language is ReportLanguage.EN
    assert config.document_names()[-2:] == ["report_pia", "report"]
    assert config.reports[0].results.path == "report_pia"


def test_add_advice() -> None:
    config = two_tables()
    advice = config.add_advice()
    assert advice == AdviceParameters(
        advice=Advice(advisor_type=[AdvisorType.PARAMETERS]),
        results=Results(path="advice"),
    )
    assert advice.to_dict()["advice"] == {"advisor_type": ["parameters"]}
    assert config.document_names()[3] == "advice_parameters"
    assert config.document_kind("advice_parameters") is DocumentKind.ADVICE
    with pytest.raises(KeyError, match="nope"):
        config.document_kind("nope")


# -- enums ---------------------------------------------------------------------------------------


def test_job_kind_of_each_document() -> None:
    assert JOB_KIND_OF_DOCUMENT == {
        DocumentKind.PARAMETERS: JobKind.STANDARD,
        DocumentKind.PRIVACY_METRICS: JobKind.PRIVACY_METRICS,
        DocumentKind.SIGNAL_METRICS: JobKind.SIGNAL_METRICS,
        DocumentKind.REPORT: JobKind.REPORT,
        DocumentKind.ADVICE: JobKind.ADVICE,
    }
    assert DocumentKind.METADATA not in JOB_KIND_OF_DOCUMENT
    assert DocumentKind.SCHEMA not in JOB_KIND_OF_DOCUMENT


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (ColumnType, ["int", "bool", "category", "float", "datetime", "datetime_tz"]),
        (
            LinkMethod,
            [
                "linear_sum_assignment",
                "minimum_distance_assignment",
                "sensitive_original_order_assignment",
                "time_series",
            ],
        ),
        (ImputeMethod, ["knn", "mode", "median", "mean", "fast_knn"]),
        (ExcludeVariablesMethod, ["row_order", "coordinate_similarity"]),
        (ReportType, ["basic", "pia"]),
        (ReportLanguage, ["en", "fr"]),
        (ReportFormat, ["pdf", "html", "docx"]),
        (ResultsFormat, ["csv", "parquet"]),
        (JobKind, ["advice", "standard", "privacy_metrics", "signal_metrics", "report"]),
        (
            DocumentKind,
            [
                "AvatarMetadata",
                "AvatarSchema",
                "AvatarParameters",
                "AvatarPrivacyMetricsParameters",
                "AvatarSignalMetricsParameters",
                "AvatarReportParameters",
                "AvatarAdviceParameters",
            ],
        ),
        (DataRecipient, ["unknown", "internal", "contractual_third_party", "public"]),
        (
            DataType,
            ["unknown", "health", "financial", "human_resources", "commercial", "other"],
        ),
        (
            DataSubject,
            ["unknown", "patients", "customers", "employees", "citizens", "other"],
        ),
        (SensitivityLevel, ["undefined", "Low", "Medium", "High"]),
    ],
)
def test_enum_values_are_the_yaml_strings(cls: type[enum.StrEnum], values: list[str]) -> None:
    assert [member.value for member in cls] == values
    assert all(member.name == member.name.upper() for member in cls)


def test_privacy_enum_member_names() -> None:
    """The names Manager.create_runner's defaults use."""
    assert SensitivityLevel["HIGH"] is SensitivityLevel("High")
    assert SensitivityLevel["UNDEFINED"] is SensitivityLevel("undefined")
    assert DataRecipient["UNKNOWN"] is DataRecipient("unknown")
    assert DataRecipient["CONTRACTUAL_THIRD_PARTY"] is DataRecipient("contractual_third_party")
    assert DataType["HUMAN_RESOURCES"] is DataType("human_resources")
    assert DataSubject["UNKNOWN"] is DataSubject("unknown")


@pytest.mark.parametrize(
    ("imputation", "message"),
    [
        ({"method": "mean", "k": 3}, "imputation.k: applies to knn and fast_knn, not mean"),
        (
            {"method": "knn", "training_fraction": 0.5},
            "imputation.training_fraction: applies to fast_knn, not knn",
        ),
    ],
)
def test_imputation_settings_a_method_would_ignore_are_refused(
    imputation: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        AvatarizationParameters.from_dict({"k": 5, "imputation": imputation}, "p")
