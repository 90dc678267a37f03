"""The client's request URLs: built once per path, exactly as httpx merges them with
the base URL, and the cache of them is bounded."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import SecretStr

from vitable_config.api import client as client_module
from vitable_config.api.client import VitableClient
from vitable_config.api.settings import ClientSettings
from vitable_config.api.wire import DialectState


def _employer(employer_id: str) -> dict[str, Any]:
    return {
        "id": employer_id,
        "active": True,
        "name": "E",
        "legal_name": "E LLC",
        "organization_id": "org_1",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }


def _client(base_url: str, seen: list[httpx.Request]) -> VitableClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/v1/employers"):
            return httpx.Response(200, content=json.dumps([_employer("empr_1")]).encode())
        eid = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, content=json.dumps(_employer(eid)).encode())

    settings = ClientSettings(api_key=SecretStr("vc_test_urls_key"), base_url=base_url)
    return VitableClient(
        settings, transport=httpx.MockTransport(handler), dialect=DialectState("2025-12")
    )


async def test_urls_are_what_httpx_builds_under_a_base_path() -> None:
    seen: list[httpx.Request] = []
    async with _client("https://api.example.test/base", seen) as client:
        await client.get_employer("empr a/b?c")
        await client.get_employer("empr a/b?c")  # the cached URL
        await client.list_employers(limit=10)
    expected = httpx.AsyncClient(base_url="https://api.example.test/base")
    want = [
        expected.build_request("GET", "/v1/employers/empr%20a%2Fb%3Fc").url,
        expected.build_request("GET", "/v1/employers/empr%20a%2Fb%3Fc").url,
        expected.build_request("GET", "/v1/employers", params={"page": 1, "limit": 10}).url,
    ]
    assert [r.url for r in seen] == want
    assert str(seen[0].url) == "https://api.example.test/base/v1/employers/empr%20a%2Fb%3Fc"


async def test_the_url_cache_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(client_module, "_URL_CACHE", 8)
    seen: list[httpx.Request] = []
    async with _client("https://api.example.test", seen) as client:
        for n in range(20):
            employer = await client.get_employer(f"empr_{n}")
            assert employer.id == f"empr_{n}"
            assert len(client._urls) <= 8
    assert [r.url.path for r in seen] == [f"/v1/employers/empr_{n}" for n in range(20)]
