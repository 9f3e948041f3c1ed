"""Fuzzing the API with schemathesis, from the committed ``openapi.json``.

The spec is the contract the generated client is built from, so the server must keep it for any
input, not just the ones its own tests send. Schemathesis derives requests from the spec (its
coverage phase walks every constraint's edges, its fuzzing phase draws valid and invalid inputs
at random, its stateful phase chains operations through links it infers, e.g. a dataset id
returned by an upload fed to its download) and checks every answer:

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: the status is documented for the operation;
- ``content_type_conformance`` and ``response_schema_conformance``: the body is what the spec
  says for that status; ``response_headers_conformance``: so are documented headers.

It runs the CLI against a server of its own (its sign-in limits then see only fuzzing), signed
in with a fresh user's API key for every operation, then with an administrator's key for the
user management ones. Hooks (below, loaded into the CLI process through ``SCHEMATHESIS_HOOKS``)
point half of the calls at real objects of that user, so answers with real bodies get checked
too, keep the fuzzer from deleting the key it works with, and cap job long-polls. The number of
generated cases is printed and kept in the pytest cache under ``avatars/fuzz``.

``AVATARS_FUZZ_EXAMPLES`` (per operation and phase) and ``AVATARS_FUZZ_SEED`` widen or vary
the search locally; CI uses the defaults, which keep the run under a minute on two cores.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server import ServerProcess
from tests.test_authorization import TINY_CSV, api_key, build_objects, key_auth, run_yaml

pytestmark = pytest.mark.heavy  # generated hostile requests on every operation: `make test-heavy`

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "openapi.json"
ADMIN_PASSWORD = "admin-password-fuzz"
MAX_EXAMPLES = int(os.environ.get("AVATARS_FUZZ_EXAMPLES", "30"))
SEED = int(os.environ.get("AVATARS_FUZZ_SEED", "20260601"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
STATE_ENV = "AVATARS_FUZZ_STATE"
MAX_WAIT_S = 0.2  # GET /jobs/{name}?wait= long-polls up to 60 s; fuzzing needs no such waits


@dataclass
class FuzzState:
    """Real objects of the fuzzing user, handed to the hooks in the CLI process."""

    key_id: str
    spare_key_id: str
    dataset_id: str
    spare_dataset_id: str
    set_name: str
    job_name: str
    spare_job_name: str
    file_names: list[str]
    yaml: str


# -- hooks, run inside the schemathesis process --------------------------------------------------


def _register_hooks(state: FuzzState) -> None:
    """Steer generated calls (``before_call`` may edit the case before it is sent)."""
    import schemathesis

    calls: dict[str, int] = {}
    keep = {state.key_id: state.spare_key_id}
    keep_jobs = {state.job_name: state.spare_job_name}
    keep_datasets = {state.dataset_id: state.spare_dataset_id}
    real = {
        "dataset_id": state.dataset_id,
        "set_name": state.set_name,
        "job_name": state.job_name,
        "key_id": state.spare_key_id,
    }
    spare = {"dataset_id": state.spare_dataset_id, "job_name": state.spare_job_name}

    @schemathesis.hook
    def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        operation = str(case.operation.definition.raw.get("operationId"))
        count = calls[operation] = calls.get(operation, 0) + 1
        use_real = count % 2 == 0
        path = case.path_parameters if isinstance(case.path_parameters, dict) else None
        body = case.body
        if path is not None:
            if use_real:
                for name, value in real.items():
                    if name in path:
                        path[name] = (
                            spare.get(name, value) if operation.startswith("delete_") else value
                        )
                if "file_name" in path:
                    path["file_name"] = state.file_names[count // 2 % len(state.file_names)]
            # Never delete what the rest of the run works with (the key signs every call).
            for name, protected in (
                ("key_id", keep),
                ("job_name", keep_jobs),
                ("dataset_id", keep_datasets),
            ):
                if operation.startswith("delete_") and path.get(name) in protected:
                    path[name] = protected[path[name]]
        if operation == "get_job" and isinstance(case.query, dict) and "wait" in case.query:
            try:
                wait = float(case.query["wait"])
            except (TypeError, ValueError):
                wait = -1.0
            if MAX_WAIT_S < wait <= 60:
                case.query["wait"] = MAX_WAIT_S
        if operation == "bulk_delete_jobs" and isinstance(body, dict):
            names = body.get("job_names")
            if isinstance(names, list):
                body["job_names"] = [
                    keep_jobs.get(name, name) if isinstance(name, str) else name for name in names
                ]
        if not use_real:
            return
        if operation == "upload_dataset":
            case.body = TINY_CSV
        elif operation == "put_resources" and isinstance(body, dict):
            body["yaml"] = state.yaml
        elif operation == "create_job" and isinstance(body, dict):
            body["set_name"] = state.set_name


if os.environ.get(STATE_ENV):
    _register_hooks(FuzzState(**json.loads(Path(os.environ[STATE_ENV]).read_text())))


# -- the run -------------------------------------------------------------------------------


@dataclass
class Target:
    server: ServerProcess
    user_key: str
    admin_key: str
    state_path: Path


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A server of its own, a fresh user with a key and real objects, an administrator's key."""
    home = tmp_path_factory.mktemp("fuzz")
    server = ServerProcess(home / "home", admin_password=ADMIN_PASSWORD, workers=1)
    server.start()
    try:
        login = httpx.post(
            f"{server.base_url}/login", data={"username": "admin", "password": ADMIN_PASSWORD}
        )
        token = login.json()["access_token"]
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        ) as admin:
            _, admin_key = api_key(admin, "fuzz admin")
            name = f"fuzz-{uuid.uuid4().hex[:8]}"
            password = f"pw-{uuid.uuid4().hex}"
            created = admin.post(
                "/users",
                json={"username": name, "email": f"{name}@example.org", "password": password},
            )
            assert created.status_code == 201, created.text
        user_token = httpx.post(
            f"{server.base_url}/login", data={"username": name, "password": password}
        ).json()["access_token"]
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {user_token}"}
        ) as signed_in:
            key_id, user_key = api_key(signed_in, "fuzz")
            spare_key_id, _ = api_key(signed_in, "spare")
        with httpx.Client(base_url=server.base_url, headers=key_auth(user_key), timeout=60) as user:
            objects = build_objects(user)
            spare = build_objects(user)
            files = user.get(f"/results/{objects.job_name}").json()["files"]
        state = FuzzState(
            key_id=key_id,
            spare_key_id=spare_key_id,
            dataset_id=objects.dataset_id,
            spare_dataset_id=spare.dataset_id,
            set_name=objects.set_name,
            job_name=objects.job_name,
            spare_job_name=spare.job_name,
            file_names=[entry["name"] for entry in files],
            yaml=run_yaml(objects.dataset_id),
        )
        state_path = home / "state.json"
        state_path.write_text(json.dumps(asdict(state)))
        yield Target(server, user_key, admin_key, state_path)
    finally:
        server.stop()


@dataclass
class Outcome:
    cases: int
    failures: list[dict[str, Any]]
    errors: list[Any]
    operations: int
    seconds: float
    output: str
    report: Path


def run_schemathesis(target: Target, key: str, report: Path, *extra: str) -> Outcome:
    """One ``schemathesis run`` of the committed spec against ``target``, as ``key``'s owner."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(SPEC),
        "--url",
        target.server.root_url,
        "--header",
        f"Authorization: api-key-v1 {key}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One worker: hypothesis's lambda descriptions parse source with ``ast``, which on
        # Python 3.11 fails now and then when two threads do it at once.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *extra,
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.test_fuzz",
        STATE_ENV: str(target.state_path),
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    # Run in the report's folder: schemathesis and hypothesis keep caches in the working
    # directory, which must neither land in the repository nor carry over between runs.
    finished = subprocess.run(
        command,
        cwd=report.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.monotonic() - started
    output = finished.stdout + finished.stderr
    report.with_suffix(".txt").write_text(output)  # the full console report, kept beside it
    assert report.is_file(), f"schemathesis wrote no report:\n{output}"
    summary = json.loads(report.read_text())
    return Outcome(
        cases=int(summary["test_cases"]["generated"]),
        failures=list(summary["failures"]),
        errors=list(summary["errors"]),
        operations=int(summary["operations"]["tested"]),
        seconds=seconds,
        output=output,
        report=report.with_suffix(".txt"),
    )


def _record(
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    name: str,
    outcome: Outcome,
) -> None:
    links = re.search(r"API Links:\s+(\d+) covered / (\d+)", outcome.output)
    stateful = f", stateful links {links[1]}/{links[2]} covered" if links else ""
    line = (
        f"fuzz ({name}): {outcome.cases} cases over {outcome.operations} operations{stateful} in "
        f"{outcome.seconds:.1f} s, {len(outcome.failures)} failures, {len(outcome.errors)} "
        f"errors (seed {SEED}, {MAX_EXAMPLES} examples per operation and phase; "
        f"report {outcome.report})"
    )
    cache: pytest.Cache | None = getattr(request.config, "cache", None)  # -p no:cacheprovider
    runs = cache.get("avatars/fuzz", {}) if cache is not None else {}
    runs[name] = {
        "cases": outcome.cases,
        "operations": outcome.operations,
        "seconds": round(outcome.seconds, 1),
        "failures": len(outcome.failures),
        "seed": SEED,
        "max_examples": MAX_EXAMPLES,
    }
    if cache is not None:
        cache.set("avatars/fuzz", runs)
    request.node.user_properties.append((f"fuzz_cases_{name}", outcome.cases))  # JUnit XML
    with capsys.disabled():
        print(f"\n{line}")


def test_fuzz_every_operation_as_a_user(
    target: Target,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = run_schemathesis(target, target.user_key, tmp_path / "user.json")
    _record(request, capsys, "user", outcome)
    operations = sum(len(item) for item in json.loads(SPEC.read_text())["paths"].values())
    assert outcome.operations == operations, outcome.output
    assert outcome.failures == [] and outcome.errors == [], outcome.output
    log = target.server.log()
    for sign in ("unhandled error on", "Exception in ASGI application"):
        assert sign not in log, log[-5000:]


def test_fuzz_user_management_as_an_administrator(
    target: Target,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = run_schemathesis(
        target, target.admin_key, tmp_path / "admin.json", "--include-tag", "users"
    )
    _record(request, capsys, "admin", outcome)
    assert outcome.operations == 4, outcome.output
    assert outcome.failures == [] and outcome.errors == [], outcome.output


# -- hand-picked hostile inputs ------------------------------------------------------------------

# Values JSON parsers accept that schemathesis does not generate (it writes strict JSON with
# valid Unicode), each of which once made the server answer 500: non-finite and huge numbers,
# lone surrogates, nesting deeper than Python's recursion limit.
HOSTILE_JSON_VALUES = (
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"9" * 5000,  # beyond Python's int-from-text limit
    b'"\\ud800"',
    b'"\\u0000"',
    b'"' + b"a" * 100_000 + b'"',
    b"[" * 100_000 + b"]" * 100_000,
)
HOSTILE_BODIES = (b"", b"null", b"[]", b"\xff\xfe", b"{" * 100_000, b'{"a": 1, "a": 2}')
HOSTILE_YAML = ("[" * 10_000, "- " * 2_000 + "x", "{a: " * 3_000, "a: &x 1\nb: *x", "\x00")
HOSTILE_PATH_VALUES = ("%00", "%FF", "%ED%A0%80", "..%2F..%2Fsecret_key", "a" * 5000, "%20")
HOSTILE_QUERY_VALUES = ("nan", "-inf", "1e999", "%00", "%FF", "%ED%A0%80", "9" * 5000, "")


def _properties(schema: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {}))


def hostile_requests(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """``(operation id, method, url path, httpx arguments)`` for every operation."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            op = operation["operationId"]
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            plain = path.format(**dict.fromkeys(names, "x"))
            for value in HOSTILE_PATH_VALUES if names else ():
                yield op, method, path.format(**dict.fromkeys(names, value)), {}
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    for value in HOSTILE_QUERY_VALUES:  # already percent-encoded
                        yield op, method, f"{plain}?{parameter['name']}={value}", {}
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                json_headers = {"Content-Type": "application/json"}
                for body in HOSTILE_BODIES:
                    yield op, method, plain, {"content": body, "headers": json_headers}
                for name in _properties(content["application/json"]["schema"], spec):
                    for raw in HOSTILE_JSON_VALUES:
                        document = b'{"' + name.encode() + b'": ' + raw + b"}"
                        yield op, method, plain, {"content": document, "headers": json_headers}
                    if name == "yaml":
                        for text in HOSTILE_YAML:
                            yield op, method, plain, {"json": {name: text}}
            if "application/x-www-form-urlencoded" in content:
                form = {"Content-Type": "application/x-www-form-urlencoded"}
                for body in (b"username=%FF&password=%00", b"a=1&" * 2000, b"\xff", b"%"):
                    yield op, method, plain, {"content": body, "headers": form}
                multipart = {"Content-Type": "multipart/form-data; boundary=x"}
                yield op, method, plain, {"content": b"--x\r\ngarbage", "headers": multipart}
            if "application/octet-stream" in content:
                for body in (b"", b"\x00" * 1000, b"PAR1" + b"\x00" * 64 + b"PAR1", b"a\n" * 3):
                    yield op, method, plain, {"content": body}


def test_hostile_inputs_are_refused_cleanly(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every operation, sent inputs outside what schemathesis generates, answers with a status
    it documents (never 5xx), and the server logs no unhandled error."""
    spec = json.loads(SPEC.read_text())
    statuses: dict[str, set[str]] = {
        operation["operationId"]: set(operation["responses"])
        for item in spec["paths"].values()
        for operation in item.values()
    }
    sent = 0
    problems: list[str] = []
    with httpx.Client(
        base_url=target.server.root_url, headers=key_auth(target.user_key), timeout=60
    ) as client:
        for op, method, path, arguments in hostile_requests(spec):
            response = client.request(method.upper(), path, **arguments)
            sent += 1
            if "%2F" in path and response.json() == {"detail": "Not Found"}:
                continue  # an encoded "/" makes another path, which no route serves
            if str(response.status_code) not in statuses[op]:
                shown = {k: str(v)[:80] for k, v in arguments.items()}
                problems.append(f"{op} {path[:60]} {shown}: {response.status_code}")
    with capsys.disabled():
        print(f"\nhostile inputs: {sent} requests, {len(problems)} answered out of the spec")
    assert problems == [], "\n".join(problems)
    assert sent > 300
    log = target.server.log()
    for sign in ("unhandled error on", "Exception in ASGI application"):
        assert sign not in log, log[-5000:]
