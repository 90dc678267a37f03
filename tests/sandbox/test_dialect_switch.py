"""What only one dialect does, the ``removed`` mode, and how a dialect is chosen:
``SandboxSettings.dialect``, ``VITABLE_SANDBOX_DIALECT`` (read by the embedded
``--sandbox`` mode), ``sandbox serve --dialect``; plus the OpenAPI document per dialect."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from vitable_config.cli.main import main as cli_main
from vitable_config.errors import UserError
from vitable_config.sandbox import SandboxSettings, running_sandbox
from vitable_config.sandbox.openapi import openapi_document

from .helpers import MakeSandbox, Wire, assert_error, client, serve_process, wait_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SEED = REPO_ROOT / "examples" / "sandbox-seed.yaml"
PY_PATH = "/v1/benefit-products/bprd_mec/plan-years"
NEW = Wire("2026-02")
OLD = Wire("2025-12")


# --- 2026-02 only -------------------------------------------------------------------


def test_2026_02_refuses_family_status_naming_the_field(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(dialect="2026-02")
    with client(sb) as c:
        old_create = c.post(PY_PATH, json=OLD.plan_year_body())
        created = NEW.one(c.post(PY_PATH, json=NEW.plan_year_body()), 201)
        old_put = c.put(
            f"/v1/plan-years/{created['id']}",
            json={"contribution_classes": OLD.plan_year_body()["contribution_classes"]},
        )
    message = assert_error(old_create, 422, "validation_error")
    assert "contribution_classes[0].family_status: is not a known field" in message
    assert "contribution_classes[0].coverage_tier: is required" in message
    assert "contribution_classes[0].family_status" in assert_error(old_put, 422)
    assert sb.write_count() == 1


def test_2025_12_refuses_coverage_tier_in_classes(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(dialect="2025-12")
    with client(sb) as c:
        refused = c.post(PY_PATH, json=NEW.plan_year_body())
    assert "contribution_classes[0].coverage_tier: is not a known field" in assert_error(
        refused, 422
    )
    assert sb.write_count() == 0


def test_policy_paths_are_plural_in_2026_02_and_singular_in_2025_12(
    make_sandbox: MakeSandbox,
) -> None:
    rule = {"rule_type": "hours_per_week", "operator": "gte", "value": "30"}
    body = {"name": "p", "effective_date": "2027-01-01", "rules": [rule]}
    for wire, other in ((NEW, OLD), (OLD, NEW)):
        sb = make_sandbox(dialect=wire.dialect)
        with client(sb) as c:
            wrong_create = c.post(other.policy_create_path("empr_acme"), json=body)
            made = wire.one(c.post(wire.policy_create_path("empr_acme"), json=body), 201)
            wrong_get = c.get(other.policy_path(made["id"]))
        assert_error(wrong_create, 404, "not_found")
        assert_error(wrong_get, 404, "not_found")
        assert sb.write_count() == 1


def test_2026_02_employer_create_needs_email_and_the_new_address(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox(dialect="2026-02")
    no_email = {k: v for k, v in NEW.employer_body().items() if k != "email"}
    with client(sb) as c:
        missing_email = c.post("/v1/employers", json=no_email)
        bad_email = c.post("/v1/employers", json=NEW.employer_body(email="not-an-address"))
        old_address = c.post("/v1/employers", json={**OLD.employer_body(), "email": "a@b.example"})
        no_address = c.post(
            "/v1/employers", json={k: v for k, v in NEW.employer_body().items() if k != "address"}
        )
    assert "email: is required" in assert_error(missing_email, 422, "validation_error")
    assert "email: must be an email address" in assert_error(bad_email, 422)
    message = assert_error(old_address, 422)
    assert "address.address_line_1: is required" in message
    assert "address.street_1: is not a known field" in message
    assert "address: is required" in assert_error(no_address, 422)
    assert sb.write_count() == 0


def test_2026_02_employer_update_and_2025_12_has_none(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(dialect="2026-02")
    new_address = {
        "address_line_1": "9 Elm St",
        "city": "Dayton",
        "state": "OH",
        "zipcode": "45402",
    }
    with client(sb) as c:
        created = NEW.one(c.post("/v1/employers", json=NEW.employer_body()), 201)
        updated = NEW.one(
            c.put(
                f"/v1/employers/{created['id']}",
                json={"name": "Initrode", "active": False, "address": new_address},
            )
        )
        renamed_only = NEW.one(c.put(f"/v1/employers/{created['id']}", json={"legal_name": "I2"}))
        unknown = c.put("/v1/employers/empr_missing", json={"name": "x"})
        blank = c.put(f"/v1/employers/{created['id']}", json={"name": ""})
    assert updated["name"] == "Initrode" and updated["active"] is False
    assert updated["legal_name"] == "Initech LLC" and updated["email"] == created["email"]
    assert updated["address"] == {**new_address, "address_line_2": None}
    assert renamed_only["name"] == "Initrode" and renamed_only["legal_name"] == "I2"
    assert_error(unknown, 404, "not_found")
    assert "name" in assert_error(blank, 422)
    old = make_sandbox(dialect="2025-12")
    with client(old) as c:
        assert_error(c.put("/v1/employers/empr_acme", json={"name": "x"}), 405)
    assert old.write_count() == 0


def test_2026_02_enrollment_coverage_tier_is_never_null(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        """
benefit_products:
  - {id: bprd_x, name: X, product_code: MEC, category: Medical,
     carrier_plans: [{id: cplan_x, name: X Plan, monthly_premium_cents: 1000}]}
employers:
  - {id: empr_x, name: X Co, legal_name: X Co LLC}
plan_years:
  - {id: plyr_x, benefit_product_id: bprd_x, employer_id: empr_x, coverage_start: 2026-01-01,
     coverage_end: 2026-12-31, open_enrollment_start: 2025-12-01, open_enrollment_end: 2025-12-15,
     contribution_classes: [{employment: full_time, family_status: EE,
                             employee_contribution_cents: 1, employer_contribution_cents: 2}]}
enrollments:
  - {id: enrl_x, employee_id: empl_x, plan_year_id: plyr_x, status: pending}
""",
        encoding="utf-8",
    )
    new = make_sandbox(dialect="2026-02", seed_file=seed)
    old = make_sandbox(dialect="2025-12", seed_file=seed)
    with client(new) as c:
        tier_new = NEW.one(c.get("/v1/enrollments/enrl_x"))["coverage_tier"]
        listed = NEW.items(c.get("/v1/employees/empl_x/enrollments"))
        employer = NEW.one(c.get("/v1/employers/empr_x"))
    with client(old) as c:
        tier_old = OLD.one(c.get("/v1/enrollments/enrl_x"))["coverage_tier"]
    assert tier_new == "Unspecified" and listed[0]["coverage_tier"] == "Unspecified"
    assert tier_old is None
    # a seeded employer without an address has none in any dialect
    assert employer["address"] is None and employer["email"] is None


def test_state_is_shared_by_both_dialects(tmp_path: Path) -> None:
    """One state file, served in turn in each dialect: the same data in both shapes."""
    state = tmp_path / "state.db"
    base: dict[str, Any] = {
        "seed_file": EXAMPLE_SEED,
        "state_path": state,
        "today": date(2026, 11, 21),
    }
    with running_sandbox(SandboxSettings(**base, dialect="2025-12")) as sb, client(sb) as c:
        plan_year = OLD.one(c.post(PY_PATH, json=OLD.plan_year_body()), 201)
    with running_sandbox(SandboxSettings(**base, dialect="2026-02")) as sb, client(sb) as c:
        seen = NEW.one(c.get(f"/v1/plan-years/{plan_year['id']}"))
        employer = NEW.one(c.post("/v1/employers", json=NEW.employer_body()), 201)
    with running_sandbox(SandboxSettings(**base, dialect="2025-12")) as sb, client(sb) as c:
        employer_old = OLD.one(c.get(f"/v1/employers/{employer['id']}"))
    assert [cls["coverage_tier"] for cls in seen["contribution_classes"]] == ["EE", "EF"]
    assert {k: v for k, v in seen.items() if k != "contribution_classes"} == {
        k: v for k, v in plan_year.items() if k != "contribution_classes"
    }
    assert employer_old["address"] == {
        "street_1": "4120 Freidrich Ln",
        "street_2": "Suite 2",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78744",
    }
    assert "email" not in employer_old


# --- removed ------------------------------------------------------------------------


def test_removed_dialect_has_no_products_or_plan_years_but_employers_work(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox(dialect="removed")
    with client(sb) as c:
        gone = [
            c.get("/v1/benefit-products"),
            c.get(PY_PATH),
            c.post(PY_PATH, json=NEW.plan_year_body()),
            c.get("/v1/plan-years/plyr_0a1b2c3d4e5f6071"),
            c.put("/v1/plan-years/plyr_0a1b2c3d4e5f6071", json={"status": "expired"}),
        ]
        employers, pagination = NEW.page(c.get("/v1/employers", params={"limit": 5}))
        acme = NEW.one(c.get("/v1/employers/empr_acme"))
        enrollment = NEW.one(c.get("/v1/enrollments/enrl_5f0c2a9e7b3d4c11"))
        created = NEW.one(c.post("/v1/employers", json=NEW.employer_body()), 201)
    for response in gone:
        assert "no such endpoint" in assert_error(response, 404, "not_found")
    assert len(employers) == 5 and pagination == {
        "page": 1,
        "limit": 5,
        "total": 32,
        "total_pages": 7,
    }
    assert acme["address"]["zipcode"] == "43215"
    assert enrollment["plan_year_id"] == "plyr_0a1b2c3d4e5f6071"
    assert created["email"] == "benefits@initech.example"
    assert sb.write_count() == 1
    assert [p["id"] for p in sb.list_all_plan_years()] == ["plyr_0a1b2c3d4e5f6071"]


# --- choosing the dialect -----------------------------------------------------------


def test_dialect_from_settings_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VITABLE_SANDBOX_DIALECT", raising=False)
    assert SandboxSettings().resolved_dialect() == "2025-12"
    monkeypatch.setenv("VITABLE_SANDBOX_DIALECT", "2026-02")
    assert SandboxSettings().resolved_dialect() == "2026-02"
    assert SandboxSettings(dialect="removed").resolved_dialect() == "removed"
    monkeypatch.setenv("VITABLE_SANDBOX_DIALECT", "2026-03")
    with pytest.raises(UserError, match=r"VITABLE_SANDBOX_DIALECT: expected one of 2025-12"):
        SandboxSettings().resolved_dialect()
    with pytest.raises(UserError, match=r"dialect: expected one of"):
        SandboxSettings(dialect="latest")
    assert "2026-02" in repr(SandboxSettings(dialect="2026-02"))


def _embedded_sandbox() -> Callable[..., AbstractContextManager[Any]]:
    """The embedded ``--sandbox`` wiring, wherever it lives (it is moving to the CLI)."""
    for name in ("vitable_config.cli.embedded", "vitable_config.engine.embedded"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return cast(Callable[..., AbstractContextManager[Any]], module.embedded_sandbox)
    raise AssertionError("no embedded sandbox module")


def test_embedded_sandbox_serves_the_dialect_of_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    embedded_sandbox = _embedded_sandbox()
    monkeypatch.setenv("VITABLE_SANDBOX_DIALECT", "2026-02")
    state = tmp_path / "state.db"
    with embedded_sandbox(state, EXAMPLE_SEED) as sb:
        headers = {"Authorization": f"Bearer {sb.api_key}"}
        body = httpx.get(f"{sb.base_url}/v1/employers", headers=headers, timeout=10).json()
    assert set(body) == {"data", "pagination"} and body["pagination"]["total"] == 32
    monkeypatch.delenv("VITABLE_SANDBOX_DIALECT")
    with embedded_sandbox(state, EXAMPLE_SEED) as sb:
        headers = {"Authorization": f"Bearer {sb.api_key}"}
        body = httpx.get(f"{sb.base_url}/v1/employers", headers=headers, timeout=10).json()
    assert isinstance(body, list) and len(body) == 20
    monkeypatch.setenv("VITABLE_SANDBOX_DIALECT", "2026")
    with (
        pytest.raises(UserError, match=r"VITABLE_SANDBOX_DIALECT: expected one of"),
        embedded_sandbox(state, EXAMPLE_SEED),
    ):
        raise AssertionError("started with a bad dialect")


def test_cli_serve_dialect_option_and_environment() -> None:
    with (
        serve_process("--dialect", "2026-02", "--today", "2026-11-21") as (url, key, _),
        wait_ready(url, key) as c,
    ):
        products, pagination = NEW.page(c.get("/v1/benefit-products"))
        served_doc = httpx.get(f"{url}/openapi.json", timeout=10).json()
    assert len(products) == 5 and pagination is not None and pagination["total"] == 5
    assert served_doc == openapi_document("2026-02")
    with (
        serve_process(env={"VITABLE_SANDBOX_DIALECT": "removed"}) as (url, key, _),
        wait_ready(url, key) as c,
    ):
        assert_error(c.get("/v1/benefit-products"), 404, "not_found")
        assert NEW.items(c.get("/v1/employers"))
    with (
        serve_process(env={"VITABLE_SANDBOX_DIALECT": ""}) as (url, key, _),
        wait_ready(url, key) as c,
    ):
        assert OLD.items(c.get("/v1/benefit-products"))


def test_cli_serve_announces_a_non_default_dialect() -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "vitable_config", "sandbox", "serve", "--port", "0",
         "--dialect", "2026-02"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert first.startswith("Vitable Connect sandbox (state in memory; dialect 2026-02; clock ")


def test_cli_serve_unknown_dialect_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["sandbox", "serve", "--port", "0", "--dialect", "2027-01"])
    err = capsys.readouterr().err
    assert code == 1
    assert "--dialect" in err and "2027-01" in err and "Traceback" not in err


# --- OpenAPI per dialect ------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["2025-12", "2026-02", "removed"])
def test_served_openapi_describes_the_dialect(make_sandbox: MakeSandbox, dialect: str) -> None:
    sb = make_sandbox(dialect=dialect)
    served = httpx.get(f"{sb.base_url}/openapi.json", timeout=10).json()
    assert served == openapi_document(dialect)
    paths = set(served["paths"])
    schemas = served["components"]["schemas"]
    has_plan_years = "/v1/benefit-products/{benefit_product_id}/plan-years" in paths
    if dialect == "2025-12":
        assert has_plan_years and "/v1/benefit-eligibility-policy/{policy_id}" in paths
        assert "family_status" in schemas["ContributionClassInput"]["properties"]
        assert "active" in schemas["BenefitProduct"]["properties"]
    elif dialect == "2026-02":
        assert has_plan_years and "/v1/benefit-eligibility-policies/{policy_id}" in paths
        assert "/v1/benefit-eligibility-policy/{policy_id}" not in paths
        assert set(schemas["ContributionClassInput"]["required"]) >= {"coverage_tier"}
        assert "family_status" not in json.dumps(schemas)
        assert set(schemas["Pagination"]["required"]) == {"page", "limit", "total", "total_pages"}
        assert set(schemas["EmployerCreate"]["required"]) == {
            "name",
            "legal_name",
            "ein",
            "email",
            "address",
        }
        assert "active_in" in schemas["BenefitProduct"]["required"]
        assert "coverage_tier" in schemas["Enrollment"]["required"]
    else:
        assert not any(p.startswith(("/v1/benefit-products", "/v1/plan-years")) for p in paths)
        assert "/v1/employers" in paths and "/v1/enrollments/{enrollment_id}" in paths
