"""The retry decision table and the Retry-After parsing (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from vitable_config.api.retry import (
    Decision,
    decide_status,
    decide_transport_error,
    retry_after_seconds,
    should_retry_header,
)

REQUEST = httpx.Request("GET", "http://127.0.0.1/v1/employers")


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_idempotent_methods_retry_transient_statuses(method: str, status: int) -> None:
    assert decide_status(method, status, {}) is Decision.RETRY


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
def test_definite_client_errors_fail(method: str, status: int) -> None:
    assert decide_status(method, status, {}) is Decision.FAIL


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_post_ambiguous_status_is_outcome_unknown(status: int) -> None:
    assert decide_status("POST", status, {}) is Decision.UNKNOWN


def test_post_429_is_retried_because_the_server_did_not_process_it() -> None:
    assert decide_status("POST", 429, {}) is Decision.RETRY


def test_x_should_retry_overrides_default() -> None:
    assert decide_status("GET", 503, {"x-should-retry": "false"}) is Decision.FAIL
    assert decide_status("GET", 409, {"x-should-retry": "true"}) is Decision.RETRY
    # A POST 5xx the server says not to retry is still of unknown outcome.
    assert decide_status("POST", 500, {"x-should-retry": "false"}) is Decision.UNKNOWN
    assert decide_status("POST", 503, {"x-should-retry": "true"}) is Decision.RETRY
    assert decide_status("GET", 503, {"x-should-retry": "maybe"}) is Decision.RETRY


def test_should_retry_header_parsing() -> None:
    assert should_retry_header(httpx.Headers({"X-Should-Retry": "TRUE"})) is True
    assert should_retry_header(httpx.Headers({"x-should-retry": "false"})) is False
    assert should_retry_header(httpx.Headers({})) is None


def test_connect_errors_are_retried_even_for_post() -> None:
    for exc in (
        httpx.ConnectError("refused", request=REQUEST),
        httpx.ConnectTimeout("slow connect", request=REQUEST),
        httpx.PoolTimeout("pool", request=REQUEST),
    ):
        assert decide_transport_error("POST", exc) is Decision.RETRY
        assert decide_transport_error("GET", exc) is Decision.RETRY


def test_errors_after_sending_are_unknown_for_post_and_retried_for_get_put() -> None:
    for exc in (
        httpx.ReadTimeout("read", request=REQUEST),
        httpx.WriteTimeout("write", request=REQUEST),
        httpx.RemoteProtocolError("dropped", request=REQUEST),
        httpx.ReadError("reset", request=REQUEST),
    ):
        assert decide_transport_error("POST", exc) is Decision.UNKNOWN
        assert decide_transport_error("PUT", exc) is Decision.RETRY
        assert decide_transport_error("GET", exc) is Decision.RETRY


def test_configuration_errors_are_not_retried() -> None:
    exc = httpx.UnsupportedProtocol("ftp", request=REQUEST)
    assert decide_transport_error("GET", exc) is Decision.FAIL


def test_retry_after_seconds_and_milliseconds() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "2"})) == 2.0
    assert retry_after_seconds(httpx.Headers({"Retry-After": "0.5"})) == 0.5
    # retry-after-ms is more precise and wins.
    headers = httpx.Headers({"Retry-After": "2", "retry-after-ms": "150"})
    assert retry_after_seconds(headers) == pytest.approx(0.15)
    assert retry_after_seconds(httpx.Headers({})) is None
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({"Retry-After": "-3"})) is None


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    headers = httpx.Headers({"Retry-After": "Thu, 01 Jan 2026 12:00:07 GMT"})
    assert retry_after_seconds(headers, now=now) == pytest.approx(7.0)
    past = httpx.Headers({"Retry-After": "Thu, 01 Jan 2026 11:00:00 GMT"})
    assert retry_after_seconds(past, now=now) == 0.0


def test_backoff_grows_exponentially_and_is_capped() -> None:
    from vitable_config.api.retry import RetryPolicy

    policy = RetryPolicy(wait_initial=0.1, wait_max=0.5, wait_jitter=0.0)
    wait = policy.retrying().wait
    state = type("State", (), {})()
    waits = []
    for attempt in range(1, 6):
        state.attempt_number = attempt  # type: ignore[attr-defined]
        state.outcome = None  # type: ignore[attr-defined]
        waits.append(wait(state))  # type: ignore[arg-type, misc]
    assert waits == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
