"""Each field of the run's YAML changes what the server does: real runs on a real server.

Every check compares runs that differ by one value, the seed fixed, so a difference is that
value's doing (a repeat of the base run with the same seed gives the same avatars).
:mod:`tests.test_every_field` lists which test shows each field's effect.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.jobs.tables import OTHER
from avatar_yaml import (
    AvatarizationParameters,
    ColumnInfo,
    ColumnType,
    Config,
    ConfigError,
    ExcludeVariables,
    ExcludeVariablesMethod,
    Imputation,
    ImputeMethod,
    KeepMode,
    PiiType,
    PrivacyMetricsTableParameters,
    Pseudonymization,
    PseudonymizationKind,
    ResultKind,
    ResultsFormat,
    SignalMetricsTableParameters,
)
from avatars import ApiClient
from tests.server import wait_done


def people(rows: int = 240) -> pd.DataFrame:
    """A mixed table with gaps, a 30-modality category, keys and a free-text column."""
    rng = np.random.default_rng(11)
    age = rng.integers(18, 90, rows).astype(float)
    age[rng.random(rows) < 0.15] = np.nan
    # Income has no gaps: the k-NN imputation of age has a column to find neighbours with.
    income = np.round(rng.lognormal(10, 0.4, rows) + np.nan_to_num(age, nan=50.0) * 40, 2)
    return pd.DataFrame(
        {
            "pid": np.arange(1000, 1000 + rows),
            "ref": rng.integers(1, 50, rows),
            "age": age,
            "income": income,
            "code": [f"C{int(v):02d}" for v in rng.integers(0, 30, rows)],
            "city": rng.choice(["Nantes", "Lyon", "Paris", "Lille"], rows),
            "flag": rng.choice(["yes", "no"], rows),
            "note": [f"called on {i}" for i in range(rows)],
        }
    )


def upload(client: ApiClient, frame: pd.DataFrame) -> str:
    return str(client.datasets.upload_dataset(frame, name="people").id)


def run_config(
    dataset_id: str,
    avatarization: AvatarizationParameters | None = None,
    *,
    seed: int = 1,
    columns: list[ColumnInfo] | None = None,
    privacy: PrivacyMetricsTableParameters | None = None,
    output_format: ResultsFormat | None = None,
) -> Config:
    config = Config.new("effects", seed=seed, output_format=output_format)
    keys = [
        ColumnInfo(field="pid", primary_key=True),
        ColumnInfo(field="ref", identifier=True),
        ColumnInfo(field="note", drop=True),
    ]
    config.add_table("people", dataset_id, columns=keys if columns is None else columns)
    config.set_parameters("people", avatarization or AvatarizationParameters(k=5), privacy, None)
    return config


def results(client: ApiClient, config: Config, *documents: str) -> dict[str, Any]:
    """Run ``standard`` (then ``documents``) and read every result, by kind."""
    set_name = client.resources.put_resources("effects", config.to_yaml()).set_name
    standard = client.jobs.create_job(set_name, "standard")
    jobs = [standard] + [
        client.jobs.create_job(set_name, document, [standard.name]) for document in documents
    ]
    found: dict[str, Any] = {}
    for job in jobs:
        wait_done(client, job.name)
        for entry in client.results.get_results(job.name).files:
            if entry.file_format == "json":
                found[entry.kind] = client.results.read_json(job.name, entry)
            else:
                found[entry.kind] = client.results.read_table(job.name, entry)
                found[f"{entry.kind}.format"] = entry.file_format
    return found


def avatars(client: ApiClient, config: Config) -> pd.DataFrame:
    frame: pd.DataFrame = results(client, config)[ResultKind.UNSHUFFLED]
    return frame


def test_avatarization_fields_change_the_avatars(user: ApiClient) -> None:
    dataset = upload(user, people())
    base = avatars(user, run_config(dataset))
    pd.testing.assert_frame_equal(avatars(user, run_config(dataset)), base)  # seeded: repeatable
    variants: dict[str, Config] = {
        "seed": run_config(dataset, seed=2),
        "k": run_config(dataset, AvatarizationParameters(k=12)),
        "ncp": run_config(dataset, AvatarizationParameters(k=5, ncp=2)),
        "use_categorical_reduction": run_config(
            dataset, AvatarizationParameters(k=5, use_categorical_reduction=True)
        ),
        "column_weights": run_config(
            dataset, AvatarizationParameters(k=5, column_weights={"income": 8.0})
        ),
    }
    for field, config in variants.items():
        changed = avatars(user, config)
        assert not changed.equals(base), f"{field} did not change the avatars"


def test_excluded_variables_are_reattached_as_asked(user: ApiClient) -> None:
    frame = people()
    dataset = upload(user, frame)

    def excluded(strategy: ExcludeVariablesMethod) -> pd.Series:
        exclusion = ExcludeVariables(variable_names=["city"], replacement_strategy=strategy)
        config = run_config(dataset, AvatarizationParameters(k=5, exclude_variables=exclusion))
        column: pd.Series = avatars(user, config)["city"]
        return column

    in_order = excluded(ExcludeVariablesMethod.ROW_ORDER)
    assert in_order.tolist() == frame["city"].tolist()  # row order: the originals' own values
    similar = excluded(ExcludeVariablesMethod.COORDINATE_SIMILARITY)
    assert similar.tolist() != frame["city"].tolist()  # matched by position in the projection


def test_imputation_settings_take_effect(user: ApiClient) -> None:
    dataset = upload(user, people())

    def with_imputation(**settings: Any) -> pd.DataFrame:
        chosen = AvatarizationParameters(k=5, imputation=Imputation(**settings))
        return avatars(user, run_config(dataset, chosen))

    knn = with_imputation(method=ImputeMethod.KNN, k=5)
    assert not with_imputation(method=ImputeMethod.MEAN).equals(knn), "method"
    assert not with_imputation(method=ImputeMethod.KNN, k=1).equals(knn), "k"
    fast = with_imputation(method=ImputeMethod.FAST_KNN, k=5, training_fraction=0.2)
    whole = with_imputation(method=ImputeMethod.FAST_KNN, k=5, training_fraction=1.0)
    assert not fast.equals(whole), "training_fraction"


def test_results_blocks(user: ApiClient) -> None:
    """``format`` writes the tables in that format; ``volume`` and ``path`` name where results
    are kept (with their job) and accept only that; ``max_distribution_plots`` is shown by
    tests.test_report.test_reports_embed_one_figure_per_plot."""
    dataset = upload(user, people())
    found = results(user, run_config(dataset, output_format=ResultsFormat.PARQUET))
    assert found["shuffled.format"] == "parquet"
    assert found["unshuffled.format"] == "parquet"
    text = run_config(dataset).to_yaml()
    for fixed, other in (("volume: results", "volume: elsewhere"), ("path: standard", "path: x")):
        edited = text.replace(fixed, other, 1)
        try:
            Config.from_yaml(edited)
        except ConfigError as error:
            assert "expected 'results'" in str(error)
            continue
        with pytest.raises(Exception, match="a results path of your own is not supported yet"):
            user.resources.put_resources("effects", edited)


def test_privacy_settings_reach_the_metrics(user: ApiClient) -> None:
    dataset = upload(user, people())
    privacy = PrivacyMetricsTableParameters(
        ncp=2,
        known_variables=["age", "city"],
        target="income",
        categorical_hidden_rate_variables=["code"],
        column_weights={"income": 3.0},
    )
    found = results(user, run_config(dataset, privacy=privacy), "privacy_metrics")
    (metrics,) = found[ResultKind.PRIVACY_METRICS]
    details = metrics["details"]
    assert details["hidden_rate"]["ncp"] == 2
    assert details["hidden_rate"]["column_weights"] == {"income": 3.0}
    assert details["correlation_protection_rate"]["known_variables"] == ["age", "city"]
    assert details["inference_continuous"]["target"] == "income"
    assert metrics["inference_categorical"] is None  # the one target given is numeric
    assert details["categorical_hidden_rate"]["variables"] == ["code"]

    default = results(user, run_config(dataset), "privacy_metrics")[ResultKind.PRIVACY_METRICS]
    assert default[0]["details"]["categorical_hidden_rate"]["variables"] != ["code"]


def test_column_roles_and_types(user: ApiClient) -> None:
    frame = people()
    dataset = upload(user, frame)
    columns = [
        ColumnInfo(field="pid", primary_key=True),
        ColumnInfo(field="ref", identifier=True),
        ColumnInfo(field="note", drop=True),
        ColumnInfo(field="flag", type=ColumnType.BOOL),
    ]
    shuffled = results(user, run_config(dataset, columns=columns))[ResultKind.SHUFFLED]
    assert "ref" not in shuffled and "note" not in shuffled  # identifier and drop: set aside
    # New keys, none of them an original key value (1..n would put originals on other rows).
    assert shuffled["pid"].is_unique and len(shuffled) == len(frame)
    assert not shuffled["pid"].isin(frame["pid"]).any()
    assert set(shuffled["flag"].astype(str)) <= {"True", "False"}  # read as booleans
    untyped = results(user, run_config(dataset))[ResultKind.SHUFFLED]
    assert set(untyped["flag"]) <= {"yes", "no"}


def test_values_the_server_already_follows(user: ApiClient) -> None:
    """Values that say what the server does anyway are accepted (the official client writes
    some of them always): an individual-level table, no time column, gaps kept, no categorical
    reduction in the metrics."""
    dataset = upload(user, people())
    config = run_config(
        dataset,
        AvatarizationParameters(
            k=5, imputation=Imputation(method=ImputeMethod.MEAN, return_data_imputed=False)
        ),
        columns=[
            ColumnInfo(field="pid", primary_key=True),
            ColumnInfo(field="ref", identifier=True),
            ColumnInfo(field="note", drop=True, time_series_time=False),
        ],
        privacy=PrivacyMetricsTableParameters(use_categorical_reduction=False),
    )
    config.schema.tables[0].individual_level = True
    assert config.signal_metrics is not None
    config.signal_metrics.signal_metrics = {
        "people": SignalMetricsTableParameters(use_categorical_reduction=False)
    }
    found = results(user, config, "privacy_metrics", "signal_metrics")
    assert found[ResultKind.UNSHUFFLED]["age"].isna().sum() == people()["age"].isna().sum()
    assert ResultKind.SIGNAL_METRICS in found


def test_descriptions_are_kept_with_the_run(user: ApiClient) -> None:
    """``file`` and the annotations describe the run for people; the server keeps them with
    the stored run, where a reloaded runner reads them; ``schema_ref`` ties the derived
    avatarized schema to the schema."""
    dataset = upload(user, people())
    config = Config.new("effects", annotations={"ticket": "DPO-42"})
    config.add_table("people", dataset, file="people.csv")
    stored = user.resources.put_resources("effects", config.to_yaml())
    again = Config.from_yaml(user.resources.get_resources(uuid.UUID(str(stored.set_name))).yaml)
    data = again.schema.tables[0].data
    assert data is not None and data.file == "people.csv"
    assert again.annotations == {"ticket": "DPO-42"}
    assert again.avatarized_schema().schema_ref == "schema"


def test_kept_columns_are_grouped_or_acknowledged(user: ApiClient) -> None:
    """``keep: grouped`` releases only values at least k originals hold (the rest as one
    "other" value); ``keep: as_is`` releases the column and fails the verdict by name."""
    frame = people()
    dataset = upload(user, frame)
    columns = [
        ColumnInfo(field="pid", primary_key=True),
        ColumnInfo(field="ref", identifier=True),
        ColumnInfo(field="note", drop=True),
        ColumnInfo(field="code", keep=KeepMode.GROUPED),
    ]
    found = results(user, run_config(dataset, columns=columns), "privacy_metrics")
    counts = frame["code"].value_counts()
    common = set(counts[counts >= 5].index)
    released = set(found[ResultKind.SHUFFLED]["code"])
    assert released <= common | {OTHER} and OTHER in released
    verdict = found[ResultKind.PRIVACY_VERDICT]
    assert not [item for item in verdict["items"] if item["name"].startswith("kept_as_is")]

    columns[-1] = ColumnInfo(field="code", keep=KeepMode.AS_IS)
    found = results(user, run_config(dataset, columns=columns), "privacy_metrics")
    verdict = found[ResultKind.PRIVACY_VERDICT]
    assert verdict["status"] == "fail"
    (item,) = [item for item in verdict["items"] if item["name"] == "kept_as_is:code"]
    assert not item["passed"] and "code" in item["remedy"]


def test_pseudonymized_columns_hold_no_original(user: ApiClient) -> None:
    """Each strategy's column reaches the avatars, and no original value of it does; a
    consistent strategy gives equal originals equal pseudonyms (on the row-linked avatars)."""
    frame = people()
    frame["email"] = [f"person{i % 150}@example.org" for i in range(len(frame))]
    dataset = upload(user, frame)
    strategies = {
        "email": Pseudonymization(
            kind=PseudonymizationKind.FAKER, pii_type=PiiType.EMAIL, consistent=True
        ),
        "ref": Pseudonymization(kind=PseudonymizationKind.HASH_SHA256),
        "pid": Pseudonymization(kind=PseudonymizationKind.INTEGER),
        "note": Pseudonymization(
            kind=PseudonymizationKind.SPECIFIC_ID, pattern="NOTE-@@##", consistent=False
        ),
    }
    columns = [ColumnInfo(field=c, pseudonymization=s) for c, s in strategies.items()]
    found = results(user, run_config(dataset, columns=columns))
    shuffled, unshuffled = found[ResultKind.SHUFFLED], found[ResultKind.UNSHUFFLED]
    for column in strategies:
        released = set(shuffled[column].astype(str))
        assert not released & set(frame[column].astype(str)), column
    assert list(shuffled.columns) == list(frame.columns)  # the table's own order
    assert shuffled["note"].str.fullmatch(r"NOTE-[A-Z]{2}[0-9]{2}").all()
    pairs = pd.DataFrame({"original": frame["email"], "pseudonym": unshuffled["email"]})
    assert (pairs.groupby("original")["pseudonym"].nunique() == 1).all()  # consistent
    assert pairs["pseudonym"].nunique() == frame["email"].nunique()
