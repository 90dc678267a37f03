"""Contract: retries, rate limits, injected faults, transport safety and key redaction,
through the client against the sandbox over real loopback HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date

import pytest

from vitable_config.api import ClientSettings, RequestRecord, VitableClient
from vitable_config.api.errors import (
    AuthenticationError,
    InsecureTransportError,
    OutcomeUnknownError,
    ServerError,
    TransportError,
)
from vitable_config.api.models import ContributionClassInput, PlanYearCreate, PlanYearUpdate
from vitable_config.sandbox import FaultSettings, SandboxHandle

from .conftest import FAST_RETRIES, ClientFactory, MakeContractSandbox
from .seed_data import DENTAL, GLOBEX, LOCKABLE, MEDICAL

PLAN_YEARS_PATH = "/v1/benefit-products/*/plan-years"


def new_plan_year(employer: str = GLOBEX, year: int = 2027) -> PlanYearCreate:
    return PlanYearCreate(
        employer_id=employer,
        coverage_start=date(year, 1, 1),
        coverage_end=date(year, 12, 31),
        open_enrollment_start=date(year - 1, 12, 1),
        open_enrollment_end=date(year - 1, 12, 15),
        contribution_classes=[
            ContributionClassInput(
                employment="full_time",
                family_status="EE",
                employee_contribution_cents=1000,
                employer_contribution_cents=20000,
            )
        ],
    )


def globex_medical(sbx: SandboxHandle) -> list[dict[str, object]]:
    return [
        py
        for py in sbx.list_all_plan_years()
        if py["employer_id"] == GLOBEX and py["benefit_product_id"] == MEDICAL
    ]


def clear_faults_after_first_failure(sbx: SandboxHandle) -> Callable[[RequestRecord], None]:
    """An on_request hook: the first failed attempt switches the sandbox's faults off."""

    def hook(record: RequestRecord) -> None:
        if record.status is None or record.status >= 500:
            sbx.set_faults(FaultSettings())

    return hook


# --- rate limit -------------------------------------------------------------------


async def test_429_retry_after_is_honoured(
    contract_sandbox: MakeContractSandbox, client_for: ClientFactory
) -> None:
    sbx = contract_sandbox(rate_limit=2)
    client = client_for(sbx)
    stamps: list[tuple[float, RequestRecord]] = []
    client._on_request = lambda record: stamps.append((time.monotonic(), record))
    for _ in range(3):  # a burst of 2, then the third must wait ~0.5 s
        await client.get_plan_year(LOCKABLE)
    statuses = [record.status for _, record in stamps]
    assert statuses[:3] == [200, 200, 429] and statuses[-1] == 200
    assert client.stats.rate_limited >= 1
    limited_at = next(t for t, r in stamps if r.status == 429)
    retried_at = stamps[3][0]
    # The sandbox said retry-after-ms ≈ 500: the client waited for it.
    assert retried_at - limited_at >= 0.4


async def test_429_on_post_is_retried_without_duplicates(
    contract_sandbox: MakeContractSandbox, client_for: ClientFactory
) -> None:
    sbx = contract_sandbox(rate_limit=1)
    client = client_for(sbx)
    await client.get_plan_year(LOCKABLE)  # use the one-request burst
    created = await client.create_plan_year(MEDICAL, new_plan_year())
    assert client.stats.rate_limited >= 1
    assert [py["id"] for py in globex_medical(sbx)] == [created.id]


# --- faults: GET and PUT are retried -----------------------------------------------


async def test_get_500_before_write_is_retried_and_succeeds(
    sbx: SandboxHandle, client_for: ClientFactory
) -> None:
    sbx.set_faults(FaultSettings(error_before=1.0))
    client = client_for(sbx, on_request=clear_faults_after_first_failure(sbx))
    year = await client.get_plan_year(LOCKABLE)
    assert year.id == LOCKABLE
    assert [r.status for r in sbx.request_log] == [500, 200]
    assert client.stats.retries == 1


async def test_get_500_every_time_gives_up_with_server_error(
    sbx: SandboxHandle, client_for: ClientFactory
) -> None:
    sbx.set_faults(FaultSettings(error_before=1.0))
    client = client_for(sbx)
    with pytest.raises(ServerError) as info:
        await client.list_employers()
    assert info.value.status == 500 and info.value.app_error_code == "internal_error"
    assert len(sbx.request_log) == client.retry_policy.attempts


@pytest.mark.parametrize("fault", ["error_before", "error_after", "drop_after"])
async def test_put_faults_are_retried_and_the_update_lands_once(
    sbx: SandboxHandle, client_for: ClientFactory, fault: str
) -> None:
    sbx.set_faults(FaultSettings(**{fault: 1.0}, methods=frozenset({"PUT"})))
    client = client_for(sbx, on_request=clear_faults_after_first_failure(sbx))
    update = PlanYearUpdate(open_enrollment_end=date(2026, 12, 20))
    updated = await client.update_plan_year(LOCKABLE, update)
    assert updated.open_enrollment_end_date == date(2026, 12, 20)
    puts = [r for r in sbx.request_log if r.method == "PUT"]
    assert [r.fault for r in puts] == [fault, None]


async def test_slow_get_past_the_timeout_is_retried(
    sbx: SandboxHandle, client_for: ClientFactory
) -> None:
    sbx.set_faults(FaultSettings(slow=1.0, slow_ms=500))
    client = client_for(sbx, timeout=0.15, on_request=clear_faults_after_first_failure(sbx))
    year = await client.get_plan_year(LOCKABLE)
    assert year.id == LOCKABLE
    assert client.stats.transport_errors == 1 and client.stats.retries == 1


# --- faults: POST is never retried blindly ----------------------------------------


async def test_post_500_after_commit_is_outcome_unknown_and_the_plan_year_exists(
    sbx: SandboxHandle, client: VitableClient
) -> None:
    sbx.set_faults(FaultSettings(error_after=1.0, methods=frozenset({"POST"})))
    with pytest.raises(OutcomeUnknownError) as info:
        await client.create_plan_year(MEDICAL, new_plan_year())
    assert info.value.method == "POST" and "500" in info.value.reason
    assert len([r for r in sbx.request_log if r.method == "POST"]) == 1  # not retried
    sbx.set_faults(FaultSettings())
    listed = await client.list_plan_years(MEDICAL, employer_id=GLOBEX)
    assert len(listed) == 1 and listed[0].coverage_start == date(2027, 1, 1)


async def test_post_dropped_after_commit_is_outcome_unknown_and_the_plan_year_exists(
    sbx: SandboxHandle, client: VitableClient
) -> None:
    sbx.set_faults(FaultSettings(drop_after=1.0, methods=frozenset({"POST"})))
    with pytest.raises(OutcomeUnknownError) as info:
        await client.create_plan_year(MEDICAL, new_plan_year())
    assert "RemoteProtocolError" in info.value.reason or "ReadError" in info.value.reason
    assert len([r for r in sbx.request_log if r.method == "POST"]) == 1
    sbx.set_faults(FaultSettings())
    assert len(await client.list_plan_years(MEDICAL, employer_id=GLOBEX)) == 1


async def test_slow_post_past_the_timeout_is_outcome_unknown(
    sbx: SandboxHandle, client_for: ClientFactory
) -> None:
    sbx.set_faults(FaultSettings(slow=1.0, slow_ms=500, methods=frozenset({"POST"})))
    client = client_for(sbx, timeout=0.15)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.create_plan_year(MEDICAL, new_plan_year())
    assert "ReadTimeout" in info.value.reason
    assert client.stats.requests == 1 and client.stats.outcome_unknown == 1
    assert len(globex_medical(sbx)) == 1  # the write committed before the slow answer


async def test_post_500_before_write_is_outcome_unknown_and_nothing_was_written(
    sbx: SandboxHandle, client: VitableClient
) -> None:
    # The client cannot tell "before" from "after": it reports unknown, and a read resolves it.
    sbx.set_faults(FaultSettings(error_before=1.0, methods=frozenset({"POST"})))
    with pytest.raises(OutcomeUnknownError):
        await client.create_plan_year(MEDICAL, new_plan_year())
    assert globex_medical(sbx) == []


async def test_post_to_a_closed_port_is_retried_then_a_transport_error(
    sbx: SandboxHandle,
) -> None:
    # Nothing listens on port 9 of loopback: connection refused, nothing was sent.
    settings = ClientSettings.from_env(
        api_key=sbx.api_key, base_url="http://127.0.0.1:9", environ={}
    )
    async with VitableClient(settings, retry_policy=FAST_RETRIES) as client:
        with pytest.raises(TransportError, match="ConnectError"):
            await client.create_plan_year(DENTAL, new_plan_year())
        assert client.stats.requests == FAST_RETRIES.attempts


# --- transport safety and the key -------------------------------------------------


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(InsecureTransportError, match="--insecure"):
        ClientSettings.from_env(api_key="k", base_url="http://api.vitablehealth.com", environ={})


async def test_the_key_never_appears_in_errors_reprs_or_logs(
    sbx: SandboxHandle, client_for: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    records: list[RequestRecord] = []
    client = client_for(sbx, on_request=records.append)
    failures: list[BaseException] = []

    async def capture(call: object) -> None:
        try:
            await call  # type: ignore[misc]
        except Exception as exc:
            failures.append(exc)

    await client.list_benefit_products()
    await capture(client.get_plan_year("plyr_nope"))
    await capture(client.create_plan_year(MEDICAL, new_plan_year(employer="empr_nope")))
    sbx.set_faults(FaultSettings(error_after=1.0))
    await capture(client.create_plan_year(MEDICAL, new_plan_year()))
    await capture(client.get_employer(GLOBEX))
    sbx.set_faults(FaultSettings(drop_after=1.0))
    await capture(client.create_plan_year(DENTAL, new_plan_year()))
    sbx.set_faults(FaultSettings())
    wrong = client_for(sbx, api_key=sbx.api_key + "x")
    await capture(wrong.list_employers())

    assert len(failures) == 6
    assert any(isinstance(f, AuthenticationError) for f in failures)
    assert any(isinstance(f, OutcomeUnknownError) for f in failures)
    texts = [str(f) for f in failures] + [repr(f) for f in failures]
    texts += [str(f.__cause__) for f in failures if f.__cause__ is not None]
    texts += [repr(f.__cause__) for f in failures if f.__cause__ is not None]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(r) for r in records] + [repr(client), repr(client.settings)]
    assert any("GET /v1/benefit-products?page=1&limit=100 -> 200" in t for t in texts)
    for text in texts:
        assert sbx.api_key not in text
