"""A run's YAML is bounded before it is parsed, and its table names are checked at the door.

Parsing YAML is pure Python: an 8.3 MB YAML cost the API process 20.7 s of CPU before its
422, and four at once stalled ``/health``. ``PUT /resources`` now refuses a body over
``AVATAR_MAX_RUN_YAML_BYTES`` with 413 before reading it further, and a YAML of more documents
or nodes than ``AVATAR_MAX_RUN_YAML_DOCUMENTS`` / ``AVATAR_MAX_RUN_YAML_NODES`` with 422, from a
scan of its events that builds nothing. The server here has limits other than the defaults, to
show the settings take effect.

Table names are file names of results: a NUL byte, a lone surrogate or 300 characters were
accepted, then failed in the worker. The server refuses them with 422, and the client's
``Runner.add_table`` with the same message, from the same rule, before uploading anything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from avatar_yaml import AvatarizationParameters, Config, ConfigError, check_table_name
from avatars import ApiClient, Runner
from tests.server import ServerProcess

PASSWORD = "admin-password-yaml-bounds"
YAML_BYTES = 4 * 1024 * 1024
YAML_NODES = 50_000
YAML_DOCUMENTS = 50
MILLION_ITEMS = "[" + ",".join(["1"] * 1_000_000) + "]"
# A generous bound on the server's CPU for refusing the million items: parsing them took it
# about 30 s; counting the first 50,000 events takes it a few hundredths of a second.
REFUSAL_CPU_S = 3.0
BAD_TABLE_NAMES = {
    "a NUL byte": ("a\0b", r'"a\0b"'),
    "300 characters": ("x" * 300, "x" * 300),
    "a lone surrogate": ("\ud800", r'"\ud800"'),
    "escaped too long": ("&" * 30, '"' + "&" * 30 + '"'),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("yaml-bounds") / "home",
        admin_password=PASSWORD,
        workers=0,
        max_run_yaml_bytes=YAML_BYTES,
        max_run_yaml_nodes=YAML_NODES,
        max_run_yaml_documents=YAML_DOCUMENTS,
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[ApiClient]:
    with ApiClient(server.base_url) as signed_in:
        signed_in.authenticate("admin", PASSWORD)
        yield signed_in


@pytest.fixture(scope="module")
def http(server: ServerProcess, client: ApiClient) -> Iterator[httpx.Client]:
    key = client.api_keys.create_api_key("yaml-bounds").key
    headers = {"Authorization": f"api-key-v1 {key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as signed_in:
        yield signed_in


@pytest.fixture(scope="module")
def dataset_id(client: ApiClient) -> str:
    frame = pd.DataFrame({"age": [20 + i % 50 for i in range(60)], "group": ["a", "b"] * 30})
    return str(client.datasets.upload_dataset(frame, name="tiny").id)


def run_yaml(dataset_id: str, table: str = "tiny") -> str:
    config = Config.new("run", seed=1)
    config.add_table(table, dataset_id)
    config.set_parameters(table, avatarization=AvatarizationParameters(k=5))
    return config.to_yaml()


def server_cpu_seconds(server: ServerProcess) -> float:
    """User and system CPU time of the server's process so far (``/proc/<pid>/stat``)."""
    assert server.process is not None
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def put(http: httpx.Client, text: str) -> httpx.Response:
    return http.put("/resources/run", json={"yaml": text})


def test_a_small_run_is_stored(http: httpx.Client, dataset_id: str) -> None:
    answer = put(http, run_yaml(dataset_id))
    assert answer.status_code == 201, answer.text


def test_a_yaml_over_the_byte_limit_is_refused_with_413(http: httpx.Client) -> None:
    padding = "# " + "x" * 1000 + "\n"
    text = padding * (YAML_BYTES // len(padding) + 1)
    answer = put(http, text)
    assert answer.status_code == 413, answer.text[:300]
    detail = answer.json()["detail"]
    assert f"{YAML_BYTES} bytes" in detail and "AVATAR_MAX_RUN_YAML_BYTES" in detail


def test_a_million_tiny_items_are_refused_before_parsing(
    server: ServerProcess, http: httpx.Client
) -> None:
    """2 MB, under the byte limit, but a million nodes: the scan stops at the limit, and the
    message (naming the limit, not the shape of the documents) shows the parser never ran."""
    before = server_cpu_seconds(server)
    answer = put(http, MILLION_ITEMS)
    spent = server_cpu_seconds(server) - before
    assert answer.status_code == 422, answer.text[:300]
    detail = answer.json()["detail"]
    assert f"more than {YAML_NODES} values" in detail, detail
    assert "AVATAR_MAX_RUN_YAML_NODES" in detail
    assert spent < REFUSAL_CPU_S, f"the server spent {spent:.2f} s of CPU refusing it"


def test_too_many_documents_are_refused(http: httpx.Client) -> None:
    answer = put(http, "---\n{}\n" * (YAML_DOCUMENTS + 1))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert f"more than {YAML_DOCUMENTS} documents" in detail, detail
    assert "AVATAR_MAX_RUN_YAML_DOCUMENTS" in detail


def test_an_alias_bomb_is_refused(http: httpx.Client) -> None:
    """The "billion laughs": nine levels of ten aliases each, a billion strings once expanded
    by anything that walks the result. Refused at the first alias, before any expansion."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        aliases = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    answer = put(http, "\n".join(lines) + "\n")
    assert answer.status_code == 422
    assert "aliases (*a0) are not accepted" in answer.json()["detail"]


@pytest.mark.parametrize("case", sorted(BAD_TABLE_NAMES))
def test_bad_table_names_are_refused_by_the_server(
    http: httpx.Client, dataset_id: str, case: str
) -> None:
    name, written = BAD_TABLE_NAMES[case]
    text = run_yaml(dataset_id).replace("tiny", written)
    answer = put(http, text)
    assert answer.status_code == 422, answer.text[:300]
    detail = answer.json()["detail"]
    with pytest.raises(ConfigError) as rule:
        check_table_name(name)
    assert detail.endswith(f".name: {rule.value}"), detail


@pytest.mark.parametrize("case", sorted(BAD_TABLE_NAMES))
def test_bad_table_names_are_refused_by_the_client_before_uploading(
    client: ApiClient, case: str
) -> None:
    name, _ = BAD_TABLE_NAMES[case]
    before = len(client.datasets.list_datasets())
    runner = Runner(client, f"names-{uuid.uuid4().hex[:6]}")
    with pytest.raises(ConfigError) as refused:
        runner.add_table(name, pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ConfigError) as rule:
        check_table_name(name)
    assert str(refused.value) == str(rule.value)
    assert len(client.datasets.list_datasets()) == before


def test_unusual_but_fine_table_names_are_accepted(http: httpx.Client, dataset_id: str) -> None:
    for name in ("séjours 2024", "a.b+c", "x" * 100, "患者"):
        answer = put(http, run_yaml(dataset_id, name))
        assert answer.status_code == 201, answer.text[:300]
