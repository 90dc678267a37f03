"""Leaf value parsing shared by schema validation and the merge: cents and dates.

Amounts and number-like text are read by :mod:`vitable_config.config.money` (one
parser for YAML, CSV, ``--var`` and Jinja output); it is re-exported here.

Each parser raises :class:`ValueError` with a message that says what was
expected, so schema errors and post-render errors read the same.
"""

from __future__ import annotations

from datetime import date, datetime

from vitable_config.config.money import (
    CENTS_EXPECTED,
    MAX_CENTS,
    MoneyError,
    format_dollars,
    parse_cents,
    scalar_from_text,
    show_value,
)

DATE_EXPECTED = "a date written YYYY-MM-DD, e.g. 2027-01-01"

__all__ = [
    "CENTS_EXPECTED",
    "DATE_EXPECTED",
    "MAX_CENTS",
    "MoneyError",
    "format_dollars",
    "is_template",
    "parse_cents",
    "parse_date",
    "scalar_from_text",
    "show_value",
]


def is_template(value: object) -> bool:
    """True when ``value`` is a string containing a Jinja expression or statement."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


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
    raise ValueError(f"expected {DATE_EXPECTED}, got {show_value(value)}")
