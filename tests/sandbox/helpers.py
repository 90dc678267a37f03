"""Plain-httpx helpers for the sandbox tests (deliberately not the project client)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from vitable_config.sandbox import SandboxHandle

MakeSandbox = Callable[..., SandboxHandle]

ERROR_KEYS = {"timestamp", "message", "error", "app_error_code", "trace_id"}


def client(sb: SandboxHandle, **kwargs: Any) -> httpx.Client:
    kwargs.setdefault("timeout", 10)
    return httpx.Client(
        base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, **kwargs
    )


def plan_year_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employer_id": "empr_acme",
        "coverage_start": "2027-01-01",
        "coverage_end": "2027-12-31",
        "open_enrollment_start": "2026-12-01",
        "open_enrollment_end": "2026-12-15",
        "contribution_classes": [
            {
                "employment": "full_time",
                "family_status": "EE",
                "employee_contribution_cents": 2500,
                "employer_contribution_cents": 7500,
            },
            {
                "employment": "full_time",
                "family_status": "EF",
                "employee_contribution_cents": 9000,
                "employer_contribution_cents": 15000,
            },
        ],
    }
    body.update(overrides)
    return body


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> str:
    """The response is an error of the API's exact shape; returns its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["error"] == body["message"]
    assert body["trace_id"]
    if code is not None:
        assert body["app_error_code"] == code, body
    return str(body["message"])


# --- the CLI server in a subprocess ---------------------------------------------------


@contextmanager
def serve_process(
    *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    """``vitable-config sandbox serve --port 0 ...`` in a subprocess; yields (url, key, proc)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "vitable_config", "sandbox", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        url = key = None
        deadline = time.monotonic() + 30
        assert proc.stdout is not None
        while (url is None or key is None) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("Base URL: "):
                url = line.split(": ", 1)[1].strip()
            elif line.startswith("API key: "):
                key = line.split(": ", 1)[1].strip()
        assert url and key, proc.stderr.read() if proc.stderr else "no output"
        yield url, key, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_ready(url: str, key: str) -> httpx.Client:
    """Poll until the server answers; returns a fresh (unopened) client for it."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as probe:
        for _ in range(100):
            try:
                probe.get("/_sandbox/stats")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("sandbox did not answer")
    return httpx.Client(base_url=url, headers=headers, timeout=10)


# --- the wire shapes of each dialect ----------------------------------------------------

PAGINATION_KEYS = {"page", "limit", "total", "total_pages"}


@dataclass(frozen=True)
class Wire:
    """What a plain HTTP client must send and expect in one dialect (REFERENCE.md,
    "API dialects"), written out here independently of the sandbox's code."""

    dialect: str

    @property
    def wrapped(self) -> bool:
        return self.dialect != "2025-12"

    @property
    def tier(self) -> str:
        """The contribution class's tier field."""
        return "coverage_tier" if self.wrapped else "family_status"

    @property
    def active(self) -> str:
        """The flag of benefit products and eligibility policies."""
        return "active_in" if self.wrapped else "active"

    def policy_create_path(self, employer_id: str) -> str:
        suffix = "benefit-eligibility-policies" if self.wrapped else "benefit-eligibility-policy"
        return f"/v1/employers/{employer_id}/{suffix}"

    def policy_path(self, policy_id: str) -> str:
        prefix = "benefit-eligibility-policies" if self.wrapped else "benefit-eligibility-policy"
        return f"/v1/{prefix}/{policy_id}"

    def one(self, response: httpx.Response, status: int = 200) -> dict[str, Any]:
        """The single object of a response, checking the envelope."""
        assert response.status_code == status, response.text
        body = response.json()
        assert isinstance(body, dict), body
        if self.wrapped:
            assert set(body) == {"data"}, body
            body = body["data"]
            assert isinstance(body, dict), body
        else:
            assert "data" not in body and "id" in body, body
        return body

    def page(self, response: httpx.Response) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
        """The items of a list response and its pagination (``None`` for bare arrays)."""
        assert response.status_code == 200, response.text
        body = response.json()
        if not self.wrapped:
            assert isinstance(body, list), body
            return body, None
        assert isinstance(body, dict) and set(body) == {"data", "pagination"}, body
        pagination = body["pagination"]
        assert set(pagination) == PAGINATION_KEYS, pagination
        assert all(type(v) is int for v in pagination.values()), pagination
        assert isinstance(body["data"], list)
        return body["data"], pagination

    def items(self, response: httpx.Response) -> list[dict[str, Any]]:
        return self.page(response)[0]

    def classes(self, body: dict[str, Any]) -> dict[str, Any]:
        """A 2025-12 plan-year request body (``plan_year_body``) in this dialect."""
        if "contribution_classes" not in body or not self.wrapped:
            return body
        renamed = [
            {self.tier if k == "family_status" else k: v for k, v in cls.items()}
            for cls in body["contribution_classes"]
        ]
        return {**body, "contribution_classes": renamed}

    def plan_year_body(self, **overrides: Any) -> dict[str, Any]:
        return self.classes(plan_year_body(**overrides))

    def employer_body(self, **overrides: Any) -> dict[str, Any]:
        if self.wrapped:
            body: dict[str, Any] = {
                "name": "Initech",
                "legal_name": "Initech LLC",
                "ein": "55-1234567",
                "email": "benefits@initech.example",
                "address": {
                    "address_line_1": "4120 Freidrich Ln",
                    "address_line_2": "Suite 2",
                    "city": "Austin",
                    "state": "TX",
                    "zipcode": "78744",
                },
            }
        else:
            body = {
                "name": "Initech",
                "legal_name": "Initech LLC",
                "ein": "55-1234567",
                "address": {
                    "street_1": "4120 Freidrich Ln",
                    "street_2": "Suite 2",
                    "city": "Austin",
                    "state": "TX",
                    "zip_code": "78744",
                },
            }
        body.update(overrides)
        return body

    def city_of(self, employer: dict[str, Any]) -> str:
        address = employer["address"]
        assert isinstance(address, dict)
        if self.wrapped:
            assert {"address_line_1", "city", "state", "zipcode"} <= set(address), address
            assert "country" not in address and "street_1" not in address, address
        else:
            assert {"street_1", "city", "state", "zip_code"} <= set(address), address
        return str(address["city"])
