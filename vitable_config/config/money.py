"""The one reader of money and of number-like text, for every way a value arrives.

A YAML literal, a rollout CSV cell, a ``--var``/``--var-file`` value and the
output of a Jinja expression all go through :func:`parse_cents` (amounts) and
:func:`scalar_from_text` (a CSV cell or ``--var`` value that might be a number),
so one spelling means one amount everywhere:

* a whole number is written in decimal, ``0`` or ``[1-9][0-9]*`` (``-`` allowed,
  refused later as a negative amount), at most 14 digits;
* dollars are ``"$450"`` or ``"$450.00"`` (no leading zeros: ``"$0450.00"`` is
  refused like ``0450``, ``"$0.50"`` is fine);
* anything else that *looks* like a number — a leading zero (``045000``, YAML 1.1
  octal), ``0x10``/``0o10``/``0b10``, ``1_000``, ``+100``, sexagesimal ``1:30``,
  ``450.00``, ``1e3`` — is an error whose message says how to write the amount
  (``write 45000 or "$450.00"``), never a silently different number.

The YAML loader (:mod:`vitable_config.config.yaml_loader`) resolves plain scalars
with :data:`DECIMAL_INT` too, so ``045000`` in a YAML file is the text
``"045000"``, never 18944.
"""

from __future__ import annotations

import re

CENTS_EXPECTED = 'a whole number of cents, e.g. 45000 or "$450.00"'
MAX_CENTS = 10**14 - 1  # the most "$999999999999.99" or 14 rendered digits can say

# The only spelling of a whole number: decimal, no leading zero, no sign but "-".
DECIMAL_INT_PATTERN = r"-?(?:0|[1-9][0-9]*)"
DECIMAL_INT = re.compile(rf"^{DECIMAL_INT_PATTERN}$")
_DOLLARS = re.compile(r"^\$(0|[1-9][0-9]{0,11})(?:\.([0-9]{2}))?$")
_DIGITS = re.compile(r"^(?:0|[1-9][0-9]{0,13})$")

# Text a reader might take for a number although it is not one of ours.
_LEADING_ZERO = re.compile(r"^[+-]?0[0-9_]+$")
_RADIX = re.compile(r"^[+-]?0[xXoObB][0-9a-fA-F_]*$")
_SEXAGESIMAL = re.compile(r"^[+-]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_SEPARATED = re.compile(r"^[+-]?[0-9][0-9_]*$")
_DECIMAL = re.compile(r"^[+-]?([0-9][0-9_]*)?\.([0-9_]*)$")
_EXPONENT = re.compile(r"^[+-]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][+-]?[0-9]+$")
_DOLLAR_LEADING_ZERO = re.compile(r"^\$0[0-9]+(?:\.[0-9]{2})?$")


# Amounts written as dollars ("$450.00"), already read: text -> cents. A config
# repeats the same few amounts thousands of times, and each is read twice (by the
# schema pass and by the builder). Bounded: texts of at most CENTS_MEMO_TEXT
# characters, at most CENTS_MEMO_MAX of them (then new texts are read, not kept).
CENTS_MEMO_MAX = 10_000
CENTS_MEMO_TEXT = 32
_CENTS_MEMO: dict[str, int] = {}

DECIMAL_FRACTION_PATTERN = r"-?(?:0|[1-9][0-9]*)\.[0-9]+"
DECIMAL_FRACTION = re.compile(rf"^{DECIMAL_FRACTION_PATTERN}$")


class DecimalNumber(float):
    """A decimal written in a file (``0.5`` in YAML, a CSV cell or ``--var``): a number
    for arithmetic (``{{ cents * share }}``), never an amount by itself — ``450.00``
    passed straight to an amount is refused (dollars or cents?), while arithmetic on
    it gives a plain float that is read as cents when it is whole."""

    text: str

    def __new__(cls, text: str) -> DecimalNumber:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


class MoneyError(ValueError):
    """A value that is not an amount; ``hint`` says how to write one."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def format_dollars(cents: int) -> str:
    """``45000`` → ``"$450.00"`` (the exact inverse of :func:`parse_cents`)."""
    return f"${cents // 100}.{cents % 100:02d}"


def scalar_from_text(text: str) -> int | DecimalNumber | str:
    """A CSV cell or ``--var`` value: an int when it is a decimal whole number
    (:data:`DECIMAL_INT`), a :class:`DecimalNumber` when it is a plain decimal
    (``0.5``, :data:`DECIMAL_FRACTION`), else the text itself.

    The YAML loader resolves plain scalars the same way, so ``045000``, ``0x10``,
    ``1:30``, ``1_000``, ``+5`` and ``4.5`` stay text everywhere; where an amount is
    expected, :func:`parse_cents` refuses them with a hint.
    """
    if DECIMAL_INT.fullmatch(text) and len(text.lstrip("-")) <= 4300:
        return int(text)
    if DECIMAL_FRACTION.fullmatch(text) and len(text) <= 40:
        return DecimalNumber(text)
    return text


def _write_as(cents: int) -> str:
    return f'write {cents} or "{format_dollars(cents)}"'


def number_like_hint(text: str) -> str | None:
    """How to write ``text`` as an amount, when it looks like a number that is not
    written as one (``045000`` → ``write 45000 or "$450.00"``); else None."""
    t = text.strip()
    generic = 'write the amount as whole cents (45000) or as dollars ("$450.00")'
    if _RADIX.fullmatch(t) or _SEXAGESIMAL.fullmatch(t) or _EXPONENT.fullmatch(t):
        return generic
    if _DOLLAR_LEADING_ZERO.fullmatch(t):
        dollars = t[1:].lstrip("0")
        if dollars[:1] in ("", "."):
            dollars = "0" + dollars
        match = _DOLLARS.fullmatch("$" + dollars)
        if match is None:
            return generic
        return _write_as(int(match.group(1)) * 100 + int(match.group(2) or 0))
    if DECIMAL_INT.fullmatch(t) and not t.startswith("-"):
        if len(t) > 14:
            return None
        return f'write {t} (unquoted: cents) or "{format_dollars(int(t))}"'
    if _LEADING_ZERO.fullmatch(t) or _SEPARATED.fullmatch(t):
        digits = t.lstrip("+").replace("_", "")
        if digits.startswith("-"):
            return "an amount cannot be negative"
        digits = digits.lstrip("0") or "0"
        if len(digits) > 14:
            return generic
        return _write_as(int(digits))
    match = _DECIMAL.fullmatch(t)
    if match and not t.startswith("-"):
        whole = (match.group(1) or "0").replace("_", "").lstrip("0") or "0"
        frac = match.group(2).replace("_", "")
        if len(frac) <= 2 and len(whole) <= 12:
            cents = int(whole) * 100 + int(frac.ljust(2, "0"))
            return f'write "{format_dollars(cents)}" (dollars) or {cents} (cents)'
        return generic
    return None


def known_cents(text: str) -> int | None:
    """The cents of a dollars text :func:`parse_cents` has read before (else None):
    ``parse_cents(text)`` without a call, for a text seen thousands of times."""
    return _CENTS_MEMO.get(text) if text.__class__ is str else None


def parse_cents(value: object, *, rendered: bool = False) -> int:
    """Integer cents from ``45000``, ``"$450.00"`` or ``"$450"``.

    ``rendered`` marks a value produced by a Jinja expression: there a float that
    is a whole number (``36000.0``) and a text of decimal digits (``"36000"``) are
    accepted too, because arithmetic and string building naturally produce them.
    The digits follow the same rule as everywhere: ``"045000"`` is refused.
    """
    if value.__class__ is str:
        known = _CENTS_MEMO.get(value)
        if known is not None:
            return known
    if isinstance(value, bool):
        raise MoneyError(f"expected {CENTS_EXPECTED}, got {show_value(value)}")
    if isinstance(value, DecimalNumber):
        value = value.text  # the decimal as written: refused below, with a hint
    if isinstance(value, int):
        if value < 0:
            raise MoneyError(f"expected {CENTS_EXPECTED} (at least 0), got {value}")
        if value > MAX_CENTS:
            raise MoneyError(f"expected {CENTS_EXPECTED} (at most {MAX_CENTS}), got {value}")
        return value
    if isinstance(value, float) and rendered and value.is_integer():
        return parse_cents(int(value))
    if isinstance(value, str):
        text = value.strip()
        match = _DOLLARS.fullmatch(text)
        if match:
            cents = int(match.group(1)) * 100 + int(match.group(2) or 0)
            if (
                value.__class__ is str
                and len(value) <= CENTS_MEMO_TEXT
                and len(_CENTS_MEMO) < CENTS_MEMO_MAX
            ):
                _CENTS_MEMO[value] = cents
            return cents
        if rendered and _DIGITS.fullmatch(text):
            return int(text)
        hint = number_like_hint(text)
        if hint is not None:
            raise MoneyError(
                f"expected {CENTS_EXPECTED}, got {show_value(value)}, which is not a number "
                f"here ({_why(text)}): {hint}",
                hint,
            )
    raise MoneyError(f"expected {CENTS_EXPECTED}, got {show_value(value)}")


def _why(text: str) -> str:
    t = text.strip()
    if DECIMAL_INT.fullmatch(t) and not t.startswith("-"):
        return "quoted digits are ambiguous: dollars or cents?"
    if _DOLLAR_LEADING_ZERO.fullmatch(t) or _LEADING_ZERO.fullmatch(t):
        return "a leading zero is not allowed; YAML 1.1 would read it as octal"
    if _RADIX.fullmatch(t):
        return "hex, octal and binary are not amounts"
    if _SEXAGESIMAL.fullmatch(t):
        return "a colon makes it a time (sexagesimal) in YAML 1.1"
    if _EXPONENT.fullmatch(t):
        return "exponents are not amounts"
    if "_" in t:
        return "'_' separators are not allowed"
    if t.startswith("+"):
        return "a '+' sign is not allowed"
    if t.startswith("-"):
        return "amounts are at least 0"
    return "a decimal point is not allowed in cents; dollars are written with '$'"


def show_value(value: object) -> str:
    """A value as a message shows it (text quoted and shortened, types named)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, float):
        return f"{value!r} (a decimal number)"
    if value is None:
        return "nothing (null)"
    return repr(value)
