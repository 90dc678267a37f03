"""The Vitable Connect API layer: settings, the typed async client, models and errors."""

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
