"""Leaf value parsing shared by schema validation and the merge: cents and dates.

Each parser raises :class:`ValueError` with a message that says what was
expected, so schema errors and post-render errors read the same.
"""

from __future__ import annotations

import re
from datetime import date, datetime

CENTS_EXPECTED = 'a whole number of cents, e.g. 45000 or "$450.00"'
DATE_EXPECTED = "a date written YYYY-MM-DD, e.g. 2027-01-01"

_DOLLARS = re.compile(r"^\$(\d{1,12})(?:\.(\d{2}))?$")
_DIGITS = re.compile(r"^\d{1,14}$")
MAX_CENTS = 10**14 - 1  # the most "$999999999999.99" or 14 rendered digits can say


def is_template(value: object) -> bool:
    """True when ``value`` is a string containing a Jinja expression or statement."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def parse_cents(value: object, *, rendered: bool = False) -> int:
    """Integer cents from ``45000``, ``"$450.00"`` or ``"$450"``.

    ``rendered`` marks a value produced by a Jinja expression: there a float that
    is a whole number (``36000.0``) and a string of digits (``"36000"``) are
    accepted too, because arithmetic naturally produces them.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {CENTS_EXPECTED}, got {_show(value)}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"expected {CENTS_EXPECTED} (at least 0), got {value}")
        if value > MAX_CENTS:
            raise ValueError(f"expected {CENTS_EXPECTED} (at most {MAX_CENTS}), got {value}")
        return value
    if isinstance(value, float) and rendered and value.is_integer():
        return parse_cents(int(value))
    if isinstance(value, str):
        text = value.strip()
        match = _DOLLARS.match(text)
        if match:
            return int(match.group(1)) * 100 + int(match.group(2) or 0)
        if rendered and _DIGITS.match(text):
            return int(text)
    raise ValueError(f"expected {CENTS_EXPECTED}, got {_show(value)}")


def parse_date(value: object) -> date:
    """A :class:`date` from a YAML date or a ``YYYY-MM-DD`` string."""
    if isinstance(value, datetime):
        raise ValueError(f"expected {DATE_EXPECTED} without a time, got {value.isoformat()}")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected {DATE_EXPECTED}, got {_show(value)}")


def format_dollars(cents: int) -> str:
    """``45000`` → ``"$450.00"`` (the exact inverse of :func:`parse_cents`)."""
    return f"${cents // 100}.{cents % 100:02d}"


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, float):
        return f"{value!r} (a decimal number)"
    if value is None:
        return "nothing (null)"
    return repr(value)
