"""The rest of the official client's surface, through the real server: job queries and
cancellation on the Manager; upload_file, annotations, every result by kind and by URL,
partial delete_parameters, figures drawn at once and the output format on the Runner;
ApiClient(config=) and the official import paths."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from avatars_api.models import CompatibilityResponse
from matplotlib.figure import Figure

from avatar_yaml import ImputeMethod, JobKind, RelativeDifferenceParameters, ResultKind
from avatars import ApiClient, ClientConfig, Manager, PlotKind, Runner, parameters
from avatars.plots import SERIES_KINDS
from avatars.runner import NEEDS_A_CHOICE
from tests.conftest import new_user
from tests.server import ServerProcess, wait_done

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# No stray client settings from the developer's shell; no progress bars in the logs.
pytestmark = pytest.mark.usefixtures("client_env")


def new_manager(server: ServerProcess) -> Manager:
    """A fresh user's manager (its own jobs only)."""
    return Manager(api_client=new_user(server, "surface"))


@pytest.fixture
def manager(server: ServerProcess) -> Iterator[Manager]:
    with new_manager(server) as fresh:
        yield fresh
    fresh.auth_client.close()


@pytest.fixture(scope="module")
def done_run(module_manager: Manager, shared_data: Path) -> Runner:
    """One whole iris run (avatars, both metrics, reports), shared by the result tests."""
    runner = module_manager.create_runner("surface_iris", seed=0)
    runner.show_progress = False
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=5)
    runner.run()
    return runner


def iris_runner(manager: Manager, shared_data: Path, name: str) -> Runner:
    runner = manager.create_runner(name, seed=0)
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=5)
    return runner


def finish(manager: Manager, runner: Runner) -> None:
    """Wait until every job of the run is over (cancelled jobs included)."""
    for name in runner.jobs.values():
        wait_done(manager.auth_client, name)


# -- Manager: job queries -----------------------------------------------------------------------


def test_job_queries_by_name_by_id_last_jobs_and_last_set(
    manager: Manager, shared_data: Path
) -> None:
    assert manager.get_last_set() == []
    first = iris_runner(manager, shared_data, "queries_a")
    first.run(jobs_to_run=[JobKind.STANDARD])
    second = iris_runner(manager, shared_data, "queries_b")
    second.run(jobs_to_run=[JobKind.STANDARD, JobKind.SIGNAL_METRICS])

    by_name = manager.get_jobs_by_name("queries_a")
    assert [job.name for job in by_name] == [first.jobs["standard"]]
    by_id = manager.get_jobs_by_id(second.set_name or "")
    assert {job.name for job in by_id} == set(second.jobs.values())
    assert {job.name for job in manager.get_jobs_by_id(uuid.UUID(first.set_name))} == {
        first.jobs["standard"]
    }
    with pytest.raises(ValueError, match="'not-a-uuid' is not a UUID"):
        manager.get_jobs_by_id("not-a-uuid")
    assert manager.get_jobs_by_name("nobody_named_so") == []

    last_set = manager.get_last_set()
    assert {str(job.set_name) for job in last_set} == {second.set_name}
    assert {job.name for job in last_set} == set(second.jobs.values())

    newest = manager.get_last_jobs(2)
    assert len(newest) == 2
    only_a = manager.get_last_jobs(5, name="queries_a")
    assert list(only_a) == [first.jobs["standard"]]
    assert all(job.display_name == "queries_a" for job in only_a.values())
    assert len(manager.get_last_jobs(1, name="queries_b")) == 1
    for wrong in (0, 1001, "3"):
        with pytest.raises(ValueError, match="count: expected a whole number from 1 to 1000"):
            manager.get_last_jobs(wrong)  # type: ignore[arg-type]
    finish(manager, second)


# -- Manager: cancellation ----------------------------------------------------------------------


def test_cancel_job_by_name_by_id_and_a_list(manager: Manager, shared_data: Path) -> None:
    by_name = iris_runner(manager, shared_data, "cancel_by_name")
    by_name.run()
    cancelled = manager.cancel_job("cancel_by_name")
    # The reports wait for both metrics, so they are still waiting when cancelled.
    assert {"report", "report_pia"} <= {job.parameters_name for job in cancelled}
    finish(manager, by_name)
    statuses = by_name.statuses()
    assert statuses["report"] == statuses["report_pia"] == "cancelled"
    assert set(statuses.values()) <= {"done", "cancelled"}

    by_id = iris_runner(manager, shared_data, "cancel_by_id")
    by_id.run()
    assert by_id.set_name is not None
    cancelled = manager.cancel_job_by_id(uuid.UUID(by_id.set_name))
    assert {"report", "report_pia"} <= {job.parameters_name for job in cancelled}
    finish(manager, by_id)
    assert by_id.statuses()["report"] == "cancelled"

    listed = iris_runner(manager, shared_data, "cancel_list")
    listed.run()
    reports = [listed.jobs["report"], listed.jobs["report_pia"]]
    cancelled = manager.cancel_jobs(reports)
    assert sorted(job.name for job in cancelled) == sorted(reports)
    assert all(job.status == "cancelled" for job in cancelled)
    finish(manager, listed)
    statuses = listed.statuses()
    assert statuses["standard"] == statuses["privacy_metrics"] == "done"  # not named: not touched
    # Finished jobs are left out; a bare string is one job name.
    assert manager.cancel_jobs(listed.jobs["standard"]) == []
    assert manager.cancel_jobs(reports) == []
    with pytest.raises(ValueError, match="no job named 'no-such-job'"):
        manager.cancel_jobs([listed.jobs["standard"], "no-such-job"])


def test_cancel_job_refuses_an_unknown_or_ambiguous_name(
    manager: Manager, shared_data: Path
) -> None:
    with pytest.raises(ValueError, match="no run named 'nothing_here'"):
        manager.cancel_job("nothing_here")
    runners = [iris_runner(manager, shared_data, "twice") for _ in range(2)]
    for runner in runners:
        runner.run(jobs_to_run=[JobKind.STANDARD])
    with pytest.raises(ValueError, match="2 runs are named 'twice'") as ambiguous:
        manager.cancel_job("twice")
    for runner in runners:
        assert f"manager.cancel_job_by_id(UUID('{runner.set_name}'))" in str(ambiguous.value)
        finish(manager, runner)


# -- Runner: cancel and delete take one job or a list ------------------------------------------


def test_runner_cancel_and_delete_take_a_bare_string_as_one_job(
    manager: Manager, shared_data: Path
) -> None:
    runner = iris_runner(manager, shared_data, "one_job")
    runner.run()
    cancelled = runner.cancel("report")  # one job: not r, e, p, o...
    assert [job.name for job in cancelled] == [runner.jobs["report"]]
    finish(manager, runner)
    assert runner.statuses()["report"] == "cancelled"
    with pytest.raises(ValueError, match="this runner has no job 'repor'"):
        runner.cancel("repor")

    pia = runner.jobs["report_pia"]
    deleted = runner.delete("report_pia")
    assert [job.name for job in deleted.deleted_jobs] == [pia]
    assert "report_pia" not in runner.jobs
    assert set(runner.jobs) == {"standard", "signal_metrics", "privacy_metrics", "report"}
    answer = runner.delete(["report", JobKind.SIGNAL_METRICS])
    assert len(answer.deleted_jobs) == 2
    assert set(runner.jobs) == {"standard", "privacy_metrics"}


def test_runner_cancel_of_the_avatarization_by_its_words(
    manager: Manager, shared_data: Path
) -> None:
    runner = iris_runner(manager, shared_data, "cancel_words")
    runner.run()
    # The words name the standard job (checked whatever the race with the worker gives).
    assert runner._results.job_name("avatarization") == runner.jobs["standard"]
    cancelled = runner.cancel("avatarization")
    finish(manager, runner)
    statuses = runner.statuses()
    if cancelled:  # caught while unfinished: its dependents fail (or are cancelled) with it
        assert [job.parameters_name for job in cancelled] == ["standard"]
        assert statuses.pop("standard") == "cancelled"
        assert set(statuses.values()) <= {"cancelled", "failed"}
    else:  # the avatarization had finished already: nothing else was touched
        assert statuses["standard"] == "done"
        assert statuses["report"] == "done"


# -- Runner: every result, by kind and by URL ---------------------------------------------------


def test_get_specific_result_reads_each_kind_each_job_wrote(done_run: Runner) -> None:
    read = set()
    for job in ("standard", "privacy_metrics", "signal_metrics"):
        for entry in done_run.result_files(job):
            if entry.table != "iris":
                continue
            value = done_run.get_specific_result("iris", job, entry.kind)
            if entry.file_format in ("csv", "parquet"):
                assert isinstance(value, pd.DataFrame) and len(value) == 150
            else:
                assert isinstance(value, dict | list) and value
            read.add(entry.kind)
    assert read >= {
        "shuffled",
        "unshuffled",
        "original_projections",
        "avatar_projections",
        "run_metadata",
        "privacy_metrics",
        "signal_metrics",
    }
    # The same values as the accessors, whichever way the job is named.
    pd.testing.assert_frame_equal(
        done_run.get_specific_result("iris", "standard"), done_run.shuffled("iris")
    )
    job_name = done_run.jobs["standard"]
    unshuffled = done_run.get_specific_result("iris", job_name, ResultKind.UNSHUFFLED)
    pd.testing.assert_frame_equal(unshuffled, done_run.sensitive_unshuffled("iris"))
    privacy = done_run.get_specific_result("iris", JobKind.PRIVACY_METRICS, "privacy_metrics")
    assert (privacy if isinstance(privacy, list) else [privacy]) == done_run.privacy_metrics("iris")


def test_jobs_are_named_with_the_official_keywords(done_run: Runner) -> None:
    standard = done_run.jobs["standard"]
    done_run.shuffled("iris")  # waits for the avatarization
    assert done_run.get_job(kind_or_name=JobKind.STANDARD).name == standard
    assert done_run.get_status(job_name=standard) == done_run.get_status("standard") == "done"
    with pytest.raises(ValueError, match="by job_kind or by job_name"):
        done_run.get_status()
    with pytest.raises(ValueError, match="by job_kind or by job_name"):
        done_run.get_status("standard", job_name=standard)


def test_get_specific_result_refuses_clearly(done_run: Runner) -> None:
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        done_run.get_specific_result("nope", "standard")
    with pytest.raises(ValueError, match="not asked for the parameter advice"):
        done_run.get_specific_result("iris", JobKind.ADVICE, "advice")
    with pytest.raises(ValueError, match="wrote no privacy_metrics result for table 'iris'"):
        done_run.get_specific_result("iris", "standard", "privacy_metrics")
    with pytest.raises(ValueError, match="result"):
        done_run.get_specific_result("iris", "standard", "shuffld")
    with pytest.raises(ValueError, match="save it with download_report"):
        done_run.get_specific_result("iris", "report", "report")


def test_get_specific_result_urls_download_with_the_clients_credentials(
    done_run: Runner, module_manager: Manager
) -> None:
    urls = done_run.get_specific_result_urls("standard")
    assert len(urls) == 1 and urls[0].startswith(module_manager.auth_client.base_url + "/")
    assert urls[0].endswith(".csv")  # the input's format
    assert done_run.get_specific_result_urls(JobKind.STANDARD, "privacy_metrics") == []
    assert len(done_run.get_specific_result_urls("report", ResultKind.REPORT)) == 2  # PDF, HTML

    key = module_manager.auth_client.api_keys.create_api_key("urls").key
    answer = httpx.get(urls[0], headers={"Authorization": f"api-key-v1 {key}"})
    assert answer.status_code == 200, answer.text
    pd.testing.assert_frame_equal(
        pd.read_csv(io.BytesIO(answer.content)), done_run.shuffled("iris")
    )
    assert httpx.get(urls[0]).status_code == 401  # no credentials, no file


def test_get_all_results_reads_every_job(done_run: Runner) -> None:
    everything = done_run.get_all_results()
    pd.testing.assert_frame_equal(everything.shuffled["iris"], done_run.shuffled("iris"))
    pd.testing.assert_frame_equal(
        everything.sensitive_unshuffled["iris"], done_run.sensitive_unshuffled("iris")
    )
    original, avatars = done_run.projections("iris")
    pd.testing.assert_frame_equal(everything.original_projections["iris"], original)
    pd.testing.assert_frame_equal(everything.avatars_projections["iris"], avatars)
    assert everything.privacy_metrics["iris"] == done_run.privacy_metrics("iris")
    assert everything.signal_metrics["iris"] == done_run.signal_metrics("iris")
    assert everything.privacy_verdict["iris"] == done_run.privacy_verdict("iris")
    assert everything.run_metadata["iris"]["seed"] == 0
    assert everything.advice == {}  # no advice asked
    # One table, no links: no run-wide summaries.
    assert everything.privacy_metrics_summary is None
    assert everything.relations is None
    assert everything.release_manifest == done_run.manifest()
    assert everything.release_manifest["seed"] == {"value": 0, "drawn": False}


def test_get_all_results_carries_the_advice(manager: Manager, shared_data: Path) -> None:
    runner = manager.create_runner("advised_all", seed=0)
    runner.add_table("iris", shared_data / "iris.csv")
    runner.advise_parameters()
    everything = runner.get_all_results()  # nothing ran but the advice
    assert set(everything.advice) == {"iris"}
    assert everything.advice["iris"]["k"] == parameters.from_documents(runner.config, "iris")["k"]
    assert everything.shuffled == {} and everything.privacy_metrics == {}
    assert everything.release_manifest is None  # no run yet
    with pytest.raises(ValueError, match="call run"):
        runner.manifest()


def test_compute_figures_draws_every_kind_now(
    done_run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a plot's page goes outside a notebook
    drawn = done_run.compute_figures(path=tmp_path / "figures")
    expected = {
        kind for kind in PlotKind if kind not in SERIES_KINDS and kind.value not in NEEDS_A_CHOICE
    }
    assert set(drawn) == {"iris"}
    assert set(drawn["iris"]) == expected
    for kind, figure in drawn["iris"].items():
        assert isinstance(figure, Figure)
        assert (tmp_path / "figures" / f"iris.{kind.value}.png").read_bytes()[:8] == PNG_MAGIC
    assert set(done_run.compute_figures("iris")["iris"]) == expected
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        done_run.compute_figures("nope")


def test_compute_figures_refuses_a_run_without_figure_data(
    manager: Manager, shared_data: Path
) -> None:
    runner = iris_runner(manager, shared_data, "no_figures")
    with pytest.raises(ValueError, match="no figure data for table 'iris'"):
        runner.compute_figures("iris")  # nothing ran
    with pytest.raises(ValueError, match="compute_figures=False"):
        Runner(manager.auth_client, "figures_off", compute_figures=False)
    with pytest.raises(TypeError, match="compute_figures"):
        Runner(manager.auth_client, "figures_off", compute_figures="yes")  # type: ignore[arg-type]
    Runner(manager.auth_client, "figures_on", compute_figures=True)


# -- output_format ------------------------------------------------------------------------------


def test_output_format_is_the_format_of_the_avatar_tables(
    manager: Manager, shared_data: Path
) -> None:
    as_parquet = manager.create_runner("format_parquet", seed=0, output_format="parquet")
    as_parquet.add_table("iris", shared_data / "iris.csv")  # a CSV in
    as_parquet.set_parameters("iris", k=5)
    as_parquet.run(jobs_to_run=[JobKind.STANDARD])
    tables = [
        entry
        for entry in as_parquet.result_files("standard")
        if entry.kind in ("shuffled", "unshuffled")
    ]
    assert {entry.file_format for entry in tables} == {"parquet"}
    assert as_parquet.get_specific_result_urls("standard")[0].endswith(".shuffled.parquet")
    assert as_parquet.shuffled("iris").shape == (150, 5)

    frame = pd.read_csv(shared_data / "iris.csv")
    as_csv = manager.create_runner("format_csv", seed=0, output_format="csv")
    as_csv.add_table("iris", frame)  # a DataFrame goes up as Parquet
    as_csv.set_parameters("iris", k=5)
    as_csv.run(jobs_to_run=[JobKind.STANDARD])
    assert as_csv.get_specific_result_urls("standard")[0].endswith(".shuffled.csv")
    assert list(as_csv.shuffled("iris").columns) == list(frame.columns)

    with pytest.raises(ValueError, match="output_format"):
        manager.create_runner("format_bad", output_format="xlsx")


# -- upload_file, then add_table by what it returned -------------------------------------------


def messy_csv(path: Path) -> Path:
    """Identifiers, e-mails, gaps and accents, written ``;``-separated in latin-1."""
    rng = np.random.default_rng(3)
    rows = 120
    frame = pd.DataFrame(
        {
            "patient_id": [f"PAT-{1000 + i}" for i in range(rows)],
            "email": [f"p{i}@exemple.fr" for i in range(rows)],
            "age": rng.integers(18, 90, rows).astype(float),
            "ville": rng.choice(["Orléans", "Besançon", "Nîmes", "Créteil"], rows),
            "poids": np.round(rng.normal(70, 12, rows), 1),
        }
    )
    frame.loc[rng.choice(rows, 15, replace=False), "age"] = np.nan
    frame.loc[rng.choice(rows, 10, replace=False), "ville"] = None
    frame.to_csv(path, sep=";", index=False, encoding="latin-1")
    return path


def test_upload_file_then_add_table_by_its_name(
    manager: Manager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "source").mkdir()
    source = messy_csv(tmp_path / "source" / "export 2024.csv")
    runner = manager.create_runner("uploaded_first", seed=0)
    datasets = manager.auth_client.datasets
    file_name, avatar_name = runner.upload_file("patients", source, encoding="latin-1")
    assert (file_name, avatar_name) == ("patients.csv", None)
    mine = {dataset.name: dataset for dataset in datasets.list_datasets()}
    assert set(mine) == {"patients.csv"}
    assert [c.name for c in mine["patients.csv"].columns][:3] == ["patient_id", "email", "age"]

    monkeypatch.chdir(tmp_path)  # no "patients.csv" here: the name is the upload's
    runner.add_table("patients", "patients.csv", columns_to_drop=["patient_id", "email"])
    assert len(datasets.list_datasets()) == 1  # not sent again
    table = runner.config.table("patients")
    assert table.data is not None and table.data.dataset_id == str(mine["patients.csv"].id)
    assert table.data.file == "patients.csv"
    runner.set_parameters("patients", k=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    avatars = runner.shuffled("patients")
    assert list(avatars.columns) == ["age", "ville", "poids"]
    assert set(avatars["ville"].dropna()) <= {"Orléans", "Besançon", "Nîmes", "Créteil"}

    with pytest.raises(ValueError, match="uploaded already"):
        runner.add_table("again", "patients.csv", sep=";")
    with pytest.raises(TypeError, match="data must be a file path or a pandas DataFrame"):
        runner.upload_file("patients", 42)  # type: ignore[arg-type]


def test_upload_file_with_avatars_and_add_table_by_dataset_id(
    manager: Manager, shared_data: Path
) -> None:
    runner = manager.create_runner("uploaded_ids")
    frame = pd.read_csv(shared_data / "iris.csv")
    runner.upload_file("flowers", frame.head(20))
    names = runner.upload_file("flowers", frame, avatar_data=frame.sample(frac=1, random_state=0))
    assert names == ("flowers.parquet", "flowers_avatars.parquet")
    listed = manager.auth_client.datasets.list_datasets()
    assert sorted(d.name for d in listed) == sorted(names)  # the earlier upload was replaced
    mine = {dataset.name: dataset for dataset in listed}
    assert mine["flowers.parquet"].rows == mine["flowers_avatars.parquet"].rows == 150

    runner.add_table("flowers", mine["flowers.parquet"].id)
    assert len(manager.auth_client.datasets.list_datasets()) == 2
    table = runner.config.table("flowers")
    assert table.data is not None and table.data.file == "flowers.parquet"
    with pytest.raises(ValueError, match="you have no dataset"):
        runner.add_table("ghost", uuid.uuid4())


# -- annotations --------------------------------------------------------------------------------


def test_add_annotations_are_stored_with_the_run(manager: Manager, shared_data: Path) -> None:
    runner = iris_runner(manager, shared_data, "annotated")
    runner.add_annotations({"project": "étude-42", "ticket": "T-7"})
    runner.add_annotations({"ticket": "T-8"})  # replaced
    runner.run(jobs_to_run=[JobKind.STANDARD])
    assert runner.set_name is not None
    stored = manager.auth_client.resources.get_resources(uuid.UUID(runner.set_name)).yaml
    assert "étude-42" in stored
    reloaded = manager.create_runner_from_id(runner.set_name)
    annotations = reloaded.config.annotations or {}
    assert annotations["project"] == "étude-42"
    assert annotations["ticket"] == "T-8"
    assert annotations["client_type"] == "python"  # the client's own stay
    with pytest.raises(ValueError, match=r"annotations\['version'\]: expected a string"):
        runner.add_annotations({"version": 3})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="non-empty string"):
        runner.add_annotations({" ": "blank"})
    finish(manager, runner)


# -- delete_parameters --------------------------------------------------------------------------


def test_add_table_names_a_dataset_by_its_id_as_text_or_says_what_it_is_not(
    manager: Manager, shared_data: Path
) -> None:
    dataset = manager.auth_client.datasets.upload_dataset(shared_data / "iris.csv", name="iris")
    runner = manager.create_runner("by_text_id")
    runner.add_table("iris", str(dataset.id))  # not sent again
    assert runner.config.schema.tables[0].data.dataset_id == str(dataset.id)  # type: ignore[union-attr]
    with pytest.raises(FileNotFoundError, match="no file here, no upload of this runner"):
        runner.add_table("other", "iris-elsewhere.csv")


def test_upload_file_never_deletes_the_avatars_a_table_reads(
    manager: Manager, shared_data: Path
) -> None:
    iris = pd.read_csv(shared_data / "iris.csv")
    runner = manager.create_runner("reupload")
    name, avatars_name = runner.upload_file("iris", iris, avatar_data=iris)
    assert avatars_name == "iris_avatars.parquet"
    runner.add_table("iris", name, avatar_data=avatars_name)
    used = runner.config.schema.tables[0].avatars_data
    assert used is not None and used.dataset_id is not None
    runner.upload_file("iris", iris, avatar_data=iris.sample(frac=1.0, random_state=1))
    # the table's avatars are still there (only unused earlier uploads are replaced)
    assert str(manager.auth_client.datasets.get_dataset(used.dataset_id).id) == used.dataset_id


def test_delete_parameters_removes_only_the_named_ones(manager: Manager, shared_data: Path) -> None:
    runner = manager.create_runner("partial_delete", seed=0)
    processor = RelativeDifferenceParameters(target="petal.length", references=["petal.width"])
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters(
        "iris",
        k=5,
        ncp=3,
        known_variables=["sepal.length"],
        imputation_method=ImputeMethod.KNN,
        imputation_k=3,
        processors=[processor],
    )
    runner.delete_parameters("iris", ["ncp"])
    left = parameters.from_documents(runner.config, "iris")
    assert "ncp" not in left
    assert left["k"] == 5 and left["known_variables"] == ["sepal.length"]
    assert left["imputation_k"] == 3
    assert left["processors"] == [processor]  # what is not named stays, processors too

    runner.delete_parameters("iris", "known_variables")  # one name as a string
    assert parameters.from_documents(runner.config, "iris").get("known_variables") is None

    before = runner.get_yaml()
    with pytest.raises(ValueError, match="unknown parameter 'nfc'"):
        runner.delete_parameters("iris", ["k", "nfc"])
    with pytest.raises(ValueError, match="tune the avatarization, which needs k"):
        runner.delete_parameters("iris", ["k"])  # the processors and imputation tune it
    with pytest.raises(TypeError, match="parameters_names must be a parameter's name"):
        runner.delete_parameters("iris", 5)  # type: ignore[arg-type]
    assert runner.get_yaml() == before  # a refused deletion changes nothing

    # A parameter goes with those that only tune it.
    runner.delete_parameters("iris", ["imputation_method"])
    left = parameters.from_documents(runner.config, "iris")
    assert "imputation_method" not in left and "imputation_k" not in left
    runner.update_parameters("iris", exclude_variable_names=["sepal.width"])
    runner.delete_parameters("iris", "exclude_variable_names")  # its method was a default
    left = parameters.from_documents(runner.config, "iris")
    assert "exclude_variable_names" not in left and "exclude_variable_method" not in left

    runner.run(jobs_to_run=[JobKind.STANDARD])  # the server runs what is left
    assert runner.set_name is not None
    stored = manager.create_runner_from_id(runner.set_name)
    assert parameters.from_documents(stored.config, "iris") == parameters.from_documents(
        runner.config, "iris"
    )
    assert runner.shuffled("iris").shape == (150, 5)

    runner.delete_parameters("iris")  # all of them
    assert parameters.from_documents(runner.config, "iris") == {}


# -- ApiClient(config=) and set_header ----------------------------------------------------------


def test_api_client_from_a_config(
    server: ServerProcess, make_user: Callable[[], ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = make_user()
    key = account.api_keys.create_api_key("config").key
    config = ClientConfig(base_url=server.base_url, api_key=key, timeout=7)
    with ApiClient(config=config) as client:
        assert client.base_url == server.base_url
        assert client.timeout == 7
        assert client._core.http.timeout == httpx.Timeout(7)  # what each request gets
        assert client.is_using_api_key()
        assert client.users.get_me().id == account.users.get_me().id
    by_api_root = ClientConfig(base_api_url=server.base_url, api_key=key)
    with ApiClient(config=by_api_root) as client:
        assert client.users.get_me().id == account.users.get_me().id

    with pytest.raises(ValueError, match="config cannot be combined with base_url, api_key"):
        ApiClient(server.base_url, api_key=key, config=config)
    with pytest.raises(ValueError, match="config cannot be combined with timeout"):
        ApiClient(timeout=None, config=config)
    with pytest.raises(ValueError, match="ApiClient needs a server"):
        ApiClient(config=ClientConfig(api_key=key))
    with pytest.raises(ValueError, match="ApiClient needs a server"):
        ApiClient()
    with pytest.raises(ValueError, match="storage_endpoint_url"):
        ClientConfig(base_url=server.base_url, storage_endpoint_url="https://host/storage")
    with pytest.raises(ValueError, match="both given"):
        ClientConfig(base_url=server.base_url, base_api_url=server.base_url)
    with pytest.raises(ValueError, match="ends in /api"):
        ClientConfig(base_api_url="https://host/other")

    monkeypatch.setenv("AVATAR_BASE_URL", server.base_url)  # no argument: the variables
    monkeypatch.setenv("AVATAR_API_KEY", key)
    with ApiClient() as client:
        assert client.users.get_me().id == account.users.get_me().id
    monkeypatch.setenv("AVATAR_BASE_API_URL", server.base_url)
    with pytest.raises(ValueError, match="AVATAR_BASE_URL and AVATAR_BASE_API_URL are both set"):
        ApiClient()
    monkeypatch.delenv("AVATAR_BASE_URL")  # the official variable alone
    with ApiClient() as client:
        assert client.base_url == server.base_url
        assert client.users.get_me().id == account.users.get_me().id
    monkeypatch.setenv("AVATAR_STORAGE_ENDPOINT_URL", "https://host/storage")
    with pytest.raises(ValueError, match=r"AVATAR_STORAGE_ENDPOINT_URL=.*unset it"):
        ApiClient()


def test_config_verify_compatibility_decides_for_the_manager(
    server: ServerProcess, make_user: Callable[[], ApiClient]
) -> None:
    key = make_user().api_keys.create_api_key("compat").key
    asked: list[bool] = []

    def check(client: ApiClient) -> None:
        original = client.compatibility.check_client

        def recording() -> CompatibilityResponse:
            asked.append(True)
            return original()

        client.compatibility.check_client = recording  # type: ignore[method-assign]

    quiet = ApiClient(
        config=ClientConfig(base_url=server.base_url, api_key=key, verify_compatibility=False)
    )
    check(quiet)
    Manager(api_client=quiet)
    assert asked == []
    careful = ApiClient(config=ClientConfig(base_url=server.base_url, api_key=key))
    check(careful)
    Manager(api_client=careful)
    assert asked == [True]
    quiet.close()
    careful.close()


def test_set_header_goes_with_every_request(user: ApiClient) -> None:
    assert user.compatibility.check_client().status == "compatible"
    # The server judges the client by its User-Agent: an old one is refused.
    user.set_header("User-Agent", "avatars-python/0.0.1")
    assert user.compatibility.check_client().status == "incompatible"
    with pytest.raises(ValueError, match="Authorization carries the client's credentials"):
        user.set_header("authorization", "Bearer x")


# -- the official import paths ------------------------------------------------------------------


def test_official_import_paths() -> None:
    import avatar_yaml
    from avatar_yaml.models.parameters import ExcludeVariablesMethod, ImputeMethod
    from avatar_yaml.models.schema import ColumnType
    from avatars.constants import DEFAULT_TIMEOUT, PlotKind, Results, aggregate_job_status
    from avatars.models import BulkDeleteResponse, JobKind, JobResponse, JobStatus, LinkMethod

    assert Results.SHUFFLED.value == "shuffled"
    assert PlotKind.PROJECTION_2D.value == "2d_projection"
    official = JobKind.standard  # the official spelling: an alias of ours, the same member
    assert official is JobKind("standard") and JobKind("standard") is JobKind.STANDARD
    assert [kind.value for kind in JobKind].count("standard") == 1
    assert LinkMethod.LINEAR_SUM_ASSIGNMENT.value == "linear_sum_assignment"
    assert JobResponse.__name__ == "JobOut" and BulkDeleteResponse.__name__ == "BulkDeleteResponse"
    assert DEFAULT_TIMEOUT > 0
    assert ImputeMethod is avatar_yaml.ImputeMethod and ColumnType is avatar_yaml.ColumnType
    assert ExcludeVariablesMethod.ROW_ORDER.value == "row_order"
    assert aggregate_job_status(["done", "running", "pending"]) is JobStatus.RUNNING
    assert aggregate_job_status([JobStatus.DONE, "cancelled", "failed"]) is JobStatus.FAILED
    assert aggregate_job_status(["done"]) is JobStatus.DONE
    with pytest.raises(ValueError, match="unknown job status 'finished'"):
        aggregate_job_status(["finished"])
    with pytest.raises(ValueError, match="at least one"):
        aggregate_job_status([])
