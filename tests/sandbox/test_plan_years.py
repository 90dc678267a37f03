"""Plan-year endpoints and sandbox rules 1–6, over real loopback HTTP."""

from __future__ import annotations

from datetime import date

from vitable_config.api.models import PlanYear
from vitable_config.sandbox import SandboxHandle

from .helpers import assert_error, client, plan_year_body

PY_PATH = "/v1/benefit-products/bprd_mec/plan-years"


def test_create_returns_plan_year_with_server_filled_plans(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        r = c.post(PY_PATH, json=plan_year_body())
    assert r.status_code == 201, r.text
    py = PlanYear.model_validate(r.json())
    assert py.id.startswith("plyr_") and len(py.id) == len("plyr_") + 16
    assert py.benefit_product_id == "bprd_mec"
    assert py.open_enrollment_start_date == date(2026, 12, 1)
    assert py.open_enrollment_end_date == date(2026, 12, 15)
    assert py.status == "draft"
    assert [c.family_status for c in py.contribution_classes] == ["EE", "EF"]
    assert all(c.id for c in py.contribution_classes)
    assert [p.carrier_plan_id for p in py.plans] == ["cplan_mec_core", "cplan_mec_plus"]
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
    assert_error(missing, 404, "not_found")
