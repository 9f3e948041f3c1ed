"""Resource sets and jobs on the real server: validation, dependencies, cancel, delete, restart.

Everything goes through ``ApiClient`` against servers on loopback with their worker processes.
"""

from __future__ import annotations

import io
import json
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from avatars_api.models import JobOut

from avatar_yaml import (
    AvatarizationParameters,
    ColumnInfo,
    ColumnType,
    Config,
    ReportFormat,
    ReportLanguage,
    ReportType,
)
from avatars import ApiClient
from avatars.errors import ConflictError, NotFoundError, ValidationError
from tests.conftest import ADMIN_PASSWORD
from tests.csv_twin import CITIES, NOTES, semicolon_latin1, twin_frame
from tests.server import ServerProcess, wait_done, wait_for_status, wait_running


def run_config(
    dataset_id: str,
    *,
    k: int = 10,
    name: str = "run",
    table: str = "wbcd",
    columns: list[ColumnInfo] | None = None,
) -> Config:
    config = Config.new(name, seed=3)
    config.add_table(table, dataset_id, columns=columns)
    config.set_parameters(table, avatarization=AvatarizationParameters(k=k))
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.HTML)
    return config


def submit_all(client: ApiClient, set_name: uuid.UUID) -> dict[str, JobOut]:
    standard = client.jobs.create_job(set_name, "standard")
    privacy = client.jobs.create_job(set_name, "privacy_metrics", [standard.name])
    signal_ = client.jobs.create_job(set_name, "signal_metrics", [standard.name])
    report = client.jobs.create_job(set_name, "report", [privacy.name, signal_.name])
    return {"standard": standard, "privacy": privacy, "signal": signal_, "report": report}


@pytest.fixture
def wbcd(user: ApiClient, shared_data: Path) -> str:
    return str(user.datasets.upload_dataset(shared_data / "wbcd.csv", name="wbcd").id)


def test_a_run_produces_every_result(user: ApiClient, wbcd: str) -> None:
    resource = user.resources.put_resources("run", run_config(wbcd).to_yaml())
    jobs = submit_all(user, resource.set_name)
    finished = {key: wait_done(user, job.name) for key, job in jobs.items()}
    assert {job.status for job in finished.values()} == {"done"}, finished
    standard = user.results.get_results(jobs["standard"].name)
    kinds = {entry.kind for entry in standard.files}
    assert {"shuffled", "unshuffled", "original_projections", "avatar_projections"} <= kinds
    shuffled = next(entry for entry in standard.files if entry.kind == "shuffled")
    avatars = user.results.read_table(jobs["standard"].name, shuffled)
    assert avatars.shape == (683, 10)
    privacy = next(
        entry
        for entry in user.results.get_results(jobs["privacy"].name).files
        if entry.kind == "privacy_metrics"
    )
    metrics = user.results.read_json(jobs["privacy"].name, privacy)[0]
    assert metrics["metadata"]["table_name"] == "wbcd"
    assert metrics["hidden_rate"] > 90
    report = user.results.get_results(jobs["report"].name).files[0]
    page = user.results.read_bytes(jobs["report"].name, report.name).decode()
    assert "hidden_rate" in page and "hellinger_mean" in page
    # Stored set: the normalised YAML, readable back.
    stored = user.resources.get_resources(resource.set_name)
    assert Config.from_yaml(stored.yaml).to_yaml() == stored.yaml
    listed = user.jobs.get_jobs(set_name=resource.set_name).jobs
    assert {job.name for job in listed} == {job.name for job in jobs.values()}
    assert [job.created_at for job in listed] == sorted(
        (job.created_at for job in listed), reverse=True
    )


def test_each_put_makes_a_new_set(user: ApiClient, wbcd: str) -> None:
    text = run_config(wbcd).to_yaml()
    first = user.resources.put_resources("run", text)
    second = user.resources.put_resources("run", text)
    assert first.set_name != second.set_name


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c, d: run_config(str(uuid.uuid4())), "dataset"),
        (lambda c, d: run_config(d, k=683), "k=683 must be smaller than the table's 683 rows"),
        (
            lambda c, d: run_config(d, columns=[ColumnInfo(field="nope")]),
            "unknown columns ['nope']",
        ),
        (lambda c, d: run_config(d, name="other"), "describe the run 'other'"),
    ],
)
def test_bad_runs_are_refused_naming_the_culprit(
    user: ApiClient,
    wbcd: str,
    edit: Callable[[ApiClient, str], Config],
    message: str,
) -> None:
    text = edit(user, wbcd).to_yaml()  # each of these passes the client: the server refuses it
    with pytest.raises(ValidationError) as caught:
        user.resources.put_resources("run", text)
    assert caught.value.status_code == 422
    assert message in str(caught.value)
    assert user.jobs.get_jobs(display_name="run").jobs == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: [unclosed", "line"),
        ("- a\n- b\n", "mapping"),
        ("kind: AvatarSomething\nmetadata: {name: x}\nspec: {}\n", "AvatarSomething"),
    ],
)
def test_malformed_yaml_is_refused(user: ApiClient, text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        user.resources.put_resources("run", text)
    assert message in str(caught.value)


def test_a_text_column_declared_numeric_is_refused_up_front(
    user: ApiClient, shared_data: Path
) -> None:
    dataset = str(user.datasets.upload_dataset(shared_data / "iris.csv").id)
    text = ColumnInfo(field="variety", type=ColumnType.INT)
    with pytest.raises(ValidationError, match="'variety' holds text, it cannot be read as int"):
        user.resources.put_resources("run", run_config(dataset, columns=[text]).to_yaml())
    number = ColumnInfo(field="sepal.length", type=ColumnType.FLOAT)
    user.resources.put_resources("run", run_config(dataset, columns=[number]).to_yaml())


def test_display_names_are_restricted(user: ApiClient, wbcd: str) -> None:
    config = run_config(wbcd, name="run")
    with pytest.raises(ValidationError, match="letters, digits"):
        user.resources.put_resources("bad name!", config.to_yaml())


def test_users_never_see_each_others_runs(
    make_user: Callable[[], ApiClient], shared_data: Path
) -> None:
    owner, other = make_user(), make_user()
    dataset = str(owner.datasets.upload_dataset(shared_data / "iris.csv").id)
    with pytest.raises(ValidationError, match="not found"):  # the other's dataset
        other.resources.put_resources("run", run_config(dataset, table="iris").to_yaml())
    resource = owner.resources.put_resources("run", run_config(dataset, table="iris").to_yaml())
    standard = owner.jobs.create_job(resource.set_name, "standard")
    wait_done(owner, standard.name)
    with pytest.raises(NotFoundError):
        other.resources.get_resources(resource.set_name)
    with pytest.raises(NotFoundError):
        other.jobs.create_job(resource.set_name, "standard")
    for call in (
        other.jobs.get_job,
        other.jobs.cancel_job,
        other.jobs.delete_job,
        other.results.get_results,
    ):
        with pytest.raises(NotFoundError):
            call(standard.name)
    assert other.jobs.get_jobs().jobs == []
    assert other.jobs.bulk_delete_jobs([standard.name]).failed_jobs == [standard.name]
    assert owner.jobs.get_job(standard.name).status == "done"


def test_unknown_document_and_dependency(user: ApiClient, wbcd: str) -> None:
    resource = user.resources.put_resources("run", run_config(wbcd).to_yaml())
    with pytest.raises(ValidationError, match="no document named 'nope'"):
        user.jobs.create_job(resource.set_name, "nope")
    with pytest.raises(ValidationError, match="does not describe a job"):
        user.jobs.create_job(resource.set_name, "schema")
    with pytest.raises(NotFoundError):
        user.jobs.create_job(resource.set_name, "standard", ["no-such-job"])


def test_a_failed_job_fails_its_dependents_with_the_reason(user: ApiClient) -> None:
    text = pd.DataFrame({"a": [i % 7 for i in range(30)], "b": [0.5, 1.5, 2.0] * 10}).to_csv(
        index=False
    )
    dataset = str(user.datasets.upload_dataset(io.BytesIO(text.encode()), name="t").id)
    # "b" declared int: only reading its values (0.5...) tells it is not, in the job.
    columns = [ColumnInfo(field="b", type=ColumnType.INT)]
    resource = user.resources.put_resources(
        "run", run_config(dataset, table="t", columns=columns).to_yaml()
    )
    jobs = submit_all(user, resource.set_name)
    standard = wait_done(user, jobs["standard"].name)
    assert standard.status == "failed"
    assert "column 'b' cannot be read as int" in standard.error
    for key in ("privacy", "signal", "report"):
        job = wait_done(user, jobs[key].name)
        assert job.status == "failed"
        assert "dependency" in job.error and "failed" in job.error
    listing = user.results.get_results(standard.name)  # a look, not a wait: no 409
    assert (listing.status, listing.files) == ("failed", [])
    assert "column 'b' cannot be read as int" in listing.error
    # A job created after its dependency failed fails at once.
    late = user.jobs.create_job(resource.set_name, "privacy_metrics", [standard.name])
    assert late.status == "failed" and late.done


def test_cancel_a_pending_job_and_its_dependents(user: ApiClient, wbcd: str) -> None:
    resource = user.resources.put_resources("run", run_config(wbcd).to_yaml())
    blocker = user.jobs.create_job(resource.set_name, "standard")
    waiting = user.jobs.create_job(resource.set_name, "privacy_metrics", [blocker.name])
    cancelled = user.jobs.cancel_job(waiting.name)
    assert cancelled.status == "cancelled"
    assert cancelled.done
    with pytest.raises(ConflictError):
        user.jobs.cancel_job(waiting.name)
    wait_done(user, blocker.name)


def test_delete_erases_results_and_fails_waiting_dependents(
    user: ApiClient, wbcd: str, server: ServerProcess
) -> None:
    resource = user.resources.put_resources("run", run_config(wbcd).to_yaml())
    standard = user.jobs.create_job(resource.set_name, "standard")
    wait_for_status(user, standard.name, "done")
    me = user.users.get_me()
    folder = server.home / "storage" / "results" / str(me.id) / standard.name
    assert any(folder.rglob("*.csv"))
    deleted = user.jobs.delete_job(standard.name)
    assert deleted.name == standard.name
    assert not folder.exists()
    with pytest.raises(NotFoundError):
        user.results.get_results(standard.name)
    with pytest.raises(NotFoundError):
        user.jobs.create_job(resource.set_name, "privacy_metrics", [standard.name])


def test_bulk_delete(user: ApiClient, wbcd: str, server: ServerProcess) -> None:
    resource = user.resources.put_resources("run", run_config(wbcd).to_yaml())
    names = [user.jobs.create_job(resource.set_name, "standard").name for _ in range(2)]
    response = user.jobs.bulk_delete_jobs([*names, "unknown"])
    assert sorted(job.name for job in response.deleted_jobs) == sorted(names)
    assert response.failed_jobs == ["unknown"]
    # The server takes 100 names a request; the client splits longer lists itself.
    unknown = [f"job-{i}" for i in range(150)]
    assert user.jobs.bulk_delete_jobs(unknown).failed_jobs == unknown
    assert user.jobs.get_jobs(names=unknown).jobs == []
    assert user.jobs.get_jobs(names=[]).jobs == []  # no names: no job, not every job
    login = {"username": "admin", "password": ADMIN_PASSWORD}
    token = httpx.post(f"{server.base_url}/login", data=login).json()["access_token"]
    refused = httpx.post(
        f"{server.base_url}/jobs/bulk-delete",
        json={"job_names": unknown[:101]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 422, refused.text


def test_check_client(server: ServerProcess, user: ApiClient) -> None:
    assert user.compatibility.check_client().status == "compatible"
    url = f"{server.base_url}/check_client"
    assert httpx.get(url, headers={"User-Agent": "curl/8"}).json()["status"] == "unknown"
    old = httpx.get(url, headers={"User-Agent": "avatars-python/0.0.1"}).json()
    assert old["status"] == "incompatible"


# --- a server of its own: large tables, cancellation, crashes --------------------------------


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("jobs") / "home",
        admin_password="admin-password-jobs",
        workers=1,
        job_lease_seconds=3,
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def big_client(big_server: ServerProcess) -> Iterator[ApiClient]:
    with ApiClient(big_server.base_url) as client:
        client.authenticate("admin", "admin-password-jobs")
        yield client


@pytest.fixture(scope="module")
def big_dataset(big_client: ApiClient) -> str:
    """300k rows × 8 mixed columns: several seconds of avatarization."""
    rng = np.random.default_rng(0)
    rows = 300_000
    frame = pd.DataFrame(
        {f"x{i}": rng.normal(size=rows) for i in range(5)}
        | {f"c{i}": rng.choice(list("abcd"), size=rows) for i in range(3)}
    )
    return str(big_client.datasets.upload_dataset(frame, name="big").id)


def test_cancelling_a_running_job_stops_it_within_seconds(
    big_client: ApiClient, big_dataset: str, big_server: ServerProcess
) -> None:
    config = run_config(big_dataset, table="big", name="big")
    resource = big_client.resources.put_resources("big", config.to_yaml())
    job = big_client.jobs.create_job(resource.set_name, "standard")
    wait_running(big_client, job.name)
    asked = time.monotonic()
    answer = big_client.jobs.cancel_job(job.name)
    assert answer.status in ("running", "cancelled")
    finished = wait_done(big_client, job.name, timeout=30)
    stopped_after = time.monotonic() - asked
    assert finished.status == "cancelled", finished
    assert "cancelled" in finished.error
    assert stopped_after < 10, stopped_after
    me = big_client.users.get_me()
    folder = big_server.home / "storage" / "results" / str(me.id) / job.name
    assert not any(folder.rglob("*")) if folder.exists() else True


def test_a_killed_server_leaves_no_job_running(
    big_client: ApiClient, big_dataset: str, big_server: ServerProcess
) -> None:
    config = run_config(big_dataset, table="big", name="big")
    resource = big_client.resources.put_resources("big", config.to_yaml())
    job = big_client.jobs.create_job(resource.set_name, "standard")
    wait_running(big_client, job.name)
    big_server.stop(signal.SIGKILL)
    big_server.start()
    # The job was running when the server died: after the restart it is re-run, not stuck.
    first = big_client.jobs.get_job(job.name)
    assert first.status in ("pending", "running", "done"), first
    finished = wait_for_status(big_client, job.name, "done")
    assert finished.attempts == 2
    files = big_client.results.get_results(job.name).files
    assert {entry.kind for entry in files} >= {"shuffled", "unshuffled"}
    assert all(entry.name.startswith("big.") for entry in files if entry.table is not None)
    assert [e.name for e in files if e.table is None] == ["release_manifest.standard.json"]


def test_metrics_leave_out_excluded_variables(user: ApiClient, wbcd: str) -> None:
    from avatar_yaml import (
        ExcludeVariables,
        ExcludeVariablesMethod,
        PrivacyMetricsTableParameters,
        SignalMetricsTableParameters,
    )

    exclusion = ExcludeVariables(
        variable_names=["Class"], replacement_strategy=ExcludeVariablesMethod.ROW_ORDER
    )
    config = run_config(wbcd)
    config.set_parameters(
        "wbcd",
        avatarization=AvatarizationParameters(k=10, exclude_variables=exclusion),
        privacy=PrivacyMetricsTableParameters(exclude_variables=exclusion),
        signal=SignalMetricsTableParameters(exclude_variables=exclusion),
    )
    resource = user.resources.put_resources("run", config.to_yaml())
    jobs = submit_all(user, resource.set_name)
    wait_for_status(user, jobs["signal"].name, "done")
    wait_for_status(user, jobs["privacy"].name, "done")
    files = user.results.get_results(jobs["signal"].name).files
    comparisons = next(entry for entry in files if entry.kind == "variable_comparisons")
    names = {c["name"] for c in user.results.read_json(jobs["signal"].name, comparisons)}
    assert "Class" not in names and "Mitoses" in names
    privacy = next(
        entry
        for entry in user.results.get_results(jobs["privacy"].name).files
        if entry.kind == "privacy_metrics"
    )
    metrics = user.results.read_json(jobs["privacy"].name, privacy)[0]
    assert "Class" not in json.dumps(metrics["details"])


# --- a server without workers: jobs stay pending for as long as a test needs -----------------


@pytest.fixture(scope="module")
def idle_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    process = ServerProcess(
        tmp_path_factory.mktemp("idle") / "home", admin_password="admin-password-idle", workers=0
    )
    process.start()
    try:
        with ApiClient(process.base_url) as client:
            client.authenticate("admin", "admin-password-idle")
            yield client
    finally:
        process.stop()


@pytest.fixture(scope="module")
def idle_run(idle_client: ApiClient, shared_data: Path) -> uuid.UUID:
    dataset = idle_client.datasets.upload_dataset(shared_data / "wbcd.csv", name="wbcd")
    config = run_config(str(dataset.id), name="idle")
    return idle_client.resources.put_resources("idle", config.to_yaml()).set_name


def test_waiting_gives_up_at_its_timeout(idle_client: ApiClient, idle_run: uuid.UUID) -> None:
    from avatars._waiting import wait_for_job
    from avatars.errors import JobTimeoutError

    standard = idle_client.jobs.create_job(idle_run, "standard")
    privacy = idle_client.jobs.create_job(idle_run, "privacy_metrics", [standard.name])
    start = time.monotonic()
    with pytest.raises(JobTimeoutError) as info:
        wait_for_job(idle_client, privacy.name, show_progress=False, timeout=1)
    took = time.monotonic() - start
    print(f"\n{info.value}")
    assert 1 <= took < 4, took
    assert str(info.value).startswith(
        f"privacy metrics job {privacy.name} still not done after waiting 1."
    )
    assert "last seen pending" in str(info.value) and "0% done" in str(info.value)
    assert (info.value.job_name, info.value.status) == (privacy.name, "pending")
    assert 1 <= info.value.waited < 4
    assert not idle_client.jobs.get_job(privacy.name).done  # left running, not cancelled
    with pytest.raises(ValueError, match="timeout"):
        wait_for_job(idle_client, privacy.name, timeout=-1)


def test_job_names_beyond_the_server_limit(idle_client: ApiClient, idle_run: uuid.UUID) -> None:
    """105 real jobs (pending: no worker), more than one request's worth of names."""
    created = [idle_client.jobs.create_job(idle_run, "standard") for _ in range(105)]
    names = [job.name for job in created]
    listed = idle_client.jobs.get_jobs(names=[*names, "unknown"]).jobs
    assert sorted(job.name for job in listed) == sorted(names)
    order = sorted(created, key=lambda job: job.name)
    order.sort(key=lambda job: job.created_at, reverse=True)
    assert [job.name for job in listed] == [job.name for job in order]  # newest first
    assert len(idle_client.jobs.get_jobs(names=names, limit=7).jobs) == 7
    answer = idle_client.jobs.bulk_delete_jobs([*names, "unknown", names[0]])
    assert sorted(job.name for job in answer.deleted_jobs) == sorted(names)
    assert answer.failed_jobs == ["unknown"]  # names[0] twice is deleted once, not failed
    assert idle_client.jobs.get_jobs(names=names).jobs == []


def test_a_job_reads_a_semicolon_latin1_file_as_its_upload_did(user: ApiClient) -> None:
    """The job reads the stored file again, with the dialect the upload found: its avatars
    have the real columns, with values of those columns (a job reading it with commas would
    fail on the schema or avatarize one column of whole lines)."""
    frame = twin_frame()
    dataset = user.datasets.upload_dataset(io.BytesIO(semicolon_latin1(frame)), name="twin")
    assert dataset.csv_dialect is not None and dataset.csv_dialect.delimiter == ";"
    config = Config.new("twin", seed=3)
    config.add_table("twin", str(dataset.id))
    config.set_parameters("twin", avatarization=AvatarizationParameters(k=5))
    resource = user.resources.put_resources("twin", config.to_yaml())
    job = user.jobs.create_job(resource.set_name, "standard")
    finished = wait_done(user, job.name)
    assert finished.status == "done", finished.error
    shuffled = next(e for e in user.results.get_results(job.name).files if e.kind == "shuffled")
    avatars = user.results.read_table(job.name, shuffled)
    assert list(avatars.columns) == list(frame.columns) and len(avatars) == len(frame)
    assert set(avatars["ville"].dropna()) <= set(CITIES)
    assert set(avatars["remarque"]) <= set(NOTES)
    assert set(avatars["sexe"]) <= {"F", "M"}
    assert avatars["âge"].between(frame["âge"].min(), frame["âge"].max()).all()
