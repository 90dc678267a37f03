"""Normalise desired and live plan years to one comparable shape.

Both sides become plain JSON-ready dicts holding ONLY the fields the config
declares, so server-owned fields (ids, ``plans``, timestamps) can never show up
as changes, and formatting differences (date objects vs strings, class order,
``5`` vs ``5.0``) can never cause a perpetual diff::

    {
        "coverage_end": "2027-12-31",
        "open_enrollment_start": "2026-12-01",
        "open_enrollment_end": "2026-12-15",
        "status": "draft",                      # only when the desired plan year sets it
        "contribution_classes": {
            "full_time": {"EE": {"employee_contribution_cents": 12000,
                                 "employer_contribution_cents": 38000}},
        },
    }
"""

from __future__ import annotations

from datetime import date
from typing import Any

from vitable_config.api.models import COVERAGE_TIERS, ContributionClass, PlanYear
from vitable_config.desired import DesiredClass, DesiredPlanYear

Normalized = dict[str, Any]

CLASSES = "contribution_classes"
EMPLOYEE_CENTS = "employee_contribution_cents"
EMPLOYER_CENTS = "employer_contribution_cents"
# Declared top-level scalar fields, in display order (status is conditional).
_TIER_ORDER = {tier: i for i, tier in enumerate(COVERAGE_TIERS)}
DATE_FIELDS: tuple[str, ...] = ("coverage_end", "open_enrollment_start", "open_enrollment_end")


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


def _class_entry(employee: Any, employer: Any) -> dict[str, int]:
    return {EMPLOYEE_CENTS: cents(employee), EMPLOYER_CENTS: cents(employer)}


def normalize_desired_classes(
    classes: dict[tuple[str, str], DesiredClass],
) -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = {}
    ordered = sorted(
        classes.values(),
        key=lambda c: (c.employment, _TIER_ORDER.get(c.family_status, 99), c.family_status),
    )
    for cls in ordered:
        out.setdefault(cls.employment, {})[cls.family_status] = _class_entry(
            cls.employee_contribution_cents, cls.employer_contribution_cents
        )
    return out


def normalize_desired(plan_year: DesiredPlanYear) -> Normalized:
    """The declared fields of a desired plan year in the canonical shape."""
    result: Normalized = {
        "coverage_end": iso_date(plan_year.coverage_end),
        "open_enrollment_start": iso_date(plan_year.open_enrollment_start),
        "open_enrollment_end": iso_date(plan_year.open_enrollment_end),
    }
    if plan_year.status is not None:
        result["status"] = plan_year.status
    result[CLASSES] = normalize_desired_classes(plan_year.contribution_classes)
    return result


def _class_sort_key(cls: ContributionClass) -> tuple[str, int, str]:
    return (cls.employment, _TIER_ORDER.get(cls.family_status, 99), cls.family_status)


def normalize_live(plan_year: PlanYear, *, include_status: bool) -> Normalized:
    """The same fields read from a live plan year (response field names differ:
    ``open_enrollment_start_date`` / ``_end_date``). Pydantic already made the
    cents integers, so classes are only sorted and regrouped."""
    result: Normalized = {
        "coverage_end": plan_year.coverage_end.isoformat(),
        "open_enrollment_start": plan_year.open_enrollment_start_date.isoformat(),
        "open_enrollment_end": plan_year.open_enrollment_end_date.isoformat(),
    }
    if include_status:
        result["status"] = plan_year.status
    classes: dict[str, dict[str, dict[str, int]]] = {}
    for cls in sorted(plan_year.contribution_classes, key=_class_sort_key):
        classes.setdefault(cls.employment, {})[cls.family_status] = {
            EMPLOYEE_CENTS: cls.employee_contribution_cents,
            EMPLOYER_CENTS: cls.employer_contribution_cents,
        }
    result[CLASSES] = classes
    return result
