"""Client behaviour the sandbox cannot produce on demand, via httpx.MockTransport.

(The wrapped list shape, x-should-retry, retry-after-ms, HTTP-date hints, echoing
servers.) Everything else is exercised against the real sandbox in
``test_contract_*.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from vitable_config.api import ClientSettings, RequestRecord, RetryPolicy, VitableClient
from vitable_config.api.errors import (
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from vitable_config.api.models import ContributionClassInput, PlanYearCreate

KEY = "sk_test_MOCK_0a1b2c3d4e5f"
FAST = RetryPolicy(max_retries=3, wait_initial=0.001, wait_max=0.005, wait_jitter=0.001)
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def plan_year(n: int) -> dict[str, Any]:
    return {
        "id": f"plyr_{n:04d}",
        "benefit_product_id": "bprd_1",
        "employer_id": "empr_1",
        "coverage_start": "2027-01-01",
        "coverage_end": "2027-12-31",
        "open_enrollment_start_date": "2026-11-01",
        "open_enrollment_end_date": "2026-11-30",
        "status": "draft",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "contribution_classes": [],
        "plans": [],
    }


CREATE = PlanYearCreate(
    employer_id="empr_1",
    coverage_start=date(2027, 1, 1),
    coverage_end=date(2027, 12, 31),
    open_enrollment_start=date(2026, 11, 1),
    open_enrollment_end=date(2026, 11, 30),
    contribution_classes=[
        ContributionClassInput(
            employment="full_time",
            family_status="EE",
            employee_contribution_cents=1000,
            employer_contribution_cents=20000,
        )
    ],
)


def make_client(handler: Handler, **kwargs: Any) -> VitableClient:
    # The mock speaks dialect 2025-12 (so no write waits for a dialect-deciding read).
    settings = ClientSettings.from_env(
        api_key=KEY, base_url="http://127.0.0.1:9", environ={}, api_dialect="2025-12"
    )
    kwargs.setdefault("retry_policy", FAST)
    return VitableClient(settings, transport=httpx.MockTransport(handler), **kwargs)


def error(status: int, message: str, code: str | None = None, **headers: str) -> httpx.Response:
    body = {"message": message, "error": message, "app_error_code": code, "trace_id": "tr_1"}
    return httpx.Response(status, json=body, headers=headers)


async def test_wrapped_list_shape_is_walked_and_deduplicated() -> None:
    rows = [plan_year(n) for n in range(45)]
    seen_pages: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        page = int(request.url.params["page"])
        limit = int(request.url.params["limit"])
        seen_pages.append(page)
        chunk = rows[(page - 1) * limit : page * limit]
        if page == 2:
            chunk = [rows[0], *chunk]  # a row repeated across pages
        meta = {"page": page, "limit": limit, "total": 45, "total_pages": 3}
        return httpx.Response(200, json={"data": chunk, "pagination": meta})

    async with make_client(handler) as client:
        years = await client.list_plan_years("bprd_1", limit=20)
    assert [y.id for y in years] == [r["id"] for r in rows]
    assert sorted(seen_pages) == [1, 2, 3]


async def test_query_parameters_and_request_body_follow_the_seeds() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(201, json=plan_year(1))
        return httpx.Response(200, json=[])

    async with make_client(handler) as client:
        await client.list_benefit_products(active_in=True, category="Dental")
        await client.list_plan_years("bprd_1", employer_id="empr_1", status="draft")
        await client.create_plan_year("bprd_1", CREATE)
    products, years, create = seen
    assert products.url.path == "/v1/benefit-products"
    assert dict(products.url.params) == {
        "active_in": "true",
        "category": "Dental",
        "page": "1",
        "limit": "100",
    }
    assert years.url.path == "/v1/benefit-products/bprd_1/plan-years"
    assert years.url.params["employer_id"] == "empr_1" and years.url.params["status"] == "draft"
    body = json.loads(create.content)
    assert body["open_enrollment_start"] == "2026-11-01"
    assert "open_enrollment_start_date" not in body
    assert body["contribution_classes"][0]["family_status"] == "EE"


async def test_ids_are_quoted_as_one_path_segment() -> None:
    paths: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        if request.url.path == "/v1/benefit-products":  # the route-gone check: still served
            return httpx.Response(200, json=[])
        return error(404, "not found")

    async with make_client(handler) as client:
        with pytest.raises(NotFoundError):
            await client.get_plan_year("../employers/x?y=1")
    # The 404 is for one id (benefit products are still served), so it stays a 404.
    assert paths == [
        "/v1/plan-years/..%2Femployers%2Fx%3Fy%3D1",
        "/v1/benefit-products?page=1&limit=1",
    ]


async def test_get_retries_5xx_then_succeeds_and_counts_retries() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(503, "busy") if calls < 3 else httpx.Response(200, json=plan_year(7))

    async with make_client(handler) as client:
        year = await client.get_plan_year("plyr_0007")
        assert year.id == "plyr_0007"
        assert client.stats.requests == 3 and client.stats.retries == 2
        assert client.stats.by_status[503] == 2


async def test_get_gives_up_after_max_retries_with_typed_error() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(502, "bad gateway")

    async with make_client(handler) as client:
        with pytest.raises(ServerError) as info:
            await client.get_employer("empr_1")
    assert calls == FAST.attempts == 4
    assert info.value.status == 502 and info.value.trace_id == "tr_1"
    assert info.value.method == "GET" and info.value.path == "/v1/employers/empr_1"


async def test_x_should_retry_false_stops_retrying() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(503, "maintenance", **{"x-should-retry": "false"})

    async with make_client(handler) as client:
        with pytest.raises(ServerError):
            await client.get_employer("empr_1")
    assert calls == 1


async def test_x_should_retry_true_retries_a_404() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return error(404, "replica lag", **{"x-should-retry": "true"})
        return httpx.Response(200, json=plan_year(1))

    async with make_client(handler) as client:
        assert (await client.get_plan_year("plyr_0001")).id == "plyr_0001"
    assert calls == 2


async def test_retry_after_ms_is_honoured() -> None:
    stamps: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            return error(429, "slow down", **{"retry-after-ms": "250"})
        return httpx.Response(200, json=plan_year(1))

    async with make_client(handler) as client:
        await client.get_plan_year("plyr_0001")
        assert client.stats.rate_limited == 1
    assert stamps[1] - stamps[0] >= 0.24


async def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(429, "come back tomorrow", **{"Retry-After": "86400"})

    async with make_client(handler) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitedError):
            await client.get_plan_year("plyr_0001")
    assert calls == 1 and time.monotonic() - started < 5


async def test_post_connect_error_is_retried_because_nothing_was_sent() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json=plan_year(1))

    async with make_client(handler) as client:
        assert (await client.create_plan_year("bprd_1", CREATE)).id == "plyr_0001"
    assert calls == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
)
async def test_post_failure_after_sending_is_outcome_unknown_and_not_retried(
    failure: httpx.TransportError,
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise failure

    async with make_client(handler) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.create_plan_year("bprd_1", CREATE)
        assert client.stats.outcome_unknown == 1
    assert calls == 1
    assert info.value.method == "POST"
    assert info.value.path == "/v1/benefit-products/bprd_1/plan-years"


async def test_get_connection_errors_exhausted_become_transport_error() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with make_client(handler) as client:
        with pytest.raises(TransportError, match="ConnectError"):
            await client.list_employers()
        assert client.stats.transport_errors == FAST.attempts


async def test_malformed_success_body_is_a_typed_error() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("plyr_bad"):
            return httpx.Response(200, json={"id": "plyr_bad"})
        return httpx.Response(200, text="<html>not json</html>")

    async with make_client(handler) as client:
        with pytest.raises(UnexpectedResponseError, match="PlanYear"):
            await client.get_plan_year("plyr_bad")
        with pytest.raises(UnexpectedResponseError, match="not JSON"):
            await client.get_plan_year("plyr_html")


async def test_key_echoed_by_a_server_is_redacted_everywhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records: list[RequestRecord] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["authorization"]
        if request.method == "POST":
            return error(500, f"crashed handling {echoed}")
        if "boom" in request.url.path:
            raise httpx.ReadError(f"reset while sending {echoed}", request=request)
        return error(400, f"bad header {echoed}")

    caplog.set_level(logging.DEBUG)
    async with make_client(handler, on_request=records.append) as client:
        failures: list[BaseException] = []
        for call in (
            client.get_employer("empr_1"),
            client.create_plan_year("bprd_1", CREATE),
            client.get_enrollment("boom"),
        ):
            with pytest.raises(Exception) as info:
                await call
            failures.append(info.value)
    texts = [str(f) for f in failures] + [repr(f) for f in failures]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(r) for r in records]
    assert len(records) >= 3
    assert any("[REDACTED]" in text for text in texts)
    for text in texts:
        assert KEY not in text


async def test_concurrency_is_bounded() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json=plan_year(1))

    async with make_client(handler, max_concurrency=3) as client:
        await asyncio.gather(*(client.get_plan_year("plyr_0001") for _ in range(12)))
    assert peak == 3


async def test_client_side_rate_limit_spaces_requests() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=plan_year(1))

    async with make_client(handler, rate_limit=20) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get_plan_year("plyr_0001") for _ in range(30)))
        elapsed = time.monotonic() - started
    # A bucket of 20 drains at 20/s: the 10 requests beyond the burst need ~0.5 s.
    assert elapsed >= 0.4


async def test_retry_after_whole_seconds_is_honoured() -> None:
    stamps: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            return error(503, "restarting", **{"Retry-After": "1"})
        return httpx.Response(200, json=plan_year(1))

    async with make_client(handler) as client:
        await client.get_plan_year("plyr_0001")
    assert stamps[1] - stamps[0] >= 0.95


async def test_the_total_retry_time_counts_the_first_attempt() -> None:
    """The first attempt runs before the retry loop starts (tests/client/
    test_client_garbage.py); its time still counts against ``total_timeout``."""
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.25)
        return error(429, "slow down", **{"retry-after-ms": "100"})

    capped = RetryPolicy(max_retries=10, wait_initial=0.001, total_timeout=0.3)
    async with make_client(handler, retry_policy=capped) as client:
        with pytest.raises(RateLimitedError):
            await client.get_plan_year("plyr_0001")
    # 0.25 s spent, and 100 ms more of waiting would end past the 300 ms budget.
    assert calls == 1


async def test_total_retry_time_is_capped() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error(429, "slow down", **{"retry-after-ms": "200"})

    capped = RetryPolicy(max_retries=10, wait_initial=0.001, total_timeout=0.3)
    async with make_client(handler, retry_policy=capped) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitedError):
            await client.get_plan_year("plyr_0001")
        elapsed = time.monotonic() - started
    # Waiting 200 ms a third time would end past the 300 ms budget: two attempts only.
    assert calls == 2
    assert elapsed < 0.3
