"""The sandbox ASGI application: FastAPI routes behind the :class:`SandboxGate`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vitable_config import __version__
from vitable_config.sandbox.errors import SandboxError, describe_validation_error, error_body
from vitable_config.sandbox.gate import SandboxGate
from vitable_config.sandbox.routes_admin import admin_router
from vitable_config.sandbox.routes_public import public_router
from vitable_config.sandbox.runtime import SandboxRuntime

DESCRIPTION = (
    "Sandbox of the Vitable Connect API for vitable-config. Authenticate with "
    "`Authorization: Bearer <key>` (the key printed at start). List endpoints return bare "
    "JSON arrays paged by `page` (1-based) and `limit` (default 20, max 100)."
)


def build_fastapi(runtime: SandboxRuntime) -> FastAPI:
    app = FastAPI(
        title="Vitable Connect API (vitable-config sandbox)",
        version=__version__,
        description=DESCRIPTION,
    )
    app.include_router(public_router(runtime))
    app.include_router(admin_router(runtime))
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
        if exc.status_code == 404:
            message, code = f"no such endpoint: {request.url.path}", "not_found"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
            code = "method_not_allowed"
        else:
            message, code = str(exc.detail), "http_error"
        return JSONResponse(error_body(message, code), exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            error_body(f"internal sandbox error: {type(exc).__name__}", "internal_error"), 500
        )

    return app


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


def create_app(runtime: SandboxRuntime) -> SandboxGate:
    """The ASGI app to serve: the API behind auth, rate limit, latency and faults."""
    return SandboxGate(build_fastapi(runtime), runtime)
