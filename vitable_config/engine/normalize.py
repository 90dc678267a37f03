"""Normalise desired and live plan years to one comparable shape.

Both sides become plain JSON-ready dicts holding ONLY the fields the config
declares (the compared fields of :mod:`vitable_config.domain.fields`), so
server-owned fields (ids, ``plans``, timestamps) can never show up as changes,
and formatting differences (date objects vs strings, class order, ``5`` vs
``5.0``) can never cause a perpetual diff::

    {
        "coverage_end": "2027-12-31",
        "open_enrollment_start": "2026-12-01",
        ...                                     # every compared field, in table order
        "status": "draft",                      # only when the desired plan year sets it
        "contribution_classes": {
            "full_time": {"EE": {<employee cents>: 12000, <employer cents>: 38000}},
        },
    }
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from operator import attrgetter
from typing import Any

from vitable_config.api.models import PlanYear
from vitable_config.desired import DesiredClass, DesiredPlanYear
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import TIER_ORDER

Normalized = dict[str, Any]

CLASSES = F.CLASSES


def iso_date(value: date | str) -> str:
    """``date`` or ``YYYY-MM-DD`` string -> canonical ISO string."""
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()


def cents(value: Any) -> int:
    """Integer cents; refuses non-integral values rather than silently rounding."""
    if isinstance(value, bool):
        raise TypeError(f"cents must be an integer, got {value!r}")
    number = int(value)
    if number != value:
        raise ValueError(f"cents must be a whole number, got {value!r}")
    return number


# Precomputed from the field table (this runs for every plan year of large estates):
# (canonical name, response attribute, is a date, optional) of each compared field.
_COMPARED = tuple((f.name, f.response_name, f.kind == "date", f.optional) for f in F.COMPARED)
_AMOUNT_NAMES = tuple(f.name for f in F.CLASS_FIELDS)
_class_key = attrgetter(F.EMPLOYMENT, F.TIER)


def _compile_amounts() -> Callable[[Any], dict[str, int]]:
    """``cls -> {<amount name>: cls.<amount name>, ...}`` for the table's class fields,
    compiled once (as dataclasses does): this runs for every class of every plan year."""
    body = ", ".join(f"{name!r}: cls.{name}" for name in _AMOUNT_NAMES)
    namespace: dict[str, Any] = {}
    exec(f"def amounts(cls):\n    return {{{body}}}\n", namespace)
    compiled: Callable[[Any], dict[str, int]] = namespace["amounts"]
    return compiled


_class_amounts = _compile_amounts()


def _class_order(cls: Any) -> tuple[str, int, str]:
    employment, tier = _class_key(cls)
    return (employment, TIER_ORDER.get(tier, 99), tier)


def _classes(items: Iterable[Any], *, check: bool) -> dict[str, dict[str, dict[str, int]]]:
    """Class objects (desired or live) grouped employment -> tier -> amounts, in order.
    ``check``: make sure each amount is whole cents (live ones already are: pydantic)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for cls in sorted(items, key=_class_order):
        employment, tier = _class_key(cls)
        amounts = _class_amounts(cls)
        if check:
            amounts = {name: cents(value) for name, value in amounts.items()}
        out.setdefault(employment, {})[tier] = amounts
    return out


def normalize_desired_classes(
    classes: dict[tuple[str, str], DesiredClass],
) -> dict[str, dict[str, dict[str, int]]]:
    return _classes(classes.values(), check=True)


def normalize_desired(plan_year: DesiredPlanYear) -> Normalized:
    """The declared fields of a desired plan year in the canonical shape."""
    result: Normalized = {}
    for name, _response, is_date, optional in _COMPARED:
        value = getattr(plan_year, name)
        if value is None and optional:
            continue
        result[name] = iso_date(value) if is_date else value
    result[CLASSES] = _classes(plan_year.contribution_classes.values(), check=True)
    return result


def normalize_live(plan_year: PlanYear, *, include_status: bool) -> Normalized:
    """The same fields read from a live plan year (through each field's response name).
    Optional fields (status) are included only when the desired side declares them."""
    result: Normalized = {}
    for name, response, is_date, optional in _COMPARED:
        if optional and not include_status:
            continue
        value = getattr(plan_year, response)
        result[name] = value.isoformat() if is_date else value
    result[CLASSES] = _classes(plan_year.contribution_classes, check=False)
    return result
