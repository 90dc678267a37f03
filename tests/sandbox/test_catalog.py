"""Benefit products, employers, eligibility policies and enrollments endpoints."""

from __future__ import annotations

from vitable_config.api.models import (
    BenefitProduct,
    EligibilityPolicy,
    EligiblePlan,
    Employer,
    Enrollment,
)
from vitable_config.sandbox import SandboxHandle

from .helpers import assert_error, client

ENRL_EE = "enrl_5f0c2a9e7b3d4c11"
ENRL_EF = "enrl_8e1d4b7a2c6f9d22"
EMPL_EE = "empl_7d3e9a1c5b2f4e01"

NEW_EMPLOYER = {
    "name": "Initech",
    "legal_name": "Initech LLC",
    "ein": "55-1234567",
    "address": {
        "street_1": "4120 Freidrich Ln",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78744",
    },
}


def test_benefit_products_list_and_filters(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        every = c.get("/v1/benefit-products").json()
        active = c.get("/v1/benefit-products", params={"active_in": "true"}).json()
        inactive = c.get("/v1/benefit-products", params={"active_in": "false"}).json()
        medical = c.get("/v1/benefit-products", params={"category": "Medical"}).json()
        dental = c.get("/v1/benefit-products", params={"product_code": "VD"}).json()
        page2 = c.get("/v1/benefit-products", params={"limit": 2, "page": 2}).json()
        bad = c.get("/v1/benefit-products", params={"category": "Pets"})
    products = [BenefitProduct.model_validate(p) for p in every]
    assert [p.id for p in products] == [
        "bprd_mec",
        "bprd_dental",
        "bprd_vision",
        "bprd_mvp",
        "bprd_legacy",
    ]
    assert [p["id"] for p in inactive] == ["bprd_legacy"]
    assert len(active) == 4
    assert {p["id"] for p in medical} == {"bprd_mec", "bprd_mvp", "bprd_legacy"}
    assert [p["id"] for p in dental] == ["bprd_dental"]
    assert [p["id"] for p in page2] == ["bprd_vision", "bprd_mvp"]
    assert "category: must be one of" in assert_error(bad, 422)


def test_employers_list_paginates_and_filters_by_name(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        pages = [c.get("/v1/employers", params={"page": n}).json() for n in (1, 2, 3)]
        big = c.get("/v1/employers", params={"limit": 100}).json()
        acme = c.get("/v1/employers", params={"name": "acme"}).json()
        none = c.get("/v1/employers", params={"name": "zzz-no-such"}).json()
        too_big = c.get("/v1/employers", params={"limit": 500})
    assert [len(p) for p in pages] == [20, 12, 0]
    ids = [e["id"] for page in pages for e in page]
    assert ids == [e["id"] for e in big] and len(set(ids)) == 32
    assert ids[:3] == ["empr_acme", "empr_globex", "empr_r001"]
    assert ids[-1] == "empr_r030"
    assert [e["id"] for e in acme] == ["empr_acme"]
    assert none == []
    assert "limit: must be less than or equal to 100" in assert_error(too_big, 422)


def test_employer_get_create_and_masked_ein(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        acme = c.get("/v1/employers/empr_acme")
        created = c.post("/v1/employers", json=NEW_EMPLOYER)
        fetched = c.get(f"/v1/employers/{created.json()['id']}")
        missing = c.get("/v1/employers/empr_missing")
        bad_ein = c.post("/v1/employers", json={**NEW_EMPLOYER, "ein": "123"})
        no_name = c.post(
            "/v1/employers", json={k: v for k, v in NEW_EMPLOYER.items() if k != "name"}
        )
    employer = Employer.model_validate(acme.json())
    assert employer.name == "Acme Widgets" and employer.ein == "**-***6789"
    assert employer.address is not None and employer.address.city == "Columbus"
    assert created.status_code == 201, created.text
    new = Employer.model_validate(created.json())
    assert new.id.startswith("empr_") and new.organization_id.startswith("org_")
    assert new.ein == "**-***4567" and new.active
    assert fetched.json() == created.json()
    assert_error(missing, 404, "not_found")
    assert "ein" in assert_error(bad_ein, 422)
    assert "name: is required" in assert_error(no_name, 422)
    assert sandbox.write_count() == 1


def test_eligibility_policy_create_replace_and_get(sandbox: SandboxHandle) -> None:
    body = {
        "name": "Full-time after 30 days",
        "effective_date": "2027-01-01",
        "rules": [{"rule_type": "hours_per_week", "operator": "gte", "value": 30}],
    }
    with client(sandbox) as c:
        first = c.post("/v1/employers/empr_acme/benefit-eligibility-policy", json=body)
        second = c.post(
            "/v1/employers/empr_acme/benefit-eligibility-policy",
            json={**body, "name": "v2", "policy_to_replace_id": first.json()["id"]},
        )
        old = c.get(f"/v1/benefit-eligibility-policy/{first.json()['id']}").json()
        employer = c.get("/v1/employers/empr_acme").json()
        unknown_employer = c.post("/v1/employers/empr_x/benefit-eligibility-policy", json=body)
        unknown_policy = c.get("/v1/benefit-eligibility-policy/epol_missing")
        bad_date = c.post(
            "/v1/employers/empr_acme/benefit-eligibility-policy",
            json={**body, "effective_date": "soon"},
        )
    assert first.status_code == 201, first.text
    policy = EligibilityPolicy.model_validate(second.json())
    assert policy.replaced_policy_id == first.json()["id"] and policy.active
    assert policy.rules[0].value == 30
    assert old["active"] is False
    assert employer["eligibility_policy_id"] == policy.id
    assert_error(unknown_employer, 404, "not_found")
    assert_error(unknown_policy, 404, "not_found")
    assert "effective_date" in assert_error(bad_date, 422)


def test_enrollment_get_plans_and_reissue(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        got = c.get(f"/v1/enrollments/{ENRL_EF}")
        plans = c.get(f"/v1/enrollments/{ENRL_EF}/plans")
        reissued = c.post(
            f"/v1/enrollments/{ENRL_EE}/reissue", json={"qle_id": "qle_1", "reason": "birth"}
        )
        bad_qle = c.post(f"/v1/enrollments/{ENRL_EE}/reissue", json={"qle_id": "x"})
        missing = c.get("/v1/enrollments/enrl_missing")
        missing_plans = c.get("/v1/enrollments/enrl_missing/plans")
    enrollment = Enrollment.model_validate(got.json())
    assert enrollment.plan_year_id == "plyr_0a1b2c3d4e5f6071"
    assert enrollment.coverage_tier == "EF" and enrollment.status == "enrolled"
    assert enrollment.selected_plan_name == "Vitable MEC Plus"
    assert enrollment.selected_plan_id and enrollment.selected_plan_id.startswith("plan_")
    assert enrollment.enrolled_dependents and len(enrollment.enrolled_dependents) == 2
    eligible = [EligiblePlan.model_validate(p) for p in plans.json()]
    assert [p.id for p in eligible][1] == enrollment.selected_plan_id
    costs = {cost.coverage_tier: cost for cost in eligible[0].costs}
    assert set(costs) == {"EE", "EF"}
    assert costs["EE"].employer_contribution_cents == 6400
    assert costs["EF"].total_monthly_premium_cents == round(8900 * 2.9)
    assert reissued.status_code == 200, reissued.text
    assert reissued.json()["status"] == "pending" and reissued.json()["selected_plan_id"] is None
    assert "qle_id" in assert_error(bad_qle, 422)
    assert_error(missing, 404, "not_found")
    assert_error(missing_plans, 404, "not_found")
    assert sandbox.write_count() == 1


def test_employee_enrollments_filters(sandbox: SandboxHandle) -> None:
    path = f"/v1/employees/{EMPL_EE}/enrollments"
    with client(sandbox) as c:
        every = c.get(path).json()
        enrolled = c.get(path, params={"status": "enrolled"}).json()
        waived = c.get(path, params={"status": "waived"}).json()
        by_year = c.get(path, params={"plan_year": "2026"}).json()
        by_id = c.get(path, params={"plan_year": "plyr_0a1b2c3d4e5f6071"}).json()
        other_year = c.get(path, params={"coverage_effective_start_year": 2027}).json()
        this_year = c.get(path, params={"coverage_effective_start_year": 2026}).json()
        unknown = c.get("/v1/employees/empl_nobody/enrollments")
    assert [e["id"] for e in every] == [ENRL_EE]
    assert [e["id"] for e in enrolled] == [ENRL_EE]
    assert waived == [] and other_year == []
    assert by_year == every == by_id == this_year
    assert_error(unknown, 404, "not_found")
