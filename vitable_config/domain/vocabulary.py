"""The domain's enumerations and orders, defined once.

Shared by the config language, the API models, the engine and the renderers.
Nothing here knows about YAML, HTTP or click.
"""

from __future__ import annotations

from typing import Literal

CoverageTier = Literal["Unspecified", "EE", "ES", "EC", "EF"]
PlanYearStatus = Literal["draft", "open_enrollment", "active", "expired"]
PlanTier = Literal["Bronze", "Silver", "Gold", "Platinum"]
Category = Literal["Medical", "Dental", "Vision", "Hospital"]
ProductCode = Literal[
    "EBA",
    "VPC",
    "VPC_CORE",
    "MEC",
    "MEC2",
    "MEC_PLUS",
    "MVP",
    "MVP2",
    "MVPSL",
    "MVPSL2",
    "VD",
    "VV",
    "ICHRA",
    "ICHRA_PREMIUM_PLUS",
    "ICHRA_REIMBURSEMENT_ONLY",
]
EnrollmentStatus = Literal["pending", "enrolled", "waived", "inactive"]
Relationship = Literal["Spouse", "Child"]

# Display and comparison order of coverage tiers (employee only, + spouse, + children, family).
COVERAGE_TIERS: tuple[str, ...] = CoverageTier.__args__  # type: ignore[attr-defined]
TIER_ORDER: dict[str, int] = {tier: i for i, tier in enumerate(COVERAGE_TIERS)}
# A plan year's statuses in the order the calendar moves them (a PUT may only move forward).
PLAN_YEAR_STATUSES: tuple[str, ...] = PlanYearStatus.__args__  # type: ignore[attr-defined]
STATUS_RANK: dict[str, int] = {status: i for i, status in enumerate(PLAN_YEAR_STATUSES)}
PRODUCT_CODES: tuple[str, ...] = ProductCode.__args__  # type: ignore[attr-defined]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
# The only status in which the API accepts edits ("until open enrollment starts").
EDITABLE_STATUS = "draft"


def tier_rank(tier: str) -> int:
    """Sort rank of a coverage tier (unknown tiers last)."""
    return TIER_ORDER.get(tier, 99)


def class_sort_key(employment: str, tier: str) -> tuple[str, int, str]:
    """Contribution classes sort by employment, then tier in coverage order."""
    return (employment, tier_rank(tier), tier)
