"""The one place secrets are recognised and removed from text, and API keys are checked.

Every text that comes from the server or from a library (error messages,
``app_error_code``, ``trace_id``, reason phrases, exception text, log lines) goes
through :func:`redact` before it is printed, logged or written. A secret is found
in any letter case and in the encodings it can take on its way back from a server:
URL-encoded (``%2B``, ``+`` for spaces), JSON-escaped (``\\/``).

:func:`check_api_key` refuses, at start-up and without echoing it, a key that could
never be sent as an HTTP header value (whitespace, control or non-ASCII characters):
such a key used to end in a traceback or inside an httpx exception message.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 4  # shorter "secrets" would redact ordinary words

# Characters removed from server-supplied text before it is shown: C0/C1 controls
# (except tab/newline/CR, which become spaces in one-line contexts), DEL, and the
# Unicode bidirectional overrides and isolates (they reorder what a reader sees).
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# Every character strip_controls changes: the Cc category (U+0000-U+001F, U+007F-U+009F)
# and the bidi controls. A text without any is returned as it is (most texts).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI + "]")


def _variants(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


@lru_cache(maxsize=32)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            forms |= _variants(secret)
    if not forms:
        return None
    # Longest first, so that an encoded form is replaced whole, not in part.
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(alternatives, re.IGNORECASE)


def redact(text: str, secrets: str | Iterable[str], *, marker: str = REDACTED) -> str:
    """``text`` with every occurrence of each secret (any case, URL-encoded or
    JSON-escaped) replaced by ``marker``. Secrets shorter than 4 characters are ignored."""
    if not text:
        return text
    key = (secrets,) if isinstance(secrets, str) else tuple(s for s in secrets if s)
    pattern = _pattern(key)
    if pattern is None:
        return text
    return pattern.sub(marker, text)


def strip_controls(text: str, *, newlines: bool = False) -> str:
    """Remove control characters (and bidi overrides) from ``text``.

    Tabs become spaces; with ``newlines=False`` (one-line contexts) newlines and
    carriage returns become spaces too, so a server string cannot start a new line.
    """
    if _CONTROLS.search(text) is None:
        return text
    out: list[str] = []
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


def server_text(value: object, secret: str | Iterable[str], *, limit: int = 300) -> str:
    """A server-supplied value made safe to show: secrets redacted, control
    characters removed, at most ``limit`` characters."""
    # Redacted before and after the controls are removed: a key split by a NUL is
    # whole again once the NUL is gone.
    text = redact(strip_controls(redact(str(value), secret)), secret)
    return text if len(text) <= limit else text[:limit] + "…"


def describe_exception(exc: BaseException, secret: str | Iterable[str]) -> str:
    """``Type: message`` of a library exception, redacted and on one line."""
    detail = server_text(str(exc), secret)
    name = type(exc).__name__
    return f"{name}: {detail}" if detail else name


def api_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an API key (never quoting it), or None when it can."""
    if not key:
        return "the API key is empty"
    for index, char in enumerate(key, start=1):
        if char.isspace():
            return f"the API key contains whitespace (character {index})"
        if unicodedata.category(char) == "Cc" or char == "\x7f":
            return f"the API key contains a control character (character {index})"
        if not char.isascii():
            return f"the API key contains a non-ASCII character (character {index})"
    return None


def scrub_files(paths: Iterable[str], secrets: Iterable[str]) -> int:
    """Redact ``secrets`` from each file in place; return how many files changed."""
    from pathlib import Path

    keys = tuple(s for s in secrets if s)
    changed = 0
    for name in paths:
        path = Path(name)
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        clean = redact(text, keys)
        if clean != text:
            path.write_text(clean, encoding="utf-8", errors="surrogateescape")
            changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m vitable_config.api.redaction FILE...``: redact the API key (from
    ``VITABLE_CONNECT_API_KEY``) from files in place, e.g. CI artifacts. Prints nothing."""
    import os
    import sys

    args = sys.argv[1:] if argv is None else argv
    key = os.environ.get("VITABLE_CONNECT_API_KEY", "").strip()
    scrub_files(args, [key] if key else [])
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
