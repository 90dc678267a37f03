"""Connection settings for the Vitable Connect API: key, base URL, transport checks.

Flags override the environment (``VITABLE_CONNECT_API_KEY``,
``VITABLE_CONNECT_BASE_URL``). The API key is held in a
:class:`pydantic.SecretStr`, so neither ``repr()`` nor ``str()`` of the settings
ever shows it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from vitable_config.api.errors import InsecureTransportError
from vitable_config.api.pagination import MAX_PAGES
from vitable_config.api.redaction import api_key_problem
from vitable_config.errors import UserError

PRODUCTION_BASE_URL = "https://api.vitablehealth.com"
UAT_BASE_URL = "https://api.uat.vitablehealth.com"
ENV_API_KEY = "VITABLE_CONNECT_API_KEY"
ENV_BASE_URL = "VITABLE_CONNECT_BASE_URL"
ENV_MAX_RESPONSE_BYTES = "VITABLE_CONNECT_MAX_RESPONSE_BYTES"
ENV_MAX_LIST_PAGES = "VITABLE_CONNECT_MAX_LIST_PAGES"

# A response body larger than this is refused, read no further (streamed).
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
# A list endpoint that reports no total may serve at most this many pages (of up to
# 100 items: 100,000 items per list) before the walk is refused as endless.
DEFAULT_MAX_LIST_PAGES = MAX_PAGES


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (brackets allowed)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalise_base_url(base_url: str, *, insecure: bool) -> str:
    """Validate a base URL and return it without a trailing slash.

    Raises :class:`UserError` for a malformed URL and
    :class:`InsecureTransportError` for plain ``http://`` to a host that is not
    loopback unless ``insecure`` is set.
    """
    text = base_url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(
            f"invalid API base URL {text!r}: expected http(s)://host[:port], "
            f"e.g. {PRODUCTION_BASE_URL}"
        )
    if parts.username or parts.password:
        raise UserError(
            "the API base URL must not contain credentials; "
            f"pass the API key with --api-key or {ENV_API_KEY}"
        )
    if parts.query or parts.fragment:
        raise UserError(f"invalid API base URL {text!r}: remove the query string or fragment")
    if parts.scheme == "http" and not insecure and not is_loopback_host(parts.hostname):
        raise InsecureTransportError(
            f"refusing to send the API key over plain http to {parts.hostname}: "
            "use an https:// base URL, or pass --insecure if you really mean it"
        )
    return text.rstrip("/")


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Where and how to reach the API. Build it with :meth:`from_env`."""

    api_key: SecretStr
    base_url: str = PRODUCTION_BASE_URL
    insecure: bool = False
    verify_tls: bool = True
    user_agent: str = field(default="vitable-config")
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_list_pages: int = DEFAULT_MAX_LIST_PAGES

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, SecretStr):
            # Never let a plain str sit in a field whose repr would show it.
            object.__setattr__(self, "api_key", SecretStr(str(self.api_key)))
        key = self.api_key.get_secret_value()
        if not key.strip():
            raise UserError(_missing_key_message())
        problem = api_key_problem(key)
        if problem is not None:
            raise UserError(
                f"invalid API key: {problem}. An API key is printable ASCII with no "
                f"spaces; check {ENV_API_KEY} or --api-key (the key is not shown)"
            )
        for name in ("max_response_bytes", "max_list_pages"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(f"{name} must be a positive integer, got {value!r}")
        object.__setattr__(
            self, "base_url", normalise_base_url(self.base_url, insecure=self.insecure)
        )

    @classmethod
    def from_env(
        cls,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        insecure: bool = False,
        *,
        verify_tls: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> ClientSettings:
        """Settings from flags, falling back to the environment, then defaults."""
        env = os.environ if environ is None else environ
        key: str | SecretStr | None = api_key or env.get(ENV_API_KEY) or None
        if key is None or (isinstance(key, SecretStr) and not key.get_secret_value()):
            raise UserError(_missing_key_message())
        url = base_url or env.get(ENV_BASE_URL) or PRODUCTION_BASE_URL
        secret = key if isinstance(key, SecretStr) else SecretStr(key.strip())
        return cls(
            api_key=secret,
            base_url=url,
            insecure=insecure,
            verify_tls=verify_tls,
            max_response_bytes=_env_int(env, ENV_MAX_RESPONSE_BYTES, DEFAULT_MAX_RESPONSE_BYTES),
            max_list_pages=_env_int(env, ENV_MAX_LIST_PAGES, DEFAULT_MAX_LIST_PAGES),
        )

    def __repr__(self) -> str:
        return (
            f"ClientSettings(api_key=SecretStr('**********'), base_url={self.base_url!r}, "
            f"insecure={self.insecure!r}, verify_tls={self.verify_tls!r}, "
            f"max_response_bytes={self.max_response_bytes!r}, "
            f"max_list_pages={self.max_list_pages!r})"
        )

    __str__ = __repr__


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"{name} must be a positive whole number, got {raw[:40]!r}")
    return int(raw)


def _missing_key_message() -> str:
    return f"no API key: set {ENV_API_KEY} or pass --api-key (for a local try, use --sandbox)"
