"""Cents -> dollars for display (``123450`` -> ``$1,234.50``). Plans keep integer cents."""

from __future__ import annotations

from typing import Any

CENTS_FIELDS = ("employee_contribution_cents", "employer_contribution_cents")


def dollars(cents: int) -> str:
    """Integer cents as US dollars with thousands separators."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{rest:02d}"


def format_class(value: dict[str, Any]) -> str:
    """A contribution class dict as ``employee $120.00, employer $380.00``."""
    employee = value.get("employee_contribution_cents")
    employer = value.get("employer_contribution_cents")
    parts = []
    if employee is not None:
        parts.append(f"employee {dollars(employee)}")
    if employer is not None:
        parts.append(f"employer {dollars(employer)}")
    return ", ".join(parts)
