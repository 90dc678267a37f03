"""Plan-year endpoints and sandbox rules 1–6, over real loopback HTTP."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from vitable_config.api.models import PlanYear
from vitable_config.sandbox import SandboxHandle

from .helpers import MakeSandbox, assert_error, client, plan_year_body

PY_PATH = "/v1/benefit-products/bprd_mec/plan-years"
GLOBEX_PY = "plyr_0a1b2c3d4e5f6071"


def test_create_returns_plan_year_with_server_filled_plans(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        r = c.post(PY_PATH, json=plan_year_body())
    assert r.status_code == 201, r.text
    py = PlanYear.model_validate(r.json())
    assert py.id.startswith("plyr_") and len(py.id) == len("plyr_") + 16
    assert py.benefit_product_id == "bprd_mec"
    assert py.open_enrollment_start_date == date(2026, 12, 1)
    assert py.open_enrollment_end_date == date(2026, 12, 15)
    assert "open_enrollment_start" not in r.json()
    assert py.status == "draft"
    assert [c.family_status for c in py.contribution_classes] == ["EE", "EF"]
    assert all(c.id for c in py.contribution_classes)
    assert [p.carrier_plan_id for p in py.plans] == ["cplan_mec_core", "cplan_mec_plus"]
    assert [p.monthly_premium_cents for p in py.plans] == [8900, 12900]
    assert all(p.id.startswith("plan_") for p in py.plans)
    assert sandbox.write_count() == 1
    stored = [p for p in sandbox.list_all_plan_years() if p["id"] == py.id]
    assert stored and stored[0]["employer_id"] == "empr_acme"


def test_get_and_list_round_trip(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post(PY_PATH, json=plan_year_body()).json()
        got = c.get(f"/v1/plan-years/{created['id']}")
        listed = c.get(PY_PATH, params={"employer_id": "empr_acme"})
        missing = c.get("/v1/plan-years/plyr_doesnotexist0000")
    assert got.status_code == 200 and got.json() == created
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == [created["id"]]
    assert "plyr_doesnotexist0000" in assert_error(missing, 404, "not_found")


def test_seeded_plan_year_is_active_on_default_clock(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        r = c.get(f"/v1/plan-years/{GLOBEX_PY}")
    assert r.status_code == 200
    assert r.json()["status"] == "active"
    assert r.json()["employer_id"] == "empr_globex"


def _create_years(c: Any, employer: str, years: range) -> list[str]:
    ids = []
    for year in years:
        body = plan_year_body(
            employer_id=employer,
            coverage_start=f"{year}-01-01",
            coverage_end=f"{year}-12-31",
            open_enrollment_start=f"{year - 1}-11-01",
            open_enrollment_end=f"{year - 1}-11-30",
        )
        r = c.post("/v1/benefit-products/bprd_dental/plan-years", json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def test_list_sorted_most_recent_first_and_paginated(sandbox: SandboxHandle) -> None:
    path = "/v1/benefit-products/bprd_dental/plan-years"
    with client(sandbox) as c:
        _create_years(c, "empr_acme", range(2027, 2032))
        _create_years(c, "empr_globex", range(2027, 2030))
        default = c.get(path).json()
        page1 = c.get(path, params={"limit": 3, "page": 1}).json()
        page2 = c.get(path, params={"limit": 3, "page": 2}).json()
        page3 = c.get(path, params={"limit": 3, "page": 3}).json()
        page4 = c.get(path, params={"limit": 3, "page": 4}).json()
        too_big = c.get(path, params={"limit": 101})
        zero_page = c.get(path, params={"page": 0})
        max_ok = c.get(path, params={"limit": 100})
    assert isinstance(default, list) and len(default) == 8  # bare array, default limit 20
    starts = [p["coverage_start"] for p in default]
    assert starts == sorted(starts, reverse=True)
    assert starts[0] == "2031-01-01"
    walked = page1 + page2 + page3
    assert [len(page1), len(page2), len(page3), len(page4)] == [3, 3, 2, 0]
    assert [p["id"] for p in walked] == [p["id"] for p in default]
    assert "limit" in assert_error(too_big, 422, "validation_error")
    assert "page" in assert_error(zero_page, 422)
    assert max_ok.status_code == 200


def test_list_filters_by_employer_and_status(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        draft = c.post(PY_PATH, json=plan_year_body()).json()
        by_status = {
            s: [p["id"] for p in c.get(PY_PATH, params={"status": s}).json()]
            for s in ("draft", "open_enrollment", "active", "expired")
        }
        globex = c.get(PY_PATH, params={"employer_id": "empr_globex"}).json()
        bad_status = c.get(PY_PATH, params={"status": "closed"})
    assert by_status == {
        "draft": [draft["id"]],
        "open_enrollment": [],
        "active": [GLOBEX_PY],
        "expired": [],
    }
    assert [p["id"] for p in globex] == [GLOBEX_PY]
    assert "status: must be one of" in assert_error(bad_status, 422)


def test_unknown_product_and_employer_are_404(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        no_product = c.post("/v1/benefit-products/bprd_nope/plan-years", json=plan_year_body())
        no_product_list = c.get("/v1/benefit-products/bprd_nope/plan-years")
        no_employer = c.post(PY_PATH, json=plan_year_body(employer_id="empr_nope"))
    assert "bprd_nope" in assert_error(no_product, 404, "not_found")
    assert "bprd_nope" in assert_error(no_product_list, 404, "not_found")
    assert "empr_nope" in assert_error(no_employer, 404, "not_found")
    assert sandbox.write_count() == 0


def test_inactive_product_refuses_new_plan_years(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        r = c.post("/v1/benefit-products/bprd_legacy/plan-years", json=plan_year_body())
    assert "inactive" in assert_error(r, 422, "product_inactive")
    assert sandbox.write_count() == 0


def test_overlap_is_409_but_adjacent_years_are_fine(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        first = c.post(PY_PATH, json=plan_year_body())
        again = c.post(PY_PATH, json=plan_year_body())
        partial = c.post(
            PY_PATH,
            json=plan_year_body(coverage_start="2027-07-01", coverage_end="2028-06-30"),
        )
        next_year = c.post(
            PY_PATH,
            json=plan_year_body(
                coverage_start="2028-01-01",
                coverage_end="2028-12-31",
                open_enrollment_start="2027-11-01",
                open_enrollment_end="2027-11-30",
            ),
        )
        other_product = c.post("/v1/benefit-products/bprd_dental/plan-years", json=plan_year_body())
    assert first.status_code == 201
    message = assert_error(again, 409, "plan_year_overlap")
    assert first.json()["id"] in message
    assert_error(partial, 409, "plan_year_overlap")
    assert next_year.status_code == 201, next_year.text
    assert other_product.status_code == 201, other_product.text
    assert len([p for p in sandbox.list_all_plan_years() if p["employer_id"] == "empr_acme"]) == 3


def test_allow_overlap_accepts_duplicates(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(allow_overlap=True)
    with client(sb) as c:
        a = c.post(PY_PATH, json=plan_year_body())
        b = c.post(PY_PATH, json=plan_year_body())
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert sb.write_count() == 2


def _with_class(**changes: Any) -> dict[str, Any]:
    cls = {
        "employment": "full_time",
        "family_status": "EE",
        "employee_contribution_cents": 100,
        "employer_contribution_cents": 200,
    }
    cls.update(changes)
    return plan_year_body(contribution_classes=[cls])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            plan_year_body(open_enrollment_start="2026-12-20"),
            "open_enrollment_start: must be on or before open_enrollment_end",
        ),
        (
            plan_year_body(open_enrollment_end="2027-01-02"),
            "open_enrollment_end: must be on or before coverage_start",
        ),
        (
            plan_year_body(coverage_end="2027-01-01"),
            "coverage_end: must be after coverage_start",
        ),
        (
            plan_year_body(coverage_end="2026-06-30"),
            "coverage_end: must be after coverage_start",
        ),
        (
            _with_class(employee_contribution_cents=-1),
            "contribution_classes[0].employee_contribution_cents",
        ),
        (
            _with_class(employer_contribution_cents=12.5),
            "contribution_classes[0].employer_contribution_cents",
        ),
        (
            _with_class(employer_contribution_cents="100"),
            "contribution_classes[0].employer_contribution_cents",
        ),
        (_with_class(employment=""), "contribution_classes[0].employment"),
        (_with_class(family_status="EX"), "contribution_classes[0].family_status: must be one of"),
        (plan_year_body(contribution_classes=[]), "contribution_classes"),
        (
            plan_year_body(
                contribution_classes=[
                    _with_class()["contribution_classes"][0],
                    _with_class(employee_contribution_cents=5)["contribution_classes"][0],
                ]
            ),
            "contribution_classes[1]: duplicate class",
        ),
        (
            {k: v for k, v in plan_year_body().items() if k != "coverage_end"},
            "coverage_end: is required",
        ),
        (plan_year_body(coverage_start="2027-02-30"), "coverage_start"),
        (plan_year_body(surprise=1), "surprise: is not a known field"),
    ],
)
def test_validation_is_422_naming_the_field(
    sandbox: SandboxHandle, body: dict[str, Any], expected: str
) -> None:
    with client(sandbox) as c:
        r = c.post(PY_PATH, json=body)
    assert expected in assert_error(r, 422, "validation_error")
    assert sandbox.write_count() == 0
    assert all(p["employer_id"] != "empr_acme" for p in sandbox.list_all_plan_years())


def test_invalid_json_body_is_422_in_error_shape(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        r = c.post(PY_PATH, content=b"{not json", headers={"content-type": "application/json"})
    assert "body" in assert_error(r, 422)


# --- PUT ------------------------------------------------------------------------


def test_put_replaces_classes_and_dates(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post(PY_PATH, json=plan_year_body()).json()
        ee_id = created["contribution_classes"][0]["id"]
        new_classes = [
            {
                "employment": "full_time",
                "family_status": "EE",
                "employee_contribution_cents": 1000,
                "employer_contribution_cents": 9000,
            },
            {
                "employment": "part_time",
                "family_status": "EE",
                "employee_contribution_cents": 3000,
                "employer_contribution_cents": 4000,
            },
        ]
        r = c.put(
            f"/v1/plan-years/{created['id']}",
            json={"contribution_classes": new_classes, "open_enrollment_end": "2026-12-20"},
        )
        again = c.get(f"/v1/plan-years/{created['id']}").json()
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated == again
    assert [(k["employment"], k["family_status"]) for k in updated["contribution_classes"]] == [
        ("full_time", "EE"),
        ("part_time", "EE"),
    ]
    assert updated["contribution_classes"][0]["employer_contribution_cents"] == 9000
    assert updated["contribution_classes"][0]["id"] == ee_id  # same class keeps its id
    assert updated["open_enrollment_end_date"] == "2026-12-20"
    assert updated["open_enrollment_start_date"] == "2026-12-01"
    assert updated["coverage_start"] == created["coverage_start"]
    assert updated["plans"] == created["plans"]
    assert sandbox.write_count() == 2


def test_put_validates_the_merged_result(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post(PY_PATH, json=plan_year_body()).json()
        url = f"/v1/plan-years/{created['id']}"
        late_start = c.put(url, json={"open_enrollment_start": "2026-12-16"})
        past_coverage = c.put(url, json={"open_enrollment_end": "2027-01-05"})
        no_classes = c.put(url, json={"contribution_classes": []})
        immutable = c.put(url, json={"coverage_start": "2027-02-01"})
        bad_status = c.put(url, json={"status": "paused"})
        missing = c.put("/v1/plan-years/plyr_0000000000000000", json={})
        unchanged = c.get(url).json()
    assert "open_enrollment_start: must be on or before open_enrollment_end" in assert_error(
        late_start, 422
    )
    assert "open_enrollment_end: must be on or before coverage_start" in assert_error(
        past_coverage, 422
    )
    assert "contribution_classes" in assert_error(no_classes, 422)
    assert "coverage_start: cannot be changed after creation" in assert_error(immutable, 422)
    assert "status: must be one of" in assert_error(bad_status, 422)
    assert_error(missing, 404, "not_found")
    assert unchanged == created
    assert sandbox.write_count() == 1


def test_put_status_moves_forward_then_locks(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post(PY_PATH, json=plan_year_body()).json()
        url = f"/v1/plan-years/{created['id']}"
        same = c.put(url, json={"status": "draft"})
        forward = c.put(url, json={"status": "open_enrollment"})
        back = c.put(url, json={"status": "draft"})
        after = c.get(url).json()
    assert same.status_code == 200 and same.json()["status"] == "draft"
    assert forward.status_code == 200 and forward.json()["status"] == "open_enrollment"
    # no longer draft: every PUT is locked, including a status move backwards
    assert_error(back, 409, "plan_year_locked")
    assert after["status"] == "open_enrollment"


def test_status_follows_the_clock_and_put_locks_after_draft(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post(PY_PATH, json=plan_year_body()).json()
        url = f"/v1/plan-years/{created['id']}"
        seen = {}
        for today in (
            "2026-11-30",
            "2026-12-01",
            "2026-12-15",
            "2026-12-16",
            "2027-12-31",
            "2028-01-01",
        ):
            sandbox.set_today(date.fromisoformat(today))
            seen[today] = c.get(url).json()["status"]
        sandbox.set_today(date(2026, 12, 1))
        locked = c.put(url, json={"open_enrollment_end": "2026-12-10"})
        sandbox.set_today(date(2026, 11, 30))
        editable = c.put(url, json={"open_enrollment_end": "2026-12-10"})
    assert seen == {
        "2026-11-30": "draft",
        "2026-12-01": "open_enrollment",
        "2026-12-15": "open_enrollment",
        "2026-12-16": "active",
        "2027-12-31": "active",
        "2028-01-01": "expired",
    }
    message = assert_error(locked, 409, "plan_year_locked")
    assert "open_enrollment" in message
    assert editable.status_code == 200, editable.text


def test_put_on_active_seeded_plan_year_is_locked(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        r = c.put(f"/v1/plan-years/{GLOBEX_PY}", json={"status": "expired"})
    assert_error(r, 409, "plan_year_locked")
    assert sandbox.write_count() == 0
