"""Plan-year rules that need more than one field (sandbox rules 1, 3 and 4).

Status follows the sandbox clock ``today`` (inclusive boundaries):

=====================  ==========================================================
``draft``              ``today < open_enrollment_start``
``open_enrollment``    ``open_enrollment_start <= today <= open_enrollment_end``
``active``             ``open_enrollment_end < today <= coverage_end``
``expired``            ``coverage_end < today``
=====================  ==========================================================

A PUT of ``status`` may move a plan year forward (never back); the effective
status is the later of the calendar status and the last status set by PUT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from vitable_config.api.models import PLAN_YEAR_STATUSES, ContributionClassInput

STATUS_RANK: dict[str, int] = {name: rank for rank, name in enumerate(PLAN_YEAR_STATUSES)}


def calendar_status_rank(today: date, oe_start: date, oe_end: date, coverage_end: date) -> int:
    if today < oe_start:
        return 0
    if today <= oe_end:
        return 1
    if today <= coverage_end:
        return 2
    return 3


def effective_status(
    today: date, oe_start: date, oe_end: date, coverage_end: date, floor_rank: int
) -> str:
    rank = max(floor_rank, calendar_status_rank(today, oe_start, oe_end, coverage_end))
    return PLAN_YEAR_STATUSES[rank]


def date_order_problems(
    oe_start: date, oe_end: date, coverage_start: date, coverage_end: date
) -> list[str]:
    """``open_enrollment_start <= open_enrollment_end <= coverage_start < coverage_end``."""
    problems: list[str] = []
    if oe_start > oe_end:
        problems.append(
            f"open_enrollment_start: must be on or before open_enrollment_end "
            f"({oe_end.isoformat()}), got {oe_start.isoformat()}"
        )
    if oe_end > coverage_start:
        problems.append(
            f"open_enrollment_end: must be on or before coverage_start "
            f"({coverage_start.isoformat()}), got {oe_end.isoformat()}"
        )
    if coverage_start >= coverage_end:
        problems.append(
            f"coverage_end: must be after coverage_start ({coverage_start.isoformat()}), "
            f"got {coverage_end.isoformat()}"
        )
    return problems


def class_problems(
    classes: Sequence[ContributionClassInput], *, tier_field: str = "family_status"
) -> list[str]:
    """At least one class; one class per (employment, tier). ``tier_field`` is the
    wire name of the tier in the messages (``coverage_tier`` in dialect 2026-02)."""
    if not classes:
        return ["contribution_classes: at least one contribution class is required"]
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for index, cls in enumerate(classes):
        key = (cls.employment, cls.family_status)
        if key in seen:
            problems.append(
                f"contribution_classes[{index}]: duplicate class for employment "
                f"{cls.employment!r} and {tier_field} {cls.family_status!r} "
                f"(already given at contribution_classes[{seen[key]}]); "
                f"each (employment, {tier_field}) pair may appear once"
            )
        else:
            seen[key] = index
        if not cls.employment.strip():
            problems.append(f"contribution_classes[{index}].employment: must not be blank")
    return problems


def coverage_overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Inclusive date ranges overlap (a plan year ending 12-31 and one starting
    the next 01-01 do not)."""
    return a_start <= b_end and b_start <= a_end
