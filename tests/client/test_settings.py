"""ClientSettings: flags over environment, transport safety, no key in repr."""

from __future__ import annotations

import pytest

from vitable_config.api import PRODUCTION_BASE_URL, ClientSettings, VitableClient
from vitable_config.api.errors import InsecureTransportError
from vitable_config.errors import UserError

KEY = "sk_test_SETTINGS_9f8e7d6c5b4a"


def test_env_is_read_and_flags_override_it() -> None:
    env = {
        "VITABLE_CONNECT_API_KEY": KEY,
        "VITABLE_CONNECT_BASE_URL": "https://api.uat.vitablehealth.com/",
    }
    from_env = ClientSettings.from_env(environ=env)
    assert from_env.api_key.get_secret_value() == KEY
    assert from_env.base_url == "https://api.uat.vitablehealth.com"
    flagged = ClientSettings.from_env(api_key="other", base_url="https://example.test", environ=env)
    assert flagged.api_key.get_secret_value() == "other"
    assert flagged.base_url == "https://example.test"


def test_default_base_url_is_production() -> None:
    settings = ClientSettings.from_env(environ={"VITABLE_CONNECT_API_KEY": KEY})
    assert settings.base_url == PRODUCTION_BASE_URL == "https://api.vitablehealth.com"


def test_missing_key_is_a_user_error_naming_the_variable() -> None:
    with pytest.raises(UserError, match="VITABLE_CONNECT_API_KEY"):
        ClientSettings.from_env(environ={})
    with pytest.raises(UserError, match="--api-key"):
        ClientSettings.from_env(api_key="", environ={"VITABLE_CONNECT_API_KEY": ""})


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://127.9.9.9", "http://localhost:1234/", "http://[::1]:9000"],
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    settings = ClientSettings.from_env(api_key=KEY, base_url=url, environ={})
    assert settings.base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://api.vitablehealth.com", "http://10.0.0.5:8080", "http://localhost.evil.com"]
)
def test_plain_http_elsewhere_is_refused_unless_insecure(url: str) -> None:
    with pytest.raises(InsecureTransportError) as info:
        ClientSettings.from_env(api_key=KEY, base_url=url, environ={})
    assert "https" in str(info.value) and "--insecure" in str(info.value)
    assert KEY not in str(info.value)
    allowed = ClientSettings.from_env(api_key=KEY, base_url=url, insecure=True, environ={})
    assert allowed.base_url == url


@pytest.mark.parametrize("url", ["ftp://x.test", "api.vitablehealth.com", "https://u:p@x.test"])
def test_malformed_base_url_is_a_user_error(url: str) -> None:
    with pytest.raises(UserError, match="base URL"):
        ClientSettings.from_env(api_key=KEY, base_url=url, environ={})


def test_constructing_directly_also_checks_transport() -> None:
    with pytest.raises(InsecureTransportError):
        ClientSettings(api_key=KEY, base_url="http://api.example.test")  # type: ignore[arg-type]


async def test_key_never_in_repr_or_str() -> None:
    settings = ClientSettings.from_env(api_key=KEY, base_url="http://127.0.0.1:1", environ={})
    assert isinstance(settings.api_key.get_secret_value(), str)
    async with VitableClient(settings) as client:
        texts = [repr(settings), str(settings), repr(settings.api_key), repr(client), str(client)]
        texts.append(repr(client._http.headers))
    for text in texts:
        assert KEY not in text
    assert "127.0.0.1" in repr(client)
