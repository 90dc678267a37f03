"""The sandbox Vitable Connect API: a real HTTP server on loopback with SQLite state.

Python API (tests, the embedded ``--sandbox`` mode)::

    from vitable_config.sandbox import SandboxSettings, FaultSettings, running_sandbox

    with running_sandbox(SandboxSettings(today=date(2026, 11, 21), dialect="2026-02")) as sb:
        sb.base_url, sb.api_key
        sb.set_today(...); sb.set_faults(FaultSettings(error_after=0.5)); sb.set_latency_ms(50)
        sb.request_log; sb.write_count(); sb.list_all_plan_years()
"""

from __future__ import annotations

from vitable_config.sandbox.runtime import SandboxRuntime, ServedRequest
from vitable_config.sandbox.server import SandboxHandle, running_sandbox, serve_forever
from vitable_config.sandbox.settings import (
    DEFAULT_DIALECT,
    DEFAULT_SEED_PATH,
    DEFAULT_STATE_PATH,
    DIALECT_ENV,
    DIALECTS,
    SANDBOX_API_KEY_ENV,
    TODAY_ENV,
    FaultSettings,
    SandboxSettings,
)

__all__ = [
    "DEFAULT_DIALECT",
    "DEFAULT_SEED_PATH",
    "DEFAULT_STATE_PATH",
    "DIALECTS",
    "DIALECT_ENV",
    "SANDBOX_API_KEY_ENV",
    "TODAY_ENV",
    "FaultSettings",
    "SandboxHandle",
    "SandboxRuntime",
    "SandboxSettings",
    "ServedRequest",
    "running_sandbox",
    "serve_forever",
]
