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

from collections.abc import Iterable
from datetime import date
from typing import Any

from vitable_config.api.models import PlanYear
from vitable_config.desired import DesiredClass, DesiredPlanYear
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import class_sort_key

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


def _scalar(f: F.PlanYearField, value: Any) -> Any:
    return iso_date(value) if f.kind == "date" else value


def _classes(items: Iterable[Any], *, check: bool) -> dict[str, dict[str, dict[str, int]]]:
    """Class objects (desired or live) grouped employment -> tier -> amounts, in order.
    ``check``: make sure each amount is whole cents (live ones already are: pydantic)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    names = [f.name for f in F.CLASS_FIELDS]
    for cls in sorted(items, key=lambda c: class_sort_key(*F.class_key(c))):
        employment, tier = F.class_key(cls)
        amounts = {name: getattr(cls, name) for name in names}
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
    result: Normalized = {
        name: _scalar(F.BY_NAME[name], value)
        for name, value in F.desired_values(plan_year, F.COMPARED)
    }
    result[CLASSES] = _classes(plan_year.contribution_classes.values(), check=True)
    return result


def normalize_live(plan_year: PlanYear, *, include_status: bool) -> Normalized:
    """The same fields read from a live plan year (through each field's response name).
    Optional fields (status) are included only when the desired side declares them."""
    result: Normalized = {
        f.name: _scalar(f, F.live_value(plan_year, f))
        for f in F.COMPARED
        if include_status or not f.optional
    }
    result[CLASSES] = _classes(plan_year.contribution_classes, check=False)
    return result
