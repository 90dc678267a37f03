"""The later dialects of the API on the wire: ``2026-02`` and ``removed``.

The sandbox keeps one dialect-neutral state: the repositories (``catalog``,
``plan_years``, ``enrollments``) take and return the ``2025-12`` shapes, which
``routes_public`` serves as they are. This module is the only place that knows the
``2026-02`` shapes (REFERENCE.md, "API dialects", checked against the published SDK
``vitable-connect`` 0.1.2): its request and response models (they make the served
OpenAPI document), the translation of requests in and responses out, and its routes.

``2026-02`` compared with ``2025-12``:

* every single-object response is ``{"data": {...}}``; every list is
  ``{"data": [...], "pagination": {"page", "limit", "total", "total_pages"}}``;
* contribution classes say ``coverage_tier`` where ``2025-12`` says
  ``family_status`` (requests and responses; ``family_status`` in a request is a 422);
* benefit products and eligibility policies carry ``active_in`` instead of ``active``;
* employer addresses are ``address_line_1``, ``address_line_2?``, ``city``, ``state``,
  ``zipcode`` (no ``country``); employers have an ``email`` (required on create);
  ``PUT /v1/employers/{id}`` updates ``name``, ``legal_name``, ``active``, ``address``;
* an enrollment's ``coverage_tier`` is never null (``Unspecified`` when unknown);
* eligibility-policy paths are plural (the singular ones are 404), a new policy needs
  at least one rule, and the policy it replaces is the query parameter
  ``policy_to_replace_id`` (a body field in ``2025-12``).

``removed`` serves ``2026-02`` without ``/v1/benefit-products…`` and
``/v1/plan-years/…`` (404), as the public API did from March 2026.

Errors, status codes and retry headers are the same in every dialect.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, Field

from vitable_config.api import models as v2025
from vitable_config.api.models import (
    MAX_JSON_CENTS,
    CarrierPlan,
    Category,
    CoverageTier,
    EligibilityRule,
    EligiblePlan,
    EnrolledDependent,
    EnrollmentReissue,
    EnrollmentStatus,
    PlanYearStatus,
    ProductCode,
    RequestDate,
    RequestModel,
    ResponseModel,
)
from vitable_config.sandbox.routes_public import (
    _BODY_ERRORS,
    _ERRORS,
    _WRITE_ERRORS,
    LIMIT,
    PAGE,
    Runtime,
)
from vitable_config.sandbox.settings import DIALECT_2026_02, DIALECT_REMOVED

TIER_FIELD = "coverage_tier"

# --- models: the 2026-02 wire shapes -------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address such as hr@example.com")
    return value


Email = Annotated[str, AfterValidator(_email)]


class Pagination(ResponseModel):
    page: int
    limit: int
    total: int
    total_pages: int


class BenefitProduct(ResponseModel):
    id: str
    active_in: bool
    category: Category
    created_at: datetime
    name: str
    product_code: ProductCode
    updated_at: datetime
    carrier_name: str | None = None
    description: str | None = None


class BenefitProductListResponse(ResponseModel):
    data: list[BenefitProduct]
    pagination: Pagination


class ContributionClassInput(RequestModel):
    employment: str = Field(min_length=1)
    coverage_tier: CoverageTier
    employee_contribution_cents: int = Field(ge=0, le=MAX_JSON_CENTS, strict=True)
    employer_contribution_cents: int = Field(ge=0, le=MAX_JSON_CENTS, strict=True)


class ContributionClass(ResponseModel):
    id: str
    employment: str
    coverage_tier: CoverageTier
    employee_contribution_cents: int
    employer_contribution_cents: int


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
    coverage_start: date
    coverage_end: date
    open_enrollment_start_date: date
    open_enrollment_end_date: date
    status: PlanYearStatus
    created_at: datetime
    updated_at: datetime
    contribution_classes: list[ContributionClass]
    plans: list[CarrierPlan]


class PlanYearResponse(ResponseModel):
    data: PlanYear


class PlanYearListResponse(ResponseModel):
    data: list[PlanYear]
    pagination: Pagination


class AddressInput(RequestModel):
    address_line_1: str = Field(min_length=1)
    address_line_2: str | None = None
    city: str = Field(min_length=1)
    state: str = Field(min_length=1)
    zipcode: str = Field(min_length=1)


class Address(ResponseModel):
    address_line_1: str
    address_line_2: str | None = None
    city: str
    state: str
    zipcode: str


class EmployerCreate(RequestModel):
    name: str = Field(min_length=1)
    legal_name: str = Field(min_length=1)
    ein: str
    email: Email
    address: AddressInput


class EmployerUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1)
    legal_name: str | None = Field(default=None, min_length=1)
    active: bool | None = None
    address: AddressInput | None = None


class Employer(ResponseModel):
    id: str
    active: bool
    name: str
    legal_name: str
    organization_id: str
    created_at: datetime
    updated_at: datetime
    address: Address | None = Field(
        description="set for every employer created through the API (null only for a "
        "seeded employer without an address)"
    )
    ein: str | None = None
    eligibility_policy_id: str | None = None
    email: str | None = None


class EmployerResponse(ResponseModel):
    data: Employer


class EmployerListResponse(ResponseModel):
    data: list[Employer]
    pagination: Pagination


class EligibilityPolicyCreate(RequestModel):
    """The policy to replace is a query parameter in 2026-02 (a body field in 2025-12)."""

    name: str = Field(min_length=1)
    effective_date: RequestDate
    rules: list[EligibilityRule] = Field(min_length=1)
    description: str | None = None


class EligibilityPolicy(ResponseModel):
    id: str
    employer_id: str
    name: str
    effective_date: date
    rules: list[EligibilityRule]
    active_in: bool
    description: str | None = None
    replaced_policy_id: str | None = None
    created_at: datetime
    updated_at: datetime


class BenefitEligibilityPolicyResponse(ResponseModel):
    data: EligibilityPolicy


class Enrollment(ResponseModel):
    id: str
    benefit_product_id: str
    created_at: datetime
    employee_id: str
    plan_year_id: str
    status: EnrollmentStatus
    updated_at: datetime
    coverage_tier: CoverageTier
    coverage_end_date: date | None = None
    coverage_start_date: date | None = None
    decision: str | None = None
    employee_contribution_cents: int | None = None
    employer_contribution_cents: int | None = None
    enrolled_dependents: list[EnrolledDependent] | None = None
    selected_plan_id: str | None = None
    selected_plan_name: str | None = None


class EnrollmentResponse(ResponseModel):
    data: Enrollment


class EnrollmentList(ResponseModel):
    data: list[Enrollment]
    pagination: Pagination


class EnrollmentListPlansResponse(ResponseModel):
    data: list[EligiblePlan]
    pagination: Pagination


# --- translation: envelopes ---------------------------------------------------------


def one(item: dict[str, Any]) -> dict[str, Any]:
    """A single-object response: ``{"data": item}``."""
    return {"data": item}


def page_of(items: list[dict[str, Any]], *, page: int, limit: int, total: int) -> dict[str, Any]:
    """A list response with all four pagination fields (``total_pages`` is 0 when empty)."""
    return {
        "data": items,
        "pagination": {
            "page": page,
            "limit": limit,
            "total": total,
            "total_pages": (total + limit - 1) // limit,
        },
    }


def _renamed(item: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``item`` with key ``old`` called ``new``, in the same position."""
    return {new if key == old else key: value for key, value in item.items()}


# --- translation: responses out (dialect-neutral dict -> 2026-02 dict) ---------------


def product_out(product: dict[str, Any]) -> dict[str, Any]:
    return _renamed(product, "active", "active_in")


def plan_year_out(plan_year: dict[str, Any]) -> dict[str, Any]:
    classes = [_renamed(c, "family_status", TIER_FIELD) for c in plan_year["contribution_classes"]]
    return {**plan_year, "contribution_classes": classes}


def address_out(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "address_line_1": address.get("street_1"),
        "address_line_2": address.get("street_2"),
        "city": address.get("city"),
        "state": address.get("state"),
        "zipcode": address.get("zip_code"),
    }


def employer_out(employer: dict[str, Any], email: str | None) -> dict[str, Any]:
    return {**employer, "address": address_out(employer.get("address")), "email": email}


def policy_out(policy: dict[str, Any]) -> dict[str, Any]:
    return _renamed(policy, "active", "active_in")


def enrollment_out(enrollment: dict[str, Any]) -> dict[str, Any]:
    return {**enrollment, "coverage_tier": enrollment.get("coverage_tier") or "Unspecified"}


# --- translation: requests in (2026-02 model -> dialect-neutral model) ---------------


def class_in(cls: ContributionClassInput) -> v2025.ContributionClassInput:
    return v2025.ContributionClassInput(
        employment=cls.employment,
        family_status=cls.coverage_tier,
        employee_contribution_cents=cls.employee_contribution_cents,
        employer_contribution_cents=cls.employer_contribution_cents,
    )


def plan_year_create_in(body: PlanYearCreate) -> v2025.PlanYearCreate:
    return v2025.PlanYearCreate(
        employer_id=body.employer_id,
        coverage_start=body.coverage_start,
        coverage_end=body.coverage_end,
        open_enrollment_start=body.open_enrollment_start,
        open_enrollment_end=body.open_enrollment_end,
        contribution_classes=[class_in(c) for c in body.contribution_classes],
    )


def plan_year_update_in(body: PlanYearUpdate) -> v2025.PlanYearUpdate:
    classes = body.contribution_classes
    return v2025.PlanYearUpdate(
        contribution_classes=[class_in(c) for c in classes] if classes is not None else None,
        open_enrollment_start=body.open_enrollment_start,
        open_enrollment_end=body.open_enrollment_end,
        status=body.status,
    )


def address_in(address: AddressInput) -> v2025.Address:
    return v2025.Address(
        street_1=address.address_line_1,
        street_2=address.address_line_2,
        city=address.city,
        state=address.state,
        zip_code=address.zipcode,
    )


def policy_create_in(
    body: EligibilityPolicyCreate, policy_to_replace_id: str | None
) -> v2025.EligibilityPolicyCreate:
    return v2025.EligibilityPolicyCreate(
        name=body.name,
        effective_date=body.effective_date,
        rules=body.rules,
        description=body.description,
        policy_to_replace_id=policy_to_replace_id,
    )


def employer_create_in(body: EmployerCreate) -> v2025.EmployerCreate:
    return v2025.EmployerCreate(
        name=body.name, legal_name=body.legal_name, ein=body.ein, address=address_in(body.address)
    )


# --- the documents ------------------------------------------------------------------

DESCRIPTION_2026_02 = """\
Sandbox of the Vitable Connect API in dialect **2026-02** (the shapes of the published
SDK `vitable-connect` 0.1.x), served by `vitable-config sandbox serve --dialect 2026-02`.

* **Auth**: `Authorization: Bearer <key>` with the key printed at start; otherwise 401.
* **Envelopes**: every single-object response is `{"data": {...}}`; every list is
  `{"data": [...], "pagination": {"page", "limit", "total", "total_pages"}}`, paged by
  `page` (1-based, default 1) and `limit` (default 20, max 100; more is a 422). Plan years
  are listed most recent first (`coverage_start` descending, then `id`).
* **Errors** are always `{timestamp, message, error, app_error_code, trace_id}`;
  a 422 message names the field, e.g. `contribution_classes[0].coverage_tier: ...`.
* Contribution classes say `coverage_tier` (`family_status` is refused); products and
  eligibility policies say `active_in`; employer addresses are `address_line_1`,
  `address_line_2`, `city`, `state`, `zipcode`, and employers have an `email`.
* Eligibility policies live at `/v1/employers/{id}/benefit-eligibility-policies` and
  `/v1/benefit-eligibility-policies/{id}`; the policy a new one replaces is the query
  parameter `policy_to_replace_id`.

The sandbox rules (validation, 404, overlap 409, status by the clock, `plan_year_locked`,
rate limit, injected faults) are those of dialect 2025-12, see `schemas/openapi.json`.
"""

DESCRIPTION_REMOVED = """\
Sandbox of the Vitable Connect API after the March 2026 removal of benefit products and
plan years from the public API, served by `vitable-config sandbox serve --dialect removed`:
`/v1/benefit-products…` and `/v1/plan-years/…` answer 404; employers, eligibility policies
and enrollments remain, in the shapes of dialect 2026-02 (`{"data": ...}` envelopes, lists
with `pagination`). Errors are always `{timestamp, message, error, app_error_code,
trace_id}`.
"""


def title(dialect: str) -> str:
    return f"Vitable Connect API (vitable-config sandbox, dialect {dialect})"


def description(dialect: str) -> str:
    return DESCRIPTION_REMOVED if dialect == DIALECT_REMOVED else DESCRIPTION_2026_02


# --- routes -------------------------------------------------------------------------


def dialect_router(dialect: str) -> APIRouter:
    """The public API of ``dialect`` (``2026-02`` or ``removed``)."""
    if dialect not in (DIALECT_2026_02, DIALECT_REMOVED):
        raise ValueError(f"no router for dialect {dialect!r}")
    router = APIRouter(prefix="/v1", responses=_ERRORS)
    if dialect == DIALECT_2026_02:
        _add_product_and_plan_year_routes(router)
    _add_employer_routes(router)
    _add_enrollment_routes(router)
    return router


def _add_product_and_plan_year_routes(router: APIRouter) -> None:
    @router.get(
        "/benefit-products", response_model=BenefitProductListResponse, tags=["benefit products"]
    )
    async def list_benefit_products(
        runtime: Runtime,
        active_in: bool | None = None,
        category: Category | None = None,
        product_code: ProductCode | None = None,
        page: int = PAGE,
        limit: int = LIMIT,
    ) -> JSONResponse:
        catalog = runtime.catalog
        items = catalog.list_products(
            active_in=active_in,
            category=category,
            product_code=product_code,
            page=page,
            limit=limit,
        )
        total = catalog.count_products(
            active_in=active_in, category=category, product_code=product_code
        )
        return JSONResponse(
            page_of([product_out(p) for p in items], page=page, limit=limit, total=total)
        )

    @router.post(
        "/benefit-products/{benefit_product_id}/plan-years",
        response_model=PlanYearResponse,
        status_code=201,
        responses=_WRITE_ERRORS,
        tags=["plan years"],
    )
    async def create_plan_year(
        runtime: Runtime, benefit_product_id: str, body: PlanYearCreate
    ) -> JSONResponse:
        created = runtime.plan_years.create(
            benefit_product_id,
            plan_year_create_in(body),
            runtime.today,
            allow_overlap=runtime.allow_overlap,
            tier_field=TIER_FIELD,
        )
        return JSONResponse(one(plan_year_out(created)), status_code=201)

    @router.get(
        "/benefit-products/{benefit_product_id}/plan-years",
        response_model=PlanYearListResponse,
        tags=["plan years"],
    )
    async def list_plan_years(
        runtime: Runtime,
        benefit_product_id: str,
        employer_id: str | None = None,
        status: PlanYearStatus | None = None,
        page: int = PAGE,
        limit: int = LIMIT,
    ) -> JSONResponse:
        runtime.catalog.require_product(benefit_product_id)
        repo, today = runtime.plan_years, runtime.today
        items = repo.list_for_product(
            benefit_product_id,
            today,
            employer_id=employer_id,
            status=status,
            page=page,
            limit=limit,
        )
        total = repo.count_for_product(
            benefit_product_id, today, employer_id=employer_id, status=status
        )
        return JSONResponse(
            page_of([plan_year_out(p) for p in items], page=page, limit=limit, total=total)
        )

    @router.get("/plan-years/{plan_year_id}", response_model=PlanYearResponse, tags=["plan years"])
    async def get_plan_year(runtime: Runtime, plan_year_id: str) -> JSONResponse:
        return JSONResponse(one(plan_year_out(runtime.plan_years.get(plan_year_id, runtime.today))))

    @router.put(
        "/plan-years/{plan_year_id}",
        response_model=PlanYearResponse,
        responses=_WRITE_ERRORS,
        tags=["plan years"],
    )
    async def update_plan_year(
        runtime: Runtime, plan_year_id: str, body: PlanYearUpdate
    ) -> JSONResponse:
        updated = runtime.plan_years.update(
            plan_year_id, plan_year_update_in(body), runtime.today, tier_field=TIER_FIELD
        )
        return JSONResponse(one(plan_year_out(updated)))


def _employer_one(runtime: Runtime, employer: dict[str, Any]) -> dict[str, Any]:
    emails = runtime.catalog.employer_emails([employer["id"]])
    return one(employer_out(employer, emails.get(employer["id"])))


def _add_employer_routes(router: APIRouter) -> None:
    @router.get("/employers", response_model=EmployerListResponse, tags=["employers"])
    async def list_employers(
        runtime: Runtime,
        active_in: bool | None = None,
        name: str | None = Query(None, description="partial, case-insensitive match"),
        page: int = PAGE,
        limit: int = LIMIT,
    ) -> JSONResponse:
        catalog = runtime.catalog
        items = catalog.list_employers(active_in=active_in, name=name, page=page, limit=limit)
        total = catalog.count_employers(active_in=active_in, name=name)
        emails = catalog.employer_emails([e["id"] for e in items])
        data = [employer_out(e, emails.get(e["id"])) for e in items]
        return JSONResponse(page_of(data, page=page, limit=limit, total=total))

    @router.get("/employers/{employer_id}", response_model=EmployerResponse, tags=["employers"])
    async def get_employer(runtime: Runtime, employer_id: str) -> JSONResponse:
        return JSONResponse(_employer_one(runtime, runtime.catalog.get_employer(employer_id)))

    @router.post(
        "/employers",
        response_model=EmployerResponse,
        status_code=201,
        tags=["employers"],
        responses=_BODY_ERRORS,
    )
    async def create_employer(runtime: Runtime, body: EmployerCreate) -> JSONResponse:
        created = runtime.catalog.create_employer(employer_create_in(body), email=body.email)
        return JSONResponse(_employer_one(runtime, created), status_code=201)

    @router.put(
        "/employers/{employer_id}",
        response_model=EmployerResponse,
        tags=["employers"],
        responses=_BODY_ERRORS,
    )
    async def update_employer(
        runtime: Runtime, employer_id: str, body: EmployerUpdate
    ) -> JSONResponse:
        address = address_in(body.address).model_dump(exclude_none=True) if body.address else None
        updated = runtime.catalog.update_employer(
            employer_id,
            active=body.active,
            name=body.name,
            legal_name=body.legal_name,
            address=address,
        )
        return JSONResponse(_employer_one(runtime, updated))

    @router.post(
        "/employers/{employer_id}/benefit-eligibility-policies",
        response_model=BenefitEligibilityPolicyResponse,
        status_code=201,
        responses=_BODY_ERRORS,
        tags=["eligibility policies"],
    )
    async def create_policy(
        runtime: Runtime,
        employer_id: str,
        body: EligibilityPolicyCreate,
        policy_to_replace_id: str | None = Query(
            None, description="the employer's policy this one replaces (epol_...)"
        ),
    ) -> JSONResponse:
        created = runtime.catalog.create_policy(
            employer_id, policy_create_in(body, policy_to_replace_id)
        )
        return JSONResponse(one(policy_out(created)), status_code=201)

    @router.get(
        "/benefit-eligibility-policies/{policy_id}",
        response_model=BenefitEligibilityPolicyResponse,
        tags=["eligibility policies"],
    )
    async def get_policy(runtime: Runtime, policy_id: str) -> JSONResponse:
        return JSONResponse(one(policy_out(runtime.catalog.get_policy(policy_id))))


def _add_enrollment_routes(router: APIRouter) -> None:
    @router.get(
        "/enrollments/{enrollment_id}", response_model=EnrollmentResponse, tags=["enrollments"]
    )
    async def get_enrollment(runtime: Runtime, enrollment_id: str) -> JSONResponse:
        return JSONResponse(one(enrollment_out(runtime.enrollments.get(enrollment_id))))

    @router.get(
        "/enrollments/{enrollment_id}/plans",
        response_model=EnrollmentListPlansResponse,
        tags=["enrollments"],
    )
    async def list_enrollment_plans(
        runtime: Runtime, enrollment_id: str, page: int = PAGE, limit: int = LIMIT
    ) -> JSONResponse:
        plans = runtime.enrollments.eligible_plans(enrollment_id)
        start = (page - 1) * limit
        items = plans[start : start + limit]
        return JSONResponse(page_of(items, page=page, limit=limit, total=len(plans)))

    @router.post(
        "/enrollments/{enrollment_id}/reissue",
        response_model=EnrollmentResponse,
        tags=["enrollments"],
        responses=_BODY_ERRORS,
    )
    async def reissue_enrollment(
        runtime: Runtime, enrollment_id: str, body: EnrollmentReissue
    ) -> JSONResponse:
        return JSONResponse(one(enrollment_out(runtime.enrollments.reissue(enrollment_id, body))))

    @router.get(
        "/employees/{employee_id}/enrollments",
        response_model=EnrollmentList,
        tags=["enrollments"],
    )
    async def list_employee_enrollments(
        runtime: Runtime,
        employee_id: str,
        status: EnrollmentStatus | None = None,
        plan_year: str | None = Query(None, description="plan year id, or coverage start year"),
        coverage_effective_start_year: int | None = Query(None, ge=1900, le=9999),
        page: int = PAGE,
        limit: int = LIMIT,
    ) -> JSONResponse:
        repo = runtime.enrollments
        filters: dict[str, Any] = {
            "status": status,
            "plan_year": plan_year,
            "coverage_effective_start_year": coverage_effective_start_year,
        }
        items = repo.for_employee(employee_id, page=page, limit=limit, **filters)
        total = repo.count_for_employee(employee_id, **filters)
        data = [enrollment_out(e) for e in items]
        return JSONResponse(page_of(data, page=page, limit=limit, total=total))
