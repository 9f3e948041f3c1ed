"""The standard job on a table larger than one batch, streamed from its typed copy: the same
results as a table read whole (columns, types, keys, pseudonyms, grouping, metadata), a release
order shuffled across the whole table, nothing left behind.

Two real servers: the session's (``batch_rows`` 100,000: this table is read whole) and one
whose ``batch_rows`` of 400 stores the same upload in 5 row groups (streamed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from avatar_server.jobs.streamed import batch_groups
from avatar_server.jobs.tables import OTHER
from avatar_yaml import (
    AvatarizationParameters,
    ColumnInfo,
    Config,
    KeepMode,
    PiiType,
    Pseudonymization,
    PseudonymizationKind,
    ResultKind,
)
from avatars import ApiClient
from tests.server import ServerProcess, wait_done

PASSWORD = "streamed-admin-password"
BATCH_ROWS = 400
ROWS = 2_000
K = 8


@pytest.fixture(scope="module")
def streamed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("streamed") / "home",
        admin_password=PASSWORD,
        batch_rows=BATCH_ROWS,
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def streamed_user(streamed_server: ServerProcess) -> Iterator[ApiClient]:
    with ApiClient(streamed_server.base_url) as client:
        client.authenticate("admin", PASSWORD)
        yield client


def messy_csv(path: Path) -> Path:
    """A semicolon-separated latin-1 file: keys, an email, a free-text note, a code with rare
    values, gaps in numbers and dates, accented categories, booleans, a score."""
    rng = np.random.default_rng(5)
    latent = rng.normal(size=ROWS)
    age = np.clip(np.round(50 + 14 * latent), 18, 99).astype(object)
    age[rng.random(ROWS) < 0.03] = None
    income = np.round(np.exp(10 + 0.5 * latent + rng.normal(0, 0.3, ROWS)), 2).astype(object)
    income[rng.random(ROWS) < 0.05] = None
    days = rng.integers(0, 1_500, ROWS)
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(days, unit="D")
    visit = dates.strftime("%Y-%m-%d").to_numpy(dtype=object)
    visit[rng.random(ROWS) < 0.02] = None
    code = rng.choice([f"C{i}" for i in range(12)], ROWS).astype(object)
    code[:40] = [f"R{i}" for i in range(40)]  # rare: one original each
    frame = pd.DataFrame(
        {
            "pid": rng.permutation(ROWS) + 10_000,
            "email": [f"person{i}@example.org" for i in range(ROWS)],
            "age": age,
            "income": income,
            "ville": rng.choice(["Nîmes", "Orléans", "Besançon", "Brest"], ROWS),
            "visit": visit,
            "smoker": np.where(latent + rng.normal(0, 1, ROWS) > 0.4, "True", "False"),
            "score": rng.integers(1, 6, ROWS),
            "code": code,
            "note": [f"called on {i}" for i in range(ROWS)],
        }
    )
    frame.to_csv(path, sep=";", index=False, encoding="latin-1")
    return path


COLUMNS = [
    ColumnInfo(field="pid", primary_key=True),
    ColumnInfo(
        field="email",
        pseudonymization=Pseudonymization(kind=PseudonymizationKind.FAKER, pii_type=PiiType.EMAIL),
    ),
    ColumnInfo(field="code", keep=KeepMode.GROUPED),
    ColumnInfo(field="note", drop=True),
]


def run(client: ApiClient, source: Path, seed: int = 4) -> dict[str, Any]:
    dataset = client.datasets.upload_dataset(str(source), name="messy")
    config = Config.new("streamed", seed=seed)
    config.add_table("messy", str(dataset.id), columns=list(COLUMNS))
    config.set_parameters("messy", avatarization=AvatarizationParameters(k=K))
    set_name = client.resources.put_resources("streamed", config.to_yaml()).set_name
    job = client.jobs.create_job(set_name, "standard").name
    done = wait_done(client, job)
    assert str(done.status) == "done", done
    found: dict[str, Any] = {"job": job}
    for entry in client.results.get_results(job).files:
        if entry.file_format == "json":
            found[entry.kind] = client.results.read_json(job, entry)
        else:
            raw = client.results.read_bytes(job, entry.name)
            found[f"{entry.kind}.sha256"] = hashlib.sha256(raw).hexdigest()
            found[entry.kind] = client.results.read_table(job, entry)
    return found


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return messy_csv(tmp_path_factory.mktemp("messy") / "messy.csv")


@pytest.fixture(scope="module")
def streamed(streamed_user: ApiClient, source: Path) -> dict[str, Any]:
    return run(streamed_user, source)


def test_a_streamed_table_gives_what_a_whole_read_gives_but_the_sampling(
    streamed: dict[str, Any], user: ApiClient, source: Path
) -> None:
    whole = run(user, source)
    metadata, expected = streamed[ResultKind.RUN_METADATA], whole[ResultKind.RUN_METADATA]
    assert metadata["batches"] == ROWS // BATCH_ROWS and expected["batches"] == 1
    same = (
        "rows",
        "columns",
        "set_aside_columns",
        "identifying_columns",
        "k",
        "seed",
        "formula_like_cells",
    )
    for key in same:
        assert metadata[key] == expected[key], key
    assert sorted(metadata["warnings"]) == sorted(expected["warnings"])
    assert np.allclose(
        metadata["explained_variance_ratio"], expected["explained_variance_ratio"], atol=0.02
    )
    for kind in (ResultKind.SHUFFLED, ResultKind.UNSHUFFLED):
        made, reference = streamed[kind], whole[kind]
        assert list(made.columns) == list(reference.columns) and len(made) == ROWS
        assert (made.dtypes == reference.dtypes).all(), (made.dtypes, reference.dtypes)
    for kind in (ResultKind.ORIGINAL_PROJECTIONS, ResultKind.AVATAR_PROJECTIONS):
        assert streamed[kind].shape == whole[kind].shape
    sample = streamed[ResultKind.PROJECTION_SAMPLE]
    assert sample["rows"] == ROWS and len(sample["original"]["x"]) == ROWS
    shares = np.array([v["contributions"] for v in sample["contributions"]["variables"]])
    assert np.allclose(shares.sum(axis=0), 100.0, atol=1e-3)
    assert "classes" not in sample  # streamed batches keep no row's category


def test_a_streamed_table_has_its_release_manifest_part(
    streamed: dict[str, Any], source: Path
) -> None:
    """The streamed path writes its files by stream: their hashes reach the manifest too."""
    part = streamed[ResultKind.MANIFEST_PART]
    assert part["seed"] == {"value": 4, "drawn": False}
    assert part["inputs"]["messy"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    released = {entry["kind"]: entry for entry in part["tables"]["messy"]["released"]}
    for kind in (ResultKind.SHUFFLED, ResultKind.UNSHUFFLED):
        assert released[kind]["sha256"] == streamed[f"{kind}.sha256"]
    treatments = {c["column"]: c["treatment"] for c in part["tables"]["messy"]["columns"]}
    assert (treatments["pid"], treatments["email"]) == ("primary_key", "pseudonymized")
    assert (treatments["code"], treatments["note"]) == ("grouped", "dropped")


def test_set_aside_columns_are_made_over_the_whole_table(
    streamed: dict[str, Any], source: Path
) -> None:
    original = pd.read_csv(source, sep=";", encoding="latin-1")
    avatars = streamed[ResultKind.UNSHUFFLED]
    assert "note" not in avatars.columns
    assert avatars["pid"].is_unique and not set(avatars["pid"]) & set(original["pid"])
    assert avatars["email"].is_unique and not set(avatars["email"]) & set(original["email"])
    counts = original["code"].value_counts()
    released = set(avatars["code"].dropna())
    assert released <= set(counts[counts >= K].index) | {OTHER} and OTHER in released
    assert abs(avatars["age"].mean() - original["age"].mean()) < 0.03 * original["age"].mean()
    assert avatars["income"].isna().mean() == pytest.approx(original["income"].isna().mean(), 0.3)
    assert set(avatars["ville"]) == set(original["ville"])


def test_the_release_order_is_shuffled_across_the_whole_table(
    streamed: dict[str, Any], streamed_user: ApiClient, source: Path
) -> None:
    shuffled, unshuffled = streamed[ResultKind.SHUFFLED], streamed[ResultKind.UNSHUFFLED]
    position = pd.Series(np.arange(ROWS), index=unshuffled["pid"])
    rows = position.loc[shuffled["pid"]].to_numpy()
    assert sorted(rows) == list(range(ROWS))
    pd.testing.assert_frame_equal(
        shuffled.set_index("pid").loc[unshuffled["pid"]].reset_index(),
        unshuffled,
    )
    batch_of = rows // BATCH_ROWS
    first = batch_of[: ROWS // 4]
    assert set(first) == set(range(ROWS // BATCH_ROWS))  # every batch among the first rows
    assert abs(np.corrcoef(np.arange(ROWS), rows)[0, 1]) < 0.1
    # The same seed gives the same avatars, keys and order (pseudonyms are keyed by each
    # run's own secret, so they differ from run to run by design).
    again = run(streamed_user, source)
    for kind in (ResultKind.SHUFFLED, ResultKind.UNSHUFFLED):
        pd.testing.assert_frame_equal(
            again[kind].drop(columns=["email"]), streamed[kind].drop(columns=["email"])
        )
    assert not again[ResultKind.SHUFFLED]["email"].equals(shuffled["email"])
    other = run(streamed_user, source, seed=5)
    assert not other[ResultKind.SHUFFLED]["pid"].equals(shuffled["pid"])


def test_no_part_is_left_in_storage(
    streamed: dict[str, Any], streamed_server: ServerProcess
) -> None:
    assert streamed["job"]
    assert not [path for path in streamed_server.home.rglob("*") if path.name == "parts"]


def test_batches_gather_row_groups_up_to_the_batch_size() -> None:
    assert batch_groups([400, 400, 400], 400) == [(0,), (1,), (2,)]
    assert batch_groups([400, 400, 150], 400) == [(0,), (1, 2)]  # a last one under half joins
    assert batch_groups([400, 400, 250], 400) == [(0,), (1,), (2,)]
    # Groups cut short by their size in bytes are gathered into batches of the batch size.
    assert batch_groups([100] * 9, 400) == [(0, 1, 2, 3), (4, 5, 6, 7, 8)]
    assert batch_groups([100, 100], 400) == [(0, 1)]
