"""Reads sent before the dialect is known go out together, but their answers are
examined in the order the reads were made: the first read decides (whichever answer
arrives first), and an answer of the other dialect is refused, as when the reads
went one at a time. Writes still wait for the decision."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from vitable_config.api.client import VitableClient
from vitable_config.api.models import EmployerCreate
from vitable_config.api.settings import ClientSettings
from vitable_config.api.wire import DialectError, DialectState

STAMP = "2026-01-01T00:00:00Z"
PRODUCT = {
    "id": "bprd_mec",
    "active": True,
    "category": "Medical",
    "created_at": STAMP,
    "name": "MEC",
    "product_code": "MEC",
    "updated_at": STAMP,
}
EMPLOYER = {
    "id": "empr_1",
    "active": True,
    "name": "E",
    "legal_name": "E LLC",
    "organization_id": "org_1",
    "created_at": STAMP,
    "updated_at": STAMP,
    "address": {"street_1": "1 Main St", "city": "X", "state": "CA", "zip_code": "90000"},
}


class Server:
    """Products answer late in the 2025-12 dialect; employers answer at once, bare
    (2025-12) or wrapped with 2026-02 field names (``mixed``)."""

    def __init__(self, *, mixed: bool) -> None:
        self.mixed = mixed
        self.in_flight = 0
        self.most_in_flight = 0
        self.log: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.method, request.url.path))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if request.url.path == "/v1/benefit-products":
                await asyncio.sleep(0.2)
                return _json([PRODUCT] if request.url.params["page"] == "1" else [])
            if request.method == "POST":
                return _json(EMPLOYER, 201)
            if not self.mixed:
                return _json([EMPLOYER] if request.url.params["page"] == "1" else [])
            address = {"address_line_1": "1 Main St", "city": "X", "state": "CA", "zipcode": "1"}
            item = {**EMPLOYER, "address": address}
            meta = {"page": 1, "limit": 100, "total": 1, "total_pages": 1}
            return _json({"data": [item], "pagination": meta})
        finally:
            self.in_flight -= 1


def _json(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode())


def _client(server: Server) -> VitableClient:
    settings = ClientSettings(api_key=SecretStr("vc_test_dialect_key"), base_url="https://x.test")
    return VitableClient(
        settings, transport=httpx.MockTransport(server), dialect=DialectState("auto")
    )


async def test_undecided_reads_go_out_together_and_the_first_decides() -> None:
    server = Server(mixed=False)
    async with _client(server) as client:
        products, employers = await asyncio.gather(
            client.list_benefit_products(), client.list_employers()
        )
    assert [p.id for p in products] == ["bprd_mec"] and [e.id for e in employers] == ["empr_1"]
    assert server.most_in_flight == 2  # before: the first read went out alone
    assert client.dialect.dialect == "2025-12"
    assert client.dialect.decided_by == "decided by the first read, GET /v1/benefit-products"


async def test_a_later_answer_of_the_other_dialect_is_refused_even_if_it_came_first() -> None:
    server = Server(mixed=True)
    async with _client(server) as client:
        with pytest.raises(DialectError) as info:
            await asyncio.gather(client.list_benefit_products(), client.list_employers())
    assert server.most_in_flight == 2
    # The products (sent first) decided 2025-12 although the employers answered first.
    assert client.dialect.dialect == "2025-12"
    assert "the response is in API dialect 2026-02" in info.value.message
    assert "this run speaks 2025-12" in info.value.message


async def test_a_write_waits_for_the_undecided_reads() -> None:
    server = Server(mixed=False)
    async with _client(server) as client:
        body = EmployerCreate.model_validate(
            {
                "name": "E",
                "legal_name": "E LLC",
                "ein": "12-3456789",
                "address": EMPLOYER["address"],
            }
        )
        reading = asyncio.ensure_future(client.list_benefit_products())
        await asyncio.sleep(0.05)  # the products read is out, its answer not back
        await client.create_employer(body)
        assert [p.id for p in await reading] == ["bprd_mec"]
    # The POST went out only after the products' answer decided the dialect: no probe.
    assert server.log == [("GET", "/v1/benefit-products"), ("POST", "/v1/employers")]
