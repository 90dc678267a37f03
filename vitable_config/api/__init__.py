"""The Vitable Connect API layer: settings, the typed async client, models and errors.

Names are imported on first use, so that ``vitable_config.api.models`` (used by the
config language) does not pull in httpx and the client.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vitable_config.api.client import VitableClient
    from vitable_config.api.retry import RetryPolicy
    from vitable_config.api.settings import (
        ENV_API_KEY,
        ENV_BASE_URL,
        PRODUCTION_BASE_URL,
        UAT_BASE_URL,
        ClientSettings,
    )
    from vitable_config.api.telemetry import HTTP_LOGGER_NAME, ClientStats, RequestRecord

_EXPORTS = {
    "VitableClient": "client",
    "RetryPolicy": "retry",
    "ENV_API_KEY": "settings",
    "ENV_BASE_URL": "settings",
    "PRODUCTION_BASE_URL": "settings",
    "UAT_BASE_URL": "settings",
    "ClientSettings": "settings",
    "HTTP_LOGGER_NAME": "telemetry",
    "ClientStats": "telemetry",
    "RequestRecord": "telemetry",
}

__all__ = [
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "HTTP_LOGGER_NAME",
    "PRODUCTION_BASE_URL",
    "UAT_BASE_URL",
    "ClientSettings",
    "ClientStats",
    "RequestRecord",
    "RetryPolicy",
    "VitableClient",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"vitable_config.api.{module}"), name)
