"""Hand-built desired and live objects for engine tests and benchmarks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from vitable_config.api.models import BenefitProduct, ContributionClass, Employer, PlanYear
from vitable_config.desired import (
    DesiredClass,
    DesiredPlanYear,
    DesiredState,
    FieldPath,
    Source,
)
from vitable_config.errors import SourceLocation

STAMP = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
START = date(2027, 1, 1)
END = date(2027, 12, 31)
OE_START = date(2026, 12, 1)
OE_END = date(2026, 12, 15)
TIERS = ("EE", "ES", "EC", "EF")

TEMPLATE = Source("template", "standard-2027", SourceLocation("templates.yaml", 12, 5))
EMPLOYER_SRC = Source("employer", "empr_acme", SourceLocation("employers/acme.yaml", 7, 9))


def product(pid: str = "bprd_mec", code: str = "MEC", *, active: bool = True) -> BenefitProduct:
    return BenefitProduct(
        id=pid,
        active=active,
        category="Medical",
        created_at=STAMP,
        name=f"{code} product",
        product_code=code,  # type: ignore[arg-type]
        updated_at=STAMP,
    )


def employer(eid: str, name: str | None = None) -> Employer:
    return Employer(
        id=eid,
        active=True,
        name=name or f"Employer {eid}",
        legal_name=f"{name or eid} LLC",
        organization_id="org_1",
        created_at=STAMP,
        updated_at=STAMP,
    )


def classes(
    employments: tuple[str, ...] = ("full_time",),
    tiers: tuple[str, ...] = ("EE", "EF"),
    **over: int,
) -> dict[tuple[str, str], DesiredClass]:
    """Classes with employee 100*(i+1)00 and employer 300*(i+1)00 cents; override
    with keyword ``full_time_EE_employer=...``."""
    out: dict[tuple[str, str], DesiredClass] = {}
    for employment in employments:
        for i, tier in enumerate(tiers):
            ee = over.get(f"{employment}_{tier}_employee", 10_000 * (i + 1))
            er = over.get(f"{employment}_{tier}_employer", 30_000 * (i + 1))
            out[(employment, tier)] = DesiredClass(employment, tier, ee, er)
    return out


def provenance_for(
    cls: dict[tuple[str, str], DesiredClass], source: Source = TEMPLATE
) -> dict[FieldPath, Source]:
    prov: dict[FieldPath, Source] = {
        ("coverage_end",): source,
        ("open_enrollment_start",): source,
        ("open_enrollment_end",): source,
    }
    for employment, tier in cls:
        for leaf in ("employee_contribution_cents", "employer_contribution_cents"):
            prov[("contribution_classes", employment, tier, leaf)] = source
    return prov


def desired_py(
    eid: str = "empr_acme",
    product_ref: str = "MEC",
    *,
    cls: dict[tuple[str, str], DesiredClass] | None = None,
    coverage_start: date = START,
    coverage_end: date = END,
    oe_start: date = OE_START,
    oe_end: date = OE_END,
    status: str | None = None,
    template: str | None = "standard-2027",
    rollout: str | None = None,
    provenance: dict[FieldPath, Source] | None = None,
    line: int = 3,
) -> DesiredPlanYear:
    cls = cls if cls is not None else classes()
    return DesiredPlanYear(
        employer_id=eid,
        benefit_product=product_ref,
        coverage_start=coverage_start,
        coverage_end=coverage_end,
        open_enrollment_start=oe_start,
        open_enrollment_end=oe_end,
        contribution_classes=cls,
        status=status,
        provenance=provenance if provenance is not None else provenance_for(cls),
        location=SourceLocation("config.yaml", line, 3),
        template=template,
        rollout=rollout,
    )


def live_py(
    pid: str = "plyr_1",
    eid: str = "empr_acme",
    product_id: str = "bprd_mec",
    *,
    cls: dict[tuple[str, str], DesiredClass] | None = None,
    coverage_start: date = START,
    coverage_end: date = END,
    oe_start: date = OE_START,
    oe_end: date = OE_END,
    status: str = "draft",
    extra: dict[str, Any] | None = None,
) -> PlanYear:
    cls = cls if cls is not None else classes()
    fields: dict[str, Any] = {"created_at": STAMP, "updated_at": STAMP, "plans": []}
    fields.update(extra or {})
    return PlanYear(
        id=pid,
        benefit_product_id=product_id,
        employer_id=eid,
        coverage_start=coverage_start,
        coverage_end=coverage_end,
        open_enrollment_start_date=oe_start,
        open_enrollment_end_date=oe_end,
        status=status,  # type: ignore[arg-type]
        contribution_classes=[
            ContributionClass(
                id=f"ccls_{pid}_{i}",
                employment=c.employment,
                family_status=c.family_status,  # type: ignore[arg-type]
                employee_contribution_cents=c.employee_contribution_cents,
                employer_contribution_cents=c.employer_contribution_cents,
            )
            for i, c in enumerate(reversed(list(cls.values())))  # server order differs
        ],
        **fields,
    )


def state(*plan_years: DesiredPlanYear) -> DesiredState:
    return DesiredState(list(plan_years), files=["config.yaml"])


def create_answer(
    request: dict[str, Any],
    *,
    n: int = 1,
    product: str = "bprd_mec",
    stamp: datetime = STAMP,
    **over: Any,
) -> PlanYear:
    """The plan year a server answers the create ``request`` with, parsed as the client
    parses it (ids ``plyr_{n:06d}`` and ``ccls_{n}_{k}``); ``over`` changes fields of
    the answer (``contribution_classes=[...]`` replaces the request's classes)."""
    classes_sent = over.pop("contribution_classes", request["contribution_classes"])
    body: dict[str, Any] = {
        "id": f"plyr_{n:06d}",
        "benefit_product_id": product,
        "employer_id": request["employer_id"],
        "coverage_start": request["coverage_start"],
        "coverage_end": request["coverage_end"],
        "open_enrollment_start_date": request["open_enrollment_start"],
        "open_enrollment_end_date": request["open_enrollment_end"],
        "status": "draft",
        "created_at": stamp.isoformat(),
        "updated_at": stamp.isoformat(),
        "contribution_classes": [{"id": f"ccls_{n}_{k}", **c} for k, c in enumerate(classes_sent)],
    }
    body.update(over)
    return PlanYear.model_validate(body)


class ListingClient:
    """Just enough of VitableApi for ``engine.guard.read_pairs``: plan years in memory,
    listed by product (and employer)."""

    def __init__(self, items: list[PlanYear]) -> None:
        self.items = items

    async def list_plan_years(
        self, product: str, *, employer_id: str | None = None, concurrent_pages: int = 1
    ) -> list[PlanYear]:
        return [
            p
            for p in self.items
            if p.benefit_product_id == product and employer_id in (None, p.employer_id)
        ]
