"""Contract: every endpoint the reconciler uses, through the client, against the sandbox
over real loopback HTTP — shapes, filters, pagination and the sandbox rules."""

from __future__ import annotations

from datetime import date

import pytest

from vitable_config.api import VitableClient
from vitable_config.api.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from vitable_config.api.models import (
    Address,
    ContributionClassInput,
    EligibilityPolicyCreate,
    EligibilityRule,
    EmployerCreate,
    EnrollmentReissue,
    PlanYearCreate,
    PlanYearUpdate,
)
from vitable_config.domain.fields import TIER_WIRE_NAMES
from vitable_config.sandbox import SandboxHandle

from .conftest import ClientFactory
from .seed_data import (
    ACME,
    DENTAL,
    ENROLLED_EMPLOYEE,
    ENROLLMENT,
    GLOBEX,
    LOCKABLE,
    MANY,
    MANY_YEARS,
    MEDICAL,
    RETIRED,
    VISION,
)


def classes(*tiers: str, employee: int = 1000) -> list[ContributionClassInput]:
    return [
        ContributionClassInput(
            employment="full_time",
            family_status=tier,  # type: ignore[arg-type]
            employee_contribution_cents=employee,
            employer_contribution_cents=20000,
        )
        for tier in tiers
    ]


def new_plan_year(employer: str, year: int, **overrides: object) -> PlanYearCreate:
    values: dict[str, object] = {
        "employer_id": employer,
        "coverage_start": date(year, 1, 1),
        "coverage_end": date(year, 12, 31),
        "open_enrollment_start": date(year - 1, 12, 1),
        "open_enrollment_end": date(year - 1, 12, 15),
        "contribution_classes": classes("EE", "ES"),
    }
    values.update(overrides)
    return PlanYearCreate(**values)  # type: ignore[arg-type]


# --- benefit products -------------------------------------------------------------


async def test_list_benefit_products_and_filters(client: VitableClient) -> None:
    products = await client.list_benefit_products()
    assert {p.id for p in products} == {MEDICAL, DENTAL, VISION, RETIRED}
    medical = next(p for p in products if p.id == MEDICAL)
    assert (medical.category, medical.product_code, medical.active) == ("Medical", "MEC", True)
    assert medical.carrier_name == "Vitable"

    active = await client.list_benefit_products(active_in=True)
    assert {p.id for p in active} == {MEDICAL, DENTAL, VISION}
    assert [p.id for p in await client.list_benefit_products(category="Dental")] == [DENTAL]
    assert [p.id for p in await client.list_benefit_products(product_code="VV")] == [VISION]
    inactive = await client.list_benefit_products(active_in=False)
    assert [p.id for p in inactive] == [RETIRED]


# --- plan years -----------------------------------------------------------------


async def test_create_get_list_plan_year_round_trip(client: VitableClient) -> None:
    created = await client.create_plan_year(MEDICAL, new_plan_year(GLOBEX, 2027))
    assert created.id.startswith("plyr_")
    assert (created.benefit_product_id, created.employer_id) == (MEDICAL, GLOBEX)
    assert created.open_enrollment_start_date == date(2026, 12, 1)
    assert created.open_enrollment_end_date == date(2026, 12, 15)
    assert created.status == "draft"
    assert [(c.family_status, c.employee_contribution_cents) for c in created.contribution_classes]
    assert all(c.id for c in created.contribution_classes)
    # Rule 6: plans are filled by the server from the product's carrier plans.
    assert sorted(p.carrier_plan_id for p in created.plans) == [
        "cplan_ct_mec_bronze",
        "cplan_ct_mec_silver",
    ]

    fetched = await client.get_plan_year(created.id)
    assert fetched.model_dump() == created.model_dump()

    listed = await client.list_plan_years(MEDICAL, employer_id=GLOBEX)
    assert [p.id for p in listed] == [created.id]
    assert await client.list_plan_years(MEDICAL, employer_id=GLOBEX, status="active") == []


async def test_update_plan_year_replaces_classes_and_dates(client: VitableClient) -> None:
    update = PlanYearUpdate(
        contribution_classes=classes("EF", employee=4242),
        open_enrollment_start=date(2026, 12, 2),
    )
    updated = await client.update_plan_year(LOCKABLE, update)
    assert [
        (c.family_status, c.employee_contribution_cents) for c in updated.contribution_classes
    ] == [("EF", 4242)]
    assert updated.open_enrollment_start_date == date(2026, 12, 2)
    assert updated.open_enrollment_end_date == date(2026, 12, 15)
    assert (await client.get_plan_year(LOCKABLE)).contribution_classes[
        0
    ].employee_contribution_cents == 4242


async def test_pagination_walks_several_pages(sbx: SandboxHandle, client: VitableClient) -> None:
    sbx.clear_request_log()
    years = await client.list_plan_years(DENTAL, employer_id=MANY, limit=10)
    assert len(years) == MANY_YEARS == len({y.id for y in years})
    assert {y.id for y in years} == {f"plyr_ct_many_{n:03d}" for n in range(MANY_YEARS)}
    # Sorted most recent plan year first.
    starts = [y.coverage_start for y in years]
    assert starts == sorted(starts, reverse=True)
    pages = [r.path for r in sbx.request_log if r.method == "GET"]
    assert len(pages) == 5  # 10 + 10 + 10 + 10 + 5


async def test_concurrent_page_windows_return_the_same_list(
    sbx: SandboxHandle, client: VitableClient
) -> None:
    sequential = await client.list_plan_years(DENTAL, employer_id=MANY, limit=10)
    windowed = await client.list_plan_years(DENTAL, employer_id=MANY, limit=10, concurrent_pages=4)
    assert [y.id for y in windowed] == [y.id for y in sequential]


async def test_iter_plan_year_pages(client: VitableClient) -> None:
    pages = [page async for page in client.iter_plan_year_pages(DENTAL, employer_id=MANY, limit=20)]
    assert [len(page) for page in pages] == [20, 20, 5]


async def test_validation_failure_is_422_naming_the_field(client: VitableClient) -> None:
    bad = new_plan_year(GLOBEX, 2027, open_enrollment_end=date(2027, 2, 1))
    with pytest.raises(ValidationFailedError) as info:
        await client.create_plan_year(MEDICAL, bad)
    assert info.value.status == 422
    assert "open_enrollment_end" in info.value.message
    assert info.value.app_error_code and info.value.trace_id
    assert info.value.method == "POST"


async def test_duplicate_contribution_class_is_422(client: VitableClient, dialect: str) -> None:
    bad = new_plan_year(GLOBEX, 2027, contribution_classes=classes("EE", "EE"))
    # The server names the field as its dialect spells it.
    with pytest.raises(ValidationFailedError, match=TIER_WIRE_NAMES[dialect]):
        await client.create_plan_year(MEDICAL, bad)


async def test_unknown_ids_are_404(client: VitableClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.create_plan_year("bprd_nope", new_plan_year(GLOBEX, 2027))
    assert info.value.status == 404 and info.value.app_error_code
    with pytest.raises(NotFoundError):
        await client.create_plan_year(MEDICAL, new_plan_year("empr_nope", 2027))
    with pytest.raises(NotFoundError):
        await client.get_plan_year("plyr_nope")
    with pytest.raises(NotFoundError):
        await client.update_plan_year("plyr_nope", PlanYearUpdate(status="open_enrollment"))
    with pytest.raises(NotFoundError):
        await client.list_plan_years("bprd_nope")


async def test_inactive_product_refuses_new_plan_years(client: VitableClient) -> None:
    with pytest.raises(ValidationFailedError) as info:
        await client.create_plan_year(RETIRED, new_plan_year(GLOBEX, 2027))
    assert "inactive" in info.value.message


async def test_overlap_is_409(sbx: SandboxHandle, client: VitableClient) -> None:
    overlapping = new_plan_year(
        ACME, 2027, coverage_start=date(2027, 6, 1), coverage_end=date(2028, 5, 31)
    )
    with pytest.raises(ConflictError) as info:
        await client.create_plan_year(DENTAL, overlapping)
    assert info.value.status == 409
    assert info.value.app_error_code == "plan_year_overlap"
    assert LOCKABLE in info.value.message


async def test_status_follows_clock_and_locks_after_draft(
    sbx: SandboxHandle, client: VitableClient
) -> None:
    assert (await client.get_plan_year(LOCKABLE)).status == "draft"
    sbx.set_today(date(2026, 12, 5))
    assert (await client.get_plan_year(LOCKABLE)).status == "open_enrollment"
    with pytest.raises(ConflictError) as info:
        await client.update_plan_year(LOCKABLE, PlanYearUpdate(contribution_classes=classes("EE")))
    assert info.value.app_error_code == "plan_year_locked"
    assert "plan_year_locked" in str(info.value)
    sbx.set_today(date(2027, 3, 1))
    assert (await client.get_plan_year(LOCKABLE)).status == "active"
    sbx.set_today(date(2028, 1, 1))
    assert (await client.get_plan_year(LOCKABLE)).status == "expired"


async def test_put_status_moves_forward_then_the_plan_year_is_locked(
    client: VitableClient,
) -> None:
    moved = await client.update_plan_year(LOCKABLE, PlanYearUpdate(status="open_enrollment"))
    assert moved.status == "open_enrollment"
    with pytest.raises(ConflictError) as info:
        await client.update_plan_year(LOCKABLE, PlanYearUpdate(status="draft"))
    assert info.value.app_error_code == "plan_year_locked"


# --- employers and policies ------------------------------------------------------


async def test_employers_list_get_create(client: VitableClient, dialect: str) -> None:
    employers = await client.list_employers()
    assert {e.id for e in employers} == {ACME, GLOBEX, MANY}
    assert [e.id for e in await client.list_employers(name="globex")] == [GLOBEX]
    acme = await client.get_employer(ACME)
    assert acme.legal_name == "Acme Contract LLC"
    assert acme.address is not None and acme.address.city == "Austin"

    body = EmployerCreate(
        name="Initech",
        legal_name="Initech Holdings LLC",
        ein="55-5555555",
        address=Address(street_1="3 Loop Rd", city="Dallas", state="TX", zip_code="75201"),
    )
    created = await client.create_employer(body, email="hr@initech.example")
    assert created.id.startswith("empr_") and created.active
    # The address reads back in the canonical shape whatever the dialect.
    assert created.address is not None
    assert (created.address.street_1, created.address.zip_code) == ("3 Loop Rd", "75201")
    email = (created.model_extra or {}).get("email")
    assert email == ("hr@initech.example" if dialect == "2026-02" else None)
    assert created.ein != "55-5555555"  # masked
    assert (await client.get_employer(created.id)).name == "Initech"
    assert len(await client.list_employers(active_in=True)) == 4
    with pytest.raises(NotFoundError):
        await client.get_employer("empr_nope")


async def test_eligibility_policy_create_and_get(client: VitableClient) -> None:
    body = EligibilityPolicyCreate(
        name="Full time after 30 days",
        effective_date=date(2027, 1, 1),
        rules=[EligibilityRule(rule_type="employment_type", operator="equals", value="full_time")],
    )
    policy = await client.create_eligibility_policy(ACME, body)
    assert policy.id.startswith("epol_") and policy.employer_id == ACME
    fetched = await client.get_eligibility_policy(policy.id)
    assert fetched.name == body.name and fetched.rules[0].value == "full_time"
    with pytest.raises(NotFoundError):
        await client.get_eligibility_policy("epol_nope")
    with pytest.raises(NotFoundError):
        await client.create_eligibility_policy("empr_nope", body)


# --- enrollments -----------------------------------------------------------------


async def test_enrollment_endpoints(client: VitableClient) -> None:
    enrollment = await client.get_enrollment(ENROLLMENT)
    assert enrollment.employee_id == ENROLLED_EMPLOYEE
    assert enrollment.status == "enrolled" and enrollment.selected_plan_name == "MEC Silver"

    plans = await client.list_enrollment_plans(ENROLLMENT)
    assert sorted(p.name for p in plans) == ["MEC Bronze", "MEC Silver"]
    assert all(p.costs for p in plans)

    mine = await client.list_employee_enrollments(ENROLLED_EMPLOYEE)
    assert [e.id for e in mine] == [ENROLLMENT]
    assert await client.list_employee_enrollments(ENROLLED_EMPLOYEE, status="waived") == []

    reissued = await client.reissue_enrollment(
        ENROLLMENT, EnrollmentReissue(qle_id="qle_birth_1", reason="new child")
    )
    assert reissued.status == "pending" and reissued.selected_plan_id is None
    with pytest.raises(ValidationFailedError, match="qle_id"):
        await client.reissue_enrollment(ENROLLMENT, EnrollmentReissue(qle_id="nope"))
    with pytest.raises(NotFoundError):
        await client.get_enrollment("enrl_nope")


# --- auth -------------------------------------------------------------------------


async def test_wrong_key_is_401(sbx: SandboxHandle, client_for: ClientFactory) -> None:
    intruder = client_for(sbx, api_key="vc_test_not_the_right_key")
    with pytest.raises(AuthenticationError) as info:
        await intruder.list_benefit_products()
    assert info.value.status == 401
    assert intruder.stats.requests == 1  # 401 is never retried
