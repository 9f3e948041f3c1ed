"""Security headers on every answer, and /docs served without any other origin (issue 14,
item 11)."""

from __future__ import annotations

import re

import httpx

from avatars import ApiClient
from tests.server import ServerProcess


def _assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_api_answers_forbid_scripts_framing_and_caching(
    server: ServerProcess, user: ApiClient
) -> None:
    key = user.api_keys.create_api_key("headers").key
    answers = [
        httpx.get(f"{server.base_url}/health"),
        httpx.get(f"{server.base_url}/datasets"),  # 401
        httpx.get(f"{server.base_url}/datasets", headers={"Authorization": f"api-key-v1 {key}"}),
        httpx.get(f"{server.base_url}/no-such-route"),
        httpx.get(f"{server.root_url}/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [200, 401, 200, 404, 200]
    for answer in answers:
        _assert_common(answer)
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src" not in policy
        assert answer.headers["cache-control"] == "no-store"


def test_the_docs_page_loads_only_the_servers_own_files(server: ServerProcess) -> None:
    page = httpx.get(f"{server.root_url}/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    _assert_common(page)
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "http" not in page.text  # no CDN, no other origin
    # No inline script: the policy would block it.
    assert not re.search(r"<script>(?!</script>)", page.text)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(sources) == 4
    for source in sources:
        asset = httpx.get(f"{server.root_url}{source}")
        assert asset.status_code == 200, source
        assert len(asset.content) > 100, source
    start = httpx.get(f"{server.root_url}/docs/start.js").text
    assert "SwaggerUIBundle(" in start and "'/openapi.json'" in start
    bundle = httpx.get(f"{server.root_url}/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert httpx.get(f"{server.root_url}/redoc").status_code == 404
