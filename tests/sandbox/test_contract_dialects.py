"""Contract tests run once per dialect (2025-12, 2026-02) over real loopback HTTP:
every endpoint, pagination across several pages in both list shapes, and errors.

The expected shapes come from :class:`~tests.sandbox.helpers.Wire`, written from
REFERENCE.md ("API dialects") and the published SDK, not from the sandbox's code.
"""

from __future__ import annotations

from typing import Any

import httpx

from vitable_config.sandbox import SandboxHandle

from .helpers import ERROR_KEYS, MakeSandbox, Wire, assert_error, client

PY_PATH = "/v1/benefit-products/bprd_mec/plan-years"
GLOBEX_PY = "plyr_0a1b2c3d4e5f6071"
ENRL_EE = "enrl_5f0c2a9e7b3d4c11"
ENRL_EF = "enrl_8e1d4b7a2c6f9d22"
EMPL_EE = "empl_7d3e9a1c5b2f4e01"


def _year(start: int, employer: str = "empr_acme") -> dict[str, Any]:
    """Plan-year overrides for coverage year ``start`` (open enrollment in December before)."""
    return {
        "employer_id": employer,
        "coverage_start": f"{start}-01-01",
        "coverage_end": f"{start}-12-31",
        "open_enrollment_start": f"{start - 1}-12-01",
        "open_enrollment_end": f"{start - 1}-12-15",
    }


def test_benefit_products_list_filters_and_flag(wire: Wire, dialect_sandbox: SandboxHandle) -> None:
    with client(dialect_sandbox) as c:
        every, pagination = wire.page(c.get("/v1/benefit-products"))
        inactive = wire.items(c.get("/v1/benefit-products", params={"active_in": "false"}))
        active = wire.items(c.get("/v1/benefit-products", params={"active_in": "true"}))
        dental = wire.items(c.get("/v1/benefit-products", params={"product_code": "VD"}))
        medical = wire.items(c.get("/v1/benefit-products", params={"category": "Medical"}))
        bad = c.get("/v1/benefit-products", params={"category": "Pets"})
    ids = [p["id"] for p in every]
    assert ids == ["bprd_mec", "bprd_dental", "bprd_vision", "bprd_mvp", "bprd_legacy"]
    flags = {p["id"]: p[wire.active] for p in every}
    assert flags["bprd_legacy"] is False and sum(flags.values()) == 4
    other_flag = "active" if wire.wrapped else "active_in"
    assert all(other_flag not in p for p in every)
    assert [p["id"] for p in inactive] == ["bprd_legacy"] and len(active) == 4
    assert [p["id"] for p in dental] == ["bprd_dental"]
    assert {p["id"] for p in medical} == {"bprd_mec", "bprd_mvp", "bprd_legacy"}
    if wire.wrapped:
        assert pagination == {"page": 1, "limit": 20, "total": 5, "total_pages": 1}
    assert "category: must be one of" in assert_error(bad, 422, "validation_error")


def test_plan_year_create_get_list_and_put(wire: Wire, dialect_sandbox: SandboxHandle) -> None:
    with client(dialect_sandbox) as c:
        created = wire.one(c.post(PY_PATH, json=wire.plan_year_body()), 201)
        fetched = wire.one(c.get(f"/v1/plan-years/{created['id']}"))
        listed = wire.items(c.get(PY_PATH, params={"employer_id": "empr_acme"}))
        classes = [
            {
                "employment": "part_time",
                wire.tier: "ES",
                "employee_contribution_cents": 100,
                "employer_contribution_cents": 200,
            }
        ]
        put = c.put(
            f"/v1/plan-years/{created['id']}",
            json={"contribution_classes": classes, "open_enrollment_end": "2026-12-20"},
        )
        updated = wire.one(put)
        moved = wire.one(c.put(f"/v1/plan-years/{created['id']}", json={"status": "active"}))
    assert created["id"].startswith("plyr_") and created["status"] == "draft"
    assert created["open_enrollment_start_date"] == "2026-12-01"
    tiers = [(cls["employment"], cls[wire.tier]) for cls in created["contribution_classes"]]
    assert tiers == [("full_time", "EE"), ("full_time", "EF")]
    other_tier = "family_status" if wire.wrapped else "coverage_tier"
    assert all(other_tier not in cls for cls in created["contribution_classes"])
    assert all(cls["id"].startswith("ccls_") for cls in created["contribution_classes"])
    assert created["plans"] and all(p["id"].startswith("plan_") for p in created["plans"])
    assert fetched == created
    assert [p["id"] for p in listed] == [created["id"]]
    assert updated["open_enrollment_end_date"] == "2026-12-20"
    assert [(cls["employment"], cls[wire.tier]) for cls in updated["contribution_classes"]] == [
        ("part_time", "ES")
    ]
    assert moved["status"] == "active"
    assert dialect_sandbox.write_count() == 3


def test_plan_years_page_through_several_pages(wire: Wire, dialect_sandbox: SandboxHandle) -> None:
    with client(dialect_sandbox) as c:
        made = [
            wire.one(c.post(PY_PATH, json=wire.plan_year_body(**_year(y))), 201)["id"]
            for y in (2031, 2029, 2033, 2030, 2032)
        ]
        pages = [
            wire.page(c.get(PY_PATH, params={"employer_id": "empr_acme", "limit": 2, "page": n}))
            for n in (1, 2, 3, 4)
        ]
        everything = wire.items(c.get(PY_PATH, params={"limit": 100}))
    assert [len(items) for items, _ in pages] == [2, 2, 1, 0]
    seen = [p["id"] for items, _ in pages for p in items]
    starts = [p["coverage_start"] for items, _ in pages for p in items]
    assert sorted(seen) == sorted(made) and len(set(seen)) == 5
    assert starts == [f"{y}-01-01" for y in (2033, 2032, 2031, 2030, 2029)]  # newest first
    assert {p["id"] for p in everything} == {*made, GLOBEX_PY}
    if wire.wrapped:
        assert [p for _, p in pages] == [
            {"page": n, "limit": 2, "total": 5, "total_pages": 3} for n in (1, 2, 3, 4)
        ]
    else:
        assert all(p is None for _, p in pages)


def test_employers_page_filter_get_and_create(wire: Wire, dialect_sandbox: SandboxHandle) -> None:
    with client(dialect_sandbox) as c:
        pages = [
            wire.page(c.get("/v1/employers", params={"limit": 7, "page": n})) for n in range(1, 7)
        ]
        every = wire.items(c.get("/v1/employers", params={"limit": 100}))
        acme = wire.items(c.get("/v1/employers", params={"name": "acme"}))
        one = wire.one(c.get("/v1/employers/empr_acme"))
        created = wire.one(c.post("/v1/employers", json=wire.employer_body()), 201)
        fetched = wire.one(c.get(f"/v1/employers/{created['id']}"))
        no_name = c.post(
            "/v1/employers", json={k: v for k, v in wire.employer_body().items() if k != "name"}
        )
        bad_ein = c.post("/v1/employers", json=wire.employer_body(ein="123"))
        missing = c.get("/v1/employers/empr_missing")
    assert [len(items) for items, _ in pages] == [7, 7, 7, 7, 4, 0]
    ids = [e["id"] for items, _ in pages for e in items]
    assert ids == [e["id"] for e in every] and len(set(ids)) == 32
    if wire.wrapped:
        assert [p for _, p in pages] == [
            {"page": n, "limit": 7, "total": 32, "total_pages": 5} for n in range(1, 7)
        ]
    assert [e["id"] for e in acme] == ["empr_acme"]
    assert one["name"] == "Acme Widgets" and one["ein"] == "**-***6789"
    assert wire.city_of(one) == "Columbus"
    assert wire.city_of(created) == "Austin" and created["ein"] == "**-***4567"
    assert created["id"].startswith("empr_") and created["active"] is True
    if wire.wrapped:
        assert created["email"] == "benefits@initech.example"
        assert created["address"]["address_line_2"] == "Suite 2"
        assert one["address"]["zipcode"] == "43215"
    else:
        assert "email" not in created and created["address"]["street_2"] == "Suite 2"
    assert fetched == created
    assert "name: is required" in assert_error(no_name, 422, "validation_error")
    assert "ein" in assert_error(bad_ein, 422, "validation_error")
    assert_error(missing, 404, "not_found")
    assert dialect_sandbox.write_count() == 1


def test_eligibility_policies_create_replace_get(
    wire: Wire, dialect_sandbox: SandboxHandle
) -> None:
    body = {
        "name": "Full-time after 30 days",
        "effective_date": "2027-01-01",
        "rules": [{"rule_type": "hours_per_week", "operator": "gte", "value": "30"}],
    }
    with client(dialect_sandbox) as c:
        first = wire.one(c.post(wire.policy_create_path("empr_acme"), json=body), 201)
        replace = {"policy_to_replace_id": first["id"]}
        second = wire.one(
            c.post(
                wire.policy_create_path("empr_acme"),
                json={**body, "name": "v2", **({} if wire.wrapped else replace)},
                params=replace if wire.wrapped else None,
            ),
            201,
        )
        old = wire.one(c.get(wire.policy_path(first["id"])))
        employer = wire.one(c.get("/v1/employers/empr_acme"))
        unknown_employer = c.post(wire.policy_create_path("empr_x"), json=body)
        unknown_policy = c.get(wire.policy_path("epol_missing"))
        bad_date = c.post(
            wire.policy_create_path("empr_acme"), json={**body, "effective_date": "soon"}
        )
        in_the_wrong_place = c.post(
            wire.policy_create_path("empr_acme"),
            json={**body, **(replace if wire.wrapped else {})},
            params=None if wire.wrapped else replace,
        )
        no_rules = c.post(wire.policy_create_path("empr_acme"), json={**body, "rules": []})
    assert first["id"].startswith("epol_") and first[wire.active] is True
    assert second["replaced_policy_id"] == first["id"] and second["rules"][0]["value"] == "30"
    assert old[wire.active] is False
    assert employer["eligibility_policy_id"] == second["id"]
    assert_error(unknown_employer, 404, "not_found")
    assert_error(unknown_policy, 404, "not_found")
    assert "effective_date" in assert_error(bad_date, 422, "validation_error")
    if wire.wrapped:  # 2026-02: the replaced policy is a query parameter; rules required
        assert "policy_to_replace_id: is not a known field" in assert_error(
            in_the_wrong_place, 422, "validation_error"
        )
        assert "rules" in assert_error(no_rules, 422, "validation_error")
    else:  # 2025-12: the query parameter means nothing; an empty rule list is accepted
        assert wire.one(in_the_wrong_place, 201)["replaced_policy_id"] is None
        assert no_rules.status_code == 201, no_rules.text


def test_enrollments_get_plans_reissue_and_per_employee(
    wire: Wire, dialect_sandbox: SandboxHandle
) -> None:
    path = f"/v1/employees/{EMPL_EE}/enrollments"
    with client(dialect_sandbox) as c:
        got = wire.one(c.get(f"/v1/enrollments/{ENRL_EF}"))
        plans, plans_pagination = wire.page(c.get(f"/v1/enrollments/{ENRL_EF}/plans"))
        reissued = wire.one(c.post(f"/v1/enrollments/{ENRL_EE}/reissue", json={"qle_id": "qle_1"}))
        every, every_pagination = wire.page(c.get(path))
        waived = wire.items(c.get(path, params={"status": "waived"}))
        by_year = wire.items(c.get(path, params={"plan_year": "2026"}))
        bad_qle = c.post(f"/v1/enrollments/{ENRL_EE}/reissue", json={"qle_id": "x"})
        missing = c.get("/v1/enrollments/enrl_missing")
        missing_plans = c.get("/v1/enrollments/enrl_missing/plans")
        nobody = c.get("/v1/employees/empl_nobody/enrollments")
    assert got["plan_year_id"] == GLOBEX_PY and got["coverage_tier"] == "EF"
    assert len(got["enrolled_dependents"]) == 2
    assert [p["id"] for p in plans][1] == got["selected_plan_id"]
    costs = {cost["coverage_tier"]: cost for cost in plans[0]["costs"]}
    assert set(costs) == {"EE", "EF"} and costs["EE"]["employer_contribution_cents"] == 6400
    assert reissued["status"] == "pending" and reissued["selected_plan_id"] is None
    assert [e["id"] for e in every] == [ENRL_EE] and waived == []
    assert [e["id"] for e in by_year] == [ENRL_EE]
    if wire.wrapped:
        assert plans_pagination == {
            "page": 1,
            "limit": 20,
            "total": len(plans),
            "total_pages": 1,
        }
        assert every_pagination == {"page": 1, "limit": 20, "total": 1, "total_pages": 1}
    assert "qle_id" in assert_error(bad_qle, 422, "validation_error")
    for response in (missing, missing_plans, nobody):
        assert_error(response, 404, "not_found")
    assert dialect_sandbox.write_count() == 1


def test_errors_have_one_shape_in_every_dialect(wire: Wire, dialect_sandbox: SandboxHandle) -> None:
    with client(dialect_sandbox) as c:
        first = c.post(PY_PATH, json=wire.plan_year_body())
        overlap = c.post(PY_PATH, json=wire.plan_year_body())
        locked = c.put(f"/v1/plan-years/{GLOBEX_PY}", json={"status": "expired"})
        unknown = c.get("/v1/plan-years/plyr_missing")
        nowhere = c.get("/v1/nowhere")
        bad_tier = c.post(
            PY_PATH,
            json=wire.classes(
                {
                    **wire.plan_year_body(**_year(2035)),
                    "contribution_classes": [
                        {
                            "employment": "full_time",
                            "family_status": "XX",
                            "employee_contribution_cents": 1,
                            "employer_contribution_cents": 1,
                        }
                    ],
                }
            ),
        )
        dup = wire.plan_year_body(**_year(2036))
        dup["contribution_classes"] = [dup["contribution_classes"][0]] * 2
        duplicate = c.post(PY_PATH, json=dup)
        bad_dates = c.post(
            PY_PATH, json=wire.plan_year_body(**{**_year(2037), "coverage_end": "2036-06-30"})
        )
        not_json = c.post(
            PY_PATH, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        inactive = c.post(
            "/v1/benefit-products/bprd_legacy/plan-years", json=wire.plan_year_body(**_year(2038))
        )
    assert first.status_code == 201, first.text
    assert "overlaps" in assert_error(overlap, 409, "plan_year_overlap")
    assert "draft" in assert_error(locked, 409, "plan_year_locked")
    assert "plyr_missing" in assert_error(unknown, 404, "not_found")
    assert_error(nowhere, 404, "not_found")
    assert f"contribution_classes[0].{wire.tier}: must be one of" in assert_error(
        bad_tier, 422, "validation_error"
    )
    message = assert_error(duplicate, 422, "validation_error")
    assert f"each (employment, {wire.tier}) pair may appear once" in message
    assert "coverage_end: must be after coverage_start" in assert_error(bad_dates, 422)
    assert "body: is not valid JSON" in assert_error(not_json, 422, "validation_error")
    assert_error(inactive, 422, "product_inactive")
    assert dialect_sandbox.write_count() == 1


def test_rate_limit_and_auth_errors_in_every_dialect(wire: Wire, make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(dialect=wire.dialect, rate_limit=1)
    with client(sb) as c:
        answers = [c.get("/v1/employers") for _ in range(4)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, [r.status_code for r in answers]
    assert_error(limited[0], 429, "rate_limited")
    assert int(limited[0].headers["retry-after"]) >= 1
    assert int(limited[0].headers["retry-after-ms"]) >= 1
    wire.items(answers[0])  # the first one went through, in the dialect's list shape
    wrong = httpx.get(
        f"{sb.base_url}/v1/employers/empr_acme",
        headers={"Authorization": "Bearer vc_test_wrong"},
        timeout=10,
    )
    missing = httpx.get(f"{sb.base_url}/v1/employers/empr_acme", timeout=10)
    assert set(wrong.json()) == ERROR_KEYS
    assert_error(wrong, 401, "unauthenticated")
    assert_error(missing, 401, "unauthenticated")


def test_faults_behave_alike_in_every_dialect(wire: Wire, make_sandbox: MakeSandbox) -> None:
    from vitable_config.sandbox import FaultSettings

    sb = make_sandbox(
        dialect=wire.dialect, faults=FaultSettings(error_after=1.0, methods=frozenset({"POST"}))
    )
    with client(sb) as c:
        answer = c.post(PY_PATH, json=wire.plan_year_body())
        listed = wire.items(c.get(PY_PATH, params={"employer_id": "empr_acme"}))
    assert_error(answer, 500, "internal_error")
    assert len(listed) == 1 and sb.write_count() == 1  # committed before the 500
