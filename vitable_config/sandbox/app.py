"""The sandbox ASGI application: FastAPI routes behind the :class:`SandboxGate`."""

from __future__ import annotations

import functools
import warnings
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from vitable_config import __version__
from vitable_config.sandbox.clock import ClockHeader
from vitable_config.sandbox.errors import SandboxError, describe_validation_error, error_body
from vitable_config.sandbox.gate import SandboxGate
from vitable_config.sandbox.routes_admin import admin_router
from vitable_config.sandbox.routes_public import public_router
from vitable_config.sandbox.runtime import SandboxRuntime
from vitable_config.sandbox.settings import DEFAULT_DIALECT, DIALECT_2025_12

# FastAPI declares a route's lone request-body model as Field(alias="body"), which
# pydantic 2.12 and later warn about (UnsupportedFieldAttributeWarning) the first time
# each such route is called: the warning reached the sandbox's and the CLI's stderr
# on the first create. Nothing is wrong with the routes; only that warning is hidden.
warnings.filterwarnings("ignore", message=r"The 'alias' attribute with value 'body'")

DESCRIPTION = """\
Sandbox of the Vitable Connect API, served by `vitable-config sandbox serve`.

* **Auth**: `Authorization: Bearer <key>` with the key printed at start; otherwise 401.
* **Lists** return bare JSON arrays paged by `page` (1-based, default 1) and `limit`
  (default 20, max 100; more is a 422). Plan years are listed most recent first
  (`coverage_start` descending, then `id`).
* **Errors** are always `{timestamp, message, error, app_error_code, trace_id}`;
  a 422 message names the field, e.g. `contribution_classes[0].family_status: ...`.

Sandbox rules:

1. 422 unless `open_enrollment_start <= open_enrollment_end <= coverage_start <
   coverage_end`, cents are integers >= 0, `employment` is non-empty, `family_status`
   is a CoverageTier, at most one class per (`employment`, `family_status`) and at
   least one class. A PUT validates the merged plan year.
2. 404 for an unknown employer, product or plan year; 422 `product_inactive` when
   creating a plan year on an inactive product.
3. 409 `plan_year_overlap` when the employer already has a plan year of the same
   product whose coverage overlaps (inclusive dates); off with `--allow-overlap`.
4. Status follows the sandbox clock: `draft` while today < open_enrollment_start;
   `open_enrollment` while open_enrollment_start <= today <= open_enrollment_end;
   `active` while open_enrollment_end < today <= coverage_end; `expired` after.
   A PUT of `status` may only move it forward.
5. 409 `plan_year_locked` on a PUT when the plan year is no longer `draft`.
6. `plans` of a new plan year are copied from the product's carrier plans.
7. 429 `rate_limited` with `Retry-After` (seconds) and `retry-after-ms` above the
   configured requests per second per API key (token bucket).
8. Injected faults (`--fault-*`, reproducible with `--fault-seed`): 500 before the
   write, 500 after the commit, connection dropped after the commit, slow response,
   429 with `Retry-After` before the write (`--fault-throttle`);
   plus `--latency-ms` on every request.
"""


def build_fastapi(dialect: str = DEFAULT_DIALECT) -> FastAPI:
    """The API routes of ``dialect`` and the error handlers (the same in every
    dialect); the sandbox state comes from the request scope (see :func:`create_app`)."""
    if dialect == DIALECT_2025_12:
        app = FastAPI(
            title="Vitable Connect API (vitable-config sandbox)",
            version=__version__,
            description=DESCRIPTION,
        )
        app.include_router(public_router())
    else:
        from vitable_config.sandbox import dialect as later

        router = later.dialect_router(dialect)
        app = FastAPI(
            title=later.title(dialect), version=__version__, description=later.description(dialect)
        )
        app.include_router(router)
    app.include_router(admin_router())
    _add_bearer_auth_to_openapi(app)

    @app.exception_handler(SandboxError)
    async def on_sandbox_error(_: Request, exc: SandboxError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.message, exc.app_error_code), exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [describe_validation_error(e, method=request.method) for e in exc.errors()]
        return JSONResponse(error_body("; ".join(problems), "validation_error"), 422)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 404:
            message, code = f"no such endpoint: {request.url.path}", "not_found"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
            code = "method_not_allowed"
            # Starlette's Allow names only the first matching route's methods
            # (GET /v1/employers hid POST); list every route on this path.
            headers = {**(exc.headers or {}), "Allow": _allowed_methods(app, request.scope)}
        else:
            message, code = str(exc.detail), "http_error"
        return JSONResponse(error_body(message, code), exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            error_body(f"internal sandbox error: {type(exc).__name__}", "internal_error"), 500
        )

    return app


def _allowed_methods(app: FastAPI, scope: Any) -> str:
    allowed = [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**scope, "method": method})[0] is Match.FULL
            for route in app.router.routes
        )
    ]
    return ", ".join(allowed)


def _add_bearer_auth_to_openapi(app: FastAPI) -> None:
    """Declare ``Authorization: Bearer <key>`` for every operation in the document
    (the :class:`SandboxGate` enforces it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer"}
            }
            schema["security"] = [{"bearerAuth": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@functools.cache
def shared_fastapi(dialect: str = DEFAULT_DIALECT) -> FastAPI:
    """One FastAPI app per dialect for every sandbox in this process (building one
    takes ~25 ms)."""
    return build_fastapi(dialect)


def create_app(runtime: SandboxRuntime) -> ClockHeader:
    """The ASGI app to serve: the API of the runtime's dialect behind auth, rate
    limit, latency and faults, every response dated by the sandbox's clock."""
    return ClockHeader(SandboxGate(shared_fastapi(runtime.dialect), runtime), runtime)
