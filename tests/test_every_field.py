"""Every field of the run's YAML model takes effect or is refused: nothing is accepted and ignored.

The inventory is walked from the document classes, so a field added to the model and not
classified here fails :func:`test_every_field_is_classified`. A field that takes effect names the
test that shows its effect (most of them in :mod:`tests.test_fields_take_effect`, which runs real
jobs); a value the server does not do yet is sent to the real server and refused with a 422 that
says "not supported yet", with the same message the client's own check gives.
"""

from __future__ import annotations

import copy
import importlib
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from avatar_yaml import (
    AvatarizationParameters,
    AvatarsData,
    ColumnInfo,
    Config,
    ConfigError,
    Imputation,
    ImputeMethod,
    Node,
    PrivacyMetricsTableParameters,
    ReportFormat,
    ReportLanguage,
    ReportType,
    ResultsFormat,
    SignalMetricsTableParameters,
    rules,
)
from avatar_yaml.config import _SPECS
from avatars import ApiClient, Runner, parameters
from avatars.errors import ValidationError

EFFECTS = "tests.test_fields_take_effect"
E2E = "tests.test_linked_tables"
JOBS = "tests.test_jobs"
REPORT = "tests.test_report"
WORKFLOW = "tests.test_workflow"
SEEDS = "tests.engine.test_seeds"
PSEUDONYMS = "tests.engine.test_pseudonyms"
PROCESSORS = "tests.test_server_processors"
APPROVAL = f"{REPORT}::test_pia_facts_and_approver_are_printed_or_to_be_completed"

# (class, field) -> the test that shows the field's effect, "module::function".
TAKES_EFFECT: dict[tuple[str, str], str] = {
    # server-side processors: real runs against the same run without them
    **dict.fromkeys(
        (
            ("AvatarizationParameters", "avatarization_processors_parameters"),
            ("InterRecordRangeDifferenceParameters", "id_variable"),
            ("InterRecordRangeDifferenceParameters", "target_start_variable"),
            ("InterRecordRangeDifferenceParameters", "target_end_variable"),
            ("RelativeDifferenceParameters", "target"),
            ("RelativeDifferenceParameters", "references"),
        ),
        f"{PROCESSORS}::test_processors_run_on_the_server_and_keep_the_relations",
    ),
    ("RelativeDifferenceParameters", "scaling_unit"): (
        f"{PROCESSORS}::test_relative_difference_round_trip_and_refusals"
    ),
    # names and descriptions kept with the run (read back by create_runner_from_id)
    ("Metadata", "display_name"): f"{WORKFLOW}::test_reload_find_and_delete_runs",
    ("Metadata", "pia_metadata"): f"{REPORT}::test_french_report_is_french",
    ("PiaMetadata", "datarecipient"): f"{REPORT}::test_french_report_is_french",
    ("PiaMetadata", "data_type"): f"{REPORT}::test_french_report_is_french",
    ("PiaMetadata", "datasubject"): f"{REPORT}::test_french_report_is_french",
    ("PiaMetadata", "sensitivity_level"): f"{REPORT}::test_french_report_is_french",
    ("Metadata", "approver"): APPROVAL,
    ("Approver", "name"): APPROVAL,
    ("Approver", "role"): APPROVAL,
    ("Approver", "organisation"): APPROVAL,
    ("Approver", "date"): APPROVAL,
    ("TableData", "file"): f"{EFFECTS}::test_descriptions_are_kept_with_the_run",
    # the schema
    ("Schema", "schema_ref"): f"{EFFECTS}::test_descriptions_are_kept_with_the_run",
    ("Schema", "tables"): f"{JOBS}::test_a_run_produces_every_result",
    ("TableInfo", "name"): f"{JOBS}::test_a_run_produces_every_result",
    ("TableInfo", "data"): f"{JOBS}::test_a_run_produces_every_result",
    ("TableInfo", "columns"): f"{EFFECTS}::test_column_roles_and_types",
    ("TableInfo", "individual_level"): f"{EFFECTS}::test_values_the_server_already_follows",
    # links: the linked avatarization re-attaches each child to its parent's avatars
    ("TableInfo", "links"): f"{E2E}::test_the_clinic_avatars_join_and_keep_the_relations",
    ("Link", "field"): f"{E2E}::test_the_clinic_avatars_join_and_keep_the_relations",
    ("Link", "to"): f"{E2E}::test_the_clinic_avatars_join_and_keep_the_relations",
    (
        "LinkTarget",
        "table",
    ): f"{E2E}::test_a_chain_a_diamond_childless_parents_and_two_groups_in_one_run",
    (
        "LinkTarget",
        "field",
    ): f"{E2E}::test_a_chain_a_diamond_childless_parents_and_two_groups_in_one_run",
    ("Link", "method"): f"{E2E}::test_an_original_order_link_fails_the_verdict",
    ("TableData", "dataset_id"): f"{JOBS}::test_users_never_see_each_others_runs",
    ("ColumnInfo", "field"): f"{EFFECTS}::test_column_roles_and_types",
    ("ColumnInfo", "type"): f"{EFFECTS}::test_column_roles_and_types",
    ("ColumnInfo", "identifier"): f"{EFFECTS}::test_column_roles_and_types",
    ("ColumnInfo", "primary_key"): f"{EFFECTS}::test_column_roles_and_types",
    ("ColumnInfo", "drop"): f"{EFFECTS}::test_column_roles_and_types",
    ("ColumnInfo", "keep"): f"{EFFECTS}::test_kept_columns_are_grouped_or_acknowledged",
    ("ColumnInfo", "pseudonymization"): f"{EFFECTS}::test_pseudonymized_columns_hold_no_original",
    ("Pseudonymization", "kind"): f"{EFFECTS}::test_pseudonymized_columns_hold_no_original",
    ("Pseudonymization", "pii_type"): f"{PSEUDONYMS}::test_fake_values_look_like_their_type",
    ("Pseudonymization", "consistent"): (
        f"{PSEUDONYMS}::test_consistent_strategies_are_one_to_one_on_50k_values"
    ),
    ("Pseudonymization", "high_variability"): f"{PSEUDONYMS}::test_high_variability_mixes_locales",
    ("Pseudonymization", "value"): f"{PSEUDONYMS}::test_a_constant_that_is_an_original_is_refused",
    ("Pseudonymization", "pattern"): f"{PSEUDONYMS}::test_pattern_letters_follow_the_letter_case",
    ("Pseudonymization", "letter_case"): (
        f"{PSEUDONYMS}::test_pattern_letters_follow_the_letter_case"
    ),
    ("ColumnInfo", "time_series_time"): f"{EFFECTS}::test_values_the_server_already_follows",
    ("AvatarsData", "auto"): f"{JOBS}::test_a_run_produces_every_result",
    # avatarization
    ("Parameters", "schema"): f"{JOBS}::test_a_run_produces_every_result",
    ("Parameters", "avatarization"): f"{JOBS}::test_a_run_produces_every_result",
    ("Parameters", "results"): f"{JOBS}::test_a_run_produces_every_result",
    ("Parameters", "seed"): f"{EFFECTS}::test_avatarization_fields_change_the_avatars",
    ("AvatarizationParameters", "k"): f"{EFFECTS}::test_avatarization_fields_change_the_avatars",
    ("AvatarizationParameters", "ncp"): f"{EFFECTS}::test_avatarization_fields_change_the_avatars",
    ("AvatarizationParameters", "use_categorical_reduction"): (
        f"{EFFECTS}::test_avatarization_fields_change_the_avatars"
    ),
    ("AvatarizationParameters", "column_weights"): (
        f"{EFFECTS}::test_avatarization_fields_change_the_avatars"
    ),
    ("AvatarizationParameters", "exclude_variables"): (
        f"{EFFECTS}::test_excluded_variables_are_reattached_as_asked"
    ),
    ("AvatarizationParameters", "imputation"): f"{EFFECTS}::test_imputation_settings_take_effect",
    ("ExcludeVariables", "variable_names"): (
        f"{EFFECTS}::test_excluded_variables_are_reattached_as_asked"
    ),
    ("ExcludeVariables", "replacement_strategy"): (
        f"{EFFECTS}::test_excluded_variables_are_reattached_as_asked"
    ),
    ("Imputation", "method"): f"{EFFECTS}::test_imputation_settings_take_effect",
    ("Imputation", "k"): f"{EFFECTS}::test_imputation_settings_take_effect",
    ("Imputation", "training_fraction"): f"{EFFECTS}::test_imputation_settings_take_effect",
    ("Imputation", "return_data_imputed"): f"{EFFECTS}::test_values_the_server_already_follows",
    ("Results", "volume"): f"{EFFECTS}::test_results_blocks",
    ("Results", "path"): f"{EFFECTS}::test_results_blocks",
    ("Results", "format"): f"{EFFECTS}::test_results_blocks",
    ("Results", "max_distribution_plots"): f"{REPORT}::test_reports_embed_one_figure_per_plot",
    # metrics
    ("PrivacyMetricsParameters", "schema"): f"{JOBS}::test_a_run_produces_every_result",
    ("PrivacyMetricsParameters", "avatarization_ref"): f"{JOBS}::test_a_run_produces_every_result",
    ("PrivacyMetricsParameters", "privacy_metrics"): (
        f"{EFFECTS}::test_privacy_settings_reach_the_metrics"
    ),
    ("PrivacyMetricsParameters", "results"): f"{JOBS}::test_a_run_produces_every_result",
    ("PrivacyMetricsParameters", "seed"): f"{SEEDS}::test_privacy_sample_follows_the_seed",
    ("PrivacyMetricsTableParameters", "ncp"): f"{EFFECTS}::test_privacy_settings_reach_the_metrics",
    ("PrivacyMetricsTableParameters", "known_variables"): (
        f"{EFFECTS}::test_privacy_settings_reach_the_metrics"
    ),
    ("PrivacyMetricsTableParameters", "target"): (
        f"{EFFECTS}::test_privacy_settings_reach_the_metrics"
    ),
    ("PrivacyMetricsTableParameters", "categorical_hidden_rate_variables"): (
        f"{EFFECTS}::test_privacy_settings_reach_the_metrics"
    ),
    ("PrivacyMetricsTableParameters", "column_weights"): (
        f"{EFFECTS}::test_privacy_settings_reach_the_metrics"
    ),
    ("PrivacyMetricsTableParameters", "exclude_variables"): (
        f"{JOBS}::test_metrics_leave_out_excluded_variables"
    ),
    ("PrivacyMetricsTableParameters", "use_categorical_reduction"): (
        f"{EFFECTS}::test_values_the_server_already_follows"
    ),
    ("SignalMetricsParameters", "schema"): f"{JOBS}::test_a_run_produces_every_result",
    ("SignalMetricsParameters", "avatarization_ref"): f"{JOBS}::test_a_run_produces_every_result",
    ("SignalMetricsParameters", "signal_metrics"): (
        f"{JOBS}::test_metrics_leave_out_excluded_variables"
    ),
    ("SignalMetricsParameters", "results"): f"{JOBS}::test_a_run_produces_every_result",
    (
        "SignalMetricsParameters",
        "seed",
    ): f"{SEEDS}::test_association_sample_follows_the_seed",
    ("SignalMetricsTableParameters", "exclude_variables"): (
        f"{JOBS}::test_metrics_leave_out_excluded_variables"
    ),
    ("SignalMetricsTableParameters", "use_categorical_reduction"): (
        f"{EFFECTS}::test_values_the_server_already_follows"
    ),
    # reports and advice
    (
        "ReportParameters",
        "report_type",
    ): f"{REPORT}::test_each_report_document_gives_an_html_and_a_pdf",
    ("ReportParameters", "output_format"): (
        f"{REPORT}::test_each_report_document_gives_an_html_and_a_pdf"
    ),
    ("ReportParameters", "language"): f"{REPORT}::test_french_report_is_french",
    ("ReportParameters", "results"): f"{REPORT}::test_each_report_document_gives_an_html_and_a_pdf",
    ("AdviceParameters", "schema"): f"{WORKFLOW}::test_seed_flow_on_a_remote_server",
    ("AdviceParameters", "advice"): f"{WORKFLOW}::test_seed_flow_on_a_remote_server",
    ("AdviceParameters", "results"): f"{WORKFLOW}::test_seed_flow_on_a_remote_server",
    ("Advice", "advisor_type"): f"{WORKFLOW}::test_seed_flow_on_a_remote_server",
}


SERIES = "tests.test_series_declaration"
RUNS = "tests.test_series_runs"
SERIES_METRICS = "tests.test_series_metrics"
NOT_RUN_YET: dict[tuple[str, str], str] = {
    ("TimeSeriesParameters", "exclude_variables"): (
        f"{SERIES}::test_excluding_series_variables_is_not_supported_yet"
    )
}
"""Series settings the server does not act on yet: excluding series variables is refused;
the test named shows the refusal."""

TAKES_EFFECT |= dict.fromkeys(
    (
        ("PrivacyMetricsParameters", "time_series"),
        ("SignalMetricsParameters", "time_series"),
    ),
    f"{SERIES_METRICS}::test_the_metrics_measure_the_series_as_the_run_set_them",
)

TAKES_EFFECT |= dict.fromkeys(
    (
        ("Parameters", "time_series"),
        ("TimeSeriesParameters", "projection"),
        ("TimeSeriesProjection", "projection_type"),
        ("TimeSeriesProjection", "nf"),
        ("TimeSeriesProjection", "block_weight"),
    ),
    f"{RUNS}::test_projection_and_block_weight_change_the_avatars",
) | dict.fromkeys(
    (
        ("TimeSeriesParameters", "alignment"),
        ("TimeSeriesAlignment", "nb_points"),
        ("TimeSeriesAlignment", "method"),
        ("TimeSeriesAlignment", "unalignment"),
    ),
    f"{RUNS}::test_the_grid_and_unalignment_settings_take_effect",
)


@dataclass(frozen=True)
class Refusal:
    """A value of a field the server does not do, set on the base run by ``edit``."""

    field: tuple[str, str]
    edit: Callable[[Config], None]
    message: str


def _privacy(config: Config, **values: object) -> None:
    assert config.privacy_metrics is not None
    config.privacy_metrics.privacy_metrics = {"iris": PrivacyMetricsTableParameters(**values)}  # type: ignore[arg-type]


def _signal(config: Config, **values: object) -> None:
    assert config.signal_metrics is not None
    config.signal_metrics.signal_metrics = {"iris": SignalMetricsTableParameters(**values)}  # type: ignore[arg-type]


def _avatarization(config: Config, **values: object) -> None:
    assert config.parameters is not None
    config.parameters.avatarization = {"iris": AvatarizationParameters(k=5, **values)}  # type: ignore[arg-type]


def _column(config: Config, **values: object) -> None:
    config.schema.tables[0].columns = [ColumnInfo(field="variety", **values)]  # type: ignore[arg-type]


def _results(document: str, **values: object) -> Callable[[Config], None]:
    def edit(config: Config) -> None:
        for name, results in config.results_blocks():
            if name == document:
                for key, value in values.items():
                    setattr(results, key, value)

    return edit


def _no_reference(config: Config) -> None:
    assert config.privacy_metrics is not None
    config.privacy_metrics.avatarization_ref = None


def _brought_avatars(config: Config) -> None:
    config.schema.tables[0].avatars_data = AvatarsData(
        dataset_id="00000000-0000-0000-0000-0000000000aa"
    )


def _docx(config: Config) -> None:
    config.reports[0].output_format = ReportFormat.DOCX


REFUSALS = [
    Refusal(
        ("TableInfo", "individual_level"),
        lambda c: setattr(c.schema.tables[0], "individual_level", False),
        "table 'iris' has no parent table, so it must be individual-level",
    ),
    Refusal(("TableInfo", "avatars_data"), _brought_avatars, "avatars you bring"),
    Refusal(("AvatarsData", "dataset_id"), _brought_avatars, "avatars you bring"),
    Refusal(
        ("Imputation", "return_data_imputed"),
        lambda c: _avatarization(
            c, imputation=Imputation(method=ImputeMethod.MEAN, return_data_imputed=True)
        ),
        "returning the imputed originals is not supported yet",
    ),
    Refusal(
        ("PrivacyMetricsParameters", "avatarization_ref"),
        _no_reference,
        "measuring avatars you bring (no avatarization_ref) is not supported yet",
    ),
    Refusal(
        ("PrivacyMetricsTableParameters", "quantile_threshold"),
        lambda c: _privacy(c, quantile_threshold=5),
        "closest_rate (quantile_threshold) is not supported yet",
    ),
    Refusal(
        ("PrivacyMetricsTableParameters", "use_categorical_reduction"),
        lambda c: _privacy(c, use_categorical_reduction=True),
        "categorical reduction in the privacy metrics' projection is not supported yet",
    ),
    Refusal(
        ("PrivacyMetricsTableParameters", "imputation"),
        lambda c: _privacy(c, imputation=Imputation(method=ImputeMethod.KNN)),
        "choosing the privacy metrics' imputation is not supported yet",
    ),
    Refusal(
        ("SignalMetricsTableParameters", "ncp"),
        lambda c: _signal(c, ncp=2),
        "ncp in the signal metrics is not supported yet",
    ),
    Refusal(
        ("SignalMetricsTableParameters", "use_categorical_reduction"),
        lambda c: _signal(c, use_categorical_reduction=True),
        "use_categorical_reduction in the signal metrics is not supported yet",
    ),
    Refusal(
        ("SignalMetricsTableParameters", "imputation"),
        lambda c: _signal(c, imputation=Imputation(method=ImputeMethod.MEAN)),
        "imputation in the signal metrics is not supported yet",
    ),
    Refusal(
        ("SignalMetricsTableParameters", "column_weights"),
        lambda c: _signal(c, column_weights={"variety": 2.0}),
        "column_weights in the signal metrics is not supported yet",
    ),
    Refusal(
        ("Results", "format"),
        _results("privacy_metrics", format=ResultsFormat.PARQUET),
        "a format for results that are not tables is not supported yet",
    ),
    Refusal(
        ("Results", "max_distribution_plots"),
        _results("signal_metrics", max_distribution_plots=3),
        "plots in this job's results is not supported yet",
    ),
    Refusal(
        ("Results", "path"),
        _results("standard", path="elsewhere"),
        "a results path of your own is not supported yet",
    ),
    Refusal(("ReportParameters", "output_format"), _docx, "a DOCX report is not supported yet"),
]


def _node_classes() -> list[type[Node]]:
    """Every node class reachable from the documents."""
    found: list[type[Node]] = []

    def visit(kind: object) -> None:
        for argument in typing.get_args(kind):
            visit(argument)
        if isinstance(kind, type) and issubclass(kind, Node) and kind not in found:
            found.append(kind)
            for hint in typing.get_type_hints(kind).values():
                visit(hint)

    for spec in _SPECS.values():
        visit(spec)
    return found


def all_fields() -> set[tuple[str, str]]:
    return {(cls.__name__, name) for cls in _node_classes() for name in cls.fields()}


def test_every_field_is_classified() -> None:
    refused = {refusal.field for refusal in REFUSALS} | set(NOT_RUN_YET)
    unclassified = sorted(all_fields() - set(TAKES_EFFECT) - refused)
    assert not unclassified, f"fields neither taking effect nor refused: {unclassified}"
    stale = sorted((set(TAKES_EFFECT) | refused) - all_fields())
    assert not stale, f"classified fields that the model no longer has: {stale}"


@pytest.mark.parametrize(
    "reference", sorted(set(TAKES_EFFECT.values()) | set(NOT_RUN_YET.values()))
)
def test_each_effect_is_shown_by_a_test(reference: str) -> None:
    module_name, function = reference.split("::")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, function, None)), f"{reference} does not exist"


@pytest.fixture
def iris(user: ApiClient, shared_data: Path) -> str:
    return str(user.datasets.upload_dataset(shared_data / "iris.csv", name="iris").id)


def base_run(dataset_id: str) -> Config:
    """A run the server accepts, with every document: each refusal changes one value."""
    config = Config.new("fields", seed=1)
    config.add_table("iris", dataset_id)
    config.set_parameters(
        "iris",
        AvatarizationParameters(k=5),
        PrivacyMetricsTableParameters(ncp=2),
        SignalMetricsTableParameters(),
    )
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.PDF)
    config.add_advice()
    return config


def test_the_base_run_is_accepted(user: ApiClient, iris: str) -> None:
    config = base_run(iris)
    rules.check_supported(config)
    user.resources.put_resources("fields", config.to_yaml())


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: ".".join(r.field))
def test_a_value_the_server_does_not_do_is_refused(
    user: ApiClient, iris: str, refusal: Refusal
) -> None:
    config = base_run(iris)
    refusal.edit(config)
    with pytest.raises(ConfigError) as client_side:
        rules.check_supported(config)
    assert refusal.message in str(client_side.value)
    with pytest.raises(ValidationError) as server_side:
        user.resources.put_resources("fields", config.to_yaml())
    assert server_side.value.status_code == 422
    assert str(client_side.value) in str(server_side.value)  # one rule, one message
    assert user.resources.list_resources(display_name="fields") == []


@pytest.mark.parametrize(
    ("keywords", "fragment"),
    [
        ({"k": 150}, "k=150 must be smaller than the table's 150 rows"),
        ({"k": 5, "known_variables": ["petal"]}, "known_variables names unknown columns"),
        ({"k": 5, "ncp": 400}, "ncp=400 is more than the table's dimensions"),
    ],
)
def test_the_client_and_the_server_give_the_same_message(
    user: ApiClient, shared_data: Path, keywords: dict[str, object], fragment: str
) -> None:
    """The Runner refuses a mistake with the server's own rule: sending the same run anyway
    gets the same message back in the 422."""
    runner = Runner(user, "same_message")
    runner.add_table("iris", shared_data / "iris.csv")
    with pytest.raises(ValueError, match=fragment) as client_side:
        runner.set_parameters("iris", **keywords)  # type: ignore[arg-type]
    config = copy.deepcopy(runner.config)
    documents = parameters.to_documents("iris", **keywords)
    config.set_parameters("iris", documents.avatarization, documents.privacy, documents.signal)
    with pytest.raises(ValidationError) as server_side:
        user.resources.put_resources("same_message", config.to_yaml())
    assert str(client_side.value) in str(server_side.value)
