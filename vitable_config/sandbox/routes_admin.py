"""Admin endpoints for a sandbox running in another process (``/_sandbox/...``).

Same bearer key as the API; not part of the public OpenAPI document.

* ``GET/POST /_sandbox/clock`` — ``{"today": "YYYY-MM-DD"}``
* ``GET/POST /_sandbox/faults`` — the :class:`FaultSettings` fields
* ``POST /_sandbox/latency`` — ``{"latency_ms": n}``
* ``POST /_sandbox/rate-limit`` — ``{"rate_limit": rps or null}``
* ``GET /_sandbox/stats`` — request/write counters and current knobs
* ``GET /_sandbox/requests`` — the request log
* ``GET /_sandbox/plan-years`` — every plan year, straight from the database
* ``POST /_sandbox/reset`` — delete all data and reload the seed
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from vitable_config.sandbox.errors import validation_failed
from vitable_config.sandbox.routes_public import Runtime
from vitable_config.sandbox.settings import FaultSettings


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClockBody(_Body):
    today: date


class LatencyBody(_Body):
    latency_ms: int = Field(ge=0)


class RateLimitBody(_Body):
    rate_limit: float | None = Field(default=None, gt=0)


def admin_router() -> APIRouter:
    router = APIRouter(prefix="/_sandbox", include_in_schema=False)

    @router.get("/clock")
    async def get_clock(runtime: Runtime) -> dict[str, str]:
        return {"today": runtime.today.isoformat()}

    @router.post("/clock")
    async def set_clock(runtime: Runtime, body: ClockBody) -> dict[str, str]:
        runtime.set_today(body.today)
        return {"today": runtime.today.isoformat()}

    @router.get("/faults")
    async def get_faults(runtime: Runtime) -> dict[str, Any]:
        return runtime.faults.settings.to_dict()

    @router.post("/faults")
    async def set_faults(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        try:
            runtime.set_faults(FaultSettings.from_dict(body))
        except (TypeError, ValueError) as exc:
            raise validation_failed([f"faults: {exc}"]) from None
        return runtime.faults.settings.to_dict()

    @router.post("/latency")
    async def set_latency(runtime: Runtime, body: LatencyBody) -> dict[str, int]:
        runtime.set_latency_ms(body.latency_ms)
        return {"latency_ms": runtime.latency_ms}

    @router.post("/rate-limit")
    async def set_rate_limit(runtime: Runtime, body: RateLimitBody) -> dict[str, float | None]:
        runtime.set_rate_limit(body.rate_limit)
        return {"rate_limit": runtime.rate_limiter.rate}

    @router.get("/stats")
    async def stats(runtime: Runtime) -> dict[str, Any]:
        return runtime.stats()

    @router.get("/requests")
    async def requests(runtime: Runtime) -> list[dict[str, Any]]:
        return runtime.request_log_dicts()

    @router.get("/plan-years")
    async def plan_years(runtime: Runtime) -> list[dict[str, Any]]:
        return runtime.plan_years.list_all(runtime.today)

    @router.post("/reset")
    async def reset(runtime: Runtime) -> dict[str, bool]:
        runtime.reset()
        return {"reset": True}

    return router
