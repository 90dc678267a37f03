"""The one redaction function, API-key checks, and what the client does with echoed keys."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from vitable_config.api import ClientSettings, RetryPolicy, VitableClient
from vitable_config.api.errors import ApiError, TransportError
from vitable_config.api.redaction import (
    REDACTED,
    api_key_problem,
    describe_exception,
    redact,
    server_text,
    strip_controls,
)
from vitable_config.cli.options import verbose_logging
from vitable_config.errors import UserError
from vitable_config.gitops.comment import redact as comment_redact

KEY = "vc_Test_0a1B2c3D+/=4e5F"
FAST = RetryPolicy(max_retries=1, wait_initial=0.001, wait_max=0.002, wait_jitter=0.001)


@pytest.mark.parametrize(
    "form",
    [
        KEY,
        KEY.upper(),
        KEY.lower(),
        KEY.swapcase(),
        quote(KEY, safe=""),
        quote(KEY, safe="").lower(),
        quote_plus(KEY),
        quote(KEY),
        json.dumps(KEY)[1:-1],
    ],
    ids=["same", "upper", "lower", "swapcase", "url", "url-lower", "url-plus", "url-path", "json"],
)
def test_every_form_of_the_key_is_redacted(form: str) -> None:
    text = f"before {form} after"
    assert redact(text, KEY) == f"before {REDACTED} after"
    assert redact(text, [KEY, "other-secret"]) == f"before {REDACTED} after"


def test_redact_leaves_other_text_and_short_secrets_alone() -> None:
    assert redact("nothing secret here", KEY) == "nothing secret here"
    assert redact("a b c", "b") == "a b c"  # under 4 characters: never a real secret
    assert redact("", KEY) == ""
    assert redact("x", []) == "x"


def test_the_other_redactors_are_the_same_function() -> None:
    assert comment_redact(f"key={KEY.upper()}", [KEY]) == "key=***"
    logger = logging.getLogger("vitable_config.http")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    with verbose_logging(True, KEY):
        handler = logger.handlers[-1]
        keep = Keep()
        for flt in handler.filters:
            keep.addFilter(flt)
        logger.addHandler(keep)
        try:
            logger.debug("echo %s", quote(KEY, safe=""))
        finally:
            logger.removeHandler(keep)
    assert records == [f"echo {REDACTED}"]


def test_a_key_split_by_control_characters_is_redacted_once_whole() -> None:
    split = KEY[:6] + "\x00" + KEY[6:]
    assert KEY not in server_text(split, KEY)
    assert REDACTED in server_text(split, KEY)


def test_server_text_is_one_line_and_bounded() -> None:
    text = server_text("a\nb\r\x1b[2Jc\u202ed" + "x" * 1000, KEY, limit=20)
    assert "\n" not in text and "\r" not in text and "\x1b" not in text and "\u202e" not in text
    assert len(text) <= 21
    assert strip_controls("l1\nl2\x07", newlines=True) == "l1\nl2"


def test_library_exception_text_is_redacted() -> None:
    exc = httpx.LocalProtocolError(f"Illegal header value b'Bearer {KEY}'")
    text = describe_exception(exc, KEY)
    assert text.startswith("LocalProtocolError: ") and KEY not in text


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("vc_test_ab\ncd", "whitespace (character 11)"),
        ("vc_test_ab cd", "whitespace"),
        ("vc_test_\tab", "whitespace"),
        ("vc_test_\x00ab", "a control character"),
        ("vc_test_\x7fab", "a control character"),
        ("vc_test_ключ", "a non-ASCII character (character 9)"),
        ("vc_test_\u200bab", "a non-ASCII character"),
    ],
)
def test_keys_that_cannot_be_headers_are_refused_without_echo(key: str, problem: str) -> None:
    assert problem in (api_key_problem(key) or "")
    with pytest.raises(UserError) as info:
        ClientSettings.from_env(api_key=key, base_url="http://127.0.0.1:9", environ={})
    message = info.value.format()
    assert "invalid API key" in message and problem in message
    assert key not in message and key.strip() not in message
    assert key[8:] not in message  # no fragment of the key either


def test_surrounding_whitespace_is_still_trimmed_from_the_environment() -> None:
    settings = ClientSettings.from_env(
        base_url="http://127.0.0.1:9", environ={"VITABLE_CONNECT_API_KEY": f"  {KEY}\n"}
    )
    assert settings.api_key.get_secret_value() == KEY


def test_limits_are_configurable_and_checked() -> None:
    env = {
        "VITABLE_CONNECT_API_KEY": KEY,
        "VITABLE_CONNECT_MAX_RESPONSE_BYTES": "1024",
        "VITABLE_CONNECT_MAX_LIST_PAGES": "7",
    }
    settings = ClientSettings.from_env(base_url="http://127.0.0.1:9", environ=env)
    assert (settings.max_response_bytes, settings.max_list_pages) == (1024, 7)
    assert KEY not in repr(settings)
    with pytest.raises(UserError, match="VITABLE_CONNECT_MAX_LIST_PAGES must be a positive"):
        ClientSettings.from_env(
            base_url="http://127.0.0.1:9", environ={**env, "VITABLE_CONNECT_MAX_LIST_PAGES": "0"}
        )


async def test_echoed_key_in_every_error_field_is_redacted() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["authorization"].removeprefix("Bearer ")
        body = {
            "message": f"denied {echoed.upper()}",
            "error": "denied",
            "app_error_code": f"bad_key_{echoed}",
            "trace_id": f"tr_{quote(echoed, safe='')}\n\x1b[31m",
        }
        return httpx.Response(403, json=body, headers={"x-echo": echoed})

    settings = ClientSettings.from_env(api_key=KEY, base_url="http://127.0.0.1:9", environ={})
    async with VitableClient(
        settings, transport=httpx.MockTransport(handler), retry_policy=FAST
    ) as client:
        with pytest.raises(ApiError) as info:
            await client.get_employer("empr_1")
    error = info.value
    texts = [
        str(error),
        repr(error),
        error.message,
        error.app_error_code or "",
        error.trace_id or "",
    ]
    for text in texts:
        assert KEY.lower() not in text.lower()
        assert quote(KEY, safe="").lower() not in text.lower()
        assert "\n" not in text and "\x1b" not in text
    assert error.app_error_code == f"bad_key_{REDACTED}"


async def test_a_non_network_library_error_is_wrapped_not_raised_raw() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.DecodingError(f"bad gzip near {KEY}", request=request)

    settings = ClientSettings.from_env(api_key=KEY, base_url="http://127.0.0.1:9", environ={})
    async with VitableClient(
        settings, transport=httpx.MockTransport(handler), retry_policy=FAST
    ) as client:
        with pytest.raises(TransportError, match="DecodingError") as info:
            await client.list_employers()
    assert KEY not in str(info.value)


def test_scrubbing_ci_artifacts_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vitable_config.api.redaction import main

    root = tmp_path
    log = root / "stderr.log"
    log.write_text(f"error: 403 [bad_key_{KEY.upper()}]\n", encoding="utf-8")
    clean = root / "plan.md"
    clean.write_text("nothing to hide\n", encoding="utf-8")
    monkeypatch.setenv("VITABLE_CONNECT_API_KEY", KEY)
    assert main([str(log), str(clean), str(root / "missing.log")]) == 0
    assert log.read_text(encoding="utf-8") == f"error: 403 [bad_key_{REDACTED}]\n"
    assert clean.read_text(encoding="utf-8") == "nothing to hide\n"


def test_a_crash_log_never_holds_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The crash log recorded the command line: `--api-key KEY` went into it as typed.
    from vitable_config.cli.exits import CRASH_LOG_ENV, write_crash_log

    env_key = "vc_env_" + KEY[::-1]
    monkeypatch.setenv(CRASH_LOG_ENV, str(tmp_path / "crash.log"))
    monkeypatch.setenv("VITABLE_CONNECT_API_KEY", env_key)
    try:
        raise RuntimeError(f"bug near {quote(KEY, safe='')} and {env_key.upper()}")
    except RuntimeError as exc:
        path = write_crash_log(exc, ["plan", "cfg", "--api-key", KEY, f"--api-key={KEY}"])
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert "RuntimeError" in text and "--api-key ***" in text
    for secret in (KEY, env_key):
        assert secret.lower() not in text.lower()
        assert quote(secret, safe="").lower() not in text.lower()


def _strip_controls_reference(text: str, newlines: bool) -> str:
    """strip_controls as first written: character by character, by Unicode category."""
    import unicodedata

    from vitable_config.api.redaction import _BIDI

    out = []
    for char in text:
        if char == "\n" and newlines:
            out.append(char)
        elif char in "\t\n\r":
            out.append(" ")
        elif char in _BIDI or unicodedata.category(char) == "Cc":
            continue
        else:
            out.append(char)
    return "".join(out)


@pytest.mark.parametrize("newlines", [False, True])
def test_strip_controls_fast_path_is_exact_for_every_code_point(newlines: bool) -> None:
    """The shortcut for texts without controls changes nothing: each code point alone,
    and inside text, gives what the per-character rule gives."""
    import sys

    from vitable_config.api.redaction import strip_controls

    # Every code point of the BMP (all controls and bidi marks are there), a sample beyond.
    for code in [*range(0x10000), *range(0x10000, sys.maxunicode + 1, 97)]:
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        for text in (char, f"a{char}b"):
            assert strip_controls(text, newlines=newlines) == _strip_controls_reference(
                text, newlines
            ), hex(code)
