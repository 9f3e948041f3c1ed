"""Run files in the official client's YAML dialect: recognised, translated (files found among
the user's datasets, spellings mapped, the rest refused by name), run through the real server,
and ours written back in that dialect."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from avatar_yaml import (
    Approver,
    AvatarizationParameters,
    ColumnInfo,
    Config,
    ConfigError,
    DataRecipient,
    DataSubject,
    DataType,
    KeepMode,
    PiaMetadata,
    PrivacyMetricsTableParameters,
    ReportFormat,
    ReportLanguage,
    ReportType,
    SensitivityLevel,
    rules,
)
from avatar_yaml.loader import load_yaml_documents
from avatar_yaml.official_dialect import from_official, is_official_dialect, to_official
from avatars import ApiClient, Manager
from avatars.cli import main as cli_main
from tests.csv_twin import semicolon_latin1, twin_frame
from tests.server import ServerProcess, wait_all_done

FIXTURE = Path(__file__).parent / "fixtures" / "official_run.yaml"
FILE = "Iris données 2024.csv"  # the fixture's file: accents and spaces
DATASET_ID = "6f1c3f64-0000-4000-8000-000000000001"


def official_text() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def resolve(file: str, where: str) -> str:
    """A resolver standing for one user's datasets: only the fixture's file exists."""
    if file == FILE:
        return DATASET_ID
    raise ConfigError(f"{where}: no dataset {file!r}")


def translated(text: str) -> Config:
    """The run read as the server reads it, with what it does not support refused."""
    config = Config.from_documents(from_official(load_yaml_documents(text), resolve))
    rules.check_supported(config)
    return config


# -- recognising the dialect ------------------------------------------------------------------


def ours() -> Config:
    config = Config.new("mine")
    config.add_table("iris", DATASET_ID, file="iris.csv")
    config.set_parameters("iris", AvatarizationParameters(k=5))
    return config


def test_the_dialect_is_told_from_the_documents() -> None:
    assert is_official_dialect(load_yaml_documents(official_text()))
    assert not is_official_dialect(load_yaml_documents(ours().to_yaml()))
    for marker in (
        "kind: AvatarVolume\nmetadata: {name: input}\nspec: {url: 's3://b'}\n",
        "kind: AvatarMetadata\nmetadata: {name: a}\nspec:\n  display_name: a\n"
        "  pia_metadata: {sensitivity_level: Undefined}\n",
        "kind: AvatarSchema\nmetadata: {name: schema}\nspec:\n  tables:\n"
        "  - {name: t, data: {file: t.csv}}\n",
    ):
        assert is_official_dialect(load_yaml_documents(marker)), marker


def test_our_reader_points_official_files_to_the_client() -> None:
    with pytest.raises(ConfigError, match=r"official client's dialect.*runner\.from_yaml"):
        Config.from_yaml(official_text())


# -- translating it ---------------------------------------------------------------------------


def test_the_fixture_translates_into_our_run() -> None:
    config = translated(official_text())
    pia = config.metadata.pia_metadata
    assert pia == PiaMetadata(
        datarecipient=DataRecipient.CONTRACTUAL_THIRD_PARTY,
        data_type=DataType.HUMAN_RESOURCES,
        datasubject=DataSubject.CUSTOMERS,
        sensitivity_level=SensitivityLevel.UNDEFINED,
    )
    (table,) = config.schema.tables
    assert table.data is not None
    assert (table.data.dataset_id, table.data.file) == (DATASET_ID, FILE)
    assert config.parameters is not None and config.parameters.avatarization is not None
    assert config.parameters.avatarization["iris"].k == 8
    # the official Runner's shared results block: kept where it takes effect only
    assert config.parameters.results.format == "csv"
    assert config.parameters.results.max_distribution_plots == 2
    assert config.privacy_metrics is not None and config.privacy_metrics.results.format is None
    report, impact = config.reports  # the official client always writes both
    assert report.results.max_distribution_plots == 2 and report.results.format is None
    assert report.language == ReportLanguage.FR
    assert (str(impact.report_type), str(impact.output_format)) == ("pia", "docx")
    assert config.annotations == {"client_type": "python", "client_version": "1.30.0"}


def test_the_input_documents_are_left_unchanged() -> None:
    documents = load_yaml_documents(official_text())
    before = yaml.safe_dump_all(documents)
    from_official(documents, resolve)
    assert yaml.safe_dump_all(documents) == before


def edit(old: str, new: str) -> Callable[[], str]:
    def edited() -> str:
        text = official_text()
        assert old in text, old
        return text.replace(old, new, 1)

    return edited


def appended(document: str) -> Callable[[], str]:
    return lambda: official_text() + "---\n" + document


REFUSALS = [
    (
        "a volume document",
        appended("kind: AvatarVolume\nmetadata: {name: input}\nspec: {url: 's3://bucket'}\n"),
        ["document 9 (AvatarVolume 'input')", "kind AvatarVolume", "remove this document"],
    ),
    (
        "a database extraction",
        appended("kind: AvatarExtractParameters\nmetadata: {name: extract}\nspec: {}\n"),
        ["kind AvatarExtractParameters", "database runs are not available", "upload"],
    ),
    (
        "a sensitivity we have no level for",
        edit("sensitivity_level: Undefined", "sensitivity_level: Very High"),
        ["pia_metadata.sensitivity_level: 'Very High'", "no equivalent", "e.g. 'High'"],
    ),
    (
        "a recipient we have no word for",
        edit("contractual_thirdparty", "trusted_thirdparty"),
        ["pia_metadata.datarecipient: 'trusted_thirdparty'", "'contractual_thirdparty'"],
    ),
    (
        "a data type we have no word for",
        edit("data_type: hr", "data_type: insurance"),
        ["data_type: 'insurance'", "e.g. 'other'", "hr, finance, commercial, other)"],
    ),
    (
        "a column's value_type",
        edit("      type: float\n", "      type: float\n      value_type: continuous\n"),
        ["spec.tables[0].columns[0].value_type", "remove it"],
    ),
    (
        "links advice's schema",
        edit("spec:\n  tables:\n", "spec:\n  check_links_between_tables: false\n  tables:\n"),
        ["check_links_between_tables: false", "runner.advise_links()"],
    ),
    (
        "a table whose data is the run's own output",
        edit("      volume: input\n", "      auto: true\n"),
        ["spec.tables[0].data.auto: auto: true", "name the file"],
    ),
    (
        "a table without a file",
        edit("      file: Iris données 2024.csv\n", ""),
        ["spec.tables[0].data: missing required key 'file'", "'iris'"],
    ),
    (
        "differential privacy",
        edit(
            "  avatarization:\n",
            "  avatarization_open_dp:\n    iris: {epsilon: 1}\n  avatarization:\n",
        ),
        ["spec.avatarization_open_dp", "differential privacy is not supported yet"],
    ),
    (
        "differential privacy (older spelling)",
        edit("  avatarization:\n", "  avatarization_dp: {iris: {epsilon: 1}}\n  avatarization:\n"),
        ["spec.avatarization_dp", "differential privacy is not supported yet"],
    ),
    (
        "data augmentation",
        edit("      k: 8\n", "      k: 8\n      data_augmentation: {augmentation_strategy: 2}\n"),
        ["avatarization.iris.data_augmentation", "not supported yet"],
    ),
    (
        "figures turned off",
        edit("compute_figures: true", "compute_figures: false"),
        ["spec.compute_figures: false", "not supported yet", "remove compute_figures"],
    ),
    (
        "a database input",
        edit("  seed: 7\n  compute", "  input: db\n  seed: 7\n  compute"),
        ["spec.input", "database runs"],
    ),
    (
        "results in another volume",
        edit("    volume: results\n    path: standard", "    volume: archive\n    path: standard"),
        ["standard'): spec.results.volume: 'archive'", "write volume: results"],
    ),
    (
        "a file name template",
        edit("    path: report\n", "    path: report\n    name_template: '{table}'\n"),
        ["report'): spec.results.name_template", "not supported yet"],
    ),
    (
        "advice on links",
        appended(
            "kind: AvatarAdviceParameters\nmetadata: {name: advice_tables_links}\nspec:\n"
            "  schema: schema\n  advice: {advisor_type: [tables_links]}\n"
            "  results: {volume: results, path: advice}\n"
        ),
        ["advice.advisor_type: advice on tables_links", "runner.advise_links()"],
    ),
    (
        "a column in the avatarized schema",
        edit(
            "  - name: iris\n    avatars_data:",
            "  - name: iris\n    columns: []\n    avatars_data:",
        ),
        ["'columns' belong in 'schema'"],
    ),
    (
        "an avatarized table the schema does not have",
        edit(
            "      auto: true\n",
            "      auto: true\n  - name: ghost\n    avatars_data: {auto: true}\n",
        ),
        ["spec.tables[1].name: table 'ghost' is not a table of 'schema'"],
    ),
    (
        "an avatarized table that says nothing of its avatars",
        edit("    avatars_data:\n      auto: true\n", ""),
        ["spec.tables[0].avatars_data: expected {auto: true}", "{volume, file}"],
    ),
    (
        "a shared results value that differs (no longer a copy)",
        edit(
            "    path: signal_metrics\n    format: csv",
            "    path: signal_metrics\n    format: parquet",
        ),
        ["signal_metrics: results.format", "not supported yet"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param(text, expected, id=name) for name, text, expected in REFUSALS],
)
def test_each_difference_not_mapped_is_refused_by_name(
    text: Callable[[], str], expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as raised:
        translated(text())
    message = str(raised.value)
    for part in expected:
        assert part in message, message


def test_a_report_without_its_settings_takes_the_official_defaults() -> None:
    """Older official versions write no ``language``; the official defaults fill it."""
    config = translated(edit("  report_type: basic\n  output_format: pdf\n  language: fr\n", "")())
    report = config.reports[0]
    assert (report.report_type, report.output_format, report.language) == ("basic", "pdf", "en")


def test_our_own_values_without_an_official_spelling_are_read_as_they_are() -> None:
    config = translated(edit("data_type: hr", "data_type: other")())
    assert config.metadata.pia_metadata.data_type == DataType.OTHER


def test_an_unknown_official_value_gets_our_readers_message() -> None:
    with pytest.raises(ConfigError, match=r"data_type.*allowed: unknown, health"):
        translated(edit("data_type: hr", "data_type: space")())


# -- writing ours in it -----------------------------------------------------------------------


def test_ours_written_in_the_official_dialect_reads_back_the_same() -> None:
    config = ours()
    config.metadata.pia_metadata = PiaMetadata(
        datarecipient=DataRecipient.PUBLIC, sensitivity_level=SensitivityLevel.HIGH
    )
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.PDF)
    export = to_official(config, {DATASET_ID: FILE})
    assert export.left_out == []
    (schema,) = [d for d in export.documents if d["metadata"] == {"name": "schema"}]
    assert schema["spec"]["tables"][0]["data"] == {"volume": "input", "file": FILE}  # type: ignore[index]
    metadata = export.documents[0]["spec"]
    assert metadata["pia_metadata"]["datarecipient"] == "opendata"  # type: ignore[index]
    assert is_official_dialect(export.documents)
    back = Config.from_documents(from_official(export.documents, resolve))
    assert back.to_yaml() == config.to_yaml().replace("file: iris.csv", f"file: {FILE}")


def test_what_the_official_dialect_cannot_say_is_listed() -> None:
    config = ours()
    config.metadata.approver = Approver(name="Ada")
    config.metadata.pia_metadata = PiaMetadata(data_type=DataType.COMMERCIAL)
    config.table("iris").columns = [ColumnInfo(field="variety", keep=KeepMode.GROUPED)]
    config.set_parameters(
        "iris",
        AvatarizationParameters(k=5),
        privacy=PrivacyMetricsTableParameters(categorical_hidden_rate_variables=["variety"]),
    )
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.HTML)
    left_out = to_official(config, {DATASET_ID: FILE}).left_out
    joined = "\n".join(left_out)
    for part in (
        "approver",
        "data_type: 'commercial' has no official value (written 'unknown')",
        "column 'variety'.keep",
        "privacy_metrics.iris.categorical_hidden_rate_variables",
        "output_format: 'html' is ours only",
    ):
        assert part in joined, joined


# -- through the real server ------------------------------------------------------------------


@pytest.fixture
def manager(user: ApiClient) -> Manager:
    return Manager(api_client=user)


def test_an_official_run_file_runs_end_to_end(
    manager: Manager, shared_data: Path, tmp_path: Path
) -> None:
    client = manager.auth_client
    client.datasets.upload_dataset(shared_data / "patient.csv", name="patients.csv")
    uploaded = client.datasets.upload_dataset(shared_data / "iris.csv", name=FILE)

    runner = manager.create_runner_from_yaml(FIXTURE, "iris_official")
    (table,) = runner.config.schema.tables
    assert table.data is not None and table.data.dataset_id == str(uploaded.id)
    assert runner.config.metadata.pia_metadata.data_type == DataType.HUMAN_RESOURCES
    runner.run()

    avatars = runner.shuffled("iris")
    original = pd.read_csv(shared_data / "iris.csv")
    assert list(avatars.columns) == list(original.columns)
    assert len(avatars) == len(original)
    assert set(avatars["variety"]) <= set(original["variety"])
    assert 0 <= runner.privacy_metrics("iris")[0]["hidden_rate"] <= 100
    report = runner.download_report(tmp_path / "report.pdf")
    assert isinstance(report, Path) and report.read_bytes().startswith(b"%PDF")
    pia = runner.download_report(tmp_path / "pia.docx", report_type="pia")
    assert isinstance(pia, Path) and pia.read_bytes().startswith(b"PK")  # a Word document
    stored = manager.create_runner_from_id(runner.set_name or "")
    assert stored.config.parameters == runner.config.parameters


def test_a_missing_file_is_refused_with_how_to_upload_it(
    manager: Manager, make_user: Callable[[], ApiClient], shared_data: Path
) -> None:
    """Another user's dataset of that name is not yours: still missing."""
    make_user().datasets.upload_dataset(shared_data / "iris.csv", name=FILE)
    runner = manager.create_runner("iris_official")
    with pytest.raises(ConfigError) as raised:
        runner.from_yaml(FIXTURE)
    message = str(raised.value)
    assert f"the file {FILE!r} is none of your datasets" in message
    assert "runner.upload_file('Iris données 2024', path)" in message
    assert f"upload_dataset(path, name={FILE!r})" in message
    assert "spec.tables[0].data" in message


def test_the_file_stem_and_decomposed_accents_find_the_dataset(
    manager: Manager, shared_data: Path
) -> None:
    """``Iris données 2024.csv`` finds a CSV dataset named by its stem (as ``add_table``
    names an upload), typed with a decomposed é (macOS)."""
    stem = unicodedata.normalize("NFD", FILE.removesuffix(".csv"))
    assert stem != FILE.removesuffix(".csv")
    uploaded = manager.auth_client.datasets.upload_dataset(shared_data / "iris.csv", name=stem)
    runner = manager.create_runner_from_yaml(FIXTURE, "iris_stem")
    assert runner.config.schema.tables[0].data.dataset_id == str(uploaded.id)  # type: ignore[union-attr]


def test_an_exported_run_reads_back_to_its_own_dataset(
    manager: Manager, shared_data: Path, tmp_path: Path
) -> None:
    """An older upload named ``person.csv`` and the run's dataset ``person`` both answer to
    ``person.csv``: the export writes the run's dataset by its id, and the bare name is
    refused as naming two, never resolved to the older one."""
    datasets = manager.auth_client.datasets
    older = datasets.upload_dataset(shared_data / "iris.csv", name="person.csv")
    runner = manager.create_runner("person_twice")
    runner.add_table("person", shared_data / "iris.csv")
    runner.set_parameters("person", k=5)
    exported = tmp_path / "official.yaml"
    runner.get_yaml(exported, dialect="official")
    again = manager.create_runner("person_again")
    again.from_yaml(exported)
    (table,) = again.config.schema.tables
    assert table.data is not None
    assert table.data.dataset_id == runner.config.schema.tables[0].data.dataset_id  # type: ignore[union-attr]
    assert table.data.dataset_id != str(older.id)
    ambiguous = tmp_path / "ambiguous.yaml"
    ambiguous.write_text(
        exported.read_text(encoding="utf-8").replace(table.data.dataset_id, "person.csv"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"the file 'person\.csv' names 2 of your datasets"):
        again.from_yaml(ambiguous)


def test_each_session_reads_its_own_upload_of_the_file(manager: Manager, shared_data: Path) -> None:
    """The official flow, session after session: upload_file, then from_yaml. An older
    session's upload of the same file does not make the name ambiguous for this runner."""
    stem = FILE.removesuffix(".csv")
    chosen = []
    for session in ("monday", "tuesday"):
        runner = manager.create_runner(f"iris_{session}")
        name, _ = runner.upload_file(stem, shared_data / "iris.csv")
        assert name == FILE
        runner.from_yaml(FIXTURE)
        chosen.append(runner.config.schema.tables[0].data.dataset_id)  # type: ignore[union-attr]
    assert chosen[0] != chosen[1]  # each its own upload


def test_two_datasets_of_the_name_are_refused_until_one_is_chosen(
    manager: Manager, shared_data: Path, tmp_path: Path
) -> None:
    datasets = manager.auth_client.datasets
    first = datasets.upload_dataset(shared_data / "iris.csv", name=FILE)
    second = datasets.upload_dataset(shared_data / "iris.csv", name=FILE)
    runner = manager.create_runner("iris_twice")
    with pytest.raises(ConfigError) as raised:
        runner.from_yaml(FIXTURE)
    message = str(raised.value)
    assert f"the file {FILE!r} names 2 of your datasets" in message
    assert str(first.id) in message and str(second.id) in message
    assert "write the id of the one you mean as the file" in message

    chosen = tmp_path / "chosen.yaml"
    chosen.write_text(official_text().replace(FILE, str(second.id)), encoding="utf-8")
    runner.from_yaml(chosen)
    assert runner.config.schema.tables[0].data.dataset_id == str(second.id)  # type: ignore[union-attr]


def test_a_run_exported_in_the_official_dialect_loads_back(
    manager: Manager, shared_data: Path, tmp_path: Path
) -> None:
    runner = manager.create_runner("exported", seed=3)
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=6)
    path = tmp_path / "official.yaml"
    text = runner.get_yaml(path, dialect="official")
    assert path.read_text(encoding="utf-8") == text
    assert "volume: input\n      file: iris.csv\n" in text
    assert "dataset_id" not in text

    again = manager.create_runner_from_yaml(path, "exported")
    assert again.get_yaml() == runner.get_yaml()

    runner.set_pia(approver_name="Ada Lovelace")
    with pytest.raises(ConfigError, match=r"cannot say: avatar-metadata-exported\.approver"):
        runner.get_yaml(dialect="official")
    lossy = runner.get_yaml(dialect="official", allow_loss=True)
    assert lossy.startswith("# left out (no official equivalent): avatar-metadata-exported")
    assert "Ada" not in lossy
    with pytest.raises(ValueError, match="unknown dialect 'theirs'"):
        runner.get_yaml(dialect="theirs")
    with pytest.raises(ValueError, match="allow_loss only applies with dialect='official'"):
        runner.get_yaml(allow_loss=True)


def test_cli_converts_between_the_dialects(
    server: ServerProcess,
    user: ApiClient,
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AVATAR_API_KEY", user.api_keys.create_api_key("cli").key)
    uploaded = user.datasets.upload_dataset(shared_data / "iris.csv", name=FILE)
    remote = ["--base-url", server.base_url]

    cli_main(["convert", str(FIXTURE), "--to", "avatars", *remote])
    ours_text = capsys.readouterr().out
    assert f"dataset_id: {uploaded.id}" in ours_text
    assert Config.from_yaml(ours_text).metadata.pia_metadata.sensitivity_level == "undefined"

    (tmp_path / "ours.yaml").write_text(ours_text, encoding="utf-8")
    out = tmp_path / "official.yaml"
    cli_main(["convert", str(tmp_path / "ours.yaml"), "--to", "official", "-o", str(out), *remote])
    official = out.read_text(encoding="utf-8")
    assert re.search(r"sensitivity_level: Undefined", official)
    assert f"file: {FILE}" in official
    documents = load_yaml_documents(official)
    assert is_official_dialect(documents)

    with pytest.raises(SystemExit, match="--allow-loss only applies with --to official"):
        cli_main(["convert", str(FIXTURE), "--to", "avatars", "--allow-loss", *remote])

    absent = tmp_path / "absent.yaml"
    absent.write_text(official_text().replace(FILE, "absent.csv"), encoding="utf-8")
    with pytest.raises(SystemExit, match=r"avatars convert: .*'absent.csv' is none of your"):
        cli_main(["convert", str(absent), "--to", "avatars", *remote])


def test_jobs_run_from_the_dialect_are_launched_by_document_name() -> None:
    """The official documents keep their names, which the server launches jobs by."""
    config = translated(official_text())
    assert config.document_names() == [
        "avatar-metadata-iris_official",
        "schema",
        "schema_avatarized",
        "standard",
        "privacy_metrics",
        "signal_metrics",
        "report",
        "report_pia",
    ]


MESSY_RUN = """\
kind: AvatarMetadata
metadata:
  name: avatar-metadata-clinique
spec:
  display_name: clinique
  pia_metadata:
    datarecipient: internal
    data_type: health
    datasubject: patients
    sensitivity_level: High
annotations: {}
---
kind: AvatarSchema
metadata:
  name: schema
spec:
  tables:
  - name: personnes
    data:
      volume: input
      file: Personnes (export) é.csv
    individual_level: true
    columns:
    - field: id
      primary_key: true
    - field: courriel
      pseudonymization:
        kind: FAKER
        pii_type: EMAIL
        consistent: true
    links:
    - field: id
      to:
        table: sejours
        field: personne_id
      method: minimum_distance_assignment
  - name: sejours
    data:
      volume: input
      file: séjours 2024.csv
    individual_level: false
    columns:
    - field: sejour_id
      primary_key: true
    - field: personne_id
      type: int
      identifier: true
    - field: service
      type: category
---
kind: AvatarParameters
metadata:
  name: standard
spec:
  schema: schema
  avatarization:
    personnes:
      k: 5
    sejours:
      k: 5
  results:
    volume: results
    path: standard
  seed: 3
"""


def messy_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Two linked tables as a French spreadsheet exports them (``;``, Latin-1): ids, emails,
    accented values and gaps."""
    persons = twin_frame(40).drop(columns=["remarque"])
    persons.insert(0, "id", range(1001, 1041))
    persons["courriel"] = [f"patient.{i}@hôpital.example.fr" for i in range(40)]
    stays = pd.DataFrame(
        {
            "sejour_id": range(1, 101),
            "personne_id": [1001 + (i * 7) % 40 for i in range(100)],
            "service": [["cardiologie", "urgences", "maternité"][i % 3] for i in range(100)],
            "durée": [float(i % 9) if i % 11 else None for i in range(100)],
        }
    )
    (folder / "personnes.csv").write_bytes(semicolon_latin1(persons))
    (folder / "sejours.csv").write_bytes(semicolon_latin1(stays))
    return {"personnes": persons, "sejours": stays}


def test_a_messy_linked_official_run(manager: Manager, tmp_path: Path) -> None:
    tables = messy_tables(tmp_path)
    datasets = manager.auth_client.datasets
    datasets.upload_dataset(tmp_path / "personnes.csv", name="Personnes (export) é.csv")
    datasets.upload_dataset(tmp_path / "sejours.csv", name="séjours 2024.csv")
    path = tmp_path / "clinique.yaml"
    path.write_text(MESSY_RUN, encoding="utf-8")

    runner = manager.create_runner_from_yaml(path, "clinique")
    (link,) = runner.config.table("personnes").links or []
    assert (link.to.table, link.method) == ("sejours", "minimum_distance_assignment")
    runner.run(jobs_to_run=["standard"])

    persons = runner.shuffled("personnes")
    stays = runner.shuffled("sejours")
    assert len(persons) == len(tables["personnes"]) and len(stays) == len(tables["sejours"])
    assert set(persons.columns) == set(tables["personnes"].columns)
    assert not set(persons["courriel"]) & set(tables["personnes"]["courriel"])
    assert set(stays["personne_id"]) <= set(persons["id"])
    assert set(stays["service"].dropna()) <= {"cardiologie", "urgences", "maternité"}


def test_avatars_run_reads_an_official_file(
    server: ServerProcess,
    user: ApiClient,
    shared_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AVATAR_API_KEY", user.api_keys.create_api_key("cli").key)
    monkeypatch.setenv("AVATAR_PROGRESS", "0")
    user.datasets.upload_dataset(shared_data / "iris.csv", name=FILE)
    cli_main(["run", str(FIXTURE), "--no-wait", "--base-url", server.base_url])
    printed = capsys.readouterr().out
    assert "avatarization" in printed
    jobs = wait_all_done(user)
    assert {job.kind for job in jobs} >= {"standard", "privacy_metrics", "signal_metrics"}
    assert all(job.status == "done" for job in jobs), [(j.kind, j.error) for j in jobs]
    assert {job.display_name for job in jobs} == {"iris_official"}


def test_server_side_processors_are_read_as_ours() -> None:
    """The official key, plain dicts without a type tag: read as ours (the server runs them)."""
    text = edit(
        "      k: 8\n",
        "      k: 8\n      avatarization_processors_parameters:\n"
        "      - {target: sepal.length, references: [sepal.width], scaling_unit: 1}\n",
    )()
    config = translated(text)
    assert config.parameters is not None and config.parameters.avatarization is not None
    written = config.parameters.avatarization["iris"].to_dict()
    assert written["avatarization_processors_parameters"] == [
        {"target": "sepal.length", "references": ["sepal.width"], "scaling_unit": 1}
    ]


def test_avatars_the_user_brings_move_to_the_schema_table() -> None:
    """The official dialect names brought avatars in ``schema_avatarized``; ours keeps them
    on the table in ``schema``, as a dataset of the user's."""
    text = edit(
        "    avatars_data:\n      auto: true\n",
        f"    avatars_data:\n      volume: input\n      file: {FILE}\n",
    )()
    documents = from_official(load_yaml_documents(text), resolve)
    names = [document["metadata"] for document in documents]
    assert {"name": "schema_avatarized"} not in names
    (schema,) = [d for d in documents if d["metadata"] == {"name": "schema"}]
    (table,) = schema["spec"]["tables"]  # type: ignore[index]
    assert table["avatars_data"] == {"dataset_id": DATASET_ID}
    brought = Config.from_documents(documents).table("iris").avatars_data
    assert brought is not None and brought.dataset_id == DATASET_ID
