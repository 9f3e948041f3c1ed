"""Authorization matrix, secret hygiene and sign-in rate limiting, on real servers.

Every operation of ``openapi.json`` is probed as five identities against the objects of a first
user (a dataset, a resource set, a finished job, its result files, an API key):

- ``anonymous``: no credentials;
- ``expired``: the owner's access token, past its lifetime;
- ``revoked``: an API key of the owner, deleted;
- ``other``: another user's API key;
- ``admin``: an administrator's API key (administrators manage users, not other people's data).

The operations come from the spec, so a new endpoint fails ``test_every_operation_is_classified``
until it is given its expected statuses here. Refusals of someone else's object are 404 with the
same answer as for an object that does not exist, so ids cannot be probed for existence.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy import text as sql

from avatar_server.db.session import make_engine, upgrade_database
from avatar_server.services.rate_limit import LoginRateLimiter, TooManyAttemptsError
from avatar_yaml import AvatarizationParameters, Config
from tests.server import ServerProcess, wait_for_status, wait_until

SPEC = json.loads((Path(__file__).parents[1] / "openapi.json").read_text())
ADMIN_PASSWORD = "admin-password-authz"
ACCESS_TOKEN_SECONDS = 2  # JWT expiries are whole seconds: 1 s could expire at once
IDENTITIES = ("anonymous", "expired", "revoked", "other", "admin")
UNAUTHENTICATED = ("anonymous", "expired", "revoked")


def spec_operations() -> list[tuple[str, str, str]]:
    """``(operation id, method, path)`` of every operation of the committed spec."""
    return [
        (op["operationId"], method.upper(), path)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
    ]


# -- objects of a user -----------------------------------------------------------------------

TINY_CSV = "\n".join(
    ["age,weight,group"]
    + [f"{20 + i % 50},{50 + (i * 7) % 40}.5,{'abc'[i % 3]}" for i in range(60)]
).encode()


def run_yaml(dataset_id: str) -> str:
    """A small run: one table avatarized with k=5 (under a second on the tiny table)."""
    config = Config.new("run", seed=1)
    config.add_table("tiny", dataset_id)
    config.set_parameters("tiny", avatarization=AvatarizationParameters(k=5))
    return config.to_yaml()


@dataclass
class Objects:
    """One user's objects, by the path parameter names the spec uses for them."""

    dataset_id: str
    set_name: str
    job_name: str
    file_name: str
    result_sha256: str
    dataset_sha256: str


def build_objects(http: httpx.Client, timeout: float = 120.0) -> Objects:
    """Upload the tiny table, store a run, run its standard job to the end (``http`` is signed
    in as the owner)."""
    dataset = http.post("/datasets", params={"name": "tiny"}, content=TINY_CSV)
    assert dataset.status_code == 201, dataset.text
    dataset_id = dataset.json()["id"]
    resource = http.put("/resources/run", json={"yaml": run_yaml(dataset_id)})
    assert resource.status_code == 201, resource.text
    set_name = resource.json()["set_name"]
    job = http.post("/jobs", json={"set_name": set_name, "parameters_name": "standard"})
    assert job.status_code == 201, job.text
    name = job.json()["name"]
    wait_for_status(http, name, "done", timeout)
    first = http.get(f"/results/{name}").json()["files"][0]
    return Objects(
        dataset_id=dataset_id,
        set_name=set_name,
        job_name=name,
        file_name=first["name"],
        result_sha256=first["sha256"],
        dataset_sha256=dataset.json()["sha256"],
    )


def api_key(http: httpx.Client, name: str) -> tuple[str, str]:
    """A new API key of the user ``http`` is signed in as: ``(id, key)``."""
    response = http.post("/api-keys", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["key"]


def key_auth(key: str) -> dict[str, str]:
    return {"Authorization": f"api-key-v1 {key}"}


# -- the world probed by the matrix ------------------------------------------------------------


@dataclass
class World:
    server: ServerProcess
    owner_id: str
    owner_name: str
    owner_email: str
    owner_password: str
    owner_key: str
    owner_key_id: str
    refresh_token: str
    objects: Objects
    headers: dict[str, dict[str, str]]
    secrets: set[str] = field(default_factory=set)
    # Bodies of every probe answer (operation id, identity, text), for the secrets check.
    answers: list[tuple[str, str, str]] = field(default_factory=list)

    def client(self, identity: str | None = None) -> httpx.Client:
        headers = self.headers[identity] if identity else key_auth(self.owner_key)
        return httpx.Client(base_url=self.server.base_url, headers=headers, timeout=30)


def _create_user(admin: httpx.Client, password: str) -> tuple[str, str, str]:
    name = f"u-{uuid.uuid4().hex[:10]}"
    email = f"{name}@example.org"
    response = admin.post("/users", json={"username": name, "email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()["id"], name, email


def _login(base_url: str, username: str, password: str) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/login", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A server of its own (short access tokens), an owner with objects, and the identities."""
    server = ServerProcess(
        tmp_path_factory.mktemp("authz") / "home",
        admin_password=ADMIN_PASSWORD,
        access_token_seconds=ACCESS_TOKEN_SECONDS,
        workers=1,
        # Each identity asks for the owner's reset: more identities must not meet the limit.
        password_reset_requests_per_email=100,
    )
    server.start()
    try:
        admin_token = _login(server.base_url, "admin", ADMIN_PASSWORD)["access_token"]
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {admin_token}"}
        ) as admin_login:
            _, admin_key = api_key(admin_login, "admin")
        admin = httpx.Client(base_url=server.base_url, headers=key_auth(admin_key), timeout=30)
        owner_password = f"owner-pw-{uuid.uuid4().hex}"
        other_password = f"other-pw-{uuid.uuid4().hex}"
        owner_id, owner_name, owner_email = _create_user(admin, owner_password)
        _, other_name, _ = _create_user(admin, other_password)
        tokens = _login(server.base_url, owner_name, owner_password)
        expired_since = time.monotonic() + ACCESS_TOKEN_SECONDS
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {tokens['access_token']}"}
        ) as owner_login:
            owner_key_id, owner_key = api_key(owner_login, "owner")
            revoked_id, revoked_key = api_key(owner_login, "soon revoked")
        other_tokens = _login(server.base_url, other_name, other_password)
        with httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {other_tokens['access_token']}"},
        ) as other_login:
            _, other_key = api_key(other_login, "other")
        with httpx.Client(
            base_url=server.base_url, headers=key_auth(owner_key), timeout=30
        ) as owner:
            assert httpx.get(
                f"{server.base_url}/users/me", headers=key_auth(revoked_key)
            ).is_success
            assert owner.delete(f"/api-keys/{revoked_id}").status_code == 204
            objects = build_objects(owner)
        time.sleep(max(0.0, expired_since + 1.0 - time.monotonic()))  # once, for every probe
        world = World(
            server=server,
            owner_id=owner_id,
            owner_name=owner_name,
            owner_email=owner_email,
            owner_password=owner_password,
            owner_key=owner_key,
            owner_key_id=owner_key_id,
            refresh_token=tokens["refresh_token"],
            objects=objects,
            headers={
                "anonymous": {},
                "expired": {"Authorization": f"Bearer {tokens['access_token']}"},
                "revoked": key_auth(revoked_key),
                "other": key_auth(other_key),
                "admin": key_auth(admin_key),
            },
        )
        world.secrets = {
            ADMIN_PASSWORD,
            owner_password,
            other_password,
            admin_token,
            tokens["access_token"],
            tokens["refresh_token"],
            other_tokens["access_token"],
            other_tokens["refresh_token"],
            admin_key,
            owner_key,
            revoked_key,
            other_key,
        }
        admin.close()
        yield world
    finally:
        server.stop()


# -- expectations ----------------------------------------------------------------------------

Expect = dict[str, int]


def public(status: int) -> Expect:
    """Needs no credentials: the same answer whoever asks (the header is ignored)."""
    return dict.fromkeys(IDENTITIES, status)


def owned() -> Expect:
    """Someone's object: 401 without valid credentials, 404 for anyone but its owner."""
    return {**dict.fromkeys(UNAUTHENTICATED, 401), "other": 404, "admin": 404}


def own(status: int) -> Expect:
    """Acts on the caller's own things: 401 without valid credentials, ``status`` otherwise."""
    return {**dict.fromkeys(UNAUTHENTICATED, 401), "other": status, "admin": status}


def admin_only(status: int) -> Expect:
    """User management: 401 without valid credentials, 403 for non-administrators."""
    return {**dict.fromkeys(UNAUTHENTICATED, 401), "other": 403, "admin": status}


Values = dict[str, str]
Request = Callable[["World", Values], dict[str, Any]]


def no_request(_world: World, _values: Values) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Probe:
    expect: Expect
    request: Request = no_request
    # Extra check of a successful answer, e.g. that a listing shows none of the owner's things.
    check: Callable[[World, httpx.Response], None] | None = None


def _new_user_body(_world: World, _values: Values) -> dict[str, Any]:
    name = f"probe-{uuid.uuid4().hex[:10]}"
    return {"json": {"username": name, "email": f"{name}@example.org", "password": "x" * 12}}


def _fresh_refresh_token(world: World, _values: Values) -> dict[str, Any]:
    """A refresh token of a new sign-in: each works once (the probe of each identity uses one)."""
    token = str(
        _login(world.server.base_url, world.owner_name, world.owner_password)["refresh_token"]
    )
    world.secrets.add(token)
    return {"json": {"refresh_token": token}}


def _shows_none_of_the_owners(world: World, response: httpx.Response) -> None:
    text = response.text
    objects = world.objects
    for value in (objects.dataset_id, objects.set_name, objects.job_name, world.owner_key_id):
        assert value not in text, f"{value} of the owner listed to another user"


def _is_the_caller(world: World, response: httpx.Response) -> None:
    assert response.json()["id"] != world.owner_id


def _nothing_deleted(world: World, response: httpx.Response) -> None:
    body = response.json()
    assert body["deleted_jobs"] == []
    assert body["failed_jobs"] == [world.objects.job_name]


PROBES: dict[str, Probe] = {
    "get_health": Probe(public(200)),
    "get_health_db": Probe(public(200)),
    "check_client": Probe(public(200)),
    "login": Probe(
        public(200),
        lambda w, _: {"data": {"username": w.owner_name, "password": w.owner_password}},
    ),
    "refresh": Probe(public(200), _fresh_refresh_token),
    "forgotten_password": Probe(public(200), lambda w, _: {"json": {"email": w.owner_email}}),
    "reset_password": Probe(
        public(400),
        lambda w, _: {
            "json": {
                "email": w.owner_email,
                "token": "not-a-reset-token",
                "new_password": "new-password-1",
                "new_password_repeated": "new-password-1",
            }
        },
    ),
    "get_me": Probe(own(200), check=_is_the_caller),
    "list_users": Probe(admin_only(200)),
    "create_user": Probe(admin_only(201), _new_user_body),
    "get_user": Probe(admin_only(200)),
    "list_api_keys": Probe(own(200), check=_shows_none_of_the_owners),
    "create_api_key": Probe(own(201), lambda _w, _v: {"json": {"name": "probe"}}),
    "delete_api_key": Probe(owned()),
    "list_datasets": Probe(own(200), check=_shows_none_of_the_owners),
    "upload_dataset": Probe(own(201), lambda _w, _v: {"content": TINY_CSV}),
    "get_dataset": Probe(owned()),
    "download_dataset": Probe(owned()),
    "delete_dataset": Probe(owned()),
    "list_resources": Probe(own(200), check=_shows_none_of_the_owners),
    # A run naming the owner's dataset is refused as if the dataset did not exist.
    "put_resources": Probe(own(422), lambda _w, v: {"json": {"yaml": run_yaml(v["dataset_id"])}}),
    "get_resources": Probe(owned()),
    "list_jobs": Probe(
        own(200),
        lambda _w, v: {"params": {"names": [v["job_name"]]}},
        check=_shows_none_of_the_owners,
    ),
    "create_job": Probe(
        owned(),
        lambda _w, v: {"json": {"set_name": v["set_name"], "parameters_name": "standard"}},
    ),
    "get_job": Probe(owned()),
    "cancel_job": Probe(owned()),
    "delete_job": Probe(owned()),
    "bulk_delete_jobs": Probe(
        own(200), lambda _w, v: {"json": {"job_names": [v["job_name"]]}}, check=_nothing_deleted
    ),
    "get_results": Probe(owned()),
    "download_result": Probe(owned()),
}


def real_values(world: World) -> Values:
    """Path (and body) values naming the owner's objects."""
    objects = world.objects
    return {
        "dataset_id": objects.dataset_id,
        "set_name": objects.set_name,
        "job_name": objects.job_name,
        "file_name": objects.file_name,
        "key_id": world.owner_key_id,
        "user_id": world.owner_id,
        "display_name": "probe",
    }


def fake_values(world: World) -> Values:
    """The same, naming objects that do not exist."""
    return {
        **real_values(world),
        "dataset_id": str(uuid.uuid4()),
        "set_name": str(uuid.uuid4()),
        "job_name": uuid.uuid4().hex,
        "key_id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
    }


def send(world: World, identity: str, method: str, path: str, values: Values) -> httpx.Response:
    probe = PROBES[next(op for op, m, p in spec_operations() if (m, p) == (method, path))]
    with world.client(identity) as client:
        return client.request(
            method, path.removeprefix("/api").format(**values), **probe.request(world, values)
        )


def _without(text: str, values: Values) -> str:
    for name, value in values.items():
        text = text.replace(value, f"<{name}>")
    return text


# -- the matrix ------------------------------------------------------------------------------


def test_every_operation_is_classified() -> None:
    """A new endpoint must say here who may call it, or this fails."""
    in_spec = {op for op, _, _ in spec_operations()}
    assert in_spec - PROBES.keys() == set(), "operations without expected statuses"
    assert PROBES.keys() - in_spec == set(), "expectations for operations not in the spec"


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize(
    ("operation_id", "method", "path"),
    spec_operations(),
    ids=[op for op, _, _ in spec_operations()],
)
def test_authorization_matrix(
    world: World, operation_id: str, method: str, path: str, identity: str
) -> None:
    probe = PROBES.get(operation_id)
    if probe is None:
        pytest.fail(f"{operation_id} is not classified in PROBES", pytrace=False)
    values = real_values(world)
    response = send(world, identity, method, path, values)
    world.answers.append((operation_id, identity, response.text))
    expected = probe.expect[identity]
    assert response.status_code == expected, (operation_id, identity, response.text)
    if response.status_code >= 400:
        assert set(response.json()) == {"detail"}, response.text
    if response.status_code == 401:
        assert response.headers.get("www-authenticate") == "Bearer"
    if response.status_code < 300 and probe.check is not None:
        probe.check(world, response)
    if expected == 404 or (identity in ("other", "admin") and expected == 422):
        # Someone else's object is answered exactly as one that does not exist.
        fake = fake_values(world)
        missing = send(world, identity, method, path, fake)
        assert missing.status_code == response.status_code
        assert _without(missing.text, fake) == _without(response.text, values)


def test_the_owners_objects_survived_the_matrix(world: World) -> None:
    """Deletes and cancels by the others changed nothing; the owner still has everything."""
    objects = world.objects
    with world.client() as owner:
        dataset = owner.get(f"/datasets/{objects.dataset_id}")
        assert dataset.status_code == 200
        assert dataset.json()["sha256"] == objects.dataset_sha256
        assert owner.get(f"/resources/{objects.set_name}").status_code == 200
        job = owner.get(f"/jobs/{objects.job_name}").json()
        assert job["status"] == "done"
        files = owner.get(f"/results/{objects.job_name}").json()["files"]
        assert files[0]["sha256"] == objects.result_sha256
        keys = [key["id"] for key in owner.get("/api-keys").json()]
        assert world.owner_key_id in keys


def test_no_secret_in_any_answer_or_the_log(world: World) -> None:
    """Passwords, tokens and keys appear in no answer (but the login, refresh and key creation
    answers that hand out new ones) and never in the server log."""
    if len(world.answers) < len(spec_operations()) * len(IDENTITIES):
        for operation_id, method, path in spec_operations():  # run alone: probe once more
            for identity in IDENTITIES:
                response = send(world, identity, method, path, real_values(world))
                world.answers.append((operation_id, identity, response.text))
    # The reset tokens mailed by the forgotten_password probes (to the outbox file) are secrets.
    # The mail sender delivers them in the background: one for each request that was queued.
    outbox = world.server.home / "outbox.jsonl"
    queued = sum(
        op == "forgotten_password" and "reset token" in text for op, _, text in world.answers
    )

    def delivered() -> int:
        return len(outbox.read_text().splitlines()) if outbox.exists() else 0

    wait_until(lambda: delivered() >= queued, 30, f"the {queued} reset mails of the probes")
    for line in outbox.read_text().splitlines():
        mail = json.loads(line)["body"]
        world.secrets.add(mail.split("Reset token: ", 1)[1].split()[0])
    handing_out = {"login", "refresh", "create_api_key"}
    passwords = {ADMIN_PASSWORD, world.owner_password}
    for operation_id, identity, text in world.answers:
        hidden = passwords if operation_id in handing_out else world.secrets
        for secret in hidden:
            assert secret not in text, f"a secret in the answer to {operation_id} as {identity}"
    # What those answers hand out is secret too, and must stay out of the log as well.
    for operation_id, _, text in world.answers:
        if operation_id in handing_out and text.startswith("{"):
            body = json.loads(text)
            world.secrets.update(
                str(body[name]) for name in ("access_token", "refresh_token", "key") if name in body
            )
    log = world.server.log()
    assert "POST /api/login" in log, "the log does not look like the server's access log"
    for secret in world.secrets:
        assert secret not in log, "a secret in the server log"


# -- sign-in rate limiting -------------------------------------------------------------------

PER_USER = 3
PER_ADDRESS = 6
WINDOW_S = 3


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own with low sign-in limits and a short window."""
    server = ServerProcess(
        tmp_path_factory.mktemp("limited") / "home",
        admin_password=ADMIN_PASSWORD,
        login_attempts_per_minute_per_user=PER_USER,
        login_attempts_per_minute_per_address=PER_ADDRESS,
        login_attempts_window_seconds=WINDOW_S,
        workers=0,
    )
    server.start()
    yield server
    server.stop()


def _sign_in(
    server: ServerProcess, username: str, password: str, address: str = "127.0.0.1"
) -> httpx.Response:
    """One sign-in from ``address`` (any 127.x.y.z is this machine's loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport) as client:
        return client.post(
            f"{server.base_url}/login", data={"username": username, "password": password}
        )


def _new_limited_user(server: ServerProcess) -> tuple[str, str]:
    token = _sign_in(server, "admin", ADMIN_PASSWORD).json()["access_token"]
    name, password = f"rl-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    response = httpx.post(
        f"{server.base_url}/users",
        json={"username": name, "email": f"{name}@example.org", "password": password},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return name, password


def _assert_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert set(response.json()) == {"detail"}
    assert "too many failed sign-in attempts" in response.json()["detail"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW_S
    return retry_after


def test_successful_sign_ins_are_not_limited(limited: ServerProcess) -> None:
    name, password = _new_limited_user(limited)
    for _ in range(PER_ADDRESS + 2):
        assert _sign_in(limited, name, password, "127.0.0.2").status_code == 200


def test_failed_sign_ins_are_limited_per_user(limited: ServerProcess) -> None:
    name, password = _new_limited_user(limited)
    for _ in range(PER_USER):
        assert _sign_in(limited, name, "wrong", "127.0.0.3").status_code == 401
    # Over the limit even with the right password, from another address, in other letter case.
    retry_after = _assert_limited(_sign_in(limited, name, password, "127.0.0.4"))
    _assert_limited(_sign_in(limited, name.upper(), "wrong", "127.0.0.4"))
    # Other users are not affected.
    other, other_password = _new_limited_user(limited)
    assert _sign_in(limited, other, other_password, "127.0.0.3").status_code == 200
    time.sleep(retry_after + 0.2)
    assert _sign_in(limited, name, password, "127.0.0.3").status_code == 200


def test_failed_sign_ins_are_limited_per_address(limited: ServerProcess) -> None:
    name, password = _new_limited_user(limited)
    for _ in range(PER_ADDRESS):  # a sweep: one try for each of many usernames
        response = _sign_in(limited, f"nobody-{uuid.uuid4().hex[:6]}", "guess", "127.0.0.5")
        assert response.status_code == 401
    retry_after = _assert_limited(_sign_in(limited, name, password, "127.0.0.5"))
    assert _sign_in(limited, name, password, "127.0.0.6").status_code == 200
    time.sleep(retry_after + 0.2)
    assert _sign_in(limited, name, password, "127.0.0.5").status_code == 200


def test_the_limit_is_documented() -> None:
    responses = SPEC["paths"]["/api/login"]["post"]["responses"]
    assert responses["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "Retry-After" in responses["429"]["headers"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database of the test's own, as a server uses."""
    engine = make_engine(f"sqlite:///{tmp_path / 'limits.db'}")
    upgrade_database(engine)
    yield engine
    engine.dispose()


def _stored(engine: Engine) -> list[tuple[str, float]]:
    with engine.connect() as db:
        return [tuple(row) for row in db.execute(sql("SELECT key_hash, at FROM login_attempts"))]


def test_sliding_window_arithmetic(engine: Engine) -> None:
    clock = FakeClock()
    limiter = LoginRateLimiter(engine, per_user=2, per_address=100, window_seconds=60, clock=clock)
    limiter.acquire("alice", "a")
    clock.now += 10
    limiter.acquire("Alice ", "a")
    clock.now += 5
    with pytest.raises(TooManyAttemptsError) as refused:
        limiter.acquire("alice", "b")
    assert refused.value.retry_after == 45  # the first attempt leaves the window at +60
    clock.now += 45
    success = limiter.acquire("alice", "a")  # the slot freed; this one succeeds...
    limiter.forgive(success)  # ...and gives its slots back
    limiter.acquire("alice", "a")
    with pytest.raises(TooManyAttemptsError):
        limiter.acquire("alice", "a")


def test_limits_are_shared_by_every_limiter_of_the_database(engine: Engine) -> None:
    """Two server processes each have their own limiter over one database."""
    clock = FakeClock()
    first, second = (
        LoginRateLimiter(engine, per_user=3, per_address=0, window_seconds=60, clock=clock)
        for _ in range(2)
    )
    first.acquire("carol", "a")
    second.acquire("carol", "b")
    first.acquire("carol", "c")
    with pytest.raises(TooManyAttemptsError):
        second.acquire("carol", "d")


def test_concurrent_attempts_cannot_slip_past_the_limit(engine: Engine) -> None:
    """Slots are taken before the password check, so a burst gets exactly ``per_user`` tries."""
    limiter = LoginRateLimiter(engine, per_user=5, per_address=0, window_seconds=60)
    admitted: list[bool] = []

    def attempt() -> None:
        try:
            limiter.acquire("bob", "a")
            admitted.append(True)
        except TooManyAttemptsError:
            admitted.append(False)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 50
    assert sum(admitted) == 5


def test_expired_entries_are_swept_and_keys_stored_as_digests(engine: Engine) -> None:
    clock = FakeClock()
    limiter = LoginRateLimiter(engine, per_user=10, per_address=1000, window_seconds=1, clock=clock)
    for i in range(200):
        limiter.acquire(f"user-{i}", "a")
    assert len(_stored(engine)) == 400
    clock.now += 2
    limiter.acquire("last-user", "a")
    stored = _stored(engine)
    assert len(stored) == 2  # the new attempt's two slots: user and address
    assert all(at == clock.now for _key, at in stored)
    assert all(len(key) == 64 and "last-user" not in key for key, _at in stored)
