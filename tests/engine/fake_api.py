"""A tiny in-memory Vitable API behind ``httpx.MockTransport`` for engine unit tests.

Serves only the read endpoints the live-state reader uses, with real
``page``/``limit`` pagination (bare arrays), and counts every request.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import httpx
from pydantic import SecretStr

from vitable_config.api import ClientSettings, VitableClient
from vitable_config.api.models import BenefitProduct, Employer, PlanYear

BASE_URL = "http://127.0.0.1:9"
API_KEY = "sk_test_engine_secret"
_PLAN_YEARS = re.compile(r"^/v1/benefit-products/([^/]+)/plan-years$")
_EMPLOYER = re.compile(r"^/v1/employers/([^/]+)$")


class FakeApi:
    def __init__(
        self,
        products: list[BenefitProduct],
        employers: list[Employer],
        plan_years: list[PlanYear],
    ) -> None:
        self.products = products
        self.employers = {e.id: e for e in employers}
        self.plan_years = plan_years
        self.requests: list[str] = []
        self.forbidden_employers: set[str] = set()  # plan-year lists for these answer 403
        self.by_route: Counter[str] = Counter()

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
                for py in self.plan_years
                if py.benefit_product_id == pid
                and (employer_id is None or py.employer_id == employer_id)
            ]
            items.sort(key=lambda py: (py.coverage_start, py.id), reverse=True)
            return self._page(request, items)
        return httpx.Response(404, json={"message": f"no route {path}"})

    def client(self, **kwargs: Any) -> VitableClient:
        settings = ClientSettings(api_key=SecretStr(API_KEY), base_url=BASE_URL)
        return VitableClient(settings, transport=httpx.MockTransport(self.handler), **kwargs)
