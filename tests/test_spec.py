"""The contract: openapi.json is what the server serves, and says everything a client needs."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import httpx

from tests.server import ServerProcess

SPEC = json.loads((Path(__file__).parents[1] / "openapi.json").read_text())
PUBLIC = {
    "get_health",
    "get_health_db",
    "check_client",
    "login",
    "refresh",
    "forgotten_password",
    "reset_password",
}
SUPPORTED_BODIES = {
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/octet-stream",
}


def operations() -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [
        (path, method, op) for path, item in SPEC["paths"].items() for method, op in item.items()
    ]


def test_served_spec_matches_the_committed_one(server: ServerProcess) -> None:
    served = httpx.get(f"{server.root_url}/openapi.json").json()
    served["info"]["version"] = SPEC["info"]["version"]
    assert served == SPEC
    assert httpx.get(f"{server.root_url}/docs").status_code == 200


def test_every_operation_is_under_api_with_a_short_id() -> None:
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids))
    for path, method, op in operations():
        assert path.startswith("/api/")
        assert op["operationId"].isidentifier()
        assert not op["operationId"].endswith(f"_{method}"), "FastAPI's long default id"


def test_authentication_and_its_error_are_documented() -> None:
    for _, _, op in operations():
        secured = bool(op.get("security"))
        assert secured == (op["operationId"] not in PUBLIC), op["operationId"]
        if secured:
            assert "401" in op["responses"], op["operationId"]
        for status, response in op["responses"].items():
            if status.startswith("4") and status != "422":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


def test_request_bodies_are_of_kinds_the_generator_supports() -> None:
    for _, _, op in operations():
        for media_type in op.get("requestBody", {}).get("content", {}):
            assert media_type in SUPPORTED_BODIES, (op["operationId"], media_type)


def test_client_facades_use_no_handwritten_urls() -> None:
    """The handwritten client reaches the API through generated modules, save the streamed
    downloads (the generated functions read a whole body into memory): their paths are built
    by ``api_path`` alone, and each one it builds is a GET of the contract."""
    root = Path(__file__).parents[1] / "avatars"
    built: list[str] = []
    for source in root.rglob("*.py"):
        text = source.read_text()
        if source.name != "_http.py":  # where api_path adds the one "/api/" prefix
            assert '"/api/' not in text and "'/api/" not in text, source
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "api_path":
                parts = [arg.value if isinstance(arg, ast.Constant) else "{}" for arg in node.args]
                built.append("/api/" + "/".join(map(str, parts)))
    assert sorted(built) == ["/api/datasets/{}/download", "/api/results/{}/files/{}"]
    paths = {re.sub(r"\{[^}]+\}", "{}", path): ops for path, ops in SPEC["paths"].items()}
    for path in built:
        assert "get" in paths.get(path, {}), f"{path} is no GET of openapi.json"
