"""Auth, error shape, rate limit, latency, faults and the request log (rules 7–8)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from vitable_config.sandbox import FaultSettings, SandboxHandle

from .helpers import MakeSandbox, assert_error, client, plan_year_body

PY_PATH = "/v1/benefit-products/bprd_mec/plan-years"


def test_missing_or_unknown_key_is_401(sandbox: SandboxHandle) -> None:
    with httpx.Client(base_url=sandbox.base_url) as c:
        none = c.get("/v1/employers")
        wrong = c.get("/v1/employers", headers={"Authorization": "Bearer vc_test_wrong"})
        basic = c.get("/v1/employers", headers={"Authorization": f"Basic {sandbox.api_key}"})
        write = c.post(PY_PATH, json=plan_year_body(), headers={"Authorization": "Bearer nope"})
        admin = c.get("/_sandbox/stats")
    assert "missing" in assert_error(none, 401, "unauthenticated")
    for r in (wrong, basic, write, admin):
        message = assert_error(r, 401, "unauthenticated")
        assert sandbox.api_key not in message
    assert sandbox.write_count() == 0
    assert [r.status for r in sandbox.request_log] == [401, 401, 401, 401]


def test_unknown_route_and_method_use_error_shape(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        nowhere = c.get("/v1/nowhere")
        wrong_method = c.delete("/v1/employers")
    assert_error(nowhere, 404, "not_found")
    assert_error(wrong_method, 405, "method_not_allowed")


def test_openapi_document_is_public(sandbox: SandboxHandle) -> None:
    r = httpx.get(f"{sandbox.base_url}/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/v1/benefit-products/{benefit_product_id}/plan-years" in paths
    assert not any(p.startswith("/_sandbox") for p in paths)


def test_rate_limit_is_429_with_retry_after(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(rate_limit=2)
    with client(sb) as c:
        statuses = [c.get("/v1/employers/empr_acme") for _ in range(5)]
    codes = [r.status_code for r in statuses]
    assert codes[:2] == [200, 200]  # burst of max(1, rate)
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, codes
    for r in limited:
        assert "rate limit" in assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert 0 < int(r.headers["retry-after-ms"]) <= 1000
    wait_ms = int(limited[-1].headers["retry-after-ms"])
    time.sleep(wait_ms / 1000 + 0.05)
    with client(sb) as c:
        assert c.get("/v1/employers/empr_acme").status_code == 200


def test_rate_limited_write_is_not_committed(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(rate_limit=1)
    with client(sb) as c:
        assert c.get("/v1/employers").status_code == 200
        r = c.post(PY_PATH, json=plan_year_body())
    assert_error(r, 429, "rate_limited")
    assert sb.write_count() == 0


async def test_latency_is_added_and_concurrent_requests_overlap(sandbox: SandboxHandle) -> None:
    sandbox.set_latency_ms(50)
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers, limits=limits) as c:
        start = time.perf_counter()
        one = await c.get("/v1/employers/empr_acme")
        single = time.perf_counter() - start
        start = time.perf_counter()
        many = await asyncio.gather(*(c.get("/v1/employers/empr_acme") for _ in range(16)))
        together = time.perf_counter() - start
    assert one.status_code == 200 and all(r.status_code == 200 for r in many)
    assert single >= 0.05
    assert together >= 0.05
    assert together < 16 * 0.05 / 2, f"16 requests took {together:.3f}s: latency is blocking"


def test_error_before_writes_nothing(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(faults=FaultSettings(error_before=1.0))
    with client(sb) as c:
        r = c.post(PY_PATH, json=plan_year_body())
    assert "before the write" in assert_error(r, 500, "internal_error")
    assert sb.write_count() == 0
    assert all(p["employer_id"] != "empr_acme" for p in sb.list_all_plan_years())
    assert sb.request_log[-1].fault == "error_before"


def test_error_after_commits_then_answers_500(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(faults=FaultSettings(error_after=1.0))
    with client(sb) as c:
        r = c.post(PY_PATH, json=plan_year_body())
    assert "after the write" in assert_error(r, 500, "internal_error")
    assert sb.write_count() == 1
    assert [p["employer_id"] for p in sb.list_all_plan_years()].count("empr_acme") == 1
    record = sb.request_log[-1]
    assert (record.method, record.status, record.fault) == ("POST", 500, "error_after")


def test_drop_after_commits_then_closes_the_connection(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(faults=FaultSettings(drop_after=1.0))
    with client(sb) as c, pytest.raises(httpx.TransportError):
        c.post(PY_PATH, json=plan_year_body())
    assert sb.write_count() == 1
    assert [p["employer_id"] for p in sb.list_all_plan_years()].count("empr_acme") == 1
    record = sb.request_log[-1]
    assert (record.method, record.status, record.fault) == ("POST", None, "drop_after")
    sb.set_faults(FaultSettings())
    with client(sb) as c:  # the server survives
        assert c.get("/v1/employers/empr_acme").status_code == 200


def test_slow_commits_and_delays_the_response(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(faults=FaultSettings(slow=1.0, slow_ms=300))
    with client(sb) as c:
        start = time.perf_counter()
        r = c.post(PY_PATH, json=plan_year_body())
        elapsed = time.perf_counter() - start
    assert r.status_code == 201
    assert elapsed >= 0.3
    assert sb.write_count() == 1
    with client(sb, timeout=0.1) as c, pytest.raises(httpx.ReadTimeout):
        c.get("/v1/employers/empr_acme")


def _fault_sequence(sb: SandboxHandle, n: int) -> list[str | None]:
    with client(sb) as c:
        for _ in range(n):
            with contextlib.suppress(httpx.TransportError):
                c.get("/v1/employers/empr_acme")
    return [r.fault for r in sb.request_log]


def test_faults_are_reproducible_with_a_seed(make_sandbox: MakeSandbox) -> None:
    faults = FaultSettings(error_before=0.2, error_after=0.2, drop_after=0.1, seed=42)
    a = _fault_sequence(make_sandbox(faults=faults), 30)
    b = _fault_sequence(make_sandbox(faults=faults), 30)
    c = _fault_sequence(make_sandbox(faults=FaultSettings(**{**faults.to_dict(), "seed": 7})), 30)
    assert a == b
    assert a != c
    assert {"error_before", "error_after", "drop_after", None} <= set(a)


def test_faults_can_target_methods_and_paths(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(faults=FaultSettings(error_before=1.0, methods=frozenset({"POST"})))
    with client(sb) as c:
        read = c.get("/v1/employers/empr_acme")
        write = c.post(PY_PATH, json=plan_year_body())
        sb.set_faults(FaultSettings(error_before=1.0, paths=("/v1/plan-years/*",)))
        other = c.get("/v1/employers/empr_acme")
        targeted = c.get("/v1/plan-years/plyr_0a1b2c3d4e5f6071")
    assert read.status_code == 200
    assert_error(write, 500)
    assert other.status_code == 200
    assert_error(targeted, 500)


def test_request_log_and_admin_surface(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        c.get("/v1/employers/empr_acme")
        c.post(PY_PATH, json=plan_year_body())
        assert c.post("/_sandbox/clock", json={"today": "2026-12-05"}).json() == {
            "today": "2026-12-05"
        }
        assert c.get("/v1/plan-years/plyr_0a1b2c3d4e5f6071").json()["status"] == "active"
        faults = c.post("/_sandbox/faults", json={"error_before": 0.5, "seed": 3})
        bad_faults = c.post("/_sandbox/faults", json={"error_before": 2})
        c.post("/_sandbox/faults", json={})
        assert c.post("/_sandbox/latency", json={"latency_ms": 5}).json() == {"latency_ms": 5}
        stats = c.get("/_sandbox/stats").json()
        log = c.get("/_sandbox/requests").json()
        dump = c.get("/_sandbox/plan-years").json()
        reset = c.post("/_sandbox/reset")
        after_reset = c.get("/_sandbox/plan-years").json()
    assert faults.status_code == 200 and faults.json()["error_before"] == 0.5
    assert_error(bad_faults, 422)
    assert sandbox.today.isoformat() == "2026-12-05"
    assert stats["writes"] == 1 and stats["requests"] == 3
    assert stats["by_status"] == {"200": 2, "201": 1}
    assert [(r["method"], r["status"]) for r in log] == [("GET", 200), ("POST", 201), ("GET", 200)]
    assert len(dump) == 2
    assert reset.status_code == 200
    assert [p["id"] for p in after_reset] == ["plyr_0a1b2c3d4e5f6071"]
    assert sandbox.write_count() == 0 and sandbox.request_log == []


def test_requests_are_served_without_a_worker_thread(
    sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain-function dependency made FastAPI hop to a worker thread on every request
    # (~10% of the sandbox's CPU per create, and a wait for a thread each time).
    import anyio.to_thread

    hops: list[object] = []
    real = anyio.to_thread.run_sync

    async def counted(func: object, *args: object, **kwargs: object) -> object:
        hops.append(func)
        return await real(func, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    with client(sandbox) as c:
        assert c.get("/v1/employers").status_code == 200
        created = c.post(PY_PATH, json=plan_year_body())
        assert created.status_code == 201, created.text
        assert c.get(f"/v1/plan-years/{created.json()['id']}").status_code == 200
        assert c.get(PY_PATH).status_code == 200
    assert hops == []
