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

import asyncio
import json as jsonlib
import logging
import ssl
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date
from email.utils import parsedate_to_datetime
from time import monotonic, perf_counter
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from vitable_config import __version__
from vitable_config.api.errors import (
    ApiError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseTooLargeError,
    TransportError,
    UnexpectedResponseError,
    UnreachableError,
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
)
from vitable_config.api.ratelimit import RequestGate
from vitable_config.api.redaction import describe_exception, redact, server_text
from vitable_config.api.retry import (
    Decision,
    RetryPolicy,
    RetrySignal,
    decide_status,
    decide_transport_error,
    unreachable_reason,
)
from vitable_config.api.retry import retry_after_seconds as _retry_after
from vitable_config.api.settings import ENV_BASE_URL, ClientSettings, is_loopback_host
from vitable_config.api.telemetry import ClientStats, OnRequest, RequestRecord, http_logger
from vitable_config.api.wire import (
    PRODUCTS_PATH,
    ApiMovedError,
    DialectError,
    DialectState,
    Kind,
    Shape,
    is_moved_route,
    route_depends_on_dialect,
)
from vitable_config.errors import UserError

M = TypeVar("M", bound=BaseModel)
Params = Mapping[str, str | int | bool | None]

_MAX_ERROR_TEXT = 300
# Of an error (non-2xx) body only this much is read: it is shown cut to 300 characters.
_MAX_ERROR_BODY = 64 * 1024
# A refused connection is retried quickly for at most this long (a server restarting),
# then reported; an unknown host is reported at once. Not the long retry ladder.
UNREACHABLE_RETRY_SECONDS = 1.0

# httpcore's pool (1.0.x) does O(connections x waiting requests) work per assignment
# pass and, under load, offers one idle connection to several waiting requests (all
# but one go round again): past ~32 connections in ONE pool the client turns
# CPU-bound (encode/httpcore#1035). Measured, 2,000 creates at 50 ms latency on
# 2 cores: concurrency 64 in one pool 18.3 s (client CPU 17 s); in pools of 16, 3.7 s
# (benchmarks/README.md). Each pass also checks every idle connection of the pool
# (a poll() of its socket, and a scan of all connections per idle one): with pools
# of 4 instead of 16, the 2,000 creates at concurrency 16 cost 3.7-4.1 s of client
# CPU instead of 4.3-4.6 s (the whole apply phase, cProfile off, 2 runs each). So no
# pool holds more than this many connections.
CONNECTIONS_PER_POOL = 4
# Absolute URLs kept per client (one per distinct path: per product for creates,
# per plan year for updates); the cache is emptied when it reaches this size.
_URL_CACHE = 1024
# What a closed response's stream is replaced by (never read).
_CLOSED_STREAM = httpx.ByteStream(b"")


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing: the API authenticates with the key, and a
    cookie a server sets is never sent back (nor kept in memory). httpx has no switch
    for it, so the client's store is replaced (``AsyncClient._cookies``)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def _segment(value: str) -> str:
    """Quote an id for use as one path segment (no '/', '?' or '..' tricks)."""
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise UserError(f"invalid id {server_text(value, ())!r}: an id is a non-empty string")
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
        dialect: DialectState | None = None,
    ) -> None:
        self.settings = settings
        # The API dialect of the run (vitable_config.api.wire): given, or decided by the
        # first read; while undecided, requests go one at a time (the first decides).
        self.dialect = dialect if dialect is not None else DialectState(settings.api_dialect)
        self._deciding = asyncio.Lock()
        # The last read sent while the dialect was undecided (see _undecided_read).
        self._undecided_tail: asyncio.Future[None] | None = None
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.concurrent_pages = max(1, concurrent_pages)
        self.stats = ClientStats()
        self._on_request = on_request
        self._server_date: date | None = None
        self._last_date_header: str | None = None  # the Date header it was read from
        # adaptive_rate: learn the server's rate from 429s and pace requests to it
        # (see vitable_config.api.ratelimit); off only for tests of raw 429 handling.
        self._gate = RequestGate(
            max_concurrency=max_concurrency, rate_limit=rate_limit, adaptive=adaptive_rate
        )
        self._secret = settings.api_key.get_secret_value()
        self._timeout = timeout
        self._max_bytes = settings.max_response_bytes
        # Connections are spread over pools of at most CONNECTIONS_PER_POOL; each
        # request goes to the pool with the fewest requests in flight.
        pools = 1 if transport is not None else -(-max_concurrency // CONNECTIONS_PER_POOL)
        per_pool = -(-max_concurrency // pools)
        url = httpx.URL(settings.base_url)
        self._trust_env = not is_loopback_host(url.host)
        self._tls = self._tls_context(url.scheme == "https", settings.verify_tls, self._trust_env)
        self._pools = [self._new_http(settings, timeout, per_pool, transport) for _ in range(pools)]
        self._urls: dict[str, httpx.URL] = {}  # path -> absolute URL (see _url)
        self._in_flight = [0] * pools
        self._http = self._pools[0]

    def _new_http(
        self,
        settings: ClientSettings,
        timeout: float,
        connections: int,
        transport: httpx.AsyncBaseTransport | None,
    ) -> httpx.AsyncClient:
        http = httpx.AsyncClient(
            base_url=settings.base_url,
            headers={
                "Authorization": f"Bearer {self._secret}",
                "Accept": "application/json",
                "User-Agent": f"{settings.user_agent}/{__version__}",
            },
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            verify=self._tls,
            transport=transport,
            follow_redirects=False,
            # Proxy/CA settings from the environment apply to real hosts, never to a
            # loopback sandbox (an HTTP_PROXY in CI must not capture local traffic).
            trust_env=self._trust_env,
        )
        http._cookies = _NoCookies()
        return http

    @staticmethod
    def _tls_context(https: bool, verify: bool, trust_env: bool) -> ssl.SSLContext:
        """One TLS context for every pool of the client. For an https:// API it is the
        one httpx would build per pool (CA bundle, SSL_CERT_FILE/DIR when the environment
        is trusted, or no verification with --insecure); loading the CA bundle costs
        ~25 ms, so it is built once. For an http:// API no TLS is ever spoken (requests
        only go to the base URL, redirects are not followed): a verifying context with
        no CA loaded is enough (it would refuse any certificate) and costs ~1 ms."""
        if https:
            return httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

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
    def server_date(self) -> date | None:
        """The API's date, from the ``Date`` header of its latest response (None until a
        response carried a readable one). Lock warnings use it, not the local clock."""
        return self._server_date

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
        expect = {"active": active_in, "category": category, "product_code": product_code}
        return await self._list(
            PRODUCTS_PATH, params, BenefitProduct, limit, concurrent_pages, expect, "product"
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
        expect = {"benefit_product_id": benefit_product_id, **params}
        return await self._list(
            path, params, PlanYear, limit, concurrent_pages, expect, "plan_year"
        )

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
        expect = {"benefit_product_id": benefit_product_id, **params}
        fetch = self._page_fetcher(path, params, "plan_year")
        pages = iter_pages(fetch, limit=limit, path=path, max_pages=self.settings.max_list_pages)
        async for items in pages:
            yield self._check_filter(self._validate_items(PlanYear, items, path), expect, path)

    async def get_plan_year(self, plan_year_id: str) -> PlanYear:
        path = f"/v1/plan-years/{_segment(plan_year_id)}"
        return await self._one("GET", path, PlanYear, "plan_year")

    async def create_plan_year(self, benefit_product_id: str, body: PlanYearCreate) -> PlanYear:
        path = f"/v1/benefit-products/{_segment(benefit_product_id)}/plan-years"
        return await self._one("POST", path, PlanYear, "plan_year", body=body)

    async def update_plan_year(self, plan_year_id: str, body: PlanYearUpdate) -> PlanYear:
        path = f"/v1/plan-years/{_segment(plan_year_id)}"
        return await self._one("PUT", path, PlanYear, "plan_year", body=body)

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
        expect = {"active": active_in}  # name is a partial match: not checked here
        return await self._list(
            "/v1/employers", params, Employer, limit, concurrent_pages, expect, "employer"
        )

    async def get_employer(self, employer_id: str) -> Employer:
        path = f"/v1/employers/{_segment(employer_id)}"
        return await self._one("GET", path, Employer, "employer")

    async def create_employer(self, body: EmployerCreate, *, email: str | None = None) -> Employer:
        """``email`` is required by dialect 2026-02 (read back as ``employer.email``, an
        extra field) and not sent to a 2025-12 API, which has no such field."""
        extra = {"email": email} if email else None
        return await self._one(
            "POST", "/v1/employers", Employer, "employer", body=body, extra=extra
        )

    # --- eligibility policies -------------------------------------------------

    async def create_eligibility_policy(
        self, employer_id: str, body: EligibilityPolicyCreate
    ) -> EligibilityPolicy:
        path = f"/v1/employers/{_segment(employer_id)}/benefit-eligibility-policy"
        return await self._one("POST", path, EligibilityPolicy, "policy", body=body)

    async def get_eligibility_policy(self, policy_id: str) -> EligibilityPolicy:
        path = f"/v1/benefit-eligibility-policy/{_segment(policy_id)}"
        return await self._one("GET", path, EligibilityPolicy, "policy")

    # --- enrollments -----------------------------------------------------------

    async def get_enrollment(self, enrollment_id: str) -> Enrollment:
        path = f"/v1/enrollments/{_segment(enrollment_id)}"
        return await self._one("GET", path, Enrollment, "enrollment")

    async def list_enrollment_plans(self, enrollment_id: str) -> list[EligiblePlan]:
        path = f"/v1/enrollments/{_segment(enrollment_id)}/plans"
        # A bare array in 2025-12, a paged list in 2026-02: walked like any list.
        return await self._list(path, {}, EligiblePlan, MAX_LIMIT, None, None, "eligible_plan")

    async def reissue_enrollment(self, enrollment_id: str, body: EnrollmentReissue) -> Enrollment:
        path = f"/v1/enrollments/{_segment(enrollment_id)}/reissue"
        return await self._one("POST", path, Enrollment, "enrollment", body=body)

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
        expect = {"employee_id": employee_id, "status": status}
        return await self._list(
            path, params, Enrollment, limit, concurrent_pages, expect, "enrollment"
        )

    # --- plumbing ---------------------------------------------------------------

    async def _list(
        self,
        path: str,
        params: Params,
        model: type[M],
        limit: int,
        concurrent_pages: int | None,
        expect: Mapping[str, object] | None,
        kind: Kind,
    ) -> list[M]:
        window = self.concurrent_pages if concurrent_pages is None else concurrent_pages
        items = await collect_all(
            self._page_fetcher(path, params, kind),
            limit=limit,
            concurrent_pages=window,
            path=path,
            max_pages=self.settings.max_list_pages,
        )
        return self._check_filter(self._validate_items(model, items, path), expect or {}, path)

    def _validate_items(self, model: type[M], items: Sequence[Any], path: str) -> list[M]:
        return [self._validate(model, item, "GET", path, item=n) for n, item in enumerate(items, 1)]

    def _check_filter(self, items: list[M], expect: Mapping[str, object], path: str) -> list[M]:
        """Every item of a filtered list must match the filter: a server that ignores a
        filter (or mixes in other rows) would otherwise be trusted with a wrong list."""
        wanted = {name: value for name, value in expect.items() if value is not None}
        if not wanted:
            return items
        bad: list[str] = []
        for item in items:
            for name, value in wanted.items():
                actual = getattr(item, name, None)
                if actual != value:
                    ident = server_text(getattr(item, "id", "?"), self._secret, limit=80)
                    shown = server_text(actual, self._secret, limit=80)
                    bad.append(f"{ident} ({name} {shown})")
                    break
        if bad:
            filters = ", ".join(
                f"{k}={server_text(v, self._secret, limit=80)}" for k, v in wanted.items()
            )
            listed = ", ".join(bad[:5]) + (f", … ({len(bad) - 5} more)" if len(bad) > 5 else "")
            raise UnexpectedResponseError(
                200,
                f"{len(bad)} list item(s) do not match the filter {filters}: {listed}; "
                "the server's list cannot be trusted, nothing was planned from it",
                method="GET",
                path=path,
            )
        return items

    def _page_fetcher(self, path: str, params: Params, kind: Kind) -> FetchPage:
        base = {key: value for key, value in params.items() if value is not None}

        async def fetch(page: int, limit: int) -> Any:
            query = {**base, "page": page, "limit": limit}
            return (await self._call("GET", path, kind, "page", params=query))[1]

        return fetch

    async def _one(
        self,
        method: str,
        path: str,
        model: type[M],
        kind: Kind,
        *,
        body: BaseModel | None = None,
        extra: dict[str, Any] | None = None,
    ) -> M:
        status, data = await self._call(method, path, kind, "one", body=body, extra=extra)
        return self._validate(model, data, method, path, status=status)

    async def _call(
        self,
        method: str,
        path: str,
        kind: Kind,
        shape: Shape,
        *,
        params: Params | None = None,
        body: BaseModel | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """One request in the run's dialect: (status, the body in the canonical shape).

        Until the dialect is known, reads (sent the same in either dialect) go out
        concurrently but their answers are examined in order, so the first decides; a
        write (or a dialect-dependent route) waits for those reads, and is preceded by
        one small read when nothing has decided it yet: nothing is ever sent in a
        guessed dialect.
        """
        if not self.dialect.decided:
            reads_alike = method == "GET" and not route_depends_on_dialect(path)
            if reads_alike and not self._deciding.locked():
                return await self._undecided_read(path, kind, shape, params)
            async with self._deciding:
                if not self.dialect.decided:  # (else decided while this one waited)
                    await self._undecided_reads_done()
                if not self.dialect.decided:
                    if method != "GET" or route_depends_on_dialect(path):
                        await self._probe_dialect()
                    return await self._exchange(method, path, kind, shape, params, body, extra)
        return await self._exchange(method, path, kind, shape, params, body, extra)

    async def _undecided_read(
        self, path: str, kind: Kind, shape: Shape, params: Params | None
    ) -> tuple[int, Any]:
        """A read sent before the dialect is known. Such a read goes out the same in
        either dialect (its route and query do not depend on it), so reads are sent
        concurrently; their answers are then examined in the order the reads were
        made (each waits for the previous one to finish), so the first answer decides
        exactly as if they had gone one at a time, and any later answer of the other
        dialect is refused."""
        previous = self._undecided_tail
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._undecided_tail = mine
        try:
            clean = {k: v for k, v in (params or {}).items() if v is not None}
            wire_path, query, _ = self.dialect.outgoing(kind, path, clean, None)
            try:
                status, data = await self._fetch(path, wire_path, query)
            finally:
                if previous is not None and not previous.done():
                    await asyncio.wait([previous])  # (never cancels the previous read)
            if data is None:
                return status, data
            return status, self.dialect.incoming(kind, shape, data, status, "GET", wire_path)
        finally:
            mine.set_result(None)

    async def _undecided_reads_done(self) -> None:
        """Wait until every read sent before the dialect was known has finished."""
        if self._undecided_tail is not None and not self._undecided_tail.done():
            await asyncio.wait([self._undecided_tail])

    async def _fetch(self, path: str, wire_path: str, query: Params) -> tuple[int, Any]:
        try:
            return await self._request("GET", wire_path, params=query)
        except NotFoundError:
            if is_moved_route(path):
                await self._check_moved("GET", path)
            raise

    async def _probe_dialect(self) -> None:
        probe = {"page": 1, "limit": 1}
        await self._exchange("GET", "/v1/employers", "employer", "page", probe, None)
        if not self.dialect.decided:
            raise DialectError(
                200,
                "cannot tell the API's dialect from its answer, so nothing was sent; "
                "pass --api-dialect 2025-12 or 2026-02",
                method="GET",
                path="/v1/employers",
            )

    async def _exchange(
        self,
        method: str,
        path: str,
        kind: Kind,
        shape: Shape,
        params: Params | None,
        body: BaseModel | None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        payload = None if body is None else body.model_dump(mode="json", exclude_none=True)
        if payload is not None and extra:
            payload.update(extra)  # dialect-only request fields (the wire drops or keeps them)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        wire_path, query, payload = self.dialect.outgoing(kind, path, clean, payload)
        try:
            status, data = await self._request(method, wire_path, params=query, payload=payload)
        except NotFoundError:
            if is_moved_route(path):
                await self._check_moved(method, path)
            raise
        if data is None:
            return status, data
        return status, self.dialect.incoming(kind, shape, data, status, method, wire_path)

    async def _check_moved(self, method: str, path: str) -> None:
        """A 404 on a benefit-product or plan-year route: raise :class:`ApiMovedError` if
        the API does not serve benefit products at all (else the 404 is for one id)."""
        if path != PRODUCTS_PATH:
            try:
                await self._request("GET", PRODUCTS_PATH, params={"page": 1, "limit": 1})
            except NotFoundError:
                pass
            except Exception:  # the original 404 stands
                return
            else:
                return
        raise ApiMovedError(self.settings.base_url, method, path) from None

    def _validate(
        self,
        model: type[M],
        data: Any,
        method: str,
        path: str,
        *,
        item: int | None = None,
        status: int = 200,
    ) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "(body)"
            label = ""
            if item is not None:
                ident = data.get("id") if isinstance(data, dict) else None
                named = f" ({server_text(ident, self._secret, limit=80)})" if ident else ""
                label = f"item {item}{named}: "
            got = ""
            if "input" in first and not isinstance(first["input"], dict | list):
                shown = server_text(
                    jsonlib.dumps(first["input"], default=str), self._secret, limit=60
                )
                got = f", got {shown}"
            message = (
                f"response does not match {model.__name__}: {label}{where}: "
                f"{first.get('msg')}{got} ({exc.error_count()} problem(s))"
            )
            raise UnexpectedResponseError(
                status, server_text(message, self._secret, limit=600), method=method, path=path
            ) from None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        payload: Any = None,
    ) -> tuple[int, Any]:
        """Send one logical request, retrying per the policy: (status, decoded JSON)."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        first_started = perf_counter()
        loop_clock = monotonic()  # tenacity's clock
        # The first attempt runs outside tenacity's loop, whose objects form reference
        # cycles that only the cyclic collector frees (it ran every ~0.6 s for 7-26 ms
        # in an apply of 2,000 creates, holding up every request in flight), and nearly
        # every request is answered at once. A retryable failure starts the loop, which
        # is handed that first attempt (its failure and its start), so the attempts, the
        # waits and the total timeout are exactly those of the loop running it.
        try:
            return await self._attempt(method, path, clean, payload, 1, first_started)
        except RetrySignal as signal:
            first_failure = signal
        try:
            async for attempt in self.retry_policy.retrying():
                with attempt:
                    number = attempt.retry_state.attempt_number
                    if number == 1:
                        attempt.retry_state.start_time = loop_clock
                        raise first_failure
                    return await self._attempt(method, path, clean, payload, number, first_started)
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
        first_started: float,
    ) -> tuple[int, Any]:
        shown = f"{path}?{httpx.QueryParams(params)}" if params else path
        async with self._gate.admit(write=method != "GET") as admitted_at:
            started = perf_counter()
            try:
                # One deadline for the whole exchange (connect, send, every read):
                # httpx's timeouts are per operation, so a server dripping one byte
                # at a time would otherwise never time out.
                async with asyncio.timeout(self._timeout):
                    response, body, complete = await self._send(method, path, params, payload)
            except TimeoutError:
                exc: httpx.RequestError = httpx.ReadTimeout(
                    f"no complete response within {self._timeout:g} s"
                )
                elapsed = (perf_counter() - started) * 1000
                self._record(method, shown, None, elapsed, attempt, "deadline")
                raise self._transport_failure(method, path, exc, first_started) from None
            except httpx.RequestError as exc:
                elapsed = (perf_counter() - started) * 1000
                self._record(method, shown, None, elapsed, attempt, type(exc).__name__)
                raise self._transport_failure(method, path, exc, first_started) from None
            elapsed = (perf_counter() - started) * 1000
        self._record(method, shown, response.status_code, elapsed, attempt, None)
        self._note_date(response.headers.get("date"))
        if response.is_success and not complete:
            raise self._too_large(method, path, response.status_code)
        if response.status_code == 429:
            delay = _retry_after(response.headers)
            if delay is not None and delay > self.retry_policy.max_retry_after:
                delay = None  # not waited for: do not pause other requests either
            self._gate.rate_limited(admitted_at, delay)
        else:
            self._gate.answered()
        if response.is_success:
            return response.status_code, self._decode(response, body, method, path)
        raise self._status_failure(method, path, response, body)

    def _note_date(self, header: str | None) -> None:
        # The header changes once a second: the same text as the last one is not parsed
        # again (an unreadable one is never remembered, so never trusted either).
        if not header or header == self._last_date_header:
            return
        try:
            stamp = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return  # an unreadable Date header is ignored, never trusted
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC)
        self._server_date = stamp.date()
        self._last_date_header = header

    async def _send(
        self, method: str, path: str, params: dict[str, Any], payload: Any
    ) -> tuple[httpx.Response, bytes, bool]:
        """One HTTP exchange on the least busy connection pool: the response, its body
        (read no further than the size cap) and whether the body was read whole."""
        index = min(range(len(self._pools)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            http = self._pools[index]
            url = self._url(http, path)
            request = http.build_request(method, url, params=params or None, json=payload)
            response = await http.send(request, stream=True)
            try:
                body, complete = await self._read_body(response)
            finally:
                await response.aclose()
                # httpx binds the stream to its response (a reference cycle, with
                # httpcore's pool request and streams hanging off it): unbound, the
                # closed response and all of that are freed by refcounting.
                response.stream = _CLOSED_STREAM
            return response, body, complete
        finally:
            self._in_flight[index] -= 1

    def _url(self, http: httpx.AsyncClient, path: str) -> httpx.URL:
        """The absolute URL of ``path`` under the base URL, exactly as httpx merges
        it (base path + the path without its leading '/'), kept for the next request
        to the same path: parsing it again cost 3 URL parses per request (~0.1 ms),
        a fifth of the client's CPU for 2,000 creates. At most _URL_CACHE entries."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _URL_CACHE:
                self._urls.clear()
            base = http.base_url
            url = base.copy_with(raw_path=base.raw_path + httpx.URL(path).raw_path.lstrip(b"/"))
            self._urls[path] = url
        return url

    async def _read_body(self, response: httpx.Response) -> tuple[bytes, bool]:
        """Stream the body, stopping once it exceeds the cap (64 KiB for an error body,
        which is only shown cut short; ``max_response_bytes`` otherwise)."""
        cap = self._max_bytes if response.is_success else min(self._max_bytes, _MAX_ERROR_BODY)
        declared = response.headers.get("content-length", "").strip()
        if response.is_success and declared.isdigit() and int(declared) > cap:
            return b"", False
        buffer = bytearray()
        async for chunk in response.aiter_bytes():
            buffer += chunk
            if len(buffer) > cap:
                del buffer[cap:]
                return bytes(buffer), False
        return bytes(buffer), True

    def _too_large(self, method: str, path: str, status: int) -> Exception:
        limit = f"{self._max_bytes:,} bytes"
        if method == "POST":
            # The server answered 2xx: the create was most likely committed.
            self.stats.outcome_unknown += 1
            return OutcomeUnknownError(
                method, path, f"the response body is larger than the {limit} limit"
            )
        return ResponseTooLargeError(
            status,
            f"the response body is larger than the {limit} limit (not read further); "
            "raise ClientSettings.max_response_bytes (VITABLE_CONNECT_MAX_RESPONSE_BYTES) "
            "if this is expected",
            method=method,
            path=path,
        )

    def _transport_failure(
        self, method: str, path: str, exc: httpx.RequestError, first_started: float
    ) -> Exception:
        reason = describe_exception(exc, self._secret)
        unreachable = unreachable_reason(exc)
        if unreachable is not None:
            why, may_retry = unreachable
            failure = UnreachableError(
                f"{method} {path}: cannot reach the API at {self.settings.base_url}: {why} "
                f"({reason}). "
                f"Check --base-url or {ENV_BASE_URL} (to try without an account, use "
                "--sandbox)"
            )
            if may_retry and perf_counter() - first_started < UNREACHABLE_RETRY_SECONDS:
                return RetrySignal(failure, None)
            return failure
        if not isinstance(exc, httpx.TransportError):
            # Not a network failure (a body that cannot be decoded, too many redirects):
            # a POST got an answer, so it may have been committed.
            if method == "POST":
                self.stats.outcome_unknown += 1
                return OutcomeUnknownError(method, path, reason)
            return TransportError(f"{method} {path}: could not complete the request ({reason})")
        decision = decide_transport_error(method, exc)
        if decision is Decision.UNKNOWN:
            self.stats.outcome_unknown += 1
            return OutcomeUnknownError(method, path, reason)
        error = TransportError(f"{method} {path}: could not complete the request ({reason})")
        if decision is Decision.RETRY:
            return RetrySignal(error, None)
        return error

    def _status_failure(
        self, method: str, path: str, response: httpx.Response, body: bytes
    ) -> Exception:
        error = self._api_error(method, path, response, body)
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

    def _api_error(self, method: str, path: str, response: httpx.Response, body: bytes) -> ApiError:
        """The typed error for a non-2xx answer. Every server-supplied text in it (the
        reason phrase, message, app_error_code, trace_id) is redacted, stripped of
        control characters and cut short before anything can print it."""
        status = response.status_code
        phrase = server_text(response.reason_phrase, self._secret, limit=80)
        message = f"HTTP {status} {phrase}".strip()
        app_error_code = trace_id = None
        try:
            error_body = ErrorBody.model_validate(jsonlib.loads(body))
        except (ValueError, ValidationError):
            text = body.decode(response.encoding or "utf-8", errors="replace").strip()
            if text:
                message = f"{message}: {server_text(text, self._secret, limit=_MAX_ERROR_TEXT)}"
        else:
            message = server_text(error_body.message, self._secret, limit=_MAX_ERROR_TEXT)
            if error_body.app_error_code:
                app_error_code = server_text(error_body.app_error_code, self._secret, limit=64)
            if error_body.trace_id:
                trace_id = server_text(error_body.trace_id, self._secret, limit=128)
        cls = error_for_status(status)
        return cls(
            status,
            message,
            method=method,
            path=path,
            app_error_code=app_error_code,
            trace_id=trace_id,
        )

    def _decode(self, response: httpx.Response, body: bytes, method: str, path: str) -> Any:
        if response.status_code == 204 or not body:
            return None
        try:
            return jsonlib.loads(body)
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
        if http_logger.isEnabledFor(logging.DEBUG):
            http_logger.debug("%s", record.format())
        if self._on_request is not None:
            self._on_request(record)
