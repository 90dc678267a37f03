"""Cents -> dollars for display (``123450`` -> ``$1,234.50``). Plans keep integer cents."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from vitable_config.domain.fields import CLASS_FIELDS

CENTS_FIELDS = tuple(f.name for f in CLASS_FIELDS)


@lru_cache(maxsize=4096)  # a plan shows the same few amounts in every plan year
def dollars(cents: int) -> str:
    """Integer cents as US dollars with thousands separators."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{rest:02d}"


def format_class(value: dict[str, Any]) -> str:
    """A contribution class dict as ``employee $120.00, employer $380.00``."""
    return ", ".join(
        f"{f.yaml_key} {dollars(value[f.name])}"
        for f in CLASS_FIELDS
        if value.get(f.name) is not None
    )
