"""The public API endpoints (REFERENCE.md, "Endpoints the reconciler uses")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from vitable_config.api.models import (
    BenefitProduct,
    Category,
    EligibilityPolicy,
    EligibilityPolicyCreate,
    EligiblePlan,
    Employer,
    EmployerCreate,
    Enrollment,
    EnrollmentReissue,
    EnrollmentStatus,
    ErrorBody,
    PlanYear,
    PlanYearCreate,
    PlanYearStatus,
    PlanYearUpdate,
    ProductCode,
)
from vitable_config.sandbox.runtime import SandboxRuntime

# Bounded so OFFSET fits SQLite's 64-bit integer (a huge page was a 500 OverflowError).
MAX_PAGE = 1_000_000
PAGE = Query(1, ge=1, le=MAX_PAGE, description=f"1-based page number (max {MAX_PAGE:,})")
LIMIT = Query(20, ge=1, le=100, description="page size (max 100)")

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or unknown API key"},
    404: {"model": ErrorBody, "description": "unknown id"},
    422: {"model": ErrorBody, "description": "validation failed (the message names the field)"},
    429: {"model": ErrorBody, "description": "rate limited; see Retry-After"},
}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "the request body is not valid JSON"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    **_BODY_ERRORS,
    409: {"model": ErrorBody, "description": "overlapping coverage, or plan_year_locked"},
}


RUNTIME_SCOPE_KEY = "vitable_sandbox.runtime"


async def current_runtime(request: Request) -> SandboxRuntime:
    """The sandbox serving this request (put in the ASGI scope by the gate), so one
    FastAPI app can serve many sandboxes. A coroutine: FastAPI runs a plain function
    dependency in a worker thread, a thread hop per request for a dict lookup."""
    runtime: SandboxRuntime = request.scope[RUNTIME_SCOPE_KEY]
    return runtime


Runtime = Annotated[SandboxRuntime, Depends(current_runtime)]


def public_router() -> APIRouter:
    router = APIRouter(prefix="/v1", responses=_ERRORS)

    # --- benefit products -------------------------------------------------------

    @router.get("/benefit-products", response_model=list[BenefitProduct], tags=["benefit products"])
    async def list_benefit_products(
        runtime: Runtime,
        active_in: bool | None = None,
        category: Category | None = None,
        product_code: ProductCode | None = None,
        page: int = PAGE,
        limit: int = LIMIT,
    ) -> JSONResponse:
        return JSONResponse(
            runtime.catalog.list_products(
                active_in=active_in,
                category=category,
                product_code=product_code,
                page=page,
                limit=limit,
            )
        )

    # --- plan years -------------------------------------------------------------

    @router.post(
        "/benefit-products/{benefit_product_id}/plan-years",
        response_model=PlanYear,
        status_code=201,
        responses=_WRITE_ERRORS,
        tags=["plan years"],
    )
    async def create_plan_year(
        runtime: Runtime, benefit_product_id: str, body: PlanYearCreate
    ) -> JSONResponse:
        created = runtime.plan_years.create(
            benefit_product_id, body, runtime.today, allow_overlap=runtime.allow_overlap
        )
        return JSONResponse(created, status_code=201)

    @router.get(
        "/benefit-products/{benefit_product_id}/plan-years",
        response_model=list[PlanYear],
        tags=["plan years"],
    )
    async def list_plan_years(
        runtime: Runtime,
        benefit_product_id: str,
        employer_id: str | None = None,
        status: PlanYearStatus | None = None,
        page: int = PAGE,
        limit: int = LIMIT,
    ) -> Response:
        runtime.catalog.require_product(benefit_product_id)
        page_json = runtime.plan_years.list_for_product_json(
            benefit_product_id,
            runtime.today,
            employer_id=employer_id,
            status=status,
            page=page,
            limit=limit,
        )
        return Response(page_json, media_type="application/json")

    @router.get("/plan-years/{plan_year_id}", response_model=PlanYear, tags=["plan years"])
    async def get_plan_year(runtime: Runtime, plan_year_id: str) -> JSONResponse:
        return JSONResponse(runtime.plan_years.get(plan_year_id, runtime.today))

    @router.put(
        "/plan-years/{plan_year_id}",
        response_model=PlanYear,
        responses=_WRITE_ERRORS,
        tags=["plan years"],
    )
    async def update_plan_year(
        runtime: Runtime, plan_year_id: str, body: PlanYearUpdate
    ) -> JSONResponse:
        return JSONResponse(runtime.plan_years.update(plan_year_id, body, runtime.today))

    # --- employers --------------------------------------------------------------

    @router.get("/employers", response_model=list[Employer], tags=["employers"])
    async def list_employers(
        runtime: Runtime,
        active_in: bool | None = None,
        name: str | None = Query(None, description="partial, case-insensitive match"),
        page: int = PAGE,
        limit: int = LIMIT,
    ) -> JSONResponse:
        return JSONResponse(
            runtime.catalog.list_employers(active_in=active_in, name=name, page=page, limit=limit)
        )

    @router.get("/employers/{employer_id}", response_model=Employer, tags=["employers"])
    async def get_employer(runtime: Runtime, employer_id: str) -> JSONResponse:
        return JSONResponse(runtime.catalog.get_employer(employer_id))

    @router.post(
        "/employers",
        response_model=Employer,
        status_code=201,
        tags=["employers"],
        responses=_BODY_ERRORS,
    )
    async def create_employer(runtime: Runtime, body: EmployerCreate) -> JSONResponse:
        return JSONResponse(runtime.catalog.create_employer(body), status_code=201)

    # --- eligibility policies -----------------------------------------------------

    @router.post(
        "/employers/{employer_id}/benefit-eligibility-policy",
        response_model=EligibilityPolicy,
        status_code=201,
        responses=_BODY_ERRORS,
        tags=["eligibility policies"],
    )
    async def create_policy(
        runtime: Runtime, employer_id: str, body: EligibilityPolicyCreate
    ) -> JSONResponse:
        return JSONResponse(runtime.catalog.create_policy(employer_id, body), status_code=201)

    @router.get(
        "/benefit-eligibility-policy/{policy_id}",
        response_model=EligibilityPolicy,
        tags=["eligibility policies"],
    )
    async def get_policy(runtime: Runtime, policy_id: str) -> JSONResponse:
        return JSONResponse(runtime.catalog.get_policy(policy_id))

    # --- enrollments --------------------------------------------------------------

    @router.get("/enrollments/{enrollment_id}", response_model=Enrollment, tags=["enrollments"])
    async def get_enrollment(runtime: Runtime, enrollment_id: str) -> JSONResponse:
        return JSONResponse(runtime.enrollments.get(enrollment_id))

    @router.get(
        "/enrollments/{enrollment_id}/plans",
        response_model=list[EligiblePlan],
        tags=["enrollments"],
    )
    async def list_enrollment_plans(runtime: Runtime, enrollment_id: str) -> JSONResponse:
        return JSONResponse(runtime.enrollments.eligible_plans(enrollment_id))

    @router.post(
        "/enrollments/{enrollment_id}/reissue",
        response_model=Enrollment,
        tags=["enrollments"],
        responses=_BODY_ERRORS,
    )
    async def reissue_enrollment(
        runtime: Runtime, enrollment_id: str, body: EnrollmentReissue
    ) -> JSONResponse:
        return JSONResponse(runtime.enrollments.reissue(enrollment_id, body))

    @router.get(
        "/employees/{employee_id}/enrollments",
        response_model=list[Enrollment],
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
        return JSONResponse(
            runtime.enrollments.for_employee(
                employee_id,
                status=status,
                plan_year=plan_year,
                coverage_effective_start_year=coverage_effective_start_year,
                page=page,
                limit=limit,
            )
        )

    return router
