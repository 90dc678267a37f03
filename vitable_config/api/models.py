"""Pydantic models for every request and response shape of the Vitable Connect API.

Field names follow the seeds exactly (see ``shared/seeds`` and ``REFERENCE.md``).
Note the asymmetry: requests say ``open_enrollment_start``/``_end``; responses say
``open_enrollment_start_date``/``_end_date``.

Response models allow unknown extra fields (the API may add fields); request
models forbid them (we must never send a field the API does not define).
These models are shared by the client and the sandbox server.

Response models are **strict**: a server that sends ``true``, ``"4500"`` or
``4500.0`` for a number of cents, ``1`` for a boolean or a Unix time for a date
is wrong, and its answer is refused rather than coerced (``true`` would have been
one cent). JSON has no date type, so dates and timestamps are the one allowance:
an ISO 8601 string (``YYYY-MM-DD`` for a date), never a number.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# The vocabulary is the domain's (re-exported here for the API's callers).
from vitable_config.domain.vocabulary import (
    COVERAGE_TIERS,
    PLAN_YEAR_STATUSES,
    PRODUCT_CODES,
    Category,
    CoverageTier,
    EnrollmentStatus,
    PlanTier,
    PlanYearStatus,
    ProductCode,
    Relationship,
)

__all__ = [
    "COVERAGE_TIERS",
    "PLAN_YEAR_STATUSES",
    "PRODUCT_CODES",
    "Category",
    "CoverageTier",
    "EnrollmentStatus",
    "PlanTier",
    "PlanYearStatus",
    "ProductCode",
    "Relationship",
]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# Dates already read from a string (a list repeats a few dates in every item): the same
# string always gives the same (immutable) date. Bounded: cleared when full.
_DATES_READ: dict[str, date] = {}
_DATES_READ_MAX = 4096


def _wire_date(value: object) -> object:
    """A response date: a ``date`` (the sandbox's own objects) or a JSON string
    ``YYYY-MM-DD``; never a number, a timestamp or another date spelling."""
    if type(value) is str:
        known = _DATES_READ.get(value)
        if known is not None:
            return known
    if isinstance(value, datetime):
        raise ValueError("expected a date YYYY-MM-DD, not a timestamp")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        parsed = date.fromisoformat(value)  # ValueError for 2027-02-30
        if type(value) is str:
            if len(_DATES_READ) >= _DATES_READ_MAX:
                _DATES_READ.clear()
            _DATES_READ[value] = parsed
        return parsed
    raise ValueError(f"expected a date written as a JSON string YYYY-MM-DD, got {_kind(value)}")


def _wire_datetime(value: object) -> object:
    """A response timestamp: a ``datetime`` or an ISO 8601 JSON string; never a number."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value) and len(value) > 10:
        return datetime.fromisoformat(value)  # ValueError for a malformed timestamp
    raise ValueError(f"expected an ISO 8601 timestamp as a JSON string, got {_kind(value)}")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "another string"
    return f"a JSON {type(value).__name__}" if value is not None else "null"


WireDate = Annotated[date, BeforeValidator(_wire_date)]
WireDatetime = Annotated[datetime, BeforeValidator(_wire_datetime)]


class ResponseModel(BaseModel):
    # strict: no bool/str/float -> int, no str -> bool, no number -> date (WireDate).
    model_config = ConfigDict(extra="allow", frozen=False, strict=True, defer_build=True)


def _date_not_number(value: object) -> object:
    """Pydantic reads a number as a Unix time (``0`` -> 1970-01-01); a request date
    must be written as a date (found by schemathesis)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("expected a date written YYYY-MM-DD, not a number")
    return value


RequestDate = Annotated[date, BeforeValidator(_date_not_number)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# --- errors -----------------------------------------------------------------


class ErrorBody(ResponseModel):
    timestamp: str | None = None
    message: str
    error: str | None = None
    app_error_code: str | None = None
    trace_id: str | None = None


# --- benefit products ---------------------------------------------------------


class BenefitProduct(ResponseModel):
    id: str
    active: bool
    category: Category
    created_at: WireDatetime
    name: str
    product_code: ProductCode
    updated_at: WireDatetime
    carrier_name: str | None = None
    description: str | None = None


# --- plan years ---------------------------------------------------------------


MAX_JSON_CENTS = 2**53 - 1


class ContributionClassInput(RequestModel):
    employment: str = Field(min_length=1)
    family_status: CoverageTier
    # strict: cents are JSON integers (no "12" strings, 12.0 floats or booleans);
    # at most 2**53 - 1, the largest integer every JSON reader keeps exactly
    employee_contribution_cents: int = Field(ge=0, le=MAX_JSON_CENTS, strict=True)
    employer_contribution_cents: int = Field(ge=0, le=MAX_JSON_CENTS, strict=True)


class ContributionClass(ResponseModel):
    id: str
    employment: str
    family_status: CoverageTier
    employee_contribution_cents: int
    employer_contribution_cents: int


class CarrierPlan(ResponseModel):
    """A carrier's insurance plan offered in a plan year (server-assigned, read-only)."""

    id: str
    carrier_plan_id: str
    monthly_premium_cents: int
    name: str
    deductible_cents: int | None = None
    out_of_pocket_max_cents: int | None = None
    tier: PlanTier | None = None


class PlanYearCreate(RequestModel):
    employer_id: str
    coverage_start: RequestDate
    coverage_end: RequestDate
    open_enrollment_start: RequestDate
    open_enrollment_end: RequestDate
    contribution_classes: list[ContributionClassInput] = Field(min_length=1)


class PlanYearUpdate(RequestModel):
    contribution_classes: list[ContributionClassInput] | None = None
    open_enrollment_start: RequestDate | None = None
    open_enrollment_end: RequestDate | None = None
    status: PlanYearStatus | None = None


class PlanYear(ResponseModel):
    id: str
    benefit_product_id: str
    employer_id: str
    coverage_start: WireDate
    coverage_end: WireDate
    open_enrollment_start_date: WireDate
    open_enrollment_end_date: WireDate
    status: PlanYearStatus
    created_at: WireDatetime
    updated_at: WireDatetime
    contribution_classes: list[ContributionClass]
    plans: list[CarrierPlan] = Field(default_factory=list)


# --- employers ---------------------------------------------------------------


class Address(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    street_1: str
    street_2: str | None = None
    city: str
    state: str
    zip_code: str
    country: str | None = None


class EmployerCreate(RequestModel):
    name: str = Field(min_length=1)
    legal_name: str = Field(min_length=1)
    ein: str
    address: Address


class Employer(ResponseModel):
    id: str
    active: bool
    name: str
    legal_name: str
    organization_id: str
    created_at: WireDatetime
    updated_at: WireDatetime
    address: Address | None = None
    ein: str | None = None
    eligibility_policy_id: str | None = None


# --- eligibility policies -----------------------------------------------------


class EligibilityRule(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    rule_type: str
    operator: str
    value: str | int | float | bool | list[str] | None = None


class EligibilityPolicyCreate(RequestModel):
    name: str = Field(min_length=1)
    effective_date: RequestDate
    rules: list[EligibilityRule]
    description: str | None = None
    policy_to_replace_id: str | None = None


class EligibilityPolicy(ResponseModel):
    id: str
    employer_id: str
    name: str
    effective_date: WireDate
    rules: list[EligibilityRule]
    active: bool
    description: str | None = None
    replaced_policy_id: str | None = None
    created_at: WireDatetime
    updated_at: WireDatetime


# --- enrollments --------------------------------------------------------------


class EnrolledDependent(ResponseModel):
    dependent_id: str
    first_name: str
    last_name: str
    relationship: Relationship


class Enrollment(ResponseModel):
    id: str
    benefit_product_id: str
    created_at: WireDatetime
    employee_id: str
    plan_year_id: str
    status: EnrollmentStatus
    updated_at: WireDatetime
    coverage_end_date: WireDate | None = None
    coverage_start_date: WireDate | None = None
    coverage_tier: CoverageTier | None = None
    decision: str | None = None
    employee_contribution_cents: int | None = None
    employer_contribution_cents: int | None = None
    enrolled_dependents: list[EnrolledDependent] | None = None
    selected_plan_id: str | None = None
    selected_plan_name: str | None = None


class PlanCost(ResponseModel):
    coverage_tier: CoverageTier
    employee_contribution_cents: int
    employer_contribution_cents: int
    total_monthly_premium_cents: int


class EligiblePlan(ResponseModel):
    id: str
    name: str
    costs: list[PlanCost]
    carrier_name: str | None = None
    deductible_cents: int | None = None
    out_of_pocket_max_cents: int | None = None
    description: str | None = None
    tier: PlanTier | None = None


class EnrollmentReissue(RequestModel):
    qle_id: str
    reason: str | None = None
