"""The user's seed documents' examples run verbatim against a real server.

Each example is quoted here line for line, and a test first checks that the quote is still in
the seed (whitespace aside: the seeds were flattened to text). The only changes made before
running one are the placeholders a reader replaces too: the instance URL, the credentials and
the API key.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from avatars import ApiClient, Manager
from tests.server import ServerProcess

SEED_000 = """
   from avatars import Manager
   manager = Manager(base_url="https://instance/api")
   manager.authenticate("user", "pass")
   runner = manager.create_runner("demo_set")
   runner.add_table("wbcd", "fixtures/wbcd.csv")
   runner.advise_parameters()          # optional server guidance
   runner.set_parameters("wbcd", k=15) # fine\u2011tune
   runner.run()                        # launch avatarization
   runner.shuffled("wbcd")        # access result table
"""

SEED_001 = """
from avatars import Manager
manager = Manager()
manager.authenticate(username="user", password="pass")
runner = manager.create_runner(set_name="demo")
runner.add_table("wbcd", "fixtures/wbcd.csv")
runner.set_parameters("wbcd", k=15)
runner.run()
"""

SEED_002_AUTH = """
# API key authentication
from avatars.client import ApiClient
client = ApiClient(base_url="https://instance/api", api_key="your-api-key")
# No need to call authenticate() - ready to use immediately
# Traditional username/password authentication
client = ApiClient(base_url="https://instance/api")
client.authenticate("user", "pass")
"""

SEED_002_RESULTS = """
from avatars.client import ApiClient
client = ApiClient(base_url="https://instance/api")
client.authenticate("user", "pass")
all_jobs = client.jobs.get_jobs().jobs
if all_jobs:
    first = all_jobs[0]
    result = client.results.get_results(first.name)
    print(result)
"""

QUOTES = {"000": [SEED_000], "001": [SEED_001], "002": [SEED_002_AUTH, SEED_002_RESULTS]}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seeds(shared_data: Path) -> dict[str, str]:
    folder = shared_data.parent / "docs" / "seeds"
    return {path.name[:3]: path.read_text(encoding="utf-8") for path in folder.glob("00*.txt")}


@pytest.mark.parametrize("seed", sorted(QUOTES))
def test_the_quotes_are_the_seeds_own_words(seeds: dict[str, str], seed: str) -> None:
    for quote in QUOTES[seed]:
        assert flat(quote) in flat(seeds[seed]), f"seed {seed} no longer holds:\n{quote}"


def run(code: str, **replace: str) -> dict[str, object]:
    """Execute an example as a script, placeholders replaced, and return its globals."""
    code = textwrap.dedent(code)
    for placeholder, value in replace.items():
        assert placeholder in code, placeholder
        code = code.replace(placeholder, value)
    namespace: dict[str, object] = {"__name__": "__seed__"}
    exec(compile(code, "<seed example>", "exec"), namespace)
    return namespace


@pytest.fixture
def in_fixtures_folder(tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeds' ``fixtures/wbcd.csv``, relative to the current folder, and a fresh home."""
    (tmp_path / "fixtures").mkdir()
    shutil.copy(shared_data / "wbcd.csv", tmp_path / "fixtures" / "wbcd.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AVATAR_PROGRESS", "0")
    return tmp_path / "fixtures"


def test_seeds_000_and_001_run_verbatim(in_fixtures_folder: Path) -> None:
    first = run(SEED_001)  # Manager(): the embedded server, "user" made on first use
    manager = first["manager"]
    assert isinstance(manager, Manager)
    url = manager.auth_client.base_url
    try:
        original = pd.read_csv(in_fixtures_folder / "wbcd.csv")
        assert first["runner"].shuffled("wbcd").shape == original.shape  # type: ignore[attr-defined]
        second = run(SEED_000, **{"https://instance/api": url})
        runner = second["runner"]
        assert runner.get_status("standard") == "done"  # type: ignore[attr-defined]
        assert runner.shuffled("wbcd").shape == original.shape  # type: ignore[attr-defined]
        assert runner.config.parameters.avatarization["wbcd"].k == 15  # type: ignore[attr-defined]
        second["manager"].close()  # type: ignore[attr-defined]
    finally:
        manager.close()


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with no worker: a job stays pending, as the newest job of seed 002 may be."""
    process = ServerProcess(
        tmp_path_factory.mktemp("seed") / "home", admin_password="admin-password-seed", workers=0
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_seed_002_lists_the_results_of_a_job_still_pending(
    idle_server: ServerProcess, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = '"admin", "admin-password-seed"'
    with ApiClient(idle_server.base_url) as admin:
        admin.authenticate("admin", "admin-password-seed")
        key = admin.api_keys.create_api_key("seed").key
        runner = Manager(api_client=admin).create_runner("seed002")
        runner.add_table("iris", shared_data / "iris.csv")
        runner.set_parameters("iris", k=5)
        runner.run(jobs_to_run=["standard"])
        pending = runner.get_job("standard")

    auth = run(
        SEED_002_AUTH,
        **{
            "https://instance/api": idle_server.base_url,
            '"your-api-key"': repr(key),
            '"user", "pass"': credentials,
        },
    )
    assert isinstance(auth["client"], ApiClient)

    shown = run(
        SEED_002_RESULTS,
        **{"https://instance/api": idle_server.base_url, '"user", "pass"': credentials},
    )
    first, result = shown["first"], shown["result"]
    assert first.name == pending.name  # type: ignore[attr-defined]
    assert (result.status, result.files) == ("pending", [])  # type: ignore[attr-defined]
    assert re.search(rf"job_name='{pending.name}'", capsys.readouterr().out)
