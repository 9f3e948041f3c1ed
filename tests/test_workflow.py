"""Manager and Runner against real servers: the documentation's flows unchanged, reloading and
deleting runs, several kinds of tables, early refusal of bad configurations, job failures, the
YAML round trip and the client's settings."""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from avatars_api.models import CompatibilityResponse, JobOut

from avatar_yaml import (
    ColumnType,
    ExcludeVariablesMethod,
    ImputeMethod,
    JobKind,
    ReportType,
)
from avatars import (
    ApiClient,
    ApiStatusError,
    AuthenticationError,
    AvatarError,
    ClientConfig,
    JobFailedError,
    JobTimeoutError,
    Manager,
    NotFoundError,
    Runner,
    parameters,
)
from avatars._waiting import poll_seconds, wait_for_job
from tests.server import ServerProcess

PRIVACY_NAMES = {"hidden_rate", "local_cloaking", "distance_to_closest", "closest_distances_ratio"}
SIGNAL_NAMES = {"hellinger_mean", "hellinger_std", "correlation_difference_ratio"}
# No stray client settings from the developer's shell; no progress bars in the logs.
pytestmark = pytest.mark.usefixtures("client_env")


@pytest.fixture
def account(admin: ApiClient) -> tuple[str, str]:
    """A fresh user made by the administrator: (username, password)."""
    name = f"wf-{uuid.uuid4().hex[:10]}"
    password = f"pw-{name}"
    admin.users.create_user(name, f"{name}@example.org", password)
    return name, password


@pytest.fixture
def manager(server: ServerProcess, account: tuple[str, str]) -> Iterator[Manager]:
    manager = Manager(base_url=server.base_url)
    manager.authenticate(*account)
    yield manager
    manager.auth_client.close()


@pytest.fixture
def fixtures_dir(tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The documentation's ``fixtures/wbcd.csv``, relative to the current folder."""
    folder = tmp_path / "fixtures"
    folder.mkdir()
    shutil.copy(shared_data / "wbcd.csv", folder / "wbcd.csv")
    monkeypatch.chdir(tmp_path)
    return folder


def job_names(manager: Manager) -> set[str]:
    return {job.name for job in manager.auth_client.jobs.get_jobs(limit=1000).jobs}


def check_metrics(runner: Runner, table: str) -> None:
    privacy = runner.privacy_metrics(table)
    signal = runner.signal_metrics(table)
    assert isinstance(privacy, list) and all(isinstance(item, dict) for item in privacy)
    assert isinstance(signal, list) and all(isinstance(item, dict) for item in signal)
    assert set(privacy[0]) >= PRIVACY_NAMES
    assert set(signal[0]) >= SIGNAL_NAMES
    assert privacy[0]["metadata"]["table_name"] == table
    assert 0 <= privacy[0]["hidden_rate"] <= 100


# -- the documentation's flows ----------------------------------------------------------------


def test_seed_flow_on_a_remote_server(
    server: ServerProcess,
    account: tuple[str, str],
    fixtures_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVATAR_PROGRESS", "1")  # the bars must not get in the way
    username, password = account

    # seed 000, with the test server's URL
    manager = Manager(base_url=server.base_url)
    manager.authenticate(username, password)
    runner = manager.create_runner("demo_set")
    runner.add_table("wbcd", "fixtures/wbcd.csv")
    runner.advise_parameters()  # optional server guidance
    runner.set_parameters("wbcd", k=15)  # fine‑tune
    runner.run()  # launch avatarization
    avatars = runner.shuffled("wbcd")  # access result table

    original = pd.read_csv(fixtures_dir / "wbcd.csv")
    assert isinstance(avatars, pd.DataFrame)
    assert list(avatars.columns) == list(original.columns)
    assert len(avatars) == len(original)
    assert runner.sensitive_unshuffled("wbcd").shape == original.shape
    original_coordinates, avatar_coordinates = runner.projections("wbcd")
    assert len(original_coordinates) == len(avatar_coordinates) == len(original)
    check_metrics(runner, "wbcd")
    assert runner.config.parameters is not None
    assert runner.config.parameters.avatarization is not None
    assert runner.config.parameters.avatarization["wbcd"].k == 15
    # The advised ncp is shown, not set: the run picked its own count (the axes rule).
    assert runner.config.parameters.avatarization["wbcd"].ncp is None
    privacy = runner.config.privacy_metrics
    measured = (privacy.privacy_metrics or {}) if privacy is not None else {}
    assert "wbcd" not in measured or measured["wbcd"].ncp is None
    summary = runner.table_summary("wbcd")
    assert list(summary["name"]) == list(original.columns)
    report = runner.download_report(tmp_path / "report.html")
    assert isinstance(report, Path)  # a file name: that one file, not a list of both
    assert "wbcd" in report.read_text(encoding="utf-8")
    pia = runner.download_report(tmp_path / "pia.pdf", report_type=ReportType.PIA)
    assert isinstance(pia, Path)
    assert pia.read_bytes().startswith(b"%PDF")
    statuses = runner.statuses()
    assert list(statuses)[:5] == [
        "standard",
        "signal_metrics",
        "privacy_metrics",
        "report",
        "report_pia",
    ]
    assert set(statuses.values()) == {"done"}
    assert runner.get_status(JobKind.STANDARD) == "done"
    assert runner.set_name is not None

    # seed 002: the low-level client under the manager
    all_jobs = manager.auth_client.jobs.get_jobs().jobs
    assert {job.parameters_name for job in all_jobs} >= {"standard", "advice_parameters"}
    first = all_jobs[0]
    result = manager.auth_client.results.get_results(first.name)
    assert result.files

    # seed 001 shortcuts
    assert manager.get_health()["status"] == "ok"
    last = manager.get_last_jobs(3)
    assert len(last) == 3 and all(isinstance(job, JobOut) for job in last.values())
    results = manager.get_last_results(6)
    kinds = {kind for files in results for kind in files}
    assert {"shuffled", "privacy_metrics", "signal_metrics", "report"} <= kinds
    manager.auth_client.close()


def test_seed_flow_on_the_embedded_server(
    tmp_path: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path / "home"))

    # seed 001
    manager = Manager()
    manager.authenticate(username="user", password="pass")
    runner = manager.create_runner(set_name="demo")
    runner.add_table("wbcd", "fixtures/wbcd.csv")
    runner.set_parameters("wbcd", k=15)
    runner.run()

    assert manager.embedded
    assert manager.auth_client.users.get_me().username == "user"
    avatars = runner.shuffled("wbcd")
    assert avatars.shape == pd.read_csv(fixtures_dir / "wbcd.csv").shape
    check_metrics(runner, "wbcd")
    assert manager.find_ids_by_name("demo")[0][0] == runner.set_name


# -- reloading and deleting runs --------------------------------------------------------------


def test_reload_find_and_delete_runs(manager: Manager, shared_data: Path) -> None:
    runner = manager.create_runner("reload_me", seed=7)
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=5)
    runner.run()
    first_set = runner.set_name
    assert first_set is not None
    avatars = runner.shuffled("iris")
    privacy = runner.privacy_metrics("iris")

    before = job_names(manager)
    reloaded = manager.create_runner_from_name("reload_me")
    assert reloaded.display_name == "reload_me"  # reading a run's results keeps its name
    assert reloaded.set_name == first_set
    pd.testing.assert_frame_equal(reloaded.shuffled("iris"), avatars)
    assert reloaded.privacy_metrics("iris") == privacy
    assert reloaded.config.to_yaml() == runner.config.to_yaml()
    assert job_names(manager) == before  # nothing ran again
    by_id = manager.create_runner_from_id(uuid.UUID(first_set))
    assert by_id.statuses() == runner.statuses()

    with pytest.raises(TypeError):
        manager.create_runner_from_id(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a UUID"):
        manager.create_runner_from_id("not-a-uuid")
    with pytest.raises(ValueError, match="no run named"):
        manager.create_runner_from_name("never_ran")

    # Running again stores a new set, and says where the old results are.
    with pytest.warns(UserWarning, match=first_set):
        runner.run(jobs_to_run=[JobKind.STANDARD])
    second_set = runner.set_name
    assert second_set not in (None, first_set)
    with pytest.warns(UserWarning, match=first_set):
        reloaded.run(jobs_to_run=[JobKind.STANDARD])
    third_set = reloaded.set_name
    assert third_set not in (None, first_set, second_set)
    assert reloaded.shuffled("iris").shape == avatars.shape

    # Three runs share the name; the newest comes first, and is what reloading by name gives.
    runs = manager.find_ids_by_name("reload_me")
    assert [set_id for set_id, _ in runs] == [third_set, second_set, first_set]
    assert manager.create_runner_from_name("reload_me").set_name == third_set
    assert {job.parameters_name for job in runs[2][1]} == {
        "standard",
        "signal_metrics",
        "privacy_metrics",
        "report",
        "report_pia",
    }

    with pytest.raises(ValueError) as ambiguous:
        manager.delete_job("reload_me")
    for set_id in (first_set, second_set, third_set):
        assert f"manager.delete_job_by_id(UUID('{set_id}'))" in str(ambiguous.value)

    old_jobs = {job.name for job in runs[2][1]}
    deleted = manager.delete_job_by_id(first_set)
    assert {job.name for job in deleted.deleted_jobs} == old_jobs
    assert deleted.failed_jobs == []
    for name in old_jobs:
        with pytest.raises(NotFoundError):
            manager.auth_client.results.get_results(name)
    assert [set_id for set_id, _ in manager.find_ids_by_name("reload_me")] == [
        third_set,
        second_set,
    ]
    assert third_set is not None
    manager.delete_job_by_id(third_set)
    assert [set_id for set_id, _ in manager.find_ids_by_name("reload_me")] == [second_set]

    deleted = manager.delete_job("reload_me")  # now a single run has that name
    assert len(deleted.deleted_jobs) == 1
    assert manager.find_ids_by_name("reload_me") == []
    with pytest.raises(ValueError, match="no run named"):
        manager.delete_job("reload_me")
    merged = manager.delete_jobs([f"missing-{i}" for i in range(150)])
    assert merged.deleted_jobs == [] and len(merged.failed_jobs) == 150


# -- several kinds of tables ------------------------------------------------------------------


def generated_table(rows: int = 300) -> pd.DataFrame:
    """Mixed types with gaps: numbers, text, dates and booleans."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows).astype(float),
            "city": rng.choice(["Nantes", "Lyon", "Lille"], rows),
            "visit": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 700, rows), unit="D"),
            "smoker": rng.random(rows) < 0.3,
            "weight": rng.normal(70, 12, rows),
        }
    )
    frame.loc[rng.random(rows) < 0.1, "age"] = np.nan
    frame.loc[rng.random(rows) < 0.1, "city"] = None
    frame.loc[rng.random(rows) < 0.1, "visit"] = pd.NaT
    return frame


@pytest.mark.parametrize("table", ["iris", "epl", "generated"])
def test_runs_on_several_tables(manager: Manager, shared_data: Path, table: str) -> None:
    data: pd.DataFrame | Path
    if table == "generated":
        data = generated_table()
        original = data
    else:
        data = shared_data / f"{table}.csv"
        original = pd.read_csv(data)
    runner = manager.create_runner(f"tables_{table}", seed=1)
    runner.add_table(table, data)
    runner.advise_parameters(table)
    runner.run()
    avatars = runner.shuffled(table)
    assert list(avatars.columns) == list(original.columns)
    assert len(avatars) == len(original)
    check_metrics(runner, table)
    if table == "generated":
        assert avatars.isna().any().any()  # gaps are kept, not invented away
        assert pd.api.types.is_datetime64_any_dtype(avatars["visit"])
        summary = runner.table_summary(table).set_index("name")
        assert summary.loc["age", "missing"] == original["age"].isna().sum()


# -- bad configurations fail fast -------------------------------------------------------------


def test_bad_configurations_fail_before_any_job(manager: Manager, shared_data: Path) -> None:
    iris = shared_data / "iris.csv"
    datasets_before = len(manager.auth_client.datasets.list_datasets())
    with pytest.raises(ValueError, match="use 1 to 255 letters"):
        manager.create_runner("demo set")
    runner = manager.create_runner("bad_configs")
    with pytest.raises(ValueError, match=r"unknown value 'text'; allowed: int, bool, category"):
        runner.add_table("iris", iris, types={"variety": "text"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"unknown columns \['colour'\]"):
        runner.add_table("iris", iris, types={"colour": ColumnType.CATEGORY})
    with pytest.raises(ValueError, match="cannot be both primary_key and time_series_time"):
        runner.add_table("iris", iris, primary_key="variety", time_series_time="variety")
    assert len(manager.auth_client.datasets.list_datasets()) == datasets_before
    with pytest.raises(ValueError, match="no table has avatarization parameters"):
        runner.run()

    runner.add_table("iris", iris, types={"variety": ColumnType.CATEGORY})
    with pytest.raises(ValueError, match="unknown table 'irises'"):
        runner.set_parameters("irises", k=5)
    with pytest.raises(ValueError, match="k=150 must be smaller than the table's 150 rows"):
        runner.set_parameters("iris", k=150)
    with pytest.raises(ValueError, match=">= 2"):
        runner.set_parameters("iris", k=1)
    with pytest.raises(ValueError, match=r"unknown columns \['petal'\]"):
        runner.set_parameters("iris", k=5, known_variables=["petal"])
    with pytest.raises(ValueError, match="allowed: knn, mode, median, mean, fast_knn"):
        runner.set_parameters("iris", k=5, imputation_method="nearest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="allowed: row_order, coordinate_similarity"):
        runner.set_parameters(
            "iris",
            k=5,
            exclude_variable_names=["variety"],
            exclude_variable_method="sideways",  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="no parameters yet"):
        runner.update_parameters("iris", k=5)
    with pytest.raises(ValueError, match="metrics measure the avatars"):
        runner.run(jobs_to_run=[JobKind.PRIVACY_METRICS])
    with pytest.warns(UserWarning, match="k=2"):
        runner.set_parameters("iris", k=2)
    with pytest.raises(ValueError, match="need imputation_method"):
        runner.update_parameters("iris", imputation_k=3)
    with pytest.raises(ValueError, match=r"unknown parameters \['kk'\]; allowed: k, ncp"):
        runner.update_parameters("iris", kk=3)

    assert runner.set_name is None
    assert manager.auth_client.jobs.get_jobs().jobs == []  # nothing ever reached the server
    with pytest.raises(ValueError, match="advise_parameters"):
        runner.table_summary("iris")


def test_a_job_failing_on_the_server_surfaces_its_reason(
    manager: Manager, shared_data: Path
) -> None:
    runner = manager.create_runner("fails_on_server")
    # Integers declared for a decimal column: only reading the values shows the problem.
    runner.add_table("iris", shared_data / "iris.csv", types={"sepal.length": ColumnType.INT})
    runner.set_parameters("iris", k=5)
    runner.run()
    with pytest.raises(JobFailedError, match=r"'sepal\.length' cannot be read as int") as failure:
        runner.shuffled("iris")
    assert isinstance(failure.value, JobFailedError)
    assert failure.value.status == "failed"
    assert failure.value.job_name == runner.jobs["standard"]
    assert "non-integer" in failure.value.error
    with pytest.raises(JobFailedError, match=r"^privacy metrics job \w+ failed: dependency"):
        runner.privacy_metrics("iris")
    assert set(runner.statuses().values()) == {"failed"}

    empty = generated_table(50)
    empty["nothing"] = np.nan
    runner = manager.create_runner("empty_column")
    runner.add_table("people", empty)
    runner.set_parameters("people", k=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    with pytest.raises(JobFailedError, match="'nothing' is entirely missing"):
        runner.shuffled("people")
    with pytest.raises(ValueError) as not_run:
        runner.privacy_metrics("people")
    assert str(not_run.value) == (
        "this runner's last run did not include the privacy metrics: run() runs it by default, "
        "and jobs_to_run=[...] must name JobKind.PRIVACY_METRICS"
    )
    assert runner.cancel() == []  # nothing left to cancel
    assert len(runner.delete().deleted_jobs) == 1
    assert runner.jobs == {}


def test_cancelling_a_run(manager: Manager, shared_data: Path, tmp_path: Path) -> None:
    runner = manager.create_runner("cancelled_run")
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=5)
    runner.run()
    cancelled = runner.cancel()  # the reports wait for the metrics: they are still pending
    assert {"report", "report_pia"} <= {job.parameters_name for job in cancelled}
    with pytest.raises(JobFailedError, match="cancelled by the user") as failure:
        runner.download_report(tmp_path / "report.html")
    assert failure.value.status == "cancelled"
    assert runner.statuses()["report"] == "cancelled"


# -- parameters and YAML ----------------------------------------------------------------------


def test_parameters_and_yaml_round_trip(
    manager: Manager, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = manager.create_runner("yaml_trip", seed=11)
    runner.add_table("iris", shared_data / "iris.csv", columns_to_drop=["petal.width"])
    runner.set_parameters(
        "iris",
        k=6,
        ncp=3,
        column_weights={"sepal.length": 2.0},
        exclude_variable_names=["variety"],
        exclude_variable_method=ExcludeVariablesMethod.COORDINATE_SIMILARITY,
        imputation_method=ImputeMethod.MEDIAN,
        known_variables=["sepal.length"],
        target="sepal.width",
    )
    runner.update_parameters("iris", k=7, ncp=None)
    current = parameters.from_documents(runner.config, "iris")
    assert current["k"] == 7 and "ncp" not in current
    assert current["target"] == "sepal.width"
    assert current["exclude_variable_method"] == ExcludeVariablesMethod.COORDINATE_SIMILARITY

    path = tmp_path / "run.yaml"
    text = runner.get_yaml(path)
    assert path.read_text(encoding="utf-8") == text
    same = manager.create_runner_from_yaml(path, "yaml_trip")
    assert same.get_yaml() == text
    other = manager.create_runner_from_yaml(str(path), "yaml_copy")
    assert other.get_yaml() == text.replace("yaml_trip", "yaml_copy")
    other.run(jobs_to_run=[JobKind.STANDARD])
    avatars = other.shuffled("iris")
    assert "petal.width" not in avatars.columns
    assert len(avatars) == 150

    capsys.readouterr()
    runner.print_parameters()
    printed = capsys.readouterr().out
    assert printed.startswith("table iris:\n  avatarization:\n    k: 7\n")
    assert "target: sepal.width" in printed

    runner.delete_parameters("iris")
    assert runner.config.parameters is None
    runner.from_yaml(path)
    assert runner.get_yaml() == text


# -- the manager's settings -------------------------------------------------------------------


def test_manager_arguments_and_compatibility(
    server: ServerProcess, account: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ApiClient(server.base_url)
    with pytest.raises(ValueError, match="api_client cannot be combined"):
        Manager(server.base_url, api_client=client)
    with pytest.raises(ValueError, match="config cannot be combined"):
        Manager(config=ClientConfig(base_url=server.base_url), api_key="k")
    with pytest.raises(AuthenticationError):
        Manager(server.base_url, api_key="not-a-key")

    monkeypatch.setenv("AVATAR_BASE_URL", server.root_url)
    from_env = Manager()
    assert not from_env.embedded
    assert from_env.auth_client.base_url == server.base_url
    from_env.authenticate(*account)
    key = from_env.auth_client.api_keys.create_api_key("workflow").key
    keyed = Manager(api_key=key)
    assert keyed.auth_client.users.get_me().username == account[0]
    with pytest.raises(AvatarError, match="API key"):
        keyed.authenticate(*account)
    from_env.forgotten_password("nobody@example.org")  # same answer for unknown addresses
    with pytest.raises(ApiStatusError):
        from_env.reset_password("nobody@example.org", "new-pass-1", "new-pass-1", uuid.uuid4())

    def answer(status: str) -> CompatibilityResponse:
        return CompatibilityResponse.from_dict(
            {
                "status": status,
                "message": f"{status} says the server",
                "most_recent_compatible_client": "9.9.9",
            }
        )

    monkeypatch.setattr(client.compatibility, "check_client", lambda: answer("incompatible"))
    with pytest.raises(AvatarError, match="incompatible says the server"):
        Manager(api_client=client)
    monkeypatch.setattr(client.compatibility, "check_client", lambda: answer("unknown"))
    with pytest.warns(UserWarning, match="unknown says the server"):
        Manager(api_client=client)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Manager(api_client=client, should_verify_compatibility=False)
    monkeypatch.setenv("AVATAR_VERIFY_COMPATIBILITY", "false")
    Manager(api_client=client)
    client.close()


def test_client_config_from_env() -> None:
    config = ClientConfig.from_env(
        {
            "AVATAR_BASE_URL": "https://avatars.example.org/api/",
            "AVATAR_API_KEY": "secret",
            "AVATAR_TIMEOUT": "12.5",
            "AVATAR_SHOULD_VERIFY_SSL": "False",
            "AVATAR_VERIFY_COMPATIBILITY": "0",
        }
    )
    assert config == ClientConfig(
        base_url="https://avatars.example.org",
        api_key="secret",
        timeout=12.5,
        should_verify_ssl=False,
        verify_compatibility=False,
    )
    assert config.api_url == "https://avatars.example.org/api"
    assert ClientConfig(base_url="http://host:8080").api_url == "http://host:8080/api"
    defaults = ClientConfig.from_env({"AVATAR_TIMEOUT": "", "AVATAR_BASE_URL": " "})
    assert defaults == ClientConfig()
    assert defaults.api_url is None and defaults.timeout == 60
    assert ClientConfig.from_env({"AVATAR_TIMEOUT": "none"}).timeout is None
    for env, message in [
        ({"AVATAR_TIMEOUT": "soon"}, "AVATAR_TIMEOUT='soon'"),
        ({"AVATAR_TIMEOUT": "-3"}, "positive"),
        ({"AVATAR_SHOULD_VERIFY_SSL": "flase"}, "AVATAR_SHOULD_VERIFY_SSL='flase'"),
        ({"AVATAR_VERIFY_COMPATIBILITY": "maybe"}, "AVATAR_VERIFY_COMPATIBILITY"),
        ({"AVATAR_BASE_URL": "avatars.example.org"}, "AVATAR_BASE_URL"),
    ]:
        with pytest.raises(ValueError, match=message):
            ClientConfig.from_env(env)
    with pytest.raises(ValueError, match="http"):
        ClientConfig(base_url="ftp://host/api")


# -- waiting ----------------------------------------------------------------------------------


def test_a_job_not_run_yet_is_named_in_the_users_words() -> None:
    """No document name (``standard``, ``advice_parameters``) in what a runner says before
    its jobs exist: what was not done, and what to call (no request is made)."""
    with ApiClient("http://127.0.0.1:9/api") as client:
        runner = Runner(client, "not_run")
        with pytest.raises(ValueError) as standard:
            runner.get_status(JobKind.STANDARD)
        assert str(standard.value) == (
            "this runner has not run the avatarization yet: call run() first"
        )
        with pytest.raises(ValueError) as report:
            runner.get_job("report_pia")
        assert "not run the privacy-impact (PIA) report yet: call run() first" in str(report.value)
        with pytest.raises(ValueError, match="not asked for the parameter advice yet"):
            runner.get_job(JobKind.ADVICE)
        with pytest.raises(ValueError, match="has no job 'nonsense'"):
            runner.get_job("nonsense")


def job_state(status: str, progress: float, stage: str = "", error: str = "") -> JobOut:
    return JobOut.from_dict(
        {
            "attempts": 1,
            "created_at": "2024-01-01T00:00:00+00:00",
            "depends_on": [],
            "display_name": "demo",
            "done": status in ("done", "failed", "cancelled"),
            "error": error,
            "finished_at": None,
            "kind": "standard",
            "name": "job-1",
            "parameters_name": "standard",
            "progress": progress,
            "set_name": str(uuid.uuid4()),
            "stage": stage,
            "started_at": None,
            "status": status,
        }
    )


class _Jobs:
    def __init__(self, states: list[JobOut]) -> None:
        self.states = states
        self.waits: list[float] = []

    def get_job(self, name: str, *, wait: float = 0.0) -> JobOut:
        self.waits.append(wait)
        return self.states.pop(0)


class _Client:
    def __init__(self, states: list[JobOut]) -> None:
        self.timeout = 60.0
        self.jobs = _Jobs(states)


def test_waiting_long_polls_shows_progress_and_reports_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    states = [
        job_state("pending", 0.0),
        job_state("running", 0.4, "wbcd: projection"),
        job_state("done", 1.0, "done"),
    ]
    client: Any = _Client(states)
    final = wait_for_job(client, "job-1", show_progress=True, label="demo standard")
    assert str(final.status) == "done"
    assert client.jobs.waits == [0.0, 10.0, 10.0]  # long-polls, never a fixed sleep
    assert "demo standard (wbcd: projection)" in capsys.readouterr().err

    client = _Client([job_state("running", 0.5), job_state("cancelled", 0.5, "", "by the user")])
    cancelled = r"^avatarization job job-1 cancelled: by the user"
    with pytest.raises(JobFailedError, match=cancelled) as info:
        wait_for_job(client, "job-1", show_progress=False)
    assert isinstance(info.value, JobFailedError)
    assert (info.value.status, info.value.error) == ("cancelled", "by the user")
    assert poll_seconds(None) == 10.0 and poll_seconds(4.0) == 2.0 and poll_seconds(0.2) == 0.5

    client = _Client([job_state("running", 0.4, "wbcd: projection")])
    with pytest.raises(JobTimeoutError) as timed_out:
        wait_for_job(client, "job-1", show_progress=False, timeout=0)
    assert str(timed_out.value).startswith(
        "avatarization job job-1 still not done after waiting 0.0 s: last seen running, "
        "stage 'wbcd: projection', 40% done"
    )
    assert (timed_out.value.stage, timed_out.value.progress) == ("wbcd: projection", 0.4)
