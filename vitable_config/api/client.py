"""Typed async client for the Vitable Connect API.

Usage::

    settings = ClientSettings.from_env()
    async with VitableClient(settings) as client:
        products = await client.list_benefit_products(category="Medical")

Every request and response goes through the pydantic models of
:mod:`vitable_config.api.models`. Failures become the typed exceptions of
:mod:`vitable_config.api.errors`; see :mod:`vitable_config.api.retry` for what
is retried. A POST whose outcome is unknown raises
:class:`~vitable_config.api.errors.OutcomeUnknownError` and is never retried:
the caller resolves it by reading.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Mapping
from time import perf_counter
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from vitable_config import __version__
from vitable_config.api.errors import (
    ApiError,
    OutcomeUnknownError,
    TransportError,
    UnexpectedResponseError,
    error_for_status,
)
from vitable_config.api.models import (
    BenefitProduct,
    EligibilityPolicy,
    EligibilityPolicyCreate,
    EligiblePlan,
    Employer,
    EmployerCreate,
    Enrollment,
    EnrollmentReissue,
    ErrorBody,
    PlanYear,
    PlanYearCreate,
    PlanYearUpdate,
)
from vitable_config.api.pagination import (
    MAX_LIMIT,
    FetchPage,
    collect_all,
    iter_pages,
    parse_page,
)
from vitable_config.api.ratelimit import RequestGate
from vitable_config.api.retry import (
    Decision,
    RetryPolicy,
    RetrySignal,
    decide_status,
    decide_transport_error,
)
from vitable_config.api.retry import retry_after_seconds as _retry_after
from vitable_config.api.settings import ClientSettings, is_loopback_host
from vitable_config.api.telemetry import (
    ClientStats,
    OnRequest,
    RequestRecord,
    http_logger,
    redact,
)

M = TypeVar("M", bound=BaseModel)
Params = Mapping[str, str | int | bool | None]

_MAX_ERROR_TEXT = 300

# httpcore's pool (1.0.x) does O(connections x waiting requests) work per assignment
# pass and, under load, offers one idle connection to several waiting requests (all
# but one go round again): past ~32 connections in ONE pool the client turns
# CPU-bound (encode/httpcore#1035). Measured, 2,000 creates at 50 ms latency on
# 2 cores: concurrency 64 in one pool 18.3 s (client CPU 17 s); in pools of 16, 3.7 s
# (benchmarks/README.md). So no pool holds more than this many connections.
CONNECTIONS_PER_POOL = 16


def _segment(value: str) -> str:
    """Quote an id for use as one path segment (no '/', '?' or '..' tricks)."""
    if not value or value in (".", ".."):
        raise ValueError(f"invalid id {value!r}")
    return quote(value, safe="")


class VitableClient:
    """Async client for the endpoints the reconciler uses. Use it as an async context manager."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        max_concurrency: int = 16,
        rate_limit: float | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        retry_policy: RetryPolicy | None = None,
        concurrent_pages: int = 1,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: OnRequest | None = None,
        adaptive_rate: bool = True,
    ) -> None:
        self.settings = settings
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.concurrent_pages = max(1, concurrent_pages)
        self.stats = ClientStats()
        self._on_request = on_request
        # adaptive_rate: learn the server's rate from 429s and pace requests to it
        # (see vitable_config.api.ratelimit); off only for tests of raw 429 handling.
        self._gate = RequestGate(
            max_concurrency=max_concurrency, rate_limit=rate_limit, adaptive=adaptive_rate
        )
        self._secret = settings.api_key.get_secret_value()
        # Connections are spread over pools of at most CONNECTIONS_PER_POOL; each
        # request goes to the pool with the fewest requests in flight.
        pools = 1 if transport is not None else -(-max_concurrency // CONNECTIONS_PER_POOL)
        per_pool = -(-max_concurrency // pools)
        self._pools = [self._new_http(settings, timeout, per_pool, transport) for _ in range(pools)]
        self._in_flight = [0] * pools
        self._http = self._pools[0]

    def _new_http(
        self,
        settings: ClientSettings,
        timeout: float,
        connections: int,
        transport: httpx.AsyncBaseTransport | None,
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=settings.base_url,
            headers={
                "Authorization": f"Bearer {self._secret}",
                "Accept": "application/json",
                "User-Agent": f"{settings.user_agent}/{__version__}",
            },
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            verify=settings.verify_tls,
            transport=transport,
            follow_redirects=False,
            # Proxy/CA settings from the environment apply to real hosts, never to a
            # loopback sandbox (an HTTP_PROXY in CI must not capture local traffic).
            trust_env=not is_loopback_host(httpx.URL(settings.base_url).host),
        )

    def __repr__(self) -> str:
        return (
            f"VitableClient(base_url={self.settings.base_url!r}, "
            f"max_concurrency={self._gate.max_concurrency}, rate_limit={self._gate.rate_limit})"
        )

    async def __aenter__(self) -> VitableClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for http in self._pools:
            await http.aclose()

    @property
    def learned_rate(self) -> float | None:
        """Requests/second learned from the server's 429s (None: none seen)."""
        return self._gate.learned_rate

    # --- benefit products ---------------------------------------------------

    async def list_benefit_products(
        self,
        active_in: bool | None = None,
        category: str | None = None,
        product_code: str | None = None,
        *,
        limit: int = MAX_LIMIT,
        concurrent_pages: int | None = None,
    ) -> list[BenefitProduct]:
        params = {"active_in": active_in, "category": category, "product_code": product_code}
        return await self._list(
            "/v1/benefit-products", params, BenefitProduct, limit, concurrent_pages
        )

    # --- plan years -----------------------------------------------------------

    async def list_plan_years(
        self,
        benefit_product_id: str,
        *,
        employer_id: str | None = None,
        status: str | None = None,
        limit: int = MAX_LIMIT,
        concurrent_pages: int | None = None,
    ) -> list[PlanYear]:
        path = f"/v1/benefit-products/{_segment(benefit_product_id)}/plan-years"
        params = {"employer_id": employer_id, "status": status}
        return await self._list(path, params, PlanYear, limit, concurrent_pages)

    async def iter_plan_year_pages(
        self,
        benefit_product_id: str,
        *,
        employer_id: str | None = None,
        status: str | None = None,
        limit: int = MAX_LIMIT,
    ) -> AsyncIterator[list[PlanYear]]:
        """Yield plan years page by page (one request at a time, de-duplicated)."""
        path = f"/v1/benefit-products/{_segment(benefit_product_id)}/plan-years"
        params = {"employer_id": employer_id, "status": status}
        fetch = self._page_fetcher(path, params)
        async for items in iter_pages(fetch, limit=limit, path=path):
            yield [self._validate(PlanYear, item, "GET", path) for item in items]

    async def get_plan_year(self, plan_year_id: str) -> PlanYear:
        path = f"/v1/plan-years/{_segment(plan_year_id)}"
        return self._validate(PlanYear, await self._request("GET", path), "GET", path)

    async def create_plan_year(self, benefit_product_id: str, body: PlanYearCreate) -> PlanYear:
        path = f"/v1/benefit-products/{_segment(benefit_product_id)}/plan-years"
        data = await self._request("POST", path, body=body)
        return self._validate(PlanYear, data, "POST", path)

    async def update_plan_year(self, plan_year_id: str, body: PlanYearUpdate) -> PlanYear:
        path = f"/v1/plan-years/{_segment(plan_year_id)}"
        data = await self._request("PUT", path, body=body)
        return self._validate(PlanYear, data, "PUT", path)

    # --- employers --------------------------------------------------------------

    async def list_employers(
        self,
        active_in: bool | None = None,
        name: str | None = None,
        *,
        limit: int = MAX_LIMIT,
        concurrent_pages: int | None = None,
    ) -> list[Employer]:
        params = {"active_in": active_in, "name": name}
        return await self._list("/v1/employers", params, Employer, limit, concurrent_pages)

    async def get_employer(self, employer_id: str) -> Employer:
        path = f"/v1/employers/{_segment(employer_id)}"
        return self._validate(Employer, await self._request("GET", path), "GET", path)

    async def create_employer(self, body: EmployerCreate) -> Employer:
        path = "/v1/employers"
        return self._validate(Employer, await self._request("POST", path, body=body), "POST", path)

    # --- eligibility policies -------------------------------------------------

    async def create_eligibility_policy(
        self, employer_id: str, body: EligibilityPolicyCreate
    ) -> EligibilityPolicy:
        path = f"/v1/employers/{_segment(employer_id)}/benefit-eligibility-policy"
        data = await self._request("POST", path, body=body)
        return self._validate(EligibilityPolicy, data, "POST", path)

    async def get_eligibility_policy(self, policy_id: str) -> EligibilityPolicy:
        path = f"/v1/benefit-eligibility-policy/{_segment(policy_id)}"
        return self._validate(EligibilityPolicy, await self._request("GET", path), "GET", path)

    # --- enrollments -----------------------------------------------------------

    async def get_enrollment(self, enrollment_id: str) -> Enrollment:
        path = f"/v1/enrollments/{_segment(enrollment_id)}"
        return self._validate(Enrollment, await self._request("GET", path), "GET", path)

    async def list_enrollment_plans(self, enrollment_id: str) -> list[EligiblePlan]:
        path = f"/v1/enrollments/{_segment(enrollment_id)}/plans"
        page = parse_page(await self._request("GET", path), number=1, path=path)
        return [self._validate(EligiblePlan, item, "GET", path) for item in page.items]

    async def reissue_enrollment(self, enrollment_id: str, body: EnrollmentReissue) -> Enrollment:
        path = f"/v1/enrollments/{_segment(enrollment_id)}/reissue"
        data = await self._request("POST", path, body=body)
        return self._validate(Enrollment, data, "POST", path)

    async def list_employee_enrollments(
        self,
        employee_id: str,
        status: str | None = None,
        plan_year: int | str | None = None,
        coverage_effective_start_year: int | None = None,
        *,
        limit: int = MAX_LIMIT,
        concurrent_pages: int | None = None,
    ) -> list[Enrollment]:
        path = f"/v1/employees/{_segment(employee_id)}/enrollments"
        params = {
            "status": status,
            "plan_year": plan_year,
            "coverage_effective_start_year": coverage_effective_start_year,
        }
        return await self._list(path, params, Enrollment, limit, concurrent_pages)

    # --- plumbing ---------------------------------------------------------------

    async def _list(
        self,
        path: str,
        params: Params,
        model: type[M],
        limit: int,
        concurrent_pages: int | None,
    ) -> list[M]:
        window = self.concurrent_pages if concurrent_pages is None else concurrent_pages
        items = await collect_all(
            self._page_fetcher(path, params), limit=limit, concurrent_pages=window, path=path
        )
        return [self._validate(model, item, "GET", path) for item in items]

    def _page_fetcher(self, path: str, params: Params) -> FetchPage:
        base = {key: value for key, value in params.items() if value is not None}

        async def fetch(page: int, limit: int) -> Any:
            return await self._request("GET", path, params={**base, "page": page, "limit": limit})

        return fetch

    def _validate(self, model: type[M], data: Any, method: str, path: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "(body)"
            message = (
                f"response does not match {model.__name__}: {where}: {first.get('msg')} "
                f"({exc.error_count()} problem(s))"
            )
            raise UnexpectedResponseError(
                200, redact(message, self._secret), method=method, path=path
            ) from None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: BaseModel | None = None,
    ) -> Any:
        """Send one logical request, retrying per the policy; return the decoded JSON."""
        payload = None if body is None else body.model_dump(mode="json", exclude_none=True)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            async for attempt in self.retry_policy.retrying():
                with attempt:
                    number = attempt.retry_state.attempt_number
                    return await self._attempt(method, path, clean, payload, number)
        except RetrySignal as signal:
            raise signal.final from signal.__cause__
        raise AssertionError("unreachable: retry loop ended without a result")  # pragma: no cover

    async def _attempt(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        payload: Any,
        attempt: int,
    ) -> Any:
        shown = f"{path}?{httpx.QueryParams(params)}" if params else path
        async with self._gate.admit() as admitted_at:
            started = perf_counter()
            try:
                response = await self._send(method, path, params, payload)
            except httpx.TransportError as exc:
                elapsed = (perf_counter() - started) * 1000
                self._record(method, shown, None, elapsed, attempt, type(exc).__name__)
                raise self._transport_failure(method, path, exc) from exc
            elapsed = (perf_counter() - started) * 1000
        self._record(method, shown, response.status_code, elapsed, attempt, None)
        if response.status_code == 429:
            delay = _retry_after(response.headers)
            if delay is not None and delay > self.retry_policy.max_retry_after:
                delay = None  # not waited for: do not pause other requests either
            self._gate.rate_limited(admitted_at, delay)
        else:
            self._gate.answered()
        if response.is_success:
            return self._decode(response, method, path)
        raise self._status_failure(method, path, response)

    async def _send(
        self, method: str, path: str, params: dict[str, Any], payload: Any
    ) -> httpx.Response:
        """One HTTP exchange on the least busy connection pool."""
        index = min(range(len(self._pools)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            return await self._pools[index].request(method, path, params=params, json=payload)
        finally:
            self._in_flight[index] -= 1

    def _transport_failure(self, method: str, path: str, exc: httpx.TransportError) -> Exception:
        detail = redact(str(exc), self._secret)
        reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        decision = decide_transport_error(method, exc)
        if decision is Decision.UNKNOWN:
            self.stats.outcome_unknown += 1
            return OutcomeUnknownError(method, path, reason)
        error = TransportError(f"{method} {path}: could not complete the request ({reason})")
        if decision is Decision.RETRY:
            return RetrySignal(error, None)
        return error

    def _status_failure(self, method: str, path: str, response: httpx.Response) -> Exception:
        error = self._api_error(method, path, response)
        decision = decide_status(method, response.status_code, response.headers)
        if decision is Decision.UNKNOWN:
            self.stats.outcome_unknown += 1
            reason = f"server answered {response.status_code}: {error.message}"
            return OutcomeUnknownError(method, path, reason)
        if decision is Decision.RETRY:
            delay = _retry_after(response.headers)
            if delay is not None and delay > self.retry_policy.max_retry_after:
                return error
            return RetrySignal(error, delay)
        return error

    def _api_error(self, method: str, path: str, response: httpx.Response) -> ApiError:
        status = response.status_code
        message = f"HTTP {status} {response.reason_phrase}".strip()
        app_error_code = trace_id = None
        try:
            body = ErrorBody.model_validate(response.json())
        except (ValueError, ValidationError):
            text = response.text.strip()
            if text:
                message = f"{message}: {text[:_MAX_ERROR_TEXT]}"
        else:
            message = body.message
            app_error_code = body.app_error_code
            trace_id = body.trace_id
        cls = error_for_status(status)
        return cls(
            status,
            redact(message, self._secret),
            method=method,
            path=path,
            app_error_code=app_error_code,
            trace_id=trace_id,
        )

    def _decode(self, response: httpx.Response, method: str, path: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return jsonlib.loads(response.content)
        except ValueError:
            raise UnexpectedResponseError(
                response.status_code, "response body is not JSON", method=method, path=path
            ) from None

    def _record(
        self,
        method: str,
        path: str,
        status: int | None,
        elapsed_ms: float,
        attempt: int,
        error: str | None,
    ) -> None:
        record = RequestRecord(
            method=method,
            path=redact(path, self._secret),
            status=status,
            elapsed_ms=elapsed_ms,
            attempt=attempt,
            error=error,
        )
        self.stats.record(record)
        http_logger.debug("%s", record.format())
        if self._on_request is not None:
            self._on_request(record)
