"""One in-memory Vitable API for engine unit tests, implementing the engine's port.

:class:`FakeApi` implements :class:`vitable_config.engine.ports.VitableApi` directly
(apply's decision logic: scripted POST outcomes, locks, read failures) and serves
the same data over ``httpx.MockTransport`` to the real :class:`VitableClient`
(``client()``: live-state reads with real ``page``/``limit`` pagination, bare
arrays, every request counted). Behaviour is tested against the sandbox elsewhere.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from vitable_config.api import ClientSettings, VitableClient
from vitable_config.api.errors import (
    ConflictError,
    OutcomeUnknownError,
    ServerError,
    UnexpectedResponseError,
)
from vitable_config.api.models import (
    BenefitProduct,
    ContributionClass,
    Employer,
    PlanYear,
    PlanYearCreate,
    PlanYearUpdate,
)
from vitable_config.engine.ports import VitableApi

BASE_URL = "http://127.0.0.1:9"
API_KEY = "sk_test_engine_secret"
_PLAN_YEARS = re.compile(r"^/v1/benefit-products/([^/]+)/plan-years$")
_EMPLOYER = re.compile(r"^/v1/employers/([^/]+)$")


@dataclass(frozen=True)
class _Settings:
    base_url: str = BASE_URL


class FakeApi:
    """Products, employers and plan years in memory.

    ``post_script``: employer -> behaviours of its successive POSTs: "ok",
    "commit_unknown" (write then raise), "lost_unknown" (timeout, no write),
    "lost_dropped" (dropped connection, no write),
    "late_commit" (write 20 ms after raising), "conflict", "unreadable_ok".
    """

    def __init__(
        self,
        products: Iterable[BenefitProduct] = (),
        employers: Iterable[Employer] = (),
        plan_years: Iterable[PlanYear] = (),
        *,
        post_script: dict[str, list[str]] | None = None,
        fail_reads: bool = False,
    ) -> None:
        self.products = list(products)
        self.employers = {e.id: e for e in employers}
        self.store: dict[str, PlanYear] = {py.id: py for py in plan_years}
        self.post_script = dict(post_script or {})
        self.fail_reads = fail_reads
        self.locked: set[str] = set()
        self.posts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._ids = itertools.count(1)
        self.requests: list[str] = []
        self.forbidden_employers: set[str] = set()  # plan-year lists for these answer 403
        self.by_route: Counter[str] = Counter()
        self.settings = _Settings()
        self.server_date: date | None = None

    @property
    def plan_years(self) -> list[PlanYear]:
        return list(self.store.values())

    def count_for(self, employer: str) -> int:
        return sum(1 for py in self.store.values() if py.employer_id == employer)

    # --- the port, in memory --------------------------------------------------

    async def list_benefit_products(self) -> list[BenefitProduct]:
        return list(self.products)

    async def list_employers(
        self, *, limit: int = 100, concurrent_pages: int | None = None
    ) -> list[Employer]:
        return list(self.employers.values())

    async def get_employer(self, employer_id: str) -> Employer:
        return self.employers[employer_id]

    async def list_plan_years(
        self,
        benefit_product_id: str,
        *,
        employer_id: str | None = None,
        limit: int = 100,
        concurrent_pages: int | None = None,
    ) -> list[PlanYear]:
        if self.fail_reads:
            raise ServerError(503, "unavailable", method="GET", path="/v1/...")
        return [
            py
            for py in self.store.values()
            if py.benefit_product_id == benefit_product_id and employer_id in (None, py.employer_id)
        ]

    async def get_plan_year(self, plan_year_id: str) -> PlanYear:
        return self.store[plan_year_id]

    def _insert(self, product: str, body: PlanYearCreate) -> PlanYear:
        now = datetime.now(UTC)
        py = PlanYear(
            id=f"plyr_{next(self._ids)}",
            benefit_product_id=product,
            employer_id=body.employer_id,
            coverage_start=body.coverage_start,
            coverage_end=body.coverage_end,
            open_enrollment_start_date=body.open_enrollment_start,
            open_enrollment_end_date=body.open_enrollment_end,
            status="draft",
            created_at=now,
            updated_at=now,
            contribution_classes=[
                {"id": f"cc_{i}", **c.model_dump()} for i, c in enumerate(body.contribution_classes)
            ],
        )
        self.store[py.id] = py
        return py

    async def create_plan_year(self, benefit_product_id: str, body: PlanYearCreate) -> PlanYear:
        product = benefit_product_id
        self.posts += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            script = self.post_script.get(body.employer_id, [])
            step = script.pop(0) if script else "ok"
            path = f"/v1/benefit-products/{product}/plan-years"
            if step == "commit_unknown":
                self._insert(product, body)
                raise OutcomeUnknownError("POST", path, "500 after commit")
            if step == "lost_unknown":
                raise OutcomeUnknownError("POST", path, "ReadTimeout")
            if step == "lost_dropped":  # the server closed the connection: it is done
                raise OutcomeUnknownError("POST", path, "RemoteProtocolError: disconnected")
            if step == "late_commit":  # the server finishes 20 ms after our timeout
                asyncio.get_running_loop().call_later(0.02, self._insert, product, body)
                raise OutcomeUnknownError("POST", path, "ReadTimeout")
            if step == "conflict":
                raise ConflictError(409, "overlapping plan year", method="POST", path=path)
            if step == "unreadable_ok":  # committed, 201, but the body cannot be read
                self._insert(product, body)
                raise UnexpectedResponseError(201, "response body is not JSON", path=path)
            return self._insert(product, body)
        finally:
            self.in_flight -= 1

    async def update_plan_year(self, plan_year_id: str, body: PlanYearUpdate) -> PlanYear:
        if plan_year_id in self.locked:
            raise ConflictError(
                409, "plan year is locked", app_error_code="plan_year_locked", method="PUT"
            )
        py = self.store[plan_year_id]
        if body.contribution_classes is not None:
            py.contribution_classes = [
                ContributionClass(id=f"cc_{i}", **c.model_dump())
                for i, c in enumerate(body.contribution_classes)
            ]
        return py

    # --- the same data over HTTP, for the real client ----------------------------

    def _page(self, request: httpx.Request, items: list[Any]) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        limit = int(request.url.params.get("limit", "20"))
        chunk = items[(page - 1) * limit : page * limit]
        body = [item.model_dump(mode="json") for item in chunk]
        return httpx.Response(200, content=json.dumps(body).encode())

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(f"{request.method} {path}?{request.url.query.decode()}")
        if request.method != "GET":
            return httpx.Response(405, json={"message": "read-only fake"})
        if path == "/v1/benefit-products":
            self.by_route["products"] += 1
            return self._page(request, self.products)
        if path == "/v1/employers":
            self.by_route["employers"] += 1
            return self._page(request, list(self.employers.values()))
        if match := _EMPLOYER.match(path):
            self.by_route["employer"] += 1
            found = self.employers.get(match.group(1))
            if found is None:
                return httpx.Response(404, json={"message": "employer not found"})
            return httpx.Response(200, content=found.model_dump_json().encode())
        if match := _PLAN_YEARS.match(path):
            pid = match.group(1)
            employer_id = request.url.params.get("employer_id")
            if employer_id in self.forbidden_employers:
                return httpx.Response(403, json={"message": "forbidden", "app_error_code": "nope"})
            self.by_route["plan-years" if employer_id is None else "plan-years?employer"] += 1
            items = [
                py
                for py in self.store.values()
                if py.benefit_product_id == pid
                and (employer_id is None or py.employer_id == employer_id)
            ]
            items.sort(key=lambda py: (py.coverage_start, py.id), reverse=True)
            return self._page(request, items)
        return httpx.Response(404, json={"message": f"no route {path}"})

    def client(self, **kwargs: Any) -> VitableClient:
        settings = ClientSettings(api_key=SecretStr(API_KEY), base_url=BASE_URL)
        return VitableClient(settings, transport=httpx.MockTransport(self.handler), **kwargs)


def _implements_the_port(api: FakeApi) -> VitableApi:
    return api  # mypy: FakeApi implements the engine's port
