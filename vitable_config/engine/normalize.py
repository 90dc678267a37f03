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


def _compile_classes() -> Callable[..., dict[str, dict[str, dict[str, int]]]]:
    """``(classes, check) -> {employment: {tier: {<amount name>: cents, ...}}}``, in
    (employment, tier order, tier) order, compiled once from the field table (as
    dataclasses does): this runs for every class of every plan year. Rows carry their
    input position, so classes with the same key keep their input order (a stable
    sort; the last one wins) and the sort never compares the class objects."""
    amounts = ", ".join(f"{name!r}: cls.{name}" for name in _AMOUNT_NAMES)
    source = f"""\
def classes(items, check):
    rows = sorted([
        (cls.{F.EMPLOYMENT}, rank(cls.{F.TIER}, 99), cls.{F.TIER}, i, cls)
        for i, cls in enumerate(items)
    ])
    out = {{}}
    for employment, _rank, tier, _i, cls in rows:
        amounts = {{{amounts}}}
        if check:
            for value in amounts.values():
                if type(value) is not int:
                    amounts = {{name: cents(value) for name, value in amounts.items()}}
                    break
        group = out.get(employment)
        if group is None:
            group = out[employment] = {{}}
        group[tier] = amounts
    return out
"""
    namespace: dict[str, Any] = {"rank": TIER_ORDER.get, "cents": cents}
    exec(source, namespace)
    compiled: Callable[..., dict[str, dict[str, dict[str, int]]]] = namespace["classes"]
    return compiled


_compiled_classes = _compile_classes()


def _classes(items: Iterable[Any], *, check: bool) -> dict[str, dict[str, dict[str, int]]]:
    """Class objects (desired or live) grouped employment -> tier -> amounts, in order.
    ``check``: make sure each amount is whole cents (live ones already are: pydantic)."""
    return _compiled_classes(items, check)


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
