"""Plain-httpx helpers for the sandbox tests (deliberately not the project client)."""

from __future__ import annotations

from collections.abc import Callable
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
